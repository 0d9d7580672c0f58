"""Building a catalogue's cache: from a catalogue parsed whole (``cache.write_cache``), or
block by block from the file itself (``build_cache``), the first query on a catalogue
with no cache then needing neither the whole file nor its whole parse in memory.

Both write the same sections through ``CacheSections``, byte for byte.

The block-by-block build takes a file made of ``[[publications]]`` blocks alone, by the
rule ``cache._block_headers`` applies to the bytes (and ``cache._block_starts`` to a
file parsed whole): every line that starts with ``[`` (after blanks) is such a header,
unindented, and nothing precedes the first one but top-level keys. It parses what
precedes the first header alone, then windows of whole blocks alone.

Why a file that passes gives what its whole parse gives: each window starts where a
header line starts, that is where the whole parse starts an expression too (by
induction from the file's start) unless the line lies inside a multi-line string or
array; then the part before the line ends inside that string or array, and does not
parse. A part that parses ends where the whole parse, reading the same bytes from the
same state, ends an expression as well. Inside a block nothing but a header reaches
beyond the entry, and every header is a window's split point, so each window's entries
are the whole parse's, and its header lines are theirs. Anything else (a part that
does not parse, or parses to anything but its blocks' entries, bytes that are not
UTF-8, a leading byte-order mark, a file that changed while read) means the whole
parse, which reports every error as it always has.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import time
import zlib
from array import array
from collections.abc import Iterator, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple

from pubcli import __version__
from pubcli.catalogue.loader import stamp_of
from pubcli.store.cache import (
    _BLOCK_GROUP,
    _BOM_BYTES,
    CACHE_FORMAT,
    CachedStore,
    Described,
    _append_of_blocks,
    _block_headers,
    _data_sections,
    _facet_counts,
    _index_groups,
    _key,
    _prepare_directory,
    _SectionFile,
    _tail_sections,
    _taken_lines,
    _Writer,
    is_racy,
)
from pubcli.store.query import SORT_KEYS, order_prefix, order_tie
from pubcli.store.stats import Count
from pubcli.store.text_index import INDEX_SECTIONS, IndexBuilder

if TYPE_CHECKING:
    import datetime

    from pubcli.catalogue.problems import Problem
    from pubcli.model import Publication

WINDOW = 2000
"""How many blocks are parsed at a time: a few megabytes of text and of its parse."""
_READ = 1 << 20
_STREAMED = ("ids", "records", "record_starts", "dates", "facets")


class NotStreamableError(Exception):
    """The file is not one the block-by-block build takes: parse it whole."""


class CacheSections:
    """The sections of one cache entry, written as the catalogue's entries are given in
    file order, a part at a time (``add``); ``finish`` writes the rest.

    Between parts it keeps what the sections of the whole need: the token index (as
    arrays), the facet counts so far, and the sort keys' inputs of each publication.
    """

    def __init__(self, writer: _Writer) -> None:
        self._writer = writer
        self.claim = writer.claim()
        self.generation, self.order_generation = self.claim.names
        self._files: dict[str, _SectionFile] = {}
        try:
            for name in (*_STREAMED, "taken"):
                self._files[name] = writer.open_section(self.generation, name)
            # The leading newline lets every line be found as "\n[" + id.
            self._files["taken"].write(b"\n")
            self._index = IndexBuilder(writer.directory)
        except BaseException:
            for file in self._files.values():
                file.__exit__()
            writer.abandon(self.claim)
            raise
        self._facet_counts: dict[str, list[Count]] = _facet_counts([], {})
        self._dates: list[datetime.date | None] = []
        self._titles: list[str] = []
        self._ids: list[str] = []
        self._types: list[str] = []
        self._type_spellings: dict[str, str] = {}

    def add(self, raw_entries: Sequence[Any], publications: Sequence[Publication]) -> None:
        """Record the next entries of the file (``publications``: the valid ones)."""
        data = _data_sections(publications, self._files["records"].length)
        for name in _STREAMED:
            self._files[name].write(data[name])
        del data
        self._files["taken"].write(_taken_lines(raw_entries))
        self._index.add(map(_index_groups, publications))
        self._facet_counts = _facet_counts(publications, self._facet_counts)
        spelling = self._type_spellings.setdefault
        for publication in publications:
            self._dates.append(publication.date)
            self._titles.append(publication.title)
            self._ids.append(publication.id)
            self._types.append(spelling(publication.type, publication.type))

    def finish(self, block_sections: Mapping[str, bytes]) -> dict[str, Any]:
        """Write the sections that need every entry, and return what the manifest says
        of the sections."""
        for file in self._files.values():
            file.__exit__()
        sections: dict[str, Described] = {}
        for name in _STREAMED:
            sections[name] = self._files[name].described()
        sections.update(self._writer.write_sections(self.generation, _tail_sections([], 0)))
        sections["taken"] = self._files["taken"].described()
        with contextlib.ExitStack() as stack:
            files: dict[str, _SectionFile] = {}

            def section(name: str) -> _SectionFile:
                files[name] = stack.enter_context(self._writer.open_section(self.generation, name))
                return files[name]

            self._index.write(section)
        sections.update((name, files[name].described()) for name in INDEX_SECTIONS)
        self._index = IndexBuilder()
        sections.update(self._writer.write_sections(self.generation, block_sections))
        orders = self._writer.write_sections(self.order_generation, self._orders())
        count = len(self._ids)
        return {
            "count": count,
            "indexed": count,
            "generation": self.generation,
            "order_generation": self.order_generation,
            "sections": sections,
            "orders": orders,
            "facet_counts": self._facet_counts,
        }

    def _orders(self) -> dict[str, bytes]:
        """The publications' permutation in each sort order (``query.order_key``): in the
        order of their ties, then of what precedes the tie in each order. ``sorted`` is
        stable, so what the prefixes leave equal stays in the order of the tie, and the
        tie's own equals in file order, as in a sort by the whole key."""
        ties = list(map(order_tie, self._titles, self._ids))
        by_tie = sorted(range(len(ties)), key=ties.__getitem__)
        del ties
        orders = {}
        for key in SORT_KEYS:
            prefix_of = partial(order_prefix, key)
            prefixes = list(map(prefix_of, self._dates, self._ids, self._types))
            orders[f"order-{key}"] = array("i", sorted(by_tie, key=prefixes.__getitem__)).tobytes()
        return orders

    def abandon(self) -> None:
        """Close and remove what was written (a build given up half-way)."""
        for file in self._files.values():
            file.__exit__()
        self._index.close()
        self._writer.abandon(self.claim)


