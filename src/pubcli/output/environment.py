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
from collections.abc import Mapping
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
    """Colour is allowed (``--color``, else NO_COLOR, else the config): bold and dim may
    stay without it."""
    width: int | None = None
    """Columns to fit; None in a test's environment means Rich's default (80 off a terminal)."""
    styled: bool | None = None
    """Escape sequences (styles, colour, links) may be written; None: on a terminal only.
    ``--color always`` styles a pipe too, ``--color never`` not even a terminal."""
    height: int | None = None
    """Lines of the terminal; None when unknown (then nothing is paged)."""
    pager: str | None = None
    """The shell command that a view taller than the terminal goes through; None: none."""

    @classmethod
    def from_process(cls, color: str | None = None, *, no_pager: bool = False) -> Environment:
        """The facts of this process's streams and variables, as they are now; ``color``
        and ``no_pager`` are the global options (``--color``, ``--no-pager``)."""
        from pubcli.config import load_config

        settings = load_config(os.environ)
        stdout_isatty = _isatty(sys.stdout)
        choice = color or settings.color or "auto"
        return cls(
            stdout_isatty=stdout_isatty,
            stdin_isatty=_isatty(sys.stdin),
            stdout_utf8=_is_utf8(getattr(sys.stdout, "encoding", None)),
            colour=_colour(choice, color is not None or settings.color is not None, os.environ),
            width=_width(sys.stdout),
            styled={"always": True, "never": False}.get(choice, stdout_isatty),
            height=_height(sys.stdout) if stdout_isatty else None,
            pager=None
            if no_pager or not stdout_isatty
            else pager_command(os.environ, settings.pager),
        )

    @property
    def escapes(self) -> bool:
        """Whether escape sequences may be written (``styled``, else: on a terminal)."""
        return self.stdout_isatty if self.styled is None else self.styled


def _colour(choice: str, chosen: bool, environ: Mapping[str, str]) -> bool:
    """Colour for ``choice``. A choice made by the flag or the config file overrides
    NO_COLOR, as no-color.org asks of both; ``auto`` is colour unless NO_COLOR is set."""
    if choice == "never":
        return False
    if choice == "always" and chosen:
        return True
    return environ.get("NO_COLOR", "") == ""


DEFAULT_PAGER = "less -FRX"


def pager_command(environ: Mapping[str, str], configured: str | None) -> str | None:
    """The pager (SPEC 12): PUBCLI_PAGER, else the config file's ``pager``, else PAGER,
    else ``less -FRX`` where less exists. Empty (or ``cat``, as git treats it) is none.

    pubcli's own settings come before the general PAGER, as git puts GIT_PAGER and
    core.pager before it: a pager chosen for pubcli is meant for pubcli.
    """
    for command in (environ.get("PUBCLI_PAGER"), configured, environ.get("PAGER")):
        if command is not None:
            return command if command.strip() not in ("", "cat") else None
    import shutil

    return DEFAULT_PAGER if shutil.which("less") else None


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


def _height(stream: object) -> int | None:
    """The lines of the terminal: LINES when it is a sensible number, else the terminal's
    own; None when neither says (a pseudo-terminal never sized)."""
    text = os.environ.get("LINES", "").strip()
    if text.isascii() and text.isdigit() and 0 < int(text) <= WIDEST:
        return int(text)
    try:
        lines = os.get_terminal_size(stream.fileno()).lines  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):
        return None
    return lines if 0 < lines <= WIDEST else None


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
_global_options: dict[str, object] = {}
_of_process: list[Environment] = []
"""The process's environment, read once per run (the config file is read to make it)."""


def current() -> Environment:
    """The environment of this run: the one given to ``main``, else the process's."""
    if _chosen is not None:
        return _apply(_chosen)
    if not _of_process:
        color = _global_options.get("color")
        _of_process.append(
            Environment.from_process(
                color if isinstance(color, str) else None,
                no_pager=bool(_global_options.get("no_pager")),
            )
        )
    return _of_process[0]


def current_width() -> int | None:
    """The width of this run's output, without the config file: help must print even when
    the config is broken (its message says how to find and fix the file)."""
    if _chosen is not None:
        return _chosen.width
    if _of_process:
        return _of_process[0].width
    return _width(sys.stdout)


def _apply(environment: Environment) -> Environment:
    color = _global_options.get("color")
    if color in ("always", "never"):
        environment = environment._replace(colour=color == "always", styled=color == "always")
    if _global_options.get("no_pager"):
        environment = environment._replace(pager=None)
    return environment


def set_global_options(*, color: str | None, no_pager: bool) -> None:
    """Take the global options of this run (``pubcli --color never --no-pager ...``)."""
    _global_options.update(color=color, no_pager=no_pager)
    _of_process.clear()


def choose(environment: Environment | None) -> Environment | None:
    """Make ``environment`` this run's (None: the process's); return the one it replaces."""
    global _chosen
    previous, _chosen = _chosen, environment
    _global_options.clear()
    _of_process.clear()
    from pubcli.config import forget

    forget()
    return previous


def choose_format(explicit: str | None, *, elsewhere: str) -> str:
    """The format to print in: an explicit ``--format`` always wins; else ``table`` on a
    terminal and ``elsewhere`` (tsv, csv, field lines) into a pipe or a file."""
    if explicit:
        return explicit
    return "table" if current().stdout_isatty else elsewhere
