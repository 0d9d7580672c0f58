"""``pubcli cache dir|info|clear``: where the cache is, what it holds, and removing it safely."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import entry, run_process


@pytest.fixture
def cache_dir(isolated: Path) -> Path:
    return isolated / ".cache" / "pubcli"


@pytest.fixture
def two_cached(isolated: Path, make_catalogue: Callable[..., Path]) -> tuple[Path, Path]:
    """Two cached catalogues; the second is then deleted."""
    kept = make_catalogue(entry("kept", "Kept"), name="kept.toml")
    gone = make_catalogue(entry("gone", "Gone"), name="gone.toml")
    for path in (kept, gone):
        assert run_process(["list", "-f", "ids", "-c", str(path)]).returncode == 0
    gone.unlink()
    return kept, gone


REFUSED = (
    "warning: {} is not used as the cache: it must be a directory of yours that no one"
    " else may write (not a symlink)\n"
)


def _files(directory: Path) -> list[str]:
    return sorted(os.listdir(directory))


def test_cache_dir_prints_the_directory(isolated: Path, cache_dir: Path) -> None:
    result = run_process(["cache", "dir"])
    assert (result.returncode, result.stdout) == (0, f"{cache_dir}\n".encode())
    result = run_process(["cache", "dir"], env={"XDG_CACHE_HOME": "", "HOME": str(isolated)})
    assert result.stdout == f"{isolated}/.cache/pubcli\n".encode()


def test_cache_info_lists_each_catalogue(two_cached: tuple[Path, Path], cache_dir: Path) -> None:
    kept, gone = two_cached
    result = run_process(["cache", "info", "--format", "json"])
    assert result.returncode == 0
    report = json.loads(result.stdout)
    assert report["directory"] == str(cache_dir)
    by_path = {c["catalogue"]: c for c in report["catalogues"]}
    assert set(by_path) == {str(kept), str(gone)}
    assert by_path[str(kept)]["exists"] is True
    assert by_path[str(gone)]["exists"] is False
    assert all(c["size"] > 0 for c in report["catalogues"])
    assert report["size"] == sum(c["size"] for c in report["catalogues"])
    text = run_process(["cache", "info"]).stdout.decode().splitlines()
    assert len(text) == 3
    assert any(line.endswith(f"  {kept}") for line in text)
    assert any(line.endswith(f"  {gone}  (no longer exists)") for line in text)
    assert text[-1].startswith("2 cached catalogues, ")
    assert text[-1].endswith(f" in {cache_dir}")


def test_cache_info_with_no_cache_yet(isolated: Path, cache_dir: Path) -> None:
    result = run_process(["cache", "info"])
    assert (result.returncode, result.stdout) == (
        0,
        f"0 cached catalogues, 0 B in {cache_dir}\n".encode(),
    )


def test_clear_one_catalogue_prunes_the_gone_and_keeps_the_rest(
    two_cached: tuple[Path, Path], cache_dir: Path, make_catalogue: Callable[..., Path]
) -> None:
    kept, _ = two_cached
    other = make_catalogue(entry("other", "Other"), name="other.toml")
    assert run_process(["list", "-f", "ids", "-c", str(other)]).returncode == 0
    (cache_dir / "notes.txt").write_text("not pubcli's", encoding="utf-8")
    result = run_process(["cache", "clear", "-c", str(kept)])
    assert result.returncode == 0
    assert result.stderr.decode().startswith("removed 2 caches (")
    report = json.loads(run_process(["cache", "info", "-f", "json"]).stdout)
    assert [c["catalogue"] for c in report["catalogues"]] == [str(other)]
    assert "notes.txt" in _files(cache_dir)
    # The global -c counts as well; a catalogue with no cache is said so.
    result = run_process(["-c", str(kept), "cache", "clear"])
    assert (result.returncode, result.stderr) == (0, f"no cache of {kept}\n".encode())
    # The cache is rebuilt by the next call, with the same answer.
    assert run_process(["list", "-f", "ids", "-c", str(other)]).stdout == b"other\n"


def test_clear_removes_every_cache_and_nothing_else(
    two_cached: tuple[Path, Path], cache_dir: Path, isolated: Path
) -> None:
    outside = isolated / "precious.json"
    outside.write_text("{}", encoding="utf-8")
    # A symlink named as a manifest and one named as a section: removed as links only.
    planted = cache_dir / ("0" * 18 + ".json")
    planted.symlink_to(outside)
    (cache_dir / ("1" * 18 + "." + "2" * 16 + ".records")).symlink_to(isolated)
    (cache_dir / "keep.me").write_text("", encoding="utf-8")
    result = run_process(["cache", "clear"])
    assert result.returncode == 0
    assert result.stderr.decode().startswith("removed 4 caches (")
    assert _files(cache_dir) == ["keep.me"]
    assert outside.read_text(encoding="utf-8") == "{}"
    assert (isolated / "kept.toml").exists()
    assert run_process(["cache", "info"]).stdout.decode().startswith("0 cached catalogues")


def test_clear_never_follows_a_symlinked_cache_directory(
    two_cached: tuple[Path, Path], cache_dir: Path, isolated: Path
) -> None:
    """A cache directory that is a symlink is not pubcli's: nothing there is touched."""
    real = isolated / "real-cache"
    cache_dir.rename(real)
    cache_dir.symlink_to(real)
    before = _files(real)
    result = run_process(["cache", "clear"])
    assert result.returncode == 0
    assert result.stderr.decode() == REFUSED.format(cache_dir) + "removed 0 caches (0 B)\n"
    assert _files(real) == before
    assert run_process(["cache", "info"]).stdout.decode().startswith("0 cached catalogues")


def test_cache_commands_refuse_what_they_cannot_do(isolated: Path) -> None:
    result = run_process(["cache", "clear", "-c", ""])
    assert (result.returncode, result.stderr) == (
        2,
        b"error: --catalogue is empty: give the catalogue's path\n",
    )
    assert run_process(["cache"]).stdout.startswith(b"Usage: pubcli cache")


@pytest.mark.parametrize("kind", ["symlink", "writable by others"])
def test_a_cache_directory_that_clear_cannot_touch_is_never_used(
    isolated: Path, make_catalogue: Callable[..., Path], cache_dir: Path, kind: str
) -> None:
    """Reads and the cache commands share one rule: a cache that queries use is always one
    that ``cache info`` lists and ``cache clear`` removes, and a directory that is not used
    is said to be so rather than shown as empty."""
    make_catalogue(entry("a", "A"))
    if kind == "symlink":
        real = isolated / "real-cache"
        real.mkdir(mode=0o700)
        cache_dir.parent.mkdir()
        cache_dir.symlink_to(real)
    else:
        real = cache_dir
        real.mkdir(parents=True)
        real.chmod(0o777)
    assert run_process(["list", "-f", "ids"], cwd=isolated).stdout == b"a\n"
    assert _files(real) == []
    for arguments in (["cache", "info"], ["cache", "clear"]):
        result = run_process(arguments, cwd=isolated)
        assert result.returncode == 0
        assert result.stderr.decode().startswith(REFUSED.format(cache_dir))
