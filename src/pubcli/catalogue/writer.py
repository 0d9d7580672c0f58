"""Append new entries to the catalogue without losing a byte of it (SPEC section 3, add).

The write is: take the lock, read, render the new block, check the whole result, then
replace the file atomically. Nothing here prints; every failure is a ``PubcliError``.
This module knows nothing of the cache: ``store.updates`` drives a write that uses it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import tomli_w

from pubcli.catalogue.loader import (
    append_info,
    appendable,
    decode,
    entries_of,
    open_regular,
    parse_toml,
    require_regular_file,
    stamp_of,
)
from pubcli.catalogue.loader import read_bytes as read_catalogue_bytes
from pubcli.catalogue.rules import (
    Taken,
    collisions,
    newer_schema,
    refuse_newer_schema,
    validate_entry,
)
from pubcli.errors import CatalogueError, InvalidInputError
from pubcli.model import Publication
from pubcli.safe_text import one_line

LOCK_SUFFIX = ".lock"
TEMP_MARKER = ".tmp-"
LOCK_TIMEOUT_ENV = "PUBCLI_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class Target:
    """Where a write lands: the real file behind any symlink, and how to name it."""

    real_path: Path
    display: str

    @property
    def lock_path(self) -> Path:
        return self.real_path.with_name(self.real_path.name + LOCK_SUFFIX)

    @property
    def temp_prefix(self) -> str:
        return f".{self.real_path.name}{TEMP_MARKER}"


def target_of(path: Path, display: str) -> Target:
    """Follow symlinks: the file they point to is the one rewritten."""
    return Target(Path(os.path.realpath(path)), display)


# Arrays are written as taplo's formatter (at its defaults) writes them, so that a file
# that passes `taplo fmt --check` still does after an add: on one line when the line fits
# in taplo's column width, else one item a line, indented, with a trailing comma.
ARRAY_COLUMN_WIDTH = 80
"""taplo's default ``column_width``: longer one-line arrays are expanded."""
ARRAY_INDENT = "  "
"""taplo's default ``indent_string``."""


def render_block(publications: Sequence[Publication], newline: str = "\n") -> str:
    """The TOML text appended for ``publications``: one ``[[publications]]`` block each.

    Each table is rendered on its own under its own header line: tomli-w would render a
    whole array of tables inline, which appended after a table would nest inside it.
    """
    blocks = ["[[publications]]\n" + render_table(p.to_toml_table()) for p in publications]
    return "\n".join(blocks).replace("\n", newline)


def render_table(table: dict[str, Any]) -> str:
    """``key = value`` lines, every value rendered by tomli-w; short arrays on one line
    (also what ``edit`` writes for a changed value)."""
    lines = []
    for key, value in table.items():
        if isinstance(value, list):
            # Each item as tomli-w renders it ("k = " and the newline cut off).
            items = [tomli_w.dumps({"k": item})[4:-1] for item in value]
            line = f"{key} = [{', '.join(items)}]\n"
            if len(line) - 1 > ARRAY_COLUMN_WIDTH:
                line = f"{key} = [\n" + "".join(f"{ARRAY_INDENT}{i},\n" for i in items) + "]\n"
            lines.append(line)
        else:
            # taplo, the formatter editors run, misreads a multi-line string that ends
            # with an escaped backslash (\\"""): such a value goes on one line.
            multiline = not (isinstance(value, str) and value.endswith("\\"))
            lines.append(tomli_w.dumps({key: value}, multiline_strings=multiline))
    return "".join(lines)


def _lock_timeout() -> float:
    try:
        return max(0.0, float(os.environ.get(LOCK_TIMEOUT_ENV, DEFAULT_LOCK_TIMEOUT)))
    except ValueError:
        return DEFAULT_LOCK_TIMEOUT


