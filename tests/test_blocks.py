"""The catalogue split into preamble and blocks (catalogue/blocks.py)."""

from __future__ import annotations

import pytest
import tomli
from hypothesis import given, settings
from hypothesis import strategies as st

from pubcli.catalogue.blocks import split_blocks
from pubcli.catalogue.loader import header_lines
from pubcli.catalogue.writer import render_block
from pubcli.errors import CatalogueError
from tests.conftest import publications

comment = st.sampled_from(
    ["# a comment", "#", "  # indented", "# [[publications]] in a comment", "# id = 'x'"]
)
blank = st.sampled_from(["", "   "])
# Values that hold what looks like structure (under a key of their own: splitting does
# not validate entries), in each kind of multi-line string and in an array.
tricky_value = st.sampled_from(
    [
        'note = """\n[[publications]]\n# not a comment\nid = "no"\n"""',
        "note = '''\n[[publications]]\n[publications.extra]\n'''",
        'note = """x\n# looks like a comment"""',
        'note = [\n  "a", # a comment in an array\n  "b",\n]',
    ]
)


@st.composite
def catalogues(draw: st.DrawFn) -> tuple[bytes, list[str]]:
    """A catalogue's bytes made of blocks with comments, blank lines and tricky strings
    in and between them, and the ids of its entries in order."""
    entries = draw(st.lists(publications, max_size=5, unique_by=lambda p: p.id))
    lines: list[str] = []
    if draw(st.booleans()):
        lines += draw(st.lists(comment | blank, max_size=2))
        lines.append("schema_version = 1")
    for publication in entries:
        lines += draw(st.lists(comment | blank, max_size=3))
        block = render_block([publication]).splitlines()
        inside = draw(st.lists(comment | blank, max_size=2))
        at = draw(st.integers(1, len(block)))
        block[at:at] = inside
        if draw(st.booleans()):
            block.append(draw(tricky_value))
        lines += block
    lines += draw(st.lists(comment | blank, max_size=2))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = newline.join(lines) + draw(st.sampled_from(["", newline]))
    bom = draw(st.sampled_from(["", "\ufeff"]))
    return (bom + text).encode("utf-8"), [p.id for p in entries]


@settings(max_examples=300)
@given(catalogues())
def test_preamble_and_blocks_are_the_file_and_each_block_parses_alone(
    catalogue: tuple[bytes, list[str]],
) -> None:
    """Concatenated, the pieces are the file byte for byte; each block parses on its own
    to the entry the whole file has at its place, with its id and header line."""
    data, ids = catalogue
    split = split_blocks(data, "c.toml")
    assert split.preamble + b"".join(data[b.start : b.end] for b in split.blocks) == data
    assert [b.start for b in split.blocks[1:]] == [b.end for b in split.blocks[:-1]]
    text = data.decode("utf-8").removeprefix("\ufeff")
    whole = tomli.loads(text).get("publications", [])
    alone = [
        tomli.loads(data[b.start : b.end].decode("utf-8"))["publications"] for b in split.blocks
    ]
    assert alone == [[entry] for entry in whole]
    assert [b.id for b in split.blocks] == ids
    # Given the parsed entries, the quicker split (when it trusts itself) agrees.
    assert split_blocks(data, "c.toml", whole) == split
    assert [b.line for b in split.blocks] == header_lines(text, len(whole))
    for block in split.blocks:
        assert data[block.header : block.end].lstrip(b" \t").startswith(b"[[publications]]")


def test_the_comment_lines_directly_above_a_header_belong_to_its_block() -> None:
    """Comments with no blank line before the header go with the entry; the others stay
    with the block before (or the preamble)."""
    data = (
        b"# the catalogue\n\n# about a\n[[publications]]\nid = 'a'\n# trailing of a\n\n"
        b"# about b, line 1\n# line 2\n[[publications]]\nid = 'b'\n"
    )
    split = split_blocks(data, "c.toml")
    assert split.preamble == b"# the catalogue\n\n"
    first, second = (data[b.start : b.end] for b in split.blocks)
    assert first == b"# about a\n[[publications]]\nid = 'a'\n# trailing of a\n\n"
    assert second == b"# about b, line 1\n# line 2\n[[publications]]\nid = 'b'\n"
    assert [b.line for b in split.blocks] == [4, 10]


def test_a_header_inside_a_multi_line_string_is_not_a_block() -> None:
    """The token scanner, not a line pattern, decides where headers are."""
    data = b'[[publications]]\nid = "a"\nsummary = """\n[[publications]]\nid = "b"\n"""\n'
    split = split_blocks(data, "c.toml")
    assert [(b.start, b.end, b.id) for b in split.blocks] == [(0, len(data), "a")]


def test_ids_with_escapes_or_in_multi_line_strings_are_read() -> None:
    """An id spelt with an escape or as a multi-line string is the id TOML reads; a
    non-string id is None."""
    data = (
        b'[[publications]]\nid = "a\\u0062"\n[[publications]]\nid = """c"""\n'
        b"[[publications]]\nid = 3\n[[publications]]\ntitle = 'no id'\n"
    )
    assert [b.id for b in split_blocks(data, "c.toml").blocks] == ["ab", "c", None, None]


def test_offsets_are_bytes_of_a_file_with_non_ascii_text() -> None:
    """Offsets count bytes (a BOM and accented letters included), not characters."""
    data = "\ufeff# é\n[[publications]]\nid = 'é'\n[[publications]]\nid = 'b'\n".encode()
    split = split_blocks(data, "c.toml")
    assert data[split.blocks[1].start : split.blocks[1].end] == b"[[publications]]\nid = 'b'\n"
    assert split.preamble == b"\xef\xbb\xbf"


def test_a_file_without_entries_is_all_preamble() -> None:
    """No header: the whole file is the preamble."""
    assert split_blocks(b"# nothing yet\nschema_version = 1", "c.toml") == (
        b"# nothing yet\nschema_version = 1",
        [],
    )


@pytest.mark.parametrize(
    ("text", "line", "shown"),
    [
        ("[[publications]]\nid = 'a'\n[publications.extra]\nx = 1\n", 3, "[publications.extra]"),
        ("[[publications]]\nid = 'a'\n[[publications.x]]\ny = 1\n", 3, "[[publications.x]]"),
        ("publications = [{id = 'a'}]\n", 1, "publications = [{id = 'a'}]"),
        ("# c\n'publications' = []\n", 2, "'publications' = []"),
        ("[other]\nx = 1\n[[publications]]\nid = 'a'\n", 1, "[other]"),
    ],
)
def test_what_is_not_made_of_blocks_is_refused_with_its_line(
    text: str, line: int, shown: str
) -> None:
    """Sub-tables, arrays inside entries, other tables and an inline array are refused,
    naming the line and what is there."""
    with pytest.raises(CatalogueError) as raised:
        split_blocks(text.encode(), "c.toml")
    message = str(raised.value)
    assert message.startswith(f"c.toml:{line}: {shown} is ")
    assert "[[publications]] blocks" in message
