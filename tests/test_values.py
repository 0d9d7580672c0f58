"""What add writes, value by value: the schema version it may write to, the values it
refuses or adopts, and the style of the block (SPEC sections 1 and 3; issue 11)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pubcli.catalogue.loader import load_catalogue
from pubcli.model import Publication
from pubcli.store.updates import add_publications
from tests.conftest import SHIPPED_CATALOGUE, Outcome, entry, publications, run_process

Cli = Callable[..., Outcome]

ADD = ["add", "--title", "New", "--type", "Letter", "--component", "ICE"]


# --- schema_version newer than this pubcli knows --------------------------------------


@pytest.mark.parametrize(
    "arguments",
    [
        ["list"],
        ["list", "--no-cache"],
        ["filter", "--text", "alpha", "-f", "ids"],
        ["show", "a"],
        ["stats", "--by", "type"],
    ],
)
def test_a_newer_schema_version_is_read_with_one_warning(
    cli: Cli, make_catalogue: Callable[..., Path], arguments: list[str]
) -> None:
    """Every reader, cold and warm (the first call builds the cache), reads the entries
    and says once which version the file has and which this pubcli knows."""
    make_catalogue("schema_version = 2\n", entry("a", "Alpha"))
    for _ in range(2):
        result = cli(*arguments)
        assert result.code == 0, result.err
        assert "a" in result.out
        lines = result.err.splitlines()
        assert len(lines) == 1, result.err
        assert lines[0].startswith("warning: data/publications.toml: schema_version 2 ")
        assert "(1)" in lines[0]


def test_check_reads_a_newer_schema_version_with_one_warning(
    cli: Cli, make_catalogue: Callable[..., Path]
) -> None:
    """check warns once and checks the entries by the rules it knows: a clean file is ok."""
    make_catalogue("schema_version = 3\n", entry("a", "Alpha"))
    result = cli("check")
    assert (result.code, result.out) == (0, "ok: 1 publication\n")
    assert result.err.count("\n") == 1
    assert "schema_version 3 is newer than this pubcli knows (1)" in result.err


@pytest.mark.parametrize("value", ['"2"', "0", "1.0", "true"])
def test_a_schema_version_that_is_no_version_is_a_problem(
    cli: Cli, make_catalogue: Callable[..., Path], value: str
) -> None:
    """Only an integer from 1 up is a version."""
    make_catalogue(f"schema_version = {value}\n", entry("a", "Alpha"))
    result = cli("check")
    assert result.code == 3
    assert "schema_version must be the integer 1" in result.out


@pytest.mark.parametrize("how", ["cold", "warm cache", "no cache", "from json", "dry run"])
def test_add_never_writes_a_newer_schema_version(
    cli: Cli, make_catalogue: Callable[..., Path], how: str
) -> None:
    """add exits 3 naming both versions, and the file stays byte for byte."""
    path = make_catalogue("schema_version = 2\n", entry("a", "Alpha"))
    before = path.read_bytes()
    arguments = list(ADD)
    if how == "warm cache":
        assert cli("list").code == 0
    elif how == "no cache":
        arguments.append("--no-cache")
    elif how == "from json":
        record = {"title": "New", "type": "Letter", "components": ["ICE"]}
        Path("new.json").write_text(json.dumps(record), encoding="utf-8")
        arguments = ["add", "--from-json", "new.json"]
    elif how == "dry run":
        arguments.append("--dry-run")
    result = cli(*arguments)
    assert result.code == 3
    assert result.err == (
        "error: cannot write data/publications.toml: its schema_version 2 is newer than "
        "this pubcli knows (1); upgrade pubcli to write it\n"
    )
    assert path.read_bytes() == before


def test_add_writes_to_a_file_of_the_current_schema_version(
    cli: Cli, make_catalogue: Callable[..., Path]
) -> None:
    """Version 1, written or not, is this pubcli's own."""
    make_catalogue("schema_version = 1\n", entry("a", "Alpha"))
    assert cli(*ADD).code == 0


# --- no ';' in a list value -----------------------------------------------------------


def test_check_refuses_a_semicolon_in_a_list_value(
    cli: Cli, make_catalogue: Callable[..., Path]
) -> None:
    """csv, tsv and markdown join lists with '; ': a value holding ';' would split in two."""
    make_catalogue(
        entry("a", "Alpha", components=["ICE; CBP"]), entry("b", "Beta", topics=["x", "y;z"])
    )
    result = cli("check")
    assert result.code == 3
    assert result.out.splitlines() == [
        "data/publications.toml:1: a: 'components' value 1 contains ';' (csv, tsv and "
        "markdown join a list with '; '; write two values instead)",
        "data/publications.toml:7: b: 'topics' value 2 contains ';' (csv, tsv and "
        "markdown join a list with '; '; write two values instead)",
    ]
    listed = cli("list", "-f", "ids", "--no-cache")
    assert listed.out == ""  # skipped by the readers, with a warning each
    assert listed.err.count("warning: ") == 2