@contextlib.contextmanager
def locked(target: Target, timeout: float | None = None) -> Iterator[None]:
    """Hold the exclusive lock on the catalogue's lock file, and remove the file after use.

    ``flock`` belongs to the open file, so the kernel drops it when a writer dies: a
    killed process never leaves a lock behind (its file is removed by the next writer).
    The holder removes the file while it still holds the lock. A writer that opened the
    file before that may then lock a file no longer at the path, while a third writer
    creates and locks a new one: so a lock counts only once the locked file is proved to
    be the one at the path (same device and inode); otherwise it is dropped and the file
    at the path opened and locked again. The path names a given file only until its
    holder removes it, which is why no two writers can both pass that proof.
    """
    wait = _lock_timeout() if timeout is None else timeout
    deadline = time.monotonic() + wait
    while True:
        descriptor = _open_lock_file(target)
        try:
            _flock_until(descriptor, deadline, target, wait)
            if _is_at_path(descriptor, target.lock_path):
                break
        except BaseException:
            os.close(descriptor)
            raise
        os.close(descriptor)  # locked a file its holder had removed: try the one at the path
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(target.lock_path)  # still held: no one else can be using this file
        os.close(descriptor)


def _open_lock_file(target: Target) -> int:
    # Not followed: a link planted at the lock path would have pubcli create a file
    # wherever it points, and then remove the link but leave that file.
    flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW
    try:
        return os.open(target.lock_path, flags, 0o644)
    except OSError as error:
        reason = "is a symbolic link" if error.errno == errno.ELOOP else error.strerror
        raise CatalogueError(
            f"cannot lock {one_line(target.display)}: {one_line(str(target.lock_path))}: {reason}"
        ) from None


def _flock_until(descriptor: int, deadline: float, target: Target, wait: float) -> None:
    """Take the exclusive ``flock`` on ``descriptor``, polling until ``deadline``."""
    delay = 0.005
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.EACCES):
                raise CatalogueError(
                    f"cannot lock {one_line(target.display)}: {error.strerror}"
                ) from None
            if time.monotonic() >= deadline:
                raise CatalogueError(
                    f"cannot lock {one_line(target.display)}: another pubcli is writing it "
                    f"(waited {wait:g} s; see {LOCK_TIMEOUT_ENV})"
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 0.1)


def _is_at_path(descriptor: int, path: Path) -> bool:
    """Whether the open file ``descriptor`` is the file now at ``path``."""
    try:
        at_path = os.lstat(path)  # a link put there since the open is not the file locked
    except FileNotFoundError:
        return False
    except OSError as error:
        raise CatalogueError(f"cannot lock {one_line(str(path))}: {error.strerror}") from None
    opened = os.fstat(descriptor)
    return (opened.st_dev, opened.st_ino) == (at_path.st_dev, at_path.st_ino)


def remove_stale_temp_files(target: Target) -> None:
    """Delete temporary files that a killed writer left (only called under the lock)."""
    directory = target.real_path.parent
    with contextlib.suppress(OSError), os.scandir(directory) as entries:
        for entry in entries:
            if entry.name.startswith(target.temp_prefix):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


@contextlib.contextmanager
def writing(path: Path, display: str) -> Iterator[Target]:
    """Hold the catalogue's lock for one write, the temporary files of killed writers
    removed; on the way out, wait for old files being freed in the background."""
    target = target_of(path, display)
    require_regular_file(target.real_path, display)  # before the lock file is created
    try:
        with locked(target):
            remove_stale_temp_files(target)
            yield target
    finally:
        _REAPER.wait()


@dataclass(frozen=True, slots=True)
class Plan:
    """What an add would write: the old bytes, their entries, and the text to append."""

    old: bytes
    existing: list[Any]
    appended: str


