"""The user's config file: ``$XDG_CONFIG_HOME/pubcli/config.toml`` (else
``~/.config/pubcli/config.toml``), with the keys ``catalogue``, ``color`` and ``pager``.

Each key is a default that a flag or pubcli's own variable overrides (SPEC 2 and 12);
``locate`` and ``output.environment`` ask it here, and nowhere else reads the file.
A missing file costs one failed open. The file is a handful of ``key = "value"`` lines,
read here without the TOML parser (importing tomli costs more than a cached answer);
anything else is handed to tomli, which knows the whole of TOML and says where it fails.
"""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from pubcli.errors import UsageError
from pubcli.safe_text import one_line

KEYS = ("catalogue", "color", "pager")
COLOR_CHOICES = ("auto", "always", "never")

# A key, '=', a basic string without escapes or a literal string, and an optional comment.
_SIMPLE_LINE = re.compile(
    r"[ \t]*(?:(?P<key>[A-Za-z0-9_-]+)[ \t]*=[ \t]*"
    r"(?:\"(?P<basic>[^\"\\\x00-\x08\x0a-\x1f\x7f]*)\"|'(?P<literal>[^'\x00-\x08\x0a-\x1f\x7f]*)')"
    r"[ \t]*)?(?:#[^\x00-\x08\x0a-\x1f\x7f]*)?\r?"
)


class ConfigError(UsageError):
    """The config file cannot be read, is not TOML, or holds a key or value pubcli does not
    know (exit 2: the user's own setting is wrong, as with a bad option)."""


class Config(NamedTuple):
    """The settings of the config file; None for a key it does not set."""

    catalogue: Path | None = None
    """The catalogue's path; a relative one is taken from the config file's directory."""
    color: str | None = None
    """``auto``, ``always`` or ``never``."""
    pager: str | None = None
    """A shell command; empty turns the pager off."""


def config_path(environ: Mapping[str, str]) -> Path:
    """Where the config file is looked for. A relative ``XDG_CONFIG_HOME`` is ignored, as
    the XDG base directory specification says."""
    base = environ.get("XDG_CONFIG_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(environ.get("HOME") or os.path.expanduser("~"), ".config")
    return Path(base) / "pubcli" / "config.toml"


_read: dict[Path, Config] = {}
"""The config files read in this run: locating the catalogue and the terminal's settings
both ask, and a missing file is to cost one look."""


def forget() -> None:
    """Read the file again when next asked (a new run)."""
    _read.clear()


def load_config(environ: Mapping[str, str]) -> Config:
    """The settings of the config file (none when there is no file); a ``ConfigError``
    naming the file and line when it is broken."""
    path = config_path(environ)
    if path not in _read:
        _read[path] = _load(path)
    return _read[path]


def _load(path: Path) -> Config:
    try:
        data = _read_regular(path)
    except (FileNotFoundError, NotADirectoryError):
        return Config()
    except OSError as error:
        raise ConfigError(f"cannot read {_shown(path)}: {error.strerror or error}") from None
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ConfigError(f"{_shown(path)}:{line}: not valid UTF-8") from None
    values = _simple(text)
    if values is None:
        values = _parsed(text, path)
    return _settings(values, text, path)


def _read_regular(path: Path) -> bytes:
    """The bytes of the file at ``path``; a FIFO or device there is refused, never waited on
    (opening a FIFO for reading blocks until a writer comes)."""
    import stat

    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with open(descriptor, "rb") as file:
        mode = os.fstat(descriptor).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
        if not stat.S_ISREG(mode):
            raise OSError(errno.EINVAL, "not a regular file")
        return file.read()


def _shown(path: Path) -> str:
    return one_line(str(path))


def _simple(text: str) -> dict[str, object] | None:
    """The values of a config made of simple lines only; None if any line is more."""
    values: dict[str, object] = {}
    for line in text.split("\n"):
        match = _SIMPLE_LINE.fullmatch(line)
        if match is None:
            return None
        key = match["key"]
        if key is None:
            continue
        if key in values:
            return None  # tomli names the line of the duplicate
        values[key] = match["basic"] if match["basic"] is not None else match["literal"]
    return values


def _parsed(text: str, path: Path) -> dict[str, object]:
    import tomli

    try:
        return tomli.loads(text)
    except tomli.TOMLDecodeError as error:
        line = getattr(error, "lineno", None)
        message = getattr(error, "msg", str(error))
        where = f"{_shown(path)}:{line}" if line else _shown(path)
        raise ConfigError(f"{where}: not valid TOML ({one_line(message)})") from None


def _line_of(text: str, key: str) -> int:
    # A key line (``key =``, ``key.sub =``) or a table header (``[key]``, ``[[key]]``).
    spelt = rf"[\"']?{re.escape(key)}[\"']?"
    pattern = re.compile(rf"^[ \t]*(?:\[\[?[ \t]*{spelt}[ \t]*[\].]|{spelt}[ \t]*[=.])", re.M)
    match = pattern.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def _settings(values: dict[str, object], text: str, path: Path) -> Config:
    for key, value in values.items():
        where = f"{_shown(path)}:{_line_of(text, key)}"
        if key not in KEYS:
            import difflib

            close = difflib.get_close_matches(key, KEYS, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"known: {', '.join(KEYS)}"
            raise ConfigError(f"{where}: unknown key '{one_line(key)}' ({hint})")
        if not isinstance(value, str):
            raise ConfigError(f"{where}: {key} must be a string")
        if key == "color" and value not in COLOR_CHOICES:
            raise ConfigError(f"{where}: color must be one of {', '.join(COLOR_CHOICES)}")
        if key == "catalogue" and not value:
            raise ConfigError(f"{where}: catalogue is empty: give the catalogue's path")
    catalogue = values.get("catalogue")
    color, pager = values.get("color"), values.get("pager")
    return Config(
        catalogue=path.parent / Path(catalogue).expanduser()
        if isinstance(catalogue, str)
        else None,
        color=color if isinstance(color, str) else None,
        pager=pager if isinstance(pager, str) else None,
    )
