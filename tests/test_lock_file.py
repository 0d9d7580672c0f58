"""A write leaves no new file beside the catalogue, and its lock still excludes (SPEC 12)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pubcli.catalogue import writer
from tests.conftest import entry, run_process

ADD = ["add", "--title", "New", "--type", "Letter", "--component", "ICE"]


def git(repository: Path, *arguments: str) -> str:
    result = subprocess.run(
        ["git", "-C", str(repository), *arguments], capture_output=True, text=True, check=True
    )
    return result.stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
@pytest.mark.parametrize(
    "arguments",
    [ADD, [*ADD, "--no-cache"], ["add", "--from-json", "-"], [*ADD, "--dry-run"]],
)
def test_add_in_a_clone_leaves_git_status_clean_but_for_the_catalogue(
    make_catalogue: Callable[..., Path], isolated: Path, arguments: list[str]
) -> None:
    """After an add, git sees the catalogue changed and no new file: the lock file is gone."""
    path = make_catalogue("# shared\n", entry("a", "Alpha"))
    repository = path.parent.parent
    git(repository, "init", "-q")
    git(repository, "add", "data/publications.toml")
    identity = ["-c", "user.name=t", "-c", "user.email=t@example.org"]
    git(repository, *identity, "commit", "-q", "--no-verify", "-m", "catalogue")
    listing = sorted(os.listdir(path.parent))
    record = json.dumps({"title": "New", "type": "Letter", "components": ["ICE"]}).encode()
    stdin = record if "--from-json" in arguments else None
    result = run_process(arguments, cwd=repository, input_bytes=stdin)
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(path.parent)) == listing
    status = git(repository, "status", "--porcelain", "--untracked-files=all", "data")
    changed = [] if "--dry-run" in arguments else [" M data/publications.toml"]
    assert status.splitlines() == changed


def test_a_lock_file_left_by_a_killed_writer_is_removed_by_the_next(
    make_catalogue: Callable[..., Path], isolated: Path
) -> None:
    """A writer killed while holding the lock leaves its file; the next write takes that
    file's lock (the kernel released it) and removes it."""
    path = make_catalogue(entry("a", "Alpha"))
    (path.parent / "publications.toml.lock").write_text("")
    assert run_process(ADD, cwd=isolated).returncode == 0
    assert sorted(os.listdir(path.parent)) == ["publications.toml"]


@pytest.mark.parametrize("points_to", ["elsewhere", "missing/file"])
def test_a_symlink_as_the_lock_file_is_refused_not_followed(
    make_catalogue: Callable[..., Path], isolated: Path, points_to: str
) -> None:
    """A symlink planted where the lock file goes is not followed (that would create a
    file wherever it points, and remove the link but not that file): exit 3, one error
    that says what is in the way; the catalogue as it was, nothing created."""
    path = make_catalogue(entry("a", "Alpha"))
    before = path.read_bytes()
    lock = path.parent / "publications.toml.lock"
    lock.symlink_to(isolated / points_to)
    result = run_process(ADD, cwd=isolated)
    assert result.returncode == 3, result.stderr
    message = result.stderr.decode()
    assert message.startswith("error: cannot lock ") and message.count("\n") == 1
    assert "is a symbolic link" in message, message
    assert path.read_bytes() == before
    assert not (isolated / points_to).exists()
    assert lock.is_symlink()


def test_the_lock_excludes_while_holders_remove_its_file(isolated: Path) -> None:
    """Writers that opened the lock file before its holder removed it never hold the lock
    at the same time as a writer that created the next one: at most one holder at a time."""
    catalogue = isolated / "cat.toml"
    catalogue.write_text("")
    target = writer.target_of(catalogue, "cat.toml")
    holders: list[int] = []
    overlaps: list[list[int]] = []
    guard = threading.Lock()

    def write(number: int) -> None:
        for _ in range(25):
            with writer.locked(target, timeout=60):
                with guard:
                    holders.append(number)
                    if len(holders) > 1:
                        overlaps.append(list(holders))
                time.sleep(0.0005)  # let another thread run while this one holds the lock
                with guard:
                    holders.remove(number)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlaps == []
    assert not target.lock_path.exists()
