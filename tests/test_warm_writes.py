"""Writes that keep the cache warm, attacked: what they leave must answer as a fresh parse
does, and what a write by the cache cannot record must cost a rebuild, never an answer."""

from __future__ import annotations

import contextlib
import datetime
import os
from pathlib import Path

import pytest

from pubcli.catalogue.changes import FieldChanges
from pubcli.errors import InvalidInputError
from pubcli.model import Publication
from pubcli.store import build as build_module
from pubcli.store import cache as cache_module
from pubcli.store.cache import CachedStore
from pubcli.store.memory import open_store
from pubcli.store.query import Criteria
from pubcli.store.updates import add_publications
from tests.conftest import entry
from tests.test_cache import (
    add_as_planned,
    cached,
    edit_as_planned,
    everything,
    fresh,
    remove_as_planned,
)


def no_rebuild(*arguments: object) -> None:
    raise AssertionError("the cache was rebuilt")


def forbid_rebuilds(patched: pytest.MonkeyPatch) -> None:
    """Whichever way the cache would be built from the whole file, fail instead."""
    patched.setattr(cache_module, "write_cache", no_rebuild)
    patched.setattr(build_module, "build_cache", no_rebuild)


def assert_answers_without_a_rebuild(path: Path, directory: Path, queries: list[Criteria]) -> None:
    """The next call answers from the cache as it is (no rebuild) as a fresh parse does."""
    with pytest.MonkeyPatch.context() as patched:
        forbid_rebuilds(patched)
        store = open_store(path, "c", directory)
        assert isinstance(store, CachedStore)
        assert everything(store, queries) == everything(fresh(path), queries)


def five_entries_cached(isolated: Path) -> tuple[Path, Path, str]:
    """A catalogue of five entries, its cache directory, and its key there."""
    path = isolated / "cat.toml"
    path.write_text("".join(entry(f"e{n}", f"Entry {n}") + "\n" for n in range(5)))
    directory = isolated / "cache"
    cached(path, directory)
    (manifest,) = directory.glob("*.json")
    return path, directory, manifest.name.removesuffix(".json")


def publication(id_: str, title: str) -> Publication:
    return Publication(
        id=id_, title=title, type="x", components=("ICE",), date=datetime.date(2020, 1, 1)
    )


