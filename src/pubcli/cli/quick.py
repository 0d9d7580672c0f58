"""A quick route for the commonest calls, ``list`` and ``filter``, without loading Typer.

Scripts call ``pubcli filter ... --format ids`` in loops, and importing Typer and Click
costs more than answering from the cache. When every argument is a plainly valid option
of list or filter (spelt ``--option value`` or ``--option=value``), this module answers
with the very functions the Typer commands call. Anything else (help, another command,
an unknown or abbreviated option, a value Typer would refuse) is declined before a byte
is printed, and the full command line runs instead, so every message and exit code stays
that of the Typer commands. An error met once the catalogue is being read is reported
here as the full command line reports it, so that no call reads the file twice.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pubcli import exit_codes
from pubcli.errors import PubcliError
from pubcli.output.formats import FORMATS, parse_columns
from pubcli.output.streams import (
    OutputClosedError,
    decode_arguments,
    say,
    silence_stdout,
)
from pubcli.store.query import SORT_KEYS, Criteria, parse_date_bound

_SINGLE = {"--sort": "sort", "--limit": "limit", "--format": "format", "-f": "format",
           "--columns": "columns", "--catalogue": "catalogue", "-c": "catalogue",
           "--since": "since", "--until": "until"}  # fmt: skip
_REPEATED = {"--type": "types", "--component": "components", "--topic": "topics",
             "--text": "texts"}  # fmt: skip
_FLAGS = {"--reverse": "reverse", "--no-cache": "no_cache"}
_FILTER_ONLY = {"--type", "--component", "--topic", "--text", "--since", "--until"}
_DIGITS = re.compile(r"[0-9]+")


class _Declined(Exception):
    """Not a call this route answers: run the full command line."""


class _Call:
    """The options of one call, as given."""

    def __init__(self) -> None:
        self.single: dict[str, str] = {}
        self.repeated: dict[str, list[str]] = {name: [] for name in _REPEATED.values()}
        self.flags: set[str] = set()


def _parse(command: str, arguments: Sequence[str]) -> _Call:
    call = _Call()
    position = 0
    while position < len(arguments):
        argument = arguments[position]
        position += 1
        if argument.startswith("--"):
            name, equals, value = argument.partition("=")
        else:
            name, equals, value = argument, "", ""
        if name in _FLAGS and not equals:
            call.flags.add(_FLAGS[name])
            continue
        if name not in _SINGLE and name not in _REPEATED:
            raise _Declined
        if command == "list" and name in _FILTER_ONLY:
            raise _Declined
        if not equals:
            if position >= len(arguments):
                raise _Declined
            value = arguments[position]
            position += 1
        if value.startswith("-"):
            raise _Declined  # Click's reading of such a value is not worth copying
        if name in _REPEATED:
            call.repeated[_REPEATED[name]].append(value)
        else:
            call.single[_SINGLE[name]] = value
    # Refuse what Typer would refuse: it then says so in its own words.
    if call.single.get("sort", "date") not in SORT_KEYS:
        raise _Declined
    if call.single.get("format", "tsv") not in FORMATS:
        raise _Declined
    if not _DIGITS.fullmatch(call.single.get("limit", "0")):
        raise _Declined
    return call


def try_run(arguments: Sequence[str]) -> int | None:
    """Answer a plain list or filter call and return its exit code; None to decline."""
    try:
        decoded = decode_arguments(arguments)
        if not decoded or decoded[0] not in ("list", "filter"):
            return None
        command = decoded[0]
        call = _parse(command, decoded[1:])
        single, repeated = call.single, call.repeated
        if "columns" in single:
            parse_columns(single["columns"])
        since, until = single.get("since"), single.get("until")
        criteria = Criteria(
            types=tuple(repeated["types"]),
            components=tuple(repeated["components"]),
            topics=tuple(repeated["topics"]),
            texts=tuple(repeated["texts"]),
            since=parse_date_bound(since, end=False, option="--since") if since else None,
            until=parse_date_bound(until, end=True, option="--until") if until else None,
        )
    except (_Declined, PubcliError):
        return None
    from pubcli.cli.reading import print_listing

    try:
        count = print_listing(
            criteria,
            sort=single.get("sort", "date"),
            reverse="reverse" in call.flags,
            limit=int(single["limit"]) if "limit" in single else None,
            output_format=single.get("format"),
            columns=single.get("columns"),
            catalogue=single.get("catalogue"),
            no_cache="no_cache" in call.flags,
            empty_message="no publications in the catalogue"
            if command == "list"
            else "no publications match",
        )
    except PubcliError as error:
        # Reported here in the full CLI's words (app.run): declining would read the
        # catalogue a second time (and print its warnings twice).
        say("error: ", str(error))
        return error.exit_code
    except OutputClosedError:
        silence_stdout()
        return exit_codes.OK
    except KeyboardInterrupt:
        say("error: ", "interrupted")
        return exit_codes.INTERRUPTED
    if command == "filter" and not count:
        return exit_codes.NO_MATCH
    return exit_codes.OK
