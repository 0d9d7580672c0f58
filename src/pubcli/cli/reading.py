"""The reading commands' common steps: find and open the catalogue, answer, print.

Shared by the Typer commands and by the quick route (``quick``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TypeVar

from pubcli.catalogue.locate import find_catalogue
from pubcli.output.environment import choose_format, current
from pubcli.output.formats import DEFAULT_COLUMNS, machine_chunks, parse_columns
from pubcli.output.streams import print_renderable, say, warn_skipped, write
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


def ask(catalogue: str | None, no_cache: bool, question: Callable[[Store], T]) -> T:
    """Answer ``question`` from the catalogue, leniently: warn about each skipped entry.

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
        warn_skipped(store.problems, display)


class Listing(NamedTuple):
    """What list or filter prints: just ids when that is all the format needs."""

    ids: list[str] | None = None
    records: list[Record] | None = None

    def size(self) -> int:
        """How many publications are to be printed."""
        return len(self.ids if self.ids is not None else self.records or [])


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
    chosen_columns = parse_columns(columns) if columns else DEFAULT_COLUMNS[chosen_format]
    only_ids = chosen_columns == ("id",) and chosen_format in ("ids", "tsv")

    def question(store: Store) -> Listing:
        ordered = store.order(store.select(criteria), sort, reverse=reverse)
        if limit is not None:
            ordered = ordered[:limit]
        if only_ids:
            return Listing(ids=store.ids(ordered))
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

            shown = listing.records or []
            print_renderable(lambda width: publications_table(shown, chosen_columns, width))
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
