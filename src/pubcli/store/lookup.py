"""Which publications the ids a user typed mean, and which ids they may have meant when
none does (SPEC section 3, show).

An id given in full always wins; otherwise a prefix that only one id starts with. When
an id matches nothing, the closest ids are suggested, found three ways and ranked as one:
by the words of the id and title (``show imelda``), by a common prefix, and by edit
distance. Everything is asked of a ``Store`` (ids, ``--text`` selection, records), so the
answer is the same from the cache and from memory, and stays quick on a large catalogue:
nothing here compares the typed text with every id character by character.
"""

from __future__ import annotations

import bisect
import difflib
import re
from collections.abc import Sequence
from typing import NamedTuple

from pubcli.errors import NoMatchError
from pubcli.safe_text import quoted
from pubcli.store.memory import Store
from pubcli.store.query import Criteria
from pubcli.store.search import fold

SHOWN_CANDIDATES = 10
"""An ambiguous prefix names at most this many of the ids it starts, then how many more."""
CLOSEST = 5
"""At most this many suggestions for an id that matches nothing."""
WORD_HOLDERS = 1_000
"""A typed word held by more entries than this says too little to suggest any of them."""
NEIGHBOURS = 20
"""How many ids on each side of the typed text, in the order of ids and of reversed ids,
are compared by edit distance: a typo leaves either the start or the end of an id intact,
so the id meant sorts near the typed text one way or the other."""
SIMILAR = 0.6
"""The least ``difflib`` ratio for an id to be suggested on edit distance alone."""

_WORD = re.compile(r"\w+")


class Found(NamedTuple):
    """What the ids typed mean: the index of each one found, in the order typed, and one
    message for each one that matches no publication or several."""

    indices: list[int]
    problems: list[str]


class _Ids:
    """The ids of a store, with what finding them needs, built once per call and only
    when needed: a warm ``show`` of a full id at 100,000 entries reads no order."""

    def __init__(self, ids: list[str], store: Store | None = None) -> None:
        self.store = store
        self.ids = ids
        self.position = {id_: index for index, id_ in enumerate(self.ids)}
        self._sorted: list[str] | None = None

    @property
    def sorted(self) -> list[str]:
        """Every id in order (ids are lowercase: the store's id order, which the cache
        keeps ready, is plain string order)."""
        if self._sorted is None:
            if self.store is None:
                self._sorted = sorted(self.ids)
            else:
                self._sorted = self.store.ids(self.store.order(range(len(self.ids)), "id"))
        return self._sorted

    def reversed_ending(self, end: str) -> list[str]:
        """The ids that end with ``end``, each reversed, in order: the neighbours of a
        typed id by its end are among them unless the typo is in ``end`` itself, and
        then its start finds them."""
        return sorted(id_[::-1] for id_ in self.ids if id_.endswith(end))

    def starting(self, prefix: str) -> list[str]:
        """The ids that start with ``prefix``, in order."""
        ids = self.sorted
        first = bisect.bisect_left(ids, prefix)
        last = first
        while last < len(ids) and ids[last].startswith(prefix):
            last += 1
        return ids[first:last]


def find_ids(store: Store, wanted: Sequence[str]) -> Found:
    """The publications that ``wanted`` (full ids or unique prefixes) name, in that order."""
    ids = _Ids(store.all_ids(), store)
    indices: list[int] = []
    problems: list[str] = []
    for text in wanted:
        index = _find(store, ids, text)
        if isinstance(index, str):
            problems.append(index)
        else:
            indices.append(index)
    return Found(indices, problems)


def resolve_id(store: Store, wanted: str) -> int:
    """The index of the one publication ``wanted`` names; else ``NoMatchError`` saying why."""
    found = find_ids(store, [wanted])
    if found.problems:
        raise NoMatchError(found.problems[0])
    return found.indices[0]


def _find(store: Store, ids: _Ids, wanted: str) -> int | str:
    """The index ``wanted`` names, or the message saying why there is none."""
    prefix = wanted.strip().lower()
    for candidate in (wanted, prefix):
        if candidate in ids.position:
            return ids.position[candidate]
    starting = ids.starting(prefix) if prefix else []
    if len(starting) == 1:
        return ids.position[starting[0]]
    shown = quoted(wanted)
    if starting:
        return f"{shown} is ambiguous; it starts {_some(starting)}"
    closest = _closest(store, ids, prefix)
    hint = f"; closest: {', '.join(closest)}" if closest else ""
    return f"no publication with id {shown}{hint}"


