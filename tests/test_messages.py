"""What pubcli says: Click's own usage errors worded as pubcli's, counts in the right
number, options named as users type them (issue 11, item 6). Through the real entry point."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import entry, run_process

# pubcli's own wording: one line, lowercase start, no closing full stop.
PUBCLI_LINE = re.compile(r"error: [a-z'-][^\n]*[^.\n]\n")


@pytest.fixture
def catalogue(make_catalogue: Callable[..., Path]) -> Path:
    """A one-entry catalogue."""
    return make_catalogue(entry("only-one", "Only One", date="2020-01-02"))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["list", "--bogus"], "no such option: --bogus"),
        (["list", "--limit", "x"], "invalid value for '--limit': 'x' is not a whole number"),
        (["list", "--limit"], "option '--limit' requires an argument"),
        (["filter", "--type"], "option '--type' requires an argument"),
        (["list", "-c"], "option '-c' requires an argument"),
        (["show"], "missing argument 'ID...'"),
        (["frobnicate"], "no such command 'frobnicate'"),
    ],
)
def test_click_usage_errors_read_like_pubcli_messages(
    catalogue: Path, arguments: list[str], message: str
) -> None:
    """Lowercase, no full stop, one line, exit 2, and the hint to the command's help:
    missing values included (Click raises those without saying which command)."""
    result = run_process(arguments, cwd=catalogue.parent.parent)
    err = result.stderr.decode()
    assert (result.returncode, result.stdout) == (2, b"")
    assert PUBCLI_LINE.fullmatch(err), err
    assert err.startswith(f"error: {message}")
    command = arguments[0] if arguments[0] != "frobnicate" else None
    help_hint = f"see 'pubcli {command} --help'" if command else "see 'pubcli --help'"
    assert err.endswith(f"; {help_hint}\n")


def test_a_root_catalogue_option_without_a_value_has_the_hint(catalogue: Path) -> None:
    """``pubcli -c`` names the top-level help."""
    result = run_process(["-c"], cwd=catalogue.parent.parent)
    assert result.returncode == 2
    assert (
        result.stderr.decode() == "error: option '-c' requires an argument; see 'pubcli --help'\n"
    )


def test_a_count_of_one_is_singular(catalogue: Path) -> None:
    """``ok: 1 publication``, not ``1 publications``; two stay plural."""
    result = run_process(["check"], cwd=catalogue.parent.parent)
    assert (result.returncode, result.stdout) == (0, b"ok: 1 publication\n")
    catalogue.write_text(entry("one", "One") + "\n" + entry("two", "Two"), encoding="utf-8")
    result = run_process(["check"], cwd=catalogue.parent.parent)
    assert result.stdout == b"ok: 2 publications\n"


def test_from_json_with_flags_names_the_real_options(catalogue: Path) -> None:
    """The options are ``--component`` and ``--topic``, not the record's keys."""
    result = run_process(
        ["add", "--from-json", "-", "--component", "ICE", "--topic", "x", "--title", "T"],
        cwd=catalogue.parent.parent,
        input_bytes=b"{}",
    )
    assert result.returncode == 2
    assert result.stderr.decode() == (
        "error: --from-json cannot be combined with --title, --component, --topic\n"
    )


@pytest.mark.parametrize("content", [b"", b"  \n\n", b"\xef\xbb\xbf\n"])
def test_an_empty_json_input_names_the_file(catalogue: Path, content: bytes) -> None:
    """An empty --from-json file (or standard input) is named, exit 2, nothing written."""
    before = catalogue.read_bytes()
    (catalogue.parent.parent / "new.json").write_bytes(content)
    result = run_process(["add", "--from-json", "new.json"], cwd=catalogue.parent.parent)
    assert (result.returncode, result.stdout) == (2, b"")
    assert result.stderr.decode() == "error: new.json: no JSON value (the input is empty)\n"
    result = run_process(
        ["add", "--from-json", "-"], cwd=catalogue.parent.parent, input_bytes=content
    )
    assert result.stderr.decode() == "error: standard input: no JSON value (the input is empty)\n"
    assert catalogue.read_bytes() == before


@pytest.mark.parametrize(
    "command",
    [["filter"], ["filter", "-f", "ids"], ["filter", "--text", "only"], ["stats"]],
    ids=["filter", "filter-quick-route", "filter-text", "stats"],
)
@pytest.mark.parametrize(
    ("since", "until"), [("2020", "2019"), ("2020-02", "2020-01-31"), ("2020-01-03", "2020-01-02")]
)
def test_an_empty_date_range_is_a_usage_error(
    catalogue: Path, command: list[str], since: str, until: str
) -> None:
    """``--since`` after ``--until`` is exit 2 naming both, on either route, never a silent
    "nothing matched"."""
    result = run_process(
        [*command, "--since", since, "--until", until], cwd=catalogue.parent.parent
    )
    assert (result.returncode, result.stdout) == (2, b"")
    assert result.stderr.decode() == (
        f"error: empty date range: --since {since} is after --until {until}\n"
    )


def test_a_one_day_range_is_not_empty(catalogue: Path) -> None:
    """The same day on both ends, and a year against a day inside it, still match."""
    for since, until in (("2020-01-02", "2020-01-02"), ("2020", "2020-01-02")):
        arguments = ["filter", "-f", "ids", "--since", since, "--until", until]
        result = run_process(arguments, cwd=catalogue.parent.parent)
        assert (result.returncode, result.stdout) == (0, b"only-one\n")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["list", "--limit", "x"], "invalid value for '--limit': 'x' is not a whole number"),
        (["list", "--no-cach"], "no such option: --no-cach (did you mean '--no-cache'?)"),
        (["list", "extra"], "got unexpected extra argument (extra)"),
        (["list", "extra", "more"], "got unexpected extra arguments (extra more)"),
    ],
)
def test_click_messages_read_the_same_on_every_supported_click(
    catalogue: Path, arguments: list[str], message: str
) -> None:
    """Click 8.5 (lowest Typer) and the Click bundled with newer Typer word these
    differently; users and scripts see one wording."""
    result = run_process(arguments, cwd=catalogue.parent.parent)
    assert result.returncode == 2
    assert result.stderr.decode() == f"error: {message}; see 'pubcli {arguments[0]} --help'\n"
