"""Merge three versions of a catalogue entry by entry, matched by id (SPEC section 10).

git merges text line by line: two branches that each append entries at the end of the
file conflict every time. Here each version is split into its preamble and its entries'
blocks (``blocks.split_blocks``, the one splitter) and the entries are merged by id:

- added, changed or removed on one side only: that side's bytes;
- added or changed identically on both sides: once;
- changed differently on both sides, or changed on one and removed on the other: a
  conflict, git's marker lines around that entry alone.

The result keeps OURS' entries in their order, then THEIRS' new entries in theirs. The
preamble (comments, ``schema_version``) is merged line by line (``merge_lines``).

An entry's block is compared without the blank lines at its end: those separate it from
the next entry, and a branch that appends an entry after the last one adds a blank line
there without changing the entry. Every byte of a block is kept, and where an entry
gets a new neighbour (it was last in its version), it is separated as the file separates
its entries.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

from pubcli.catalogue.blocks import split_blocks
from pubcli.catalogue.conflicts import OURS_MARKER, SEPARATOR, THEIRS_MARKER
from pubcli.errors import CatalogueError, UnresolvedConflictError
from pubcli.safe_text import one_line

_BOM = "\ufeff".encode()


class MergeResult(NamedTuple):
    """The merged catalogue's bytes and what conflicted in it."""

    content: bytes
    conflicts: list[str]
    """One description per conflict marked in ``content``; empty for a clean merge."""
    ids: list[str]
    """The ids of the entries in ``content`` (conflicted ones included), in order."""


class _Version(NamedTuple):
    """One version of the catalogue, split: its preamble and its entries by id."""

    preamble: bytes
    order: list[str]
    body: dict[str, bytes]
    """Each entry's block without the blank lines at its end."""
    gap: dict[str, bytes]
    """The blank lines at the end of each entry's block."""


def merge_catalogues(
    base: bytes, ours: bytes, theirs: bytes, *, label: str = "", display: str = ""
) -> MergeResult:
    """Merge OURS and THEIRS, both changed from BASE, entry by entry (see the module).

    ``label`` (the catalogue's path in the repository) is shown in the conflict markers
    (``<<<<<<< ours:LABEL``), ``display`` in error messages. A version that is not made of
    ``[[publications]]`` blocks, or whose entries cannot all be told apart by a string id,
    is refused with a ``CatalogueError``.
    """
    named = display or label or "catalogue"
    versions = [
        _split(data, f"{name} version of {named}")
        for data, name in ((base, "base"), (ours, "our"), (theirs, "their"))
    ]
    base_version, ours_version, theirs_version = versions
    newline = b"\r\n" if b"\r\n" in ours else b"\n"
    markers = _Markers(label, newline)
    conflicts: list[str] = []

    preamble, preamble_conflicts = merge_lines(
        base_version.preamble, ours_version.preamble, theirs_version.preamble, markers
    )
    if preamble_conflicts:
        conflicts.append("the text before the entries changed differently on both sides")

    # (bytes of the entry or of its conflict, its gap, whether its version had it last)
    merged: list[tuple[bytes, bytes, bool]] = []
    ids: list[str] = []
    for version, others in ((ours_version, None), (theirs_version, ours_version)):
        for position, id_ in enumerate(version.order):
            if others is not None and id_ in others.body:
                continue  # an entry of both versions takes OURS' place
            text, conflict = _merge_entry(
                base_version.body.get(id_),
                ours_version.body.get(id_),
                theirs_version.body.get(id_),
                markers,
            )
            if conflict:
                conflicts.append(f"'{one_line(id_)}': {conflict}")
            if text is not None:
                last = position == len(version.order) - 1
                merged.append((text, version.gap[id_], last))
                ids.append(id_)

    separator = _usual_gap(versions, newline)
    final_gap = ours_version.gap[ours_version.order[-1]] if ours_version.order else None
    pieces = [preamble]
    # A byte-order mark alone is no line of text: the first header follows it directly.
    text_before = preamble.removeprefix(_BOM)
    if text_before and not text_before.endswith(b"\n") and merged:
        pieces.append(newline)
    for index, (text, gap, last_of_its_version) in enumerate(merged):
        pieces.append(text)
        if index == len(merged) - 1:
            pieces.append(gap if final_gap is None else final_gap)
        else:
            pieces.append(separator if last_of_its_version else gap)
    return MergeResult(b"".join(pieces), conflicts, ids)


class Merged(NamedTuple):
    """What the merge driver did to OURS."""

    conflicts: list[str]
    """The conflicts marked in the file, one description each."""
    problems: list[str]
    """Without conflicts: what ``check`` finds wrong in the merged catalogue."""


