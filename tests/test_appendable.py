"""Unusual but valid catalogues: any key spelling, key-like text in strings (issue 10, 4)."""

from __future__ import annotations

import dataclasses
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pubcli.catalogue.loader import appendable, entries_of, load_catalogue, parse_toml
from pubcli.errors import CatalogueError
from pubcli.model import Publication
from pubcli.store.updates import add_publications
from tests.conftest import run_process

ADD = ["add", "--title", "New One", "--type", "T", "--component", "ICE"]
REFUSED = (
    b"error: data/publications.toml: 'publications' is not written as [[publications]] "
    b"tables; add will not rewrite it\n"
)
# Spellings of the key that TOML reads as "publications".
SPELLINGS = [
    "publications",
    '"publications"',
    "'publications'",
    '"publi\\u0063ations"',
    '"\\u0070ublications"',
]
# Lines that look like headers or keys, harmless inside a multi-line string.
CONFUSERS = [
    "publications = 42",
    "[[publications]]",
    "'publications' = []",
    '[[ "publi\\u0063ations" ]]',
    "publications.x = 1",
    "[publications]",
    'id = "fake"',
]


@pytest.mark.parametrize("cached", [True, False], ids=["cached", "no-cache"])
@pytest.mark.parametrize("key", ["'publications'", '"publi\\u0063ations"', "publications "])
def test_an_inline_publications_key_is_refused_however_spelt(
    make_catalogue: Callable[..., Path], isolated: Path, cached: bool, key: str
) -> None:
    """``'publications' = []`` is an inline array: add exits 3 and writes nothing, on the
    cached path too (it used to exit 0 and leave a file that no longer parses)."""
    path = make_catalogue("# catalogue\nschema_version = 1\n" + key + "= []\n")
    before = path.read_bytes()
    env = {} if cached else {"PUBCLI_NO_CACHE": "1"}
    assert run_process(["list", "--format", "ids"], cwd=isolated, env=env).returncode == 0
    result = run_process(ADD, cwd=isolated, env=env)
    assert (result.returncode, result.stderr) == (3, REFUSED)
    assert path.read_bytes() == before


@pytest.mark.parametrize("cached", [True, False], ids=["cached", "no-cache"])
def test_key_like_lines_in_a_summary_do_not_block_add(
    make_catalogue: Callable[..., Path], isolated: Path, cached: bool
) -> None:
    """A summary whose lines read ``publications = 42`` or ``[[publications]]`` is text:
    add appends after it (it used to refuse the valid catalogue)."""
    summary = "\n".join(CONFUSERS)
    path = make_catalogue(
        '[[publications]]\nid = "a"\ntitle = "Alpha"\ntype = "T"\ncomponents = ["ICE"]\n'
        f'summary = """\n{summary}\n"""\n'
    )
    env = {} if cached else {"PUBCLI_NO_CACHE": "1"}
    assert run_process(["list", "--format", "ids"], cwd=isolated, env=env).stdout == b"a\n"
    result = run_process(ADD, cwd=isolated, env=env)
    assert (result.returncode, result.stderr) == (0, b"added new-one to data/publications.toml\n")
    loaded = load_catalogue(path, "c")
    assert [p.id for p in loaded.publications] == ["a", "new-one"]
    assert loaded.publications[0].summary == summary.replace("\\u0063", "c") + "\n"


def test_check_names_the_line_of_an_inline_key_however_spelt(
    make_catalogue: Callable[..., Path], isolated: Path
) -> None:
    """Entries of an inline array are reported at the line of the key, whatever its spelling
    (a line that exists, not the first line of the file)."""
    make_catalogue(
        '# one\n# two\nschema_version = 1\n"publi\\u0063ations" = [ { id = "x", title = "X" } ]\n'
    )
    result = run_process(["check"], cwd=isolated)
    assert result.returncode == 3
    assert result.stdout.decode().splitlines()[0].startswith("data/publications.toml:4: x: ")


def _ws() -> st.SearchStrategy[str]:
    return st.sampled_from(["", " ", "\t", "  "])


