"""The cache never changes a result: fresh, stale, racy, damaged or switched off."""

from __future__ import annotations

import contextlib
import datetime
import functools
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pubcli.catalogue.changes import FieldChanges, plan_edit, plan_remove
from pubcli.catalogue.loader import load_catalogue
from pubcli.errors import InvalidInputError
from pubcli.model import Publication
from pubcli.store import build as build_module
from pubcli.store import cache as cache_module
from pubcli.store.cache import CachedStore, open_cached
from pubcli.store.lookup import find_ids
from pubcli.store.memory import MemoryStore, Store, open_store
from pubcli.store.query import SORT_KEYS, Criteria
from pubcli.store.search import FIELDS, QuerySyntaxError, Term, fold
from pubcli.store.stats import FACETS
from pubcli.store.updates import (
    add_publications,
    edit_publications,
    plan_add,
    remove_publications,
)
from tests.conftest import Outcome, entry, run_process
from tests.conftest import publications as publication_strategy

Cli = Callable[..., Outcome]


def answers(store: Store, criteria: Criteria) -> list[tuple[str, list[str], list[Publication]]]:
    """Everything a query can ask of a store, for every sort order."""
    selected = store.select(criteria)
    results = []
    for key in SORT_KEYS:
        for reverse in (False, True):
            ordered = store.order(selected, key, reverse=reverse)
            results.append((key, store.ids(ordered), store.publications(ordered)))
    return results


def fresh(path: Path) -> MemoryStore:
    return MemoryStore(load_catalogue(path, "c"))


def cached(path: Path, directory: Path) -> Store:
    store = open_store(path, "c", directory)
    if not isinstance(store, CachedStore):  # first call: parsed, cache written
        store = open_store(path, "c", directory)
    assert isinstance(store, CachedStore)
    return store


def write(path: Path, publications: list[Publication], schema_version: int | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# random\n", encoding="utf-8")
    if publications:
        add_publications(path, "c", publications)
    if schema_version is not None:  # after the adds: add never writes a newer version
        path.write_text(f"schema_version = {schema_version}\n" + path.read_text("utf-8"), "utf-8")


# Queries in the grammar of --text (search.py): mostly well formed, some not (left out).
query_words = st.sampled_from(
    ["a", "b", "é", "e\u0301", "ß", "SS", "1", "ice", "E-1", "x:a", "c", "ab", "B A"]
    + ["entry 3", "storm", "y 3", "report", "été"]
)
query_terms = st.builds(
    lambda negated, field, words, quoted: (
        ("-" if negated else "") + field + (f'"{words}"' if quoted else words.split()[0])
    ),
    st.booleans(),
    st.sampled_from(["", "", "title:", "summary:", "id:", "type:", "component:", "topic:"]),
    st.lists(query_words, min_size=1, max_size=3).map("  ".join),
    st.booleans(),
)
queries = st.lists(
    st.tuples(query_terms, st.sampled_from([" ", " ", " OR ", "\t"])), max_size=4
).map(lambda pairs: "".join(term + joint for term, joint in pairs).removesuffix(" OR "))
queries |= st.lists(st.sampled_from(['"', "-", "OR", "a", " ", "title:"]), max_size=5).map("".join)


def _criteria(texts: tuple[str, ...], **others: Any) -> Criteria | None:
    try:
        return Criteria(texts=texts, **others)
    except QuerySyntaxError:
        return None


criteria_strategy = st.builds(
    _criteria,
    types=st.lists(st.sampled_from(["x", "A", "Letter"]), max_size=2).map(tuple),
    components=st.lists(st.sampled_from(["ICE", "b", "é"]), max_size=2).map(tuple),
    topics=st.lists(st.sampled_from(["a", "B"]), max_size=1).map(tuple),
    texts=st.lists(queries, max_size=2).map(tuple),
    since=st.none() | st.dates(datetime.date(1950, 1, 1), datetime.date(2050, 1, 1)),
    until=st.none() | st.dates(datetime.date(1950, 1, 1), datetime.date(2100, 1, 1)),
).filter(lambda criteria: criteria is not None)
small_text = st.text(alphabet="abcé ßE-1AB\u0301", min_size=1, max_size=10).filter(str.strip)
catalogue_strategy = st.lists(
    st.builds(
        lambda p, title, type_, comps, topics, summary: Publication(
            id=p.id,
            title=title,
            type=type_,
            date=p.date,
            components=comps,
            topics=topics,
            summary=summary,
            url=p.url,
        ),  # fmt: skip
        publication_strategy,
        small_text,
        st.sampled_from(["x", "A", "letter"]),
        st.lists(st.sampled_from(["ICE", "b", "é", "b  a"]), min_size=1, max_size=2).map(tuple),
        st.lists(st.sampled_from(["a", "B", "ab c"]), max_size=2).map(tuple),
        st.text(alphabet="abcé ßE-1\n\t", max_size=20),
    ),
    max_size=12,
    unique_by=(lambda p: p.id, lambda p: (" ".join(fold(p.title).split()), p.date)),
)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    catalogue_strategy,
    st.lists(criteria_strategy, min_size=1, max_size=3),
    st.sampled_from([None, 1, 2, 7]),
)
def test_cached_answers_equal_fresh_ones(
    isolated: Path, items: list[Publication], queries: list[Criteria], version: int | None
) -> None:
    """For random catalogues and queries, the cache answers exactly as a fresh parse."""
    path = isolated / "random" / "cat.toml"
    write(path, items, version)
    store = cached(path, isolated / "cache")
    assert len(store) == len(items)
    assert store.newer_schema == fresh(path).newer_schema == (version if version != 1 else None)
    for criteria in queries:
        assert answers(store, criteria) == answers(fresh(path), criteria)
        assert store.select(criteria) == plain_scan(items, criteria)
        # The index answers every clause when no few entries are checked one by one.
        with mock.patch.object(cache_module, "_FEW", 0):
            assert cached(path, isolated / "cache").select(criteria) == plain_scan(items, criteria)


def _holds(term: Term, publication: Publication) -> bool:
    """A term read straight from the grammar's definition, field by field."""
    values = {
        "id": [publication.id],
        "title": [publication.title],
        "type": [publication.type],
        "summary": [publication.summary],
        "component": list(publication.components),
        "topic": list(publication.topics),
    }
    searched = FIELDS if term.field is None else [FIELDS[term.field]]
    return any(
        term.needle in " ".join(fold(value).split()) for name in searched for value in values[name]
    )


def plain_scan(items: list[Publication], criteria: Criteria) -> list[int]:
    """The entries a --text query selects, one by one, with no index and no store (the
    other criteria by the store's own matcher)."""
    others = criteria._replace(texts=(), queries=()).matcher()
    return [
        index
        for index, publication in enumerate(items)
        if others(publication)
        and (
            not criteria.queries
            or any(
                all(any(_holds(t, publication) != t.negated for t in clause) for clause in query)
                for query in criteria.queries
            )
        )
    ]


typed_ids = st.text(alphabet="abcé ßE-1x", max_size=10)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(catalogue_strategy, st.lists(typed_ids | st.sampled_from(["a", "b-", "1"]), max_size=4))
def test_ids_and_suggestions_are_alike_from_cache_and_memory(
    isolated: Path, items: list[Publication], wanted: list[str]
) -> None:
    """show's lookup (full ids, prefixes, the closest ids of a miss, by words of ids and
    titles, start and spelling) answers from the cache exactly as from a fresh parse."""
    path = isolated / "typed" / "cat.toml"
    write(path, items)
    wanted = [*wanted, *(p.id for p in items[:2]), *(p.title for p in items[:2])]
    assert find_ids(cached(path, isolated / "cache"), wanted) == find_ids(fresh(path), wanted)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(catalogue_strategy, catalogue_strategy, criteria_strategy)
def test_answers_stay_equal_after_an_add(
    isolated: Path, first: list[Publication], second: list[Publication], criteria: Criteria
) -> None:
    """An add extends the cache in place; it still answers as a fresh parse does."""
    ids = {p.id for p in first}
    keys = {(" ".join(fold(p.title).split()), p.date) for p in first}
    second = [
        p for p in second
        if p.id not in ids and (" ".join(fold(p.title).split()), p.date) not in keys
    ]  # fmt: skip
    path = isolated / "grow" / "cat.toml"
    directory = isolated / "cache"
    write(path, first)
    cached(path, directory)
    if second:
        add_publications(path, "c", second, directory)
    store = open_store(path, "c", directory)
    assert isinstance(store, CachedStore)  # the add kept it warm
    assert answers(store, criteria) == answers(fresh(path), criteria)
    assert store.select(criteria) == plain_scan(first + second, criteria)
    with mock.patch.object(cache_module, "_FEW", 0):
        assert store.select(criteria) == plain_scan(first + second, criteria)


def test_an_edit_by_hand_is_seen_even_with_the_same_size_and_mtime(isolated: Path) -> None:
    """A racily clean cache is checked by content: a same-size edit is not missed."""
    path = isolated / "cat.toml"
    path.write_text(entry("a", "Alpha"), encoding="utf-8")
    directory = isolated / "cache"
    assert open_store(path, "c", directory).ids([0]) == ["a"]
    before = path.stat()
    with open(path, "r+b") as file:  # in place: same inode, same size
        file.write(path.read_bytes().replace(b'"a"', b'"b"'))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert open_store(path, "c", directory).ids([0]) == ["b"]