def manifest_of(
    real_path: Path,
    status: os.stat_result,
    *,
    content_crc: int,
    newlines: int,
    racy: bool,
    built: Mapping[str, Any],
    problems: Sequence[Problem],
    append: list[Any],
    newer_schema: int | None,
) -> dict[str, Any]:
    """The manifest of a cache entry whose sections ``CacheSections.finish`` described."""
    return {
        "magic": "pubcli-cache",
        "format": CACHE_FORMAT,
        "pubcli": __version__,
        "byteorder": sys.byteorder,
        "catalogue": os.fsdecode(real_path),
        "stamp": list(stamp_of(status)),
        "content_crc": content_crc,
        # Line numbers of entries appended by hand start after these (open_grown).
        "newlines": newlines,
        "racy": racy,
        "count": built["count"],
        "indexed": built["indexed"],
        "generation": built["generation"],
        "order_generation": built["order_generation"],
        "sections": built["sections"],
        "orders": built["orders"],
        "problems": [[p.line, p.label, p.message, p.skips_entry] for p in problems],
        "facet_counts": built["facet_counts"],
        "append": append,
        "newer_schema": newer_schema,
    }


# --- the block-by-block build -----------------------------------------------------------


class _Part(NamedTuple):
    """Bytes of the file: what precedes the first header (no ``starts``), or whole blocks."""

    offset: int
    """Where the part starts in the file."""
    data: bytes
    starts: list[int]
    """Where each block starts in ``data``."""
    lines: list[int]
    """The line of each block's header in the file."""


class _Scan:
    """The file read once, in order, as parts (``parts``); what is learnt of the whole
    file on the way is kept here."""

    def __init__(self, file: BinaryIO) -> None:
        self._file = file
        self.size = 0
        self.crc = 0
        self.newlines = 0
        self.crlf = False
        self.last = b""

    def _read(self) -> bytes:
        part = self._file.read(_READ)
        if part:
            self.crc = zlib.crc32(part, self.crc)
            self.newlines += part.count(b"\n")
            self.crlf = self.crlf or b"\r\n" in part or (self.last == b"\r" and part[:1] == b"\n")
            self.size += len(part)
            self.last = part[-1:]
        return part

    def parts(self, window: int) -> Iterator[_Part]:
        """What precedes the first header, then windows of ``window`` whole blocks."""
        pending, pending_at = b"", 0  # the bytes read from offset ``pending_at`` on
        starts: list[int] = []  # the headers found in ``pending``: offsets in the file
        lines: list[int] = []  # and their lines
        scanned, line = 0, 1  # lines before offset ``scanned`` (a line start) are checked
        preamble = True
        while True:
            part = self._read()
            ended = not part
            if self.size == len(part) and part.startswith(_BOM_BYTES):
                raise NotStreamableError("a byte-order mark")
            pending += part
            end = len(pending) if ended else pending.rfind(b"\n") + 1
            if end > scanned - pending_at:
                found = _block_headers(
                    pending, scanned - pending_at, end, line, pending_at, starts, lines
                )
                if found is None:
                    raise NotStreamableError("a line starting with [ that is not a header")
                line = found
                scanned = pending_at + end
            if preamble and (starts or ended):
                if not starts:
                    raise NotStreamableError("no [[publications]] header")
                preamble = False
                yield _Part(0, pending[: starts[0]], [], [])
                pending, pending_at = pending[starts[0] :], starts[0]
            while len(starts) > window or (ended and starts):
                count = min(window, len(starts))
                cut = starts[count] - pending_at if count < len(starts) else len(pending)
                first = starts[0]
                blocks = [start - first for start in starts[:count]]
                yield _Part(first, pending[:cut], blocks, lines[:count])
                pending, pending_at = pending[cut:], pending_at + cut
                del starts[:count], lines[:count]
            if ended:
                return


