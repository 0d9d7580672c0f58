"""Counts of publications by facet: type, component, topic or year (``pubcli stats``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import attrgetter
from typing import TYPE_CHECKING

from pubcli.store.query import fold_facet

if TYPE_CHECKING:
    from pubcli.model import Publication


FACETS = ("type", "component", "topic", "year")
UNDATED = "undated"

Count = tuple[str, int]


def _groups(publications: Iterable[Publication], facet: str) -> Mapping[tuple[str, ...], int]:
    """How many publications have each tuple of values of ``facet`` (exact spellings,
    in the order first seen): counted by ``Counter`` in C, as a catalogue repeats them."""
    if facet == "type":
        return {(value,): n for value, n in Counter(map(attrgetter("type"), publications)).items()}
    if facet in ("component", "topic"):
        return Counter(map(attrgetter(f"{facet}s"), publications))
    return Counter((str(p.date.year) if p.date else UNDATED,) for p in publications)


def count_by(
    publications: Iterable[Publication], facet: str, earlier: Iterable[Count] = ()
) -> list[Count]:
    """How many publications have each value of ``facet``.

    Values that differ only in case are one value, spelt as first seen. A publication
    with two components counts once for each. Years come newest first (undated last);
    other facets largest count first, ties in alphabetical order. ``earlier`` is what
    ``count_by`` gave for the publications before these (the cache extends it).
    """
    counts: dict[str, int] = {}
    spelling: dict[str, str] = {}
    for value, count in earlier:
        counts[fold_facet(value)] = count
        spelling[fold_facet(value)] = value
    for values, publication_count in _groups(publications, facet).items():
        counted = set()  # a publication counts once for values differing only in case
        for value in values:
            folded = fold_facet(value)
            if folded not in counted:
                counted.add(folded)
                counts[folded] = counts.get(folded, 0) + publication_count
            spelling.setdefault(folded, value)
    return _ranked(facet, counts, spelling)


def _ranked(facet: str, counts: Mapping[str, int], spelling: Mapping[str, str]) -> list[Count]:
    """The counts (by folded value) in ``count_by``'s order, each value as spelt."""
    if facet == "year":
        order = sorted(counts, key=lambda v: (v == UNDATED, -int(v) if v != UNDATED else 0))
    else:
        order = sorted(counts, key=lambda v: (-counts[v], v))
    return [(spelling[value], counts[value]) for value in order]


def count_without(
    earlier: Iterable[Count],
    removed: Sequence[Publication],
    facet: str,
    first_spelling: Callable[[str], str],
) -> list[Count]:
    """What ``count_by`` gives once ``removed`` (some of the publications that gave
    ``earlier``) are gone. A value still held whose spelling was that of a removed
    publication is spelt as ``first_spelling`` (given the folded value) says: as the
    first publication left holding it spells it."""
    counts: dict[str, int] = {}
    spelling: dict[str, str] = {}
    for value, count in earlier:
        counts[fold_facet(value)] = count
        spelling[fold_facet(value)] = value
    spelt_by_removed: set[str] = set()
    for value, count in count_by(removed, facet):
        folded = fold_facet(value)
        counts[folded] -= count
        if counts[folded] <= 0:
            del counts[folded], spelling[folded]
        elif facet != "year":  # a year has one spelling
            spelt_by_removed.update(
                folded
                for publication in removed
                for held in _values(publication, facet)
                if held == spelling[folded]
            )
    for folded in spelt_by_removed:
        spelling[folded] = first_spelling(folded)
    return _ranked(facet, counts, spelling)


def _values(publication: Publication, facet: str) -> tuple[str, ...]:
    if facet == "type":
        return (publication.type,)
    return publication.components if facet == "component" else publication.topics


def all_counts(
    publications: Sequence[Publication], facets: Sequence[str]
) -> dict[str, list[Count]]:
    """``count_by`` for each facet, in the order given."""
    return {facet: count_by(publications, facet) for facet in facets}