def _some(ids: Sequence[str]) -> str:
    """The first ``SHOWN_CANDIDATES`` ids, then how many more there are."""
    shown = ", ".join(ids[:SHOWN_CANDIDATES])
    rest = len(ids) - SHOWN_CANDIDATES
    return f"{shown} and {rest} more" if rest > 0 else shown


def closest_ids(ids: Sequence[str], wanted: str) -> list[str]:
    """The ids closest to ``wanted`` judged by the ids alone, best first: for a command
    that reads the file itself rather than a store (edit, remove).

    These commands never take a prefix for an id, so the ids that ``wanted`` starts come
    first: closest means by prefix first (SPEC section 3), however short the prefix is
    beside them (``strat`` names ``strategy-combat-human-trafficking``)."""
    known = _Ids(list(ids))
    prefix = wanted.strip().lower()
    starting = known.starting(prefix)[:CLOSEST] if prefix else []
    others = [id_ for id_ in _closest(None, known, prefix) if id_ not in starting]
    return [*starting, *others][:CLOSEST]


def _closest(store: Store | None, ids: _Ids, wanted: str) -> list[str]:
    """The ids closest to ``wanted`` (which no id starts with), best first.

    Ranked by how many of the typed words are words of the id or title (of the id alone
    without a ``store``), then by edit similarity to the id, then by id.
    """
    # Words of one or two letters occur in almost every text: they would only cost time.
    words = [word for word in dict.fromkeys(_WORD.findall(fold(wanted))) if len(word) > 2]
    matched = _word_matches(store, ids, words)
    candidates = set(matched) | set(_neighbours(ids, wanted))
    scored = []
    for id_ in candidates:
        similarity = difflib.SequenceMatcher(None, wanted, id_).ratio()
        if matched.get(id_) or similarity >= SIMILAR:
            scored.append((-matched.get(id_, 0), -similarity, id_))
    return [id_ for *_, id_ in sorted(scored)[:CLOSEST]]


def _word_matches(store: Store | None, ids: _Ids, words: Sequence[str]) -> dict[str, int]:
    """How many of ``words`` are words of each id or title that holds any of them."""
    # A word inside many ids is common (and every id is a token of its own in the text
    # index, so searching for it would cost a pass over as many postings): left out.
    words = [word for word in words if _count_within(ids.ids, word) <= WORD_HOLDERS]
    if store is None:
        return {
            id_: count
            for id_ in ids.ids
            if (count := sum(word in id_.split("-") for word in words))
        }
    holders: set[int] = set()
    for word in words:
        found = store.select(Criteria(texts=(word,)))
        if len(found) <= WORD_HOLDERS:
            holders.update(found)
    if len(words) > 1:
        # Common words one by one say little; all of them together may still say enough.
        together = store.select(Criteria(texts=(" ".join(words),)))
        if len(together) <= WORD_HOLDERS:
            holders.update(together)
    counts: dict[str, int] = {}
    for record in store.records(sorted(holders)):
        own = set(record["id"].split("-")) | set(_WORD.findall(fold(record["title"])))
        count = sum(word in own for word in words)
        if count and record["id"] in ids.position:
            counts[record["id"]] = count
    return counts


def _count_within(ids: Sequence[str], word: str) -> int:
    """How many of ``ids`` hold ``word``, counting no further than past ``WORD_HOLDERS``."""
    count = 0
    for id_ in ids:
        if word in id_:
            count += 1
            if count > WORD_HOLDERS:
                break
    return count


def _neighbours(ids: _Ids, wanted: str) -> list[str]:
    """The ids next to ``wanted`` in sorted order, and next to it reversed in the order
    of reversed ids: those sharing its longest start or its longest end."""
    near = []
    ends = ids.reversed_ending(wanted[-2:])
    for ordered, key, flip in ((ids.sorted, wanted, False), (ends, wanted[::-1], True)):
        at = bisect.bisect_left(ordered, key)
        for id_ in ordered[max(0, at - NEIGHBOURS) : at + NEIGHBOURS]:
            near.append(id_[::-1] if flip else id_)
    return near