def merge_files(base: Path, ours: Path, theirs: Path, label: str | None) -> Merged:
    """git's merge driver contract: merge the three files and write the result into OURS
    (atomically, keeping its permission bits). A conflicted result, or one that does not
    pass ``check``, is written too, for the user to finish; on a ``PubcliError`` OURS is
    untouched."""
    from pubcli.catalogue import writer
    from pubcli.catalogue.loader import (
        check_document,
        decode,
        parse_toml,
        read_bytes,
        refuse_conflict_markers,
    )
    from pubcli.catalogue.rules import newer_schema, refuse_newer_schema

    shown = label or str(ours)
    base_data = read_bytes(base, str(base))
    theirs_data = read_bytes(theirs, str(theirs))
    with writer.writing(ours, str(ours)) as target:
        try:
            ours_data, status = writer.read_state(target)
        except writer.ChangedMeanwhile:
            raise CatalogueError(f"{one_line(str(ours))} changed while it was read") from None
        result = merge_catalogues(
            base_data, ours_data, theirs_data, label=label or "", display=shown
        )
        problems: list[str] = []
        if not result.conflicts:
            try:
                text = decode(result.content, shown)
                document = parse_toml(text, shown)
            except CatalogueError as error:
                problems = [str(error)]
            else:
                refuse_newer_schema(newer_schema(document.get("schema_version")), shown)
                _check_read_back(document, result.ids, shown)
                problems = [
                    str(problem) for problem in check_document(document, text, shown).problems
                ]
                try:  # as check does: a whole conflict left inside a multi-line string
                    refuse_conflict_markers(text, shown)
                except UnresolvedConflictError as error:
                    problems.append(str(error))
        written = writer.write_content(target, status, result.content)
        if written is None:
            raise CatalogueError(f"{one_line(str(ours))} changed while it was merged")
    return Merged(result.conflicts, problems)


def _check_read_back(document: dict[str, object], ids: list[str], display: str) -> None:
    """The merged file must read back as the merged entries: the ids they were merged
    under, in the merged order (each block is a whole block of a version, so each is the
    entry it was there)."""
    entries = document.get("publications", [])
    if (
        not isinstance(entries, list)
        or [entry.get("id") if isinstance(entry, dict) else None for entry in entries] != ids
    ):
        raise CatalogueError(
            f"{one_line(display)}: the merged entries would not read back as merged; "
            "nothing was written"
        )


def _split(data: bytes, display: str) -> _Version:
    split = split_blocks(data, display)
    order: list[str] = []
    body: dict[str, bytes] = {}
    gap: dict[str, bytes] = {}
    first_line: dict[str, int] = {}
    for block in split.blocks:
        if block.id is None:
            raise CatalogueError(
                f"{one_line(display)}:{block.line}: an entry without a string id cannot be "
                "merged by id"
            )
        if block.id in first_line:
            raise CatalogueError(
                f"{one_line(display)}:{block.line}: duplicate id '{one_line(block.id)}' "
                f"(first used at line {first_line[block.id]}): entries cannot be merged by id"
            )
        first_line[block.id] = block.line
        order.append(block.id)
        body[block.id], gap[block.id] = _without_gap(data[block.start : block.end])
    return _Version(split.preamble, order, body, gap)


def _without_gap(block: bytes) -> tuple[bytes, bytes]:
    """A block split into its text, to the end of its last line that is not blank (that
    line's end excluded), and what follows: that line's end and the blank lines after it.
    A multi-line string ends on a line with its quotes, so this is never inside one."""
    content_end = len(block.rstrip(b" \t\r\n"))
    line_end = block.find(b"\n", content_end)
    if line_end < 0:
        return block, b""
    if line_end > 0 and block[line_end - 1 : line_end] == b"\r":
        line_end -= 1
    return block[:line_end], block[line_end:]


def _merge_entry(
    base: bytes | None, ours: bytes | None, theirs: bytes | None, markers: _Markers
) -> tuple[bytes | None, str | None]:
    """One entry's merged bytes (None: it is gone) and, if it conflicts, why."""
    if ours == theirs:
        return ours, None
    if ours == base:
        return theirs, None
    if theirs == base:
        return ours, None
    if base is None:
        why = "added differently on both sides"
    elif ours is None:
        why = "removed on ours, changed on theirs"
    elif theirs is None:
        why = "changed on ours, removed on theirs"
    else:
        why = "changed differently on both sides"
    return markers.around([ours or b""], [theirs or b""], line_end=False), why


def _usual_gap(versions: Sequence[_Version], newline: bytes) -> bytes:
    """What separates one entry from the next in OURS (else THEIRS, else BASE): the most
    common gap after an entry that is not the last; else a blank line, as add writes."""
    for version in (versions[1], versions[2], versions[0]):
        gaps = Counter(version.gap[id_] for id_ in version.order[:-1])
        if gaps:
            return gaps.most_common(1)[0][0]
    return newline + newline


