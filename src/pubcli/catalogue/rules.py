"""Check raw entries against the rules of SPEC section 1 and build publications."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple, Protocol

from pubcli.model import FIELD_NAMES, REQUIRED_FIELDS, Publication
from pubcli.safe_text import INVISIBLE, one_line, quoted

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


LIST_SEPARATOR = ";"
"""What no value of a list may hold: csv, tsv and markdown join lists with ``"; "``."""


def _check_string_list(key: str, value: object, *, required: bool) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return [f"'{key}' must be an array of strings"]
    if required and not value:
        return [f"'{key}' needs at least one value"]
    joined = "".join(value)
    if (
        all(item.strip() for item in value)
        and LIST_SEPARATOR not in joined
        and not _ONE_LINE_FORBIDDEN.search(joined)
    ):
        return []  # the common case, checked without a call per item
    problems = []
    for position, item in enumerate(value, start=1):
        item_problems = _check_one_line(key, item)
        if not item_problems and LIST_SEPARATOR in item:
            item_problems = [
                f"'{key}' contains '{LIST_SEPARATOR}' (csv, tsv and markdown join a list "
                f"with '{LIST_SEPARATOR} '; write two values instead)"
            ]
        for problem in item_problems:
            problems.append(problem.replace(f"'{key}'", f"'{key}' value {position}", 1))
    return problems


def _check_id(value: object) -> list[str]:
    if not isinstance(value, str):
        return ["'id' must be a string"]
    if not ID_PATTERN.fullmatch(value):
        return [
            f"id {quoted(value)} is not a lowercase slug "
            "(letters a-z, digits and single hyphens, such as 'mpp-policy-guidance')"
        ]
    if len(value) > MAX_ID_LENGTH:
        return [f"id is {len(value)} characters long; at most {MAX_ID_LENGTH} are allowed"]
    return []


def parse_iso_date(text: str) -> datetime.date | None:
    """Parse a full ``YYYY-MM-DD`` date, or return None when it is not a real one."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


def _check_date(value: object) -> list[str]:
    # datetime is a subclass of date; a TOML datetime is not a catalogue date.
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return []
    if isinstance(value, str):
        return [f"'date' must be a TOML date such as 2019-08-28, not the string {quoted(value)}"]
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
        return [f"'url' {quoted(value)} is not an absolute http:// or https:// URL"]
    return []


def is_web_url(value: str) -> bool:
    """Whether ``value`` is a URL the catalogue accepts: absolute ``http://`` or ``https://``."""
    return not _check_url(value)


