"""The cold path's cache build (store/build.py, cache.write_cache) against a file that may
change while it is read."""

from __future__ import annotations

import json
import os
import time
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from pubcli.store import build as build_module
from pubcli.store import cache as cache_module

_SLOW_NS = 10 * 10**9
"""A build that takes longer than any timestamp tick."""


def slow_clock(start: int) -> types.SimpleNamespace:
    """A ``time`` module whose clock reads ``start`` first, then ``_SLOW_NS`` later (the
    wait for a lock keeps the real monotonic clock)."""
    readings: Iterator[int] = iter([start])
    return types.SimpleNamespace(
        time_ns=lambda: next(readings, start + _SLOW_NS),
        monotonic=time.monotonic,
        sleep=time.sleep,
    )


@pytest.fixture
def fresh_file(isolated: Path) -> tuple[Path, os.stat_result, int]:
    """A catalogue written just now, its status, and when reading it starts."""
    path = isolated / "cat.toml"
    path.write_text(
        '[[publications]]\nid = "a"\ntitle = "A"\ntype = "x"\ncomponents = ["c"]\n',
        encoding="utf-8",
    )
    return path, os.stat(path), time.time_ns()


def test_a_cache_built_block_by_block_from_a_file_just_written_is_racy(
    isolated: Path, fresh_file: tuple[Path, os.stat_result, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file changed within its timestamp's tick while the build reads it keeps its
    stamp: however long the build takes, its cache is racy (proved by content before it
    is trusted), as the file's mtime is within a tick of when the reading started."""
    path, status, started = fresh_file
    monkeypatch.setattr(build_module, "time", slow_clock(started))
    with open(path, "rb") as file:
        store = build_module.build_cache(isolated / "cache", path, status, "c", file)
    assert store.racy


def test_a_cache_written_from_a_file_just_read_is_racy(
    isolated: Path, fresh_file: tuple[Path, os.stat_result, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole parse's cache follows the same rule, however long the parse takes."""
    from pubcli.catalogue.loader import check_document, decode, parse_toml

    path, status, started = fresh_file
    data = path.read_bytes()
    text = decode(data, "c")
    document = parse_toml(text, "c")
    catalogue = check_document(document, text, "c")
    directory = isolated / "cache"
    monkeypatch.setattr(cache_module, "time", slow_clock(started + _SLOW_NS))
    cache_module.write_cache(directory, path, status, data, started, text, document, catalogue)
    (manifest,) = directory.glob("*.json")
    assert json.loads(manifest.read_bytes())["racy"] is True


def test_a_catalogue_symlink_moved_while_opened_is_not_cached_as_its_old_target(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A catalogue path that is a symlink, pointed at another file of the same size
    between the call's look at its target and its opening: what was read is not cached
    as the old target's, whose next query answers with its own entries."""
    from pubcli.catalogue import loader
    from pubcli.store.memory import open_store

    old, new = isolated / "old.toml", isolated / "new.toml"
    old.write_text(
        '[[publications]]\nid = "a"\ntitle = "A"\ntype = "x"\ncomponents = ["c"]\n',
        encoding="utf-8",
    )
    new.write_text(
        '[[publications]]\nid = "b"\ntitle = "B"\ntype = "x"\ncomponents = ["c"]\n',
        encoding="utf-8",
    )
    path = isolated / "cat.toml"
    path.symlink_to(old)
    directory = isolated / "cache"
    opened = loader.open_regular

    def open_moved(*arguments: object) -> object:
        path.unlink()
        path.symlink_to(new)
        return opened(*arguments)  # type: ignore[arg-type]

    # Files written long ago: their caches are trusted by stamp alone.
    monkeypatch.setattr(cache_module, "RACY_WINDOW_NS", 0)
    monkeypatch.setattr(cache_module, "COARSE_TICK_NS", 0)
    with monkeypatch.context() as patched:
        patched.setattr(loader, "open_regular", open_moved)
        open_store(path, "c", directory)
    assert open_store(new, "c", directory).all_ids() == ["b"]
    assert open_store(old, "c", directory).all_ids() == ["a"]


@pytest.mark.parametrize("failure", [OSError(28, "No space left on device"), ValueError("big")])
def test_a_cache_the_block_build_could_not_write_is_not_written_again_whole(
    isolated: Path,
    fresh_file: tuple[Path, os.stat_result, int],
    monkeypatch: pytest.MonkeyPatch,
    failure: Exception,
) -> None:
    """A cache directory refused, a full disk, too many tokens: the whole parse answers,
    and does not build and write the whole cache only to fail the same way (on every
    cold query against such a directory)."""
    from pubcli.store.memory import MemoryStore, open_store

    path, _, _ = fresh_file

    def failing_build(*arguments: object) -> None:
        raise failure

    def no_whole_write(*arguments: object) -> None:
        raise AssertionError("the cache was written whole after the block build failed")

    monkeypatch.setattr(build_module, "build_cache", failing_build)
    monkeypatch.setattr(cache_module, "write_cache", no_whole_write)
    store = open_store(path, "c", isolated / "cache")
    assert isinstance(store, MemoryStore) and store.all_ids() == ["a"]


@pytest.mark.parametrize("fails", [False, True])
def test_the_block_build_gives_the_garbage_collector_back(
    isolated: Path,
    fresh_file: tuple[Path, os.stat_result, int],
    monkeypatch: pytest.MonkeyPatch,
    fails: bool,
) -> None:
    """The build pauses the cyclic collector while it runs, not for the rest of the
    process (a long-lived caller of the API would never free a cycle again), whether it
    ends with a cache or gives up."""
    import gc

    path, status, _ = fresh_file
    seen: list[bool] = []
    parsed = build_module._parsed

    def parsed_and_seen(text: str) -> dict[str, object]:
        seen.append(gc.isenabled())
        if fails and len(seen) > 1:
            raise build_module.NotStreamableError("a part does not parse")
        return parsed(text)

    monkeypatch.setattr(build_module, "_parsed", parsed_and_seen)
    assert gc.isenabled()
    with open(path, "rb") as file:
        if fails:
            with pytest.raises(build_module.NotStreamableError):
                build_module.build_cache(isolated / "cache", path, status, "c", file)
        else:
            build_module.build_cache(isolated / "cache", path, status, "c", file)
    assert seen and not any(seen)
    assert gc.isenabled()
