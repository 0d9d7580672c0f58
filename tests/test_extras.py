"""stats, shell completion, --format markdown and schema."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from pubcli.output.schema import record_schema
from tests.conftest import Outcome, entry, run_in_terminal, run_process

Cli = Callable[..., Outcome]


@pytest.fixture
def catalogue(make_catalogue: Callable[..., Path]) -> Path:
    return make_catalogue(
        entry("a", "Pipe | and \\ slash", type_="Letter", date="2019-05-01",
              components=("ICE", "CBP"), topics=("Border",)),
        entry("b", "Second", type_="Statement", date="2020-01-01", components=("ice",)),
        entry("c", "Third", type_="statement", components=("DHS",), topics=("border", "X")),
        entry("d", "Fourth [b]", type_="Form", date="2019-12-31", summary="two\nlines | x"),
    )  # fmt: skip


def test_markdown_is_a_gfm_table_with_escapes(cli: Cli, catalogue: Path) -> None:
    """Header, separator, one row each; pipes escaped, newlines as <br>."""
    result = cli("list", "--format", "markdown", "--columns", "id,title,summary")
    assert result.code == 0
    assert result.out.splitlines() == [
        "| id | title | summary |",
        "| --- | --- | --- |",
        "| b | Second |  |",
        "| d | Fourth \\[b\\] | two<br>lines \\| x |",
        "| a | Pipe \\| and \\\\ slash |  |",
        "| c | Third |  |",
    ]
    empty = cli("filter", "--text", "absent", "--format", "markdown")
    assert (empty.code, empty.out) == (1, "")


def test_stats_counts_and_orders(cli: Cli, catalogue: Path) -> None:
    """Largest first (ties alphabetical), case folded; years newest first, undated last."""
    report = json.loads(cli("stats", "--format", "json").out)
    assert list(report) == ["type", "component", "topic", "year"]
    assert report["type"] == [
        {"value": "Statement", "count": 2},
        {"value": "Form", "count": 1},
        {"value": "Letter", "count": 1},
    ]
    assert report["component"][0] == {"value": "ICE", "count": 3}
    assert report["year"] == [
        {"value": "2020", "count": 1},
        {"value": "2019", "count": 2},
        {"value": "undated", "count": 1},
    ]


def test_stats_by_one_facet_with_criteria_and_csv(cli: Cli, catalogue: Path) -> None:
    """--by picks facets; filter criteria narrow; csv has a header; no match exits 1."""
    result = cli("stats", "--by", "topic", "--component", "ice", "--format", "csv")
    assert result.out == "facet,value,count\r\ntopic,Border,1\r\n"
    nothing = cli("stats", "--text", "absent", "--format", "csv")
    assert (nothing.code, nothing.out) == (1, "facet,value,count\r\n")
    assert cli("stats", "--by", "colour").code == 2


def test_stats_table_draws_bars_on_a_terminal(catalogue: Path, isolated: Path) -> None:
    """On a terminal: one table per facet with proportional bars."""
    code, screen = run_in_terminal(["stats", "--by", "type"], isolated)
    assert code == 0
    assert "by type" in screen and "Statement" in screen
    bars = [line.count("█") for line in screen.splitlines() if "█" in line]
    assert bars[0] > bars[1] > 0


def test_json_and_jsonl_output_match_the_schema(cli: Cli, catalogue: Path) -> None:
    """Real output validates against the printed schema."""
    schema = json.loads(cli("schema").out)
    assert schema == record_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for record in json.loads(cli("list", "--format", "json").out):
        validator.validate(record)
    for line in cli("list", "--format", "jsonl").out.splitlines():
        validator.validate(json.loads(line))
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({"id": "Bad Id"})


def complete(words: str, cwd: Path, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Ask pubcli for bash completions of the command line ``words`` (cursor at the end);
    the candidates, one a line (the protocol's ``kind,`` before each dropped)."""
    parts = words.split(" ")
    result = run_process(
        [],
        cwd=cwd,
        env={
            "_PUBCLI_COMPLETE": "complete_bash",
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(parts) - 1),
            **(env or {}),
        },
    )
    values = [line.partition(",")[2] for line in result.stdout.decode().splitlines()]
    return result.returncode, "\n".join(values), result.stderr.decode()


def test_completion_of_commands_ids_and_values(catalogue: Path, isolated: Path) -> None:
    """Command names, ids for show, and the catalogue's own types, components, topics."""
    assert complete("pubcli st", isolated)[1].split() == ["stats"]
    assert complete("pubcli show ", isolated)[1].split() == ["a", "b", "c", "d"]
    assert complete("pubcli filter --type St", isolated)[1].split() == ["Statement"]
    assert complete("pubcli filter --component C", isolated)[1].split() == ["CBP"]
    assert complete("pubcli stats --topic Bo", isolated)[1].split() == ["Border"]
    assert "--since" in complete("pubcli filter --s", isolated)[1].split()


def test_completion_is_silent_without_a_usable_catalogue(isolated: Path) -> None:
    """Missing or broken catalogue: no candidates, no message, exit 0."""
    code, out, err = complete("pubcli show ", isolated)
    assert (code, out.strip(), err) == (0, "", "")
    broken = isolated / "data" / "publications.toml"
    broken.parent.mkdir()
    broken.write_text("[[publications]\n")
    code, out, err = complete("pubcli show ", isolated)
    assert (code, out.strip(), err) == (0, "", "")


def test_completion_scripts_for_bash_zsh_and_fish(isolated: Path) -> None:
    """--show-completion prints the script of the current shell; each shell has one."""
    import subprocess

    from typer._completion_shared import get_completion_script

    from tests.conftest import PUBCLI

    # The shell is detected from the parent process: make it bash.
    result = subprocess.run(
        ["bash", "-c", f"'{PUBCLI}' --show-completion; exit $?"],
        cwd=isolated,
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "complete -o nosort -F _pubcli_completion pubcli" in result.stdout.decode()
    for shell, marker in (("bash", "complete -o"), ("zsh", "compdef"), ("fish", "complete ")):
        script = get_completion_script(
            prog_name="pubcli", complete_var="_PUBCLI_COMPLETE", shell=shell
        )
        assert marker in script and "_PUBCLI_COMPLETE" in script


def test_every_new_command_has_help(cli: Cli) -> None:
    """stats and schema explain themselves with an example."""
    for command in ("stats", "schema"):
        result = cli(command, "--help")
        assert result.code == 0 and "Examples:\n    pubcli " in result.out
    assert os.environ.get("_PUBCLI_COMPLETE") is None