def test_a_stale_cache_is_rebuilt(isolated: Path) -> None:
    """A changed file is parsed again, and the cache follows it."""
    path = isolated / "cat.toml"
    directory = isolated / "cache"
    path.write_text(entry("a", "Alpha"), encoding="utf-8")
    cached(path, directory)
    path.write_text(entry("a", "Alpha") + entry("b", "Beta"), encoding="utf-8")
    assert open_store(path, "c", directory).all_ids() == ["a", "b"]
    assert cached(path, directory).all_ids() == ["a", "b"]


def damage(directory: Path, how: str) -> None:
    for item in sorted(directory.iterdir()):
        if how == "garbage manifest" and item.suffix == ".json":
            item.write_bytes(b"\x00not json")
        elif how == "truncated" and item.name.endswith(".ids"):
            item.write_bytes(item.read_bytes()[:-3])
        elif how == "flipped byte" and item.name.endswith(".dates"):
            data = bytearray(item.read_bytes())
            data[0] ^= 0xFF
            item.write_bytes(bytes(data))
        elif how == "deleted" and item.name.endswith(".records"):
            item.unlink()
        elif how == "other version" and item.suffix == ".json":
            item.write_text(item.read_text().replace('"format": ', '"format": 9'))


@pytest.mark.parametrize(
    "how", ["garbage manifest", "truncated", "flipped byte", "deleted", "other version"]
)
def test_a_damaged_cache_is_ignored_and_rebuilt(
    cli: Cli, make_catalogue: Callable[..., Path], isolated: Path, how: str
) -> None:
    """Whatever happened to the cache files, the answer is right and nothing is reported."""
    make_catalogue(
        entry("a", "Alpha", date="2019-01-01"), entry("b", "Beta opioid", date="2020-01-01")
    )
    expected = cli("list", "--no-cache", "-f", "json").out
    assert cli("list", "-f", "json").out == expected  # builds the cache
    damage(isolated / ".cache" / "pubcli", how)
    for arguments in (("list", "-f", "json"), ("filter", "--since", "2019", "-f", "json")):
        result = cli(*arguments)
        assert (result.code, result.out, result.err) == (0, expected, "")
    assert cli("filter", "--text", "opioid", "-f", "ids").out == "b\n"


def test_no_cache_option_and_variable_write_nothing(
    cli: Cli, make_catalogue: Callable[..., Path], isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--no-cache and PUBCLI_NO_CACHE=1 leave the cache directory alone."""
    make_catalogue(entry("a", "Alpha"))
    assert cli("list").code == 0
    assert (isolated / ".cache").exists()  # the cache is on by default
    import shutil

    shutil.rmtree(isolated / ".cache")
    assert cli("list", "--no-cache").code == 0
    monkeypatch.setenv("PUBCLI_NO_CACHE", "1")
    assert cli("list").code == 0
    assert cli("add", "--title", "New", "--type", "T", "--component", "X").code == 0
    assert not (isolated / ".cache").exists()


def test_an_unusable_cache_location_is_not_an_error(
    cli: Cli, make_catalogue: Callable[..., Path], isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cache home that is a file: answers as usual, no message."""
    make_catalogue(entry("a", "Alpha"))
    (isolated / "not-a-dir").write_text("x")
    monkeypatch.setenv("XDG_CACHE_HOME", str(isolated / "not-a-dir"))
    result = cli("list", "-f", "ids")
    assert (result.code, result.out, result.err) == (0, "a\n", "")


def test_the_cache_follows_home_when_xdg_is_unset(
    make_catalogue: Callable[..., Path], isolated: Path
) -> None:
    """~/.cache/pubcli is used when XDG_CACHE_HOME is not set (for a catalogue big enough
    to be worth caching)."""
    from bench.synth import catalogue_text

    make_catalogue(catalogue_text(200))
    home = isolated / "home"
    home.mkdir()
    env = {"HOME": str(home), "XDG_CACHE_HOME": ""}
    assert run_process(["list"], cwd=isolated, env=env).returncode == 0
    assert any((home / ".cache" / "pubcli").glob("*.json"))


def test_warnings_come_from_the_cache_too(cli: Cli, make_catalogue: Callable[..., Path]) -> None:
    """Skipped entries are reported the same way on a warm call."""
    make_catalogue(entry("good", "Good"), entry("bad", " "))
    first = cli("list", "-f", "ids")
    second = cli("list", "-f", "ids")
    assert first.err == second.err != ""
    assert first.out == second.out == "good\n"


def test_open_cached_refuses_a_cache_of_another_file(isolated: Path) -> None:
    """The manifest names its catalogue; a different file never uses it."""
    from pubcli.store.cache import CacheInvalidError

    one = isolated / "one.toml"
    one.write_text(entry("a", "A"), encoding="utf-8")
    cached(one, isolated / "cache")
    two = isolated / "two.toml"
    two.write_text(entry("b", "B"), encoding="utf-8")
    with pytest.raises(CacheInvalidError):
        open_cached(isolated / "cache", two.resolve(), two.stat(), "c")


def test_the_smallest_catalogue_is_cached_and_no_cache_writes_none(
    cli: Cli, make_catalogue: Callable[..., Path], isolated: Path
) -> None:
    """A one-entry catalogue gets a cache too; --no-cache neither reads nor writes one."""
    make_catalogue(entry("a", "Alpha"))
    assert cli("list", "-f", "ids", "--no-cache").out == "a\n"
    assert cli("add", "--title", "New", "--type", "T", "--component", "X", "--no-cache").code == 0
    assert not (isolated / ".cache").exists()
    assert cli("list", "-f", "ids").out == "a\nnew\n"
    assert any((isolated / ".cache" / "pubcli").glob("*.json"))


def test_add_refuses_a_title_and_date_of_an_invalid_entry_with_the_cache_too(
    cli: Cli, make_catalogue: Callable[..., Path]
) -> None:
    """An invalid entry's multi-line title still takes its title and date, cached or not."""
    from bench.synth import catalogue_text

    storm = '[[publications]]\nid = "storm"\ntitle = """Storm\nReport"""\ndate = 2020-01-01\n'
    path = make_catalogue(catalogue_text(300), storm)
    assert path.stat().st_size >= 64 * 1024
    assert cli("list", "-f", "ids").code == 0  # builds the cache
    flags = ("--title", "Storm Report", "--date", "2020-01-01", "--type", "Report")
    expected = (
        "error: 'storm-report': the same title and date are already in the catalogue as 'storm'\n"
    )
    for no_cache in ((), ("--no-cache",)):
        result = cli("add", *flags, "--component", "ICE", *no_cache)
        assert (result.code, result.err) == (2, expected)


def test_facet_values_rank_alike_from_memory_and_cache(isolated: Path) -> None:
    """Values differing only in case are one value, ranked by count, in both stores."""
    path = isolated / "cat.toml"
    blocks = [entry(f"e{n}", f"E{n}", components=(c,)) for n, c in enumerate("Abbaa")]
    path.write_text("".join(blocks), encoding="utf-8")
    store = cached(path, isolated / "cache")
    assert fresh(path).facet_values("component") == ["A", "b"]
    assert store.facet_values("component") == ["A", "b"]


# Random catalogues with invalid entries: ids and titles from small pools so that they
# collide, titles with a newline or NUL, datetimes for dates, facets differing in case.
raw_entry_strategy = st.fixed_dictionaries(
    {
        "id_": st.sampled_from(["a", "b", "c-1", "d", "Bad Id"]),
        "title": st.sampled_from(
            ["Storm Report", "storm  REPORT", "Storm\nReport", "Fire", "nul\x00x", "Été", " "]
        ),  # fmt: skip
        "type_": st.sampled_from(["x", "X", "Letter"]),
        "date": st.sampled_from([None, "2020-01-01", "2020-01-01T10:00:00", "2021-05-05"]),
        "components": st.lists(st.sampled_from(["ICE", "ice", "b", "B", "é", "É"]), max_size=2),
        "topics": st.lists(st.sampled_from(["a", "A", "Fire"]), max_size=2),
        "summary": st.sampled_from([None, "", "fire\nstorm", "x\x00y"]),
    }
)
new_publication_strategy = st.builds(
    Publication,
    id=st.sampled_from(["a", "b", "c-1", "new", "newer"]),
    title=st.sampled_from(["Storm Report", "STORM report", "Fire", "nul x", "Fresh"]),
    type=st.sampled_from(["x", "X", "Letter"]),
    date=st.sampled_from([None, datetime.date(2020, 1, 1), datetime.date(2021, 5, 5)]),
    components=st.lists(st.sampled_from(["ICE", "ice", "b", "É"]), min_size=1, max_size=2).map(
        tuple
    ),
    topics=st.lists(st.sampled_from(["a", "A", "Fire"]), max_size=2).map(tuple),
)


def everything(store: Store, queries: list[Criteria]) -> list[object]:
    """Every answer of the ``Store`` protocol, for every query, sort order and facet."""
    every = range(len(store))
    results: list[object] = [list(store.problems), len(store), store.all_ids()]
    results.append(store.newer_schema)
    results += [store.ids(every), store.records(every), store.publications(every)]
    results += [store.facet_values(facet) for facet in FACETS]
    for criteria in queries:
        selected = store.select(criteria)
        results.append(selected)
        for key in SORT_KEYS:
            for reverse in (False, True):
                ordered = store.order(selected, key, reverse=reverse)
                results += [ordered, store.ids(ordered), store.records(ordered)]
    return results


def add_verdict(path: Path, new: list[Publication], directory: Path | None) -> list[str]:
    """The problems of an add, or when it was done the notes of the spellings it adopted
    from the catalogue (the store's facets: cached or parsed)."""
    try:
        added = add_publications(path, "c", new, directory)
    except InvalidInputError as error:
        return error.problems
    return added.notes


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(raw_entry_strategy, max_size=10),
    st.lists(new_publication_strategy, min_size=1, max_size=3),
    st.lists(criteria_strategy, min_size=1, max_size=2),
)
def test_invalid_entries_change_no_answer_and_no_verdict_of_add(
    isolated: Path, raws: list[dict[str, Any]], new: list[Publication], queries: list[Criteria]
) -> None:
    """With invalid, duplicate and case-differing entries in the file, the cached store
    answers every question as a fresh parse, and add gives the same verdict, adopts the
    same spellings and writes the same file with the cache as without it; after the add,
    the answers are still equal."""
    text = "# random\n" + "\n".join(entry(**raw) for raw in raws)
    with_cache, without = isolated / "one" / "cat.toml", isolated / "two" / "cat.toml"
    for path in (with_cache, without):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    directory = isolated / "cache"
    assert everything(cached(with_cache, directory), queries) == everything(
        fresh(without), queries
    )
    verdict = add_verdict(with_cache, new, directory)
    assert verdict == add_verdict(without, new, None)
    assert with_cache.read_bytes() == without.read_bytes()
    assert everything(cached(with_cache, directory), queries) == everything(
        fresh(without), queries
    )


