"""The quick route for list and filter answers exactly as the Typer commands do, or not
at all."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pubcli.cli.app import run
from pubcli.cli.quick import try_run
from tests.conftest import entry

BLOCKS = (
    entry("a", "Alpha opioid", type_="Letter", date="2019-05-01", components=("ICE", "CBP"),
          topics=("Border",), summary="Two\nlines", url="https://example.org/a"),
    entry("b", "Beta [b]", date="2020-01-01", components=("ice",)),
    entry("c", "Gamma", type_="statement", components=("DHS",), topics=("border",)),
    entry("bad", " "),
)  # fmt: skip


def captured(function: Callable[[list[str]], int | None], arguments: list[str]) -> tuple:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = function(arguments)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def catalogue(make_catalogue: Callable[..., Path]) -> Path:
    return make_catalogue(*BLOCKS)


@pytest.mark.parametrize(
    "arguments",
    [
        ["list"],
        ["list", "--format", "json", "--sort", "title", "--reverse"],
        ["list", "-f", "ids", "--limit", "2"],
        ["list", "--columns=id,url", "--format=csv"],
        ["filter", "--text", "opioid", "-f", "ids"],
        ["filter", "--component", "ice", "--type", "Letter", "--type", "statement"],
        ["filter", "--since", "2019", "--until", "2019-12", "-f", "jsonl"],
        ["filter", "--text", "absent"],
        ["filter", "--topic", "BORDER", "--format", "markdown", "--no-cache"],
    ],
)
def test_plain_calls_take_the_quick_route_with_the_same_answer(
    catalogue: Path, arguments: list[str]
) -> None:
    """Typical script calls are answered without Typer, byte for byte as with it."""
    quick = captured(try_run, arguments)
    assert quick[0] is not None
    assert quick == captured(run, arguments)


@pytest.mark.parametrize(
    "arguments",
    [
        ["list", "--help"],
        ["show", "a"],
        ["list", "--sort", "colour"],
        ["list", "--limit", "-1"],
        ["list", "--limit", "x"],
        ["list", "--text", "x"],
        ["filter", "--since", "2019-02-30"],
        ["filter", "--columns", "nope"],
        ["filter", "-fjson"],
        ["filter", "--text"],
        ["list", "--reverse=yes"],
        ["-c", "data/publications.toml", "list"],
    ],
)
def test_anything_else_is_declined(catalogue: Path, arguments: list[str]) -> None:
    """Help, other commands, errors: the quick route prints nothing and steps aside."""
    assert captured(try_run, arguments) == (None, "", "")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["list", "-c", "missing.toml"], "cannot read catalogue missing.toml: No such file or "
         "directory"),
        (["filter", "--text", "x", "-c", ""], "--catalogue is empty: give the catalogue's path"),
        (["list", "--catalogue=broken.toml"], "broken.toml:1:15: invalid TOML: Expected ']]' at "
         "the end of an array declaration"),
    ],
)  # fmt: skip
def test_catalogue_errors_are_reported_as_the_full_command_line_does(
    catalogue: Path, arguments: list[str], message: str
) -> None:
    """Once it reads the catalogue the quick route reports its errors itself, in the same
    words and exit code: declining would read the file a second time."""
    Path("broken.toml").write_text("[[publications]\n", encoding="utf-8")
    quick = captured(try_run, arguments)
    assert quick == captured(run, arguments)
    assert quick[1:] == ("", f"error: {message}\n")


options = st.sampled_from(
    ["--sort", "--limit", "--format", "-f", "--columns", "-c", "--type", "--component",
     "--topic", "--since", "--until", "--text", "--reverse", "--no-cache", "--help", "-x"]
)  # fmt: skip
values = st.sampled_from(
    ["date", "title", "id", "type", "colour", "0", "2", "-1", "json", "ids", "csv", "table",
     "tsv", "markdown", "jsonl", "id,title", "nope", "ice", "Letter", "border", "2019",
     "2019-13", "2020-01", "opioid", "alpha two", "", "data/publications.toml", "x.toml"]
)  # fmt: skip


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.sampled_from(["list", "filter"]), st.lists(options | values, max_size=7))
def test_the_quick_route_never_differs(catalogue: Path, command: str, rest: list[str]) -> None:
    """For random calls, the quick route either declines or gives Typer's exact answer."""
    arguments = [command, *rest]
    quick = captured(try_run, arguments)
    if quick[0] is None:
        assert quick[1:] == ("", "")
    else:
        assert quick == captured(run, arguments)