@pytest.mark.parametrize(
    "extra",
    [["--component", "CBP;ICE"], ["--topic", "Privacy; Forms"]],
)
def test_add_refuses_a_semicolon_in_a_list_value(
    cli: Cli, make_catalogue: Callable[..., Path], extra: list[str]
) -> None:
    """Refused with exit 2 and nothing written, from flags..."""
    path = make_catalogue(entry("a", "Alpha"))
    before = path.read_bytes()
    result = cli(*ADD, *extra)
    assert result.code == 2
    assert "contains ';'" in result.err
    assert path.read_bytes() == before


def test_add_from_json_refuses_a_semicolon_in_a_list_value(
    cli: Cli, make_catalogue: Callable[..., Path]
) -> None:
    """...and from JSON, naming the record."""
    path = make_catalogue(entry("a", "Alpha"))
    before = path.read_bytes()
    record = {"title": "New", "type": "Letter", "components": ["ICE"], "topics": ["a;b"]}
    result = run_process(
        ["add", "--from-json", "-"], input_bytes=json.dumps(record).encode(), cwd=path.parent
    )
    assert result.returncode == 2
    assert b"record 1: 'topics' value 1 contains ';'" in result.stderr
    assert path.read_bytes() == before


# --- values as typed ------------------------------------------------------------------


def test_surrounding_whitespace_of_typed_values_is_dropped(
    cli: Cli, make_catalogue: Callable[..., Path]
) -> None:
    """Title, type, summary and each facet value are written without the spaces around them
    (the summary keeps its inner lines and indentation)."""
    path = make_catalogue(entry("a", "Alpha"))
    result = cli(
        "add",
        "--title",
        "  Spaced Out \t",
        "--type",
        " Letter ",
        "--component",
        " CBP",
        "--topic",
        "Privacy  ",
        "--summary",
        "\n  First line\n    indented\n",
    )
    assert result.code == 0, result.err
    added = path.read_text(encoding="utf-8").split("[[publications]]")[-1]
    assert added == (
        '\nid = "spaced-out"\ntitle = "Spaced Out"\ntype = "Letter"\ncomponents = ["CBP"]\n'
        'topics = ["Privacy"]\nsummary = """\nFirst line\n    indented"""\n'
    )


def test_a_json_summary_with_windows_line_ends_is_normalised(
    cli: Cli, make_catalogue: Callable[..., Path]
) -> None:
    """``\\r\\n`` in a JSON summary is a line end, not a refused control character."""
    path = make_catalogue(entry("a", "Alpha"))
    record = {"title": "New", "type": "Letter", "components": ["ICE"], "summary": "one\r\ntwo"}
    Path("new.json").write_text(json.dumps(record), encoding="utf-8")
    result = cli("add", "--from-json", "new.json", "-f", "json")
    assert result.code == 0, result.err
    assert json.loads(result.out)[0]["summary"] == "one\ntwo"
    assert b"\r" not in path.read_bytes()
    assert json.loads(cli("show", "new", "-f", "json").out) == json.loads(result.out)[0]


@pytest.mark.parametrize("cache", ["cold", "warm", "no cache"])
def test_add_adopts_the_catalogues_spelling_and_says_so(
    cli: Cli, make_catalogue: Callable[..., Path], cache: str
) -> None:
    """A type, component or topic differing only in case from one in the catalogue takes
    the catalogue's spelling, one note line each, from the cache as from the file."""
    path = make_catalogue(entry("a", "Alpha", type_="Privacy Impact Assessment", topics=["DACA"]))
    flags = ["--no-cache"] if cache == "no cache" else []
    if cache == "warm":
        assert cli("list").code == 0
    result = cli(
        "add",
        *["--title", "New", "--type", "privacy impact assessment"],
        *["--component", "ice", "--component", "CBP", "--topic", "daca", "--topic", "Forms"],
        *flags,
    )
    assert result.code == 0, result.err
    assert result.err == (
        'note: using the catalogue\'s spelling "Privacy Impact Assessment" for type '
        '"privacy impact assessment"\n'
        'note: using the catalogue\'s spelling "ICE" for component "ice"\n'
        'note: using the catalogue\'s spelling "DACA" for topic "daca"\n'
        "added new to data/publications.toml\n"
    )
    text = path.read_text(encoding="utf-8")
    assert 'type = "Privacy Impact Assessment"\ncomponents = ["ICE", "CBP"]\n' in text
    assert 'topics = ["DACA", "Forms"]\n' in text
    assert "ice" not in text.replace("Office", "")