@pytest.mark.parametrize("no_cache", [(), ("--no-cache",)])
def test_an_existing_id_in_a_message_is_shown_escaped(
    cli: Cli, make_catalogue: Callable[..., Path], no_cache: tuple[str, ...]
) -> None:
    """An invalid entry's id may hold an escape: add names it visibly escaped."""
    make_catalogue(entry("x\x1by", "Taken", date="2020-01-01"), entry("ok", "Fine"))
    assert cli("list", "-f", "ids").code == 0  # builds the cache
    flags = ("--title", "TAKEN", "--date", "2020-01-01", "--type", "T", "--component", "X")
    result = cli("add", *flags, *no_cache)
    assert (result.code, result.err) == (
        2,
        "error: 'taken': the same title and date are already in the catalogue as 'x\\x1by'\n",
    )


# --- hand edits: every answer after each edit of a random sequence ---------------------

_BROKEN_BLOCK = '[[publications]]\nid = "broken\n'
block_strategy = st.one_of(
    raw_entry_strategy.map(lambda raw: entry(**raw)),
    st.just(_BROKEN_BLOCK),
    st.just("# a comment between blocks\n"),
)
hand_edit_strategy = st.one_of(
    st.tuples(st.just("append"), block_strategy, st.sampled_from(["", "\n", "\r\n"])),
    st.tuples(st.just("insert"), st.integers(0, 20), block_strategy),
    st.tuples(st.just("change"), st.integers(0, 20), block_strategy),
    st.tuples(st.just("delete"), st.integers(0, 20)),
    st.tuples(st.just("swap"), st.integers(0, 20), st.integers(0, 20)),
)


def outcome(make_store: Callable[[], Store], queries: list[Criteria]) -> object:
    """Every answer of the store, or the error the file gives instead."""
    from pubcli.errors import CatalogueError

    try:
        return everything(make_store(), queries)
    except CatalogueError as error:
        return ("error", str(error))


def edit_by_hand(path: Path, blocks: list[str], edit: tuple[Any, ...]) -> None:
    """Apply ``edit`` to ``blocks`` and to the file: an append adds bytes at the end of
    the file as an editor's "append" does; every other edit writes the file anew."""
    kind = edit[0]
    if kind == "append":
        _, block, before = edit
        blocks.append(before + block)
        with open(path, "ab") as file:
            file.write((before + block).encode("utf-8"))
        return
    position = edit[1] % (len(blocks) + 1)
    if kind == "insert":
        blocks.insert(position, edit[2])
    elif blocks and kind == "change":
        blocks[position % len(blocks)] = edit[2]
    elif blocks and kind == "delete":
        del blocks[position % len(blocks)]
    elif blocks and kind == "swap":
        other = edit[2] % len(blocks)
        position %= len(blocks)
        blocks[position], blocks[other] = blocks[other], blocks[position]
    path.write_bytes(("# random\n" + "".join(blocks)).encode("utf-8"))


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(raw_entry_strategy, max_size=6),
    st.lists(hand_edit_strategy, min_size=1, max_size=8),
    st.lists(criteria_strategy, min_size=1, max_size=2),
)
def test_answers_stay_equal_through_hand_edits(
    isolated: Path,
    raws: list[dict[str, Any]],
    edits: list[tuple[Any, ...]],
    queries: list[Criteria],
) -> None:
    """Through random hand edits of the file (blocks appended, inserted, changed,
    deleted, swapped; a broken block appended and later fixed or removed), the store the
    next call opens answers every question as a fresh parse does: problems with their
    line numbers (duplicates naming where an id was first used) included, and the same
    error when the file does not parse."""
    import tempfile

    path = Path(tempfile.mkdtemp(dir=isolated)) / "cat.toml"
    blocks = [entry(**raw) for raw in raws]
    path.write_bytes(("# random\n" + "".join(blocks)).encode("utf-8"))
    directory = isolated / "cache"
    open_store(path, "c", directory)  # the cache of the file before the edits
    for edit in edits:
        edit_by_hand(path, blocks, edit)
        assert outcome(lambda: open_store(path, "c", directory), queries) == outcome(
            lambda: fresh(path), queries
        )


