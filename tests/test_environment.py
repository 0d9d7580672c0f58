"""The terminal facts are decided in one place, and tests set them in-process."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from pubcli.cli.main import main
from pubcli.output.environment import Environment, choose, choose_format
from tests.conftest import entry, run_in_terminal

TERMINAL = Environment(stdout_isatty=True, stdin_isatty=True, stdout_utf8=True, colour=True,
                       width=60)  # fmt: skip
PIPE = Environment(stdout_isatty=False, stdin_isatty=False, stdout_utf8=True, colour=True)


@pytest.fixture
def catalogue(make_catalogue: Callable[..., Path]) -> Path:
    return make_catalogue(
        entry("a", "Alpha", date="2019-05-01", url="https://example.org/a"),
        entry("b", "Beta", type_="Letter"),
    )


def run_in(
    environment: Environment, capsys: pytest.CaptureFixture[str], *arguments: str
) -> tuple[int, str]:
    capsys.readouterr()
    code = main(list(arguments), environment)
    return code, capsys.readouterr().out


@pytest.mark.parametrize(
    ("explicit", "environment", "elsewhere", "chosen"),
    [
        (None, TERMINAL, "tsv", "table"),
        (None, PIPE, "tsv", "tsv"),
        (None, PIPE, "csv", "csv"),
        (None, PIPE, "lines", "lines"),
        ("json", TERMINAL, "tsv", "json"),
        ("table", PIPE, "tsv", "table"),
    ],
)
def test_choose_format(
    explicit: str | None, environment: Environment, elsewhere: str, chosen: str
) -> None:
    """An explicit format always wins; else a table on a terminal, the machine form elsewhere."""
    previous = choose(environment)
    try:
        assert choose_format(explicit, elsewhere=elsewhere) == chosen
    finally:
        choose(previous)


def test_list_is_a_table_on_a_terminal_and_tsv_in_a_pipe(
    catalogue: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same call, two environments: the quick route asks the environment too."""
    assert run_in(PIPE, capsys, "list") == (
        0,
        "a\t2019-05-01\tStatement\tAlpha\nb\t\tLetter\tBeta\n",
    )
    code, screen = run_in(TERMINAL, capsys, "list")
    assert code == 0
    assert "\x1b[" in screen and "2 publications" in screen
    assert max(len(line) for line in screen.replace("\x1b", "").splitlines()) <= 80


def test_show_is_a_full_view_on_a_terminal_and_field_lines_in_a_pipe(
    catalogue: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """show: a view for people (no box, so copies hold no border), ``field: value`` lines
    for scripts."""
    code, lines = run_in(PIPE, capsys, "show", "b")
    assert (code, lines.splitlines()[:3]) == (0, ["id: b", "title: Beta", "type: Letter"])
    code, screen = run_in(TERMINAL, capsys, "show", "a")
    assert code == 0 and "\x1b[1m" in screen and "\x1b]8;" in screen  # styled, the URL a link
    assert "│" not in screen


def test_stats_is_a_table_on_a_terminal_and_csv_in_a_pipe(
    catalogue: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """stats: bars for people, CSV for scripts."""
    assert run_in(PIPE, capsys, "stats", "--by", "type") == (
        0,
        "facet,value,count\r\ntype,Letter,1\r\ntype,Statement,1\r\n",
    )
    code, screen = run_in(TERMINAL, capsys, "stats", "--by", "type")
    assert code == 0 and "by type" in screen and "█" in screen


def test_no_colour_keeps_colour_out_of_a_table(
    catalogue: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Colour off: styles may stay (bold), colours go."""
    code, screen = run_in(TERMINAL._replace(colour=False), capsys, "list")
    assert code == 0 and "\x1b[1m" in screen and "\x1b[36m" not in screen


def test_no_color_in_the_process_turns_colour_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default environment reads NO_COLOR (set and not empty, as no-color.org says)."""
    monkeypatch.setenv("NO_COLOR", "1")
    assert Environment.from_process().colour is False
    monkeypatch.setenv("NO_COLOR", "")
    assert Environment.from_process().colour is True


def test_add_prompts_only_when_stdin_is_a_terminal(
    catalogue: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without a terminal on stdin, a missing field is an error, never a prompt."""
    code = main(["add", "--type", "Letter"], TERMINAL._replace(stdin_isatty=False))
    assert code == 2
    assert capsys.readouterr().err == "error: missing required fields: --title, --component\n"


def test_colour_on_a_terminal_by_default(
    catalogue: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The counterpart of the test above: on a terminal with colour allowed, dates are cyan."""
    code, screen = run_in(TERMINAL, capsys, "list")
    assert code == 0 and "\x1b[36m" in screen


@pytest.mark.parametrize("columns", ["0", "-5", "abc", "", "99999999999"])
def test_a_width_of_zero_or_garbage_is_an_unknown_width(
    catalogue: Path, isolated: Path, columns: str
) -> None:
    """COLUMNS=0 printed nothing (exit 0). Now 0 or garbage means "unknown": the terminal's
    own width, else (this pty reports 0 columns) 80."""
    code, screen = run_in_terminal(["list"], isolated, {"COLUMNS": columns, "NO_COLOR": "1"})
    plain = [re.sub(r"\x1b\[[0-9;]*m", "", line).rstrip() for line in screen.splitlines()]
    assert code == 0
    assert " a   2019-05-01  Statement  Alpha" in plain
    assert plain[-1].strip() == "2 publications"
    assert max(len(line) for line in plain) <= 80


def test_the_width_is_decided_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """COLUMNS wins when it is a positive number; 0 and garbage fall back (no terminal: 80)."""
    monkeypatch.setenv("COLUMNS", "132")
    assert Environment.from_process().width == 132
    for garbage in ("0", "-1", "12x", "٣", "10001"):
        monkeypatch.setenv("COLUMNS", garbage)
        assert Environment.from_process().width == 80  # pytest's stdout is no terminal