class _Markers:
    """git's conflict markers, labelled ``ours``/``theirs`` and the path (as git labels
    ``HEAD:path``), in the file's newline style."""

    def __init__(self, label: str, newline: bytes) -> None:
        suffix = f":{label}" if label else ""
        self.newline = newline
        self.ours = f"{OURS_MARKER} ours{suffix}".encode() + newline
        self.separator = SEPARATOR.encode() + newline
        self.theirs = f"{THEIRS_MARKER} theirs{suffix}".encode() + newline

    def around(
        self, ours: Sequence[bytes], theirs: Sequence[bytes], *, line_end: bool = True
    ) -> bytes:
        """A conflict between the lines ``ours`` and ``theirs``; without ``line_end``, its
        last marker line has no line end (an entry's gap follows it)."""
        marked = b"".join(
            [self.ours, self._lines(ours), self.separator, self._lines(theirs), self.theirs]
        )
        return marked if line_end else marked.removesuffix(self.newline)

    def _lines(self, lines: Sequence[bytes]) -> bytes:
        text = b"".join(lines)
        return text + self.newline if text and not text.endswith(b"\n") else text


# --- a three-way merge of lines (diff3) ------------------------------------------------

_LINE = re.compile(rb"[^\n]*\n|[^\n]+\Z")


def lines_of(data: bytes) -> list[bytes]:
    """``data`` as lines, each with its line ending (the last may have none)."""
    return _LINE.findall(data)


def merge_lines(base: bytes, ours: bytes, theirs: bytes, markers: _Markers) -> tuple[bytes, int]:
    """Merge two changed versions of a text line by line, as ``diff3 -m`` does: a change
    made on one side only is taken; the same change on both sides is taken once; a region
    changed differently on both sides is a conflict, marked. Returns the text and the
    number of conflicts.

    The preamble this merges is a few lines: a small diff3 on difflib's matcher is simpler
    and surer than writing three temporary files for ``git merge-file``, and works where
    the driver is run without git.
    """
    base_lines, ours_lines, theirs_lines = lines_of(base), lines_of(ours), lines_of(theirs)
    pieces: list[bytes] = []
    conflicts = 0
    for region in _regions(base_lines, ours_lines, theirs_lines):
        base_part, ours_part, theirs_part = region
        if ours_part == theirs_part or theirs_part == base_part:
            pieces += ours_part
        elif ours_part == base_part:
            pieces += theirs_part
        else:
            pieces.append(markers.around(ours_part, theirs_part))
            conflicts += 1
    return b"".join(pieces), conflicts


_Region = tuple[list[bytes], list[bytes], list[bytes]]


def _regions(base: list[bytes], ours: list[bytes], theirs: list[bytes]) -> Iterator[_Region]:
    """The three texts as alternating regions: unstable (either side differs from BASE)
    and stable (BASE's lines, unchanged on both sides), each as (base, ours, theirs)."""
    base_at = ours_at = theirs_at = 0
    for base_start, base_end, ours_start, theirs_start in _stable_runs(base, ours, theirs):
        if (base_at, ours_at, theirs_at) != (base_start, ours_start, theirs_start):
            yield (
                base[base_at:base_start],
                ours[ours_at:ours_start],
                theirs[theirs_at:theirs_start],
            )
        length = base_end - base_start
        if length:
            stable = base[base_start:base_end]
            yield stable, stable, stable
        base_at, ours_at, theirs_at = base_end, ours_start + length, theirs_start + length


def _stable_runs(
    base: list[bytes], ours: list[bytes], theirs: list[bytes]
) -> Iterator[tuple[int, int, int, int]]:
    """Runs of BASE lines matched in both OURS and THEIRS: (base start, base end, ours
    start, theirs start), in order, ending with an empty run at the ends of all three."""
    ours_matches = difflib.SequenceMatcher(None, base, ours, autojunk=False).get_matching_blocks()
    theirs_matches = difflib.SequenceMatcher(
        None, base, theirs, autojunk=False
    ).get_matching_blocks()
    i = j = 0
    while i < len(ours_matches) and j < len(theirs_matches):
        ours_base, ours_start, ours_length = ours_matches[i]
        theirs_base, theirs_start, theirs_length = theirs_matches[j]
        start = max(ours_base, theirs_base)
        end = min(ours_base + ours_length, theirs_base + theirs_length)
        if start < end:
            yield (
                start,
                end,
                ours_start + start - ours_base,
                theirs_start + start - theirs_base,
            )
        if ours_base + ours_length < theirs_base + theirs_length:
            i += 1
        else:
            j += 1
    yield len(base), len(base), len(ours), len(theirs)
