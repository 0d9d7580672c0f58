"""Choose and order publications: filter criteria and sort orders (SPEC section 3); ids
typed by users are looked up in ``lookup``."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from pubcli.errors import UsageError
from pubcli.safe_text import quoted
from pubcli.store.search import Query, fold, parse, publication_groups
from pubcli.store.search import matches as search_matches

if TYPE_CHECKING:
    from pubcli.fields import Record
    from pubcli.model import Publication

SORT_KEYS = ("date", "title", "id", "type")
T = TypeVar("T", str, bytes)

_PARTIAL_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def parse_date_bound(text: str, *, end: bool, option: str) -> datetime.date:
    """Turn ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` into the first (or, with ``end``, last) day."""
    match = _PARTIAL_DATE.fullmatch(text.strip())
    problem = f"invalid date {quoted(text)} for {option}: expected YYYY, YYYY-MM or YYYY-MM-DD"
    if not match:
        raise UsageError(problem)
    year, month, day = (int(part) if part else None for part in match.groups())
    assert year is not None
    try:
        if month is None:
            return datetime.date(year, 12, 31) if end else datetime.date(year, 1, 1)
        if day is None:
            import calendar

            last = calendar.monthrange(year, month)[1]
            return datetime.date(year, month, last if end else 1)
        return datetime.date(year, month, day)
    except ValueError:
        raise UsageError(f"{problem} (no such date)") from None


def fold_facet(value: str) -> str:
    """A facet value as ``--type``, ``--component`` and ``--topic`` compare it, as
    ``--text`` compares words: ignoring case (Unicode casefold), with canonically
    equivalent spellings (NFC and NFD) one value, since they look the same to the user."""
    return fold(value)


def facets_match(
    types: AbstractSet[T],
    components: AbstractSet[T],
    topics: AbstractSet[T],
    type_: T,
    its_components: Iterable[T],
    its_topics: Iterable[T],
) -> bool:
    """Whether one entry's folded facet values meet the wanted ones (an empty set: any).

    The values may be text or its UTF-8 bytes (as the cache holds them), folded alike.
    """
    if types and type_ not in types:
        return False
    if components and components.isdisjoint(its_components):
        return False
    return not topics or not topics.isdisjoint(its_topics)


class _Fields(NamedTuple):
    types: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    texts: tuple[str, ...] = ()
    since: datetime.date | None = None
    until: datetime.date | None = None
    queries: tuple[Query, ...] = ()


class Criteria(_Fields):
    """What ``filter`` asks for: any value of one criterion, every criterion given.

    ``texts`` are the ``--text`` queries as given; ``queries`` the same, parsed (see
    ``search``), each term and clause once: a word given twice asks nothing more, and
    every store then searches it once. A malformed query raises ``QuerySyntaxError``.
    """

    __slots__ = ()

    def __new__(
        cls,
        types: tuple[str, ...] = (),
        components: tuple[str, ...] = (),
        topics: tuple[str, ...] = (),
        texts: tuple[str, ...] = (),
        since: datetime.date | None = None,
        until: datetime.date | None = None,
    ) -> Criteria:
        queries = tuple(parse(text) for text in texts)
        return super().__new__(cls, types, components, topics, texts, since, until, queries)

    def folded_facets(self) -> tuple[set[str], set[str], set[str]]:
        """The wanted types, components and topics, folded (see ``facets_match``)."""
        return (
            {fold_facet(value) for value in self.types},
            {fold_facet(value) for value in self.components},
            {fold_facet(value) for value in self.topics},
        )

    def matcher(self) -> Callable[[Publication], bool]:
        """Return a predicate that is true for the publications these criteria select."""
        types, components, topics = self.folded_facets()
        any_facet = bool(types or components or topics)
        queries = self.queries
        since, until = self.since, self.until

        def matches(publication: Publication) -> bool:
            if any_facet and not facets_match(
                types,
                components,
                topics,
                fold_facet(publication.type),
                map(fold_facet, publication.components),
                map(fold_facet, publication.topics),
            ):
                return False
            if since is not None or until is not None:
                if publication.date is None:
                    return False
                if since is not None and publication.date < since:
                    return False
                if until is not None and publication.date > until:
                    return False
            if queries:
                groups = publication_groups(publication)
                # Several --text options: any of them (as any criterion given twice).
                if not any(search_matches(query, groups) for query in queries):
                    return False
            return True

        return matches


SortKeyValue = tuple[Any, ...]


def order_key(
    key: str, date: datetime.date | None, title: str, id_: str, type_: str
) -> SortKeyValue:
    """Where a publication goes in the sort order ``key``: by date newest first (undated
    last), or by a text field ascending; ties broken by title, then id, ignoring case."""
    return (*order_prefix(key, date, id_, type_), *order_tie(title, id_))


def order_prefix(key: str, date: datetime.date | None, id_: str, type_: str) -> SortKeyValue:
    """What places a publication in the sort order ``key`` before ties (``order_key``)."""
    if key == "date":
        return (date is None, -date.toordinal() if date else 0)
    if key == "title":
        return ()
    if key == "id":
        return (id_.casefold(),)
    return (type_.casefold(),)


def order_tie(title: str, id_: str) -> SortKeyValue:
    """What breaks ties in every sort order (``order_key``): the title, then the id,
    ignoring case."""
    return (title.casefold(), id_.casefold())


def _known_sort_key(key: str) -> str:
    if key not in SORT_KEYS:
        raise UsageError(f"unknown sort key {quoted(key)}: choose from {', '.join(SORT_KEYS)}")
    return key


def sort_key(key: str) -> Callable[[Publication], SortKeyValue]:
    """The key function of the sort order ``key`` for publications (see ``order_key``)."""
    key = _known_sort_key(key)
    return lambda p: order_key(key, p.date, p.title, p.id, p.type)


def record_sort_key(key: str) -> Callable[[Record], SortKeyValue]:
    """The same key function for records (their date is ISO text)."""
    key = _known_sort_key(key)

    def key_of(record: Record) -> SortKeyValue:
        date = datetime.date.fromisoformat(record["date"]) if record["date"] else None
        return order_key(key, date, record["title"], record["id"], record["type"])

    return key_of