def _unknown_key_problem(key: str) -> str:
    import difflib  # only for the message of a broken entry

    close = difflib.get_close_matches(key, FIELD_NAMES, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown key {quoted(key)}{hint}"


def field_problems(key: str, value: object) -> list[str]:
    """The problems of one value of an entry under ``key`` (one of ``FIELD_NAMES``): what
    ``validate_entry`` says of it, and what a prompt says of an answer as it is typed."""
    if key == "id":
        return _check_id(value)
    if key in ("title", "type"):
        return _check_one_line(key, value)
    if key == "date":
        return _check_date(value)
    if key in ("components", "topics"):
        return _check_string_list(key, value, required=key == "components")
    if key == "summary":
        return _check_summary(value)
    if key == "url":
        return _check_url(value)
    return [_unknown_key_problem(key)]


def validate_entry(raw: object) -> tuple[Publication | None, list[str]]:
    """Check one raw entry; return the publication (None if invalid) and every problem."""
    if not isinstance(raw, Mapping):
        return None, ["entry must be a table"]
    problems: list[str] = []
    problems += [_unknown_key_problem(key) for key in raw if key not in FIELD_NAMES]
    problems += [f"missing required key '{key}'" for key in REQUIRED_FIELDS if key not in raw]
    for key in FIELD_NAMES:
        if key in raw:
            problems += field_problems(key, raw[key])
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


# --- collisions: an id or a title and date already taken ------------------------------


def taken_by(raw: Mapping[str, Any]) -> tuple[str, TitleDateKey | None] | None:
    """What an entry of the file takes from new entries, valid or not: its id (when it is
    a string) and its title-and-date key (when the title is a string and the date a
    date or absent). None for an entry without a string id: no message could name it."""
    raw_id, title, date = raw.get("id"), raw.get("title"), raw.get("date")
    if not isinstance(raw_id, str):
        return None
    if isinstance(title, str) and (date is None or type(date) is datetime.date):
        return raw_id, raw_title_date_key(title, date)
    return raw_id, None


class TakenLookup(Protocol):
    """What a catalogue file already holds that a new entry may not repeat."""

    def has_id(self, id_: str) -> bool:
        """Whether an entry of the file has this id."""
        ...

    def id_with(self, key: TitleDateKey) -> str | None:
        """The id of the first entry of the file with this title-and-date key, if any."""
        ...


class Taken:
    """A ``TakenLookup`` held in memory, built from the raw entries of a file."""

    def __init__(self, raw_entries: Iterable[Mapping[str, Any]] = ()) -> None:
        self._ids: set[str] = set()
        self._keys: dict[TitleDateKey, str] = {}
        for raw in raw_entries:
            taken = taken_by(raw)
            if taken is not None:
                self.add(*taken)

    def add(self, id_: str, key: TitleDateKey | None) -> None:
        """Take ``id_`` and ``key`` (the first entry with a key keeps it)."""
        self._ids.add(id_)
        if key is not None:
            self._keys.setdefault(key, id_)

    def has_id(self, id_: str) -> bool:
        return id_ in self._ids

    def id_with(self, key: TitleDateKey) -> str | None:
        return self._keys.get(key)


def collisions(new: Sequence[Publication], taken: TakenLookup) -> list[str]:
    """Problems of new entries whose id or title and date is already in the file (every
    entry of it, valid or not: a new entry must not collide with one a maintainer is
    about to fix) or already earlier in the same batch."""
    problems = []
    batch = Taken()
    for publication in new:
        key = title_date_key(publication)
        if taken.has_id(publication.id):
            problems.append(id_taken(publication.id))
        if batch.has_id(publication.id):
            problems.append(f"id '{publication.id}' is given twice")
        existing_id = taken.id_with(key)
        if existing_id is not None:
            problems.append(title_date_taken(publication.id, existing_id))
        earlier_id = batch.id_with(key)
        if earlier_id is not None:
            problems.append(f"'{publication.id}' has the same title and date as '{earlier_id}'")
        batch.add(publication.id, key)
    return problems


def id_taken(new_id: str) -> str:
    """The problem of a new entry whose id the catalogue already has."""
    return f"id '{new_id}' is already in the catalogue"


def title_date_taken(new_id: str, existing_id: str) -> str:
    """The problem of a new entry whose title and date the catalogue already has."""
    return (
        f"'{new_id}': the same title and date are already in the catalogue "
        f"as '{one_line(existing_id)}'"
    )


class Verdict(NamedTuple):
    """What ``check`` finds about one entry of the file."""

    publication: Publication | None
    """The valid publication, or None when the entry is skipped."""
    problems: list[tuple[str, bool]]
    """Each problem's message, and whether it skips the entry."""


class EntryChecker:
    """The verdicts of a file's entries, given one at a time in file order: the rules of
    section 1, duplicate ids (the later entry is skipped, naming the first one's line)
    and valid entries with the same title and date (both kept, the later one reported).

    What it remembers of earlier entries makes the verdicts of a file checked in parts
    (the cold build's windows of blocks) those of the file checked whole."""

    def __init__(self) -> None:
        self._first_line_of_id: dict[str, int] = {}
        self._first_id_of_key: dict[TitleDateKey, str] = {}

    def check(self, raw: Mapping[str, Any], line: int) -> Verdict:
        """The verdict of the entry ``raw`` whose header is at ``line``."""
        publication, messages = validate_entry(raw)
        raw_id = raw.get("id")
        if isinstance(raw_id, str):
            first_line = self._first_line_of_id.get(raw_id)
            if first_line is None:
                self._first_line_of_id[raw_id] = line
            else:
                messages.append(f"duplicate id (first used at line {first_line})")
                publication = None
        problems = [(message, True) for message in messages]
        if publication is not None:
            key = title_date_key(publication)
            earlier_id = self._first_id_of_key.get(key)
            if earlier_id is None:
                self._first_id_of_key[key] = publication.id
            else:
                problems.append((f"same title and date as '{one_line(earlier_id)}'", False))
        return Verdict(publication, problems)


def _url_key(url: str) -> str:
    """``url`` with its scheme and host in lower case, which RFC 3986 says are
    case-insensitive; the rest (path, query) may be case-sensitive, so it stays."""
    scheme, _, rest = url.partition("://")
    cut = min((i for i in map(rest.find, "/?#") if i >= 0), default=len(rest))
    return f"{scheme.lower()}://{rest[:cut].lower()}{rest[cut:]}"


def same_url_warnings(
    publications: Sequence[Publication], lines: Sequence[int]
) -> list[tuple[int, str, str]]:
    """The valid entries whose URL an earlier one has too: ``(line, id, message)`` each.

    A warning, not a problem: two entries may rightly share a landing page, but more often
    one publication was added twice under two titles. ``check --strict`` counts them.
    """
    first: dict[str, tuple[str, int]] = {}
    warnings = []
    for publication, line in zip(publications, lines, strict=True):
        if publication.url is None:
            continue
        key = _url_key(publication.url)
        if key in first:
            earlier_id, earlier_line = first[key]
            message = f"same URL as '{earlier_id}' (line {earlier_line})"
            warnings.append((line, publication.id, message))
        else:
            first[key] = (publication.id, line)
    return warnings


# --- the schema version of a file ----------------------------------------------------

CURRENT_SCHEMA_VERSION = 1
"""The newest ``schema_version`` this pubcli knows; a file may also leave it out."""


def schema_version_problem(value: object) -> str | None:
    """What is wrong with a ``schema_version`` value, if anything. A version newer than
    this pubcli knows is no problem of the file (see ``newer_schema``)."""
    if type(value) is int and value >= CURRENT_SCHEMA_VERSION:
        return None
    return f"schema_version must be the integer {CURRENT_SCHEMA_VERSION}"


def newer_schema(value: object) -> int | None:
    """The file's ``schema_version`` when it is newer than this pubcli knows, else None."""
    if type(value) is int and value > CURRENT_SCHEMA_VERSION:
        return value
    return None


def newer_schema_warning(version: int) -> str:
    """The one warning of a reader of a file written for a newer pubcli."""
    return (
        f"schema_version {version} is newer than this pubcli knows "
        f"({CURRENT_SCHEMA_VERSION}): read by the rules of version {CURRENT_SCHEMA_VERSION}; "
        "upgrade pubcli to write it"
    )


def refuse_newer_schema(version: int | None, display: str) -> None:
    """Every writer calls this before it writes: a file of a newer schema is never
    written (exit 3), since this pubcli cannot know what that version requires."""
    if version is not None:
        from pubcli.errors import CatalogueError

        raise CatalogueError(
            f"cannot write {one_line(display)}: its schema_version {version} is newer than "
            f"this pubcli knows ({CURRENT_SCHEMA_VERSION}); upgrade pubcli to write it"
        )


# --- values as a maintainer types them -----------------------------------------------

_STRIPPED = ("title", "type", "summary")


def as_typed(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A new entry's values as meant: leading and trailing whitespace of the title, type,
    summary and each component and topic removed, and the summary's Windows line ends
    (``\\r\\n``) made ``\\n``. Values of other types are left for the checks to refuse."""
    typed = dict(fields)
    for key in _STRIPPED:
        if isinstance(typed.get(key), str):
            typed[key] = typed[key].strip()
    if isinstance(typed.get("summary"), str):
        typed["summary"] = typed["summary"].replace("\r\n", "\n")
    for key in ("components", "topics"):
        values = typed.get(key)
        if isinstance(values, list):
            typed[key] = [value.strip() if isinstance(value, str) else value for value in values]
    return typed


# The facet each list or one-value field of a publication feeds (store.stats.FACETS).
_FACET_OF = {"type": "type", "components": "component", "topics": "topic"}


def adopt_spellings(
    new: Sequence[Publication], spellings: Callable[[str], Sequence[str]]
) -> tuple[list[Publication], list[str]]:
    """New publications with each type, component and topic spelt as the catalogue already
    spells a value that differs only in case, and a note for each value so changed.

    ``spellings(facet)`` is what the store answers for ``facet_values``: one spelling per
    value ignoring case, the one ``stats`` and completion show.
    """
    from dataclasses import replace

    from pubcli.store.query import fold_facet

    known: dict[str, dict[str, str]] = {}
    notes: dict[tuple[str, str], str] = {}

    def spelt(field: str, value: str) -> str:
        facet = _FACET_OF[field]
        if facet not in known:
            known[facet] = {}
            for spelling in spellings(facet):
                known[facet].setdefault(fold_facet(spelling), spelling)
        adopted = known[facet].get(fold_facet(value), value)
        if adopted != value:
            notes.setdefault(
                (facet, value),
                f"using the catalogue's spelling {_quoted(adopted)} for {facet} {_quoted(value)}",
            )
        return adopted

    adopted_publications = [
        replace(
            publication,
            type=spelt("type", publication.type),
            components=tuple(spelt("components", value) for value in publication.components),
            topics=tuple(spelt("topics", value) for value in publication.topics),
        )
        for publication in new
    ]
    return adopted_publications, list(notes.values())


def spellings_may_differ(new: Sequence[Publication], raw_entries: Iterable[Any]) -> bool:
    """Whether ``adopt_spellings`` could change anything of ``new``: some type, component or
    topic of the file's entries (valid or not: a superset of what the store knows) differs
    from a new value only in case. If not, no store need be built to ask."""
    from pubcli.store.query import fold_facet

    wanted: dict[str, set[str]] = {}
    for publication in new:
        for value in (publication.type, *publication.components, *publication.topics):
            wanted.setdefault(fold_facet(value), set()).add(value)
    for raw in raw_entries:
        if not isinstance(raw, Mapping):
            continue
        values: list[object] = [raw.get("type")]
        for key in ("components", "topics"):
            if isinstance(raw.get(key), list):
                values += raw[key]
        for written in values:
            if isinstance(written, str):
                spellings = wanted.get(fold_facet(written))
                if spellings and (len(spellings) > 1 or written not in spellings):
                    return True
    return False


def _quoted(value: str) -> str:
    import json

    return json.dumps(one_line(value), ensure_ascii=False)
