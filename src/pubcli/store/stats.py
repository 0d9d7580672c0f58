"""Counts of publications by facet: type, component, topic or year (``pubcli stats``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pubcli.model import Publication


FACETS = ("type", "component", "topic", "year")
UNDATED = "undated"

Count = tuple[str, int]


def _values(publication: Publication, facet: str) -> Iterable[str]:
    if facet == "type":
        return (publication.type,)
    if facet == "component":
        return publication.components
    if facet == "topic":
        return publication.topics
    return (str(publication.date.year) if publication.date else UNDATED,)


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
        counts[value.casefold()] = count
        spelling[value.casefold()] = value
    for publication in publications:
        for value in dict.fromkeys(v.casefold() for v in _values(publication, facet)):
            counts[value] = counts.get(value, 0) + 1
        for value in _values(publication, facet):
            spelling.setdefault(value.casefold(), value)
    if facet == "year":
        order = sorted(counts, key=lambda v: (v == UNDATED, -int(v) if v != UNDATED else 0))
    else:
        order = sorted(counts, key=lambda v: (-counts[v], v))
    return [(spelling[value], counts[value]) for value in order]


def all_counts(
    publications: Sequence[Publication], facets: Sequence[str]
) -> dict[str, list[Count]]:
    """``count_by`` for each facet, in the order given."""
    return {facet: count_by(publications, facet) for facet in facets}