def parse_for_write(data: bytes, display: str) -> tuple[str, dict[str, Any], list[Any]]:
    """The text, document and raw entries of a catalogue about to be written: what every
    writer parses through, so that every one refuses what no writer may write (a file of
    a newer schema_version, a ``publications`` that is not an array of tables; exit 3)."""
    text = decode(data, display)
    document = parse_toml(text, display)
    refuse_newer_schema(newer_schema(document.get("schema_version")), display)
    return text, document, entries_of(document, display)


def plan_append(data: bytes, display: str, new: Sequence[Publication]) -> Plan:
    """Check the current file and the new entries; return the bytes to write.

    Refuses (exit 3) a file whose ``publications`` is not an array of ``[[publications]]``
    tables, and (exit 2) new entries that collide with entries already there.
    """
    text, _, existing = parse_for_write(data, display)
    return plan_parsed(data, text, existing, display, new)


def plan_parsed(
    data: bytes, text: str, existing: list[Any], display: str, new: Sequence[Publication]
) -> Plan:
    """``plan_append`` of a file already parsed (``parse_for_write``)."""
    if not appendable(text, existing):
        raise CatalogueError(
            f"{one_line(display)}: 'publications' is not written as [[publications]] tables; "
            "add will not rewrite it"
        )
    problems = collisions(new, Taken(existing))
    if problems:
        raise InvalidInputError(problems)
    info = append_info(text, appendable=True)
    return Plan(data, existing, info.separator + render_block(new, info.newline))


def verify(plan: Plan, display: str, new: Sequence[Publication]) -> tuple[bytes, dict[str, Any]]:
    """Parse the would-be file and prove it: old entries unchanged, the new ones last.

    Returns the new file's bytes and its parsed document.
    """
    result = plan.old + plan.appended.encode("utf-8")
    document = parse_toml(decode(result, display), display)
    after = entries_of(document, display)
    before = plan.existing
    _check_read_back(after[len(before) :], new, display, unchanged=after[: len(before)] == before)
    return result, document


class _Reaper:
    """Unlinks files (and closes descriptors) in a background thread; ``wait`` before
    the process ends.

    A file left behind by a killed process carries the temporary prefix, so the next
    write removes it (``remove_stale_temp_files``).
    """

    def __init__(self) -> None:
        self._threads: list[threading.Thread] = []

    def remove(self, name: str) -> None:
        thread = threading.Thread(target=_unlink_quietly, args=(name,))
        thread.start()
        self._threads.append(thread)

    def close(self, descriptor: int) -> None:
        thread = threading.Thread(target=os.close, args=(descriptor,))
        thread.start()
        self._threads.append(thread)

    def wait(self) -> None:
        while self._threads:
            self._threads.pop().join()


_REAPER = _Reaper()


