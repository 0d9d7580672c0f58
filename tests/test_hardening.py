"""Issue 10's input findings: an empty catalogue option, hostile TOML and JSON, special
files, text that fools a reader, and repeated search words. Each test failed before its fix."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import entry, run_process

EMPTY_CATALOGUE = "error: --catalogue is empty: give the catalogue's path\n"


# --- 6: -c "" is a usage error, never "look elsewhere" ----------------------------------


@pytest.mark.parametrize(
    "arguments",
    [
        ["list", "-c", ""],
        ["list", "--catalogue="],
        ["-c", "", "list"],
        ["filter", "--text", "x", "-c", ""],
        ["show", "a", "-c", ""],
        ["check", "-c", ""],
        ["stats", "-c", ""],
        ["schema", "-c", ""],
        ["add", "--title", "New", "--type", "Letter", "--component", "ICE", "-c", ""],
        ["-c", "", "add", "--title", "New", "--type", "Letter", "--component", "ICE"],
    ],
)
def test_an_empty_catalogue_option_is_exit_2_and_writes_nothing(
    make_catalogue: Callable[..., Path], isolated: Path, arguments: list[str]
) -> None:
    """``-c "$UNSET"`` must not fall back to the catalogue found from the directory."""
    path = make_catalogue(entry("a", "Alpha", date="2019-01-01"))
    before = path.read_bytes()
    result = run_process(arguments, cwd=isolated)
    assert (result.returncode, result.stdout, result.stderr.decode()) == (2, b"", EMPTY_CATALOGUE)
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["publications.toml"]


def test_an_empty_catalogue_variable_means_unset(
    make_catalogue: Callable[..., Path], isolated: Path
) -> None:
    """As git treats an empty variable: ``PUBCLI_CATALOGUE=`` falls through to the search."""
    make_catalogue(entry("a", "Alpha", date="2019-01-01"))
    result = run_process(["list", "-f", "ids"], cwd=isolated, env={"PUBCLI_CATALOGUE": ""})
    assert (result.returncode, result.stdout, result.stderr) == (0, b"a\n", b"")
