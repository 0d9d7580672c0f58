"""The per-user cache that answers queries on a large catalogue without parsing it.

For each catalogue (keyed by its real path) the cache holds a small JSON manifest and a
few flat section files: the casefolded search text, ids, JSON records, dates, facets, the
ids and titles taken (for ``add``), and one precomputed permutation per sort order.
It holds results of the functions the in-memory store uses (``query.sort_key``,
``query.fold_facet``, ``stats.count_by``, ``rules.taken_by``), never a copy of their logic.
Nothing read from it is executed (no pickle): sections are bytes, arrays of integers and
JSON. Every byte read is checked before it is believed: the manifest gives each section's
length and a CRC-32 per ``CHUNK`` bytes, and a mapped section checks each chunk the first
time a query reads from it (so a warm query costs what it reads, not the whole cache).

The manifest carries the catalogue's size, mtime and ctime (ns), inode and device; any
difference makes the cache stale. ctime cannot be set back by any user tool, so a
same-size edit whose mtime was restored (``touch -r``, ``cp -p``, tar) is seen. A file
changed within a timestamp tick of being cached could change again without its stamp
moving, so such a cache is "racily clean" and only trusted after the file's CRC-32
matches (git's rule); on a file system with whole-second timestamps the tick is taken as
two seconds (FAT's).

The cache directory is private (0700, files 0600): a directory or file not owned by the
user, or writable by group or others, is not used and not written (as ssh treats its
keys). Files are opened without following symlinks and written only as new files, then
renamed: nothing is ever written into an existing cache file.

Every failure here means "no cache": the caller falls back to parsing the file.

Readers use the ``Store`` protocol (``open_cached``). Writers use the API at the end of
this module, and nothing else: ``open_for_write`` gives a ``CacheForWrite`` (the taken
ids and titles, how to join a block to the file, ``prove``, ``record_append``), and
``write_cache`` records a catalogue that a write read and parsed whole.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime
import fcntl
import functools
import json
import math
import mmap
import os
import re
import stat
import sys
import time
import zlib
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Sized
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple, ParamSpec, TypeVar, cast

from pubcli import __version__
from pubcli.catalogue.loader import AppendInfo, append_info, stamp_of
from pubcli.catalogue.problems import Problem
from pubcli.safe_text import one_line
from pubcli.store.query import (
    SORT_KEYS,
    Criteria,
    facets_match,
    fold_facet,
    record_sort_key,
    sort_key,
)
from pubcli.store.search import (
    FieldGroups,
    Query,
    Term,
    field_groups,
    fold,
    publication_groups,
    term_holds,
)
from pubcli.store.search import select as search_select
from pubcli.store.stats import FACETS, Count, count_by
from pubcli.store.text_index import (
    KIND_BITS,
    entries_with,
    entry_at,
    entry_text,
    groups_of,
    phrase_positions,
    scan,
)

if TYPE_CHECKING:
    # The warm path never builds a Publication: importing the model costs ~20 ms.
    from pubcli.catalogue import rules
    from pubcli.catalogue.loader import Catalogue
    from pubcli.catalogue.rules import TitleDateKey
    from pubcli.fields import Record
    from pubcli.model import Publication
    from pubcli.store.checksums import InFile

CACHE_FORMAT = 10
NO_CACHE_ENV = "PUBCLI_NO_CACHE"
RACY_WINDOW_NS = 100_000_000
"""The timestamp tick assumed for a file system with sub-second timestamps (generous: the
kernel stamps files from a clock that ticks every few milliseconds)."""
COARSE_TICK_NS = 2_000_000_000
"""The tick assumed when a timestamp is a whole second: FAT's two seconds."""
CHUNK = 64 * 1024
"""Each section is checked in chunks of this many bytes, each with its CRC-32."""
_MAX_MANIFEST = 64 * 1024 * 1024
_MAX_LENGTH = 1 << 40  # no real section comes near: a larger length is a crafted one
_TOKEN_PATTERN = re.compile(r"[0-9a-f]{16}")
# Every character that rules.ID_PATTERN allows (a test checks): an id from the cache
# holding another is from a crafted cache, and is never printed.
_ID_CHARACTERS = b"abcdefghijklmnopqrstuvwxyz0123456789-"
_FEW = 256  # up to this many results are sorted by their records, not the permutation
_ENTRY_END = b"\x01"  # valid catalogue text never holds a control character
_FIELD_END = b"\x00"
_LIST_SEPARATOR = b"\x1f"
# A line of the taken section (ASCII JSON: no newline inside a string): its id, and its
# title-and-date key with the comma before it, or nothing.
_TAKEN_LINE = re.compile(rb'^\[("[^"\\\n]*(?:\\.[^"\\\n]*)*")(,.*)?\]$', re.MULTILINE)

P = ParamSpec("P")
R = TypeVar("R")


class CacheInvalidError(Exception):
    """The cache is missing, stale, corrupt or from another version: do not use it."""


def cache_disabled(environ: Mapping[str, str]) -> bool:
    """True when ``PUBCLI_NO_CACHE`` asks for no cache."""
    return environ.get(NO_CACHE_ENV, "").strip().lower() not in ("", "0", "false", "no")


def cache_directory(environ: Mapping[str, str]) -> Path | None:
    """``$XDG_CACHE_HOME/pubcli``, else ``~/.cache/pubcli``; None if neither is known."""
    base = environ.get("XDG_CACHE_HOME", "")
    if base and os.path.isabs(base):
        return Path(base) / "pubcli"
    home = environ.get("HOME") or os.path.expanduser("~")
    if not home or home == "~":
        return None
    return Path(home) / ".cache" / "pubcli"


def timestamp_tick_ns(status: os.stat_result) -> int:
    """How coarse the file's timestamps may be: a whole-second mtime or ctime suggests a
    file system that keeps seconds only (be conservative: FAT keeps two)."""
    if status.st_mtime_ns % 1_000_000_000 == 0 or status.st_ctime_ns % 1_000_000_000 == 0:
        return COARSE_TICK_NS
    return RACY_WINDOW_NS


def is_racy(status: os.stat_result, now_ns: int) -> bool:
    """Whether a change of the file at ``status`` made after ``now_ns`` could leave its
    stamp unchanged: its mtime or ctime is within a tick of ``now_ns`` (git's rule)."""
    newest = max(status.st_mtime_ns, status.st_ctime_ns)
    return newest > now_ns - timestamp_tick_ns(status)


def _key(real_path: Path) -> str:
    # Two paths sharing a key only evict each other's cache: the manifest names its path.
    # (zlib is loaded anyway; hashlib would load OpenSSL on every call.)
    encoded = os.fsencode(real_path)
    return f"{zlib.crc32(encoded):08x}{zlib.adler32(encoded):08x}{len(encoded):x}"


def _token() -> str:
    return os.urandom(8).hex()


# --- private files --------------------------------------------------------------------

_NOFOLLOW = os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def _private(status: os.stat_result) -> bool:
    """Owned by this user and writable by no one else (what ssh asks of its keys)."""
    return status.st_uid == os.geteuid() and not status.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _usable_directory(directory: Path) -> bool:
    """Whether ``directory`` exists and is private: else the cache is neither read nor written.

    A symlink there is not pubcli's (``cache clear`` never follows one), so reads and writes
    do not use it either: a cache that is used is always one that can be listed and removed.
    """
    try:
        status = os.lstat(directory)
    except (OSError, ValueError):
        return False
    return stat.S_ISDIR(status.st_mode) and _private(status)


def _prepare_directory(directory: Path) -> None:
    """Create ``directory`` (and missing parents) 0700; refuse one that is not private.

    A private directory that others may read (made by an earlier version) is made 0700.
    """
    missing = []
    path = directory
    while not os.path.lexists(path) and path != path.parent:
        missing.append(path)
        path = path.parent
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):
            os.mkdir(path, 0o700)
    if not _usable_directory(directory):
        # An OSError, as any other reason the cache cannot be written.
        raise PermissionError(f"{directory} is not a private directory")
    if os.stat(directory).st_mode & 0o077:
        os.chmod(directory, 0o700)


def _open_private(path: Path) -> int:
    """A descriptor of the cache file at ``path`` for reading: a private regular file,
    never through a symlink and never blocking on a planted FIFO."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | _NOFOLLOW)
    except (OSError, ValueError) as error:
        raise CacheInvalidError(str(error)) from None
    status = os.fstat(descriptor)
    if not (stat.S_ISREG(status.st_mode) and _private(status)):
        os.close(descriptor)
        raise CacheInvalidError(f"{path.name} is not a private file")
    return descriptor


def _create_private(path: Path) -> int:
    """A descriptor of a new file at ``path`` (0600) for writing: fails if anything is there."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)


def _chunk_crcs(data: bytes | memoryview, crc: int = 0, filled: int = 0) -> list[int]:
    """The CRC-32 of each ``CHUNK`` bytes of ``data``. To extend a section, ``filled``
    bytes of its last chunk (whose CRC is ``crc``) are already there: that chunk's CRC is
    continued first."""
    crcs = []
    position = 0
    if filled:
        position = CHUNK - filled
        crcs.append(zlib.crc32(data[:position], crc))
    with memoryview(data) as view:
        for start in range(position, len(view), CHUNK):
            crcs.append(zlib.crc32(view[start : start + CHUNK]))
    return crcs


def _copy(source: BinaryIO, target: BinaryIO, length: int) -> None:
    """Copy ``length`` bytes, in the kernel where it can."""
    copied = 0
    with contextlib.suppress(OSError, AttributeError):
        while copied < length:
            done = os.copy_file_range(source.fileno(), target.fileno(), length - copied)
            if not done:
                break
            copied += done
    source.seek(copied)
    target.seek(copied)
    while copied < length:
        part = source.read(min(length - copied, 1 << 20))
        if not part:
            raise CacheInvalidError("a section ended early")
        target.write(part)
        copied += len(part)