def _unlink_quietly(name: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(name)


class ChangedMeanwhile(Exception):
    """The catalogue is not in the state the write expected: nothing was written."""


@dataclass(frozen=True, slots=True)
class Written:
    """A write that happened: the new file is in place."""

    status: os.stat_result | None
    """The new file's status (None if it could not be read after the rename)."""
    warnings: tuple[str, ...] = ()
    """What went wrong after the rename (the write stands): for the user, as warnings."""


def replace_atomically(
    target: Target,
    fill: Callable[[BinaryIO], object],
    expected: os.stat_result | None = None,
    before_rename: Callable[[], None] | None = None,
) -> Written:
    """Write a temporary file beside the target with ``fill``, then rename it over it.

    The temporary file gets the catalogue's permission bits (and owner, where allowed),
    is flushed and fsynced before the rename, and the directory is fsynced after it.
    With ``expected``, the file is proved to be in that state (``loader.stamp_of``) once
    more just before the rename, the temporary file already synced: otherwise
    ``ChangedMeanwhile`` and nothing is written. Once the rename is done the write has
    happened: a failure after it (syncing the directory) is a warning on the result.
    """
    path = target.real_path
    directory = path.parent
    temp_name = None
    try:
        status = os.stat(path)
        if expected is not None and stamp_of(status) != stamp_of(expected):
            raise ChangedMeanwhile
        descriptor, temp_name = tempfile.mkstemp(prefix=target.temp_prefix, dir=directory)
        with os.fdopen(descriptor, "wb") as temp:
            fill(temp)
            temp.flush()
            os.fchmod(temp.fileno(), stat.S_IMODE(status.st_mode))
            with contextlib.suppress(OSError):  # only root may give a file away
                os.fchown(temp.fileno(), status.st_uid, status.st_gid)
            os.fsync(temp.fileno())
        if before_rename is not None:
            before_rename()
        # Freeing a large file's blocks makes the rename slow: keep the old file under a
        # temporary name, rename over it, and free it in the background (see _Reaper).
        old_name = f"{temp_name}.old"
        # The last check: a change made since the read (by a writer that skips the lock)
        # starts the write again instead of being lost. Only a change made between this
        # stat and the rename, a few microseconds, can still be lost.
        if expected is not None and stamp_of(os.stat(path)) != stamp_of(expected):
            raise ChangedMeanwhile
        try:
            os.link(path, old_name)
        except OSError:
            old_name = ""
        try:
            os.replace(temp_name, path)
        except OSError:
            if old_name:
                _unlink_quietly(old_name)
            raise
        temp_name = None
    except OSError as error:
        raise CatalogueError(
            f"cannot write {one_line(target.display)}: {error.strerror or error}"
        ) from None
    finally:
        if temp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp_name)
    if old_name:
        _REAPER.remove(old_name)
    return _after_rename(target)


def _after_rename(target: Target) -> Written:
    """Sync the directory and stat the new file: failures are warnings, the write stands."""
    warnings = []
    try:
        _fsync_directory(target.real_path.parent)
    except OSError as error:
        warnings.append(
            f"{one_line(target.display)} was written, but its directory could not be synced "
            f"({error.strerror or error}): a crash now may lose the change"
        )
    try:
        status: os.stat_result | None = os.stat(target.real_path)
    except OSError:
        status = None
    return Written(status, tuple(warnings))


def _copy_then_append(
    original: BinaryIO, expected: os.stat_result, appended: bytes
) -> Callable[[BinaryIO], None]:
    """A ``fill`` that copies the open catalogue in the kernel and adds ``appended``."""

    def fill(temp: BinaryIO) -> None:
        if stamp_of(os.fstat(original.fileno())) != stamp_of(expected):
            raise ChangedMeanwhile
        _copy_range(original, temp, 0, expected.st_size)
        temp.write(appended)
        if stamp_of(os.fstat(original.fileno())) != stamp_of(expected):
            raise ChangedMeanwhile

    return fill


def _copy_range(original: BinaryIO, temp: BinaryIO, start: int, end: int) -> None:
    """Copy ``original[start:end]`` to the end of ``temp``; ``temp`` is left positioned at
    its new end."""
    offset = temp.seek(0, os.SEEK_END)
    _copy_at(original.fileno(), temp.fileno(), start, offset, end - start)
    temp.seek(offset + end - start)


def _copy_at(source: int, temp: int, start: int, at: int, count: int) -> None:
    """Copy ``count`` bytes of ``source`` from ``start`` to ``temp`` at ``at``, in the
    kernel where it can (file positions are neither used nor moved)."""
    copied = 0
    try:
        while copied < count:
            done = os.copy_file_range(source, temp, count - copied, start + copied, at + copied)
            if done == 0:
                raise ChangedMeanwhile  # the file is shorter than it was
            copied += done
    except OSError as error:
        if error.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
            raise
        while copied < count:
            part = os.pread(source, min(count - copied, 1 << 20), start + copied)
            if not part:
                raise ChangedMeanwhile from None
            _write_at(temp, part, at + copied)
            copied += len(part)


def _write_at(temp: int, data: bytes, at: int) -> None:
    written = 0
    with memoryview(data) as view:
        while written < len(data):
            written += os.pwrite(temp, view[written:], at + written)


