"""A token index that answers ``--text`` without scanning every entry's text.

The text of an entry is its ``search.field_groups``: every field folded, with runs of
whitespace as one space. A token is a run of characters between spaces in one field.
A query word holds no whitespace, so wherever it occurs it lies inside one token: the
entries containing the word are exactly the union of the entries of every token that
contains it, and scanning the (small) list of distinct tokens for the word finds those
tokens. The index keeps each distinct token once, with the sorted list of the entries
that hold it (its postings) and of the places where it stands (its positions).

A phrase of several words occurs exactly where its first word ends a token, each middle
word is the next token whole, and its last word begins the token after those: the
positions of the candidate tokens of each word, shifted by the word's place in the
phrase, meet at the phrase's start. A position is the token's ordinal in the whole text
shifted left by ``KIND_BITS``, with the number of its field (``search.FIELDS``) in the
low bits; each field value ends with a gap of one ordinal, so a phrase never spans two
fields, two components or two entries, and a term limited to a field keeps only the
positions of that field.

Entries added since the index was built are kept as text (``entry_text``) and scanned.
"""

from __future__ import annotations

import bisect
import os
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from operator import itemgetter
from pathlib import Path
from typing import BinaryIO, Protocol, cast

from pubcli.store.search import FieldGroups

TOKEN_END = b"\n"  # no token holds whitespace
FIELD_END = b"\x00"
VALUE_END = b"\x1f"
ENTRY_END = b"\x01"
"""The separators of ``entry_text``: valid catalogue text holds no control character,
and a normalized query holds no whitespace but spaces, so no needle can contain them."""
KIND_BITS = 3
MAX_ORDINAL = (1 << (31 - KIND_BITS)) - 1
"""Positions are 32-bit: a catalogue of more tokens than this is not indexed."""


def entry_text(groups: FieldGroups) -> bytes:
    """One entry's searchable text as the cache keeps it: fields ended by NUL, values of
    a list joined by U+001F, the entry ended by U+0001."""
    return (
        FIELD_END.join(
            VALUE_END.join(value.encode("utf-8", "surrogatepass") for value in group)
            for group in groups
        )
        + ENTRY_END
    )


def groups_of(text: bytes) -> FieldGroups:
    """The field groups of one ``entry_text`` (without its ending)."""
    fields = text.decode("utf-8", "surrogatepass").split(FIELD_END.decode())
    if len(fields) != 6:
        raise ValueError("not an entry's text")
    single = tuple((value,) for value in fields[:4])
    lists = tuple(tuple(value.split(VALUE_END.decode())) if value else () for value in fields[4:])
    return single + lists


_LOW = 0xFFFFFFFF


def _seen_again(once: int, position: int, entry: int) -> tuple[array[int], array[int]]:
    """The positions and entries of a token seen once (``once``: its number, entry and
    position) and now again at ``position`` in ``entry``."""
    first = once >> 32 & _LOW
    entries = array("I", (first,) if first == entry else (first, entry))
    return array("I", (once & _LOW, position)), entries


INDEX_SECTIONS = (
    "vocab",
    "vocab_starts",
    "postings",
    "posting_starts",
    "positions",
    "position_starts",
    "entry_ordinals",
)
"""The index as bytes: tokens, where each starts, their entries, where each list starts,
their positions, where each list of positions starts, each entry's first ordinal."""
SPILL_ORDINALS = 1 << 22
"""The lists of tokens seen again are moved to a temporary file after this many ordinals
(about 16 MB of positions): memory holds the tokens and the lists since the last move."""
_PART = 1 << 16  # items of a section given to ``write`` at a time
_READ = 1 << 18


class SectionSink(Protocol):
    """Where the bytes of one section go, a part at a time."""

    def write(self, data: bytes) -> None: ...