def test_titles_edited_by_hand_in_entries_side_by_side_are_patched(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two neighbouring entries' titles changed by hand: their lines of the taken section
    are neighbours too (the newline between them is the end of one and the start of the
    other), and the cache is patched, not rebuilt; the old titles are free again, the new
    ones taken, as the whole-file plan says."""
    path = isolated / "cat.toml"
    blocks = [entry(f"e{n}", f"Entry {n}", date="2020-01-01") + "\n" for n in range(20)]
    path.write_text("".join(blocks), encoding="utf-8")
    directory = isolated / "cache"
    cached(path, directory)
    blocks[3] = entry("e3", "Three", date="2020-01-01") + "\n"
    blocks[4] = entry("e4", "Four", date="2020-01-01") + "\n"
    path.write_text("".join(blocks), encoding="utf-8")
    queries = [Criteria(), Criteria(texts=("three",)), Criteria(texts=("entry",))]
    with monkeypatch.context() as patched:
        forbid_rebuilds(patched)
        store = open_store(path, "c", directory)
        assert isinstance(store, CachedStore)
        assert everything(store, queries) == everything(fresh(path), queries)
        add_as_planned(path, directory, [publication("n1", "Entry 3")])
        for id_, title in [("n2", "Three"), ("n3", "four"), ("n4", "Entry 5")]:
            with pytest.raises(InvalidInputError):
                add_as_planned(path, directory, [publication(id_, title)])
        edit_as_planned(path, directory, ["e5"], FieldChanges(title="Entry 4"))


@pytest.mark.parametrize(
    ("change", "before", "after"),
    [
        ("edit", b'summary = "s"\r\n', None),  # the file's only CRLF goes with the summary
        ("hand", b'summary = "s"\r\n', b'summary = "s"\n'),
        ("hand", b'summary = "s"\n', b'summary = "s"\r\n'),  # the file's first CRLF
    ],
)
def test_the_newline_of_an_add_follows_an_edit_of_an_entry_in_the_middle(
    isolated: Path,
    monkeypatch: pytest.MonkeyPatch,
    change: str,
    before: bytes,
    after: bytes | None,
) -> None:
    """A file whose lines end with LF but one with CRLF (a contributor's editor): a
    warm edit or a hand edit of an entry in the middle that takes the only CRLF away, or
    adds the first one, changes the newline an add writes (a file with a CRLF anywhere
    gets CRLF), and the next add by the cache writes what the whole-file plan writes."""
    path = isolated / "cat.toml"
    blocks = [entry(f"e{n}", f"Entry {n}", date="2020-01-01") + "\n" for n in range(10)]
    blocks[4] = entry("e4", "Entry 4", date="2020-01-01", summary="s") + "\n"
    path.write_bytes("".join(blocks).encode("utf-8").replace(b'summary = "s"\n', before))
    directory = isolated / "cache"
    cached(path, directory)
    with monkeypatch.context() as patched:
        forbid_rebuilds(patched)
        if after is None:
            edit_as_planned(path, directory, ["e4"], FieldChanges(no_summary=True))
        else:
            path.write_bytes(path.read_bytes().replace(before, after))
            assert isinstance(open_store(path, "c", directory), CachedStore)  # patched
        assert (b"\r\n" in path.read_bytes()) == (b"\r\n" in (after or b""))
        add_as_planned(path, directory, [publication("new", "New")])


@pytest.mark.parametrize("write", ["edit", "remove"])
@pytest.mark.parametrize("failing", ["new sections", "new sections and rename", "manifest"])
def test_a_warm_write_whose_cache_cannot_be_recorded_leaves_no_cache_file(
    isolated: Path, monkeypatch: pytest.MonkeyPatch, write: str, failing: str
) -> None:
    """The cache directory full while a warm edit or remove makes the cache's new
    sections (with the catalogue's directory full too, or not), or writes the manifest
    that makes them the cache's: whether the write stands or fails, the cache's files are
    as they were (no new section left behind: the next write by the cache would be the
    first to remove it), and the next query answers as a fresh parse does."""
    from pubcli.errors import CatalogueError
    from pubcli.store.updates import edit_publications, remove_publications

    path = isolated / "cat.toml"
    path.write_text("".join(entry(f"e{n}", f"Entry {n}") for n in range(300)), encoding="utf-8")
    directory = isolated / "cache"
    cached(path, directory)
    cache_files = sorted(directory.rglob("*"))
    full = OSError(28, "No space left on device")
    real_create = cache_module._create_private
    created: list[Path] = []

    def create_private(file: Path) -> int:
        descriptor = real_create(file)
        created.append(file)
        if (failing == "manifest") == (file.suffix == ".tmp") and len(created) > 2:
            os.close(descriptor)
            raise full  # the file is there, nothing in it
        return descriptor

    def failing_replace(*arguments: object) -> None:
        raise full

    with monkeypatch.context() as patched:
        patched.setattr(cache_module, "_create_private", create_private)
        if failing == "new sections and rename":
            patched.setattr(cache_module.os, "replace", failing_replace)
        with (
            pytest.raises(CatalogueError, match="No space")
            if "rename" in failing
            else contextlib.nullcontext()
        ):
            if write == "edit":
                edit_publications(path, "c", ["e150"], FieldChanges(title="New"), directory)
            else:
                remove_publications(path, "c", ["e150", "e299"], directory)
        assert sorted(directory.rglob("*")) == cache_files
    queries = [Criteria(), Criteria(texts=("new",))]
    assert everything(open_store(path, "c", directory), queries) == everything(
        fresh(path), queries
    )


def craft_title(directory: Path, old: bytes, new: bytes) -> None:
    """Change a title in the cache's records, CRC-32s and all: a crafted cache, which only
    what it holds can tell from a sound one."""
    import json
    import zlib

    (manifest_path,) = directory.glob("*.json")
    manifest = json.loads(manifest_path.read_bytes())
    (records,) = directory.glob("*.records")
    data = records.read_bytes()
    assert data.count(old) == 1 and len(new) == len(old)  # the offsets stay right
    data = data.replace(old, new)
    records.unlink()
    records.write_bytes(data)
    records.chmod(0o600)
    chunks = range(0, len(data), cache_module.CHUNK)
    crcs = [zlib.crc32(data[at : at + cache_module.CHUNK]) for at in chunks]
    manifest["sections"]["records"] = [len(data), crcs]
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")


@pytest.mark.parametrize(
    "title", [b'"title":["Entr5"]', b'"title":{"a":"b"}', b'"title":123456789']
)
def test_a_crafted_record_is_no_cache_for_a_write_or_a_query(isolated: Path, title: bytes) -> None:
    """A record of the cache whose title is not text (its CRC-32s right): the warm edit
    that read it from the cache printed a thread's traceback (exit 0), and the next query
    was an internal error. A record not of a publication's shape is no cache: each
    answers as ``--no-cache`` does, with no traceback."""
    from pubcli.catalogue.changes import plan_edit
    from tests.conftest import run_process

    path = isolated / "data" / "publications.toml"
    path.parent.mkdir()
    path.write_text(
        "".join(entry(f"e{n}", f"Entry {n}", date="2020-01-01") for n in range(20)), "utf-8"
    )
    assert run_process(["list", "-f", "ids"], cwd=isolated).returncode == 0
    craft_title(isolated / ".cache" / "pubcli", b'"title":"Entry 5"', title)
    planned = plan_edit(path.read_bytes(), "c", ["e5"], FieldChanges(title="Five"))
    edited = run_process(["edit", "e5", "--title", "Five"], cwd=isolated)
    assert (edited.returncode, edited.stderr) == (0, b"edited e5\n")
    assert path.read_bytes() == planned.new
    craft_title(isolated / ".cache" / "pubcli", b'"title":"Entry 6"', title)
    for arguments in (["list", "-f", "json"], ["show", "e6"], ["filter", "--text", "entry"]):
        answer = run_process(arguments, cwd=isolated)
        expected = run_process([*arguments, "--no-cache"], cwd=isolated)
        assert (answer.returncode, answer.stdout, answer.stderr) == (
            expected.returncode,
            expected.stdout,
            expected.stderr,
        )


def test_a_bug_while_the_cache_is_made_beside_a_write_is_reported_as_pubcli_reports_one(
    isolated: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """What making the cache's new sections raises beyond what a cache that cannot serve
    raises (a bug) reaches pubcli's one line for an internal error, as it did when the
    cache was patched after the write (not a thread's traceback, and exit 0)."""
    from pubcli.cli.main import main

    path = isolated / "data" / "publications.toml"
    path.parent.mkdir()
    path.write_text("".join(entry(f"e{n}", f"Entry {n}") for n in range(20)), "utf-8")
    assert main(["list", "-f", "ids"]) == 0

    def bug(*arguments: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(cache_module.CachedStore, "replace", bug)
    capsys.readouterr()
    assert main(["edit", "e5", "--title", "Five"]) == 3
    assert capsys.readouterr().err.startswith("error: internal error (RuntimeError: a bug)")


def test_an_entry_removed_and_added_again_is_edited_by_the_cache(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An entry removed by mistake and added again as it was (its id, title and date):
    the taken section holds its line twice (the removed entry's is kept, listed apart),
    and an edit of it, or a hand edit, is recorded by the cache, not left to a rebuild;
    the old title is free again, the new one taken."""
    path = isolated / "cat.toml"
    path.write_text(
        "".join(entry(f"e{n}", f"Entry {n}", date="2020-01-01") for n in range(30)), "utf-8"
    )
    directory = isolated / "cache"
    cached(path, directory)
    queries = [Criteria(), Criteria(texts=("five",))]
    with monkeypatch.context() as patched:
        forbid_rebuilds(patched)
        remove_as_planned(path, directory, ["e5"])
        add_as_planned(path, directory, [publication("e5", "Entry 5")])
        edit_as_planned(path, directory, ["e5"], FieldChanges(title="Entry five"))
        store = open_store(path, "c", directory)
        assert everything(store, queries) == everything(fresh(path), queries)
        add_as_planned(path, directory, [publication("n1", "Entry 5")])
        with pytest.raises(InvalidInputError):
            add_as_planned(path, directory, [publication("n2", "entry FIVE")])
        remove_as_planned(path, directory, ["n1"])
        add_as_planned(path, directory, [publication("n1", "Entry 5")])
        path.write_bytes(path.read_bytes().replace(b'"Entry 5"', b'"Entry 5 by hand"'))
        store = open_store(path, "c", directory)
        assert everything(store, queries) == everything(fresh(path), queries)
        add_as_planned(path, directory, [publication("n3", "Entry 5")])


@pytest.mark.parametrize(
    "write",
    [
        ["edit", "e5", "--title", "Five"],
        ["remove", "e5", "--yes"],
        ["add", "--id", "new", "--title", "New", "--type", "Statement", "--component", "ICE"],
    ],
)
def test_a_bug_in_the_proof_of_a_racy_cache_writes_nothing(
    isolated: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    write: list[str],
) -> None:
    """A cache too recent to be trusted by the file's stamp is proved by CRC-32 while the
    file is copied; a proof that fails otherwise than by a mismatch (a bug) proves
    nothing: the write stops before the rename with pubcli's one line for an internal
    error, the file as it was (it went on, on the unproved cache's word, exit 0)."""
    import json

    from pubcli.cli.main import main

    path = isolated / "data" / "publications.toml"
    path.parent.mkdir()
    path.write_text("".join(entry(f"e{n}", f"Entry {n}") for n in range(20)), "utf-8")
    assert main(["list", "-f", "ids"]) == 0
    (manifest_path,) = (isolated / ".cache" / "pubcli").glob("*.json")
    manifest = json.loads(manifest_path.read_bytes())
    manifest_path.write_text(json.dumps({**manifest, "racy": True}), "utf-8")
    before = path.read_bytes()

    def bug(*arguments: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(cache_module.CacheForWrite, "prove_file", bug)
    capsys.readouterr()
    assert main(write) == 3
    assert capsys.readouterr().err.startswith("error: internal error (RuntimeError: a bug)")
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["publications.toml"]


def test_an_edit_as_asked_already_needs_no_temporary_file(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The warm edit begins its copy before it knows whether there is anything to write:
    when no temporary file can be made (a full disk, a directory that refuses one), an
    edit to what the entry already holds still succeeds and writes nothing, as the whole
    file's plan decides, and one that changes something fails in one error."""
    import tempfile

    from pubcli.errors import CatalogueError
    from pubcli.store.updates import edit_publications

    path = isolated / "cat.toml"
    path.write_text("".join(entry(f"e{n}", f"Entry {n}") + "\n" for n in range(5)))
    directory = isolated / "cache"
    cached(path, directory)
    before = path.read_bytes()

    def refused(*arguments: object, **options: object) -> tuple[int, str]:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tempfile, "mkstemp", refused)
    done = edit_publications(path, "c", ["e2"], FieldChanges(title="Entry 2"), directory)
    assert done.changed == ["e2"]
    assert done.publications[0].title == "Entry 2"
    with pytest.raises(CatalogueError, match="cannot write c: No space left on device"):
        edit_publications(path, "c", ["e2"], FieldChanges(title="Other"), directory)
    assert path.read_bytes() == before


def test_a_cache_built_while_another_is_built_is_whole(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two cold calls at once (two terminals, after a change the cache cannot patch):
    the one that ends first must not remove the files the other is still writing, or the
    other's cache names missing files and the next call builds the whole cache again."""
    from pubcli.store.text_index import IndexBuilder

    path = isolated / "cat.toml"
    path.write_text("".join(entry(f"e{n}", f"Entry {n}") + "\n" for n in range(30)))
    directory = isolated / "cache"
    add = IndexBuilder.add
    others: list[object] = []

    def add_while_another_builds(self: IndexBuilder, entries: object) -> None:
        add(self, entries)  # type: ignore[arg-type]
        if not others:  # the other call builds and keeps its cache meanwhile
            others.append(None)
            others.append(open_store(path, "c", directory))

    monkeypatch.setattr(IndexBuilder, "add", add_while_another_builds)
    open_store(path, "c", directory)
    assert isinstance(others[-1], CachedStore)
    monkeypatch.undo()
    assert_answers_without_a_rebuild(path, directory, [Criteria(), Criteria(texts=("entry",))])


def test_proving_a_racy_cache_never_brings_back_an_older_one(isolated: Path) -> None:
    """A reader that proved a racy cache marks it clean: if a writer replaced the cache
    meanwhile, the reader's older manifest must not replace the writer's (it names a
    file that is no longer there, and files the writer's cache no longer keeps)."""
    import time

    from pubcli.store.updates import edit_publications

    path = isolated / "cat.toml"
    path.write_text("".join(entry(f"e{n}", f"Entry {n}") + "\n" for n in range(30)))
    directory = isolated / "cache"
    cached(path, directory)
    reader = cache_module.open_cached(
        directory, path.resolve(), os.stat(path), "c", check_racy=False
    )
    edit_publications(path, "c", ["e3"], FieldChanges(title="Three"), directory)
    reader.settle(os.stat(path), time.time_ns() + 10**10)
    assert_answers_without_a_rebuild(path, directory, [Criteria(), Criteria(texts=("three",))])


def test_a_generation_whose_maker_was_killed_is_removed_by_the_next_write(
    isolated: Path,
) -> None:
    """A process killed while it made a generation leaves its files and its marker, no
    longer held: the next write of the cache removes them (a held one it leaves)."""
    path, directory, key = five_entries_cached(isolated)
    left = [directory / f"{key}.{'ab' * 8}.{name}" for name in ("records", "pending")]
    for file in left:
        file.write_bytes(b"x")
        file.chmod(0o600)
    held = cache_module._Writer(directory, key).claim()
    add_as_planned(path, directory, [publication("n1", "New")])
    assert not any(file.exists() for file in left)
    assert all(directory.joinpath(f"{key}.{name}.pending").exists() for name in held.names)
    held.release()
    assert not list(directory.glob("*.pending"))


def test_a_manifest_a_killed_writer_left_half_written_is_removed_by_the_next_write(
    isolated: Path,
) -> None:
    """A process killed while it wrote a manifest leaves its temporary file (nothing else
    names it): the next write of the cache, under the cache directory's lock that every
    manifest is written under, removes it; no later write would."""
    path, directory, key = five_entries_cached(isolated)
    left = directory / f".{key}.{'cd' * 8}.tmp"
    left.write_bytes(b'{"generation": ')
    left.chmod(0o600)
    other = directory / f".{'0' * 18}.{'cd' * 8}.tmp"  # another catalogue's: not this one's
    other.write_bytes(b"{")
    other.chmod(0o600)
    add_as_planned(path, directory, [publication("n1", "New")])
    assert not left.exists()
    assert other.exists()


def test_a_warm_add_whose_manifest_cannot_be_made_gives_its_claim_up(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the new manifest of an add cannot be made after its sections were written
    (a bug or a crafted value), the add stands and its generation is given up at once:
    no marker stays held by this process (a long-lived caller of the API would keep its
    files from every other process's cleanup, and one descriptor per failure)."""
    path = isolated / "cat.toml"
    path.write_text("".join(entry(f"e{n}", f"Entry {n}") + "\n" for n in range(5)))
    directory = isolated / "cache"
    cached(path, directory)
    before = sorted(directory.iterdir())

    def failing(*arguments: object) -> None:
        raise TypeError("a crafted count")

    monkeypatch.setattr(cache_module, "_facet_counts", failing)
    add_publications(path, "c", [publication("n1", "New")], directory)
    assert b'id = "n1"' in path.read_bytes()
    assert sorted(directory.iterdir()) == before


def test_a_cache_directory_lock_held_for_long_stops_no_write(isolated: Path) -> None:
    """The cache directory's lock is held for milliseconds; a pubcli stopped while it
    holds it (Ctrl-Z) must not stop other writes: they wait a moment, then write the
    cache without it, and answer as a fresh parse does."""
    import fcntl
    import threading
    import time

    path = isolated / "cat.toml"
    path.write_text("".join(entry(f"e{n}", f"Entry {n}") + "\n" for n in range(5)))
    directory = isolated / "cache"
    cached(path, directory)
    holder = os.open(directory, os.O_RDONLY)
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        started = time.monotonic()
        adding = threading.Thread(
            target=add_as_planned, args=(path, directory, [publication("n1", "New")])
        )
        adding.start()
        adding.join(timeout=30)
        assert not adding.is_alive()
        assert time.monotonic() - started >= cache_module._LOCK_WAIT
    finally:
        os.close(holder)
    assert_answers_without_a_rebuild(path, directory, [Criteria(), Criteria(texts=("new",))])


@pytest.mark.parametrize("hand", ["append", "title"])
@pytest.mark.parametrize("write", ["edit", "remove", "add"])
def test_the_first_write_after_a_hand_edit_patches_the_cache_first(
    isolated: Path, monkeypatch: pytest.MonkeyPatch, hand: str, write: str
) -> None:
    """Blocks appended by hand, or a title changed in place, and then a write before any
    query: the write patches the cache as a query would (costing what changed) and is
    served by it, never a whole parse and a rebuild; its bytes are the whole-file plan's."""
    path = isolated / "cat.toml"
    blocks = [entry(f"e{n}", f"Entry {n}", date="2020-01-01") + "\n" for n in range(20)]
    path.write_text("".join(blocks), encoding="utf-8")
    directory = isolated / "cache"
    cached(path, directory)
    if hand == "append":
        with path.open("a", encoding="utf-8") as file:
            file.write("\n" + entry("h1", "By hand", date="2021-01-01") + "\n")
    else:
        blocks[7] = entry("e7", "Seven by hand", date="2020-01-01") + "\n"
        path.write_text("".join(blocks), encoding="utf-8")
    with monkeypatch.context() as patched:
        forbid_rebuilds(patched)
        if write == "edit":
            edit_as_planned(path, directory, ["e3"], FieldChanges(title="Three"))
        elif write == "remove":
            remove_as_planned(path, directory, ["e12"])
        else:
            add_as_planned(path, directory, [publication("n1", "New")])
    assert_answers_without_a_rebuild(path, directory, [Criteria(), Criteria(texts=("hand",))])
