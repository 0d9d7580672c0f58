"""The reading commands' common steps: find and open the catalogue, answer, print.

Shared by the Typer commands and by the quick route (``quick``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from pubcli.catalogue.locate import find_catalogue
from pubcli.output.environment import choose_format, current
from pubcli.output.formats import DEFAULT_COLUMNS, machine_chunks, parse_columns, refuse_columns
from pubcli.output.streams import (
    print_renderable,
    print_renderables,
    say,
    warn_newer_schema,
    warn_skipped,
    write,
)
from pubcli.store.memory import Store
from pubcli.store.query import Criteria

if TYPE_CHECKING:
    from pubcli.fields import Record

T = TypeVar("T")


def cache_directory_for(no_cache: bool) -> Path | None:
    """Where the cache lives, or None when --no-cache or PUBCLI_NO_CACHE turn it off."""
    from pubcli.store.cache import cache_directory, cache_disabled

    if no_cache or cache_disabled(os.environ):
        return None
    return cache_directory(os.environ)


def ask(
    catalogue: str | None, no_cache: bool, question: Callable[[Store], T], *, warn: bool = True
) -> T:
    """Answer ``question`` from the catalogue, leniently: warn about each skipped entry
    (unless ``warn`` is false: asked again, the warnings were given the first time).

    A cache found damaged half-way through is dropped and the question asked again of
    the file itself.
    """
    from pubcli.store.cache import CacheInvalidError
    from pubcli.store.memory import open_store

    path, display = find_catalogue(catalogue, os.environ, Path.cwd())
    directory = cache_directory_for(no_cache)
    store = open_store(path, display, directory)
    try:
        try:
            return question(store)
        except CacheInvalidError:
            store = open_store(path, display, directory, trust_cache=False)
            return question(store)
    finally:
        if warn:
            warn_newer_schema(store.newer_schema, display)
            warn_skipped(store.problems, display)


ONE_TABLE = 500
"""A table of more rows than this is printed in batches of this many as they are read,
its column widths fixed from the terminal's width: the first rows appear at once and
memory stays bounded (Rich measures every row of a table before printing any)."""

FIRST_BATCH = 40

FACET_COLUMNS = {"type": "type", "components": "component", "topics": "topic"}
"""The table columns whose values are facet values: their words are known in advance."""


class Listing(NamedTuple):
    """What list or filter prints: just ids when that is all the format needs; for a long
    table, where to read the records from, batch by batch."""

    ids: list[str] | None = None
    records: list[Record] | None = None
    indices: list[int] | None = None
    store: Store | None = None
    id_widths: list[int] | None = None
    """The width of every id of a long table (ids are ASCII), to fit its id column."""
    words: dict[str, int] | None = None
    """The longest word of each facet column of a long table, to fit that column."""

    def size(self) -> int:
        """How many publications are to be printed."""
        for shown in (self.ids, self.records, self.indices):
            if shown is not None:
                return len(shown)
        return 0


def _batches(listing: Listing, again: Callable[[], Listing]) -> Iterator[list[Record]]:
    """The records of a long listing, ``ONE_TABLE`` at a time. A cache found damaged on the
    way is left for the file (``again``), from the first row not yet given: the cache never
    changes a result, so the order is the same."""
    from pubcli.store.cache import CacheInvalidError

    indices, store = listing.indices or [], listing.store
    done = 0
    while done < len(indices) and store is not None:
        # A first screenful on its own: the first rows appear before Rich lays out more.
        batch = indices[done : done + (FIRST_BATCH if done == 0 else ONE_TABLE)]
        try:
            records = store.records(batch)
        except CacheInvalidError:
            listing = again()
            indices, store = listing.indices or [], listing.store
            continue
        yield records
        done += len(batch)


def print_listing(
    criteria: Criteria,
    *,
    sort: str,
    reverse: bool,
    limit: int | None,
    output_format: str | None,
    columns: str | None,
    catalogue: str | None,
    no_cache: bool,
    empty_message: str,
) -> int:
    """Print the publications matching ``criteria``; return how many there were."""
    chosen_format = choose_format(output_format, elsewhere="tsv")
    refuse_columns(chosen_format, columns)
    chosen_columns = parse_columns(columns) if columns else DEFAULT_COLUMNS[chosen_format]
    only_ids = chosen_columns == ("id",) and chosen_format in ("ids", "tsv")

    def question(store: Store) -> Listing:
        ordered = store.order(store.select(criteria), sort, reverse=reverse)
        if limit is not None:
            ordered = ordered[:limit]
        if only_ids:
            return Listing(ids=store.ids(ordered))
        if chosen_format == "table" and len(ordered) > ONE_TABLE:
            from pubcli.output.layout import words_width

            id_widths = [len(id_) for id_ in store.ids(ordered)]
            words = {
                column: max(map(words_width, store.facet_values(facet)), default=0)
                for column, facet in FACET_COLUMNS.items()
                if column in chosen_columns
            }
            return Listing(indices=ordered, store=store, id_widths=id_widths, words=words)
        return Listing(records=store.records(ordered))

    listing = ask(catalogue, no_cache, question)
    if listing.ids is not None:
        # Ids are validated slugs: nothing in them needs escaping.
        write(["\n".join(listing.ids) + "\n" if listing.ids else ""])
    elif chosen_format == "table":
        if not listing.size():
            say("", empty_message)
        else:
            from pubcli.output.render import publications_table

            if listing.indices is None:
                shown = listing.records or []
                print_renderable(
                    lambda width: publications_table(
                        shown, chosen_columns, width, chosen=columns is not None
                    )
                )
            else:
                # Asked again (of the file) only if the cache fails half-way.
                rows = _batches(listing, lambda: ask(catalogue, True, question, warn=False))
                print_renderables(
                    lambda width: _long_table(
                        rows, chosen_columns, width, listing, chosen=columns is not None
                    )
                )
    else:
        write(
            machine_chunks(
                listing.records or [],
                chosen_format,
                chosen_columns,
                ascii_only=not current().stdout_utf8,
            )
        )
    return listing.size()


def _long_table(
    batches: Iterator[list[Record]],
    columns: tuple[str, ...],
    width: int,
    listing: Listing,
    *,
    chosen: bool,
) -> Iterator[object]:
    """A long table, batch by batch, every batch laid out by one plan: made from the first
    batch, every id and the longest word of each facet, so that later rows fit it too."""
    from pubcli.output.layout import plan_table
    from pubcli.output.render import measure_columns, table_batch, table_end, table_start

    first = next(batches, [])
    measures = measure_columns(
        first, columns, id_widths=listing.id_widths or (), words=listing.words
    )
    plan = plan_table(measures, width, may_leave=not chosen)
    yield table_start(plan)
    yield table_batch(first, plan)
    for records in batches:
        yield table_batch(records, plan)
    yield table_end(listing.size(), plan)