def test_blocks_appended_by_hand_are_parsed_alone(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After blocks are appended by hand, the next call parses only them: the cache is
    extended, not rebuilt, and answers (warnings with their lines included) as a fresh
    parse does. A duplicate of an earlier id is left to the whole parse."""
    import pubcli.store.cache

    path = isolated / "cat.toml"
    path.write_text("# hand\n" + entry("a", "Alpha", date="2020-01-01"), encoding="utf-8")
    directory = isolated / "cache"
    cached(path, directory)

    def no_rebuild(*arguments: object) -> None:
        raise AssertionError("the cache was rebuilt")

    monkeypatch.setattr(pubcli.store.cache, "write_cache", no_rebuild)
    monkeypatch.setattr(build_module, "build_cache", no_rebuild)
    with open(path, "a", encoding="utf-8") as file:
        file.write("\n# new ones\n" + entry("b", "Beta storm") + entry("c", " ") + entry("b", "B"))
    store = open_store(path, "c", directory)
    assert isinstance(store, CachedStore)
    queries = [Criteria(texts=("storm",)), Criteria()]
    assert everything(store, queries) == everything(fresh(path), queries)
    assert [(p.line, p.message) for p in store.problems] == [
        (15, "'title' is blank"),
        (20, "duplicate id (first used at line 10)"),
    ]
    assert everything(open_store(path, "c", directory), queries) == everything(
        fresh(path), queries
    )
    with open(path, "a", encoding="utf-8") as file:
        file.write(entry("a", "Again"))
    with pytest.raises(AssertionError, match="rebuilt"):
        open_store(path, "c", directory)


operation_strategy = st.lists(
    st.one_of(
        st.tuples(st.just("add"), catalogue_strategy.filter(bool)),
        st.tuples(
            st.just("edit"),
            st.integers(0, 20),
            st.builds(
                FieldChanges,
                title=st.none() | small_text,
                type=st.none() | st.sampled_from(["x", "A", "Letter"]),
                date=st.none() | st.sampled_from(["2019-01-02", "1999-12-31"]),
                add_components=st.lists(st.sampled_from(["ICE", "b", "Z"]), max_size=1).map(tuple),
                remove_components=st.lists(st.sampled_from(["ice", "b"]), max_size=1).map(tuple),
                add_topics=st.lists(st.sampled_from(["a", "New"]), max_size=1).map(tuple),
                remove_topics=st.lists(st.sampled_from(["a", "B"]), max_size=1).map(tuple),
                summary=st.none() | st.sampled_from(["one\ntwo", "é"]),
                no_url=st.booleans(),
            ),
        ),
        st.tuples(
            st.just("edit"),
            st.integers(0, 20),
            # What keeps the entry's id and facets: the cache records it without a parse.
            st.builds(
                FieldChanges,
                title=st.none() | small_text | st.just("Entry 3"),
                date=st.none() | st.sampled_from(["2000-02-03", "2023-07-08"]),
                summary=st.none() | st.sampled_from(["one\ntwo", "é", ""]),
                no_url=st.booleans(),
            ),
        ),
        st.tuples(st.just("rename"), st.integers(0, 20), st.sampled_from(["renamed", "r-2"])),
        st.tuples(st.just("remove"), st.integers(0, 20), st.none() | st.integers(0, 20)),
    ),
    min_size=1,
    max_size=6,
)


def assert_blocks_as_built(store: CachedStore, path: Path) -> None:
    """The patched cache knows each entry's block as a cache built from the file would
    (removed slots aside, whose blocks are empty), its groups' CRC-32 and lines included,
    and the file's CRC-32 and newlines."""
    import zlib
    from array import array

    data = path.read_bytes()
    catalogue = load_catalogue(path, "c")
    layout = cache_module._block_layout(data, len(catalogue.publications))
    assert layout is not None
    built_starts, built_crcs = array("q"), array("I")
    built_starts.frombytes(layout["block_starts"])
    built_crcs.frombytes(layout["block_crcs"])
    starts = store._array("block_starts", "q", None)
    crcs = store._array("block_crcs", "I", None)
    lines = store._array("publication_lines", "i")
    removed = set(store._removed())
    live = [slot for slot in range(store._count) if slot not in removed]
    assert [starts[slot] for slot in live] + [starts[-1]] == built_starts.tolist()
    assert [crcs[0]] + [crcs[slot + 1] for slot in live] == built_crcs.tolist()
    assert all(starts[slot] == starts[slot + 1] and not crcs[slot + 1] for slot in removed)
    assert [lines[slot] for slot in live] == catalogue.lines
    groups = cache_module._group_crcs(data, starts, range(0, store._count, 64))
    assert store._bytes("block_groups") == groups
    # What proves a file changed within its mtime tick, and numbers lines appended.
    assert store.content_crc == zlib.crc32(data)
    assert store._manifest["newlines"] == data.count(b"\n")


def remove_as_planned(path: Path, directory: Path, target: list[str]) -> None:
    """``remove_publications`` (by the cache where it can), which must write the bytes
    that ``plan_remove`` plans for the whole file."""
    planned_change = plan_remove(path.read_bytes(), "c", target)
    removed = remove_publications(path, "c", target, directory)
    assert path.read_bytes() == planned_change.new
    assert removed.removed == planned_change.changed


def add_as_planned(path: Path, directory: Path, new: list[Publication]) -> None:
    """``add_publications`` (by the cache where it can), which must refuse what
    ``plan_add`` refuses for the whole file (with the same problems), else write its bytes."""
    before = path.read_bytes()
    try:
        plan, _, _ = plan_add(before, "c", new)
    except InvalidInputError as error:
        with pytest.raises(InvalidInputError) as refused:
            add_publications(path, "c", new, directory)
        assert refused.value.problems == error.problems
        assert path.read_bytes() == before
        raise
    add_publications(path, "c", new, directory)
    assert path.read_bytes() == plan.old + plan.appended.encode("utf-8")


def edit_changes(operation: Any) -> FieldChanges:
    return operation[2] if operation[0] == "edit" else FieldChanges(new_id=operation[2])


def edit_as_planned(path: Path, directory: Path, target: list[str], changes: FieldChanges) -> None:
    """``edit_publications`` (by the cache where it can), which must write the bytes that
    ``plan_edit`` plans for the whole file, and refuse what it refuses."""
    before = path.read_bytes()
    try:
        planned_change = plan_edit(before, "c", target, changes)
    except InvalidInputError:
        with pytest.raises(InvalidInputError):
            edit_publications(path, "c", target, changes, directory)
        assert path.read_bytes() == before
        raise
    edited = edit_publications(path, "c", target, changes, directory)
    assert path.read_bytes() == planned_change.new
    assert edited.publications == planned_change.publications
    assert edited.changed == planned_change.changed


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(catalogue_strategy, operation_strategy, criteria_strategy)
def test_answers_stay_equal_through_adds_edits_and_removes(
    isolated: Path, first: list[Publication], operations: list[Any], criteria: Criteria
) -> None:
    """Random sequences of add, edit (rename too) and remove (of one entry or two) keep
    the cache warm (the next query is served by it, no rebuild) and answering as a fresh
    parse does; each write is the one the whole-file plan makes, and refuses what it
    refuses (an add of an id or title that a removed entry held is taken)."""
    path = isolated / "changes" / "cat.toml"
    directory = isolated / "cache"
    write(path, first)
    cached(path, directory)
    for operation in operations:
        ids = [p.id for p in load_catalogue(path, "c").publications]
        try:
            if operation[0] == "add":
                add_as_planned(path, directory, operation[1])
            elif ids and operation[0] == "remove":
                target = [ids[operation[1] % len(ids)]]
                if operation[2] is not None:
                    target.append(ids[operation[2] % len(ids)])
                remove_as_planned(path, directory, target)
            elif ids:
                target = [ids[operation[1] % len(ids)]]
                edit_as_planned(path, directory, target, edit_changes(operation))
        except InvalidInputError:
            continue  # refused (a collision, an emptied list): nothing was written
        store = open_store(path, "c", directory)
        assert isinstance(store, CachedStore)  # the write kept it warm
        assert everything(store, [criteria]) == everything(fresh(path), [criteria])
        assert find_ids(store, ids[:3]) == find_ids(fresh(path), ids[:3])


def restyle(text: str, style: str) -> bytes:
    """A catalogue's text as a maintainer's editor may have saved it."""
    if style == "crlf":
        text = text.replace("\n", "\r\n")
    data = text.encode("utf-8")
    if style == "no final newline":
        data = data.rstrip(b"\n")
    return b"\xef\xbb\xbf" + data if style == "bom" else data


def edit_bytes_by_hand(path: Path, edit: tuple[Any, ...]) -> None:
    """A hand edit of the file's bytes between two writes (header, blocks and all)."""
    data, kind = path.read_bytes(), edit[0]
    header = b"[[publications]]"
    parts = data.split(header)
    at = 1 + edit[1] % max(len(parts) - 1, 1)
    if kind == "title" and b'title = "' in data:
        data = data.replace(b'title = "', b'title = "Hand ', 1 + edit[1] % data.count(b"title"))
        data = data.replace(b'title = "Hand ', b'title = "', edit[1] % data.count(b"title"))
    elif kind == "append":
        ending = b"" if data.endswith(b"\n") or not data else b"\n"
        data += ending + edit[2].encode("utf-8")
    elif kind == "delete" and len(parts) > 2:
        del parts[at]
        data = header.join(parts)
    elif kind == "duplicate" and len(parts) > 1:
        ending = b"" if data.endswith(b"\n") else b"\n"
        data += ending + header + parts[at]
    elif kind == "break" and b'\nid = "' in data:
        line = data.rindex(b'\nid = "')
        quote = data.rindex(b'"', line, data.find(b"\n", line + 1) % (len(data) + 1))
        if quote > line + 6:  # the id's closing quote escaped: the string never ends
            data = data[:quote] + b"\\" + data[quote:]
    elif kind == "fix":
        data = data.replace(b'\\"', b'"')
    path.write_bytes(data)  # "touch" too: the same bytes written anew


def write_alike(path: Path, planned_write: Callable[[], None], write: Callable[[], Any]) -> None:
    """``planned_write``, or when the whole-file plan refuses the file (an id on two
    entries), the same refusal from the write by the cache, the file left as it was."""
    from pubcli.errors import CatalogueError

    before = path.read_bytes()
    try:
        planned_write()
    except CatalogueError as error:
        with pytest.raises(CatalogueError) as refused:
            write()
        assert str(refused.value) == str(error)
        assert path.read_bytes() == before


mixed_operation_strategy = st.lists(
    operation_strategy.map(lambda operations: operations[0])
    | st.tuples(st.just("remove"), st.integers(0, 20), st.integers(0, 20), st.integers(0, 20))
    | st.tuples(st.just("gone"), st.booleans())
    | st.tuples(
        st.just("hand"),
        st.sampled_from(["title", "delete", "duplicate", "break", "fix", "touch"]),
        st.integers(0, 20),
    )
    | st.tuples(st.just("hand"), st.just("append"), st.integers(0, 20), block_strategy),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    catalogue_strategy,
    st.sampled_from(["lf", "crlf", "no final newline", "bom"]),
    st.booleans(),
    mixed_operation_strategy,
    criteria_strategy,
)
def test_answers_stay_equal_through_writes_and_hand_edits_mixed(
    isolated: Path,
    first: list[Publication],
    style: str,
    comments_above: bool,
    operations: list[Any],
    criteria: Criteria,
) -> None:
    """Writes (add, edit, rename, remove of one to three entries, edit or remove of an id
    already removed) and hand edits (a title changed, a block appended, deleted,
    duplicated, broken and fixed, the file written anew unchanged) in any order, on a
    CRLF file, one with a BOM or without a final newline, entries with comments above
    their headers: each write is the whole-file plan's, and every answer (problems and
    their lines included) is a fresh parse's. A hand edit followed by a write is not
    queried first: the write finds the cache as the hand left it."""
    from pubcli.errors import CatalogueError, NoMatchError

    path = isolated / "mixed" / "cat.toml"
    directory = isolated / "cache"
    write(path, first)
    text = path.read_text("utf-8")
    if comments_above:
        text = text.replace("[[publications]]", "# above\n[[publications]]")
    path.write_bytes(restyle(text, style))
    cached(path, directory)
    gone: list[str] = []
    for number, operation in enumerate(operations):
        try:
            ids = [p.id for p in load_catalogue(path, "c").publications]
        except CatalogueError:
            ids = []  # broken by hand: only a hand edit can fix it
        try:
            if operation[0] == "hand":
                edit_bytes_by_hand(path, operation[1:])
            elif operation[0] == "add" and ids:
                add_as_planned(path, directory, operation[1])
            elif operation[0] == "gone" and ids and gone and gone[-1] not in ids:
                with pytest.raises(NoMatchError):
                    if operation[1]:
                        remove_publications(path, "c", [gone[-1]], directory)
                    else:
                        edit_publications(path, "c", [gone[-1]], FieldChanges(), directory)
            elif ids and operation[0] == "remove":
                target = list(
                    dict.fromkeys(ids[n % len(ids)] for n in operation[1:] if n is not None)
                )
                write_alike(
                    path,
                    functools.partial(remove_as_planned, path, directory, target),
                    functools.partial(remove_publications, path, "c", target, directory),
                )
                gone += target
            elif ids and operation[0] in ("edit", "rename"):
                target = [ids[operation[1] % len(ids)]]
                changes = edit_changes(operation)
                write_alike(
                    path,
                    functools.partial(edit_as_planned, path, directory, target, changes),
                    functools.partial(edit_publications, path, "c", target, changes, directory),
                )
        except InvalidInputError:
            pass  # refused (a collision, an emptied list): nothing was written
        following = operations[number + 1 : number + 2]
        if operation[0] == "hand" and following and following[0][0] != "hand":
            continue  # the write that follows patches the cache itself, not a query
        assert outcome(lambda: open_store(path, "c", directory), [criteria]) == outcome(
            lambda: fresh(path), [criteria]
        )
        if ids:
            asked = [*ids[:2], *gone[-2:], ids[-1][:2]]
            with contextlib.suppress(CatalogueError):
                assert find_ids(open_store(path, "c", directory), asked) == find_ids(
                    fresh(path), asked
                )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.integers(1, 140),
    st.lists(
        st.tuples(
            st.integers(0, 200),
            st.sampled_from(["Storm Report", "Fire", "Été", "Entry 3", "x"]),
            st.sampled_from([None, "2020-01-01", "2021-05-05"]),
            st.sampled_from([None, "one line", "two\nlines"]),
        ),
        min_size=1,
        max_size=5,
    ),
    st.booleans(),
    st.lists(criteria_strategy, min_size=1, max_size=2),
)
def test_answers_stay_equal_through_entries_edited_in_place(
    isolated: Path,
    size: int,
    edits: list[tuple[int, str, str | None, str | None]],
    with_problem: bool,
    queries: list[Criteria],
) -> None:
    """Entries edited in place by hand (title, date, summary with more lines or fewer;
    titles that collide with another entry's), in catalogues of one to more than two
    groups of blocks, with or without an invalid entry after them: after each edit the
    store answers as a fresh parse does."""
    import tempfile

    path = Path(tempfile.mkdtemp(dir=isolated)) / "cat.toml"
    blocks = [entry(f"e{n}", f"Entry {n}", date="2020-01-01") + "\n" for n in range(size)]
    if with_problem:
        blocks.append(entry("bad", " ") + "\n")
    path.write_bytes(("# edited\n\n" + "".join(blocks)).encode("utf-8"))
    directory = isolated / "cache"
    open_store(path, "c", directory)
    for number, title, date, summary in edits:
        at = number % size
        blocks[at] = entry(f"e{at}", title, date=date, summary=summary) + "\n"
        path.write_bytes(("# edited\n\n" + "".join(blocks)).encode("utf-8"))
        assert outcome(lambda: open_store(path, "c", directory), queries) == outcome(
            lambda: fresh(path), queries
        )


