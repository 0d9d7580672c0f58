"""Check raw entries against the rules of SPEC section 1 and build publications."""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from typing import Any

from pubcli.model import FIELD_NAMES, REQUIRED_FIELDS, Publication
from pubcli.safe_text import INVISIBLE, one_line

ID_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_ID_LENGTH = 80

# One-line fields refuse every control character, the Unicode line separators, and the
# bidirectional controls and zero-width characters that make text read other than it is.
_ONE_LINE_FORBIDDEN = re.compile(f"[\x00-\x1f\x7f-\x9f{INVISIBLE}]")
# A summary may hold newlines and tabs, nothing else of the kind.
_SUMMARY_FORBIDDEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_URL_PATTERN = re.compile(r"(?i)https?://[^\s/?#@]+(?:@[^\s/?#]+)?(?:[/?#]\S*)?")


def _describe_char(char: str) -> str:
    if char == "\n":
        return "a newline"
    if char == "\r":
        return "a carriage return"
    if char in "\u2028\u2029":
        return f"a line separator (\\u{ord(char):04x})"
    if (
        char in "\u061c\u200e\u200f"
        or "\u202a" <= char <= "\u202e"
        or "\u2066" <= char <= "\u2069"
    ):
        return f"a bidirectional control (\\u{ord(char):04x})"
    if ord(char) > 0xFF:
        return f"a zero-width character (\\u{ord(char):04x})"
    return f"a control character (\\x{ord(char):02x})"


def _check_one_line(key: str, value: object) -> list[str]:
    if not isinstance(value, str):
        return [f"'{key}' must be a string"]
    if not value.strip():
        return [f"'{key}' is blank"]
    bad = _ONE_LINE_FORBIDDEN.search(value)
    if bad:
        return [f"'{key}' contains {_describe_char(bad.group())}"]
    return []


def _check_string_list(key: str, value: object, *, required: bool) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return [f"'{key}' must be an array of strings"]
    if required and not value:
        return [f"'{key}' needs at least one value"]
    if all(item.strip() for item in value) and not _ONE_LINE_FORBIDDEN.search("".join(value)):
        return []  # the common case, checked without a call per item
    problems = []
    for position, item in enumerate(value, start=1):
        for problem in _check_one_line(key, item):
            problems.append(problem.replace(f"'{key}'", f"'{key}' value {position}", 1))
    return problems


def _check_id(value: object) -> list[str]:
    if not isinstance(value, str):
        return ["'id' must be a string"]
    if not ID_PATTERN.fullmatch(value):
        return [
            f"id {one_line(value)!r} is not a lowercase slug "
            "(letters a-z, digits and single hyphens, such as 'mpp-policy-guidance')"
        ]
    if len(value) > MAX_ID_LENGTH:
        return [f"id is {len(value)} characters long; at most {MAX_ID_LENGTH} are allowed"]
    return []


def _check_date(value: object) -> list[str]:
    # datetime is a subclass of date; a TOML datetime is not a catalogue date.
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return []
    if isinstance(value, str):
        return [
            f"'date' must be a TOML date such as 2019-08-28, not the string {one_line(value)!r}"
        ]
    return ["'date' must be a TOML local date such as 2019-08-28"]


def _check_summary(value: object) -> list[str]:
    if not isinstance(value, str):
        return ["'summary' must be a string"]
    bad = _SUMMARY_FORBIDDEN.search(value)
    if bad:
        return [f"'summary' contains {_describe_char(bad.group())}"]
    return []


def _check_url(value: object) -> list[str]:
    if not isinstance(value, str):
        return ["'url' must be a string"]
    if not _URL_PATTERN.fullmatch(value) or _ONE_LINE_FORBIDDEN.search(value):
        return [f"'url' {one_line(value)!r} is not an absolute http:// or https:// URL"]
    return []


def _unknown_key_problem(key: str) -> str:
    import difflib  # only for the message of a broken entry

    close = difflib.get_close_matches(key, FIELD_NAMES, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown key {one_line(key)!r}{hint}"


def validate_entry(raw: object) -> tuple[Publication | None, list[str]]:
    """Check one raw entry; return the publication (None if invalid) and every problem."""
    if not isinstance(raw, Mapping):
        return None, ["entry must be a table"]
    problems: list[str] = []
    problems += [_unknown_key_problem(key) for key in raw if key not in FIELD_NAMES]
    problems += [f"missing required key '{key}'" for key in REQUIRED_FIELDS if key not in raw]
    if "id" in raw:
        problems += _check_id(raw["id"])
    for key in ("title", "type"):
        if key in raw:
            problems += _check_one_line(key, raw[key])
    if "date" in raw:
        problems += _check_date(raw["date"])
    if "components" in raw:
        problems += _check_string_list("components", raw["components"], required=True)
    if "topics" in raw:
        problems += _check_string_list("topics", raw["topics"], required=False)
    if "summary" in raw:
        problems += _check_summary(raw["summary"])
    if "url" in raw:
        problems += _check_url(raw["url"])
    if problems:
        return None, problems
    return _build(raw), []


def _build(raw: Mapping[str, Any]) -> Publication:
    return Publication(
        id=raw["id"],
        title=raw["title"],
        type=raw["type"],
        date=raw.get("date"),
        components=tuple(raw["components"]),
        topics=tuple(raw.get("topics", ())),
        summary=raw.get("summary", ""),
        url=raw.get("url"),
    )


def entry_label(raw: object) -> str:
    """Name an entry in a message: its id when it has a string one, else ``(no id)``."""
    if isinstance(raw, Mapping) and isinstance(raw.get("id"), str) and raw["id"]:
        return one_line(raw["id"])
    return "(no id)"


TitleDateKey = tuple[str, datetime.date | None]


def title_date_key(publication: Publication) -> TitleDateKey:
    """The identity used to spot a duplicate: title ignoring case and spacing, and date."""
    return raw_title_date_key(publication.title, publication.date)


def raw_title_date_key(title: str, date: datetime.date | None) -> TitleDateKey:
    """The same identity for a title and date that are not (yet) a valid publication.

    Canonically equivalent spellings are one title: ``é`` precomposed (NFC) or as ``e``
    and a combining accent (NFD) look the same to every reader. Unicode's canonical
    caseless match: NFD, casefold, then NFC (so that the key is short and stable).
    """
    if not title.isascii():
        import unicodedata

        title = unicodedata.normalize("NFC", unicodedata.normalize("NFD", title).casefold())
    return " ".join(title.casefold().split()), date


def id_taken(new_id: str) -> str:
    """The problem of a new entry whose id the catalogue already has."""
    return f"id '{new_id}' is already in the catalogue"


def title_date_taken(new_id: str, existing_id: str) -> str:
    """The problem of a new entry whose title and date the catalogue already has."""
    return f"'{new_id}': the same title and date are already in the catalogue as '{existing_id}'"