class IndexBuilder:
    """The index of entries 0, 1, 2, ... given a part at a time (``add``), so that a large
    catalogue is indexed as it is read, in bounded memory.

    A token seen once (most of an id or a number is) is kept as one integer: its number
    (tokens are numbered as first seen), entry and position. A token seen again gets
    arrays of 32-bit integers for its entries and positions; every ``spill_ordinals``
    ordinals these lists are appended to a temporary file in ``spill_directory`` (in
    token order) and emptied. ``write`` joins, token by token, what each move holds and
    what is left in memory: the same bytes as if nothing had moved.
    """

    def __init__(
        self, spill_directory: Path | None = None, spill_ordinals: int = SPILL_ORDINALS
    ) -> None:
        # token -> number << 64 | entry << 32 | position (seen once), or its positions
        self._positions_of: dict[str, int | array[int]] = {}
        self._entries_of: dict[str, array[int]] = {}  # of each token seen again
        self._numbers: dict[str, int] = {}  # of each token seen again
        self._entry_ordinals = array("q")
        self._ordinal = 0
        self._spill_directory = spill_directory
        self._spill_ordinals = spill_ordinals
        self._spilled_at = 0  # the ordinal of the last move
        self._spill: BinaryIO | None = None
        self._moves: list[tuple[int, int]] = []  # where each move is in the file

    def add(self, entries: Iterable[FieldGroups]) -> None:
        """Index the field groups of the next entries."""
        positions_of = self._positions_of
        entries_of = self._entries_of
        numbers = self._numbers
        positions_of_token = positions_of.get
        entry_ordinals = self._entry_ordinals
        ordinal = self._ordinal
        step = 1 << KIND_BITS
        for entry, groups in enumerate(entries, start=len(entry_ordinals)):
            entry_ordinals.append(ordinal)
            once = entry << 32
            for kind, group in enumerate(groups):
                for value in group:
                    tokens = value.split()
                    position = ordinal << KIND_BITS | kind
                    for token in tokens:
                        where = positions_of_token(token)
                        if where is None:
                            positions_of[token] = len(positions_of) << 64 | once | position
                        else:
                            try:
                                where.append(position)  # type: ignore[union-attr]
                            except AttributeError:  # seen once before: now arrays
                                positions_of[token], entries_of[token] = _seen_again(
                                    where,  # type: ignore[arg-type]
                                    position,
                                    entry,
                                )
                                numbers[token] = where >> 64  # type: ignore[operator]
                            else:
                                holders = entries_of[token]
                                if not holders or holders[-1] != entry:
                                    holders.append(entry)
                        position += step
                    ordinal += len(tokens) + 1  # and a gap: no phrase spans two values
            if ordinal > MAX_ORDINAL:
                raise ValueError("too many tokens to index")
        self._ordinal = ordinal
        if self._spill_directory is not None and ordinal - self._spilled_at > self._spill_ordinals:
            self._move_lists()

    def _move_lists(self) -> None:
        """Append every list held to the temporary file, in token order, and empty it."""
        import tempfile

        if self._spill is None:
            self._spill = tempfile.TemporaryFile(dir=self._spill_directory)
        start = self._spill.seek(0, os.SEEK_END)
        positions_of, entries_of = self._positions_of, self._entries_of
        for token, number in sorted(self._numbers.items(), key=itemgetter(1)):
            positions = cast("array[int]", positions_of[token])  # seen again: arrays
            holders = entries_of[token]
            if positions:
                header = array("i", (number, len(positions), len(holders)))
                self._spill.write(header.tobytes())
                self._spill.write(positions.tobytes())
                self._spill.write(holders.tobytes())
                del positions[:], holders[:]
        self._spill.flush()
        self._moves.append((start, self._spill.tell()))
        self._spilled_at = self._ordinal

    def close(self) -> None:
        """Remove the temporary file, if any."""
        if self._spill is not None:
            self._spill.close()
            self._spill = None

    def write(self, section: Callable[[str], SectionSink]) -> None:
        """Write the sections of the index (``INDEX_SECTIONS``): ``section(name)`` is
        where each goes. The index is emptied as they are written."""
        sinks = {name: section(name) for name in INDEX_SECTIONS}
        moves = [_Moved(self._spill, *where) for where in self._moves if self._spill]
        vocab: list[bytes] = []
        vocab_starts, posting_starts, position_starts = array("q"), array("q"), array("q")
        postings, positions = array("I"), array("I")
        vocab_at = posting_at = position_at = 0
        entries_of = self._entries_of
        for number, (token, where) in enumerate(self._positions_of.items()):
            encoded = token.encode("utf-8", "surrogatepass") + TOKEN_END
            vocab.append(encoded)
            vocab_starts.append(vocab_at)
            vocab_at += len(encoded)
            posting_starts.append(posting_at)
            position_starts.append(position_at)
            if type(where) is int:
                positions.append(where & _LOW)
                postings.append(where >> 32 & _LOW)
                position_at += 1
                posting_at += 1
            else:
                for moved in moves:
                    if moved.number == number:
                        moved_positions, moved_postings = moved.take()
                        positions.frombytes(moved_positions)
                        postings.frombytes(moved_postings)
                        position_at += len(moved_positions) // 4
                        posting_at += len(moved_postings) // 4
                positions.extend(where)  # type: ignore[arg-type]
                postings.extend(entries_of[token])
                position_at += len(where)  # type: ignore[arg-type]
                posting_at += len(entries_of[token])
            if len(positions) >= _PART or len(vocab) >= _PART:
                sinks["positions"].write(positions.tobytes())
                sinks["postings"].write(postings.tobytes())
                sinks["vocab"].write(b"".join(vocab))
                del positions[:], postings[:], vocab[:]
            if len(vocab_starts) >= _PART:
                sinks["vocab_starts"].write(vocab_starts.tobytes())
                sinks["posting_starts"].write(posting_starts.tobytes())
                sinks["position_starts"].write(position_starts.tobytes())
                del vocab_starts[:], posting_starts[:], position_starts[:]
        if any(moved.number is not None for moved in moves):
            raise ValueError("the index's temporary file holds more than its tokens")
        self.close()
        posting_starts.append(posting_at)
        position_starts.append(position_at)
        sinks["vocab"].write(b"".join(vocab))
        for name, values in (
            ("vocab_starts", vocab_starts),
            ("postings", postings),
            ("posting_starts", posting_starts),
            ("positions", positions),
            ("position_starts", position_starts),
            ("entry_ordinals", self._entry_ordinals),
        ):
            sinks[name].write(values.tobytes())
        self._positions_of.clear()
        self._entries_of.clear()
        self._numbers.clear()


