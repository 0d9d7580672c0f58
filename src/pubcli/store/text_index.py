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
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence

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


def _seen_again(once: int, position: int, entry: int) -> tuple[array[int], array[int]]:
    """The positions and entries of a token seen once (``once``: its entry and position)
    and now again at ``position`` in ``entry``."""
    first = once >> 32
    entries = array("i", (first,) if first == entry else (first, entry))
    return array("i", (once & 0xFFFFFFFF, position)), entries


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
_PART = 1 << 18  # integers per part of a section given out


class IndexBuilder:
    """The index of entries 0, 1, 2, ... given a part at a time (``add``), so that a large
    catalogue is indexed as it is read.

    Memory is what bounds a large build: a token seen once (most of an id or a number
    is) is kept as one integer, its entry and position; a token seen again gets arrays
    of 32-bit integers for its entries and positions (a list would hold an int object
    and a pointer per item).
    """

    def __init__(self) -> None:
        # token -> entry << 32 | position (seen once), or its positions (seen again)
        self._positions_of: dict[str, int | array[int]] = {}
        self._entries_of: dict[str, array[int]] = {}  # of each token seen again
        self._entry_ordinals = array("q")
        self._ordinal = 0

    def add(self, entries: Iterable[FieldGroups]) -> None:
        """Index the field groups of the next entries."""
        positions_of = self._positions_of
        entries_of = self._entries_of
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
                            positions_of[token] = once | position
                        else:
                            try:
                                where.append(position)  # type: ignore[union-attr]
                            except AttributeError:  # seen once before: now arrays
                                positions_of[token], entries_of[token] = _seen_again(
                                    where,  # type: ignore[arg-type]
                                    position,
                                    entry,
                                )
                            else:
                                holders = entries_of[token]
                                if holders[-1] != entry:
                                    holders.append(entry)
                        position += step
                    ordinal += len(tokens) + 1  # and a gap: no phrase spans two values
            if ordinal > MAX_ORDINAL:
                raise ValueError("too many tokens to index")
        self._ordinal = ordinal

    def sections(self) -> Iterator[tuple[str, Iterator[bytes]]]:
        """The sections of the index (``INDEX_SECTIONS``), in order, each as the parts of
        its bytes. Each section's parts are to be taken before the next section is asked
        for: the index is emptied as they are given."""
        vocab_starts = array("q")
        yield "vocab", self._vocab(vocab_starts)
        yield "vocab_starts", iter((vocab_starts.tobytes(),))
        posting_starts = array("q", [0])
        yield "postings", self._lists(self._postings(), posting_starts)
        self._entries_of.clear()
        yield "posting_starts", iter((posting_starts.tobytes(),))
        position_starts = array("q", [0])
        yield "positions", self._lists(self._positions(), position_starts)
        self._positions_of.clear()
        yield "position_starts", iter((position_starts.tobytes(),))
        yield "entry_ordinals", iter((self._entry_ordinals.tobytes(),))

    def _vocab(self, starts: array[int]) -> Iterator[bytes]:
        part: list[bytes] = []
        position = 0
        for token in self._positions_of:
            encoded = token.encode("utf-8", "surrogatepass") + TOKEN_END
            starts.append(position)
            position += len(encoded)
            part.append(encoded)
            if len(part) >= _PART:
                yield b"".join(part)
                part.clear()
        yield b"".join(part)

    def _postings(self) -> Iterator[Sequence[int]]:
        entries_of = self._entries_of
        for token, where in self._positions_of.items():
            yield (where >> 32,) if type(where) is int else entries_of[token]

    def _positions(self) -> Iterator[Sequence[int]]:
        for where in self._positions_of.values():
            yield (where & 0xFFFFFFFF,) if type(where) is int else where  # type: ignore[misc]

    @staticmethod
    def _lists(lists: Iterable[Sequence[int]], starts: array[int]) -> Iterator[bytes]:
        """The lists one after the other, in parts; ``starts`` gets where each starts
        (and the last ends)."""
        part = array("i")
        total = 0
        for listed in lists:
            part.extend(listed)
            total += len(listed)
            starts.append(total)
            if len(part) >= _PART:
                yield part.tobytes()
                part = array("i")
        yield part.tobytes()


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