def test_a_title_edited_by_hand_is_parsed_alone(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After one entry's title is edited in place, the next call parses that block
    alone: the cache is patched, not rebuilt, and answers as a fresh parse does, the
    search for the new and the old word included; an edit that changes an id is left to
    the whole parse."""
    import pubcli.store.cache

    path = isolated / "cat.toml"
    blocks = [entry(f"e{n}", f"Entry {n} storm", date="2020-01-01") + "\n" for n in range(200)]
    path.write_text("".join(blocks), encoding="utf-8")
    directory = isolated / "cache"
    cached(path, directory)

    def no_rebuild(*arguments: object) -> None:
        raise AssertionError("the cache was rebuilt")

    monkeypatch.setattr(pubcli.store.cache, "write_cache", no_rebuild)
    monkeypatch.setattr(build_module, "build_cache", no_rebuild)
    for title in ("Entry 100 hurricane", "A first title"):
        blocks[100] = entry("e100", title, date="2020-01-01") + "\n"
        path.write_text("".join(blocks), encoding="utf-8")
        store = open_store(path, "c", directory)
        assert isinstance(store, CachedStore)
        queries = [Criteria(texts=("hurricane",)), Criteria(texts=("storm",)), Criteria()]
        assert everything(store, queries) == everything(fresh(path), queries)
    blocks[100] = entry("e100-new", "A first title", date="2020-01-01") + "\n"
    path.write_text("".join(blocks), encoding="utf-8")
    with pytest.raises(AssertionError, match="rebuilt"):
        open_store(path, "c", directory)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.integers(1, 140),
    st.booleans(),
    st.booleans(),
    st.lists(
        st.one_of(
            st.tuples(st.just("hand"), st.integers(0, 200), st.sampled_from(["storm", "Été"])),
            st.tuples(
                st.just("edit"),
                st.integers(0, 200),
                st.builds(
                    FieldChanges,
                    title=st.none() | st.sampled_from(["Fire", "Entry 3", "x\ty", "two words"]),
                    date=st.none() | st.sampled_from(["2020-01-01", "2020-12-31"]),
                    summary=st.none() | st.sampled_from(["one\ntwo", "é", ""]),
                    url=st.none() | st.just("https://example.org/a"),
                ),
            ),
        ),
        min_size=1,
        max_size=6,
    ),
    st.lists(criteria_strategy, min_size=1, max_size=2),
)
def test_warm_edits_patch_the_cache_also_after_hand_edits(
    isolated: Path,
    monkeypatch: pytest.MonkeyPatch,
    size: int,
    crlf: bool,
    final_newline: bool,
    steps: list[Any],
    queries: list[Criteria],
) -> None:
    """Edits that keep the entry's id and facets, between hand edits in place (so the
    cache has segments), on CRLF files and files without a final newline: each is
    written by the cache's warm path (never a rebuild), as the whole-file plan would
    write it, and the store answers as a fresh parse does."""
    import tempfile

    import pubcli.store.cache

    newline = "\r\n" if crlf else "\n"
    path = Path(tempfile.mkdtemp(dir=isolated)) / "cat.toml"
    directory = isolated / "cache"
    blocks = [entry(f"e{n}", f"Entry {n}", date="2020-01-01") + "\n" for n in range(size)]

    ends_line = [final_newline]  # as the last write left it

    def write_blocks() -> None:
        text = "# edited\n\n" + "".join(blocks)
        text = text if ends_line[0] else text.rstrip("\n")
        path.write_bytes(text.replace("\n", newline).encode("utf-8"))

    write_blocks()
    cached(path, directory)

    def no_rebuild(*arguments: object) -> None:
        raise AssertionError("the cache was rebuilt")

    def check_steps() -> None:
        for kind, number, what in steps:
            at = number % size
            if kind == "hand" and not ends_line[0] and at == size - 1:
                continue  # a hand edit of a last line left open is parsed whole
            if kind == "hand":
                title = f"Hand {number} {what}"
                blocks[at] = entry(f"e{at}", title, date="2020-01-01") + "\n"
                write_blocks()
            else:
                try:
                    edit_as_planned(path, directory, [f"e{at}"], what)
                except InvalidInputError:
                    continue
                text = path.read_bytes().decode("utf-8").replace(newline, "\n")
                ends_line[0] = text.endswith("\n")
                # The blocks as written, each ending its line (write_blocks ends the file).
                text = text if text.endswith("\n") else text + "\n"
                blocks[:] = ["[[publications]]" + b for b in text.split("[[publications]]")[1:]]
            store = open_store(path, "c", directory)
            assert isinstance(store, CachedStore)
            assert_blocks_as_built(store, path)
            assert everything(store, queries) == everything(fresh(path), queries)

    with monkeypatch.context() as patched:  # for this example alone
        patched.setattr(pubcli.store.cache, "write_cache", no_rebuild)
        patched.setattr(build_module, "build_cache", no_rebuild)
        check_steps()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.integers(30, 140),
    st.sampled_from(["", "\ufeff"]),
    st.booleans(),
    st.booleans(),
    st.lists(
        st.one_of(
            st.tuples(st.just("remove"), st.integers(0, 200), st.none() | st.integers(0, 200)),
            st.tuples(st.just("hand"), st.integers(0, 200), st.sampled_from(["storm", "Été"])),
            st.tuples(st.just("add"), st.integers(0, 200), st.integers(1, 3)),
            st.tuples(
                st.just("edit"),
                st.integers(0, 200),
                st.builds(
                    FieldChanges,
                    title=st.none() | st.sampled_from(["Fire", "Entry 3", "two words"]),
                    summary=st.none() | st.sampled_from(["one\ntwo", ""]),
                ),
            ),
        ),
        min_size=1,
        max_size=6,
    ),
    st.lists(criteria_strategy, min_size=1, max_size=2),
)
def test_warm_removes_patch_the_cache_through_edits_and_hand_edits(
    isolated: Path,
    monkeypatch: pytest.MonkeyPatch,
    size: int,
    bom: str,
    crlf: bool,
    final_newline: bool,
    steps: list[Any],
    queries: list[Criteria],
) -> None:
    """Removes of one entry or two (with the comment lines above them; the first and the
    last entry too), between adds, warm edits and hand edits in place (an add keeps the
    cache knowing each entry's block, for the next edit or remove), on CRLF files, files
    with a byte-order mark or without a final newline: each is written by the cache's
    warm path (never a rebuild), byte for byte as the whole-file plan writes it, and the
    store answers every question as a fresh parse does; so it does after a block is
    appended by hand (parsed alone) and after the next add (refused when the id is
    taken, as the whole-file plan refuses it)."""
    import re
    import tempfile

    import pubcli.store.cache

    newline = "\r\n" if crlf else "\n"
    path = Path(tempfile.mkdtemp(dir=isolated)) / "cat.toml"
    directory = isolated / "cache"
    spelling = ["ICE", "ice", "Ice"]
    text = "# removed\n\n" + "".join(
        ("# about e{n}\n# more\n" if n % 3 == 0 else "")
        + entry(
            f"e{n}",
            f"Entry {n}",
            date=f"20{n % 30:02d}-01-01",
            components=(spelling[n % 3],),
            topics=(f"T{n % 7}", "Shared"),
        )
        + ("\n" if n % 2 else "")
        for n in range(size)
    )
    text = text if final_newline else text.rstrip("\n")
    path.write_bytes((bom + text.replace("\n", newline)).encode("utf-8"))
    cached(path, directory)

    def no_rebuild(*arguments: object) -> None:
        raise AssertionError("the cache was rebuilt")

    def live_ids() -> list[str]:
        return fresh(path).all_ids()

    with monkeypatch.context() as patched:  # for this example alone
        patched.setattr(pubcli.store.cache, "write_cache", no_rebuild)
        patched.setattr(build_module, "build_cache", no_rebuild)
        for kind, number, what in steps:
            ids = live_ids()
            target = ids[number % len(ids)]
            if kind == "remove":
                targets = [target] + ([ids[what % len(ids)]] if what is not None else [])
                remove_as_planned(path, directory, targets)
            elif kind == "add":
                added = [
                    Publication(
                        id=f"added-{number}-{n}",
                        title=f"Added {number} {n}",
                        type="Letter",
                        components=(spelling[n],),
                        summary="one\ntwo" if n else "",
                    )
                    for n in range(what)
                ]
                try:
                    add_as_planned(path, directory, added)
                except InvalidInputError:
                    continue
            elif kind == "edit":
                try:
                    edit_as_planned(path, directory, [target], what)
                except InvalidInputError:
                    continue
            else:
                data = path.read_bytes()
                if not data.endswith(b"\n") and target == ids[-1]:
                    continue  # a hand edit of a last line left open is parsed whole
                pattern = rf'(id = "{target}"\r?\ntitle = )"[^"\r\n]*"'
                # The title names its entry: a hand edit that gave two undated entries one
                # title would change a verdict ("same title and date"), a rebuild by design.
                title = f"Hand {number} {what} {target}"
                changed = re.sub(pattern, rf'\1"{title}"', data.decode("utf-8"))
                path.write_bytes(changed.encode("utf-8"))
            store = open_store(path, "c", directory)
            assert isinstance(store, CachedStore)
            assert everything(store, queries) == everything(fresh(path), queries)
            assert_blocks_as_built(store, path)
        # Blocks appended by hand are parsed alone after removes too, the ids of removed
        # entries free again (nine of them: checked against the taken ids in one pass).
        ends_line = path.read_bytes().endswith(b"\n")
        gone = sorted({f"e{n}" for n in range(size)} - set(live_ids()))
        again = [*gone, *(f"by-hand-{n}" for n in range(9))][:9]
        appended = ("" if ends_line else "\n") + "".join(
            entry(id_, f"Appended {n}", components=("ice",)) for n, id_ in enumerate(again)
        )
        with open(path, "ab") as file:
            file.write(appended.replace("\n", newline).encode("utf-8"))
        store = open_store(path, "c", directory)
        assert isinstance(store, CachedStore)
        assert everything(store, queries) == everything(fresh(path), queries)
    new = Publication(id=target, title="Entry 5", type="x", components=("ICE",))
    with pytest.raises(InvalidInputError) if target in live_ids() else contextlib.nullcontext():
        add_as_planned(path, directory, [new])
    assert everything(open_store(path, "c", directory), queries) == everything(
        fresh(path), queries
    )


@pytest.mark.parametrize("write", ["remove", "edit"])
def test_a_warm_remove_that_cannot_write_leaves_the_file_and_its_cache(
    isolated: Path, monkeypatch: pytest.MonkeyPatch, write: str
) -> None:
    """A remove (or an edit) served by the cache whose rename fails: exit 3's error, the
    file byte for byte as it was, no temporary file left, the cache's files as they were
    (what was made for it while the file was written is removed), and the next query
    answering for it."""
    from pubcli.errors import CatalogueError

    path = isolated / "cat.toml"
    path.write_text("".join(entry(f"e{n}", f"Entry {n}") for n in range(20)), encoding="utf-8")
    directory = isolated / "cache"
    cached(path, directory)
    before = path.read_bytes()
    cache_files = sorted(directory.rglob("*"))

    def failing_replace(*arguments: object) -> None:
        raise OSError(28, "No space left on device")

    def no_rebuild(*arguments: object) -> None:
        raise AssertionError("the cache was rebuilt")

    with monkeypatch.context() as patched:
        patched.setattr(os, "replace", failing_replace)
        patched.setattr(cache_module, "write_cache", no_rebuild)
        patched.setattr(build_module, "build_cache", no_rebuild)
        with pytest.raises(CatalogueError, match="No space left on device"):
            if write == "remove":
                remove_publications(path, "c", ["e3", "e7"], directory)
            else:
                edit_publications(path, "c", ["e3"], FieldChanges(title="New"), directory)
        assert path.read_bytes() == before
        assert sorted(p.name for p in isolated.iterdir()) == ["cache", "cat.toml"]
        assert sorted(directory.rglob("*")) == cache_files
    # (The failed write linked the file, which moved its ctime: the cache may be rebuilt.)
    store = open_store(path, "c", directory)
    assert everything(store, [Criteria()]) == everything(fresh(path), [Criteria()])


def test_removes_at_the_edges_of_groups_of_blocks_patch_their_checksums(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The block that ends a group of 64, the one that starts the next (and the first and
    the last), each with comment lines above it, removed from the cache: the cache knows
    the blocks left as a cache built from the file would, with no rebuild, then an add."""
    path = isolated / "cat.toml"
    blocks = [f"# about e{n}\n" + entry(f"e{n}", f"Entry {n}") for n in range(200)]
    path.write_text("".join(blocks), encoding="utf-8")
    directory = isolated / "cache"
    cached(path, directory)

    def no_rebuild(*arguments: object) -> None:
        raise AssertionError("the cache was rebuilt")

    monkeypatch.setattr(cache_module, "write_cache", no_rebuild)
    monkeypatch.setattr(build_module, "build_cache", no_rebuild)
    for targets in (["e64"], ["e127", "e128"], ["e0", "e199"], ["e63", "e65"]):
        remove_as_planned(path, directory, targets)
        store = open_store(path, "c", directory)
        assert isinstance(store, CachedStore)
        assert_blocks_as_built(store, path)
        assert everything(store, [Criteria()]) == everything(fresh(path), [Criteria()])
    add_as_planned(
        path, directory, [Publication(id="e64", title="Again", type="x", components=("ICE",))]
    )
    store = open_store(path, "c", directory)
    assert isinstance(store, CachedStore)
    assert_blocks_as_built(store, path)


def test_a_warm_edit_splices_what_the_edited_entry_takes_from_new_entries(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A title edited by the cache (the taken section, several 64 KiB chunks, spliced
    from the edited line on, not rewritten): the old title and date are free again, the
    new ones taken, and the lines before and after the splice still found, as the
    whole-file plan says; then a byte of the spliced section changed on disk is caught
    (an add that would trust it is refused as the plan refuses it)."""
    path = isolated / "cat.toml"
    date = "2020-01-01"
    path.write_text(
        "".join(entry(f"e{n}", f"Entry {n}", date=date) for n in range(5000)), encoding="utf-8"
    )
    directory = isolated / "cache"
    cached(path, directory)
    day = datetime.date(2020, 1, 1)

    def new(id_: str, title: str) -> list[Publication]:
        return [Publication(id=id_, title=title, type="x", components=("ICE",), date=day)]

    with monkeypatch.context() as patched:

        def no_rebuild(*arguments: object) -> None:
            raise AssertionError("the cache was rebuilt")

        patched.setattr(cache_module, "write_cache", no_rebuild)
        patched.setattr(build_module, "build_cache", no_rebuild)
        edit_as_planned(path, directory, ["e2500"], FieldChanges(title="Renamed, and longer"))
        edit_as_planned(path, directory, ["e2600"], FieldChanges(title="Short"))
        add_as_planned(path, directory, new("free", "Entry 2500"))
        for id_, title in [("n1", "renamed, AND longer"), ("n2", "Entry 5"), ("n3", "Entry 4999")]:
            with pytest.raises(InvalidInputError):
                add_as_planned(path, directory, new(id_, title))
        with pytest.raises(InvalidInputError):
            add_as_planned(path, directory, new("e2600", "Another"))
    (section,) = directory.glob("*.taken")
    data = section.read_bytes()
    assert data.count(b'["e5","entry 5",') == 1  # in the chunk copied, not hashed anew
    section.write_bytes(data.replace(b'["e5","entry 5",', b'["e5","entry 6",'))
    with pytest.raises(InvalidInputError):
        add_as_planned(path, directory, new("n4", "Entry 5"))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600), st.integers(0, 600), st.integers(0, 600), st.binary(max_size=80))
def test_the_crc_of_a_file_after_one_change_is_that_of_its_new_bytes(
    old: bytes, first: int, second: int, new: bytes
) -> None:
    """The CRC-32 a write records without hashing the whole file (from the old file's,
    hashing the shorter side of the change) is zlib's CRC-32 of the bytes written."""
    import zlib

    from pubcli.store.checksums import crc32_replaced, shifted

    start, end = sorted((min(first, len(old)), min(second, len(old))))
    expected = zlib.crc32(old[:start] + new + old[end:])
    assert crc32_replaced(memoryview(old), start, end, new, zlib.crc32(old)) == expected
    assert shifted(shifted(zlib.crc32(new), len(old)), -len(old)) == zlib.crc32(new)
    with pytest.raises(ValueError):
        crc32_replaced(memoryview(old), start, len(old) + 1, new, zlib.crc32(old))


def _ranges_of(size: int, points: list[int], news: list[bytes]) -> list[tuple[int, int, bytes]]:
    """Ranges of a file of ``size`` bytes, in order and apart, from any points."""
    ends = sorted(min(point, size) for point in points[: 2 * len(news)])
    return [
        (ends[2 * k], ends[2 * k + 1], new) for k, new in enumerate(news) if 2 * k + 1 < len(ends)
    ]


def _replaced(old: bytes, ranges: list[tuple[int, int, bytes]]) -> bytes:
    parts, kept = [], 0
    for start, end, new in ranges:
        parts += [old[kept:start], new]
        kept = end
    return b"".join([*parts, old[kept:]])


def test_a_file_is_hashed_alike_without_preadv(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the system has no ``preadv`` (macOS before 11), the file is read with
    ``pread``: the same CRC-32."""
    import zlib

    from pubcli.store.checksums import InFile

    data = bytes(range(256)) * 50
    with tempfile.TemporaryFile() as file:
        file.write(data)
        file.flush()
        monkeypatch.delattr(os, "preadv")
        assert InFile(file.fileno(), len(data), part=1000).crc32(3, len(data)) == zlib.crc32(
            data[3:]
        )


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=600),
    st.lists(st.integers(0, 600), max_size=8),
    st.lists(st.binary(max_size=40), max_size=4),
    st.integers(0, 600),
)
def test_the_crc_of_a_file_after_changes_from_the_crcs_of_two_halves(
    old: bytes, points: list[int], news: list[bytes], split: int
) -> None:
    """The CRC-32 of the bytes a remove or an edit writes, from the CRC-32s of the old
    file's bytes on either side of a split (as a racy proof hashes them, or as split from
    the file's own by hashing the shorter side), is zlib's CRC-32 of those bytes."""
    import zlib

    from pubcli.store.checksums import InFile, crc32_spliced, split_crcs

    at = min(split, len(old))
    ranges = _ranges_of(len(old), points, news)
    expected = zlib.crc32(_replaced(old, ranges))
    with tempfile.TemporaryFile() as file:
        file.write(old + b"more than the file was")
        file.flush()
        # In memory, and read from a file a part at a time (parts of 7 bytes here).
        for data in (memoryview(old), InFile(file.fileno(), len(old), part=7)):
            before, after = split_crcs(data, at, zlib.crc32(old))
            assert (before, after) == (zlib.crc32(old[:at]), zlib.crc32(old[at:]))
            assert crc32_spliced(data, ranges, at, before, after) == expected
        file.truncate(len(old) // 2)
        if len(old) // 2 < at < len(old):  # cut short meanwhile: an error, not a SIGBUS
            with pytest.raises(ValueError):
                InFile(file.fileno(), len(old)).crc32(at, len(old))
    if len(ranges) > 1 and ranges[0][1] < ranges[-1][1]:  # out of order: refused
        with pytest.raises(ValueError):
            crc32_spliced(memoryview(old), ranges[::-1], at, before, after)


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=300).map(lambda data: data.replace(b"\x00", b"\r\n")),
    st.lists(st.tuples(st.integers(0, 300), st.binary(max_size=6)), max_size=4),
    st.lists(st.tuples(st.integers(-320, 320), st.integers(-320, 320)), max_size=8),
    st.sampled_from([b"\r\n", b"\n", b"\r", b"\r\n\r"]),
)
def test_the_bytes_a_write_puts_in_place_read_as_the_file_will(
    old: bytes,
    cuts: list[tuple[int, bytes]],
    slices: list[tuple[int, int]],
    needle: bytes,
) -> None:
    """What the cache's new sections are made from while a write is under way (the old
    file, mapped, with the replacements of an edit or a remove): every slice, and where a
    newline sequence first occurs (also across a replacement), as in the bytes written."""
    import mmap
    import tempfile

    old += b"!"  # a file mapped is never empty
    positions = sorted(min(at, len(old)) for at, _ in cuts)  # an empty range: an insertion
    ranges = zip(positions[::2], positions[1::2], strict=False)
    replacements = [
        (start, end, new) for (start, end), (_, new) in zip(ranges, cuts, strict=False)
    ]
    written, kept = b"", 0
    for start, end, new in replacements:
        written += old[kept:start] + new
        kept = end
    written += old[kept:]
    with tempfile.TemporaryFile() as file:
        file.write(old)
        file.flush()
        with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
            spliced = cache_module._Spliced(data, replacements)
            assert len(spliced) == len(written)
            assert spliced[:] == written
            for start, end in slices:
                assert spliced[start:end] == written[start:end]
            assert spliced.find(needle) == written.find(needle)


# --- the cold build: block by block, or the file parsed whole ---------------------------


def cache_contents(directory: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The one cache entry in ``directory``: its manifest (but what differs between two
    builds of the same file: the generations' random names and whether it is racy) and
    the bytes of each of its sections."""
    (manifest_path,) = directory.glob("*.json")
    manifest = json.loads(manifest_path.read_bytes())
    generations = {
        "sections": manifest.pop("generation"),
        "orders": manifest.pop("order_generation"),
    }
    manifest.pop("racy")
    contents = {
        name: next(directory.glob(f"*.{generation}.{name}")).read_bytes()
        for kind, generation in generations.items()
        for name in manifest[kind]
    }
    return manifest, contents


def cache_built_whole(path: Path, directory: Path) -> None:
    """The cache as a catalogue parsed whole writes it (``cache.write_cache``)."""
    from pubcli.catalogue.loader import check_document, decode, parse_toml

    real_path = Path(os.path.realpath(path))
    data = real_path.read_bytes()
    text = decode(data, "c")
    document = parse_toml(text, "c")
    catalogue = check_document(document, text, "c")
    cache_module.write_cache(
        directory, real_path, os.stat(real_path), data, time.time_ns(), text, document, catalogue
    )


def build_by_blocks(path: Path, directory: Path, window: int) -> CachedStore:
    real_path = Path(os.path.realpath(path))
    status = os.stat(real_path)
    with open(real_path, "rb") as file:
        return build_module.build_cache(directory, real_path, status, "c", file, window=window)


_MULTI_LINE = '[[publications]]\nid = "m"\ntitle = "Many lines"\ntype = "x"\n'
_MULTI_LINE += (
    'components = [\n  "ICE",\n  "b",\n]\nsummary = """\nid = "not-one"\n# no comment\n"""\n'
)
cold_block_strategy = st.one_of(
    raw_entry_strategy.map(lambda raw: entry(**raw)),
    st.just(_MULTI_LINE),
    st.just(_BROKEN_BLOCK.replace('"broken\n', '"broken"\ntitle = "Broken"\n')),
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.sampled_from(
        [
            "",
            "# head\n\n",
            "schema_version = 1\n",
            "schema_version = 3\n",
            "x = 1\nschema_version = 'a'\n",
        ]
    ),
    st.lists(
        st.tuples(cold_block_strategy, st.sampled_from(["", "\n", "# between\n\n"])),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from(["lf", "crlf", "no final newline"]),
    st.integers(1, 3),
    st.sampled_from([1, 2, 7, 64, 1 << 20]),
    st.lists(criteria_strategy, min_size=1, max_size=2),
)
def test_a_cache_built_block_by_block_is_the_one_built_whole(
    isolated: Path,
    preamble: str,
    blocks: list[tuple[str, str]],
    style: str,
    window: int,
    read_size: int,
    queries: list[Criteria],
) -> None:
    """A catalogue made of blocks (invalid entries, ids and titles repeated across
    windows, multi-line arrays and strings, comments, top-level keys with problems, CRLF
    or no final newline) built ``window`` blocks at a time, read ``read_size`` bytes at a
    time (a header or a CRLF cut between two reads), gives the cache a whole parse
    writes, byte for byte (manifest and every section), and answers as a fresh parse."""
    import tempfile

    path = Path(tempfile.mkdtemp(dir=isolated)) / "cat.toml"
    path.write_bytes(restyle(preamble + "".join(block + after for block, after in blocks), style))
    by_blocks, whole = path.parent / "by-blocks", path.parent / "whole"
    with mock.patch.object(build_module, "_READ", read_size):
        store = build_by_blocks(path, by_blocks, window)
    cache_built_whole(path, whole)
    assert cache_contents(by_blocks) == cache_contents(whole)
    assert everything(store, queries) == everything(fresh(path), queries)
    assert isinstance(open_store(path, "c", by_blocks), CachedStore)


_ENTRY = '[[publications]]\nid = "a"\ntitle = "A"\ntype = "x"\ncomponents = ["b"]\n'


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            _ENTRY + 'summary = """\n[[publications]]\n"""\n' + _ENTRY, id="header in a string"
        ),
        pytest.param(_ENTRY + "[publications.extra]\nx = 1\n", id="a sub-table"),
        pytest.param(
            _ENTRY + "[[publications.authors]]\nname = 'x'\n", id="an array of sub-tables"
        ),
        pytest.param(_ENTRY + "[other]\nx = 1\n", id="another table"),
        pytest.param('publications = [{id = "a"}]\n', id="inline publications"),
        pytest.param('publications = [{id = "a"}]\n' + _ENTRY, id="inline and a header"),
        pytest.param("publications.x = 1\n" + _ENTRY, id="a dotted key before the header"),
        pytest.param("\ufeff" + _ENTRY, id="a byte-order mark"),
        pytest.param("  " + _ENTRY, id="an indented header"),
        pytest.param(_ENTRY + "[[ publications ]]\n", id="a header spelt otherwise"),
        pytest.param("schema_version = 1\n", id="no header"),
        pytest.param(_ENTRY + _BROKEN_BLOCK, id="a broken block"),
        pytest.param(_ENTRY.replace("]\n", "\n[[publications]]\n]\n"), id="a header in an array"),
        pytest.param(_ENTRY + "[[publications]] x = 1\n", id="more after a header"),
        pytest.param(
            _ENTRY + "<<<<<<< ours\n" + _ENTRY + "=======\n>>>>>>> theirs\n", id="a conflict"
        ),
        pytest.param("x = \udcff\n" + _ENTRY, id="not UTF-8"),
    ],
)
@pytest.mark.parametrize("read_size", [1, 5, 1 << 20])
def test_files_the_block_by_block_build_refuses_are_parsed_whole(
    isolated: Path, text: str, read_size: int
) -> None:
    """A file the build does not take (whose parts could parse otherwise than the whole,
    or not at all) is refused before a cache is written, however it is cut between
    reads, and the next call answers (or fails) as a fresh parse of the whole file."""
    path = isolated / "cat.toml"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    directory = isolated / "cache"
    with (
        mock.patch.object(build_module, "_READ", read_size),
        pytest.raises(build_module.NotStreamableError),
    ):
        build_by_blocks(path, directory, 1)
    assert list(directory.iterdir()) == []
    queries = [Criteria(), Criteria(texts=("a",))]
    assert outcome(lambda: open_store(path, "c", directory), queries) == outcome(
        lambda: fresh(path), queries
    )