def _no_cache_on_failure(method: Callable[P, R]) -> Callable[P, R]:
    """Any failure while reading the cache (whatever a crafted file can provoke) means
    "no cache": ``CacheInvalidError``, never another error."""

    @functools.wraps(method)
    def checked(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except CacheInvalidError:
            raise
        except (
            ArithmeticError,
            LookupError,
            TypeError,
            ValueError,
            OSError,
            MemoryError,
            RecursionError,
            BufferError,
        ) as error:
            raise CacheInvalidError(f"{type(error).__name__}: {error}") from None

    return checked


# --- building -------------------------------------------------------------------------


def _array_bytes(typecode: str, values: Sequence[int]) -> bytes:
    return array(typecode, values).tobytes()


def _facet_line(publication: Publication) -> bytes:
    fields = (
        fold_facet(publication.type),
        "\x1f".join(map(fold_facet, publication.components)),
        "\x1f".join(map(fold_facet, publication.topics)),
    )
    return "\x00".join(fields).encode("utf-8") + _ENTRY_END


_RECORD_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _record_line(publication: Publication) -> bytes:
    return _RECORD_ENCODER.encode(publication.to_record()).encode("utf-8") + b"\n"


# ASCII JSON: a title's bytes are the same whatever it holds (no surrogate can fail).
_TAKEN_ENCODER = json.JSONEncoder(separators=(",", ":"))


def _taken_line(id_: str, key: TitleDateKey | None) -> str:
    """One line of the taken section: ``[id]`` or ``[id,title key,date or null]``, as
    the JSON encoder writes it (strings encoded one by one: a fifth of the time)."""
    encode = _TAKEN_ENCODER.encode
    if key is None:
        return f"[{encode(id_)}]\n"
    title, date = key
    return f"[{encode(id_)},{encode(title)},{encode(date.isoformat()) if date else 'null'}]\n"


def _taken_lines(raw_entries: Sequence[Any]) -> bytes:
    """What each entry takes from new entries (``rules.taken_by``), one JSON line each.
    JSON keeps any title whole (a newline or NUL in it included)."""
    from pubcli.catalogue.rules import taken_by

    taken = (taken_by(raw) for raw in raw_entries)
    return "".join(_taken_line(*item) for item in taken if item is not None).encode("ascii")


def _data_sections(publications: Sequence[Publication], first_record: int) -> dict[str, bytes]:
    """The appendable sections of ``publications``; record offsets start at ``first_record``."""
    record_parts = [_record_line(p) for p in publications]
    return {
        "ids": "".join(f"{p.id}\n" for p in publications).encode("utf-8"),
        "records": b"".join(record_parts),
        "record_starts": _array_bytes("q", _starts(record_parts, first_record)),
        "dates": _array_bytes("i", [p.date.toordinal() if p.date else 0 for p in publications]),
        "facets": b"".join(_facet_line(p) for p in publications),
    }


def _facet_counts(
    publications: Sequence[Publication], earlier: Mapping[str, Sequence[Count]]
) -> dict[str, list[Count]]:
    """``stats.count_by`` for every facet, extending the ``earlier`` counts."""
    return {facet: count_by(publications, facet, earlier.get(facet, ())) for facet in FACETS}


def _groups(publication: Publication) -> FieldGroups:
    return publication_groups(publication)


def _index_groups(publication: Publication) -> FieldGroups:
    """What the token index is given of one publication: its ``_groups``' tokens."""
    return publication_groups(publication, fold)


def _tail_sections(publications: Sequence[Publication], first_tail: int) -> dict[str, bytes]:
    """The searchable text of entries added after the index was built, scanned directly."""
    parts = [entry_text(_groups(p)) for p in publications]
    return {"tail": b"".join(parts), "tail_starts": _array_bytes("q", _starts(parts, first_tail))}


def _starts(parts: Sequence[Sized], first: int) -> list[int]:
    starts = []
    position = first
    for part in parts:
        starts.append(position)
        position += len(part)
    return starts


Described = list[Any]
"""How the manifest describes a section: ``[length, [CRC-32 of each CHUNK]]``."""


class _Writer:
    """Writes the files of one cache entry, each a new private file; the manifest last,
    renamed into place. An existing cache file is never opened for writing."""

    def __init__(self, directory: Path, key: str) -> None:
        self.directory = directory
        self.key = key

    def section_path(self, generation: str, name: str) -> Path:
        return self.directory / f"{self.key}.{generation}.{name}"

    def _write_new(self, path: Path, parts: Sequence[bytes]) -> None:
        descriptor = _create_private(path)
        with open(descriptor, "wb") as file:
            for part in parts:
                file.write(part)

    def write_sections(
        self, generation: str, sections: Mapping[str, bytes]
    ) -> dict[str, Described]:
        described = {}
        for name, data in sections.items():
            with self.open_section(generation, name) as section:
                section.write(data)
            described[name] = section.described()
        return described

    def open_section(self, generation: str, name: str) -> _SectionFile:
        """A new section file, to be written in parts."""
        return _SectionFile(self.section_path(generation, name))

    def extend_section(
        self, name: str, old: tuple[str, Described], generation: str, extra: bytes
    ) -> Described:
        """Write section ``name`` of ``generation``: that of ``old`` (its generation and
        description) followed by ``extra``. The old bytes are copied, not trusted: a
        reader checks them against the CRCs carried over."""
        old_generation, (length, crcs) = old
        self._write_after_copy(name, old_generation, length, generation, length, extra)
        filled = length % CHUNK
        kept = crcs[:-1] if filled else crcs
        return [length + len(extra), kept + _chunk_crcs(extra, crcs[-1] if filled else 0, filled)]

    def splice_section(
        self,
        name: str,
        old: tuple[str, Described],
        generation: str,
        changes: Sequence[tuple[int, int, bytes]],
        mapped: _MappedSection,
    ) -> Described:
        """Write section ``name`` of ``generation``: that of ``old`` (``mapped``) with each
        ``(start, end, new)`` of ``changes`` (in order, apart) in place of its bytes from
        ``start`` to ``end``. The whole chunks before the first change are copied in the
        kernel, not trusted (a reader checks them against the CRCs carried over); the rest
        is read checked and hashed anew."""
        old_generation, (length, crcs) = old
        kept = changes[0][0] // CHUNK * CHUNK
        parts: list[bytes | memoryview] = []
        position = kept
        for start, end, new in changes:
            if not position <= start <= end <= length:
                raise CacheInvalidError(f"section {name} is not as changed")
            parts += [mapped.read(position, start), new]
            position = end
        parts.append(mapped.read(position, length))
        rest = b"".join(parts)
        self._write_after_copy(name, old_generation, length, generation, kept, rest)
        return [kept + len(rest), crcs[: kept // CHUNK] + _chunk_crcs(rest)]

    def _write_after_copy(
        self, name: str, old_generation: str, length: int, generation: str, kept: int, rest: bytes
    ) -> None:
        """Write section ``name`` of ``generation``: the first ``kept`` bytes of that of
        ``old_generation`` (``length`` bytes long), copied in the kernel, then ``rest``."""
        with open(_open_private(self.section_path(old_generation, name)), "rb") as source:
            if os.fstat(source.fileno()).st_size != length:
                raise CacheInvalidError(f"section {name} has the wrong length")
            with open(_create_private(self.section_path(generation, name)), "wb") as target:
                _copy(source, target, kept)
                target.write(rest)

    def keep_section(self, name: str, old: tuple[str, Described], generation: str) -> Described:
        """Give section ``name`` of ``old`` to ``generation`` unchanged: a second name for
        the same file (cache files are never written after they are made), else a copy."""
        old_generation, described = old
        source = self.section_path(old_generation, name)
        descriptor = _open_private(source)
        try:
            linked = self.section_path(generation, name)
            os.link(source, linked, follow_symlinks=False)
            if os.stat(linked, follow_symlinks=False).st_ino != os.fstat(descriptor).st_ino:
                raise CacheInvalidError(f"section {name} changed while kept")
            return described
        except OSError:  # no hard links here: copy
            return self.extend_section(name, old, generation, b"")
        finally:
            os.close(descriptor)

    def write_manifest(self, manifest: Mapping[str, Any]) -> None:
        path = self.directory / f"{self.key}.json"
        temp = self.directory / f".{self.key}.{_token()}.tmp"
        try:
            self._write_new(temp, [json.dumps(manifest).encode("utf-8")])
            os.replace(temp, path)
        finally:
            with contextlib.suppress(OSError):
                temp.unlink()

    def claim(self) -> _Claim:
        """Names for a new generation of sections and one of permutations, claimed until
        committed or abandoned: no other process's cleanup removes their files."""
        with self._locked():  # no cleanup sees a marker before it is held
            return _Claim(self)

    def commit(self, manifest: Mapping[str, Any], claim: _Claim) -> None:
        """Make ``manifest`` (naming the generations of ``claim``) the cache's, and remove
        every other generation but those another process is making.

        Under the cache directory's lock, so that no other commit removes this one's
        files between its manifest and its cleanup. If the manifest cannot be written,
        the claimed files are removed."""
        with self._locked() as locked:
            try:
                self.write_manifest(manifest)
            except BaseException:
                self.abandon(claim)
                raise
            claim.release()
            self._remove_generations(lambda generation: generation not in claim.names)
            if locked:  # every manifest is written under the lock: any other is a dead one's
                self._remove_temporary_manifests()

    def abandon(self, claim: _Claim) -> None:
        """Remove the files of a claimed generation that will not be committed."""
        claim.release()
        self._remove_generations(lambda generation: generation in claim.names)

    def replace_manifest(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        """Write ``new`` in place of the manifest if it is still ``old`` (under the lock:
        a commit of another process meanwhile stays)."""
        with self._locked(), contextlib.suppress(OSError, ValueError, RecursionError):
            path = self.directory / f"{self.key}.json"
            with open(_open_private(path), "rb") as file:
                current = json.loads(file.read(_MAX_MANIFEST + 1))
            if current == old:
                self.write_manifest(new)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[bool]:
        """The cache directory's lock (where the file system has one: else none, as
        before there was one); whether it is held."""
        try:
            descriptor = os.open(self.directory, os.O_RDONLY | _NOFOLLOW | _DIRECTORY)
        except OSError:
            yield False
            return
        try:
            yield _flock_within(descriptor, _LOCK_WAIT)
        finally:
            os.close(descriptor)

    def _remove_temporary_manifests(self) -> None:
        """Remove the temporary files of manifests whose writers were killed."""
        with contextlib.suppress(OSError), os.scandir(self.directory) as entries:
            for entry in entries:
                parts = entry.name.split(".")
                if len(parts) == 4 and parts[1] == self.key and parts[3] == "tmp" and not parts[0]:
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)

    def _claimed(self, generation: str) -> bool:
        """Whether another process holds the claim on ``generation`` (a marker that a
        process ended without releasing is not held)."""
        try:
            descriptor = os.open(
                self.section_path(generation, _CLAIM), os.O_RDONLY | os.O_NONBLOCK | _NOFOLLOW
            )
        except OSError:
            return False
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        except OSError:
            return False
        finally:
            os.close(descriptor)
        return False

    def _remove_generations(self, chosen: Callable[[str], bool]) -> None:
        """Remove the files of each generation ``chosen`` picks, but claimed ones."""
        files: dict[str, list[str]] = {}
        with contextlib.suppress(OSError), os.scandir(self.directory) as entries:
            for entry in entries:
                parts = entry.name.split(".")
                if len(parts) == 3 and parts[0] == self.key and chosen(parts[1]):
                    files.setdefault(parts[1], []).append(entry.path)
        for generation, paths in files.items():
            if self._claimed(generation):
                continue
            for path in sorted(paths, key=lambda path: path.endswith(f".{_CLAIM}")):
                with contextlib.suppress(OSError):
                    os.unlink(path)


_LOCK_WAIT = 2.0
"""Seconds a cache write waits for the cache directory's lock, which another pubcli
holds for milliseconds: one stopped there (Ctrl-Z) must not stop every other's cache
writes, which then go on without it, as where the file system has no locks."""


def _flock_within(descriptor: int, seconds: float) -> bool:
    """Take ``descriptor``'s exclusive lock within ``seconds``; whether it was taken."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.005)
        except OSError:
            return False


_CLAIM = "pending"
"""The name of a generation's marker file while a process makes it (see ``_Claim``)."""
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


class _Claim:
    """The names of a new generation of sections and one of permutations, each with a
    marker file (``KEY.GENERATION.pending``) that this process holds locked until it
    commits them or gives them up: another process's cleanup leaves a generation alone
    while its marker is held (a second cold call, or a reader that patches the cache,
    while this one writes it), and removes it once its maker ended without a word."""

    def __init__(self, writer: _Writer) -> None:
        self.names = (_token(), _token())
        self._held: list[tuple[Path, int]] = []
        try:
            for name in self.names:
                path = writer.section_path(name, _CLAIM)
                self._held.append((path, _create_private(path)))
                with contextlib.suppress(OSError):  # no locks here: as before there were
                    fcntl.flock(self._held[-1][1], fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        """Give the claim up (its files are then the cache's, or anyone's to remove)."""
        while self._held:
            path, descriptor = self._held.pop()
            with contextlib.suppress(OSError):
                os.unlink(path)
            os.close(descriptor)


class _SectionFile:
    """A new private section file written in parts, the CRC-32 of each ``CHUNK`` bytes
    computed as they go: a section may be written as its parts are made."""

    def __init__(self, path: Path) -> None:
        self._file = open(_create_private(path), "wb")  # closed by __exit__
        self.length = 0
        self._crcs: list[int] = []

    def __enter__(self) -> _SectionFile:
        return self

    def __exit__(self, *exception: object) -> None:
        self._file.close()

    def write(self, data: bytes | memoryview) -> None:
        filled = self.length % CHUNK
        if filled:
            self._crcs[-1:] = _chunk_crcs(data, self._crcs[-1], filled)
        else:
            self._crcs += _chunk_crcs(data)
        self._file.write(data)
        self.length += len(data)

    def described(self) -> Described:
        return [self.length, self._crcs]


def write_cache(
    directory: Path,
    real_path: Path,
    status: os.stat_result,
    content: bytes,
    read_started_ns: int,
    text: str,
    document: dict[str, Any],
    catalogue: Catalogue,
) -> None:
    """Write the cache of a catalogue just parsed from ``content`` (as it was at ``status``):
    ``text`` is its decoded text, ``document`` the parsed TOML, ``catalogue`` the result."""
    from pubcli.catalogue.loader import appendable, entries_of

    raw_entries = entries_of(document, catalogue.path)
    layout = _block_layout(content, len(raw_entries))
    # A file made of blocks alone (one header per entry, no other table, no inline
    # publications: a file that parsed could not hold both) takes a block appended.
    info = append_info(text, layout is not None or appendable(text, raw_entries))
    _prepare_directory(directory)
    from pubcli.store.build import CacheSections, manifest_of

    sections = CacheSections(_Writer(directory, _key(real_path)))
    try:
        sections.add(raw_entries, catalogue.publications)
        if layout is not None:
            layout["publication_lines"] = _array_bytes("i", catalogue.lines)
        built = sections.finish(layout or {})
    except BaseException:
        sections.abandon()
        raise
    writer = _Writer(directory, _key(real_path))
    writer.commit(
        manifest_of(
            real_path,
            status,
            content_crc=zlib.crc32(content),
            newlines=content.count(b"\n"),
            # A change since the read started may have left the stamp as it was.
            racy=is_racy(status, read_started_ns),
            built=built,
            problems=catalogue.problems,
            append=[info.appendable, info.newline, info.separator],
            newer_schema=catalogue.newer_schema,
        ),
        sections.claim,
    )


# --- where each entry's block is -------------------------------------------------------

_BLOCK_HEADER = b"\n[[publications]]"
_BLOCK_GROUP = 64
"""Blocks are compared in groups of this many first, then one by one where one differs."""
_BLOCK_SECTIONS = ("block_starts", "block_crcs", "block_groups", "publication_lines")
_INDENTED_BRACKET = re.compile(rb"[ \t]*\[")
_BOM_BYTES = "\ufeff".encode()


def _block_starts(content: bytes, entry_count: int) -> array[int] | None:
    """Where each entry's block starts (its ``[[publications]]`` line), or None unless
    the file is made of such blocks alone (``_block_headers``), one per entry.

    This is not a parser: it finds where the parsed entries are, or says it cannot.
    """
    body = len(_BOM_BYTES) if content.startswith(_BOM_BYTES) else 0
    starts: list[int] = []
    if not entry_count or content.count(b"\n[") + (content[body : body + 1] == b"[") != (
        entry_count
    ):
        return None
    if _block_headers(content, body, len(content), 1, 0, starts, []) is None:
        return None
    return array("q", starts) if len(starts) == entry_count else None


_BRACKET_LINE = re.compile(rb"\n([ \t]*)\[")
_FIRST_BRACKET_LINE = re.compile(rb"([ \t]*)\[")


def _block_headers(
    data: bytes, start: int, end: int, line: int, offset: int, starts: list[int], lines: list[int]
) -> int | None:
    """The rule of a file made of ``[[publications]]`` blocks alone, applied to the whole
    lines ``data[start:end]`` (``start`` is a line start, on ``line``; ``data`` starts at
    ``offset`` in the file): every line that starts with ``[`` (after blanks) is such a
    header, unindented, so that no such line can be inside a string and each block
    holds one entry and nothing else of the document. Appends each header's offset in
    the file to ``starts`` and its line to ``lines``, and returns the line at ``end``;
    None when a line breaks the rule."""
    found = [(match.start() + 1, match) for match in _BRACKET_LINE.finditer(data, start, end)]
    first = _FIRST_BRACKET_LINE.match(data, start, end)
    if first:
        found.insert(0, (start, first))
    counted = start
    for at, match in found:
        if match.group(1) or not data.startswith(_BLOCK_HEADER[1:], at):
            return None
        line += data.count(b"\n", counted, at)
        counted = at
        starts.append(offset + at)
        lines.append(line)
    return line + data.count(b"\n", counted, end)


def _block_layout(content: bytes, entry_count: int) -> dict[str, bytes] | None:
    """The block sections of a file made of blocks (see ``_block_starts``): each block's
    start (and the file's end), the CRC-32 of the preamble and of each block, and of each
    group of ``_BLOCK_GROUP`` blocks."""
    starts = _block_starts(content, entry_count)
    if starts is None:
        return None
    starts.append(len(content))
    return {
        "block_starts": starts.tobytes(),
        "block_crcs": _block_crcs(content, starts, 0).tobytes(),
        "block_groups": _group_crcs(content, starts, range(0, entry_count, _BLOCK_GROUP)),
    }


def _block_crcs(content: bytes, starts: Sequence[int], shift: int) -> array[int]:
    """The CRC-32 of what precedes the first block, then of each block; ``starts`` are
    offsets in ``content`` less ``shift``."""
    with memoryview(content) as view:
        crcs = array("I", [zlib.crc32(view[: starts[0] + shift])])
        crcs.extend(
            zlib.crc32(view[start + shift : end + shift])
            for start, end in zip(starts, starts[1:], strict=False)
        )
    return crcs


def _group_crcs(content: FileBytes, starts: Sequence[int], firsts: Iterable[int]) -> bytes:
    """The CRC-32 of each group of blocks starting at block ``first``."""
    last = len(starts) - 1
    with _sliceable(content) as view:
        return array(
            "I",
            (
                zlib.crc32(view[starts[first] : starts[min(first + _BLOCK_GROUP, last)]])
                for first in firsts
            ),
        ).tobytes()


class _Spliced:
    """The bytes a write puts in place: those of ``old`` (the file) with each
    ``(start, end, new)`` of ``replacements`` (in file order, apart) in place of its bytes
    ``start`` to ``end``, read range by range. The cache's new sections are made from
    them while the kernel writes the new file."""

    def __init__(self, old: InFile, replacements: Sequence[tuple[int, int, bytes]]) -> None:
        self._old = old
        pieces: list[bytes | range] = []  # a range: bytes of the old file
        kept = 0
        for start, end, new in replacements:
            if not kept <= start <= end <= len(old):
                raise CacheInvalidError("the replacements are not of this file")
            pieces += [range(kept, start), new]
            kept = end
        pieces.append(range(kept, len(old)))
        self._pieces = [piece for piece in pieces if len(piece)]
        self._starts = _starts(self._pieces, 0)
        self._length = sum(map(len, self._pieces))

    def __len__(self) -> int:
        return self._length

    def _part(self, number: int, start: int, end: int) -> bytes:
        """Bytes ``start`` to ``end`` (of the new file) that piece ``number`` holds."""
        piece, offset = self._pieces[number], self._starts[number]
        start, end = max(start - offset, 0), min(end - offset, len(piece))
        if isinstance(piece, range):
            return self._old[piece.start + start : piece.start + end]
        return piece[start:end]

    def __getitem__(self, where: slice) -> bytes:
        start, end, _ = where.indices(self._length)
        first = max(bisect.bisect_right(self._starts, start) - 1, 0)
        last = bisect.bisect_left(self._starts, end)
        return b"".join(self._part(number, start, end) for number in range(first, last))

    def find(self, sub: bytes) -> int:
        """Where ``sub`` (not empty) first occurs, or -1."""
        for number, piece in enumerate(self._pieces):
            start = self._starts[number]
            if number:  # across the boundary with the piece before
                around = max(start - len(sub) + 1, 0)
                at = self[around : start + len(sub) - 1].find(sub)
                if at >= 0:
                    return around + at
            if isinstance(piece, range):
                at = self._old.find(sub, piece.start, piece.stop)
                at = at - piece.start if at >= 0 else -1
            else:
                at = piece.find(sub)
            if at >= 0:
                return start + at
        return -1


FileBytes = bytes | _Spliced
"""A file's bytes: read, or a write's (``_Spliced``)."""


@contextlib.contextmanager
def _sliceable(content: FileBytes) -> Iterator[memoryview | _Spliced]:
    """``content`` to slice without copying what is already in memory."""
    if isinstance(content, _Spliced):
        yield content
    else:
        with memoryview(content) as view:
            yield view


# --- reading --------------------------------------------------------------------------


def _patch_group_crcs(
    groups: array[int], content: FileBytes, starts: Sequence[int], firsts: Sequence[int]
) -> None:
    """Set the CRC-32 of each group of blocks that begins at a block of ``firsts`` in
    ``groups``, from ``content`` whose blocks begin at ``starts``."""
    patched = array("I")
    patched.frombytes(_group_crcs(content, starts, firsts))
    for first, crc in zip(firsts, patched, strict=True):
        groups[first // _BLOCK_GROUP] = crc


def _shifted(values: array[int], by: int) -> Iterable[int]:
    """Each of ``values`` plus ``by`` (block starts or lines after a change)."""
    return values if not by else map(by.__add__, values)


def _is_int(value: Any, low: int = 0, high: int = _MAX_LENGTH) -> bool:
    return type(value) is int and low <= value <= high


def _valid_description(value: Any) -> bool:
    """``[length, [crc, ...]]`` with one CRC per chunk."""
    return (
        type(value) is list
        and len(value) == 2
        and _is_int(value[0])
        and type(value[1]) is list
        and len(value[1]) == math.ceil(value[0] / CHUNK)
        and all(_is_int(crc, 0, 0xFFFFFFFF) for crc in value[1])
    )


def _valid_manifest(manifest: dict[str, Any]) -> bool:
    """Whether what the reading side relies on has the right types and bounds."""
    edited = manifest.get("edited_records", {})
    if not (
        type(edited) is dict
        and all(
            type(where) is list and len(where) == 2 and all(_is_int(at) for at in where)
            for where in edited.values()
        )
    ):
        return False
    stamp, indexed = manifest.get("stamp"), manifest.get("indexed")
    count: Any = manifest.get("count")
    sections, orders = manifest.get("sections"), manifest.get("orders")
    problems = manifest.get("problems")
    return (
        type(stamp) is list
        and len(stamp) == 5
        and all(type(part) is int for part in stamp)
        and _is_int(manifest.get("content_crc"), 0, 0xFFFFFFFF)
        and type(manifest.get("racy")) is bool
        and _is_int(count, 0, 2**31 - 1)
        and _is_int(indexed, 0, count)
        and all(
            type(manifest.get(name)) is str and _TOKEN_PATTERN.fullmatch(manifest[name])
            for name in ("generation", "order_generation")
        )
        and type(sections) is dict
        and all(_valid_description(value) for value in sections.values())
        and type(orders) is dict
        and set(orders) == {f"order-{key}" for key in SORT_KEYS}
        and all(_valid_description(value) for value in orders.values())
        and (manifest.get("newer_schema") is None or _is_int(manifest["newer_schema"], 1))
        and type(problems) is list
        and all(
            type(problem) is list
            and len(problem) == 4
            and _is_int(problem[0], 0, 2**63)
            and type(problem[1]) is str
            and type(problem[2]) is str
            and type(problem[3]) is bool
            for problem in problems
        )
    )


def _is_record(value: Any) -> bool:
    """Whether ``value`` has the shape of ``Publication.to_record``: a field of another
    type, from a crafted cache, would fail far from here (a title that is a list). (Half
    a microsecond a record, a fifth of its json.loads.)"""
    if type(value) is not dict:
        return False
    get = value.get
    components, topics, date, url = get("components"), get("topics"), get("date"), get("url")
    return (
        type(get("title")) is str
        and type(get("type")) is str
        and type(get("summary")) is str
        and type(components) is list
        and type(topics) is list
        and _ONLY_TEXT.issuperset(map(type, components + topics))
        and (date is None or type(date) is str)
        and (url is None or type(url) is str)
    )


_ONLY_TEXT = frozenset((str,))


def _is_id(value: Any) -> bool:
    return (
        type(value) is str
        and value.isascii()
        and not value.encode().translate(None, _ID_CHARACTERS)
    )


def _load_manifest(directory: Path, real_path: Path) -> dict[str, Any]:
    if not _usable_directory(directory):
        raise CacheInvalidError("the cache directory is missing or not private")
    try:
        with open(_open_private(directory / f"{_key(real_path)}.json"), "rb") as file:
            data = file.read(_MAX_MANIFEST + 1)
        if len(data) > _MAX_MANIFEST:
            raise ValueError("the manifest is too large")
        manifest = json.loads(data)
    except (OSError, ValueError, RecursionError, MemoryError) as error:
        raise CacheInvalidError(str(error)) from None
    if not (
        isinstance(manifest, dict)
        and manifest.get("magic") == "pubcli-cache"
        and manifest.get("format") == CACHE_FORMAT
        and manifest.get("pubcli") == __version__
        and manifest.get("byteorder") == sys.byteorder
        and manifest.get("catalogue") == os.fsdecode(real_path)
    ):
        raise CacheInvalidError("not a cache of this catalogue and version")
    if not _valid_manifest(manifest):
        raise CacheInvalidError("the manifest is damaged")
    return manifest


class _MappedSection:
    """A section mapped, not read, whose chunks are checked against their CRC-32 the first
    time a read touches them: a query costs what it reads, not the whole section."""

    def __init__(self, path: Path, description: Described, name: str) -> None:
        length, self._crcs = description
        self._name = name
        with open(_open_private(path), "rb") as section:
            if os.fstat(section.fileno()).st_size != length:
                raise CacheInvalidError(f"section {name} has the wrong length")
            self._data: bytes | mmap.mmap = (
                mmap.mmap(section.fileno(), length, access=mmap.ACCESS_READ) if length else b""
            )
        self.length = length
        self._checked = bytearray(len(self._crcs))

    def occurrences(self, needle: bytes, most: int) -> int:
        """How many times ``needle`` occurs, up to ``most``, each occurrence checked (a
        search of the map, at C speed, that reads no more into memory than it finds)."""
        count, at = 0, self._data.find(needle)
        while at >= 0 and count < most:
            self.read(at, at + len(needle))
            count += 1
            at = self._data.find(needle, at + 1)
        return count

    def _check_whole(self) -> None:
        """Check every chunk, for a search whose answer is also what it does not find: a
        changed byte could hide an occurrence."""
        self.read(0, self.length)

    def lines_with(self, needle: bytes) -> Iterator[bytes]:
        """Each line (without its newline) in which ``needle`` occurs, in order: a search
        of the map, which copies no more than the lines it finds (``_check_whole``)."""
        self._check_whole()
        data = self._data
        at = data.find(needle)
        while at >= 0:
            start = data.rfind(b"\n", 0, at + 1) + 1
            end = data.find(b"\n", at + 1)
            if end < 0:
                raise CacheInvalidError(f"section {self._name} is damaged")
            yield bytes(self.read(start, end))
            at = data.find(needle, end)

    def last_place(self, needle: bytes, times: int) -> int:
        """Where ``needle`` occurs last, when it occurs exactly ``times`` times
        (``_check_whole``)."""
        self._check_whole()
        at, found = -1, 0
        while (next_at := self._data.find(needle, at + 1)) >= 0:
            at, found = next_at, found + 1
        if found != times:
            raise CacheInvalidError(f"section {self._name} does not hold a line {times} times")
        return at

    def read(self, start: int, end: int) -> memoryview:
        """Bytes ``start`` to ``end``, checked."""
        if not 0 <= start <= end <= self.length:
            raise CacheInvalidError(f"section {self._name} is damaged")
        first, last = start // CHUNK, (end - 1) // CHUNK
        checked = self._checked
        view = memoryview(self._data)
        for chunk in range(first, last + 1):
            if not checked[chunk]:
                if zlib.crc32(view[chunk * CHUNK : (chunk + 1) * CHUNK]) != self._crcs[chunk]:
                    raise CacheInvalidError(f"section {self._name} is damaged")
                checked[chunk] = 1
        return view[start:end]


class CachedStore:
    """A ``Store`` answered from the cache's sections, read only when a query needs them."""

    def __init__(self, directory: Path, real_path: Path, manifest: dict[str, Any], display: str):
        self._writer = _Writer(directory, _key(real_path))
        self._manifest = manifest
        self._display = display
        self._loaded: dict[str, Any] = {}
        self._count = int(manifest["count"])
        # Text from the cache is escaped like text from the file (a crafted cache).
        self._problems = [
            Problem(display, line, one_line(label), one_line(message), skips)
            for line, label, message, skips in manifest["problems"]
        ]

    # sections

    def _section(self, name: str) -> tuple[Path, Described]:
        """Where section ``name`` is, and how the manifest describes it."""
        if name.startswith("order-"):
            generation, description = self._manifest["order_generation"], self._manifest["orders"]
        else:
            generation, description = self._manifest["generation"], self._manifest["sections"]
        if name not in description:
            raise CacheInvalidError(f"no section {name}")
        return self._writer.section_path(generation, name), description[name]

    def _bytes(self, name: str) -> bytes:
        if name in self._loaded:
            return self._loaded[name]  # type: ignore[no-any-return]
        path, (length, crcs) = self._section(name)
        try:
            with open(_open_private(path), "rb") as section:
                data = section.read(length + 1)
        except OSError as error:
            raise CacheInvalidError(str(error)) from None
        if len(data) != length or _chunk_crcs(data) != crcs:
            raise CacheInvalidError(f"section {name} is damaged")
        self._loaded[name] = data
        return data

    def _array(self, name: str, typecode: str, count: int | None = -1) -> array[int]:
        """A section of integers; ``count`` is how many it must hold (-1: one per entry of
        its part of the catalogue, None: any)."""
        key = f"{name}:array"
        if key not in self._loaded:
            values = array(typecode)
            data = self._bytes(name)
            if count == -1:
                count = self._tail_count() if name.startswith("tail_") else self._count
            if len(data) % values.itemsize or (
                count is not None and len(data) != count * values.itemsize
            ):
                raise CacheInvalidError(f"section {name} has the wrong length")
            values.frombytes(data)
            self._loaded[key] = values
        return self._loaded[key]  # type: ignore[no-any-return]

    def _tail_count(self) -> int:
        """How many entries the tail holds: those added after the index was built, and
        the new text of entries edited since (``tail_indices`` says which is which)."""
        if "tail_indices" in self._manifest["sections"]:
            return int(self._manifest["sections"]["tail_indices"][0]) // 4
        return self._count - int(self._manifest["indexed"])

    def _tail_indices(self) -> Sequence[int]:
        """The index of the entry each tail entry holds (-1: one edited again since)."""
        if "tail_indices" not in self._manifest["sections"]:
            return range(int(self._manifest["indexed"]), self._count)
        indices = self._array("tail_indices", "i")
        if indices and not -1 <= min(indices) <= max(indices) < self._count:
            raise CacheInvalidError("section tail_indices is damaged")
        return indices

    def _mapped(self, name: str) -> _MappedSection:
        """A large section mapped, not read: only the chunks a query touches are loaded."""
        key = f"{name}:mapped"
        if key not in self._loaded:
            try:
                self._loaded[key] = _MappedSection(*self._section(name), name)
            except (OSError, ValueError) as error:
                raise CacheInvalidError(str(error)) from None
        return self._loaded[key]  # type: ignore[no-any-return]

    def _postings(self, start: int, end: int) -> Sequence[int]:
        """Entries ``start`` to ``end`` of the postings section, checked."""
        return self._mapped("postings").read(start * 4, end * 4).cast("i")

    def _lines(self, name: str, separator: bytes) -> list[bytes]:
        key = f"{name}:lines"
        if key not in self._loaded:
            parts = self._bytes(name).split(separator)
            if len(parts) != self._count + 1 or parts[-1]:
                raise CacheInvalidError(f"section {name} has the wrong number of entries")
            self._loaded[key] = parts
        return self._loaded[key]  # type: ignore[no-any-return]

    # the Store protocol

    @property
    def problems(self) -> Sequence[Problem]:
        return self._problems

    @property
    def newer_schema(self) -> int | None:
        version = self._manifest.get("newer_schema")
        return version if type(version) is int else None

    def __len__(self) -> int:
        return self._count - len(self._removed())

    # Entries removed since the cache was built keep their slot in every section (as a
    # Lucene segment keeps a deleted document): the store's indices count the slots left.

    def _removed(self) -> array[int]:
        """The slots of the entries removed (``CachedStore.remove``), in increasing order."""
        if "removed:checked" not in self._loaded:
            removed = array("i")
            if "removed" in self._manifest["sections"]:
                removed = self._array("removed", "i", None)
                if any(
                    not 0 <= slot < self._count or (at and slot <= removed[at - 1])
                    for at, slot in enumerate(removed)
                ):
                    raise CacheInvalidError("section removed is damaged")
            self._loaded["removed:checked"] = removed
        return self._loaded["removed:checked"]  # type: ignore[no-any-return]

    def _live(self, slots: Iterable[int]) -> list[int]:
        """The store's indices of ``slots``, those of removed entries left out."""
        removed = self._removed()
        if not removed:
            return list(slots)
        if "removed:set" not in self._loaded:
            self._loaded["removed:set"] = frozenset(removed)
        gone = self._loaded["removed:set"]
        return [slot - bisect.bisect_left(removed, slot) for slot in slots if slot not in gone]

    def _slots(self, indices: Sequence[int]) -> Sequence[int]:
        """The slots of the store's ``indices``."""
        removed = self._removed()
        if not removed:
            return indices
        if "removed:before" not in self._loaded:
            # The n-th removed slot has this many live entries before it.
            self._loaded["removed:before"] = array(
                "i", (slot - at for at, slot in enumerate(removed))
            )
        before = self._loaded["removed:before"]
        count = len(self)
        if indices and not 0 <= min(indices) <= max(indices) < count:
            raise IndexError("no such publication")
        return [index + bisect.bisect_right(before, index) for index in indices]

    @_no_cache_on_failure
    def select(self, criteria: Criteria) -> list[int]:
        if not (
            criteria.since is not None
            or criteria.until is not None
            or criteria.types
            or criteria.components
            or criteria.topics
            or criteria.queries
        ):
            return list(range(len(self)))
        return self._live(self._select_slots(criteria))

    def _select_slots(self, criteria: Criteria) -> list[int]:
        candidates: Sequence[int] = range(self._count)
        if criteria.since is not None or criteria.until is not None:
            low = criteria.since.toordinal() if criteria.since else 1
            high = criteria.until.toordinal() if criteria.until else sys.maxsize
            dates = self._array("dates", "i")
            candidates = [i for i in candidates if low <= dates[i] <= high]
        if criteria.types or criteria.components or criteria.topics:
            candidates = self._facet_matches(criteria, candidates)
        if criteria.queries:
            matching = self._text_matches(criteria.queries)
            if isinstance(candidates, range):
                return matching
            chosen = set(matching)
            candidates = [i for i in candidates if i in chosen]
        return list(candidates)

    def _facet_matches(self, criteria: Criteria, candidates: Sequence[int]) -> list[int]:
        # The lines hold folded values as UTF-8: compare them with the folded criteria.
        types, components, topics = (
            {value.encode("utf-8", "surrogatepass") for value in wanted}
            for wanted in criteria.folded_facets()
        )
        lines = self._lines("facets", _ENTRY_END)
        chosen = []
        for index in candidates:
            type_, component_list, topic_list = lines[index].split(_FIELD_END)
            if facets_match(
                types,
                components,
                topics,
                type_,
                component_list.split(_LIST_SEPARATOR),
                topic_list.split(_LIST_SEPARATOR) if topic_list else (),
            ):
                chosen.append(index)
        return chosen

    def _text_matches(self, queries: Sequence[Query]) -> list[int]:
        # Several --text options: any of them.
        alternatives = [search_select(query, self._count, self._term_entries) for query in queries]
        if len(alternatives) == 1:
            return alternatives[0]
        return sorted(set().union(*alternatives))

    def _term_entries(self, term: Term, within: Sequence[int] | None) -> set[int]:
        """The entries of ``within`` (None: all) whose text holds the term's needle where
        the term asks (``search.term_holds``), negation aside."""
        if within is not None and len(within) <= _FEW:
            # Few left: check each one's own text rather than read the index.
            return {index for index in within if term_holds(term, self._groups_at(index))}
        needle = term.needle.encode("utf-8", "surrogatepass")
        if min(needle) < 0x20:
            # No valid text holds a control character (the separators of the cache's
            # text are such), so nothing holds this needle (as in search.term_holds).
            return set()
        if term.field is None and b" " not in needle:
            found = set(self._entries_with(needle))  # the index is exact for a word
        else:
            found = self._phrase_entries(needle.split(b" "), term.field)
            found = self._tail_entries(term, found)
        if within is not None:
            found.intersection_update(within)
        return found

    def _phrase_entries(self, words: Sequence[bytes], field: int | None) -> set[int]:
        """The indexed entries holding the phrase ``words`` (in ``field``, or any), by
        the text the index has of them (see ``_tail_entries`` for the rest)."""
        starts = phrase_positions(
            words,
            self._bytes("vocab"),
            self._array("vocab_starts", "q", None),
            self._positions,
            self._array("position_starts", "q", None),
        )
        if field is not None:
            mask = (1 << KIND_BITS) - 1
            starts = {position for position in starts if position & mask == field}
        entry_ordinals = self._array("entry_ordinals", "q", int(self._manifest["indexed"]))
        found = {entry_at(position >> KIND_BITS, entry_ordinals) for position in starts}
        if found and (min(found) < 0 or max(found) >= len(entry_ordinals)):
            raise CacheInvalidError("section positions is damaged")
        return found

    def _tail_entries(self, term: Term, found: set[int]) -> set[int]:
        """``found`` (entries by the index's text) corrected by the tail: an entry added
        or edited since the index was built holds the term as its text in the tail says."""
        indices = self._tail_indices()
        if not len(indices):
            return found
        tail = self._bytes("tail")
        starts = self._array("tail_starts", "q")
        if len(starts) != len(indices):
            raise CacheInvalidError("section tail_starts is damaged")
        found = found - {index for index in indices if index >= 0}
        for slot, index in enumerate(indices):
            if index < 0:
                continue  # edited again since: a later slot holds its text
            end = starts[slot + 1] if slot + 1 < len(starts) else len(tail)
            if not tail.endswith(_ENTRY_END, 0, end):
                raise CacheInvalidError("section tail is damaged")
            if term_holds(term, groups_of(tail[starts[slot] : end - 1])):
                found.add(index)
        return found

    def _groups_at(self, index: int) -> FieldGroups:
        """The searchable fields of entry ``index``, from its record."""
        record = self._record(index)
        return field_groups(
            record["id"],
            record["title"],
            record["type"],
            record["summary"],
            record["components"],
            record["topics"],
        )

    def _positions(self, start: int, end: int) -> Sequence[int]:
        """Entries ``start`` to ``end`` of the positions section, checked."""
        return self._mapped("positions").read(start * 4, end * 4).cast("i")

    def _entries_with(self, word: bytes) -> list[int]:
        # A word holding a separator cannot occur in valid text (see _term_entries).
        if min(word) < 0x20:
            return []
        indexed = int(self._manifest["indexed"])
        found = entries_with(
            word,
            self._bytes("vocab"),
            self._array("vocab_starts", "q", None),
            self._postings,
            self._array("posting_starts", "q", None),
        )
        if found and (found[0] < 0 or found[-1] >= indexed):
            raise CacheInvalidError("section postings is damaged")
        tail = scan(word, self._bytes("tail"), self._array("tail_starts", "q"), _ENTRY_END)
        indices = self._tail_indices()
        if isinstance(indices, range):
            return found + sorted(indices[entry] for entry in tail)
        # An edited entry's text in the index is its old text: its text in the tail rules.
        edited = {index for index in indices if index < indexed}
        if edited:
            found = [index for index in found if index not in edited]
        return sorted(found + [indices[entry] for entry in tail if indices[entry] >= 0])

    @_no_cache_on_failure
    def order(self, indices: Sequence[int], key: str, *, reverse: bool = False) -> list[int]:
        whole = len(indices) == len(self) > _FEW
        slots = indices if whole else self._slots(indices)  # the whole needs no mapping
        ordered = self._live(self._order_slots(slots, key, whole=whole))
        if reverse:
            ordered.reverse()
        return ordered

    def _order_slots(self, indices: Sequence[int], key: str, *, whole: bool) -> list[int]:
        """The slots ``indices`` (every live one when ``whole``) in the order ``key``."""
        if len(indices) <= _FEW:
            # Sorting a few by their records is cheaper than walking the permutation.
            record_key = record_sort_key(key)
            ordered = sorted(sorted(indices), key=lambda i: record_key(self._record(i)))
        elif whole:
            # The permutations hold the live slots alone (CachedStore.remove takes slots out).
            ordered = self._array(f"order-{key}", "i", len(self)).tolist()
        else:
            permutation = self._array(f"order-{key}", "i", len(self))
            wanted = bytearray(self._count)
            for index in indices:
                wanted[index] = 1
            ordered = [index for index in permutation if wanted[index]]
        return ordered

    @_no_cache_on_failure
    def ids(self, indices: Sequence[int]) -> list[str]:
        indices = self._slots(indices)
        if len(indices) <= _FEW and "ids:text" not in self._loaded:
            return [self._record(index)["id"] for index in indices]
        if "ids:text" not in self._loaded:
            data = self._bytes("ids")
            if data.translate(None, _ID_CHARACTERS + b"\n"):
                raise CacheInvalidError("section ids holds what no id can")
            lines = data.decode("ascii").split("\n")
            if len(lines) != self._count + 1 or lines[-1]:
                raise CacheInvalidError("section ids has the wrong number of entries")
            self._loaded["ids:text"] = lines
        lines = self._loaded["ids:text"]
        return [lines[index] for index in indices]

    @_no_cache_on_failure
    def all_ids(self) -> list[str]:
        return self.ids(range(len(self)))

    @_no_cache_on_failure
    def publications(self, indices: Sequence[int]) -> list[Publication]:
        return [self._publication(index) for index in self._slots(indices)]

    @_no_cache_on_failure
    def records(self, indices: Sequence[int]) -> list[Record]:
        return [self._record(index) for index in self._slots(indices)]

    def _record(self, index: int) -> Record:
        edited = self._manifest.get("edited_records")
        if edited and str(index) in edited:
            # Records of entries edited by hand are in a section of their own.
            records = self._mapped("edited_records")
            start, end = edited[str(index)]
        else:
            records = self._mapped("records")
            starts = self._array("record_starts", "q")
            start = starts[index]
            end = starts[index + 1] if index + 1 < self._count else records.length
        try:
            record = json.loads(bytes(records.read(start, end)))
            if not _is_record(record):
                raise ValueError("not a record")
            if not _is_id(record.get("id")):
                raise ValueError("not an id")
            if record["date"] is not None:
                datetime.date.fromisoformat(record["date"])
        except (ValueError, KeyError, TypeError, IndexError) as error:
            raise CacheInvalidError(str(error)) from None
        return cast("Record", record)

    def _publication(self, index: int) -> Publication:
        from pubcli.model import Publication

        record = self._record(index)
        try:
            date = record["date"]
            return Publication(
                id=record["id"],
                title=record["title"],
                type=record["type"],
                date=datetime.date.fromisoformat(date) if date else None,
                components=tuple(record["components"]),
                topics=tuple(record["topics"]),
                summary=record["summary"],
                url=record["url"],
            )
        except (ValueError, KeyError, TypeError, IndexError) as error:
            raise CacheInvalidError(str(error)) from None

    @_no_cache_on_failure
    def facet_values(self, facet: str) -> list[str]:
        return [value for value, _ in self._facet_counts()[facet]]

    def _facet_counts(self) -> dict[str, list[Count]]:
        try:
            counts = self._manifest["facet_counts"]
            return {
                facet: [(str(value), int(count)) for value, count in counts[facet]]
                for facet in FACETS
            }
        except (KeyError, TypeError, ValueError) as error:
            raise CacheInvalidError(str(error)) from None

    # for writers (see CacheForWrite)

    @property
    def racy(self) -> bool:
        return bool(self._manifest.get("racy"))

    @property
    def content_crc(self) -> int:
        return int(self._manifest["content_crc"])

    @property
    def append_info(self) -> AppendInfo:
        try:
            appendable, newline, separator = self._manifest["append"]
        except (KeyError, TypeError, ValueError) as error:
            raise CacheInvalidError(str(error)) from None
        return AppendInfo(bool(appendable), str(newline), str(separator))

    def _taken_removed(self) -> Counter[bytes]:
        """The lines of the taken section that removed entries held (``remove`` keeps
        the section and lists these beside it): each once for every entry removed."""
        if "taken_removed" not in self._manifest["sections"]:
            return Counter()
        lines = self._bytes("taken_removed").split(b"\n")
        if lines.pop() != b"" or not all(_TAKEN_LINE.fullmatch(line) for line in lines):
            raise CacheInvalidError("section taken_removed is damaged")
        return Counter(lines)

    def taken_pairs(self) -> list[tuple[bytes, bytes]]:
        """Each line of the taken section as its id and title-and-date key, spelt as
        there (``"id"`` and ``,"title","date"`` or nothing), but those of removed entries."""
        pairs = cast("list[tuple[bytes, bytes]]", _TAKEN_LINE.findall(self._bytes("taken")))
        # (_taken_removed checked that each line is one the pattern matches whole.)
        removed = Counter(
            cast("tuple[bytes, bytes]", _TAKEN_LINE.findall(line)[0])
            for line in self._taken_removed().elements()
        )
        if not removed:
            return pairs
        kept = []
        for pair in pairs:
            if removed[pair]:
                removed[pair] -= 1  # a removed entry's line comes before an equal one added
            else:
                kept.append(pair)
        return kept

    def taken_lines_with(self, needle: bytes) -> Iterator[list[Any]]:
        """The parsed lines of the taken section in which ``needle`` occurs, in order,
        but those of removed entries."""
        removed = self._taken_removed()
        # The section begins with a newline: every line is "\n[...".
        for line in self._mapped("taken").lines_with(needle):
            if removed[line]:
                removed[line] -= 1  # before an equal line added since
                continue
            try:
                item = json.loads(line)
            except ValueError as error:
                raise CacheInvalidError(str(error)) from None
            if not isinstance(item, list) or not item or not isinstance(item[0], str):
                raise CacheInvalidError("section taken is damaged")
            yield item

    def extend(
        self,
        new: Sequence[Publication],
        status: os.stat_result,
        appended: bytes,
        appended_entries: _AppendedEntries | None = None,
        headers: Sequence[int] | None = None,
    ) -> dict[str, Any]:
        """Record ``new`` (just appended to the file, now at ``status``) in the cache, and
        return the new manifest. ``appended_entries`` describes every entry of
        ``appended`` when some may be invalid (a hand edit): else ``new`` is all of it."""
        manifest = dict(self._manifest)
        sections = {name: list(value) for name, value in manifest["sections"].items()}
        if appended_entries is None:
            raw_entries: Sequence[Any] = [p.to_toml_table() for p in new]
            problems: list[list[Any]] = []
            # The file now ends with the new block's newline.
            append = [True, self.append_info.newline, self.append_info.newline]
        else:
            raw_entries, problems, append = appended_entries
        data = {
            **_data_sections(new, sections["records"][0]),
            **_tail_sections(new, sections["tail"][0]),
            "taken": _taken_lines(raw_entries),
        }
        if "tail_indices" in sections:
            data["tail_indices"] = _array_bytes("i", range(self._count, self._count + len(new)))
        blocks = None
        if headers is not None and len(raw_entries) == len(new):
            blocks = self._appended_blocks(appended, headers)
        for name in _BLOCK_SECTIONS:
            # Where each entry's block is: not known unless each appended entry's header
            # is (then it is written anew below).
            sections.pop(name, None)
        # A new generation: every section written is a new file.
        old_generation = manifest["generation"]
        with self._new_generations() as claim:
            generation, order_generation = claim.names
            for name, extra in data.items():
                old = (old_generation, sections[name])
                sections[name] = self._writer.extend_section(name, old, generation, extra)
            for name in sections.keys() - data.keys():
                sections[name] = self._writer.keep_section(
                    name, (old_generation, sections[name]), generation
                )
            if blocks is not None:
                sections.update(self._writer.write_sections(generation, blocks))
            orders = self._writer.write_sections(order_generation, self._extended_orders(new))
            manifest.update(
                generation=generation,
                sections=sections,
                orders=orders,
                order_generation=order_generation,
                count=self._count + len(new),
                facet_counts=_facet_counts(new, self._facet_counts()),
                stamp=list(stamp_of(status)),
                content_crc=zlib.crc32(appended, manifest["content_crc"]),
                racy=True,
                append=append,
                problems=manifest["problems"] + problems,
            )
            if _is_int(manifest.get("newlines")):
                manifest["newlines"] += appended.count(b"\n")
        self._writer.commit(manifest, claim)  # which gives the claim up if it fails
        return manifest

    def _appended_blocks(self, appended: bytes, headers: Sequence[int]) -> dict[str, bytes] | None:
        """The block sections once ``appended`` ends the file, its entries' headers at
        ``headers`` in it; None when the cache does not know each block, or the headers
        are not where they are said to be. The last block left runs to the first new
        header (its CRC-32 continued over the separator), and removed slots at the end,
        empty, move to it."""
        sections = self._manifest["sections"]
        if not (
            set(_BLOCK_SECTIONS) <= sections.keys()
            and _is_int(self._manifest.get("newlines"))
            and headers
        ):
            return None
        newlines = int(self._manifest["newlines"])
        if any(
            not appended.startswith(_BLOCK_HEADER[1:], at)
            or (at and appended[at - 1 : at] != b"\n")
            or (index and at <= headers[index - 1])
            for index, at in enumerate(headers)
        ):
            return None
        starts = self._array("block_starts", "q", None)
        if len(starts) != self._count + 1:
            return None
        old_size, count, total = starts[-1], self._count, self._count + len(headers)
        gone = frozenset(self._removed())
        new_starts = starts[:-1]
        last = count - 1
        while last >= 0 and last in gone:
            new_starts[last] = old_size + headers[0]
            last -= 1
        if last < 0:
            return None
        new_starts.extend(old_size + at for at in headers)
        new_starts.append(old_size + len(appended))
        crcs = array("I", self._array("block_crcs", "I", len(starts)))
        crcs[last + 1] = zlib.crc32(appended[: headers[0]], crcs[last + 1])
        ends = [*headers[1:], len(appended)]
        crcs.extend(zlib.crc32(appended[at:end]) for at, end in zip(headers, ends, strict=True))
        lines = array("i", self._array("publication_lines", "i"))
        lines.extend(newlines + appended.count(b"\n", 0, at) + 1 for at in headers)
        groups = array("I", self._array("block_groups", "I", math.ceil(count / _BLOCK_GROUP)))
        for group in range(last // _BLOCK_GROUP, math.ceil(total / _BLOCK_GROUP)):
            first = group * _BLOCK_GROUP
            low, high = new_starts[first], new_starts[min(first + _BLOCK_GROUP, total)]
            if low >= old_size:
                crc = zlib.crc32(appended[low - old_size : high - old_size])
            else:  # the group of the last block left, which ended the file
                crc = zlib.crc32(appended[: high - old_size], groups[group])
            if group < len(groups):
                groups[group] = crc
            else:
                groups.append(crc)
        return {
            "block_starts": new_starts.tobytes(),
            "block_crcs": crcs.tobytes(),
            "block_groups": groups.tobytes(),
            "publication_lines": lines.tobytes(),
        }

    def _extended_orders(self, new: Sequence[Publication]) -> dict[str, bytes]:
        return self._orders_with({self._count + offset: p for offset, p in enumerate(new)})

    def _orders_with(
        self, placed: dict[int, Publication], moved: bool = False
    ) -> dict[str, bytes]:
        """Each sort order with the entries ``placed`` (index to publication) where their
        keys go: new indices inserted, or (``moved``) indices it holds taken out first.

        The searches of every order and placed entry probe the same few middles first:
        each probed record is read once, and its key made from the record (no
        ``Publication`` built), as ``record_sort_key`` makes it for a query."""
        records: dict[int, Record] = {}

        def record_at(index: int) -> Record:
            record = records.get(index)
            if record is None:
                record = records[index] = self._record(index)
            return record

        orders = {}
        for key in SORT_KEYS:
            of_publication, of_record = sort_key(key), record_sort_key(key)
            keys = {index: of_publication(p) for index, p in placed.items()}
            key_at = _remembered_keys(keys, of_record, record_at)
            permutation = array("i", self._array(f"order-{key}", "i", len(self)))
            if moved:
                for index in placed:
                    permutation.remove(index)
            for index in placed:
                position = bisect.bisect_right(permutation, key_at(index), key=key_at)
                permutation.insert(position, index)
            orders[f"order-{key}"] = permutation.tobytes()
        return orders

    def replace(self, new: Sequence[Publication], first: int, file: _Replaced) -> PendingCache:
        """Make the cache's sections for ``new`` in place of the publications from index
        ``first`` (the same ids and facets: see ``open_edited``) in ``file``: a new
        generation that ``commit`` makes the cache's (or ``discard`` removes).

        Segments: the index keeps the old text, and the new text goes to the tail, whose
        entries override the index's; the new records go to a section of their own.
        The unchanged sections are kept as they are (linked, not copied).
        """
        from pubcli.catalogue.rules import title_date_key

        manifest = dict(self._manifest)
        sections = {name: list(value) for name, value in manifest["sections"].items()}
        indices = range(first, first + len(new))
        edited = dict(manifest.get("edited_records", {}))
        record_parts = [self._bytes("edited_records") if "edited_records" in sections else b""]
        position = len(record_parts[0])
        dates = array("i", self._array("dates", "i"))
        taken, taken_removed = self._mapped("taken"), self._taken_removed()
        taken_changes = []
        olds = [self._publication(index) for index in indices]
        for index, before, after in zip(indices, olds, new, strict=True):
            record = _record_line(after)
            edited[str(index)] = [position, position + len(record)]
            record_parts.append(record)
            position += len(record)
            dates[index] = after.date.toordinal() if after.date else 0
            old_line = ("\n" + _taken_line(before.id, title_date_key(before))).encode("ascii")
            new_line = ("\n" + _taken_line(after.id, title_date_key(after))).encode("ascii")
            if new_line != old_line:
                # Lines of entries removed since are kept, each before an equal one
                # added again (see taken_pairs): the entry's own is the last.
                at = taken.last_place(old_line, taken_removed[old_line[1:-1]] + 1)
                # The line alone, not the newlines around it: those of entries side by
                # side are shared, and the changes to splice must not overlap.
                taken_changes.append((at + 1, at + len(old_line) - 1, new_line[1:-1]))
        tail_indices = array("i", self._tail_indices())
        for slot, index in enumerate(tail_indices):
            if index in indices:
                tail_indices[slot] = -1
        tail_indices.extend(indices)
        data = {
            "edited_records": b"".join(record_parts),
            "dates": dates.tobytes(),
            **_tail_sections(new, sections["tail"][0]),
            "tail_indices": tail_indices.tobytes(),
            **self._replaced_blocks(file),
            "publication_lines": file.publication_lines.tobytes(),
        }
        old_generation = manifest["generation"]
        with self._new_generations() as claim:
            generation, order_generation = claim.names
            for name in ("tail", "tail_starts"):
                old = (old_generation, sections[name])
                sections[name] = self._writer.extend_section(name, old, generation, data.pop(name))
            if taken_changes:
                # The large section is spliced: only what follows the first change is new.
                old = (old_generation, sections["taken"])
                sections["taken"] = self._writer.splice_section(
                    "taken", old, generation, sorted(taken_changes), taken
                )
            sections.update(self._writer.write_sections(generation, data))
            spliced = (
                {"tail", "tail_starts", "taken"} if taken_changes else {"tail", "tail_starts"}
            )
            for name in sections.keys() - data.keys() - spliced:
                sections[name] = self._writer.keep_section(
                    name, (old_generation, sections[name]), generation
                )
            manifest.update(
                generation=generation,
                sections=sections,
                orders=self._writer.write_sections(
                    order_generation, self._replaced_orders(new, first)
                ),
                order_generation=order_generation,
                edited_records=edited,
                newlines=file.newlines,
            )
        if file.append is not None:
            manifest["append"] = file.append
        return PendingCache(manifest, claim)

    @contextlib.contextmanager
    def _new_generations(self) -> Iterator[_Claim]:
        """A claim on a new generation of sections and one of permutations, whose files
        are removed if making them fails: no manifest names them, and they would stay
        until a write of the cache removed every other generation."""
        claim = self._writer.claim()
        try:
            yield claim
        except BaseException:
            self._writer.abandon(claim)
            raise

    def commit(
        self, pending: PendingCache, status: os.stat_result, read_started_ns: int, content_crc: int
    ) -> dict[str, Any]:
        """Make the ``pending`` generation the cache of the file now at ``status`` (read
        from ``read_started_ns``, its CRC-32 ``content_crc``); return the new manifest.
        If it cannot, its files are removed (see ``_new_generations``)."""
        manifest = dict(
            pending.manifest,
            stamp=list(stamp_of(status)),
            content_crc=content_crc,
            racy=is_racy(status, max(read_started_ns, time.time_ns())),
        )
        self._writer.commit(manifest, pending.claim)
        return manifest

    def discard(self, pending: PendingCache) -> None:
        """Remove the files of a ``pending`` generation that will not be the cache's."""
        self._writer.abandon(pending.claim)

    def _replaced_blocks(self, file: _Replaced) -> dict[str, bytes]:
        """The block sections once the changed blocks are in place."""
        unchanged, data = file.unchanged, file.data
        before, after = unchanged.before, unchanged.after
        starts = self._array("block_starts", "q", None)
        new_starts = starts[:before]
        new_starts.extend(unchanged.middle_start + start for start in file.middle_starts)
        new_starts.extend(_shifted(starts[after:], unchanged.shift))
        crcs = self._array("block_crcs", "I", None)[: before + 1]
        with _sliceable(data) as view:
            crcs.extend(
                zlib.crc32(view[start:end])
                for start, end in zip(
                    new_starts[before:after], new_starts[before + 1 : after + 1], strict=True
                )
            )
        crcs.extend(self._array("block_crcs", "I", None)[after + 1 :])
        groups = array("I", self._array("block_groups", "I", None))
        firsts = range(before - before % _BLOCK_GROUP, after, _BLOCK_GROUP)
        _patch_group_crcs(groups, data, new_starts, firsts)
        return {
            "block_starts": new_starts.tobytes(),
            "block_crcs": crcs.tobytes(),
            "block_groups": groups.tobytes(),
        }

    def _replaced_orders(self, new: Sequence[Publication], first: int) -> dict[str, bytes]:
        return self._orders_with({first + offset: p for offset, p in enumerate(new)}, True)

    @_no_cache_on_failure
    def remove(self, removal: Removal, new_file: FileBytes) -> PendingCache:
        """Make the cache's sections once the entries of ``removal`` are cut from the file,
        whose bytes are then ``new_file``: a generation that ``commit`` makes the cache's.

        Deletions, as in Lucene's segments: each removed entry keeps its slot in every
        section (records, dates, facets, the text index: nothing is renumbered), and the
        ``removed`` section lists the slots that every question leaves out. Its id line is
        emptied (for ``block_of``), its taken line listed in ``taken_removed`` (which
        ``add``'s collisions leave out), its slot taken out of each permutation, its block
        left empty, and the facet counts lowered (``stats.count_without``).
        """
        from pubcli.catalogue.rules import title_date_key
        from pubcli.store.stats import count_without

        manifest = dict(self._manifest)
        sections = {name: list(value) for name, value in manifest["sections"].items()}
        slots = removal.slots
        removed = array("i", sorted({*self._removed(), *slots}))
        gone = frozenset(removed)
        publications = [self._publication(slot) for slot in slots]
        ids, taken = self._bytes("ids"), self._mapped("taken")
        taken_removed = self._taken_removed()
        for slot, publication in sorted(zip(slots, publications, strict=True), reverse=True):
            line = publication.id.encode("ascii") + b"\n"
            at = 0 if ids.startswith(line) else ids.find(b"\n" + line) + 1
            if (at == 0 and not ids.startswith(line)) or ids.count(b"\n", 0, at) != slot:
                raise CacheInvalidError("section ids does not match the records")
            ids = ids[:at] + ids[at + len(line) - 1 :]  # the line stays, empty
            # The taken section is kept (it is large): the line goes to taken_removed.
            line = _taken_line(publication.id, title_date_key(publication)).encode("ascii")
            removed_before = taken_removed[line[:-1]]
            if taken.occurrences(b"\n" + line, removed_before + 1) <= removed_before:
                raise CacheInvalidError("section taken does not hold a removed entry")
            taken_removed[line[:-1]] += 1
        orders = {}
        for key in SORT_KEYS:
            permutation = array("i", self._array(f"order-{key}", "i", len(self)))
            for slot in slots:
                permutation.remove(slot)
            orders[f"order-{key}"] = permutation.tobytes()
        earlier = self._facet_counts()
        facet_counts = {
            facet: count_without(
                earlier[facet],
                publications,
                facet,
                functools.partial(self._first_spelling, facet, gone),
            )
            for facet in FACETS
        }
        data = {
            "ids": ids,
            "taken_removed": b"".join(line + b"\n" for line in taken_removed.elements()),
            "removed": removed.tobytes(),
            **self._removed_blocks(removal, new_file, gone),
        }
        old_generation = manifest["generation"]
        with self._new_generations() as claim:
            generation, order_generation = claim.names
            sections.update(self._writer.write_sections(generation, data))
            for name in sections.keys() - data.keys():
                sections[name] = self._writer.keep_section(
                    name, (old_generation, sections[name]), generation
                )
            manifest.update(
                generation=generation,
                sections=sections,
                orders=self._writer.write_sections(order_generation, orders),
                order_generation=order_generation,
                facet_counts=facet_counts,
                newlines=int(manifest["newlines"]) - sum(cut.count(b"\n") for cut in removal.cuts),
            )
            old_size = self._array("block_starts", "q", None)[-1]
            crlf_cut = any(b"\r\n" in cut for cut in removal.cuts)
            if removal.ranges[-1][1] == old_size or crlf_cut:
                # The file's end changed, or a CRLF went (cuts start and end lines: they
                # make none): how a block is joined to it may change too.
                manifest["append"] = _append_of_blocks(
                    new_file, None if crlf_cut else self.append_info.newline
                )
        return PendingCache(manifest, claim)

    def _first_spelling(self, facet: str, gone: frozenset[int], folded: str) -> str:
        """How the first entry left holding the folded value of ``facet`` spells it."""
        field = ("type", "component", "topic").index(facet)
        needle = folded.encode("utf-8", "surrogatepass")
        facets = self._bytes("facets")
        at = facets.find(needle)
        slot, counted = 0, 0
        while at >= 0:
            # The line holding it (found in the bytes: most values are held early on).
            start = facets.rfind(_ENTRY_END, 0, at) + 1
            end = facets.find(_ENTRY_END, at)
            if end < 0:
                raise CacheInvalidError("section facets is damaged")
            slot += facets.count(_ENTRY_END, counted, start)
            counted = start
            line, at = facets[start:end], facets.find(needle, end)
            if slot in gone or slot >= self._count:
                continue
            values = line.split(_FIELD_END)[field]
            if needle in (values.split(_LIST_SEPARATOR) if field else [values]):
                record = self._record(slot)
                spelt = (
                    [record["type"]]
                    if field == 0
                    else record["components"]
                    if field == 1
                    else record["topics"]
                )
                for value in spelt:
                    if fold_facet(value) == folded:
                        return str(value)
        raise CacheInvalidError("no entry left holds a counted value")

    def _removed_blocks(
        self, removal: Removal, data: FileBytes, gone: frozenset[int]
    ) -> dict[str, bytes]:
        """The block sections and line numbers once the cuts of ``removal`` are made: the
        blocks after a cut move back, each removed slot's block is empty (at the next
        header), and the block before it (or the preamble) now runs to that header."""
        starts = self._array("block_starts", "q", None)
        count = self._count
        lines = self._array("publication_lines", "i")
        new_starts, new_lines = array("q"), array("i")
        shift = moved_lines = done = 0
        for (cut_start, cut_end), cut in zip(removal.ranges, removal.cuts, strict=True):
            inside = bisect.bisect_left(starts, cut_start)
            after = bisect.bisect_left(starts, cut_end)
            new_starts.extend(_shifted(starts[done:inside], -shift))
            new_starts.extend([cut_start - shift] * (after - inside))
            new_lines.extend(_shifted(lines[done : min(after, count)], -moved_lines))
            shift += cut_end - cut_start
            moved_lines += cut.count(b"\n")
            done = after
        new_starts.extend(_shifted(starts[done:], -shift))
        new_lines.extend(_shifted(lines[done:count], -moved_lines))
        if new_starts[-1] != len(data) or len(new_lines) != count:
            raise CacheInvalidError("the cuts do not match the file")
        for slot in sorted(gone, reverse=True):
            new_starts[slot] = new_starts[slot + 1]
        for slot in sorted(gone):
            # Never read (see open_edited), but kept in order.
            new_lines[slot] = new_lines[slot - 1] if slot else 0
        crcs = array("I", self._array("block_crcs", "I", len(starts)))
        groups = array("I", self._array("block_groups", "I", None))
        touched: set[int] = set()
        with _sliceable(data) as view:
            for slot in removal.slots:
                before = slot - 1
                while before >= 0 and before in gone:
                    before -= 1
                if before < 0:
                    crcs[0] = zlib.crc32(view[: new_starts[0]])
                for block in range(max(before, 0), slot + 1):
                    crcs[block + 1] = zlib.crc32(view[new_starts[block] : new_starts[block + 1]])
                touched.update(range(max(before, 0) // _BLOCK_GROUP, slot // _BLOCK_GROUP + 1))
        firsts = [group * _BLOCK_GROUP for group in sorted(touched)]
        _patch_group_crcs(groups, data, new_starts, firsts)
        return {
            "block_starts": new_starts.tobytes(),
            "block_crcs": crcs.tobytes(),
            "block_groups": groups.tobytes(),
            "publication_lines": new_lines.tobytes(),
        }

    def settle(self, status: os.stat_result, proved_ns: int) -> None:
        """Mark a racy cache as clean once its file, proved by content at ``proved_ns``,
        is old enough to be trusted by its stamp."""
        if not is_racy(status, proved_ns):
            self._writer.replace_manifest(self._manifest, {**self._manifest, "racy": False})


def _append_of_blocks(data: FileBytes, newline: str | None = None) -> list[Any]:
    """How a block is joined to a file made of blocks (``loader.append_info`` of it, by
    its newline style, found unless given, and its last byte), as the manifest holds it."""
    if newline is None:
        newline = "\r\n" if data.find(b"\r\n") >= 0 else "\n"
    joined = append_info(newline + "x" + "\n" * (data[-1:] == b"\n"), True)
    return [True, joined.newline, joined.separator]


def _append_after_change(
    data: FileBytes, new_blocks: bytes, to_end: bool, newline: str
) -> list[Any] | None:
    """How a block is joined to ``data`` (``_append_of_blocks``), a file whose blocks
    changed to ``new_blocks`` (``to_end``: the last ones), or None if as before (when
    its newline was ``newline``). It follows the file's end, and its newline whether the
    file holds a CRLF anywhere (``loader.append_info``): changed blocks decide that when
    they hold one and the file held none, or hold none and the file's may have been
    theirs (a file of LF lines with one CRLF line, as a contributor's editor leaves)."""
    holds_crlf = b"\r\n" in new_blocks
    if to_end or holds_crlf != (newline == "\r\n"):
        return _append_of_blocks(data, "\r\n" if holds_crlf else None)
    return None


def _remembered_keys(
    keys: dict[int, Any], of_record: Callable[[Record], Any], record_at: Callable[[int], Record]
) -> Callable[[int], Any]:
    """The sort key at an index: from ``keys``, else made from its record and kept there."""

    def key_at(index: int) -> Any:
        value = keys.get(index)
        if value is None:
            value = keys[index] = of_record(record_at(index))
        return value

    return key_at


def _file_crc(path: Path, size: int) -> int:
    """CRC-32 of a file, read through a memory map (no copy of a large catalogue)."""
    try:
        with open(path, "rb") as file:
            return _descriptor_crc(file.fileno(), size)
    except OSError as error:
        raise CacheInvalidError(str(error)) from None


def _descriptor_crc(descriptor: int, size: int) -> int:
    """CRC-32 of the first ``size`` bytes of an open file."""
    from pubcli.store.checksums import InFile

    try:
        return InFile(descriptor, size).crc32(0, size)
    except (OSError, ValueError) as error:
        raise CacheInvalidError(str(error)) from None


def open_cached(
    directory: Path,
    real_path: Path,
    status: os.stat_result,
    display: str,
    *,
    check_racy: bool = True,
) -> CachedStore:
    """The cache of the catalogue at ``real_path`` if it describes the file as it is now.

    With ``check_racy=False`` a racy cache is returned unchecked: the caller must call
    ``confirm_racy`` before relying on it (``add`` does so while it copies the file).
    """
    manifest = _load_manifest(directory, real_path)
    if manifest["stamp"] != list(stamp_of(status)):
        raise CacheInvalidError("the catalogue changed")
    try:
        store = CachedStore(directory, real_path, manifest, display)
    except (ArithmeticError, LookupError, TypeError, ValueError) as error:
        raise CacheInvalidError(str(error)) from None
    if check_racy:
        confirm_racy(store, real_path, status)
    return store


def confirm_racy(store: CachedStore, real_path: Path, status: os.stat_result) -> None:
    """For a racy cache, prove by CRC-32 that the file is the one it describes."""
    if store.racy:
        started = time.time_ns()
        if _file_crc(real_path, status.st_size) != store.content_crc:
            raise CacheInvalidError("the catalogue changed within its mtime")
        store.settle(status, started)


# --- a catalogue appended to by hand ---------------------------------------------------

_READ_PART = 4 << 20


class _AppendedEntries(NamedTuple):
    """Every entry of blocks appended by hand, and what they change in the manifest."""

    raw_entries: list[Any]
    problems: list[list[Any]]
    """As the manifest holds them: ``[line, label, message, skips_entry]``."""
    append: list[Any]
    """How a block is joined to the grown file, as the manifest holds it."""


@_no_cache_on_failure
def open_grown(
    directory: Path, real_path: Path, status: os.stat_result, display: str
) -> CachedStore:
    """The cache of a catalogue that only grew since it was cached (blocks appended by
    hand after the last), brought up to date by parsing the appended blocks alone.

    The file's first bytes must be those the cache describes (by their CRC-32), and the
    rest must parse on its own to nothing but ``[[publications]]`` entries, starting on
    a line of its own: then the whole file parses to the cached entries followed by the
    new ones. The new entries are checked on their own, and must take no id and no
    title and date that the cached entries take (else the file is parsed whole: a
    duplicate's message names where its id was first used).
    """
    manifest = _load_manifest(directory, real_path)
    old_size, newlines = manifest["stamp"][0], manifest.get("newlines", -1)
    if not (0 < old_size < status.st_size and type(newlines) is int and newlines >= 0):
        raise CacheInvalidError("the catalogue did not grow")
    store = CachedStore(directory, real_path, manifest, display)
    if not store.append_info.appendable:
        raise CacheInvalidError("the catalogue's entries are not all blocks")
    appended, ends_line = _appended_bytes(real_path, status, old_size, store.content_crc)
    if not (ends_line or appended.startswith((b"\n", b"\r\n"))):
        raise CacheInvalidError("the appended text continues the last line")
    new, entries = _appended_entries(store, appended, newlines, display)
    # Where each appended block is, for edit and remove to serve them (None unless the
    # appended text is made of blocks alone, one per entry).
    headers = _block_starts(appended, len(entries.raw_entries))
    manifest = store.extend(new, status, appended, entries, headers)
    return CachedStore(directory, real_path, manifest, display)


def _appended_bytes(
    real_path: Path, status: os.stat_result, old_size: int, old_crc: int
) -> tuple[bytes, bool]:
    """The bytes after the first ``old_size`` of the file (as at ``status``), once those
    are proved to be the ones cached; and whether they end a line."""
    with open(_open_regular(real_path, status), "rb") as file:
        crc, remaining, last = 0, old_size, b""
        while remaining:
            part = file.read(min(_READ_PART, remaining))
            if not part:
                raise CacheInvalidError("the catalogue shrank while read")
            crc = zlib.crc32(part, crc)
            remaining -= len(part)
            last = part[-1:]
        if crc != old_crc:
            raise CacheInvalidError("the catalogue changed before its end")
        appended = file.read(status.st_size - old_size + 1)
    if len(appended) != status.st_size - old_size:
        raise CacheInvalidError("the catalogue changed while read")
    return appended, last == b"\n"


def _open_regular(path: Path, status: os.stat_result) -> int:
    """A descriptor of the catalogue, if it is still the regular file at ``status``."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    if stamp_of(os.fstat(descriptor)) != stamp_of(status) or not stat.S_ISREG(status.st_mode):
        os.close(descriptor)
        raise CacheInvalidError("the catalogue changed")
    return descriptor


def _appended_entries(
    store: CachedStore, appended: bytes, newlines: int, display: str
) -> tuple[list[Publication], _AppendedEntries]:
    """The valid publications of ``appended`` and all its entries, checked as the whole
    file would check them; ``newlines`` is how many lines precede it."""
    import tomli

    from pubcli.catalogue.loader import append_info, checked_entries, header_lines
    from pubcli.catalogue.rules import taken_by, title_date_key

    text = appended.decode("utf-8")
    if not text.strip():
        raise CacheInvalidError("only blank lines were appended")
    document = tomli.loads(text)
    entries = document.pop("publications", [])
    if document or type(entries) is not list or not all(type(e) is dict for e in entries):
        raise CacheInvalidError("the appended text is not only entries")
    lines = [newlines + line for line in header_lines(text, len(entries))]
    if len(lines) != len(entries):
        raise CacheInvalidError("an appended entry has no header of its own")
    new, _, problems = checked_entries(entries, lines, display)
    taken: rules.TakenLookup = (
        _CachedTaken(store) if len(entries) <= _FEW_LOOKUPS else _TakenSets(store)
    )
    if any(item and taken.has_id(item[0]) for item in map(taken_by, entries)) or any(
        taken.id_with(title_date_key(p)) is not None for p in new
    ):
        raise CacheInvalidError("an appended entry takes an id or a title of the file")
    # The file's newline style is CRLF if either part has one (the cached part ends
    # with a whole line), and its end is the appended text's, which is not blank: so
    # append_info of the two joined is that of the whole file.
    joined = append_info(store.append_info.newline + text, True)
    return new, _AppendedEntries(
        entries,
        [[p.line, p.label, p.message, p.skips_entry] for p in problems],
        [True, joined.newline, joined.separator],
    )


# --- a catalogue whose blocks were edited by hand --------------------------------------


class _Unchanged(NamedTuple):
    """How the blocks of a file compare with those of its cache: blocks ``[0, before)``
    are where they were, blocks ``[after, n)`` moved by ``shift`` bytes, and the bytes
    ``data[middle_start:middle_end]`` replace the blocks between."""

    before: int
    after: int
    shift: int
    middle_start: int
    middle_end: int


def _unchanged_blocks(
    data: bytes, starts: Sequence[int], crcs: Sequence[int], groups: Sequence[int]
) -> _Unchanged:
    """Which cached blocks are still in ``data``: by CRC-32, group by group, then block by
    block, from the start and from the end (the file is hashed once at most)."""
    count, shift = len(starts) - 1, len(data) - starts[-1]
    view = memoryview(data)
    if starts[0] > len(data) or zlib.crc32(view[: starts[0]]) != crcs[0]:
        raise CacheInvalidError("what precedes the first entry changed")

    def same(first: int, last: int, crc: int, moved: int) -> bool:
        low, high = starts[first] + moved, starts[last] + moved
        return 0 <= low and high <= len(data) and zlib.crc32(view[low:high]) == crc

    before = 0
    while before + _BLOCK_GROUP <= count and same(
        before, before + _BLOCK_GROUP, groups[before // _BLOCK_GROUP], 0
    ):
        before += _BLOCK_GROUP
    while before < count and same(before, before + 1, crcs[before + 1], 0):
        before += 1
    after = count
    floor = starts[before] - shift  # moved blocks start after the unchanged ones end

    def moved_block_same() -> bool:
        return (
            after > before
            and starts[after - 1] >= floor
            and same(after - 1, after, crcs[after], shift)
        )

    while after % _BLOCK_GROUP and moved_block_same():  # up to a whole group
        after -= 1
    while (
        after % _BLOCK_GROUP == 0
        and after - _BLOCK_GROUP >= before
        and starts[after - _BLOCK_GROUP] >= floor
        and same(after - _BLOCK_GROUP, after, groups[after // _BLOCK_GROUP - 1], shift)
    ):
        after -= _BLOCK_GROUP
    while moved_block_same():
        after -= 1
    return _Unchanged(before, after, shift, starts[before], starts[after] + shift)


class _Replaced(NamedTuple):
    """The file whose changed blocks ``CachedStore.replace`` records."""

    data: FileBytes
    """The file's bytes (mapped, or those being written)."""
    unchanged: _Unchanged
    middle_starts: array[int]
    """Where each changed block starts in the changed bytes."""
    publication_lines: array[int]
    newlines: int
    """How many newlines the file holds."""
    append: list[Any] | None
    """How a block is joined to the file (``_append_of_blocks``) when its end changed."""


class PendingCache(NamedTuple):
    """A generation of the cache made for a file not yet trusted by it (``replace``)."""

    manifest: dict[str, Any]
    """The manifest but what proves the file (stamp, CRC-32, racy)."""
    claim: _Claim
    """Its generations' names, claimed until committed or discarded."""


@_no_cache_on_failure
def open_edited(
    directory: Path, real_path: Path, status: os.stat_result, display: str
) -> CachedStore:
    """The cache of a catalogue whose entries were edited by hand in place (a title, a
    date, a summary, a url fixed), brought up to date by parsing the changed blocks alone.

    The cache knows where each block of the file was and its CRC-32; the blocks of the
    file now are compared with those, and the changed ones parsed on their own. Only an
    edit that leaves every entry's id and facets (year included) as they were, every
    entry valid, and no other entry's verdict changed, is taken here: anything else
    (and any problem in the file after the edit, when its lines moved) means the whole
    parse.
    """
    started = time.time_ns()
    manifest = _load_manifest(directory, real_path)
    sections, newlines = manifest["sections"], manifest.get("newlines", -1)
    if not (set(_BLOCK_SECTIONS) <= sections.keys() and type(newlines) is int):
        raise CacheInvalidError("the cache does not know the file's blocks")
    store = CachedStore(directory, real_path, manifest, display)
    data = _catalogue_bytes(real_path, status)
    starts = store._array("block_starts", "q", None)
    crcs = store._array("block_crcs", "I", len(starts))
    groups = store._array("block_groups", "I", math.ceil((len(starts) - 1) / _BLOCK_GROUP))
    unchanged = _unchanged_blocks(data, starts, crcs, groups)
    middle = data[unchanged.middle_start : unchanged.middle_end]
    changed = unchanged.after - unchanged.before
    if middle and not (middle.startswith(_BLOCK_HEADER[1:]) and middle.endswith(b"\n")):
        raise CacheInvalidError("the changed text is not whole blocks")
    middle_starts = _block_starts(middle, changed) if changed else array("q")
    if middle_starts is None:
        raise CacheInvalidError("the changed blocks are not as many as before")
    lines = store._array("publication_lines", "i")
    removed = store._removed()
    count = len(starts) - 1
    if not removed and not manifest["problems"] and len(lines) == count:
        # Each block is a publication's, whose header line the cache knows: no need to
        # count the lines of the whole file.
        first_line, end_line = (
            lines[block] if block < count else newlines + 1
            for block in (unchanged.before, unchanged.after)
        )
        new_newlines = newlines - (end_line - first_line) + middle.count(b"\n")
    else:
        new_newlines = data.count(b"\n")
        first_line = data.count(b"\n", 0, unchanged.middle_start) + 1
    old_after_line = first_line + middle.count(b"\n") - (new_newlines - newlines)
    if removed:
        # Entries are removed only from a file with no problem, and a cache with removed
        # slots keeps none (see CachedStore.remove): each slot has its block, a removed
        # one's empty. The changed blocks must all be of entries left.
        first = unchanged.before
        if manifest["problems"] or bisect.bisect_left(removed, first) != bisect.bisect_left(
            removed, first + changed
        ):
            raise CacheInvalidError("a changed block is not one of an entry left")
    else:
        first = bisect.bisect_left(lines, first_line)
        if bisect.bisect_left(lines, old_after_line) - first != changed:
            raise CacheInvalidError("an edited entry was not valid")
    edited, edited_lines = _edited_publications(store, middle, first_line, first, changed, display)
    lines_moved = new_newlines != newlines or edited_lines != lines[first : first + changed]
    for problem in manifest["problems"]:
        if problem[0] >= first_line and (problem[0] < old_after_line or lines_moved):
            raise CacheInvalidError("a problem of the file may change")
    new_lines = lines[:first]
    new_lines.extend(edited_lines)
    new_lines.extend(_shifted(lines[first + changed :], new_newlines - newlines))
    append = _append_after_change(
        data, middle, unchanged.middle_end >= len(data), store.append_info.newline
    )
    replaced = _Replaced(data, unchanged, middle_starts, new_lines, new_newlines, append)
    pending = store.replace(edited, first, replaced)
    content_crc = _content_crc_after(store, data, unchanged, starts, crcs)
    manifest = store.commit(pending, status, started, content_crc)
    return CachedStore(directory, real_path, manifest, display)


_FEW_BLOCKS = 16
"""Up to this many changed blocks, the file's CRC-32 is worked out from the cache's."""


def _content_crc_after(
    store: CachedStore,
    data: bytes,
    unchanged: _Unchanged,
    starts: Sequence[int],
    crcs: Sequence[int],
) -> int:
    """The CRC-32 of ``data``, the file once the blocks between ``unchanged.before`` and
    ``unchanged.after`` changed: from the cache's CRC-32 of the file and of those blocks
    when they are few (hashing the shorter side of the change), else of it all."""
    from pubcli.store.checksums import crc32_changed, shifted

    if unchanged.after - unchanged.before > _FEW_BLOCKS:
        return zlib.crc32(data)
    middle_crc = 0
    for block in range(unchanged.before, unchanged.after):
        middle_crc = shifted(middle_crc, starts[block + 1] - starts[block]) ^ crcs[block + 1]
    with memoryview(data) as view:
        return crc32_changed(
            view[: unchanged.middle_start],
            view[unchanged.middle_end :],
            middle_crc,
            starts[unchanged.after] - starts[unchanged.before],
            data[unchanged.middle_start : unchanged.middle_end],
            store.content_crc,
        )


def _catalogue_bytes(real_path: Path, status: os.stat_result) -> bytes:
    """The catalogue's bytes, if it is still the regular file at ``status``."""
    with open(_open_regular(real_path, status), "rb") as file:
        data = file.read(status.st_size + 1)
    if len(data) != status.st_size:
        raise CacheInvalidError("the catalogue changed while read")
    return data


def _edited_publications(
    store: CachedStore, middle: bytes, first_line: int, first: int, count: int, display: str
) -> tuple[list[Publication], array[int]]:
    """The publications of the changed blocks, if they replace the ``count`` cached ones
    from index ``first`` with the same ids and facets and change no other verdict."""
    import tomli

    from pubcli.catalogue.loader import checked_entries, header_lines
    from pubcli.catalogue.rules import title_date_key

    text = middle.decode("utf-8")
    document = tomli.loads(text)
    entries = document.pop("publications", [])
    if document or type(entries) is not list or not all(type(e) is dict for e in entries):
        raise CacheInvalidError("the changed text is not only entries")
    lines = [first_line - 1 + line for line in header_lines(text, len(entries))]
    new, _, problems = checked_entries(entries, lines, display)
    if problems or len(new) != count:
        raise CacheInvalidError("an edited entry has a problem")
    old = [store._publication(slot) for slot in range(first, first + count)]
    for before, after in zip(old, new, strict=True):
        if before.id != after.id or any(
            count_by([before], facet) != count_by([after], facet) for facet in FACETS
        ):
            raise CacheInvalidError("an edited entry changed its id or facets")
        # No other entry may share the old or the new title and date: its verdict
        # ("same title and date as ...") would change.
        for key in {title_date_key(before), title_date_key(after)}:
            needle = _taken_line("", key)[3:].encode("ascii")
            holders = [item[0] for item in store.taken_lines_with(needle)]
            if holders not in ([], [before.id]):
                raise CacheInvalidError("an edited entry shares its title and date")
    return new, array("i", lines)


# --- what writers may ask of the cache ------------------------------------------------


class CacheForWrite:
    """The cache of a catalogue, opened by a writer that holds the catalogue's lock.

    Everything a write needs from the cache: what the file's entries take from new
    ones (``taken``), how to join a block to the file (``append_info``), where an
    entry's block is (``block_of``, ``removal``), a proof that the file is the one the
    cache describes (``prove``), and the cache of the new file: ``record_append`` once
    it is in place, or for an edit or a remove, ``prepare_edit`` or ``prepare_remove``
    while it is written, then ``record`` (or ``discard`` if it is not). Any method may
    raise ``CacheInvalidError``: then write without the cache.
    """

    def __init__(self, store: CachedStore, real_path: Path, status: os.stat_result) -> None:
        self._store = store
        self._real_path = real_path
        self._status = status
        self.append_info = store.append_info
        """Whether and how a block is appended to the file (``loader.append_info``)."""
        self.taken = _CachedTaken(store)
        """The ids and titles-and-dates of the file's entries, for ``rules.collisions``."""
        self.newer_schema = store.newer_schema
        """The file's schema_version when newer than this pubcli knows (never written)."""

    def facet_values(self, facet: str) -> list[str]:
        """The store's ``facet_values``: the catalogue's spelling of each value."""
        return self._store.facet_values(facet)

    def prove(self) -> None:
        """Check that the file is the one the cache describes, also when it changed
        within a tick of being cached (by CRC-32: takes a read of the whole file)."""
        confirm_racy(self._store, self._real_path, self._status)

    @property
    def needs_proof(self) -> bool:
        """Whether the file changed too recently to be trusted by its stamp alone."""
        return self._store.racy

    def prove_file(self, descriptor: int, at: int = 0) -> tuple[int, int]:
        """Check that the open file ``descriptor`` (the catalogue, as at ``status``) holds
        what the cache describes, by CRC-32; return the CRC-32s of its bytes before
        ``at`` and from ``at`` on (for ``crc_after``: no second hash)."""
        from pubcli.store.checksums import InFile, shifted

        size = self._status.st_size
        at = min(max(at, 0), size)
        try:
            data = InFile(descriptor, size)
            before, after = data.crc32(0, at), data.crc32(at, size)
        except (OSError, ValueError) as error:
            raise CacheInvalidError(str(error)) from None
        if shifted(before, size - at) ^ after != self._store.content_crc:
            raise CacheInvalidError("the catalogue changed within its mtime")
        # Not settled here: the write records the new file (a new manifest) at once.
        return before, after

    def record_append(
        self,
        new: Sequence[Publication],
        status: os.stat_result,
        appended: bytes,
        headers: Sequence[int] | None = None,
    ) -> None:
        """Record that ``appended`` (the block of ``new``) now ends the file, at ``status``;
        ``headers``, where each entry's ``[[publications]]`` line starts in it, keep the
        cache knowing each entry's block (for ``edit`` and ``remove`` from the cache)."""
        self._store.extend(new, status, appended, headers=headers)

    def block_of(self, id_: str) -> BlockOf:
        """Where the block of the entry ``id_`` is in the file, for an edit of that block
        alone (``check_edit``, ``prepare_edit``). Only when the cache knows each entry's
        block, every entry is valid (a block for each publication) and ``id_`` is on one."""
        store, manifest = self._store, self._store._manifest
        if manifest["problems"] or not set(_BLOCK_SECTIONS) <= manifest["sections"].keys():
            raise CacheInvalidError("the cache does not know each entry's block")
        if type(manifest.get("newlines")) is not int:
            raise CacheInvalidError("the cache does not know the file's lines")
        starts = store._array("block_starts", "q", None)
        if len(starts) != store._count + 1:
            raise CacheInvalidError("the file's blocks are not its publications")
        if not _is_id(id_):
            raise CacheInvalidError("not an id")
        ids, line = store._bytes("ids"), id_.encode("ascii") + b"\n"
        at = 0 if ids.startswith(line) else ids.find(b"\n" + line) + 1
        if at == 0 and not ids.startswith(line):
            raise CacheInvalidError("no entry has this id")
        index = ids.count(b"\n", 0, at)
        publication = store._publication(index)
        if publication.id != id_:
            raise CacheInvalidError("section ids does not match the records")
        crcs = store._array("block_crcs", "I", len(starts))
        return BlockOf(index, starts[index], starts[index + 1], crcs[index + 1], publication)

    @_no_cache_on_failure
    def removal(self, blocks: Sequence[BlockOf], descriptor: int) -> Removal:
        """What to cut from the file (open at ``descriptor``, at the status the cache was
        opened for) to remove the entries of ``blocks`` (``block_of``), as ``remove``
        cuts a file split by ``catalogue.blocks``: from the comment lines directly above
        each one's header to those above the next header, or to the end of the file.

        Refused when no entry would be left, or so many slots would be removed ones that
        a rebuild is due (the cold path compacts the cache), or a comment above a header
        may end a string (``blocks.comment_run_start``), or a block's bytes are not those
        the cache knows (by CRC-32).
        """
        from pubcli.catalogue.blocks import comment_run_start
        from pubcli.store.checksums import InFile

        store = self._store
        starts = store._array("block_starts", "q", None)
        slots = sorted({block.entry for block in blocks})
        if len(slots) >= len(store) or len(store._removed()) + len(slots) > store._count // 2:
            raise CacheInvalidError("a rebuild is due")
        size = self._status.st_size
        if starts[-1] != size:
            raise CacheInvalidError("the blocks do not end at the file's end")
        data = InFile(descriptor, size)  # cut short meanwhile: an error, then no cache
        body = len(_BOM_BYTES) if data[: len(_BOM_BYTES)] == _BOM_BYTES else 0

        def block_start(slot: int) -> int:
            """Where the block whose header is that of ``slot`` starts (its comments)."""
            header, above = starts[slot], slot
            while above and starts[above - 1] == header:  # removed slots: empty blocks
                above -= 1
            region_start = starts[above - 1] if above else body
            text = data[region_start:header].decode("utf-8")
            start = comment_run_start(text, len(text))
            if start is None:
                raise CacheInvalidError("a comment above a header may end a string")
            return region_start + len(text[:start].encode("utf-8"))

        by_slot = {block.entry: block for block in blocks}
        ranges, cuts = [], []
        for slot in slots:
            block = by_slot[slot]
            start = block_start(slot)
            end = size if block.end >= size else block_start(slot + 1)
            if not start <= block.start < end <= block.end:
                raise CacheInvalidError("a block is not where the cache says")
            read_from_start = data[start : block.end]
            if zlib.crc32(read_from_start[block.start - start :]) != block.crc:
                raise CacheInvalidError("a block is not the one cached")
            ranges.append((start, end))
            cuts.append(read_from_start[: end - start])
        return Removal(slots, ranges, cuts, [by_slot[slot].publication for slot in slots])

    @_no_cache_on_failure
    def crc_after(
        self,
        replacements: Sequence[tuple[int, int, bytes]],
        descriptor: int,
        proved: tuple[int, int, int] | None = None,
    ) -> int:
        """The CRC-32 of the file (open at ``descriptor``, as the cache was opened for)
        once each ``(start, end, new)`` of ``replacements`` (in file order) has replaced
        bytes ``start`` to ``end`` with ``new``: of the bytes an edit or a remove writes.
        ``proved``: where ``prove_file`` split the file and the CRC-32s it gave, else the
        file's CRC-32 is split at the first change by hashing the shorter side.
        (Run while the kernel copies them: zlib lets other threads go on.)"""
        from pubcli.store.checksums import InFile, crc32_spliced, split_crcs

        size = self._status.st_size
        if not size or not replacements:
            raise CacheInvalidError("nothing to change")
        data = InFile(descriptor, size)
        if proved is None:
            at = replacements[0][0]
            before, after = split_crcs(data, at, self._store.content_crc)
        else:
            at, before, after = proved
        return crc32_spliced(data, replacements, at, before, after)

    @_no_cache_on_failure
    def prepare_remove(self, removal: Removal, descriptor: int) -> PendingCache:
        """The cache's sections once the ``removal`` cuts are made in the file open at
        ``descriptor`` (as the cache was opened for): made from the old file's bytes while
        the new file is written; ``record`` makes them the cache's once it is in place."""
        size = self._status.st_size
        if not size:
            raise CacheInvalidError("the catalogue is empty")
        from pubcli.store.checksums import InFile

        cuts = [(start, end, b"") for start, end in removal.ranges]
        return self._store.remove(removal, _Spliced(InFile(descriptor, size), cuts))

    def record(self, pending: PendingCache, status: os.stat_result, content_crc: int) -> None:
        """Make what ``prepare_edit`` or ``prepare_remove`` made the cache of the file now
        at ``status``, the new file in place (``content_crc``: the CRC-32 of the bytes
        written, ``crc_after``; as add records what it appended, the next call proves a
        file changed within its tick by it)."""
        self._store.commit(pending, status, time.time_ns(), content_crc)

    def check_edit(self, block: BlockOf, after: Publication, new_block: bytes) -> None:
        """Refuse (``CacheInvalidError``) an edit that ``prepare_edit`` cannot record: one
        that changes the entry's id or facets (year included), or whose new block is not
        one ``[[publications]]`` block alone (the file would not stay made of blocks)."""
        before = block.publication
        if before.id != after.id or any(
            count_by([before], facet) != count_by([after], facet) for facet in FACETS
        ):
            raise CacheInvalidError("the edit changes the entry's id or facets")
        if _block_starts(new_block, 1) != array("q", [0]):
            raise CacheInvalidError("the edited block is not one block alone")
        if block.end < self._status.st_size and not new_block.endswith(b"\n"):
            raise CacheInvalidError("the edited block does not end its line")

    @_no_cache_on_failure
    def prepare_edit(
        self,
        block: BlockOf,
        after: Publication,
        old_block: bytes,
        new_block: bytes,
        descriptor: int,
    ) -> PendingCache:
        """The cache's sections once ``new_block`` (the block of ``after``: see
        ``check_edit``) is in place of the block ``block``, which held ``old_block``, in
        the file open at ``descriptor`` (as the cache was opened for), every other byte as
        it is. Made from the old file's bytes and the new block while the new file is
        written; ``record`` makes them the cache's once it is in place."""
        store = self._store
        size = self._status.st_size
        shift = len(new_block) - len(old_block)
        unchanged = _Unchanged(block.entry, block.entry + 1, shift, block.start, block.end + shift)
        moved_lines = new_block.count(b"\n") - old_block.count(b"\n")
        lines = store._array("publication_lines", "i")
        new_lines = lines[: block.entry + 1]
        new_lines.extend(_shifted(lines[block.entry + 1 :], moved_lines))
        newlines = int(store._manifest["newlines"]) + moved_lines
        from pubcli.store.checksums import InFile

        data = _Spliced(InFile(descriptor, size), [(block.start, block.end, new_block)])
        append = _append_after_change(data, new_block, block.end >= size, self.append_info.newline)
        replaced = _Replaced(data, unchanged, array("q", [0]), new_lines, newlines, append)
        return store.replace([after], block.entry, replaced)

    def discard(self, pending: PendingCache) -> None:
        """Remove what ``prepare_edit`` or ``prepare_remove`` made, for a write that did
        not happen."""
        self._store.discard(pending)


class Removal(NamedTuple):
    """What ``remove`` cuts from the file (``CacheForWrite.removal``)."""

    slots: list[int]
    """The removed entries' slots in the store, in file order."""
    ranges: list[tuple[int, int]]
    """The bytes cut, ``[start, end)`` of the file, one range per slot, in file order."""
    cuts: list[bytes]
    """The bytes of each range."""
    publications: list[Publication]
    """The entry each range holds, as the cache knows it."""


class BlockOf(NamedTuple):
    """An entry's block in the file, as the cache knows it (``CacheForWrite.block_of``)."""

    entry: int
    """The entry's index in the store."""
    start: int
    end: int
    crc: int
    """The CRC-32 of the block's bytes, ``[start, end)`` of the file."""
    publication: Publication


class _CachedTaken:
    """``rules.TakenLookup`` over the cache's taken section, without parsing all of it."""

    def __init__(self, store: CachedStore) -> None:
        self._store = store

    def has_id(self, id_: str) -> bool:
        needle = b"\n" + _taken_line(id_, None)[:-2].encode("ascii")  # "\n[" + id
        return any(item[0] == id_ for item in self._store.taken_lines_with(needle))

    def id_with(self, key: TitleDateKey) -> str | None:
        # Every line with this key ends with what follows '[""' in a line with no id.
        needle = _taken_line("", key)[3:].encode("ascii")
        wanted = [key[0], key[1] and key[1].isoformat()]
        for item in self._store.taken_lines_with(needle):
            if item[1:] == wanted:
                return str(item[0])
        return None


_FEW_LOOKUPS = 8
"""Up to this many entries are looked up in the taken section one by one (a search
through it each); more are looked up in sets made of it in one pass."""


class _TakenSets:
    """Whether an id or title-and-date key is taken (``rules.TakenLookup``, without the
    id of the entry that takes a key): sets of what the taken section holds."""

    def __init__(self, store: CachedStore) -> None:
        pairs = store.taken_pairs()
        self._ids = {id_ for id_, _ in pairs}
        self._keys = {key for _, key in pairs}

    def has_id(self, id_: str) -> bool:
        return _taken_line(id_, None)[1:-2].encode("ascii") in self._ids

    def id_with(self, key: TitleDateKey) -> str | None:
        return "" if _taken_line("", key)[3:-2].encode("ascii") in self._keys else None


def open_for_write(
    directory: Path, real_path: Path, status: os.stat_result, display: str
) -> CacheForWrite:
    """The cache of the catalogue at ``real_path`` (now at ``status``), for a writer.

    A racy cache is not yet proved: call ``prove`` before the new file replaces the old
    (``add`` does it while the kernel copies the file). A cache that the file outgrew by
    hand (blocks appended, or edited in place) is first patched as a query patches it:
    the write then costs what the hand changed, not a whole parse and a rebuild.
    """
    try:
        store = open_cached(directory, real_path, status, display, check_racy=False)
    except CacheInvalidError:
        store = open_changed(directory, real_path, status, display)
    return CacheForWrite(store, real_path, status)


def open_changed(
    directory: Path, real_path: Path, status: os.stat_result, display: str
) -> CachedStore:
    """The cache of a catalogue changed by hand since it was cached, patched for what
    changed (``open_grown``, ``open_edited``); ``CacheInvalidError`` if neither can."""
    for patched in (open_grown, open_edited):
        try:
            return patched(directory, real_path, status, display)
        except CacheInvalidError:
            pass
    raise CacheInvalidError("the catalogue changed otherwise than blocks appended or edited")


# --- looking after the cache (pubcli cache info|clear) --------------------------------

_MANIFEST_NAME = re.compile(r"([0-9a-f]{17,24})\.json")
_SECTION_NAME = re.compile(r"([0-9a-f]{17,24})\.[0-9a-f]{16}\.[a-z_-]+")
_TEMPORARY_NAME = re.compile(r"\.([0-9a-f]{17,24})\.[0-9a-f]{16}\.tmp")
_DIRECTORY_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW


class CachedCatalogue(NamedTuple):
    """The cache of one catalogue, as ``pubcli cache info`` shows it."""

    key: str
    """The name its files start with (from the catalogue's real path)."""
    catalogue: str | None
    """The catalogue's real path, as its manifest names it; None if no manifest says."""
    size: int
    """Bytes on disk of its files (a file kept by two generations counts once)."""
    exists: bool
    """The catalogue is still a file there."""
    files: tuple[str, ...]
    """The names of its files in the cache directory."""


def catalogue_key(path: Path) -> str:
    """The key of the catalogue at ``path`` (its real path, as ``open_store`` takes it)."""
    return _key(Path(os.path.realpath(path)))


@contextlib.contextmanager
def _opened_directory(directory: Path) -> Iterator[int | None]:
    """A descriptor of the cache directory if it is a private directory (not a symlink),
    else None: its files are then none of pubcli's to list or remove."""
    try:
        descriptor = os.open(directory, _DIRECTORY_FLAGS)
    except (OSError, ValueError):
        yield None
        return
    try:
        status = os.fstat(descriptor)
        yield descriptor if stat.S_ISDIR(status.st_mode) and _private(status) else None
    finally:
        os.close(descriptor)


def _manifest_catalogue(directory: int, name: str) -> str | None:
    """The catalogue a manifest names, read as any cache file is (private, no symlink)."""
    try:
        descriptor = os.open(name, os.O_RDONLY | os.O_NONBLOCK | _NOFOLLOW, dir_fd=directory)
    except OSError:
        return None
    with open(descriptor, "rb") as file:
        status = os.fstat(file.fileno())
        if not (stat.S_ISREG(status.st_mode) and _private(status)):
            return None
        try:
            manifest = json.loads(file.read(_MAX_MANIFEST))
        except (OSError, ValueError, RecursionError):
            return None
    catalogue = manifest.get("catalogue") if isinstance(manifest, dict) else None
    return catalogue if isinstance(catalogue, str) else None


def _cached_in(directory: int) -> list[CachedCatalogue]:
    files: dict[str, list[str]] = {}
    for name in sorted(os.listdir(directory)):
        for pattern in (_MANIFEST_NAME, _SECTION_NAME, _TEMPORARY_NAME):
            match = pattern.fullmatch(name)
            if match:
                files.setdefault(match[1], []).append(name)
                break
    found = []
    for key, names in files.items():
        catalogue = None
        if f"{key}.json" in names:
            catalogue = _manifest_catalogue(directory, f"{key}.json")
        if catalogue is not None and _key(Path(catalogue)) != key:
            catalogue = None  # a manifest under another key's name is not believed
        seen, size = set(), 0
        for name in names:
            with contextlib.suppress(OSError):
                status = os.stat(name, dir_fd=directory, follow_symlinks=False)
                if stat.S_ISREG(status.st_mode) and status.st_ino not in seen:
                    seen.add(status.st_ino)
                    size += status.st_blocks * 512 if hasattr(status, "st_blocks") else 0
        exists = catalogue is not None and os.path.isfile(catalogue)
        found.append(CachedCatalogue(key, catalogue, size, exists, tuple(names)))
    return found


def refused_directory(directory: Path) -> bool:
    """Whether something is at ``directory`` that pubcli does not use as its cache (a
    symlink, a file, another user's directory or one that others may write)."""
    return os.path.lexists(directory) and not _usable_directory(directory)


def cached_catalogues(directory: Path) -> list[CachedCatalogue]:
    """Every catalogue that has files in the cache ``directory`` (none if the directory
    is missing or not private), in the order of their keys."""
    with _opened_directory(directory) as opened:
        return [] if opened is None else _cached_in(opened)


def clear_cache(
    directory: Path, catalogue: Path | None = None, *, gone_only: bool = False
) -> list[CachedCatalogue]:
    """Remove the cache of ``catalogue``, else every cache (with ``gone_only``, those of
    catalogues that no longer exist); return what was removed.

    Only files named as the cache names its own are removed, by name within the directory
    opened without following a symlink: a symlink is removed itself, never what it points
    to, and nothing outside the directory is touched. A reader that had a cache open
    keeps its open files; its next run finds no cache and reads the file.
    """
    with _opened_directory(directory) as opened:
        if opened is None:
            return []
        wanted = catalogue_key(catalogue) if catalogue is not None else None
        removed = []
        for cached in _cached_in(opened):
            if (wanted is not None and cached.key != wanted) or (gone_only and cached.exists):
                continue
            # The manifest first: once it is gone no reader believes the sections.
            for name in sorted(cached.files, key=lambda name: not name.endswith(".json")):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(name, dir_fd=opened)
            removed.append(cached)
        return removed