@st.composite
def catalogues(draw: st.DrawFn) -> tuple[str, bool]:
    """A valid catalogue text with random key spellings and key-like lines in multi-line
    strings, and whether its publications are written inline."""
    inline = draw(st.booleans())
    count = draw(st.integers(min_value=0, max_value=4))
    parts = ["# catalogue\n"]
    if draw(st.booleans()):
        parts.append(f"schema_version{draw(_ws())}={draw(_ws())}1\n")
    bodies = []
    for number in range(count):
        lines = [f'id = "e{number}"', f'title = "Entry {number}"', 'type = "T"']
        lines.append('components = [\n  "ICE",\n  "publications = 1",\n]')
        confusers = "\n".join(draw(st.lists(st.sampled_from(CONFUSERS), max_size=3)))
        if draw(st.booleans()):
            lines.append(f'summary = """\n{confusers}\n"""')
        else:
            lines.append(f"summary = '''\n{confusers}\n'''")
        if draw(st.booleans()):
            lines.append(f"{draw(st.sampled_from(SPELLINGS))}{draw(_ws())}.{draw(_ws())}x = 1")
        bodies.append(lines)
    key = draw(st.sampled_from(SPELLINGS))
    if inline:
        tables = ", ".join("{ " + ", ".join(b[:3]) + " }" for b in bodies)
        parts.append(f"{key}{draw(_ws())}={draw(_ws())}[{tables}]\n")
    for body in [] if inline else bodies:
        header = f"[[{draw(_ws())}{draw(st.sampled_from(SPELLINGS))}{draw(_ws())}]]"
        parts.append(f"\n{draw(_ws())}{header}\n" + "\n".join(body) + "\n")
    if draw(st.booleans()):
        parts.append(f"\n[{draw(_ws())}other{draw(_ws())}]\npublications = 1\n")
    return "".join(parts), inline


NEW = Publication(id="new-one", title="New One", type="T", components=("ICE",))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=catalogues())
def test_appendable_agrees_with_the_parse_and_add_keeps_the_file_valid(
    case: tuple[str, bool],
) -> None:
    """``appendable`` is true exactly when every entry has its own ``[[publications]]``
    header and no inline array defines them; add then leaves a file that parses with the
    new entry last, with and without a cache; otherwise add refuses and writes nothing."""
    text, inline = case
    document = parse_toml(text, "c")
    entries = entries_of(document, "c")
    assert appendable(text, entries) is not inline
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "publications.toml"
        path.write_text(text, encoding="utf-8")
        cache_directory = Path(directory) / "cache"
        cache_directory.mkdir(mode=0o700)
        for number, new in enumerate([NEW, dataclasses.replace(NEW, id="newer", title="Newer")]):
            if inline:
                with pytest.raises(CatalogueError):
                    add_publications(path, "c", [new], cache_directory)
                assert path.read_text(encoding="utf-8") == text
                continue
            add_publications(path, "c", [new], cache_directory)
            after = entries_of(parse_toml(path.read_text(encoding="utf-8"), "c"), "c")
            assert after[: len(entries)] == entries
            assert [raw["id"] for raw in after[len(entries) :]] == ["new-one", "newer"][
                : number + 1
            ]


# The scan's multi-line string patterns before they matched runs possessively: the
# reference the faster ones must agree with.
_REFERENCE_REST = {
    '"""': re.compile(r'(?:[^"\\]|\\[\s\S]|"(?!""))*"""(?:""?)?'),
    "'''": re.compile(r"(?:[^']|'(?!''))*'''(?:''?)?"),
}


@settings(max_examples=500, deadline=None)
@given(
    body=st.lists(st.sampled_from(["a", " ", "\n", '"', "'", "\\", '\\"', '"""', "'''", "é"])),
    delimiter=st.sampled_from(['"""', "'''"]),
)
def test_multi_line_strings_end_where_the_character_by_character_scan_ends(
    body: list[str], delimiter: str
) -> None:
    """Where a multi-line string ends (or that it never does) is what the slower pattern
    said, for any body of quotes, backslashes and text."""
    from pubcli.catalogue import loader

    text = "".join(body)
    faster = loader._BASIC_ML_REST if delimiter == '"""' else loader._LITERAL_ML_REST
    expected = _REFERENCE_REST[delimiter].match(text)
    got = faster.match(text)
    assert (got and got.end()) == (expected and expected.end())