class _CopyInThread:
    """``_copy_at`` in a thread (the kernel copies while Python works on), then the copy
    sent to the disk while the rest is written (the fsync before the rename has only
    the rest to write). ``error``, once ``copied`` or joined, is what it raised.
    Made, then started inside the ``try`` that cancels and joins it on any failure: a
    Ctrl-C between the two leaves no thread writing to a descriptor closed under it."""

    def __init__(self, source: int, temp: int, count: int) -> None:
        self.error: BaseException | None = None
        self._copied = threading.Event()
        self._wanted = True
        self._thread = threading.Thread(target=self._run, args=(source, temp, count))

    def start(self) -> None:
        self._thread.start()

    def _run(self, source: int, temp: int, count: int) -> None:
        try:
            if count:
                _copy_at(source, temp, 0, 0, count)
                self._copied.set()
                if self._wanted:
                    os.fdatasync(temp)
        except BaseException as error:  # raised in the writing thread, if it writes
            self.error = error
        finally:
            self._copied.set()

    def copied(self) -> None:
        """Wait until the bytes are copied (not yet on the disk)."""
        self._copied.wait()

    def join(self) -> None:
        if self._thread.ident is not None:  # started
            self._thread.join()

    def cancel(self) -> None:
        """The copy will not be written: send nothing more to the disk, and wait."""
        self._wanted = False
        self.join()


Ranges = Sequence[tuple[int, int, bytes]]
"""Ranges ``(start, end, replacement)`` of a file, in file order, apart from each other:
its bytes ``[start, end)`` to be replaced by ``replacement`` (empty to cut them)."""


def _copy_ranges(source: int, temp: int, size: int, ranges: Ranges, early: int) -> None:
    """Write the file (``size`` bytes, ``source``) into ``temp`` with ``ranges`` replaced,
    given that ``temp`` holds its first ``early`` bytes already."""
    # Bytes from ``read`` on in the file go to ``at`` in the copy; while these are equal,
    # the copy holds the file's bytes up to ``early`` already.
    read = at = 0
    for start, end, replacement in [*ranges, (size, size, b"")]:
        if not read <= start <= end <= size:
            raise ChangedMeanwhile  # not ranges of this file: write nothing
        held = max(0, min(start, early) - read) if read == at else 0
        _copy_at(source, temp, read + held, at + held, start - read - held)
        at += start - read
        _write_at(temp, replacement, at)
        at += len(replacement)
        read = end
    os.ftruncate(temp, at)  # copied early past a range that shortened the file


class Declined(Exception):
    """``replace_ranges_copy``'s ``planned`` found nothing to write: nothing was."""


def replace_ranges_copy(
    target: Target,
    source: BinaryIO,
    expected: os.stat_result,
    planned: Callable[[], Ranges | None],
    before_rename: Callable[[], None] | None = None,
    unchanged_before: int = 0,
) -> Written | None:
    """Replace the file by a copy of ``source`` (the file, open; copied in the kernel) in
    which the ranges ``planned`` returns are replaced: every other byte is copied.

    ``planned`` is called once the kernel has begun to copy the first
    ``unchanged_before`` bytes (a thread copies them into the temporary file), so that
    working out the change costs no time of its own; it may return None to write
    nothing (then ``Declined`` is raised, and no error of that copy). Bytes copied early
    that a range changes after all are written over.

    Returns the write, or None if the file is not as ``expected`` (or ``before_rename``
    raised ``ChangedMeanwhile``): then nothing was written.
    """

    def fill(temp: BinaryIO) -> None:
        if stamp_of(os.fstat(source.fileno())) != stamp_of(expected):
            raise ChangedMeanwhile
        size = expected.st_size
        early = min(max(unchanged_before, 0), size)
        copying = _CopyInThread(source.fileno(), temp.fileno(), early)
        try:
            copying.start()
            ranges = planned()
            if ranges is None:
                raise Declined
            copying.copied()
            if copying.error is not None:
                raise copying.error
            _copy_ranges(source.fileno(), temp.fileno(), size, ranges, early)
        except BaseException:
            copying.cancel()  # nothing of it will be written
            raise
        copying.join()
        if copying.error is not None:
            raise copying.error
        if stamp_of(os.fstat(source.fileno())) != stamp_of(expected):
            raise ChangedMeanwhile

    try:
        return replace_atomically(target, fill, expected=expected, before_rename=before_rename)
    except ChangedMeanwhile:
        return None


