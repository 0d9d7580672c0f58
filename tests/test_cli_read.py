"""list, filter and show as a user runs them: exact output, messages and exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Outcome, entry

Cli = Callable[..., Outcome]

BLOCKS = (
    "# A comment that must not matter.\nschema_version = 1\n",
    entry("old-letter", "Old Letter", type_="Letter", date="2018-12-03", topics=("Border",)),
    entry("new-statement", "Zeta statement", date="2019-08-30", components=("ICE", "CBP")),
    entry("tie-b", "alpha", date="2019-08-30"),
    entry("undated-form", "Ünïcode Form", type_="Form", summary="Opioid crisis\nsecond line"),
)


@pytest.fixture
def catalogue(make_catalogue: Callable[..., Path]) -> Path:
    return make_catalogue(*BLOCKS)


def test_list_defaults_to_tsv_newest_first(cli: Cli, catalogue: Path) -> None:
    """Into a pipe: id, date, type, title; ties by title; undated last."""
    result = cli("list")
    assert (result.code, result.err) == (0, "")
    assert result.out == (
        "tie-b\t2019-08-30\tStatement\talpha\n"
        "new-statement\t2019-08-30\tStatement\tZeta statement\n"
        "old-letter\t2018-12-03\tLetter\tOld Letter\n"
        "undated-form\t\tForm\tÜnïcode Form\n"
    )


def test_list_options(cli: Cli, catalogue: Path) -> None:
    """--sort, --reverse, --limit and --columns work together."""
    result = cli("list", "--sort", "title", "--reverse", "--limit", "2", "--format", "ids")
    assert result.out == "undated-form\nnew-statement\n"
    result = cli("list", "--format", "csv", "--columns", "id,components", "--limit", "1")
    assert result.out == "id,components\r\ntie-b,ICE\r\n"


def test_list_json_holds_every_field(cli: Cli, catalogue: Path) -> None:
    """JSON output parses and keeps unicode as it is."""
    result = cli("list", "--format", "json")
    data = json.loads(result.out)
    assert [item["id"] for item in data][-1] == "undated-form"
    assert data[-1]["summary"] == "Opioid crisis\nsecond line"
    assert "Ünïcode" in result.out


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("list", "--sort", "colour"), "error: invalid value for '--sort'"),
        (("list", "--limit", "-1"), "error: invalid value for '--limit'"),
        (("list", "--format", "xml"), "error: invalid value for '--format'"),
        (("list", "--columns", "id,nope"), "error: unknown column 'nope' for --columns"),
        (("filter", "--since", "2019-02-30"), "error: invalid date '2019-02-30' for --since"),
        (("filter", "--until", "last week"), "error: invalid date 'last week' for --until"),
        (("show",), "error: missing argument 'ID...'; see 'pubcli show --help'"),
        (("frobnicate",), "error: no such command 'frobnicate'"),
        (("list", "--bogus"), "error: no such option"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    cli: Cli, catalogue: Path, arguments: tuple[str, ...], message: str
) -> None:
    """Bad options: exit 2, a single error line on stderr, nothing on stdout."""
    result = cli(*arguments)
    assert result.code == 2
    assert result.out == ""
    assert result.err.startswith(message)
    assert result.err.count("\n") == 1


def test_filter_criteria_and_exit_codes(cli: Cli, catalogue: Path) -> None:
    """Matches exit 0; nothing matching exits 1 with the empty form of the format."""
    assert cli("filter", "--type", "letter", "--format", "ids").out == "old-letter\n"
    assert cli("filter", "--component", "cbp", "--format", "ids").out == "new-statement\n"
    assert cli("filter", "--text", "OPIOID second", "--format", "ids").out == "undated-form\n"
    assert cli("filter", "--since", "2019", "--until", "2019-07", "--format", "ids").out == ""
    result = cli("filter", "--since", "2019-08", "--format", "ids", "--type", "Statement")
    assert result.out == "tie-b\nnew-statement\n"
    assert cli("filter", "--topic", "border", "--topic", "none", "-f", "ids").code == 0
    empties = {"json": "[]\n", "csv": "id,title\r\n", "tsv": "", "jsonl": "", "ids": ""}
    for fmt, empty in empties.items():
        columns = ("--columns", "id,title") if fmt == "csv" else ()
        result = cli("filter", "--text", "absent", "--format", fmt, *columns)
        assert (result.code, result.out, result.err) == (1, empty, "")
    result = cli("filter", "--text", "absent", "--format", "table")
    assert (result.code, result.out, result.err) == (1, "", "no publications match\n")


def test_filter_without_criteria_is_list(cli: Cli, catalogue: Path) -> None:
    """No criteria: every publication, exit 0."""
    assert cli("filter").out == cli("list").out


def test_show_prints_field_lines_into_a_pipe(cli: Cli, catalogue: Path) -> None:
    """A unique prefix finds the entry; output is plain field: value lines."""
    result = cli("show", "undated")
    assert result.code == 0
    assert result.out.splitlines()[:4] == [
        "id: undated-form",
        "title: Ünïcode Form",
        "type: Form",
        "date:",
    ]
    assert "summary: Opioid crisis\n  second line\n" in result.out
    assert json.loads(cli("show", "old-letter", "--format", "json").out)["topics"] == ["Border"]


def test_show_unknown_and_ambiguous_exit_1(cli: Cli, catalogue: Path) -> None:
    """Unknown ids name the closest ones; ambiguous prefixes name the candidates."""
    result = cli("show", "old-lettr")
    assert (result.code, result.out) == (1, "")
    assert result.err == "error: no publication with id 'old-lettr'; closest: old-letter\n"
    assert cli("show", "n").out.startswith("id: new-statement\n")


def test_show_ambiguous_prefix_names_candidates(
    cli: Cli, make_catalogue: Callable[..., Path]
) -> None:
    """A prefix that several ids start with lists them; an exact id still wins."""
    make_catalogue(entry("letter", "L"), entry("letter-a", "A"), entry("letter-b", "B"))
    assert cli("show", "letter").out.startswith("id: letter\n")
    result = cli("show", "letter-")
    assert result.code == 1
    assert result.err == "error: 'letter-' is ambiguous; it starts letter-a, letter-b\n"


def test_invalid_entries_are_skipped_with_warnings(
    cli: Cli, make_catalogue: Callable[..., Path]
) -> None:
    """One bad entry does not hide the others; exit code as without it."""
    make_catalogue(entry("good", "Good"), entry("bad", "Bad", components=()), entry("good", "Dup"))
    result = cli("list", "--format", "ids")
    assert (result.code, result.out) == (0, "good\n")
    assert result.err.splitlines() == [
        "warning: data/publications.toml:7: bad: 'components' needs at least one value",
        "warning: data/publications.toml:13: good: duplicate id (first used at line 1)",
        "hint: invalid entries were skipped; run 'pubcli check -c data/publications.toml'",
    ]
    assert cli("filter", "--text", "bad", "-f", "ids").code == 1
    assert cli("show", "bad").code == 1


def test_broken_toml_fails_every_command_with_exit_3(
    cli: Cli, make_catalogue: Callable[..., Path]
) -> None:
    """Invalid TOML: path, line and column, exit 3, for every reading command."""
    make_catalogue(entry("a", "A"), "[[publications]\n")
    for arguments in (("list",), ("filter", "--text", "a"), ("show", "a")):
        result = cli(*arguments)
        assert result.code == 3
        assert result.err.startswith("error: data/publications.toml:7:")
        assert "invalid TOML" in result.err


def test_catalogue_discovery_order(
    cli: Cli, make_catalogue: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """-c beats $PUBCLI_CATALOGUE beats data/publications.toml in a parent directory."""
    make_catalogue(entry("found", "Found"))
    other = make_catalogue(entry("other", "Other"), name="elsewhere/other.toml")
    third = make_catalogue(entry("third", "Third"), name="third.toml")
    sub = other.parent / "deep" / "er"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    assert cli("list", "-f", "ids").out == "found\n"
    monkeypatch.setenv("PUBCLI_CATALOGUE", str(other))
    assert cli("list", "-f", "ids").out == "other\n"
    assert cli("list", "-f", "ids", "--catalogue", str(third)).out == "third\n"
    assert cli("-c", str(third), "list", "-f", "ids").out == "third\n"


def test_no_catalogue_found_names_all_three_ways(cli: Cli) -> None:
    """Nothing to read: exit 3 and a message naming -c, the variable, the config and the file."""
    result = cli("list")
    assert result.code == 3
    assert result.err == (
        "error: no catalogue found: pass --catalogue PATH, set PUBCLI_CATALOGUE, set "
        "catalogue in the config file ('pubcli config path'), or run inside a directory "
        "that has data/publications.toml\n"
    )
    assert cli("list", "-c", "missing.toml").err == (
        "error: cannot read catalogue missing.toml: No such file or directory\n"
    )


def test_empty_catalogue_lists_nothing_with_exit_0(
    cli: Cli, make_catalogue: Callable[..., Path]
) -> None:
    """An empty catalogue is not an error for list."""
    make_catalogue("schema_version = 1\n")
    assert (cli("list").code, cli("list").out) == (0, "")
    assert cli("list", "-f", "json").out == "[]\n"


def test_markup_and_escapes_in_data_print_literally(
    cli: Cli, make_catalogue: Callable[..., Path]
) -> None:
    """Rich markup in a valid title is text; a control character is skipped and escaped."""
    title = "[bold]x[/] :thumbs_up: Array[int] [link=file:///etc/passwd]x[/link]"
    make_catalogue(entry("markup", title), entry("esc", "bad \x1b[31m red"))
    result = cli("list", "--format", "table")
    assert title.replace(" ", "") in result.out.replace(" ", "").replace("\n", "")
    assert "\x1b" not in result.out + result.err
    assert "warning: data/publications.toml:7: esc: 'title' contains a control character" in (
        result.err
    )


def test_version_and_help(cli: Cli) -> None:
    """--version prints the version; every command has help text."""
    from pubcli import __version__

    assert cli("--version").out == f"pubcli {__version__}\n"
    for command in ("list", "filter", "show"):
        result = cli(command, "--help")
        assert result.code == 0
        assert "Examples:\n    pubcli " in result.out
        assert "--catalogue" in result.out
