"""The catalogue's bytes as a preamble and one block per entry (SPEC sections 9 and 10).

A block runs from the comment lines directly above its ``[[publications]]`` header (no
blank line between) to just before the next block, or to the end of the file: so
``preamble + every block`` is the file, byte for byte, and each block parses on its own
to its entry. ``edit``, ``remove`` and ``merge-driver`` change a file block by block.

Where headers, keys and comments are is decided by the loader's one token scanner
(``loader.structure``), never by a line pattern: a multi-line string may hold a line that
looks like a header. A file that is not a sequence of ``[[publications]]`` blocks (a
sub-table such as ``[publications.extra]``, an array ``[[publications.x]]``, another table,
an inline ``publications = [...]``) is refused with a ``CatalogueError`` naming the line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from pubcli.catalogue.loader import decode, structure
from pubcli.errors import CatalogueError
from pubcli.safe_text import one_line

_PUBLICATIONS = ("publications",)
_BOM = "\ufeff".encode()
# The value of an ``id`` key when it is a one-line string; anything else is read by tomli.
_ONE_LINE_STRING = re.compile(r"""[ \t]*("(?:[^"\\\n]|\\.)*"|'[^'\n]*')[ \t]*(?:#|\r?\n|$)""")


class Block(NamedTuple):
    """One entry's bytes in the file: ``data[start:end]``."""

    start: int
    """Byte offset of the block: its first comment line directly above the header, else
    the header line."""
    end: int
    """Byte offset just past the block: the next block's start, or the file's length."""
    header: int
    """Byte offset of the start of the ``[[publications]]`` header's line."""
    line: int
    """The header's line number (1-based), as ``check`` reports it."""
    id: str | None
    """The entry's ``id`` if it is a string, else None."""


class Blocks(NamedTuple):
    """A catalogue split into its preamble and its entries' blocks, in file order."""

    preamble: bytes
    """Everything before the first block (a byte-order mark, comments, ``schema_version``);
    the whole file when it has no entries."""
    blocks: list[Block]


def split_blocks(data: bytes, display: str, entries: Sequence[Any] | None = None) -> Blocks:
    """Split catalogue bytes into preamble and blocks; refuse what is not made of blocks.

    The bytes must be UTF-8 (``CatalogueError`` with the line otherwise); they need not
    be valid TOML, but only valid TOML is promised to parse block by block.

    ``entries``, the file's entries as parsed, allow a quicker split (a pattern at C speed
    instead of the token scanner) when it finds exactly one plain header line per entry,
    no other table line, and no quotes in the comments above a header; ids then come from
    the entries. As ``loader.header_lines`` does, it trusts that count: a writer proves its
    result by parsing it (``changes``), so a wrong split is refused, never written.
    """
    text = decode(data, display)
    base = len(_BOM) if data.startswith(_BOM) else 0
    to_byte = _ByteOffsets(text, base, ascii_only=len(text) + base == len(data))
    if entries is not None:
        quick = _quick_split(text, entries)
        if quick is not None:
            return _blocks_of(data, quick, to_byte)
    headers: list[tuple[int, int, int]] = []  # (block start, header offset, line) in text
    ids: list[str | None] = []
    comment_run: tuple[int, int] | None = None  # (start of first line, end of last line)
    line = 1
    counted = 0
    for found in structure(text, comments=True):
        line += text.count("\n", counted, found.offset)
        counted = found.offset
        if found.kind == "comment":
            comment_run = _extend_run(text, found.offset, comment_run)
            continue
        if found.kind == "array_header" and found.key == _PUBLICATIONS:
            start = found.offset
            if comment_run is not None and comment_run[1] + 1 == found.offset:
                start = comment_run[0]
            headers.append((start, found.offset, line))
            ids.append(None)
        elif found.kind != "key":
            raise _refused(display, line, text, found.offset, "a table that is not an entry")
        elif not headers:
            if found.key[0] == "publications":
                raise _refused(display, line, text, found.offset, "an inline publications")
        elif found.key == ("id",):
            ids[-1] = _id_value(text, found.offset)
        comment_run = None
    return _blocks_of(data, [(*h, id_) for h, id_ in zip(headers, ids, strict=True)], to_byte)


_Found = tuple[int, int, int, str | None]
"""Where a block starts, its header's offset and line, its id (character offsets)."""


