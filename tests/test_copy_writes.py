"""``writer.replace_ranges_copy``: the copy edit and remove make, begun before the change
is known (the kernel copies the unchanged start while the change is worked out)."""

from __future__ import annotations

import errno
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pubcli.catalogue import writer
from pubcli.errors import CatalogueError
from tests.test_cache import _ranges_of, _replaced


@contextmanager
def catalogue_of(data: bytes) -> Iterator[tuple[Path, writer.Target]]:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "catalogue.toml"
        path.write_bytes(data)
        yield path, writer.target_of(path, "catalogue.toml")


def copy_with(target: writer.Target, planned: writer.Ranges | None, early: int) -> object:
    with writer.open_source(target) as source:
        return writer.replace_ranges_copy(
            target, source, os.stat(target.real_path), lambda: planned, None, early
        )


@settings(max_examples=200, deadline=None)
@given(
    st.binary(max_size=400),
    st.lists(st.integers(0, 400), max_size=8),
    st.lists(st.binary(max_size=30), max_size=4),
    st.integers(-5, 450),
)
def test_a_copy_begun_early_writes_the_planned_bytes(
    old: bytes, points: list[int], news: list[bytes], early: int
) -> None:
    """Whatever bytes were copied early, also past ranges that change them, the file
    written is the old one with the ranges replaced, and nothing else is left beside it."""
    ranges = _ranges_of(len(old), points, news)
    with catalogue_of(old) as (path, target):
        assert copy_with(target, ranges, early) is not None
        assert path.read_bytes() == _replaced(old, ranges)
        assert sorted(p.name for p in path.parent.iterdir()) == ["catalogue.toml"]


def test_a_plan_that_finds_nothing_to_write_writes_nothing() -> None:
    old = b"a = 1\n" * 1000
    with catalogue_of(old) as (path, target):
        before = os.stat(path)
        with pytest.raises(writer.Declined):
            copy_with(target, None, len(old) // 2)
        writer._REAPER.wait()
        assert path.read_bytes() == old
        assert os.stat(path).st_mtime_ns == before.st_mtime_ns
        assert os.stat(path).st_ino == before.st_ino
        assert sorted(p.name for p in path.parent.iterdir()) == ["catalogue.toml"]
        assert threading.active_count() == 1  # the early copy is not left running


def test_ranges_that_are_not_of_the_file_write_nothing() -> None:
    old = b"a = 1\n" * 10
    with catalogue_of(old) as (path, target):
        assert copy_with(target, [(5, 4, b"x")], 3) is None
        assert copy_with(target, [(0, len(old) + 1, b"")], 3) is None
        assert path.read_bytes() == old
        assert sorted(p.name for p in path.parent.iterdir()) == ["catalogue.toml"]


@pytest.mark.parametrize("plan", [[(2, 3, b"x")], None])
def test_an_early_copy_that_fails_fails_only_a_write_that_is_made(
    monkeypatch: pytest.MonkeyPatch, plan: writer.Ranges | None
) -> None:
    """A full disk during the early copy is the write's error, one line; a plan that
    writes nothing is not an error of a copy it did not need."""
    copy_at = writer._copy_at

    def full(source: int, temp: int, start: int, at: int, count: int) -> None:
        if threading.current_thread() is not threading.main_thread():
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        copy_at(source, temp, start, at, count)

    monkeypatch.setattr(writer, "_copy_at", full)
    old = b"a = 1\n" * 10
    with catalogue_of(old) as (path, target):
        if plan is None:
            with pytest.raises(writer.Declined):
                copy_with(target, plan, 20)
        else:
            with pytest.raises(CatalogueError, match="No space left on device"):
                copy_with(target, plan, 20)
        assert path.read_bytes() == old
        assert sorted(p.name for p in path.parent.iterdir()) == ["catalogue.toml"]


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=60),
    st.binary(min_size=1, max_size=4),
    st.integers(0, 70),
    st.integers(0, 70),
    st.integers(1, 5),
)
def test_the_old_file_a_write_reads_finds_what_its_bytes_hold(
    data: bytes, sub: bytes, first: int, second: int, part: int
) -> None:
    """The catalogue as an edit or a remove reads it beside the write (``os.pread``, no
    memory map), read in parts of any size: a search finds what a search of its bytes
    finds, also across parts; a file cut short meanwhile is an error (no cache), not a
    SIGBUS."""
    from pubcli.store.checksums import InFile

    start, end = sorted((min(first, len(data)), min(second, len(data))))
    with tempfile.TemporaryFile() as file:
        file.write(data)
        file.flush()
        opened = InFile(file.fileno(), len(data), part=part)
        assert opened.find(sub, start, end) == data.find(sub, start, end)
        assert opened[start:end] == data[start:end]
        file.truncate(start)
        if start < end:
            with pytest.raises(ValueError):
                opened[start:end]
