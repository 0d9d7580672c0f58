"""What the reading commands ask of a catalogue, answered from memory or from the cache.

Both answer in terms of indices (positions of valid publications in file order), so that
a query can be answered without building every publication.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pubcli.catalogue.problems import Problem
from pubcli.store.query import Criteria, sort_key
from pubcli.store.stats import count_by

if TYPE_CHECKING:
    from pubcli.catalogue.loader import Catalogue
    from pubcli.fields import Record
    from pubcli.model import Publication


class Store(Protocol):
    """The valid publications of one catalogue, and the problems met reading it."""

    @property
    def problems(self) -> Sequence[Problem]:
        """Problems of the file; those with ``skips_entry`` left an entry out."""
        ...

    @property
    def newer_schema(self) -> int | None:
        """The file's ``schema_version`` when it is newer than this pubcli knows."""
        ...

    def __len__(self) -> int:
        """How many valid publications there are."""
        ...

    def select(self, criteria: Criteria) -> list[int]:
        """Indices of the publications matching ``criteria``, in file order."""
        ...

    def order(self, indices: Sequence[int], key: str, *, reverse: bool = False) -> list[int]:
        """``indices`` sorted as ``query.sort_key(key)`` orders their publications."""
        ...

    def ids(self, indices: Sequence[int]) -> list[str]:
        """The ids at ``indices``."""
        ...

    def all_ids(self) -> list[str]:
        """Every id, in file order."""
        ...

    def publications(self, indices: Sequence[int]) -> list[Publication]:
        """The publications at ``indices``."""
        ...

    def records(self, indices: Sequence[int]) -> list[Record]:
        """The publications at ``indices`` in their JSON-ready form, for printing.

        A cached store answers without building ``Publication``s (see ``fields``).
        """
        ...

    def facet_values(self, facet: str) -> list[str]:
        """The distinct values of type, component or topic, the most used first."""
        ...


class MemoryStore:
    """A store over publications held in memory (a freshly parsed catalogue)."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self._publications = catalogue.publications

    @property
    def problems(self) -> Sequence[Problem]:
        return self.catalogue.problems

    @property
    def newer_schema(self) -> int | None:
        return self.catalogue.newer_schema

    def __len__(self) -> int:
        return len(self._publications)

    def select(self, criteria: Criteria) -> list[int]:
        matches = criteria.matcher()
        return [index for index, p in enumerate(self._publications) if matches(p)]

    def order(self, indices: Sequence[int], key: str, *, reverse: bool = False) -> list[int]:
        key_of = sort_key(key)
        publications = self._publications
        ordered = sorted(indices, key=lambda index: key_of(publications[index]))
        if reverse:
            ordered.reverse()
        return ordered

    def ids(self, indices: Sequence[int]) -> list[str]:
        return [self._publications[index].id for index in indices]

    def all_ids(self) -> list[str]:
        return [publication.id for publication in self._publications]

    def publications(self, indices: Sequence[int]) -> list[Publication]:
        return [self._publications[index] for index in indices]

    def records(self, indices: Sequence[int]) -> list[Record]:
        return [self._publications[index].to_record() for index in indices]

    def facet_values(self, facet: str) -> list[str]:
        return [value for value, _ in count_by(self._publications, facet)]


def open_store(
    path: Path, display: str, cache_directory: Path | None, *, trust_cache: bool = True
) -> Store:
    """The publications of the catalogue at ``path``: from the cache when it is current,
    else parsed from the file (and the cache rewritten). No ``cache_directory``: no cache.

    ``trust_cache=False`` ignores the cache but still rewrites it: for a cache that
    turned out damaged half-way through a query.
    """
    from pubcli.catalogue.loader import (
        check_document,
        decode,
        load_catalogue,
        open_regular,
        parse_toml,
        read_open,
        stamp_of,
    )

    real_path = Path(os.path.realpath(path))
    try:
        status = os.stat(real_path)
    except OSError:
        status = None
    # Every catalogue is cached, the smallest too: answering from the cache imports
    # neither tomli nor the model (dataclasses), which costs more than a small parse.
    if cache_directory is None or status is None:
        return MemoryStore(load_catalogue(path, display))
    from pubcli.store import cache

    if trust_cache:
        try:
            return cache.open_cached(cache_directory, real_path, status, display)
        except cache.CacheInvalidError:
            pass
        # A hand edit costs what it changed, not the whole file.
        with contextlib.suppress(cache.CacheInvalidError):
            return cache.open_changed(cache_directory, real_path, status, display)
    started = time.time_ns()
    with open_regular(path, display) as file:  # the only time the call opens the file
        # The file opened may not be the one looked at (a symlink moved between): what
        # is read from it is then answered from, not cached.
        opened = stamp_of(os.fstat(file.fileno())) == stamp_of(status)
        cacheable = opened
        if trust_cache and opened:
            # No cache: built block by block from the file (memory bounded), then
            # answered from. A file this build does not take, or a cache that cannot be
            # written, is read again from its start and parsed whole, which reports
            # what is wrong with the file.
            from pubcli.store import build

            try:
                return build.build_cache(cache_directory, real_path, status, display, file)
            except build.NotStreamableError:
                file.seek(0)
            except (OSError, ValueError):
                # The cache could not be written (a refused directory, a full disk, too
                # many tokens): writing it from the whole parse would fail the same way.
                cacheable = False
                file.seek(0)
        data = read_open(file, display)
    text = decode(data, display)
    document = parse_toml(text, display)
    catalogue = check_document(document, text, display)
    with contextlib.suppress(OSError, ValueError):
        if cacheable and stamp_of(os.stat(real_path)) == stamp_of(status):
            cache.write_cache(
                cache_directory, real_path, status, data, started, text, document, catalogue
            )
    return MemoryStore(catalogue)