@pytest.mark.parametrize("cache", ["cold", "warm", "no cache"])
def test_a_facet_value_in_another_normal_form_is_the_same_value(
    cli: Cli, make_catalogue: Callable[..., Path], cache: str
) -> None:
    """A component typed with a combining accent (NFD, as macOS file names and some
    keyboards give it) is the catalogue's precomposed value: adopted, filtered and counted
    as one, not a second value that looks the same."""
    make_catalogue(entry("a", "Alpha", components=["Café"]))
    flags = ["--no-cache"] if cache == "no cache" else []
    if cache == "warm":
        assert cli("list").code == 0
    decomposed = "Cafe\u0301"
    result = cli("add", "--title", "New", "--type", "Letter", "--component", decomposed, *flags)
    assert result.code == 0, result.err
    assert result.err.startswith(
        f'note: using the catalogue\'s spelling "Café" for component "{decomposed}"\n'
    )
    found = cli("filter", "--component", decomposed, "--format", "ids", *flags)
    assert found.out.split() == ["a", "new"]
    counts = json.loads(cli("stats", "--format", "json", *flags).out)
    assert decomposed not in json.dumps(counts, ensure_ascii=False)


def test_dry_run_shows_the_adopted_spelling(cli: Cli, make_catalogue: Callable[..., Path]) -> None:
    """What --dry-run prints is what add would write."""
    make_catalogue(entry("a", "Alpha"))
    result = cli("add", "--title", "New", "--type", "STATEMENT", "--component", "Ice", "--dry-run")
    assert result.code == 0
    assert 'type = "Statement"\ncomponents = ["ICE"]\n' in result.out
    assert result.err.count("note: ") == 2


# --- the style of what add writes -----------------------------------------------------

TAPLO = Path(sys.executable).parent / "taplo"


def taplo_is_happy(path: Path) -> bool:
    """Whether ``taplo fmt --check`` (taplo's default style) would leave the file as it is."""
    result = subprocess.run(
        [str(TAPLO), "fmt", "--check", "--no-auto-config", str(path)],
        capture_output=True,
        cwd=path.parent,
        env={key: value for key, value in os.environ.items() if not key.startswith("TAPLO")},
    )
    return result.returncode == 0


@pytest.mark.parametrize("summary", ["\n\\", "two\nlines \\", "one line \\", "\\\n\\"])
def test_a_summary_ending_with_a_backslash_is_stable_under_taplo(
    make_catalogue: Callable[..., Path], summary: str
) -> None:
    """taplo misreads a multi-line string that ends with an escaped backslash (``\\\"""``,
    valid TOML): add writes such a summary on one line, which taplo reads, and it reads
    back as it was."""
    path = make_catalogue("schema_version = 1\n\n" + entry("existing-zz-9", "Existing"))
    new = Publication(id="new", title="New", type="x", components=("ICE",), summary=summary)
    add_publications(path, "c", [new])
    assert taplo_is_happy(path), path.read_text(encoding="utf-8")
    assert load_catalogue(path, "c").publications[1:] == [new]


def test_the_shipped_catalogue_is_stable_under_taplo() -> None:
    """The catalogue shipped is written in taplo's default style."""
    assert taplo_is_happy(SHIPPED_CATALOGUE)


def test_add_writes_short_arrays_on_one_line(
    cli: Cli, make_catalogue: Callable[..., Path]
) -> None:
    """As the file does: ``["ICE"]``, not an array over three lines; one past taplo's 80
    columns is expanded as taplo expands it."""
    path = make_catalogue(entry("a", "Alpha"))
    long_topics = ["Tropical Depression Imelda", "Disaster Response", "Immigration Enforcement"]
    topic_flags = [flag for topic in long_topics for flag in ("--topic", topic)]
    assert cli(*ADD, "--component", "CBP", *topic_flags).code == 0
    assert path.read_text(encoding="utf-8").endswith(
        'components = ["ICE", "CBP"]\n'
        "topics = [\n"
        '  "Tropical Depression Imelda",\n'
        '  "Disaster Response",\n'
        '  "Immigration Enforcement",\n'
        "]\n"
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    batch=st.lists(
        publications,
        min_size=1,
        max_size=3,
        unique_by=(lambda p: p.id, lambda p: (" ".join(p.title.casefold().split()), p.date)),
    )
)
def test_every_block_add_writes_is_stable_under_taplo(
    make_catalogue: Callable[..., Path], batch: list[Publication]
) -> None:
    """Random entries (long arrays, quotes, backslashes, multi-line summaries) added to a
    file in taplo's style leave it in taplo's style, and read back as they were."""
    path = make_catalogue("schema_version = 1\n\n" + entry("existing-zz-9", "Existing"))
    assert taplo_is_happy(path)
    add_publications(path, "c", batch)
    assert taplo_is_happy(path), path.read_text(encoding="utf-8")
    assert load_catalogue(path, "c").publications[1:] == batch
