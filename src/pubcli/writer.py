"""Append new entries to the catalogue without losing a byte of it (SPEC section 3, add).

The write is: take the lock, read, render the new block, check the whole result, then
replace the file atomically. Nothing here prints; every failure is a ``PubcliError``.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import fcntl
import os
import stat
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from pubcli.catalogue import appendable, decode, entries_of, parse_toml
from pubcli.errors import CatalogueError, InvalidInputError
from pubcli.model import Publication
from pubcli.safe_text import one_line
from pubcli.validation import (
    TitleDateKey,
    raw_title_date_key,
    title_date_key,
    validate_entry,
)

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


def render_block(publications: Sequence[Publication], newline: str = "\n") -> str:
    """The TOML text appended for ``publications``: one ``[[publications]]`` block each.

    Each table is rendered on its own under its own header line: tomli-w would render a
    whole array of tables inline, which appended after a table would nest inside it.
    """
    blocks = [
        "[[publications]]\n" + tomli_w.dumps(p.to_toml_table(), multiline_strings=True)
        for p in publications
    ]
    return "\n".join(blocks).replace("\n", newline)


def _lock_timeout() -> float:
    try:
        return max(0.0, float(os.environ.get(LOCK_TIMEOUT_ENV, DEFAULT_LOCK_TIMEOUT)))
    except ValueError:
        return DEFAULT_LOCK_TIMEOUT


@contextlib.contextmanager
def locked(target: Target, timeout: float | None = None) -> Iterator[None]:
    """Hold the exclusive lock on the catalogue's lock file.

    ``flock`` belongs to the open file, so the kernel drops it when a writer dies: a
    killed process never leaves a lock behind.
    """
    wait = _lock_timeout() if timeout is None else timeout
    try:
        descriptor = os.open(target.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as error:
        raise CatalogueError(
            f"cannot lock {one_line(target.display)}: {one_line(str(target.lock_path))}: "
            f"{error.strerror}"
        ) from None
    try:
        deadline = time.monotonic() + wait
        delay = 0.005
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
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
        yield
    finally:
        os.close(descriptor)


def remove_stale_temp_files(target: Target) -> None:
    """Delete temporary files that a killed writer left (only called under the lock)."""
    directory = target.real_path.parent
    with contextlib.suppress(OSError), os.scandir(directory) as entries:
        for entry in entries:
            if entry.name.startswith(target.temp_prefix):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def collisions(new: Sequence[Publication], existing: Sequence[Any]) -> list[str]:
    """Problems of new entries whose id or title and date is already in the file.

    Every entry of the file counts, valid or not: a new entry must not collide with an
    entry that a maintainer is about to fix.
    """
    ids: set[str] = set()
    keys: dict[TitleDateKey, str] = {}
    for raw in existing:
        raw_id, title, date = raw.get("id"), raw.get("title"), raw.get("date")
        if isinstance(raw_id, str):
            ids.add(raw_id)
            if isinstance(title, str) and (date is None or type(date) is datetime.date):
                keys.setdefault(raw_title_date_key(title, date), raw_id)
    problems = []
    for publication in new:
        if publication.id in ids:
            problems.append(f"id '{publication.id}' is already in the catalogue")
        existing_id = keys.get(title_date_key(publication))
        if existing_id is not None:
            problems.append(
                f"'{publication.id}': the same title and date are already in the catalogue "
                f"as '{existing_id}'"
            )
    return problems


@dataclass(frozen=True, slots=True)
class Plan:
    """What an add would write: the old bytes, their entries, and the text to append."""

    old: bytes
    existing: list[Any]
    appended: str


def plan_append(data: bytes, display: str, new: Sequence[Publication]) -> Plan:
    """Check the current file and the new entries; return the bytes to write.

    Refuses (exit 3) a file whose ``publications`` is not an array of ``[[publications]]``
    tables, and (exit 2) new entries that collide with entries already there.
    """
    text = decode(data, display)
    document = parse_toml(text, display)
    existing = entries_of(document, display)
    if not appendable(text, existing):
        raise CatalogueError(
            f"{one_line(display)}: 'publications' is not written as [[publications]] tables; "
            "add will not rewrite it"
        )
    problems = collisions(new, existing)
    if problems:
        raise InvalidInputError(problems)
    newline = "\r\n" if "\r\n" in text else "\n"
    separator = "" if not text or text.endswith("\n") else newline
    if text.strip():
        separator += newline
    return Plan(data, existing, separator + render_block(new, newline))


def verify(plan: Plan, display: str, new: Sequence[Publication]) -> bytes:
    """Parse the would-be file and prove it: old entries unchanged, the new ones last."""
    result = plan.old + plan.appended.encode("utf-8")
    before = plan.existing
    after = entries_of(parse_toml(decode(result, display), display), display)
    added = after[len(before) :]
    rebuilt = [validate_entry(raw)[0] for raw in added]
    if after[: len(before)] != before or rebuilt != list(new):
        raise CatalogueError(
            f"{one_line(display)}: the appended entries would not read back as written; "
            "nothing was changed"
        )
    return result


def replace_atomically(target: Target, content: bytes) -> None:
    """Write ``content`` to a temporary file beside the target, then rename it over it."""
    path = target.real_path
    directory = path.parent
    try:
        status = os.stat(path)
    except OSError as error:
        raise CatalogueError(
            f"cannot write {one_line(target.display)}: {error.strerror or error}"
        ) from None
    temp_name = None
    try:
        descriptor, temp_name = tempfile.mkstemp(prefix=target.temp_prefix, dir=directory)
        with os.fdopen(descriptor, "wb") as temp:
            temp.write(content)
            temp.flush()
            os.fchmod(temp.fileno(), stat.S_IMODE(status.st_mode))
            with contextlib.suppress(OSError):  # only root may give a file away
                os.fchown(temp.fileno(), status.st_uid, status.st_gid)
            os.fsync(temp.fileno())
        os.replace(temp_name, path)
        temp_name = None
        _fsync_directory(directory)
    except OSError as error:
        raise CatalogueError(
            f"cannot write {one_line(target.display)}: {error.strerror or error}"
        ) from None
    finally:
        if temp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(temp_name)


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def read_bytes(target: Target) -> bytes:
    """The catalogue's current bytes, or a catalogue error naming it."""
    try:
        return target.real_path.read_bytes()
    except OSError as error:
        raise CatalogueError(
            f"cannot read catalogue {one_line(target.display)}: {error.strerror or error}"
        ) from None


def append_publications(path: Path, display: str, new: Sequence[Publication]) -> None:
    """Add ``new`` to the end of the catalogue at ``path``: locked, checked, atomic."""
    target = target_of(path, display)
    with locked(target):
        remove_stale_temp_files(target)
        plan = plan_append(read_bytes(target), display, new)
        replace_atomically(target, verify(plan, display, new))
