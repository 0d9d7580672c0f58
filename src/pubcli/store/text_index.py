"""A token index that answers ``--text`` without scanning every entry's text.

A query word holds no whitespace (it came from ``str.split``) and no NUL, so wherever it
occurs in an entry's searchable text it lies inside one run of characters free of both:
a token. The entries containing the word are therefore exactly the union of the entries
of every token that contains it, and scanning the (small) list of distinct tokens for
the word finds those tokens. The index keeps each distinct token once, with the sorted
list of entries that hold it.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

TOKEN_END = b"\n"  # no token holds whitespace


def tokens_of(searchable: str) -> set[str]:
    """The distinct tokens of one entry's searchable text (fields are joined by NUL)."""
    return set(searchable.replace("\0", " ").split())


class IndexSections(NamedTuple):
    """The index as bytes: tokens, where each starts, their entries, where each list starts."""

    vocab: bytes
    vocab_starts: bytes
    postings: bytes
    posting_starts: bytes


def build_index(searchables: Iterable[str]) -> IndexSections:
    """Index the searchable texts of entries 0, 1, 2, ..."""
    entries_of: dict[str, list[int]] = {}
    for entry, searchable in enumerate(searchables):
        for token in tokens_of(searchable):
            holders = entries_of.get(token)
            if holders is None:
                entries_of[token] = [entry]
            else:
                holders.append(entry)
    encoded = [token.encode("utf-8", "surrogatepass") for token in entries_of]
    vocab_starts = array("q")
    position = 0
    for token_bytes in encoded:
        vocab_starts.append(position)
        position += len(token_bytes) + 1
    postings = array("i")
    posting_starts = array("q", [0])
    for holders in entries_of.values():
        postings.extend(holders)
        posting_starts.append(len(postings))
    return IndexSections(
        vocab=TOKEN_END.join(encoded) + TOKEN_END if encoded else b"",
        vocab_starts=vocab_starts.tobytes(),
        postings=postings.tobytes(),
        posting_starts=posting_starts.tobytes(),
    )


def entries_with(
    word: bytes,
    vocab: bytes,
    vocab_starts: Sequence[int],
    postings: Callable[[int, int], Sequence[int]],
    posting_starts: Sequence[int],
) -> list[int]:
    """The entries whose text contains ``word`` (UTF-8, casefolded, no whitespace), sorted.
    ``postings(start, end)`` gives the stored entries from ``start`` to ``end``."""
    lists = []
    position = vocab.find(word)
    while position >= 0:
        token = bisect.bisect_right(vocab_starts, position) - 1
        lists.append(postings(posting_starts[token], posting_starts[token + 1]))
        following = token + 1
        if following >= len(vocab_starts):
            break
        position = vocab.find(word, vocab_starts[following])
    if len(lists) == 1:
        return list(lists[0])  # each token's entries are stored sorted
    found: set[int] = set()
    for entries in lists:
        found.update(entries)
    return sorted(found)


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
