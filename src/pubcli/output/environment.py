"""Every fact about where pubcli prints, decided in one place (httpie's ``context.Environment``).

Is standard output a terminal, is standard input, can the output take UTF-8, may it be
coloured, how wide is it. The default is read from the process when asked; a test runs
pubcli with its own (``main(arguments, environment)``) to say "a terminal" or "a pipe"
without either. ``choose_format`` is the one place where "a table on a terminal, else a
machine format" is decided.
"""

from __future__ import annotations

import codecs
import os
import sys
from typing import NamedTuple


class Environment(NamedTuple):
    """The terminal facts that decide how pubcli prints."""

    stdout_isatty: bool
    """Standard output is a terminal: tables, panels and styles are for it."""
    stdin_isatty: bool
    """Standard input is a terminal: prompts may ask (never block a script)."""
    stdout_utf8: bool
    """Standard output takes any text; else JSON falls back to \\u escapes."""
    colour: bool
    """Colour is allowed: NO_COLOR is not set (bold and dim may stay)."""
    width: int | None = None
    """Columns to fit; None in a test's environment means Rich's default (80 off a terminal)."""

    @classmethod
    def from_process(cls) -> Environment:
        """The facts of this process's streams and variables, as they are now."""
        return cls(
            stdout_isatty=_isatty(sys.stdout),
            stdin_isatty=_isatty(sys.stdin),
            stdout_utf8=_is_utf8(getattr(sys.stdout, "encoding", None)),
            colour=os.environ.get("NO_COLOR", "") == "",
            width=_width(sys.stdout),
        )


WIDEST = 10_000
"""A wider COLUMNS is taken for garbage: no terminal is that wide."""


def _width(stream: object) -> int:
    """The columns to fit: COLUMNS when it is a sensible number; else (unset, 0, negative,
    not a number) the terminal's own width; else (no terminal, or one that says 0) 80."""
    text = os.environ.get("COLUMNS", "").strip()
    if text.isascii() and text.isdigit() and 0 < int(text) <= WIDEST:
        return int(text)
    try:
        columns = os.get_terminal_size(stream.fileno()).columns  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):
        columns = 0
    return columns if 0 < columns <= WIDEST else 80


def _isatty(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):
        return False


def _is_utf8(encoding: str | None) -> bool:
    try:
        return codecs.lookup(encoding or "ascii").name == "utf-8"
    except LookupError:
        return False


_chosen: Environment | None = None


def current() -> Environment:
    """The environment of this run: the one given to ``main``, else the process's."""
    return _chosen if _chosen is not None else Environment.from_process()


def choose(environment: Environment | None) -> Environment | None:
    """Make ``environment`` this run's (None: the process's); return the one it replaces."""
    global _chosen
    previous, _chosen = _chosen, environment
    return previous


def choose_format(explicit: str | None, *, elsewhere: str) -> str:
    """The format to print in: an explicit ``--format`` always wins; else ``table`` on a
    terminal and ``elsewhere`` (tsv, csv, field lines) into a pipe or a file."""
    if explicit:
        return explicit
    return "table" if current().stdout_isatty else elsewhere
