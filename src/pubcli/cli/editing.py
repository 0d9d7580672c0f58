"""``pubcli edit ID`` in an editor: the entry's block in ``$VISUAL``, ``$EDITOR`` or ``vi``.

The block is written to a private temporary file (never beside the catalogue), the
editor run on it as git runs one (the variable split like a shell command line), and
the saved text planned as a replacement of the block (``changes.plan_replace``). If it is
not a valid entry, the editor opens again with the problems as ``#`` comments at the top
(as ``kubectl edit`` does). An unchanged, emptied or deleted buffer cancels, and so does
the refused text saved again. No Typer here.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from pubcli.catalogue.changes import Change, block_of, plan_replace
from pubcli.catalogue.writer import read_bytes, target_of
from pubcli.errors import InvalidInputError, UsageError
from pubcli.safe_text import one_line, quoted
from pubcli.store.updates import change_catalogue

_BLANK = " \t\r\n"
_PROBLEMS_HEAD = "# pubcli: this entry was not saved; fix it, or empty the file to cancel:"


def editor_command(environ: Mapping[str, str]) -> list[str]:
    """``$VISUAL``, else ``$EDITOR``, else ``vi``, split as a shell would (as git does)."""
    for name in ("VISUAL", "EDITOR"):
        value = environ.get(name, "").strip()
        if value:
            try:
                return shlex.split(value)
            except ValueError as error:
                raise UsageError(f"cannot read ${name}: {one_line(str(error))}") from None
    return ["vi"]


def edit_in_editor(
    path: Path, display: str, id_: str, cache_directory: Path | None
) -> Change | None:
    """Let the user edit the entry ``id_`` until it is valid; write it. None if cancelled."""
    original = block_of(read_bytes(target_of(path, display)), display, id_)
    original_text = original.decode("utf-8")
    newline = "\r\n" if "\r\n" in original_text else "\n"
    # The blank lines that end the block are not the entry's: kept out of the editor and
    # put back after the edited text.
    body = original_text.rstrip(_BLANK)
    tail = original_text[len(body) :]
    descriptor, name = tempfile.mkstemp(prefix="pubcli-edit-", suffix=".toml")
    os.close(descriptor)
    try:
        buffer = body + newline
        rejected: str | None = None
        while True:
            Path(name).write_bytes(buffer.encode("utf-8"))
            _run_editor(name)
            try:
                saved = Path(name).read_bytes().decode("utf-8")
            except FileNotFoundError:
                return None  # the editor removed the buffer: nothing left to save
            except UnicodeDecodeError:
                raise UsageError(
                    "the edited entry is not valid UTF-8; nothing was written"
                ) from None
            # An editor may save its own line ends; the block keeps the file's, so that
            # one edit does not leave the file with two kinds.
            saved = saved.replace("\r\n", "\n").replace("\n", newline)
            text = _without_problems(saved).rstrip(_BLANK)
            # The text already refused, saved again, is the user giving up (or an editor
            # that cannot fix it): reopening it would loop for ever.
            if text in (body, rejected) or not _has_content(text):
                return None
            rejected = text
            text += tail
            try:
                return change_catalogue(
                    path, display, _replacing(display, id_, original, text), cache_directory
                )[0]
            except InvalidInputError as error:
                buffer = _with_problems(text.removesuffix(tail) + newline, error.problems, newline)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(name)


def _replacing(display: str, id_: str, original: bytes, text: str) -> Callable[[bytes], Change]:
    return lambda data: plan_replace(data, display, id_, original, text)


def _run_editor(name: str) -> None:
    command = editor_command(os.environ)
    try:
        editor = subprocess.Popen([*command, name])
    except OSError as error:
        shown = quoted(command[0])
        raise UsageError(f"cannot run the editor {shown}: {error.strerror or error}") from None
    # As git does while its editor runs: Ctrl-C and Ctrl-\ reach the editor too, and are
    # its keys (vim leaves insert mode on Ctrl-C). Ending here would kill the editor under
    # the user and lose the edit.
    with _ignoring(signal.SIGINT, signal.SIGQUIT):
        status = editor.wait()
    if status == -signal.SIGINT:  # the editor itself was ended by Ctrl-C
        raise KeyboardInterrupt
    if status != 0:
        raise UsageError(f"the editor exited with status {status}; nothing was written")


@contextlib.contextmanager
def _ignoring(*signals: signal.Signals) -> Iterator[None]:
    """Ignore ``signals`` in this process meanwhile (only the main thread may)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = [(number, signal.signal(number, signal.SIG_IGN)) for number in signals]
    try:
        yield
    finally:
        for number, handler in previous:
            signal.signal(number, handler)


def _with_problems(text: str, problems: list[str], newline: str) -> str:
    lines = [_PROBLEMS_HEAD, *(f"#   {one_line(problem)}" for problem in problems), "#"]
    return newline.join(lines) + newline + text


def _without_problems(saved: str) -> str:
    """The buffer without the problem comments pubcli put at its top."""
    if not saved.startswith(_PROBLEMS_HEAD):
        return saved
    lines = saved.splitlines(keepends=True)
    rest = 1
    while rest < len(lines) and lines[rest].startswith("#") and lines[rest].rstrip() != "#":
        rest += 1
    return "".join(lines[rest + 1 :])


def _has_content(text: str) -> bool:
    """Whether anything but blank lines and comments is left."""
    return any(line.strip() and not line.lstrip().startswith("#") for line in text.splitlines())
