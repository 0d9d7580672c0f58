"""The user's config file: where it is, what it sets, and what a broken one says."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import entry, run_process

Cli = Callable[..., object]


def _write_config(base: Path, text: str) -> Path:
    path = base / "pubcli" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_config_path_follows_xdg_config_home(isolated: Path) -> None:
    result = run_process(["config", "path"], env={"XDG_CONFIG_HOME": str(isolated / "x")})
    assert (result.returncode, result.stdout) == (0, f"{isolated}/x/pubcli/config.toml\n".encode())
    home = {"HOME": str(isolated / "home")}
    for unset in ({"XDG_CONFIG_HOME": ""}, {"XDG_CONFIG_HOME": "relative/dir"}):
        result = run_process(["config", "path"], env={**home, **unset})
        assert result.stdout == f"{isolated}/home/.config/pubcli/config.toml\n".encode()


def test_the_configured_catalogue_and_its_precedence(
    isolated: Path, make_catalogue: Callable[..., Path]
) -> None:
    """Flag, then PUBCLI_CATALOGUE, then the config, then the walk up from here. A relative
    path in the config is taken from the config file's directory."""
    make_catalogue(entry("walked", "Found by walking"))
    make_catalogue(entry("configured", "From the config"), name="elsewhere/mine.toml")
    make_catalogue(entry("from-env", "From the variable"), name="env.toml")
    make_catalogue(entry("flagged", "From the flag"), name="flag.toml")
    config_home = isolated / ".config"
    _write_config(config_home, 'catalogue = "../../elsewhere/mine.toml"\n')
    subdirectory = isolated / "data"  # the walk would find data/publications.toml
    ids = ["list", "-f", "ids"]
    assert run_process(ids, cwd=subdirectory).stdout == b"configured\n"
    env = {"PUBCLI_CATALOGUE": str(isolated / "env.toml")}
    assert run_process(ids, cwd=subdirectory, env=env).stdout == b"from-env\n"
    flagged = [*ids, "-c", str(isolated / "flag.toml")]
    assert run_process(flagged, cwd=subdirectory, env=env).stdout == b"flagged\n"
    os.remove(config_home / "pubcli" / "config.toml")
    assert run_process(ids, cwd=subdirectory).stdout == b"walked\n"
    _write_config(config_home, f"catalogue = '{isolated}/flag.toml'\n")
    assert run_process(ids, cwd=subdirectory).stdout == b"flagged\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('colour = "never"\n', "1: unknown key 'colour' (did you mean 'color'?)"),
        ('pager = ""\n\nsize = "big"\n', "3: unknown key 'size' (known: catalogue, color, pager)"),
        ('color = "sometimes"\n', "1: color must be one of auto, always, never"),
        ("# a\ncolor = 1\n", "2: color must be a string"),
        ('catalogue = ""\n', "1: catalogue is empty: give the catalogue's path"),
        ('color = "never"\ncolor = "never"\n', "2: not valid TOML (Cannot overwrite a value)"),
        ("color = [\n", "2: not valid TOML (Invalid value)"),
        ("color = 'never'\n[pubcli]\npager = ''\n", "2: unknown key 'pubcli' (known: catalogue, "
         "color, pager)"),
        ("pager = 'less\xff'\n", ""),
    ],
)  # fmt: skip
def test_a_broken_config_is_one_error_naming_the_file_and_line(
    isolated: Path, make_catalogue: Callable[..., Path], text: str, message: str
) -> None:
    make_catalogue(entry("a", "A"))
    path = _write_config(isolated / ".config", text)
    if not message:  # not UTF-8
        path.write_bytes(text.encode("latin-1"))
        message = "1: not valid UTF-8"
    for arguments in (["list"], ["filter", "--text", "a"], ["show", "a"], ["stats"]):
        result = run_process(arguments, cwd=isolated)
        assert result.returncode == 2, arguments
        assert result.stdout == b""
        assert result.stderr.decode() == f"error: {path}:{message}\n"


def test_a_config_that_cannot_be_read_is_an_error(isolated: Path) -> None:
    path = _write_config(isolated / ".config", "")
    path.unlink()
    path.mkdir()
    result = run_process(["list"], cwd=isolated)
    assert result.returncode == 2
    assert result.stderr.decode() == f"error: cannot read {path}: Is a directory\n"


def test_a_fifo_as_config_is_refused_at_once(isolated: Path) -> None:
    """Opening a FIFO for reading waits for a writer: the config is refused instead."""
    path = _write_config(isolated / ".config", "")
    path.unlink()
    os.mkfifo(path)
    result = run_process(["list"], cwd=isolated, timeout=20)
    assert result.returncode == 2
    assert result.stderr.decode() == f"error: cannot read {path}: not a regular file\n"


@pytest.mark.parametrize("arguments", [["--help"], ["list", "--help"], ["cache"], ["config"]])
def test_help_prints_whatever_the_config_holds(isolated: Path, arguments: list[str]) -> None:
    """A broken config fails the commands that read it, never the help that says how to
    find it (``pubcli config path``)."""
    _write_config(isolated / ".config", "color = 3\n")
    result = run_process(arguments, cwd=isolated)
    assert (result.returncode, result.stderr) == (0, b"")
    assert result.stdout.startswith(b"Usage: pubcli")