def test_a_file_changed_while_built_is_parsed_whole_and_not_cached(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file changed while the build reads it leaves no cache, and the call answers as a
    fresh parse of the file as it is."""
    path = isolated / "cat.toml"
    path.write_text("".join(entry(f"e{n}", f"Entry {n}") for n in range(5)), encoding="utf-8")
    original = build_module.CacheSections.add

    def add_and_append(self: Any, *arguments: Any) -> None:
        original(self, *arguments)
        with open(path, "a", encoding="utf-8") as file:
            file.write(entry(f"late{len(path.read_bytes())}", "Late"))

    monkeypatch.setattr(build_module, "WINDOW", 2)
    monkeypatch.setattr(build_module.CacheSections, "add", add_and_append)
    directory = isolated / "cache"
    store = open_store(path, "c", directory)
    assert isinstance(store, MemoryStore)
    assert list(directory.iterdir()) == []
    monkeypatch.undo()
    assert everything(store, [Criteria()]) == everything(fresh(path), [Criteria()])


def test_no_writable_cache_directory_means_the_whole_parse(isolated: Path) -> None:
    """Where no cache can be written the file is parsed whole, as before."""
    path = isolated / "cat.toml"
    path.write_text(entry("a", "Alpha"), encoding="utf-8")
    (isolated / "file").write_text("not a directory")
    store = open_store(path, "c", isolated / "file" / "pubcli")
    assert isinstance(store, MemoryStore)
    assert store.all_ids() == ["a"]


@pytest.mark.parametrize("style", ["lf", "crlf", "no final newline"])
def test_the_cold_query_reports_as_the_whole_parse(
    cli: Cli, isolated: Path, monkeypatch: pytest.MonkeyPatch, style: str
) -> None:
    """The first query on a catalogue with no cache, built two blocks at a time, prints
    the answer and the warnings (lines and duplicates across windows included) that
    ``--no-cache`` prints, each as ``check`` reports it."""
    monkeypatch.setattr(build_module, "WINDOW", 2)
    text = (
        "schema_version = 1\n# storms\n"
        + entry("a", "Storm one", date="2020-01-01")
        + entry("b", " ")
        + "\n# between\n"
        + entry("c", "Storm  ONE", date="2020-01-01")
        + entry("a", "Storm again")
        + entry("d", "Storm two", summary="x\ny")
    )
    path = isolated / "cat.toml"
    path.write_bytes(restyle(text, style))
    asked = ("filter", "-c", str(path), "--text", "storm", "--format", "ids")
    without = cli(*asked, "--no-cache")
    assert list((isolated / ".cache").glob("pubcli/*.json")) == []
    cold = cli(*asked)
    assert list((isolated / ".cache").glob("pubcli/*.json")) != []
    assert (cold.code, cold.out, cold.err) == (without.code, without.out, without.err)
    assert f"{path}:9: b: 'title' is blank\n" in cold.err
    assert f"{path}:22: a: duplicate id (first used at line 3)\n" in cold.err
    checked = cli("check", "-c", str(path))
    warned = [line[9:] for line in cold.err.splitlines() if line.startswith(f"warning: {path}:")]
    assert len(warned) == 2 and all(line in checked.out + checked.err for line in warned)


def reference_index(entries: list[Any]) -> dict[str, bytes]:
    """The token index as first written (one pass, lists in memory): what the index
    built in parts, its lists moved to a file on the way, must equal byte for byte."""
    from array import array

    from pubcli.store.text_index import KIND_BITS

    entries_of: dict[str, list[int]] = {}
    positions_of: dict[str, list[int]] = {}
    entry_ordinals: list[int] = []
    ordinal = 0
    for number, groups in enumerate(entries):
        entry_ordinals.append(ordinal)
        for kind, group in enumerate(groups):
            for value in group:
                tokens = value.split()
                for place, token in enumerate(tokens):
                    positions_of.setdefault(token, []).append(
                        (ordinal + place) << KIND_BITS | kind
                    )
                    holders = entries_of.setdefault(token, [])
                    if not holders or holders[-1] != number:
                        holders.append(number)
                ordinal += len(tokens) + 1
    encoded = [token.encode("utf-8", "surrogatepass") + b"\n" for token in entries_of]
    starts = [sum(map(len, encoded[:at])) for at in range(len(encoded))]

    def joined(lists: list[list[int]]) -> tuple[bytes, bytes]:
        ends = [0]
        for listed in lists:
            ends.append(ends[-1] + len(listed))
        return array("i", sum(lists, [])).tobytes(), array("q", ends).tobytes()

    postings, posting_starts = joined(list(entries_of.values()))
    positions, position_starts = joined(list(positions_of.values()))
    return {
        "vocab": b"".join(encoded),
        "vocab_starts": array("q", starts).tobytes(),
        "postings": postings,
        "posting_starts": posting_starts,
        "positions": positions,
        "position_starts": position_starts,
        "entry_ordinals": array("q", entry_ordinals).tobytes(),
    }


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    catalogue_strategy,
    st.lists(st.integers(1, 4), min_size=1, max_size=4),
    st.sampled_from([0, 5, 1 << 30]),
)
def test_the_index_built_in_parts_is_the_index_built_at_once(
    isolated: Path, items: list[Publication], sizes: list[int], spill_ordinals: int
) -> None:
    """The token index given entries a few at a time, its lists moved to a temporary
    file after every part, after some or never, writes what one pass over every entry
    gives, byte for byte."""
    from pubcli.store.text_index import IndexBuilder

    groups = [cache_module._groups(p) for p in items]
    builder = IndexBuilder(isolated, spill_ordinals)
    at = 0
    while at < len(groups):
        size = sizes[at % len(sizes)]
        builder.add(groups[at : at + size])
        at += size
    written: dict[str, bytearray] = {}

    def section(name: str) -> bytearray:
        written[name] = bytearray()
        return written[name]

    class Sink:
        def __init__(self, name: str) -> None:
            self.data = section(name)

        def write(self, data: bytes) -> None:
            self.data += data

    builder.write(Sink)
    assert {name: bytes(data) for name, data in written.items()} == reference_index(groups)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(publication_strategy, max_size=4) | catalogue_strategy)
def test_the_index_of_folded_values_is_the_index_of_normalized_ones(
    isolated: Path, items: list[Publication]
) -> None:
    """The build gives the index each value folded, its whitespace as written (it splits
    the value anyway): the index written is the one-pass index of the normalized
    values (``field_groups``) that searches read, whatever whitespace a text holds."""
    from pubcli.store.text_index import IndexBuilder

    builder = IndexBuilder(isolated)
    builder.add(map(cache_module._index_groups, items))
    written: dict[str, bytearray] = {}

    class Sink:
        def __init__(self, name: str) -> None:
            self.data = written.setdefault(name, bytearray())

        def write(self, data: bytes) -> None:
            self.data += data

    builder.write(Sink)
    expected = reference_index([cache_module._groups(p) for p in items])
    assert {name: bytes(data) for name, data in written.items()} == expected


_PIECES = ["a", '"', ",", "[", "]", '\\"', "\\\\", "\\a"]
_TAKEN_LIKE = st.builds(
    lambda id_, key: '["' + "".join(id_) + '"' + ("" if key is None else "," + "".join(key)) + "]",
    st.lists(st.sampled_from(_PIECES), max_size=6),
    st.none() | st.lists(st.sampled_from(_PIECES), max_size=6),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_TAKEN_LIKE | st.text(alphabet="".join(_PIECES), max_size=8), max_size=6))
def test_the_taken_line_pattern_reads_lines_as_its_plain_form_does(lines: list[str]) -> None:
    """The taken section's line pattern, written for speed (a string as runs of plain
    characters between escapes), finds what its plain form (one character or one escape
    at a time) finds, in any bytes."""
    import re

    plain = re.compile(rb'^\[("(?:[^"\\\n]|\\.)*")(,.*)?\]$', re.MULTILINE)
    data = "\n".join(lines).encode("ascii")
    assert cache_module._TAKEN_LINE.findall(data) == plain.findall(data)
