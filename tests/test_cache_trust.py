"""What the cache must never be trusted with: a stale stamp, flipped bits, a crafted or
planted file, a directory others can write (issue 10, items 2, 3, 7-10)."""

from __future__ import annotations

import json
import os
import random
import shutil
import stat
import struct
import subprocess
import time
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.synth import write_catalogue
from pubcli.catalogue.rules import ID_PATTERN
from pubcli.store import cache
from pubcli.store.cache import CachedStore
from pubcli.store.memory import MemoryStore, open_store
from tests.conftest import PUBCLI, Outcome, run_process

Cli = Callable[..., Outcome]

QUERIES = (
    ("list", "-f", "json"),
    ("list", "--sort", "title", "-f", "tsv"),
    ("filter", "--text", "opioid", "-f", "ids"),
    ("filter", "--since", "2010", "--type", "Letter", "-f", "json"),
    ("show", "synthetic-000042", "-f", "json"),
    ("show", "synthetic-000199"),
    ("stats",),
)


@pytest.fixture
def catalogue(isolated: Path) -> Path:
    """A valid catalogue of 200 entries: over the size from which a cache is kept."""
    path = isolated / "cat.toml"
    write_catalogue(path, 200)
    return path


def cache_dir(isolated: Path) -> Path:
    return isolated / ".cache" / "pubcli"


_EXPECTED: dict[Path, list[tuple[int, str, str]]] = {}


def expected_answers(cli: Cli, path: Path) -> list[tuple[int, str, str]]:
    """What each query prints with --no-cache (once per catalogue)."""
    if path not in _EXPECTED:
        _EXPECTED.clear()
        _EXPECTED[path] = [_answer(cli, path, query, "--no-cache") for query in QUERIES]
    return _EXPECTED[path]


def _answer(cli: Cli, path: Path, query: tuple[str, ...], *more: str) -> tuple[int, str, str]:
    result = cli(*query, "-c", str(path), *more)
    return (result.code, result.out, result.err)


def assert_answers_as_without_cache(
    cli: Cli, path: Path, expected: list[tuple[int, str, str]]
) -> None:
    for query, wanted in zip(QUERIES, expected, strict=True):
        assert _answer(cli, path, query) == wanted, query


def reseal(directory: Path) -> None:
    """Describe every section file as it now is, as a crafted cache would."""
    manifest_path = next(directory.glob("*.json"))
    manifest = json.loads(manifest_path.read_text())
    for group, generation in (("sections", "generation"), ("orders", "order_generation")):
        for name in manifest[group]:
            data = (directory / f"{manifest_path.stem}.{manifest[generation]}.{name}").read_bytes()
            manifest[group][name] = [len(data), cache._chunk_crcs(data)]
    manifest_path.write_text(json.dumps(manifest))


# --- item 2: a stale cache -----------------------------------------------------------


def _same_size_edit(path: Path, old: bytes, new: bytes) -> None:
    """Replace ``old`` by ``new`` (same length) in place, then restore the old mtime."""
    status = path.stat()
    data = path.read_bytes()
    assert len(old) == len(new) and data.count(old) == 1
    with open(path, "r+b") as file:
        file.seek(data.index(old))
        file.write(new)
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))


def test_a_same_size_edit_with_its_mtime_restored_is_seen(catalogue: Path) -> None:
    """touch -r, cp -p and tar restore an mtime; the ctime in the stamp still moves."""
    an_hour_ago = time.time_ns() - 3600 * 10**9
    os.utime(catalogue, ns=(an_hour_ago, an_hour_ago))  # a cache trusted by its stamp
    assert run_process(["list", "-f", "ids", "-c", str(catalogue)]).returncode == 0
    assert run_process(["show", "synthetic-000042", "-c", str(catalogue)]).returncode == 0
    _same_size_edit(catalogue, b'"synthetic-000042"', b'"synthetic-x00042"')
    gone = run_process(["show", "synthetic-000042", "-f", "json", "-c", str(catalogue)])
    assert gone.returncode == 1
    found = run_process(["show", "synthetic-x00042", "-f", "json", "-c", str(catalogue)])
    assert found.returncode == 0 and b'"synthetic-x00042"' in found.stdout


