"""Turn what a maintainer gives to ``add`` (flags or JSON) into validated publications."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pubcli.catalogue.rules import (
    Taken,
    as_typed,
    collisions,
    field_problems,
    parse_iso_date,
    validate_entry,
)
from pubcli.catalogue.slug import slugify
from pubcli.errors import InvalidInputError
from pubcli.model import Publication
from pubcli.safe_text import one_line, quoted

# In JSON these values mean "absent", so that pubcli's own JSON output can be added back.
_EMPTY_MEANS_ABSENT: dict[str, object] = {"date": None, "url": None, "summary": "", "topics": []}


NO_ID_FROM_TITLE = "cannot make an id from the title; give one with --id"

PROMPTED_FIELDS = ("title", "type", "components")
"""The fields add asks for on a terminal when they are missing (the required ones but id)."""


def answer_value(key: str, answer: str) -> object:
    """A prompt's answer as the value of ``key``: a list field's values are comma-separated
    (empty parts, as after a trailing comma, are no values)."""
    if key in ("components", "topics"):
        return [part for part in answer.split(",") if part.strip()]
    return answer


def answer_problems(key: str, value: object, *, id_given: bool) -> list[str]:
    """What is wrong with ``value`` for ``key``, as ``prepare`` would say once every answer
    is in: the same rules, checked as each answer is typed."""
    typed = as_typed({key: value})[key]
    problems = field_problems(key, typed)
    if key == "title" and not problems and not id_given and not slugify(typed):
        problems.append(NO_ID_FROM_TITLE)
    return problems


def prepare(fields: Mapping[str, Any]) -> tuple[Publication | None, list[str]]:
    """Validate one new entry given as catalogue keys, with ``date`` as ``YYYY-MM-DD`` text.

    Values are taken as meant (``rules.as_typed``: surrounding whitespace and Windows line
    ends go). A missing id is made from the title. Returns the publication, or None and
    every problem.
    """
    raw: dict[str, Any] = {
        key: value
        for key, value in as_typed(fields).items()
        if not (key in _EMPTY_MEANS_ABSENT and value == _EMPTY_MEANS_ABSENT[key])
    }
    problems: list[str] = []
    if "date" in raw:
        date_text = raw["date"]
        parsed = parse_iso_date(date_text) if isinstance(date_text, str) else None
        if parsed is None:
            shown = quoted(date_text) if isinstance(date_text, str) else repr(repr(date_text))
            problems.append(f"'date' {shown} is not a real date written YYYY-MM-DD")
            del raw["date"]
        else:
            raw["date"] = parsed
    id_missing = "id" not in raw
    if id_missing and isinstance(raw.get("title"), str) and raw["title"].strip():
        made = slugify(raw["title"])
        if made:
            raw["id"] = made
        else:
            problems.append(NO_ID_FROM_TITLE)
    publication, entry_problems = validate_entry(raw)
    if id_missing and "title" in raw:
        # The title's own problem, or the one above, already says why there is no id.
        entry_problems = [p for p in entry_problems if p != "missing required key 'id'"]
    problems += entry_problems
    return (publication if not problems else None), problems


def parse_json_records(text: str) -> list[Any]:
    """Read one JSON object, a JSON array of objects, or JSON Lines.

    Input that Python's json cannot hold as valid data is refused like a syntax error:
    nesting deeper than the parser's recursion, integers beyond ``int``'s digit limit,
    and lone surrogates (``"\\udc80"``), which no UTF-8 file can store.
    """
    try:
        document = _loads(text)
    except json.JSONDecodeError as whole_error:
        lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        if len(lines) < 2:
            raise _json_error(whole_error) from None
        records = []
        for number, line in lines:
            try:
                records.append(_loads(line))
            except json.JSONDecodeError as line_error:
                unplaced = isinstance(line_error, _Unplaced)
                where = "" if unplaced else f" (column {line_error.colno})"
                raise InvalidInputError(
                    [f"line {number}: invalid JSON: {line_error.msg}{where}"]
                ) from None
        return records
    if isinstance(document, list):
        return document
    return [document]


class _Unplaced(json.JSONDecodeError):
    """Input json refuses without saying where."""

    def __init__(self, message: str, text: str) -> None:
        super().__init__(message, text, 0)


def _loads(text: str) -> Any:
    """``json.loads``, raising ``JSONDecodeError`` for what it would otherwise crash on
    (deep nesting, huge integers) or let through (lone surrogates)."""
    try:
        document = json.loads(text)
    except RecursionError:
        raise _Unplaced("arrays or objects nested too deeply", text) from None
    except json.JSONDecodeError:
        raise
    except ValueError:  # int() refuses more digits than sys.get_int_max_str_digits()
        import sys

        limit = sys.get_int_max_str_digits()
        raise _Unplaced(f"a number has more than {limit} digits", text) from None
    if _holds_surrogate(document):
        escape = _LONE_SURROGATE_ESCAPE.search(text)
        message = "a string holds a lone surrogate, which is not a character"
        if escape is None:
            raise _Unplaced(message, text)
        raise json.JSONDecodeError(f"{escape.group()}: {message}", text, escape.start())
    return document


# A \uD800-\uDFFF escape not paired as high then low: where the lone surrogate was written.
_LONE_SURROGATE_ESCAPE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _holds_surrogate(document: Any) -> bool:
    """Whether any key or string in ``document`` holds a lone surrogate (no recursion)."""
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                return True
        elif isinstance(value, dict):
            pending.extend(value)
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False


def _json_error(error: json.JSONDecodeError) -> InvalidInputError:
    if isinstance(error, _Unplaced):
        return InvalidInputError([f"invalid JSON: {error.msg}"])
    return InvalidInputError(
        [f"invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}"]
    )


def prepare_records(records: Sequence[Any]) -> list[Publication]:
    """Validate every record and collisions between them; all or nothing."""
    publications: list[Publication] = []
    problems: list[str] = []
    if not records:
        raise InvalidInputError(["no records to add"])
    for number, record in enumerate(records, 1):
        if not isinstance(record, dict):
            problems.append(f"record {number}: must be a JSON object")
            continue
        publication, record_problems = prepare(record)
        label = record.get("id") if isinstance(record.get("id"), str) else None
        where = f"record {number}" + (f" ({one_line(label)})" if label else "")
        problems += [f"{where}: {problem}" for problem in record_problems]
        if publication is not None:
            publications.append(publication)
    problems += collisions(publications, Taken())  # between the records themselves
    if problems:
        raise InvalidInputError(problems)
    return publications