def _blocks_of(data: bytes, found: list[_Found], to_byte: _ByteOffsets) -> Blocks:
    blocks = []
    end_of_text = to_byte.length
    for index, (start, header, header_line, id_) in enumerate(found):
        end = found[index + 1][0] if index + 1 < len(found) else end_of_text
        blocks.append(Block(to_byte(start), to_byte(end), to_byte(header), header_line, id_))
    preamble_end = blocks[0].start if blocks else len(data)
    return Blocks(data[:preamble_end], blocks)


_HEADER_LINE = re.compile(r"^[ \t]*\[\[[ \t]*publications[ \t]*\]\][ \t]*(?:#[^\n]*)?$", re.M)
_TABLE_LINE = re.compile(r"^[ \t]*\[", re.M)


def _quick_split(text: str, entries: Sequence[Any]) -> list[_Found] | None:
    """The blocks found by line patterns, or None when they are not to be trusted."""
    headers = [match.start() for match in _HEADER_LINE.finditer(text)]
    if len(headers) != len(entries) or len(_TABLE_LINE.findall(text)) != len(headers):
        return None
    found: list[_Found] = []
    line, counted = 1, 0
    for header, raw in zip(headers, entries, strict=True):
        line += text.count("\n", counted, header)
        counted = header
        start = comment_run_start(text, header)
        if start is None:
            return None
        id_ = raw.get("id") if isinstance(raw, Mapping) else None
        found.append((start, header, line, id_ if isinstance(id_, str) else None))
    return found


def comment_run_start(text: str, header: int) -> int | None:
    """Where the block whose header line starts at ``header`` starts: at the first of the
    whole-line comments directly above it (no blank line between), else at the header.
    None when such a comment holds a triple quote: it may end a multi-line string, and
    only the token scanner can tell (``text`` starts at a line that no string spans)."""
    start = header
    while start:
        above = text.rfind("\n", 0, start - 1) + 1
        comment = text[above : start - 1]
        if not comment.lstrip(" \t").startswith("#"):
            break
        if '"""' in comment or "'''" in comment:
            return None
        start = above
    return start


def _extend_run(text: str, offset: int, run: tuple[int, int] | None) -> tuple[int, int] | None:
    """The run of whole-line comments ending with the comment at ``offset``, or None if
    that comment follows something else on its line."""
    line_start = text.rfind("\n", 0, offset) + 1
    if text[line_start:offset].strip(" \t"):
        return None
    line_end = text.find("\n", offset)
    line_end = len(text) if line_end < 0 else line_end
    if run is not None and run[1] + 1 == line_start:
        return (run[0], line_end)
    return (line_start, line_end)


def _id_value(text: str, key_offset: int) -> str | None:
    """The string value of the ``id`` key whose line starts at ``key_offset``, or None."""
    equals = text.index("=", key_offset)
    match = _ONE_LINE_STRING.match(text, equals + 1)
    if match is not None and "\\" not in match.group(1):
        return match.group(1)[1:-1]
    # An escape or a multi-line string (rare): the parser reads the value, cut before the
    # next line that starts a key or a header.
    import tomli

    after = structure(text[key_offset:])
    next(after)  # the id key itself
    following = next(after, None)
    end = len(text) if following is None else key_offset + following.offset
    try:
        value = tomli.loads(text[key_offset:end]).get("id")
    except tomli.TOMLDecodeError:
        return None
    return value if isinstance(value, str) else None


def _refused(display: str, line: int, text: str, offset: int, what: str) -> CatalogueError:
    line_end = text.find("\n", offset)
    shown = text[offset : len(text) if line_end < 0 else line_end].strip()
    return CatalogueError(
        f"{one_line(display)}:{line}: {one_line(shown[:80])} is {what}: pubcli changes only "
        "catalogues made of [[publications]] blocks (edit the file by hand, or move the "
        "values into the entry)"
    )


class _ByteOffsets:
    """Byte offsets of increasing character offsets of the decoded text."""

    def __init__(self, text: str, base: int, *, ascii_only: bool) -> None:
        self._text = text
        self._ascii = ascii_only
        self._base = base
        self._character = 0
        self._byte = base
        self.length = len(text)
        """The text's length in characters (the offset of its end)."""

    def __call__(self, offset: int) -> int:
        if self._ascii:
            return self._base + offset
        if offset < self._character:  # not increasing: count from the start again
            self._character, self._byte = 0, self._base
        self._byte += len(self._text[self._character : offset].encode("utf-8", "surrogatepass"))
        self._character = offset
        return self._byte
