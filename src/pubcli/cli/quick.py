"""A quick route for the commonest calls, ``list`` and ``filter``, without loading Typer.

Scripts call ``pubcli filter ... --format ids`` in loops, and importing Typer and Click
costs more than answering from the cache. The route decides before any I/O whether a call
is its own: every argument a declared option of list or filter (``listing.OPTIONS``),
spelt ``--option value`` or ``--option=value``, with a value Typer would accept. Anything
else (help, another command, an unknown or abbreviated option, a value Typer would refuse)
is left to the full command line. A call it takes it finishes itself, reporting errors
through the same mapping as the Typer commands (``failures.report``): it never runs a
command twice.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pubcli.cli.listing import OPTIONS, Option
from pubcli.errors import PubcliError
from pubcli.output.streams import decode_arguments

_DIGITS = re.compile(r"[0-9]+")

Parsed = dict[str, "str | bool | int | list[str]"]


def _accepted(option: Option, value: str) -> bool:
    """Whether Typer would take ``value`` for ``option`` as it is."""
    if value.startswith("-"):
        return False  # Click's reading of such a value is not worth copying
    if option.choices is not None and value not in option.choices:
        return False
    return not option.number or bool(_DIGITS.fullmatch(value))


def parse(arguments: Sequence[str]) -> tuple[str, Parsed] | None:
    """The command and its option values (by ``Option.dest``) if the call is the quick
    route's; None if it is the full command line's. Reads nothing but ``arguments``."""
    try:
        decoded = decode_arguments(arguments)
    except PubcliError:
        return None
    if not decoded or decoded[0] not in OPTIONS:
        return None
    command = decoded[0]
    by_flag = {o.name: o for o in OPTIONS[command]}
    by_flag.update({o.short: o for o in OPTIONS[command] if o.short})
    parsed: Parsed = {}
    rest = iter(decoded[1:])
    for argument in rest:
        if argument.startswith("--"):
            name, equals, value = argument.partition("=")
        else:
            name, equals, value = argument, "", ""
        option = by_flag.get(name)
        if option is None:
            return None
        if option.flag:
            if equals:
                return None
            parsed[option.dest] = True
            continue
        if not equals:
            following = next(rest, None)
            if following is None:
                return None
            value = following
        if not _accepted(option, value):
            return None
        if option.repeatable:
            values = parsed.setdefault(option.dest, [])
            assert isinstance(values, list)
            values.append(value)
        else:
            parsed[option.dest] = int(value) if option.number else value
    return command, parsed


def try_run(arguments: Sequence[str]) -> int | None:
    """Answer a plain list or filter call and return its exit code; None to decline."""
    call = parse(arguments)
    if call is None:
        return None
    from pubcli.cli.failures import report
    from pubcli.cli.listing import answer

    try:
        return answer(*call)
    except BaseException as error:  # noqa: B036 - every ending is reported, as by the full CLI
        return report(error)
