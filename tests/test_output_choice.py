"""What a format asks for is what is printed: the schema covers every json and jsonl
output, ``--format`` beats the terminal's default, columns are named once, and add prints
an array (issue 11, items 7 and 8). Through the real entry point."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pubcli.fields import FIELD_NAMES
from tests.conftest import SHIPPED_CATALOGUE, run_process


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    """A validator of the schema that ``pubcli schema`` prints."""
    schema = json.loads(run_process(["schema"]).stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    columns=st.lists(st.sampled_from(FIELD_NAMES), min_size=1, unique=True),
    output_format=st.sampled_from(["json", "jsonl"]),
)
def test_output_with_any_columns_validates_against_the_schema(
    validator: jsonschema.Draft202012Validator, columns: list[str], output_format: str
) -> None:
    """Any subset of the columns, in any order, in json or jsonl: every record validates,
    and holds exactly the columns asked for, in that order."""
    result = run_process(
        ["list", "-c", str(SHIPPED_CATALOGUE), "--format", output_format,
         "--columns", ",".join(columns)]
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode()
    if output_format == "json":
        records = json.loads(text)
    else:
        records = [json.loads(line) for line in text.splitlines()]
    assert len(records) == 10
    for record in records:
        validator.validate(record)
        assert list(record) == columns


def test_the_schema_still_refuses_what_pubcli_never_prints(
    validator: jsonschema.Draft202012Validator,
) -> None:
    """No unknown key, no empty object, no bad id: the schema still says something."""
    for bad in ({}, {"id": "Bad Id"}, {"id": "a", "colour": "red"}, {"date": "2020"}):
        with pytest.raises(jsonschema.ValidationError):
            validator.validate(bad)


def test_show_and_add_json_validate(
    validator: jsonschema.Draft202012Validator, make_catalogue: Callable[..., Path]
) -> None:
    """show's object and add's array hold records of the same schema."""
    path = make_catalogue("")
    result = run_process(
        ["add", "--title", "A", "--type", "T", "--component", "X", "-f", "json"],
        cwd=path.parent.parent,
    )
    assert result.returncode == 0, result.stderr
    for record in json.loads(result.stdout):
        validator.validate(record)
    result = run_process(["show", "a", "-f", "json"], cwd=path.parent.parent)
    validator.validate(json.loads(result.stdout))


def test_an_explicit_table_format_wins_over_the_pipe_default() -> None:
    """``show ID --format table | cat`` prints the view made for reading, not the
    ``field: value`` lines a pipe gets by default."""
    arguments = ["show", "statement-tropical-storm-barry", "-c", str(SHIPPED_CATALOGUE)]
    lines = run_process(arguments).stdout.decode()
    table = run_process([*arguments, "--format", "table"]).stdout.decode()
    assert lines.startswith("id: statement-tropical-storm-barry\n")
    assert table.startswith("DHS Statement on Safety and Enforcement During Tropical Storm Barry")
    assert "id: " not in table and "\nid  " in table


def test_a_dry_run_prints_the_format_asked_for(make_catalogue: Callable[..., Path]) -> None:
    """``add --dry-run --format json`` prints the entries that would be added as a JSON
    array (not TOML), without a format the TOML; nothing is written either way."""
    path = make_catalogue("")
    arguments = ["add", "--title", "Draft", "--type", "Form", "--component", "ICE", "--dry-run"]
    result = run_process([*arguments, "--format", "json"], cwd=path.parent.parent)
    assert result.returncode == 0, result.stderr
    assert [record["id"] for record in json.loads(result.stdout)] == ["draft"]
    result = run_process(arguments, cwd=path.parent.parent)
    assert result.stdout.decode().startswith('[[publications]]\nid = "draft"\n')
    assert path.read_text(encoding="utf-8") == ""


def test_add_prints_an_array_for_one_entry_whatever_its_source(
    make_catalogue: Callable[..., Path],
) -> None:
    """One flag-added entry and a one-element --from-json both print a one-element array."""
    path = make_catalogue("")
    flags = ["add", "--title", "One", "--type", "T", "--component", "X", "-f", "json"]
    result = run_process(flags, cwd=path.parent.parent)
    assert [record["id"] for record in json.loads(result.stdout)] == ["one"]
    record = {"title": "Two", "type": "T", "components": ["X"]}
    for document in (record, [record | {"title": "Three"}]):
        result = run_process(
            ["add", "--from-json", "-", "-f", "json"],
            cwd=path.parent.parent,
            input_bytes=json.dumps(document).encode(),
        )
        assert result.returncode == 0, result.stderr
        assert isinstance(json.loads(result.stdout), list)


@pytest.mark.parametrize("output_format", ["json", "jsonl", "csv", "tsv", "table", "ids"])
@pytest.mark.parametrize("command", ["list", "filter"])
def test_a_repeated_column_is_refused_in_every_format(command: str, output_format: str) -> None:
    """``--columns id,id`` is exit 2 naming the column, on either route, in every format."""
    result = run_process(
        [command, "-c", str(SHIPPED_CATALOGUE), "-f", output_format, "--columns", "id,title,ID"]
    )
    assert (result.returncode, result.stdout) == (2, b"")
    assert result.stderr.decode() == (
        "error: repeated column 'id' in --columns; name each column once\n"
    )
