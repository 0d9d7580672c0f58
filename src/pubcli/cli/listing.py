"""``list`` and ``filter``: their options declared once as data, and the one function that
answers them.

Both routes read this module. The quick route (``quick``) parses arguments with the
declaration and calls ``answer``; the Typer commands (``app``) take their choices from
the same core constants and call ``answer`` too. A test walks the Typer app's parameters
and compares them with ``OPTIONS`` (names, short flags, flag or value, repeatable,
choices), so the two routes accept the same calls by construction. No Typer here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from pubcli import exit_codes
from pubcli.errors import UsageError
from pubcli.output.formats import FORMATS, parse_columns
from pubcli.safe_text import one_line
from pubcli.store.query import SORT_KEYS, Criteria, parse_date_bound


class Option(NamedTuple):
    """One option of list or filter, as a user spells it."""

    name: str
    """The long flag, such as ``--sort``."""
    dest: str
    """The command function's parameter (Click's name for it)."""
    short: str | None = None
    """The short flag, such as ``-f``."""
    flag: bool = False
    """A switch that takes no value."""
    repeatable: bool = False
    """Given several times, every value counts (else the last one does)."""
    choices: tuple[str, ...] | None = None
    """The only values accepted."""
    number: bool = False
    """A whole number, 0 or more."""


OUTPUT_OPTIONS: tuple[Option, ...] = (
    Option("--sort", "sort", choices=SORT_KEYS),
    Option("--reverse", "reverse", flag=True),
    Option("--limit", "limit", number=True),
    Option("--format", "output_format", short="-f", choices=FORMATS),
    Option("--columns", "columns"),
    Option("--catalogue", "catalogue", short="-c"),
    Option("--no-cache", "no_cache", flag=True),
)
"""The options of list, which filter takes too."""

CRITERIA_OPTIONS: tuple[Option, ...] = (
    Option("--type", "type_", repeatable=True),
    Option("--component", "component", repeatable=True),
    Option("--topic", "topic", repeatable=True),
    Option("--since", "since"),
    Option("--until", "until"),
    Option("--text", "text", repeatable=True),
)
"""What filter selects by (stats takes these too)."""

OPTIONS: dict[str, tuple[Option, ...]] = {
    "list": OUTPUT_OPTIONS,
    "filter": CRITERIA_OPTIONS + OUTPUT_OPTIONS,
}
"""Every option of each command, by command name."""

EMPTY_MESSAGES = {"list": "no publications in the catalogue", "filter": "no publications match"}

Given = Mapping[str, "str | bool | int | Sequence[str] | None"]
"""Option values by ``Option.dest``; absent or None means not given."""


def criteria_from(given: Given) -> Criteria:
    """The criteria of filter (or stats) from its option values; a bad date is a usage error."""

    def values(dest: str) -> tuple[str, ...]:
        value = given.get(dest)
        return tuple(value) if isinstance(value, list | tuple) else ()

    since, until = given.get("since"), given.get("until")
    criteria = Criteria(
        types=values("type_"),
        components=values("component"),
        topics=values("topic"),
        texts=values("text"),
        since=parse_date_bound(since, end=False, option="--since")
        if isinstance(since, str) and since
        else None,
        until=parse_date_bound(until, end=True, option="--until")
        if isinstance(until, str) and until
        else None,
    )
    if criteria.since and criteria.until and criteria.since > criteria.until:
        # Matching nothing in silence would look like an empty catalogue (a likely typo).
        raise UsageError(
            f"empty date range: --since {one_line(str(since))} is after "
            f"--until {one_line(str(until))}"
        )
    return criteria


def answer(command: str, given: Given) -> int:
    """Run ``list`` or ``filter`` with these option values and return the exit code.

    Errors are raised (``PubcliError`` and the like) for the caller's one mapping to a
    message and an exit code.
    """
    from pubcli.cli.reading import print_listing

    def text(dest: str) -> str | None:
        value = given.get(dest)
        return value if isinstance(value, str) else None

    criteria = criteria_from(given) if command == "filter" else Criteria()
    columns = text("columns")
    if command == "filter" and columns:
        parse_columns(columns)  # a bad --columns is a usage error even before loading
    limit = given.get("limit")
    count = print_listing(
        criteria,
        sort=text("sort") or "date",
        reverse=bool(given.get("reverse")),
        limit=limit if isinstance(limit, int) and not isinstance(limit, bool) else None,
        output_format=text("output_format"),
        columns=columns,
        catalogue=text("catalogue"),
        no_cache=bool(given.get("no_cache")),
        empty_message=EMPTY_MESSAGES[command],
    )
    if command == "filter" and not count:
        return exit_codes.NO_MATCH
    return exit_codes.OK
