"""Everything pubcli prints goes through here: streams, encodings, closed pipes, messages.

No Typer here: the quick route (``cli/quick.py``) prints through the same helpers.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, TYPE_CHECKING

from pubcli.catalogue.problems import Problem
from pubcli.errors import UsageError
from pubcli.fields import Record
from pubcli.output.environment import Environment, current
from pubcli.safe_text import one_line

if TYPE_CHECKING:
    import subprocess


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
    print_renderables(lambda width: [make(width)])


def print_renderables(make: Callable[[int], Iterable[object]]) -> None:
    """Print with Rich, one after another as they come, what ``make(width)`` yields: a long
    table starts at once, in bounded memory. A view taller than the terminal goes through
    the pager (SPEC 12), streamed into it as it is made."""
    from pubcli.output.render import make_console

    environment = current()
    try:
        with _paged(environment) as output:
            console = make_console(output, environment)
            for renderable in make(console.width):
                # Not cropped: a value that must stay whole runs on, and the terminal wraps it.
                console.print(renderable, crop=False)
                output.flush()
    except BrokenPipeError:
        raise OutputClosedError from None


class _PagerQuit(Exception):
    """The pager ended before reading everything (the user pressed q)."""


class _Paging(io.TextIOBase):
    """Standard output while the text fits the terminal; once it outgrows it, the pager,
    given what was held back and then the rest as it comes."""

    def __init__(self, command: str, height: int) -> None:
        self._command = command
        self._height = height
        self._held: list[str] = []
        self._lines = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._pipe: IO[str] | None = None

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self._pipe is not None:
            self._send(text)
            return len(text)
        self._held.append(text)
        self._lines += text.count("\n")
        if self._lines >= self._height:  # the first line would scroll away under the prompt
            self._start()
        return len(text)

    def flush(self) -> None:
        if self._pipe is not None:
            try:
                self._pipe.flush()
            except BrokenPipeError:
                raise _PagerQuit from None

    def _send(self, text: str) -> None:
        assert self._pipe is not None
        try:
            self._pipe.write(text)
        except BrokenPipeError:
            raise _PagerQuit from None

    def _start(self) -> None:
        import shlex
        import subprocess

        held, self._held = "".join(self._held), []
        environ = dict(os.environ)
        # As git does: less shows colour (R), quits on one screen (F), keeps the screen (X).
        environ.setdefault("LESS", "FRX")
        environ.setdefault("LV", "-c")
        try:
            words = shlex.split(self._command)
        except ValueError:
            words = []
        # Quotes and backslashes need no shell (shlex splits as sh does): a missing pager is
        # then a warning and the view printed, not sh's "not found" and nothing shown.
        plain = words and not any(c in self._command for c in "|&;<>()$`*?[#~=%")
        argv = words if plain else ["/bin/sh", "-c", self._command]
        try:
            self._process = subprocess.Popen(argv, stdin=subprocess.PIPE, env=environ)
        except OSError as error:
            say("warning: ", f"cannot run pager {one_line(self._command)}: {error.strerror}")
            sys.stdout.write(held)
            self._pipe = sys.stdout
            return
        assert self._process.stdin is not None
        self._pipe = io.TextIOWrapper(
            self._process.stdin,
            encoding=getattr(sys.stdout, "encoding", None) or "utf-8",
            errors="backslashreplace",
        )
        self._send(held)

    def finish(self) -> None:
        """Print what was held back, or let the pager read to the end and wait for it."""
        if self._pipe is None:
            sys.stdout.write("".join(self._held))
            sys.stdout.flush()
            return
        self.end()

    def end(self) -> None:
        """Close the pager's input and wait for the user to leave it, ignoring Ctrl-C
        meanwhile: the pager owns the terminal until then, as git waits for its own."""
        import signal

        if self._process is None:
            return
        with contextlib.suppress(BrokenPipeError, OSError, ValueError):
            assert self._pipe is not None
            self._pipe.close()
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            self._process.wait()
        finally:
            signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def _paged(environment: Environment) -> Iterator[IO[str]]:
    """Standard output, through the pager when there is one and the view needs it."""
    if environment.pager is None or environment.height is None:
        yield sys.stdout
        return
    paging = _Paging(environment.pager, environment.height)
    try:
        yield paging  # type: ignore[misc]
    except _PagerQuit:
        paging.end()  # quitting the pager early is how a user stops reading: exit 0
        return
    except BaseException:
        paging.end()
        raise
    paging.finish()


def print_full_views(publications: Sequence[Record]) -> None:
    """Publications in full, one view each (for a terminal), through one pager."""
    from pubcli.output.render import publication_view

    def views(width: int) -> Iterator[object]:
        for number, publication in enumerate(publications):
            if number:
                yield ""  # a blank line between two, as between field lines
            yield publication_view(publication, width)

    print_renderables(views)


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
    return [_recover_utf8(argument, os.fsencode, "argument") for argument in arguments]


def decode_answer(answer: str) -> str:
    """A prompt's answer, recovered as UTF-8 like an argument: bytes that are not UTF-8
    reach Python as surrogates (surrogateescape), which no file or terminal can write."""

    def raw_bytes(text: str) -> bytes:
        return text.encode(sys.stdin.encoding or "utf-8", "surrogateescape")

    return _recover_utf8(answer, raw_bytes, "the answer")


def _recover_utf8(text: str, raw_bytes: Callable[[str], bytes], what: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raw = raw_bytes(text)
        try:
            return raw.decode("utf-8")
        except UnicodeError:
            shown = one_line(raw.decode("utf-8", "backslashreplace"))
            raise UsageError(f"{what} '{shown}' is not valid UTF-8") from None
    return text