class _Moved:
    """The lists moved to the temporary file by one move, read back in token order."""

    def __init__(self, file: BinaryIO, start: int, end: int) -> None:
        self._descriptor = file.fileno()
        self._at, self._end = start, end
        self._buffer = b""
        self._offset = 0
        self.number: int | None = None
        self._lengths = (0, 0)
        self._next()

    def _read(self, size: int) -> bytes:
        while len(self._buffer) - self._offset < size:
            part = os.pread(
                self._descriptor, min(max(size, _READ), self._end - self._at), self._at
            )
            if not part:
                raise ValueError("the index's temporary file ended early")
            self._buffer = self._buffer[self._offset :] + part
            self._offset = 0
            self._at += len(part)
        data = self._buffer[self._offset : self._offset + size]
        self._offset += size
        return data

    def _next(self) -> None:
        if self._at == self._end and self._offset == len(self._buffer):
            self.number = None
            return
        header = array("i")
        header.frombytes(self._read(12))
        self.number, positions, postings = header
        self._lengths = (positions, postings)

    def take(self) -> tuple[bytes, bytes]:
        """The positions and the entries of the token ``number``, as bytes."""
        positions, postings = self._lengths
        taken = self._read(positions * 4), self._read(postings * 4)
        self._next()
        return taken


ANYWHERE, PREFIX, SUFFIX, WHOLE = "anywhere", "prefix", "suffix", "whole"


