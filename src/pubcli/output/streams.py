"""Everything pubcli prints goes through here: streams, encodings, closed pipes, messages.

No Typer here: the quick route (``cli/quick.py``) prints through the same helpers.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Iterable, Sequence

from pubcli.catalogue.problems import Problem
from pubcli.errors import UsageError
from pubcli.fields import Record
from pubcli.output.environment import current
from pubcli.safe_text import one_line


class OutputClosedError(Exception):
    """Standard output was closed by its reader (``pubcli list | head -1``)."""


def write(chunks: Iterable[str]) -> None:
    """Write text to standard output; a reader that went away raises ``OutputClosedError``."""
    try:
        for chunk in chunks:
            sys.stdout.write(chunk)
        sys.stdout.flush()
    except BrokenPipeError:
        raise OutputClosedError from None


def print_renderable(make: Callable[[int], object]) -> None:
    """Print with Rich what ``make(width)`` builds for the width of standard output."""
    from pubcli.output.render import make_console

    try:
        console = make_console(sys.stdout, current())
        # Not cropped: a value that must stay whole runs on, and the terminal wraps it.
        console.print(make(console.width), crop=False)
        sys.stdout.flush()
    except BrokenPipeError:
        raise OutputClosedError from None


def print_renderables(make: Callable[[int], Iterable[object]]) -> None:
    """Print with Rich, one after another as they come, what ``make(width)`` yields: a long
    table starts at once, in bounded memory."""
    from pubcli.output.render import make_console

    try:
        console = make_console(sys.stdout, current())
        for renderable in make(console.width):
            console.print(renderable, crop=False)
            sys.stdout.flush()
    except BrokenPipeError:
        raise OutputClosedError from None


def print_full_view(publication: Record) -> None:
    """One publication in full, in a panel (for a terminal)."""
    from pubcli.output.render import publication_view

    print_renderable(lambda width: publication_view(publication, width))


def say(prefix: str, message: str) -> None:
    """Write ``message`` to standard error, each of its lines after ``prefix``."""
    for line in message.splitlines() or [""]:
        sys.stderr.write(f"{prefix}{line}\n")
    sys.stderr.flush()


def warn_newer_schema(version: int | None, display: str) -> None:
    """The one warning about a file written for a newer pubcli (SPEC section 1)."""
    if version is not None:
        from pubcli.catalogue.rules import newer_schema_warning

        say("warning: ", f"{one_line(display)}: {newer_schema_warning(version)}")


def warn_skipped(problems: Sequence[Problem], display: str) -> None:
    """One warning per entry left out, and a hint to run check."""
    skipped = [problem for problem in problems if problem.skips_entry]
    for problem in skipped:
        say("warning: ", str(problem))
    if skipped:
        say("hint: ", f"invalid entries were skipped; run 'pubcli check -c {one_line(display)}'")


def prepare_streams() -> None:
    """Make standard output and error safe to write whatever the locale."""
    # A closed standard stream (pubcli list >&-) is None in Python: write nowhere.
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w")
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")
    # Text that the output encoding cannot hold is shown escaped, never a crash.
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")


def silence_stdout() -> None:
    """The reader is gone: point stdout at /dev/null so the final flush cannot fail."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    finally:
        os.close(devnull)


def decode_arguments(arguments: Sequence[str]) -> list[str]:
    """Recover UTF-8 arguments that a non-UTF-8 locale decoded as surrogates; refuse others."""
    decoded = []
    for argument in arguments:
        try:
            argument.encode("utf-8")
        except UnicodeEncodeError:
            raw = os.fsencode(argument)
            try:
                argument = raw.decode("utf-8")
            except UnicodeError:
                shown = one_line(raw.decode("utf-8", "backslashreplace"))
                raise UsageError(f"argument '{shown}' is not valid UTF-8") from None
        decoded.append(argument)
    return decoded
