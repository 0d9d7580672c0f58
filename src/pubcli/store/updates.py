"""Writes to a catalogue that keep its cache warm: ``add``, ``edit`` and ``remove``.

A write takes the catalogue's lock (``catalogue.writer``), asks the cache only through
``cache.open_for_write`` and ``cache.write_cache``, and checks new entries with
``rules.collisions``, whether the taken ids and titles come from the cache or the file.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, Generic, NamedTuple, TypeVar

from pubcli.catalogue import writer
from pubcli.catalogue.changes import Change, FieldChanges, edit_block, plan_edit, plan_remove
from pubcli.catalogue.loader import check_document, decode
from pubcli.catalogue.rules import (
    TakenLookup,
    TitleDateKey,
    adopt_spellings,
    collisions,
    refuse_newer_schema,
    spellings_may_differ,
)
from pubcli.errors import CatalogueError, InvalidInputError
from pubcli.model import Publication
from pubcli.safe_text import one_line
from pubcli.store import cache
from pubcli.store.memory import MemoryStore

ATTEMPTS = 5
"""How many times add reads the file again when it changed under a write."""

_Value = TypeVar("_Value")

_RECORD_FAILURES = (OSError, ValueError, KeyError, TypeError, cache.CacheInvalidError)
"""What recording a write in the cache may raise: the write stands, and a cache that
could not record it no longer matches the file, so the next call does not trust it."""


class Added(NamedTuple):
    """What an add did."""

    publications: list[Publication]
    """The entries written, each facet value spelt as the catalogue spells it."""
    notes: list[str]
    """One line for each value whose spelling was adopted from the catalogue."""
    warnings: list[str]
    """Problems after the new file was in place (the write stands)."""


def add_publications(
    path: Path, display: str, new: Sequence[Publication], cache_directory: Path | None = None
) -> Added:
    """Add ``new`` to the end of the catalogue at ``path``: locked, checked, atomic.

    A type, component or topic that the catalogue already spells otherwise (differing only
    in case) takes the catalogue's spelling (``rules.adopt_spellings``), from the store the
    write reads: the cache's facets, or the file parsed.

    With a current cache the file is neither read nor parsed: collisions are checked
    against the cache, the new block is parsed on its own, and the file is copied in the
    kernel. Otherwise the whole file is read, and the whole result parsed and checked.
    No ``cache_directory``: no cache is read or written.

    A file changed by a writer that skips the lock between the read and the rename is
    read again and the write started again (``ATTEMPTS`` times), so its change is kept.
    """
    with writer.writing(path, display) as target:
        if cache_directory is not None:
            added = _add_with_cache(target, display, new, cache_directory)
            if added is not None:
                return added
        for _ in range(ATTEMPTS):
            try:
                data, status = writer.read_state(target)
            except writer.ChangedMeanwhile:
                continue
            plan, adopted, notes = plan_add(data, display, new)
            content, document = writer.verify(plan, display, adopted)
            written = writer.write_content(target, status, content)
            if written is None:
                continue
            if cache_directory is not None and written.status is not None:
                _cache_after_write(
                    target, display, content, document, written.status, cache_directory
                )
            return Added(adopted, notes, list(written.warnings))
    raise CatalogueError(
        f"cannot write {one_line(display)}: it changed {ATTEMPTS} times while add was "
        "writing it (another program writes it without the lock); nothing was written"
    )


def plan_add(
    data: bytes, display: str, new: Sequence[Publication]
) -> tuple[writer.Plan, list[Publication], list[str]]:
    """The plan of adding ``new`` to the catalogue bytes ``data`` (also for ``--dry-run``):
    the plan, the new entries as written (spellings adopted), and the notes saying so."""
    text, document, existing = writer.parse_for_write(data, display)
    adopted, notes = list(new), list[str]()
    if spellings_may_differ(new, existing):  # checking every entry costs a fifth of an add
        store = MemoryStore(check_document(document, text, display))
        adopted, notes = adopt_spellings(new, store.facet_values)
    return writer.plan_parsed(data, text, existing, display, adopted), adopted, notes


def _add_with_cache(
    target: writer.Target, display: str, new: Sequence[Publication], directory: Path
) -> Added | None:
    """Append using the cache instead of reading the file; None if the cache cannot serve
    (then nothing was written)."""
    try:
        status = os.stat(target.real_path)
        cached = cache.open_for_write(directory, target.real_path, status, display)
        if not cached.append_info.appendable:
            return None
        if cached.newer_schema is not None:
            cached.prove()  # refuse only on the word of a cache proved to be current
            refuse_newer_schema(cached.newer_schema, display)
        problems = collisions(new, cached.taken)
        if problems:
            cached.prove()  # refuse only on the word of a cache proved to be current
        new, notes = adopt_spellings(new, cached.facet_values)
    except (OSError, cache.CacheInvalidError):
        return None
    if problems:
        raise InvalidInputError(problems)
    info = cached.append_info
    # The blocks one by one (render_block joins them with a newline): where each header
    # is, for the cache to know each entry's block.
    rendered = [writer.render_block([p], info.newline).encode("utf-8") for p in new]
    appended = info.separator.encode("utf-8") + info.newline.encode("ascii").join(rendered)
    headers, at = [], len(info.separator.encode("utf-8"))
    for block in rendered:
        headers.append(at)
        at += len(block) + len(info.newline)
    writer.check_block(appended, display, new)
    with writer.open_source(target) as source, _proof_while_copying(cached, source) as proof:
        written = writer.append_copy(
            target, source, status, appended, before_rename=proof.confirm if proof else None
        )
    if written is None:
        return None
    if written.status is not None:
        with contextlib.suppress(*_RECORD_FAILURES):
            cached.record_append(new, written.status, appended, headers)
    return Added(list(new), notes, list(written.warnings))


class _Background(Generic[_Value]):
    """A function run in a thread; ``result`` waits for its value (None if the cache
    could not serve: then the cache is not patched), or raises what else it raised."""

    def __init__(self, function: Callable[[], _Value]) -> None:
        self._value: _Value | None = None
        self._error: BaseException | None = None
        self._function = function
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._function()
        except (cache.CacheInvalidError, OSError, ValueError):
            pass
        except BaseException as error:
            # A bug: raised again by the caller, whose errors pubcli reports in one line
            # (left to the thread, it would print a traceback, and pubcli exit 0).
            self._error = error

    def join(self) -> None:
        self._thread.join()

    def result(self) -> _Value | None:
        self.join()
        if self._error is not None:
            raise self._error
        return self._value


class _Proof:
    """``CacheForWrite.prove_file`` run in a thread; ``confirm`` waits for its verdict."""

    def __init__(self, cached: cache.CacheForWrite, source: BinaryIO, at: int) -> None:
        def proved() -> tuple[int, int, int]:
            return (at, *cached.prove_file(source.fileno(), at))

        # Held only once proved: a proof that failed otherwise (a bug) proves nothing.
        self._verdict = _Background(proved)

    def join(self) -> None:
        self._verdict.join()

    def confirm(self) -> None:
        """Raise ``ChangedMeanwhile`` (before the rename) unless the proof held."""
        if not self._verdict.result():
            raise writer.ChangedMeanwhile

    def split(self) -> tuple[int, int, int] | None:
        """Where the proof split the file and the CRC-32s of both sides (None: no proof)."""
        return self._verdict.result()


@contextlib.contextmanager
def _proof_while_copying(
    cached: cache.CacheForWrite, source: BinaryIO, at: int = 0
) -> Iterator[_Proof | None]:
    """A file changed within a tick of being cached is proved by CRC-32 (reading the same
    open file, split at ``at``) while the kernel copies it, one open and no wait: the
    proof, whose ``confirm`` is to be called before the rename (None when the cache's
    stamp is proof enough)."""
    proof = _Proof(cached, source, at) if cached.needs_proof else None
    try:
        yield proof
    finally:
        if proof is not None:
            proof.join()


def _cache_after_write(
    target: writer.Target,
    display: str,
    content: bytes,
    document: dict[str, Any],
    written: os.stat_result,
    directory: Path,
) -> None:
    """Keep the cache warm after a write that read the whole file."""
    started = time.time_ns()
    text = decode(content, display)
    catalogue = check_document(document, text, display)
    with contextlib.suppress(OSError, ValueError):
        cache.write_cache(
            directory, target.real_path, written, content, started, text, document, catalogue
        )


class Changed(NamedTuple):
    """What an edit did."""

    changed: list[str]
    """The ids edited (as they are now), in the order given."""
    publications: list[Publication]
    """The edited entries as they now read."""
    warnings: list[str]
    """Problems after the new file was in place (the write stands)."""


def edit_publications(
    path: Path,
    display: str,
    ids: Sequence[str],
    changes: FieldChanges,
    cache_directory: Path | None = None,
) -> Changed:
    """Apply ``changes`` to the entries ``ids`` of the catalogue at ``path`` (``edit``
    with options): locked, proved, atomic.

    With a current cache that knows where the entry's block is, one entry whose id and
    facets stay as they were is edited without parsing the file: its block alone is
    parsed and edited, checked with the rules and against the cache's taken ids and
    titles, the rest of the file copied around it, and the cache patched for that entry.
    Anything else (and every refusal) goes through ``plan_edit`` on the whole file.
    """
    with writer.writing(path, display) as target:
        if cache_directory is not None and len(set(ids)) == 1:
            edited = _edit_with_cache(target, display, ids[0], changes, cache_directory)
            if edited is not None:
                return edited
        change, warnings = _change_locked(
            target, display, lambda data: plan_edit(data, display, ids, changes), cache_directory
        )
        return Changed(change.changed, change.publications, warnings)


def _blocks_from_cache(
    target: writer.Target, display: str, ids: Sequence[str], directory: Path
) -> tuple[os.stat_result, cache.CacheForWrite, list[cache.BlockOf]] | None:
    """The catalogue's status, its cache opened for a write, and the block of each of
    ``ids``; None if the cache cannot serve ``edit`` or ``remove`` (an unknown id, or a
    file of a newer schema: the whole file's plan names the refusal)."""
    try:
        status = os.stat(target.real_path)
        cached = cache.open_for_write(directory, target.real_path, status, display)
        if cached.newer_schema is not None:
            return None
        return status, cached, [cached.block_of(id_) for id_ in ids]
    except (OSError, ValueError, cache.CacheInvalidError):
        return None


def _edit_with_cache(
    target: writer.Target, display: str, id_: str, changes: FieldChanges, directory: Path
) -> Changed | None:
    """Edit the block of ``id_`` alone, using the cache; None if the cache cannot serve
    or the edit is not one it can record (then nothing was written)."""
    opened = _blocks_from_cache(target, display, [id_], directory)
    if opened is None:
        return None
    status, cached, (block,) = opened
    edited: list[Publication] = []  # the entry as edited, once worked out
    as_asked: list[bool] = []  # True once found as asked already

    def planned() -> _Planned | None:
        try:
            old = os.pread(source.fileno(), block.end - block.start, block.start)
            if zlib.crc32(old) != block.crc:
                return None
            edit = edit_block(old, display, changes)
            if edit is None or collisions([edit.publication], _OthersThan(id_, cached.taken)):
                return None  # the whole file's plan names the problems
            cached.check_edit(block, edit.publication, edit.new)
        except (OSError, ValueError, cache.CacheInvalidError):
            return None
        edited.append(edit.publication)
        if edit.new == old:
            as_asked.append(True)
            return None  # nothing to write
        return _Planned(
            [(block.start, block.end, edit.new)],
            lambda: cached.prepare_edit(block, edit.publication, old, edit.new, source.fileno()),
        )

    with writer.open_source(target) as source:
        written = _write_with_cache(target, source, status, cached, planned, block.start)
    if as_asked:
        try:
            cached.prove()  # answer on the word of a cache proved to be current
        except cache.CacheInvalidError:
            return None
        return Changed([id_], edited, [])
    if written is None:
        return None
    return Changed([id_], edited, list(written.warnings))


class Removed(NamedTuple):
    """What a remove did."""

    removed: list[str]
    """The ids removed, in the order given."""
    warnings: list[str]
    """Problems after the new file was in place (the write stands)."""


def remove_publications(
    path: Path, display: str, ids: Sequence[str], cache_directory: Path | None = None
) -> Removed:
    """Remove the entries ``ids`` from the catalogue at ``path`` (``remove``): locked,
    proved, atomic.

    With a current cache that knows where each entry's block is, the file is not parsed:
    each block is cut with the comment lines directly above its header (the bytes
    ``plan_remove`` cuts), each cut proved to be the entry it removes (by CRC-32, and
    parsed alone), the rest copied around the cuts, and the cache patched. Anything else
    (and every refusal: an unknown id names the closest) goes through ``plan_remove``.
    """
    with writer.writing(path, display) as target:
        if cache_directory is not None:
            removed = _remove_with_cache(target, display, ids, cache_directory)
            if removed is not None:
                return removed
        change, warnings = _change_locked(
            target, display, lambda data: plan_remove(data, display, ids), cache_directory
        )
        return Removed(change.changed, warnings)


def _remove_with_cache(
    target: writer.Target, display: str, ids: Sequence[str], directory: Path
) -> Removed | None:
    """Cut the blocks of ``ids`` using the cache; None if the cache cannot serve (then
    nothing was written)."""
    wanted = list(dict.fromkeys(ids))  # an id given twice is removed once
    opened = _blocks_from_cache(target, display, wanted, directory)
    if opened is None:
        return None
    status, cached, blocks = opened

    def planned() -> _Planned | None:
        try:
            removal = cached.removal(blocks, source.fileno())
            for cut, publication in zip(removal.cuts, removal.publications, strict=True):
                writer.check_block(cut, display, [publication])  # the cut is that entry
        except (OSError, ValueError, CatalogueError, cache.CacheInvalidError):
            return None
        return _Planned(
            [(start, end, b"") for start, end in removal.ranges],
            lambda: cached.prepare_remove(removal, source.fileno()),
        )

    with writer.open_source(target) as source:
        # The comment lines above the first block go too: they start before it.
        first = min(block.start for block in blocks)
        written = _write_with_cache(target, source, status, cached, planned, first)
    if written is None:
        return None
    return Removed(wanted, list(written.warnings))


class _Planned(NamedTuple):
    """A change ``_write_with_cache`` writes."""

    replacements: writer.Ranges
    """What replaces what in the file (``writer.replace_ranges_copy``)."""
    prepare: Callable[[], cache.PendingCache]
    """Makes the cache's sections for the file once changed (run while it is written)."""


def _write_with_cache(
    target: writer.Target,
    source: BinaryIO,
    status: os.stat_result,
    cached: cache.CacheForWrite,
    planned: Callable[[], _Planned | None],
    unchanged_before: int,
) -> writer.Written | None:
    """``writer.replace_ranges_copy`` of ``source`` (the file, at ``status``), keeping the
    cache warm; None if nothing was written (``planned`` found nothing to write, or the
    cache cannot serve, or the file changed).

    The kernel copies the file's first ``unchanged_before`` bytes while ``planned``
    works out the change. Then, while the kernel copies the rest: a file changed within
    a tick of being cached is proved by CRC-32 (as add does), the CRC-32 of what is
    written computed, and the cache's new sections made (the new bytes are the old ones
    and the replacements); once the new file is in place they become the cache's.
    """
    started: list[tuple[_Background[cache.PendingCache], _Background[int]]] = []

    def replacements() -> writer.Ranges | None:
        if not (plan := planned()):
            return None

        def crc_after() -> int:
            # A proof hashes the whole file: its two halves give the new CRC-32 cheaply.
            split = proof.split() if proof is not None else None
            return cached.crc_after(plan.replacements, source.fileno(), split)

        started.append((_Background(plan.prepare), _Background(crc_after)))
        return plan.replacements

    written = None
    try:
        with _proof_while_copying(cached, source, unchanged_before) as proof:
            written = writer.replace_ranges_copy(
                target,
                source,
                status,
                replacements,
                proof.confirm if proof else None,
                unchanged_before,
            )
    except writer.Declined:
        return None
    except CatalogueError:
        # Before the change was planned (no temporary file could be made), or by the
        # plan: the whole file's path plans first, and says why only if it must write.
        if not started:
            return None
        raise
    finally:
        for prepared, crc_after in started:
            pending, content_crc = prepared.result(), crc_after.result()
            if pending is not None:
                with contextlib.suppress(*_RECORD_FAILURES):
                    if written is None or written.status is None or content_crc is None:
                        cached.discard(pending)  # no new file, or none to trust the cache for
                    else:
                        cached.record(pending, written.status, content_crc)
    return written


class _OthersThan:
    """``rules.TakenLookup`` of every entry but the one being edited."""

    def __init__(self, id_: str, taken: TakenLookup) -> None:
        self._id = id_
        self._taken = taken

    def has_id(self, id_: str) -> bool:
        return id_ != self._id and self._taken.has_id(id_)

    def id_with(self, key: TitleDateKey) -> str | None:
        holder = self._taken.id_with(key)
        return None if holder == self._id else holder


def change_catalogue(
    path: Path,
    display: str,
    plan: Callable[[bytes], Change],
    cache_directory: Path | None = None,
) -> tuple[Change, list[str]]:
    """Rewrite the catalogue at ``path`` as ``plan`` says (``edit``, ``remove``): locked,
    proved by the plan, atomic, as ``add`` writes.

    ``plan`` gets the file's bytes, read under the lock, and returns the proved change
    (``catalogue.changes``); it raises to refuse, and then nothing is written. A file
    changed without the lock before the rename is read again and planned again
    (``ATTEMPTS`` times). With ``cache_directory``, the cache is written anew from the
    parse the proof made, so the next query needs no rebuild.

    Returns the change and the warnings of a write that stands.
    """
    with writer.writing(path, display) as target:
        return _change_locked(target, display, plan, cache_directory)


def _change_locked(
    target: writer.Target,
    display: str,
    plan: Callable[[bytes], Change],
    cache_directory: Path | None,
) -> tuple[Change, list[str]]:
    """``change_catalogue`` once the lock is held."""
    for _ in range(ATTEMPTS):
        try:
            data, status = writer.read_state(target)
        except writer.ChangedMeanwhile:
            continue
        change = plan(data)
        if change.new == change.old:
            return change, []  # nothing to change (an edit to what is already there)
        written = writer.write_content(target, status, change.new)
        if written is None:
            continue
        if cache_directory is not None and written.status is not None:
            _cache_after_write(
                target, display, change.new, change.document, written.status, cache_directory
            )
        return change, list(written.warnings)
    raise CatalogueError(
        f"cannot write {one_line(display)}: it changed {ATTEMPTS} times while pubcli was "
        "writing it (another program writes it without the lock); nothing was written"
    )
