"""The quick route for list and filter answers exactly as the Typer commands do, or not
at all."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from pathlib import Path

import pytest
import typer.core
import typer.main
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pubcli.cli.app import app, run
from pubcli.cli.listing import OPTIONS
from pubcli.cli.quick import parse, try_run
from pubcli.output.formats import FORMATS
from pubcli.store.query import SORT_KEYS
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
        ["list", "--format", "csl-json", "--sort", "title"],
        ["filter", "--text", "opioid", "-f", "bibtex"],
        ["filter", "--component", "ice", "--format=ris"],
        ["filter", "--text", "absent", "-f", "csl-json"],
        ["list", "-f", "bibtex", "--columns", "id"],
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
        ["filter", "-fjson"],
        ["filter", "--text"],
        ["list", "--reverse=yes"],
        ["-c", "data/publications.toml", "list"],
        ["--color", "never", "list"],
        ["--no-pager", "filter", "--text", "x"],
        ["list", "--color", "always"],
        ["list", "--no-pager"],
    ],
)
def test_anything_else_is_declined(catalogue: Path, arguments: list[str]) -> None:
    """Help, other commands, values Typer refuses: the quick route steps aside untouched."""
    assert parse(arguments) is None
    assert captured(try_run, arguments) == (None, "", "")


@pytest.mark.parametrize("global_options", [["--color", "always"], ["--no-pager"]])
def test_global_options_leave_a_machine_format_as_the_quick_route_prints_it(
    catalogue: Path, global_options: list[str]
) -> None:
    """Global options are the full command line's (the quick route declines them); into
    a pipe they change nothing of what the quick route prints."""
    arguments = ["filter", "--component", "ice", "-f", "jsonl"]
    quick = captured(try_run, arguments)
    assert quick[0] is not None
    assert captured(run, [*global_options, *arguments]) == quick


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


@pytest.mark.parametrize(
    ("arguments", "code", "err"),
    [
        (
            ["filter", "--since", "2019-02-30"],
            2,
            "error: invalid date '2019-02-30' for --since: expected YYYY, YYYY-MM or "
            "YYYY-MM-DD (no such date)\n",
        ),
        (
            ["filter", "--since", "2020", "--until", "2019-12", "-f", "ids"],
            2,
            "error: empty date range: --since 2020 is after --until 2019-12\n",
        ),
        (
            ["filter", "--columns", "nope"],
            2,
            "error: unknown column 'nope' for --columns; valid columns: "
            "id, title, type, date, components, topics, summary, url\n",
        ),
        (
            ["list", "-c", "missing.toml"],
            3,
            "error: cannot read catalogue missing.toml: No such file or directory\n",
        ),
    ],
)
def test_a_call_the_quick_route_takes_it_finishes_with_typers_error(
    catalogue: Path, arguments: list[str], code: int, err: str
) -> None:
    """Once a call is its own, the quick route reports its errors itself, as Typer does."""
    assert parse(arguments) is not None
    assert captured(try_run, arguments) == (code, "", err)
    assert captured(run, arguments) == (code, "", err)


def typer_options(command: str) -> dict[str, dict[str, object]]:
    """The Click parameters of a Typer command, as the declaration describes options."""
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    described = {}
    for parameter in group.commands[command].params:
        assert isinstance(parameter, typer.core.TyperOption), parameter
        longs = [flag for flag in parameter.opts if flag.startswith("--")]
        shorts = [flag for flag in parameter.opts if not flag.startswith("--")]
        described[str(parameter.name)] = {
            "names": (longs, shorts, list(parameter.secondary_opts)),
            "flag": parameter.is_flag,
            "repeatable": parameter.multiple,
            "choices": tuple(getattr(parameter.type, "choices", None) or ()) or None,
            "number": getattr(parameter.type, "min", None) == 0,
        }
    return described


def declared_options(command: str) -> dict[str, dict[str, object]]:
    return {
        option.dest: {
            "names": ([option.name], [option.short] if option.short else [], []),
            "flag": option.flag,
            "repeatable": option.repeatable,
            "choices": option.choices,
            "number": option.number,
        }
        for option in OPTIONS[command]
    }


@pytest.mark.parametrize("command", ["list", "filter"])
def test_the_declaration_matches_the_typer_commands(command: str) -> None:
    """Names, short flags, flag or value, repeatable, choices: the same in both routes."""
    assert declared_options(command) == typer_options(command)


def test_choices_come_from_the_core() -> None:
    """The formats and orders both routes accept are the core's own constants."""
    by_name = {option.name: option for option in OPTIONS["filter"]}
    assert by_name["--format"].choices == FORMATS
    assert {"csl-json", "bibtex", "ris"} <= set(FORMATS)
    assert by_name["--sort"].choices == SORT_KEYS


# Random calls drawn from the declaration itself: every option (long and short), every
# choice it declares, and values that each route must refuse or handle alike.
FLAGS = sorted(
    {o.name for o in OPTIONS["filter"]} | {o.short for o in OPTIONS["filter"] if o.short}
)
CHOICES = sorted({choice for o in OPTIONS["filter"] for choice in o.choices or ()})
options = st.sampled_from([*FLAGS, "--help", "-x", "--color", "--no-pager"])
values = st.sampled_from(
    [*CHOICES, "colour", "0", "2", "-1", "id,title", "nope", "ice", "Letter", "border",
     "2019", "2019-13", "2020-01", "2018", "opioid", "alpha two", "", "data/publications.toml",
     "x.toml"]
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