def tokens_with(
    word: bytes, vocab: bytes, vocab_starts: Sequence[int], where: str = ANYWHERE
) -> Iterator[int]:
    """The tokens (by number) that contain ``word`` (UTF-8, folded, no whitespace), or
    begin with it (``PREFIX``), end with it (``SUFFIX``) or are it (``WHOLE``)."""
    count = len(vocab_starts)
    position = vocab.find(word)
    while position >= 0:
        token = bisect.bisect_right(vocab_starts, position) - 1
        following = token + 1
        start = vocab_starts[token]
        end = vocab_starts[following] - 1 if following < count else len(vocab) - 1
        if (
            where == ANYWHERE
            or (where == PREFIX and vocab.startswith(word, start, end))
            or (where == SUFFIX and vocab.endswith(word, start, end))
            or (where == WHOLE and end - start == len(word) and vocab.startswith(word, start))
        ):
            yield token
        if following >= count:
            break
        position = vocab.find(word, vocab_starts[following])


def entries_with(
    word: bytes,
    vocab: bytes,
    vocab_starts: Sequence[int],
    postings: Callable[[int, int], Sequence[int]],
    posting_starts: Sequence[int],
) -> list[int]:
    """The entries whose text contains ``word`` (UTF-8, folded, no whitespace), sorted.
    ``postings(start, end)`` gives the stored entries from ``start`` to ``end``."""
    lists = [
        postings(posting_starts[token], posting_starts[token + 1])
        for token in tokens_with(word, vocab, vocab_starts)
    ]
    if len(lists) == 1:
        return list(lists[0])  # each token's entries are stored sorted
    found: set[int] = set()
    for entries in lists:
        found.update(entries)
    return sorted(found)


def phrase_positions(
    words: Sequence[bytes],
    vocab: bytes,
    vocab_starts: Sequence[int],
    positions: Callable[[int, int], Sequence[int]],
    position_starts: Sequence[int],
) -> set[int]:
    """The positions where the phrase ``words`` (UTF-8, folded, each without whitespace)
    begins: one word anywhere in a token; else the first ending a token, the middle ones
    whole tokens, the last beginning the token after them."""
    last = len(words) - 1
    candidates = []
    for place, word in enumerate(words):
        where = (
            ANYWHERE if not last else SUFFIX if not place else PREFIX if place == last else WHOLE
        )
        tokens = list(tokens_with(word, vocab, vocab_starts, where))
        if not tokens:
            return set()
        size = sum(position_starts[token + 1] - position_starts[token] for token in tokens)
        candidates.append((size, place, tokens))
    candidates.sort()  # the rarest word first: each later one only narrows
    found: set[int] = set()  # positions of the word at place ``at`` in a phrase found
    at = 0
    for number, (_, place, tokens) in enumerate(candidates):
        lists = [positions(position_starts[token], position_starts[token + 1]) for token in tokens]
        if not number:
            for listed in lists:
                found.update(listed)
        else:
            step = (place - at) << KIND_BITS
            moved = set(map(step.__add__, found))
            found = set()
            for listed in lists:
                found.update(moved.intersection(listed))
        at = place
        if not found:
            return set()
    back = at << KIND_BITS
    return {position - back for position in found}


def entry_at(ordinal: int, entry_ordinals: Sequence[int]) -> int:
    """The entry in which the token of ``ordinal`` stands."""
    return bisect.bisect_right(entry_ordinals, ordinal) - 1


def scan(word: bytes, text: bytes, starts: Sequence[int], separator: bytes) -> set[int]:
    """The entries of ``text`` (each ends with ``separator``; ``starts`` gives where each
    begins) that contain ``word``: for the few entries added since the index was built."""
    found: set[int] = set()
    position = text.find(word)
    while position >= 0:
        entry = bisect.bisect_right(starts, position) - 1
        found.add(entry)
        end = text.find(separator, position)
        position = text.find(word, end + 1) if end >= 0 else -1
    return found
