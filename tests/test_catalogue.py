"""Reading the catalogue file: decoding, parsing, entry lines, validation of the whole."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pubcli.catalogue.loader import header_lines, load_catalogue
from pubcli.errors import CatalogueError
from tests.conftest import entry


def load(path: Path) -> tuple[list[str], list[str]]:
    catalogue = load_catalogue(path, "cat.toml")
    return [p.id for p in catalogue.publications], [str(p) for p in catalogue.problems]


def test_valid_entries_load_in_file_order(make_catalogue: Callable[..., Path]) -> None:
    """Entries come back in the order of the file, with the line of each header."""
    path = make_catalogue("# top comment\n", entry("b", "B"), entry("a", "A", date="2019-01-01"))
    catalogue = load_catalogue(path, "cat.toml")
    assert [p.id for p in catalogue.publications] == ["b", "a"]
    assert catalogue.lines == [3, 9]
    assert catalogue.problems == []


def test_an_empty_file_is_an_empty_catalogue(make_catalogue: Callable[..., Path]) -> None:
    """No publications key at all means no publications, not an error."""
    assert load(make_catalogue("")) == ([], [])


def test_problems_name_path_line_and_id(make_catalogue: Callable[..., Path]) -> None:
    """A bad entry is reported as PATH:LINE: ID: message and left out."""
    path = make_catalogue(entry("good", "Good"), entry("bad", " "))
    ids, problems = load(path)
    assert ids == ["good"]
    assert problems == ["cat.toml:7: bad: 'title' is blank"]


def test_a_header_inside_a_multiline_string_is_not_an_entry(
    make_catalogue: Callable[..., Path],
) -> None:
    """Line numbers stay right when a summary holds a line that looks like a header."""
    tricky = (
        '[[publications]]\nid = "a"\ntitle = "A"\ntype = "T"\ncomponents = ["X"]\n'
        'summary = """\n[[publications]]\n\'\'\' and "" quotes\\""""\n\n'
        "[[publications]]\nid = \"b\"\ntitle = ''\ntype = 'T'\ncomponents = ['X']\n"
    )
    path = make_catalogue(tricky)
    _, problems = load(path)
    assert problems == ["cat.toml:10: b: 'title' is blank"]


def test_header_lines_accept_spacing_quotes_and_comments() -> None:
    """Every way TOML allows to write the header is found."""
    text = '[[publications]]\n [[ publications ]] # c\n[["publications"]]\n'
    assert header_lines(text, 3) == [1, 2, 3]


def test_duplicate_ids_keep_the_first(make_catalogue: Callable[..., Path]) -> None:
    """The later of two entries sharing an id is skipped and reported."""
    path = make_catalogue(entry("a", "First"), entry("a", "Second"))
    ids, problems = load(path)
    assert ids == ["a"]
    assert problems == ["cat.toml:7: a: duplicate id (first used at line 1)"]


def test_duplicate_title_and_date_is_reported_but_kept(
    make_catalogue: Callable[..., Path],
) -> None:
    """Same title (ignoring case and spacing) and date: a problem for check, not a skip."""
    path = make_catalogue(
        entry("a", "Some  Title", date="2019-01-01"), entry("b", "some title", date="2019-01-01")
    )
    catalogue = load_catalogue(path, "cat.toml")
    assert [p.id for p in catalogue.publications] == ["a", "b"]
    assert [str(p) for p in catalogue.problems] == ["cat.toml:8: b: same title and date as 'a'"]
    assert not catalogue.problems[0].skips_entry


def test_unknown_top_level_keys_and_schema_version(make_catalogue: Callable[..., Path]) -> None:
    """Only publications and an integer schema_version belong at the top (a newer version
    than 1 is a warning, not a problem: tests/test_values.py)."""
    path = make_catalogue('schema_version = "1"\ntitle = "x"\n', entry("a", "A"))
    ids, problems = load(path)
    assert ids == ["a"]
    assert problems == [
        "cat.toml:2: (top level): unknown key 'title'",
        "cat.toml:1: (top level): schema_version must be the integer 1",
    ]


def test_a_byte_order_mark_is_accepted(make_catalogue: Callable[..., Path]) -> None:
    """A UTF-8 BOM at the start of the file is not an error."""
    path = make_catalogue(entry("a", "Café"))
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert load(path) == (["a"], [])


def test_invalid_utf8_names_its_line(make_catalogue: Callable[..., Path]) -> None:
    """A bad byte is reported with the line and column where it is."""
    path = make_catalogue(entry("a", "A"))
    path.write_bytes(path.read_bytes().replace(b'title = "A"', b'title = "\xff"'))
    with pytest.raises(CatalogueError, match=r"^cat\.toml:3:10: not valid UTF-8 \(byte 0xff\)$"):
        load(path)


def test_toml_syntax_errors_name_line_and_column(make_catalogue: Callable[..., Path]) -> None:
    """Broken TOML is one error with its position."""
    path = make_catalogue(entry("a", "A"), "oops = = 1\n")
    with pytest.raises(CatalogueError, match=r"^cat\.toml:7:8: invalid TOML: "):
        load(path)


@pytest.mark.parametrize("text", ['publications = "x"\n', "publications = [1, 2]\n"])
def test_publications_must_be_an_array_of_tables(
    make_catalogue: Callable[..., Path], text: str
) -> None:
    """Any other shape of publications is a catalogue error, not a crash."""
    with pytest.raises(CatalogueError, match="'publications' must be an array of tables"):
        load(make_catalogue(text))


def test_an_inline_array_of_tables_is_read(make_catalogue: Callable[..., Path]) -> None:
    """publications = [{...}] is valid TOML; problems point at the key's line."""
    path = make_catalogue(
        '\npublications = [{id = "a", title = "A", type = "T", components = ["X"]}, {id = "B"}]\n'
    )
    ids, problems = load(path)
    assert ids == ["a"]
    assert problems[0].startswith("cat.toml:2: B: ")


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    """A missing file or a directory is a catalogue error naming the path."""
    with pytest.raises(CatalogueError, match="cannot read catalogue cat.toml: No such file"):
        load(tmp_path / "absent.toml")
    with pytest.raises(CatalogueError, match="it is a directory"):
        load(tmp_path)