@contextlib.contextmanager
def open_source(target: Target) -> Iterator[BinaryIO]:
    """The catalogue, open for reading: what an append copies (a regular file only).

    Once the file is replaced, this may be the last reference to the old one: closing it
    frees a large file's blocks, which takes time, so the last reference is dropped in the
    background, as ``replace_atomically`` frees the old file (see ``_Reaper``)."""
    with open_regular(target.real_path, target.display) as source:
        try:
            yield source
        finally:
            kept = os.dup(source.fileno())
    _REAPER.close(kept)


def append_copy(
    target: Target,
    source: BinaryIO,
    expected: os.stat_result,
    appended: bytes,
    before_rename: Callable[[], None] | None = None,
) -> Written | None:
    """Replace the file by a copy of ``source`` (the file, open; copied in the kernel) with
    ``appended`` after it.

    Returns the write, or None if the file is not as ``expected`` (or ``before_rename``
    raised ``ChangedMeanwhile``): then nothing was written.
    """
    try:
        return replace_atomically(
            target,
            _copy_then_append(source, expected, appended),
            expected=expected,
            before_rename=before_rename,
        )
    except ChangedMeanwhile:
        return None


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def read_bytes(target: Target) -> bytes:
    """The catalogue's current bytes, or a catalogue error naming it."""
    return read_catalogue_bytes(target.real_path, target.display)


def read_state(target: Target) -> tuple[bytes, os.stat_result]:
    """The catalogue's bytes and the status they were read at, for ``write_content``.

    Raises ``ChangedMeanwhile`` if the file changed while it was being read.
    """
    with open_regular(target.real_path, target.display) as file:
        status = os.fstat(file.fileno())
        try:
            data = file.read()
        except OSError as error:
            raise CatalogueError(
                f"cannot read catalogue {one_line(target.display)}: {error.strerror or error}"
            ) from None
        if stamp_of(os.fstat(file.fileno())) != stamp_of(status) or len(data) != status.st_size:
            raise ChangedMeanwhile
    return data, status


def write_content(target: Target, expected: os.stat_result, content: bytes) -> Written | None:
    """Replace the file, still as ``expected`` (see ``read_state``), by ``content``.

    Returns the write, or None if the file changed since: then nothing was written.
    """
    try:
        return replace_atomically(target, lambda temp: temp.write(content), expected=expected)
    except ChangedMeanwhile:
        return None


def check_block(appended: bytes, display: str, new: Sequence[Publication]) -> None:
    """Parse the appended text on its own: it must hold exactly the new entries.

    Appended after a catalogue whose entries all have ``[[publications]]`` headers (which
    the cache records), a block that starts with such a header extends the array by its
    own tables and by nothing else.
    """
    tables = entries_of(parse_toml(decode(appended, display), display), display)
    _check_read_back(tables, new, display)


def _check_read_back(
    tables: Sequence[Any], new: Sequence[Publication], display: str, *, unchanged: bool = True
) -> None:
    """Refuse the write unless the added tables are the new entries, and the rest unchanged."""
    if not unchanged or [validate_entry(raw)[0] for raw in tables] != list(new):
        raise CatalogueError(
            f"{one_line(display)}: the appended entries would not read back as written; "
            "nothing was changed"
        )