def build_cache(
    directory: Path,
    real_path: Path,
    status: os.stat_result,
    display: str,
    file: BinaryIO,
    *,
    window: int | None = None,
) -> CachedStore:
    """Build the cache of the catalogue at ``real_path`` (as it was at ``status``: the
    regular ``file``, open and read from its start) block by block, ``window`` blocks
    at a time (``WINDOW`` unless given), and open it.

    Raises ``NotStreamableError`` when the file is not one this build takes (see the
    module's docstring), or changed while read; ``OSError`` when the cache cannot be
    written. Either way the caller parses the file whole.
    """
    started = time.time_ns()
    _prepare_directory(directory)
    writer = _Writer(directory, _key(real_path))
    sections = CacheSections(writer)
    try:
        with _no_cycle_collection():
            manifest = _build(
                file, sections, real_path, status, display, window or WINDOW, started
            )
    except BaseException:
        sections.abandon()
        raise
    writer.commit(manifest, sections.claim)
    return CachedStore(directory, real_path, manifest, display)


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """The cyclic garbage collector paused: the build makes millions of containers
    (parsed tables, records, token lists) and frees each by its reference count, so
    the collector's passes over what is alive find nothing (about 5% of the build)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _build(
    file: BinaryIO,
    sections: CacheSections,
    real_path: Path,
    status: os.stat_result,
    display: str,
    window: int,
    started: int,
) -> dict[str, Any]:
    from pubcli.catalogue.loader import checked_entries, top_level_problems
    from pubcli.catalogue.rules import EntryChecker, newer_schema

    scan = _Scan(file)
    parts = scan.parts(window)
    preamble = next(parts)
    text = _decoded(preamble.data)
    document = _parsed(text)
    if "publications" in document:
        raise NotStreamableError("publications before the first header")
    problems = top_level_problems(document, text, display)
    newer = newer_schema(document.get("schema_version"))
    del text, document
    checker = EntryChecker()
    block_starts, block_crcs = array("q"), array("I", [zlib.crc32(preamble.data)])
    groups, group_crc = array("I"), 0
    publication_lines = array("i")
    for part in parts:
        document = _parsed(_decoded(part.data))
        entries = document.pop("publications", None)
        if (
            document
            or type(entries) is not list
            or len(entries) != len(part.starts)
            or not all(type(entry) is dict for entry in entries)
        ):
            raise NotStreamableError("a window holds more than its blocks' entries")
        publications, lines, entry_problems = checked_entries(
            entries, part.lines, display, checker
        )
        problems += entry_problems
        publication_lines.extend(lines)
        sections.add(entries, publications)
        del document, entries, publications
        with memoryview(part.data) as view:
            for start, end in zip(part.starts, [*part.starts[1:], len(view)], strict=True):
                block = view[start:end]
                block_crcs.append(zlib.crc32(block))
                group_crc = zlib.crc32(block, group_crc)
                block_starts.append(part.offset + start)
                if len(block_starts) % _BLOCK_GROUP == 0:
                    groups.append(group_crc)
                    group_crc = 0
    if len(block_starts) % _BLOCK_GROUP:
        groups.append(group_crc)
    block_starts.append(scan.size)
    if scan.size != status.st_size or stamp_of(os.stat(real_path)) != stamp_of(status):
        raise NotStreamableError("the catalogue changed while read")
    del checker  # what it remembers of every entry: free before the sort orders are made
    built = sections.finish(
        {
            "block_starts": block_starts.tobytes(),
            "block_crcs": block_crcs.tobytes(),
            "block_groups": groups.tobytes(),
            "publication_lines": publication_lines.tobytes(),
        }
    )
    return manifest_of(
        real_path,
        status,
        content_crc=scan.crc,
        newlines=scan.newlines,
        # What was read, from ``started`` on, may hold a change that left the stamp.
        racy=is_racy(status, started),
        built=built,
        problems=problems,
        append=_append_of_blocks(scan.last, "\r\n" if scan.crlf else "\n"),
        newer_schema=newer,
    )


def _decoded(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise NotStreamableError("not UTF-8") from None


def _parsed(text: str) -> dict[str, Any]:
    import tomli

    try:
        return tomli.loads(text)
    except (tomli.TOMLDecodeError, ValueError, RecursionError):
        raise NotStreamableError("a part does not parse") from None
