"""add against writers that skip the lock, and failures after the rename (issue 10, 1 and 5)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pubcli.catalogue.loader import load_catalogue, parse_toml
from pubcli.store import cache
from pubcli.store.updates import ATTEMPTS
from tests.conftest import Outcome, entry, run_process

Cli = Callable[..., Outcome]
ADD = ("add", "--title", "New One", "--type", "T", "--component", "ICE")


def _is_directory(descriptor: int) -> bool:
    return stat.S_ISDIR(os.fstat(descriptor).st_mode)


def _append_on_temp_fsync(monkeypatch: pytest.MonkeyPatch, path: Path, times: int) -> list[str]:
    """After the temporary file is synced (just before the rename), append a block to the
    catalogue as a writer that skips the lock would, ``times`` times. Returns their ids."""
    real_fsync = os.fsync
    appended: list[str] = []

    def fsync_then_append(descriptor: int) -> None:
        real_fsync(descriptor)
        if not _is_directory(descriptor) and len(appended) < times:
            id_ = f"unlocked-{len(appended)}"
            with open(path, "a", encoding="utf-8") as file:
                file.write("\n" + entry(id_, f"Unlocked {len(appended)}"))
            appended.append(id_)

    monkeypatch.setattr(os, "fsync", fsync_then_append)
    return appended


@pytest.mark.parametrize("cached", [True, False], ids=["cached", "no-cache"])
def test_a_change_made_before_the_rename_is_kept(
    cli: Cli,
    make_catalogue: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
    cached: bool,
) -> None:
    """A block appended without the lock after the temp file's fsync: the add starts again
    from the new bytes, and both the block and the new entry are in the file."""
    path = make_catalogue(entry("a", "Alpha"))
    if cached:
        assert cli("list", "--format", "ids").out == "a\n"  # warms the cache
    appended = _append_on_temp_fsync(monkeypatch, path, times=1)
    result = cli(*ADD, *(() if cached else ("--no-cache",)))
    assert (result.code, result.err) == (0, "added new-one to data/publications.toml\n")
    assert appended == ["unlocked-0"]
    ids = [p.id for p in load_catalogue(path, "c").publications]
    assert ids == ["a", "unlocked-0", "new-one"]


def test_a_catalogue_that_keeps_changing_is_not_written(
    cli: Cli, make_catalogue: Callable[..., Path], isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Changed before every rename: exit 3 after ATTEMPTS tries, nothing of the add written,
    every unlocked change kept, no temporary file left."""
    path = make_catalogue(entry("a", "Alpha"))
    appended = _append_on_temp_fsync(monkeypatch, path, times=100)
    result = cli(*ADD, "--no-cache")
    assert result.code == 3
    assert result.err == (
        f"error: cannot write data/publications.toml: it changed {ATTEMPTS} times while add "
        "was writing it (another program writes it without the lock); nothing was written\n"
    )
    assert len(appended) == ATTEMPTS
    ids = [p.id for p in load_catalogue(path, "c").publications]
    assert ids == ["a", *appended]
    assert [name for name in os.listdir(path.parent) if ".tmp-" in name] == []


_APPENDER = """
import os, random, sys, time
path, stop = sys.argv[1], sys.argv[2]
rng = random.Random(int(sys.argv[3]))
count = 0
while not os.path.exists(stop):
    block = (
        f'\\n[[publications]]\\nid = "unlocked-{count}"\\ntitle = "Unlocked {count}"\\n'
        'type = "T"\\ncomponents = ["ICE"]\\n'
    ).encode()
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND)
    os.write(descriptor, block)
    os.close(descriptor)
    count += 1
    time.sleep(rng.uniform(0.05, 0.25))
print(count)
"""


@pytest.mark.parametrize("cached", [True, False], ids=["cached", "no-cache"])
def test_concurrent_adds_and_an_unlocked_appender_lose_nothing(
    make_catalogue: Callable[..., Path], isolated: Path, cached: bool
) -> None:
    """20 adds at once while a script appends blocks without the lock: every block of both
    sides is in the file once (an add may give up with exit 3, having written nothing)."""
    path = make_catalogue(*(entry(f"e{n}", f"Entry {n}") for n in range(100)))
    stop = isolated / "stop"
    env = {} if cached else {"PUBCLI_NO_CACHE": "1"}
    if cached:
        assert run_process(["list", "--format", "ids"], cwd=isolated).returncode == 0
    appender = subprocess.Popen(
        [sys.executable, "-c", _APPENDER, str(path), str(stop), "20261128"],
        stdout=subprocess.PIPE,
    )

    def add(number: int) -> tuple[int, bytes]:
        title = f"Parallel {number}"
        result = run_process(
            ["add", "--title", title, "--type", "T", "--component", "ICE"], cwd=isolated, env=env
        )
        return result.returncode, result.stderr

    try:
        with ThreadPoolExecutor(max_workers=20) as pool:
            results = list(pool.map(add, range(20)))
    finally:
        stop.touch()
        out, _ = appender.communicate(timeout=30)
    blocks = int(out)
    gave_up = (
        b"error: cannot write data/publications.toml: it changed 5 times while add was "
        b"writing it (another program writes it without the lock); nothing was written\n"
    )
    landed = [n for n, (code, err) in enumerate(results) if code == 0]
    assert all(code == 0 or (code, err) == (3, gave_up) for code, err in results)
    assert landed  # an appender that sleeps between blocks lets adds through
    ids = [raw["id"] for raw in parse_toml(path.read_text(encoding="utf-8"), "c")["publications"]]
    assert sorted(ids[100:]) == sorted(
        [f"unlocked-{n}" for n in range(blocks)] + [f"parallel-{n}" for n in landed]
    )


def test_a_failing_directory_fsync_is_a_warning(
    cli: Cli, make_catalogue: Callable[..., Path], isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the rename the add has happened: a directory that cannot be synced is a
    warning, exit 0, the entry is in the file and the cache knows it."""
    path = make_catalogue(entry("a", "Alpha"))
    assert cli("list", "--format", "ids").out == "a\n"
    real_fsync = os.fsync

    def fsync_failing_on_directories(descriptor: int) -> None:
        if _is_directory(descriptor):
            raise OSError(5, "Input/output error")
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", fsync_failing_on_directories)
    for arguments in (ADD, ("add", "--title", "Second", "--type", "T", "--component", "X")):
        result = cli(*arguments)
        new_id = "new-one" if arguments is ADD else "second"
        assert (result.code, result.err) == (
            0,
            "warning: data/publications.toml was written, but its directory could not be "
            "synced (Input/output error): a crash now may lose the change\n"
            f"added {new_id} to data/publications.toml\n",
        )
    assert [p.id for p in load_catalogue(path, "c").publications] == ["a", "new-one", "second"]
    directory = cache.cache_directory(os.environ)
    assert directory is not None
    store = cache.open_cached(directory, path.resolve(), os.stat(path), "c")
    assert store.all_ids() == ["a", "new-one", "second"]
    again = cli(*ADD)
    assert again.code == 2