def test_a_same_size_edit_within_a_whole_second_tick_is_seen(
    catalogue: Path, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a file system that keeps whole seconds (mtime and ctime), an edit within the
    tick of caching leaves the stamp as it was: the cache is racy and proved by content."""
    second = (time.time_ns() // 10**9 - 1) * 10**9  # 1-2 s ago: more than a fine tick
    real_stat, real_fstat = os.stat, os.fstat

    def coarse(status: os.stat_result) -> Any:
        # The catalogue (same inode after the in-place edit) as such a file system shows it,
        # by path or by open descriptor alike.
        if (status.st_dev, status.st_ino) != (catalogue_status.st_dev, catalogue_status.st_ino):
            return status
        fields = {name: getattr(status, name) for name in dir(status) if name.startswith("st_")}
        return types.SimpleNamespace(**{**fields, "st_mtime_ns": second, "st_ctime_ns": second})

    catalogue_status = real_stat(catalogue)
    monkeypatch.setattr(os, "stat", lambda *args, **kwargs: coarse(real_stat(*args, **kwargs)))
    monkeypatch.setattr(os, "fstat", lambda *args, **kwargs: coarse(real_fstat(*args, **kwargs)))
    # The clock stands half a second after that whole second, however slow the machine:
    # on a real coarse file system, an edit two seconds later would change the mtime.
    monkeypatch.setattr(time, "time_ns", lambda: second + 500_000_000)
    directory = cache_dir(isolated)
    assert isinstance(open_store(catalogue, "c", directory), CachedStore)  # builds the cache
    assert isinstance(open_store(catalogue, "c", directory), CachedStore)
    _same_size_edit(catalogue, b'"synthetic-000042"', b'"synthetic-x00042"')
    ids = open_store(catalogue, "c", directory).all_ids()
    assert "synthetic-x00042" in ids and "synthetic-000042" not in ids


@pytest.mark.parametrize("operation", ["edit", "remove"])
@pytest.mark.parametrize("edited", ["synthetic-000100", "synthetic-000042"])
def test_an_edit_on_a_racy_cache_keeps_a_same_stamp_change(
    catalogue: Path, isolated: Path, monkeypatch: pytest.MonkeyPatch, edited: str, operation: str
) -> None:
    """An edit or a remove with a cache whose file changed within the tick of caching
    (the stamp as it was) is not planned from the cache: the change made by hand is kept,
    in another entry or in the one edited, and the cache follows the file."""
    from pubcli.catalogue.changes import FieldChanges
    from pubcli.catalogue.loader import load_catalogue
    from pubcli.store.updates import edit_publications, remove_publications

    second = (time.time_ns() // 10**9 - 1) * 10**9
    real_stat, real_fstat = os.stat, os.fstat

    def coarse(status: Any) -> Any:
        fields = {name: getattr(status, name) for name in dir(status) if name.startswith("st_")}
        return types.SimpleNamespace(**{**fields, "st_mtime_ns": second, "st_ctime_ns": second})

    def coarse_stat(path: Any, *args: Any, **kwargs: Any) -> Any:
        status = real_stat(path, *args, **kwargs)
        return coarse(status) if os.fspath(path) == str(catalogue) else status

    def coarse_fstat(descriptor: int) -> Any:
        status = real_fstat(descriptor)
        return coarse(status) if status.st_ino == real_stat(catalogue).st_ino else status

    monkeypatch.setattr(os, "stat", coarse_stat)
    monkeypatch.setattr(os, "fstat", coarse_fstat)
    monkeypatch.setattr(time, "time_ns", lambda: second + 500_000_000)
    directory = cache_dir(isolated)
    assert isinstance(open_store(catalogue, "c", directory), CachedStore)  # builds the cache
    assert isinstance(open_store(catalogue, "c", directory), CachedStore)
    data = catalogue.read_bytes()
    title_at = data.index(b"title = ", data.index(b'"synthetic-000042"')) + len(b"title = ")
    old_title = data[title_at : data.index(b"\n", title_at)]
    new_title = b'"' + b"H" * (len(old_title) - 2) + b'"'
    _same_size_edit(catalogue, old_title, new_title)
    if operation == "remove":
        assert remove_publications(catalogue, "c", [edited], directory).removed == [edited]
        store = open_store(catalogue, "c", directory)
        fresh = MemoryStore(load_catalogue(catalogue, "c"))
        assert store.all_ids() == fresh.all_ids() and edited not in store.all_ids()
        assert store.records(range(len(store))) == fresh.records(range(len(fresh)))
        if edited == "synthetic-000042":
            return  # the entry changed by hand is the one removed
        assert new_title in catalogue.read_bytes()  # the change by hand is kept
        return
    edited_entry = edit_publications(
        catalogue, "c", [edited], FieldChanges(summary="Edited now"), directory
    )
    assert edited_entry.publications[0].summary == "Edited now"
    text = catalogue.read_bytes()
    assert new_title in text and old_title not in text  # the change by hand is kept
    store = open_store(catalogue, "c", directory)
    (index,) = [i for i, id_ in enumerate(store.all_ids()) if id_ == "synthetic-000042"]
    assert store.records([index])[0]["title"] == new_title.decode()[1:-1]


def test_the_timestamp_tick_is_coarse_for_whole_seconds() -> None:
    """A whole-second mtime or ctime means a tick of two seconds, else a fine one."""

    def status(mtime: int, ctime: int) -> Any:
        return types.SimpleNamespace(st_mtime_ns=mtime, st_ctime_ns=ctime)

    assert cache.timestamp_tick_ns(status(5 * 10**9, 5 * 10**9 + 7)) == cache.COARSE_TICK_NS
    assert cache.timestamp_tick_ns(status(5 * 10**9 + 7, 6 * 10**9 + 1)) == cache.RACY_WINDOW_NS
    now = 100 * 10**9 + 5
    assert cache.is_racy(status(99 * 10**9, 99 * 10**9), now)
    assert not cache.is_racy(status(now - 10**9 + 3, now - 10**9 + 3), now)
    assert cache.is_racy(status(now - 10**9 + 3, now - 3), now)  # a recent ctime


# --- item 3: bit rot -----------------------------------------------------------------


@pytest.fixture
def built(cli: Cli, catalogue: Path, isolated: Path) -> Iterator[tuple[Path, Path]]:
    """A cache built for ``catalogue``, and a pristine copy of it."""
    assert cli("list", "-f", "ids", "-c", str(catalogue)).code == 0
    directory = cache_dir(isolated)
    snapshot = isolated / "snapshot"
    shutil.copytree(directory, snapshot)
    yield directory, snapshot


def restore(directory: Path, snapshot: Path) -> None:
    shutil.rmtree(directory)
    shutil.copytree(snapshot, directory)


def test_a_flipped_bit_in_any_section_is_never_believed(
    cli: Cli, catalogue: Path, built: tuple[Path, Path]
) -> None:
    """One bit flipped anywhere in any section file: every answer is the file's."""
    directory, snapshot = built
    expected = expected_answers(cli, catalogue)
    rng = random.Random(10)
    names = sorted(item.name for item in snapshot.iterdir() if item.suffix != ".json")
    assert any(name.endswith(".records") for name in names)
    for name in names:
        size = (snapshot / name).stat().st_size
        for offset in {0, size - 1, *(rng.randrange(size) for _ in range(3))} if size else ():
            restore(directory, snapshot)
            data = bytearray((directory / name).read_bytes())
            data[offset] ^= 1 << rng.randrange(8)
            (directory / name).write_bytes(bytes(data))
            assert_answers_as_without_cache(cli, catalogue, expected)


def test_a_warm_query_checks_only_the_chunks_it_reads(
    catalogue: Path, built: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A damaged chunk a query does not read does not matter; one it reads is caught."""
    directory, _ = built
    monkeypatch.setattr(cache, "CHUNK", 1024)
    store = open_store(catalogue, "c", directory, trust_cache=False)  # small chunks
    assert isinstance(store, MemoryStore)
    assert isinstance(open_store(catalogue, "c", directory), CachedStore)
    records = next(directory.glob("*.records"))
    data = bytearray(records.read_bytes())
    data[-10] ^= 1  # in the last record
    records.write_bytes(bytes(data))
    store = open_store(catalogue, "c", directory)
    assert store.records([0])[0]["id"] == "synthetic-000000"
    with pytest.raises(cache.CacheInvalidError):
        store.records([199])


# --- items 7 and 8: other users ------------------------------------------------------


@pytest.mark.parametrize("planted", ["records", "taken", "manifest"])
def test_a_planted_symlink_is_never_followed(
    catalogue: Path, isolated: Path, planted: str
) -> None:
    """Another user's symlink in place of a cache file: the file it points at is never
    read or written, by queries or by add; answers are those of the file."""
    env = {"XDG_CACHE_HOME": str(isolated / ".cache")}
    assert run_process(["list", "-f", "ids", "-c", str(catalogue)], env=env).returncode == 0
    directory = cache_dir(isolated)
    victim = isolated / "victim"
    victim.write_bytes(b"precious\n" * 1000)

    def plant() -> None:
        target = next(
            item
            for item in sorted(directory.iterdir())
            if item.name.endswith(f".{planted}")
            or (planted == "manifest" and item.suffix == ".json")
        )
        target.unlink()
        target.symlink_to(victim)

    plant()
    added = run_process(
        ["add", "--id", "new-one", "--title", "New", "--type", "Letter", "--component", "ICE",
         "-c", str(catalogue)],
        env=env,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert victim.read_bytes() == b"precious\n" * 1000
    plant()
    for query in (QUERIES[0], QUERIES[2], QUERIES[4]):
        result = run_process([*query, "-c", str(catalogue)], env=env)
        wanted = run_process([*query, "--no-cache", "-c", str(catalogue)], env=env)
        assert (result.returncode, result.stdout, result.stderr) == (
            wanted.returncode,
            wanted.stdout,
            wanted.stderr,
        )
    assert victim.read_bytes() == b"precious\n" * 1000
    assert (
        b'"new-one"' in run_process(["list", "-f", "json", "-c", str(catalogue)], env=env).stdout
    )


def test_a_cache_directory_writable_by_others_is_not_used(
    cli: Cli, catalogue: Path, isolated: Path
) -> None:
    """A 0777 cache directory (or a 0666 manifest) is neither read nor written."""
    assert cli("list", "-f", "ids", "-c", str(catalogue)).code == 0
    directory = cache_dir(isolated)
    assert isinstance(open_store(catalogue, "c", directory), CachedStore)
    manifest = next(directory.glob("*.json"))
    manifest.chmod(0o666)
    with pytest.raises(cache.CacheInvalidError):
        cache.open_cached(directory, catalogue.resolve(), os.stat(catalogue), "c")
    shutil.rmtree(directory)
    directory.mkdir()
    directory.chmod(0o777)
    assert cli("list", "-f", "ids", "-c", str(catalogue)).code == 0
    assert list(directory.iterdir()) == []
    assert isinstance(open_store(catalogue, "c", directory), MemoryStore)
    assert list(directory.iterdir()) == []


def test_cache_files_are_private_even_under_umask_000(catalogue: Path, isolated: Path) -> None:
    """The cache of a 0600 catalogue is readable by its owner only: directories 0700,
    files 0600, whatever the umask, after a query and after an add."""
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("PUBCLI_")},
        "XDG_CACHE_HOME": str(isolated / ".cache" / "deeper"),
    }
    catalogue.chmod(0o600)
    for arguments in (
        ["list", "-f", "ids"],
        ["add", "--id", "new-one", "--title", "New", "--type", "Letter", "--component", "ICE"],
    ):
        done = subprocess.run(
            ["sh", "-c", 'umask 000; exec "$@"', "sh", str(PUBCLI), *arguments,
             "-c", str(catalogue)],
            env=env,
            capture_output=True,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        directory = isolated / ".cache" / "deeper" / "pubcli"
        for folder in (directory, directory.parent):
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        files = list(directory.iterdir())
        assert files
        assert {stat.S_IMODE(item.stat().st_mode) for item in files} == {0o600}


# --- item 10: a crafted or damaged cache ---------------------------------------------

_HUGE = st.sampled_from([2**70, -1, -(2**70), 2**31, 2**63, 10**400])
_WRONG = st.sampled_from([None, "x", "../../etc/passwd", 1.5, [], {}, [[]], True, [1, 2, 3]])


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*path, index))


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _replaced(value[path[0]], path[1:], new)
    return copy


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_crafted_manifest_means_no_cache(
    cli: Cli, catalogue: Path, built: tuple[Path, Path], data: st.DataObject
) -> None:
    """Values replaced by huge numbers, wrong types or deep nesting, or bytes flipped:
    every command answers as with --no-cache."""
    directory, snapshot = built
    restore(directory, snapshot)
    manifest_path = next(directory.glob("*.json"))
    text = manifest_path.read_text()
    how = data.draw(st.sampled_from(["huge", "wrong type", "deep", "flip"]))
    if how == "flip":
        raw = bytearray(text.encode())
        for _ in range(data.draw(st.integers(1, 4))):
            raw[data.draw(st.integers(0, len(raw) - 1))] ^= 1 << data.draw(st.integers(0, 7))
        manifest_path.write_bytes(bytes(raw))
    else:
        manifest = json.loads(text)
        path = data.draw(st.sampled_from(list(_paths(manifest))[1:]))
        if how == "deep":
            marker = "DEEP-MARKER"
            crafted = json.dumps(_replaced(manifest, path, marker))
            text = crafted.replace(f'"{marker}"', "[" * 100_000 + "]" * 100_000)
        else:
            new = data.draw(_HUGE if how == "huge" else _WRONG)
            text = json.dumps(_replaced(manifest, path, new))
        manifest_path.write_text(text)
    crafted = manifest_path.read_bytes()
    expected = expected_answers(cli, catalogue)
    for query, wanted in zip(QUERIES, expected, strict=True):
        restore(directory, snapshot)  # the same crafted cache for every command
        manifest_path.write_bytes(crafted)
        assert _answer(cli, catalogue, query) == wanted, query


def test_a_section_length_of_two_to_the_seventy_means_no_cache(
    cli: Cli, catalogue: Path, built: tuple[Path, Path]
) -> None:
    """A length no file can have (with CRCs to match) is refused, not read."""
    directory, _ = built
    expected = expected_answers(cli, catalogue)
    manifest_path = next(directory.glob("*.json"))
    manifest = json.loads(manifest_path.read_text())
    for name in ("records", "postings", "ids", "dates"):
        manifest["sections"][name][0] = 2**70
    manifest_path.write_text(json.dumps(manifest))
    assert_answers_as_without_cache(cli, catalogue, expected)


# --- item 9: text from a crafted cache -----------------------------------------------

_ESCAPE = "\x1b]52;c;cHduZWQ=\x07\x1b[31m"


@pytest.mark.parametrize("few", [0, 256])
def test_escapes_from_a_crafted_cache_never_reach_the_terminal(
    cli: Cli,
    catalogue: Path,
    built: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    few: int,
) -> None:
    """A cache whose CRCs match but whose ids, records and problems hold escapes: ids and
    warnings are printed escaped (or the cache is refused), never raw. Ids come from the
    ids section or from the records (up to ``few`` results)."""
    monkeypatch.setattr(cache, "_FEW", few)
    directory, _ = built
    manifest_path = next(directory.glob("*.json"))
    ids = next(directory.glob("*.ids"))
    ids.write_bytes(ids.read_bytes().replace(b"synthetic-000042", _ESCAPE.encode()))
    records = next(directory.glob("*.records"))
    escaped_id = json.dumps("\x1b[31m")  # as long as the id it replaces, quotes and all
    escaped_id = json.dumps("\x1b[31m" + "x" * (18 - len(escaped_id)))
    records.write_bytes(records.read_bytes().replace(b'"synthetic-000007"', escaped_id.encode()))
    reseal(directory)
    manifest = json.loads(manifest_path.read_text())
    manifest["problems"] = [[3, f"label{_ESCAPE}", f"message{_ESCAPE}", True]]
    manifest_path.write_text(json.dumps(manifest))
    for query in (
        ("list", "-f", "ids"),
        ("list", "-f", "tsv", "--columns", "id"),
        ("filter", "--text", "opioid", "-f", "ids"),
        ("show", "synthetic-000042"),
        ("list", "-f", "json"),
    ):
        result = cli(*query, "-c", str(catalogue))
        for stream in (result.out, result.err):
            assert "\x1b" not in stream and "\x07" not in stream, query


def test_a_link_target_is_never_raw() -> None:
    """The URL given to a terminal as a link target holds no control character."""
    import io

    from rich.console import Console

    from pubcli.output.render import publication_view

    record = {
        "id": "x",
        "title": "T",
        "type": "Letter",
        "date": None,
        "components": ["ICE"],
        "topics": [],
        "summary": "",
        "url": f"https://example.org/{_ESCAPE}",
    }
    buffer = io.StringIO()
    Console(file=buffer, force_terminal=True, width=100).print(publication_view(record))  # type: ignore[arg-type]
    shown = buffer.getvalue()
    assert "\x1b]52" not in shown and "\x07" not in shown


def test_the_id_characters_are_those_of_the_id_rule() -> None:
    """The cache's quick check of ids allows exactly the characters of ID_PATTERN."""
    allowed = {chr(c) for c in range(0x3000) if ID_PATTERN.fullmatch(chr(c))} | {"-"}
    assert allowed == set(cache._ID_CHARACTERS.decode())


@pytest.mark.parametrize(
    ("section", "crafted"),
    [
        ("removed", [10**6]),  # no such slot
        ("removed", [7, 3]),  # out of order
        ("removed", [-1]),
        ("taken_removed", b'["x"]\n["y",oops\n'),
    ],
)
def test_a_crafted_list_of_removed_entries_is_never_believed(
    cli: Cli, catalogue: Path, built: tuple[Path, Path], section: str, crafted: Any
) -> None:
    """After a remove served by the cache, a list of removed slots or taken lines whose
    CRCs match but which no remove could write: the cache is refused, every answer is
    the one --no-cache gives."""
    assert cli("remove", "synthetic-000042", "--yes", "-c", str(catalogue)).code == 0
    expected = [_answer(cli, catalogue, query, "--no-cache") for query in QUERIES]
    directory, _ = built
    manifest_path = next(directory.glob("*.json"))
    manifest = json.loads(manifest_path.read_text())
    assert "removed" in manifest["sections"]  # the remove was served by the cache
    data = crafted if isinstance(crafted, bytes) else struct.pack(f"{len(crafted)}i", *crafted)
    path = directory / f"{manifest_path.stem}.{manifest['generation']}.{section}"
    path.unlink(missing_ok=True)
    path.write_bytes(data)
    path.chmod(0o600)
    manifest["sections"][section] = [0, []]
    manifest_path.write_text(json.dumps(manifest))
    reseal(directory)
    assert_answers_as_without_cache(cli, catalogue, expected)
    result = cli("add", "--title", "Fresh", "--type", "T", "--component", "ICE",
                 "--id", "synthetic-000042", "-c", str(catalogue))  # fmt: skip
    assert (result.code, result.err) == (0, f"added synthetic-000042 to {catalogue}\n")


def test_a_manifest_nested_too_deep_to_read_is_no_cache_for_info_clear_or_a_proof(
    catalogue: Path, isolated: Path
) -> None:
    """A crafted manifest of arrays nested deeper than Python's JSON reader goes names
    no catalogue: ``cache info`` lists it and ``cache clear`` removes it (the remedy for
    a bad cache must not fail on one), and a reader that proved a racy cache leaves it
    as it is; never an internal error."""
    env = {"XDG_CACHE_HOME": str(isolated / ".cache")}
    directory = cache_dir(isolated)
    directory.mkdir(parents=True, mode=0o700)
    crafted = directory / f"{'ab' * 9}.json"
    crafted.write_bytes(b"[" * 200_000)
    crafted.chmod(0o600)
    info = run_process(["cache", "info", "-f", "json"], env=env)
    assert (info.returncode, info.stderr) == (0, b"")
    assert [item["catalogue"] for item in json.loads(info.stdout)["catalogues"]] == [None]
    cleared = run_process(["cache", "clear"], env=env)
    assert cleared.returncode == 0
    assert cleared.stderr.startswith(b"removed 1 cache (")
    assert not crafted.exists()
    assert run_process(["list", "-f", "ids", "-c", str(catalogue)], env=env).returncode == 0
    (manifest,) = directory.glob("*.json")
    writer = cache._Writer(directory, manifest.stem)
    manifest.write_bytes(b"[" * 200_000)
    writer.replace_manifest({"racy": True}, {"racy": False})
    assert manifest.read_bytes() == b"[" * 200_000
