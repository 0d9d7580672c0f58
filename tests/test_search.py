"""The search grammar of --text: how a query reads, what it means, and its errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pubcli.store.memory import open_store
from pubcli.store.query import Criteria
from pubcli.store.search import FIELDS, Query, QuerySyntaxError, Term, parse
from tests.conftest import Outcome, entry, run_process

Cli = Callable[..., Outcome]

TITLE, SUMMARY, COMPONENT = FIELDS.index("title"), FIELDS.index("summary"), 4


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ()),
        ("Border  WALL", ((Term("border"),), (Term("wall"),))),
        ('"Border   wall"', ((Term("border wall"),),)),
        ("-storm", ((Term("storm", negated=True),),)),
        ('-"a  b"', ((Term("a b", negated=True),),)),
        ("a b OR c d", ((Term("a"),), (Term("b"), Term("c")), (Term("d"),))),
        ("a OR b OR -c", ((Term("a"), Term("b"), Term("c", negated=True)),)),
        ('title:"border wall"', ((Term("border wall", TITLE),),)),
        ("-summary:x", ((Term("x", SUMMARY, True),),)),
        ("component:ICE", ((Term("ice", COMPONENT),),)),
        ("https://x.gov foo:bar", ((Term("https://x.gov"),), (Term("foo:bar"),))),
        ("Title:x", ((Term("title:x"),),)),  # field names are lowercase
        ("covid-19 or -OR", ((Term("covid-19"),), (Term("or"),), (Term("or", negated=True),))),
        ('foo"bar baz"qux', ((Term("foo"),), (Term("bar baz"),), (Term("qux"),))),
        ("title:-x", ((Term("-x", TITLE),),)),
        ("a a A", ((Term("a"),),)),
        ("\u00e9t\u00e9 E\u0301T\u00c9", ((Term("\u00e9t\u00e9"),),)),
    ],
)
def test_queries_read_as_documented(query: str, expected: Query) -> None:
    """Words, phrases, exclusion, OR tighter than AND, field prefixes, duplicates once."""
    assert parse(query) == expected


@pytest.mark.parametrize(
    ("query", "column", "problem"),
    [
        ('border "wall', 8, "a quote that is never closed"),
        ('a "b" "', 7, "a quote that is never closed"),
        ("a - b", 3, "'-' with nothing to exclude"),
        ("a -", 3, "'-' with nothing to exclude"),
        ("OR a", 1, "OR needs a term on each side"),
        ("a OR", 3, "OR needs a term on each side"),
        ("a OR OR b", 3, "OR needs a term on each side"),
        ("a title: b", 3, "'title:' with nothing after it"),
        ('a ""', 3, "an empty phrase"),
        ('-"  "', 2, "an empty phrase"),
    ],
)
def test_a_malformed_query_names_its_column(query: str, column: int, problem: str) -> None:
    """Every malformed query is a usage error that says what and where."""
    with pytest.raises(QuerySyntaxError) as raised:
        parse(query)
    assert raised.value.column == column
    assert str(raised.value) == f"--text {query!r}: {problem} at column {column}"


def render(query: Query) -> str:
    """A query written back as text (the inverse of parse for parsed queries)."""

    def term(t: Term) -> str:
        field = f"{FIELDS[t.field]}:" if t.field is not None else ""
        body = t.needle if " " not in t.needle and t.needle != "or" else f'"{t.needle}"'
        return ("-" if t.negated else "") + field + body

    return " ".join(" OR ".join(map(term, clause)) for clause in query)


needles = st.text(alphabet="ab c-:é", min_size=1, max_size=6).map(lambda t: " ".join(t.split()))
terms = st.builds(
    Term,
    needles.filter(lambda n: n and not n.startswith("-") and ":" not in n[:10]),
    st.none() | st.sampled_from(range(len(FIELDS))),
    st.booleans(),
)


@given(st.lists(st.lists(terms, min_size=1, max_size=3).map(tuple), max_size=4).map(tuple))
def test_a_written_query_reads_back_the_same(query: Query) -> None:
    """Any query, written in the grammar, parses to itself (each term and clause once)."""
    unique = tuple(dict.fromkeys(tuple(dict.fromkeys(clause)) for clause in query))
    assert parse(render(query)) == unique


@given(st.text(alphabet='ab "-:OR\t titlecomponent', max_size=30) | st.text(max_size=30))
def test_any_text_parses_or_names_a_column_within_it(query: str) -> None:
    """Whatever the text: a query, or a QuerySyntaxError with a column inside the text."""
    try:
        parsed = parse(query)
    except QuerySyntaxError as error:
        assert 1 <= error.column <= len(query)
    else:
        assert all(term.needle for clause in parsed for term in clause)


PHRASES = [
    entry("a1", "Border  Security Report", components=("ICE", "DHS")),
    entry("a2", "Security border", summary="the border\nsecurity plan"),
    entry("a3", "Cyberborder securityx", topics=("border", "security")),
    entry("a4", "Acborder bdsecurity", type_="Border Security"),
]


@pytest.mark.parametrize("cache", [False, True], ids=["memory", "cache"])
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"border security"', ["a1", "a2", "a3", "a4"]),  # a2 in its summary, a4 its type
        ('"der secu"', ["a1", "a2", "a3", "a4"]),  # a substring, across one space
        ('title:"border security"', ["a1", "a3"]),
        ('"border security" -type:border', ["a1", "a2", "a3"]),
        ('"ice dhs"', []),  # never across two components
        ('"security border"', ["a2"]),  # never across two topics, nor two fields
        ('"report a1"', []),
        ('"r bd"', ["a4"]),
        ('"rder bdsec"', ["a4"]),
        ('"ac bd"', []),
        ("component:dhs OR topic:security", ["a1", "a3"]),
        ("-border", []),
        ("id:a1 OR id:a4 -report", ["a4"]),
    ],
)
def test_phrases_and_fields_from_memory_and_cache(
    isolated: Path, cache: bool, query: str, expected: list[str]
) -> None:
    """Phrases are adjacent words in one field; the cache's positions agree with a scan."""
    path = isolated / "c.toml"
    path.write_text("\n".join(PHRASES), encoding="utf-8")
    directory = isolated / "cache" if cache else None
    open_store(path, "c", directory)  # writes the cache
    store = open_store(path, "c", directory)
    assert type(store).__name__ == ("CachedStore" if cache else "MemoryStore")
    assert store.ids(store.select(Criteria(texts=(query,)))) == expected


def test_several_text_options_match_any_of_them(cli: Cli, make_catalogue: Callable) -> None:
    """--text given twice: either query (as any criterion given several times)."""
    make_catalogue(*PHRASES)
    result = cli("filter", "--text", "id:a1", "--text", '"r bd"', "-f", "ids", "--sort", "id")
    assert (result.code, result.out) == (0, "a1\na4\n")


@pytest.mark.parametrize("cache", [[], ["--no-cache"]], ids=["cache", "no-cache"])
def test_a_malformed_query_exits_2_with_one_line(
    make_catalogue: Callable, isolated: Path, cache: list[str]
) -> None:
    """Both routes (quick and Typer, with or without the cache) say where, in one line."""
    make_catalogue(*PHRASES)
    for arguments in (["--text", 'a "b'], ["--text=-"], ["--text", "x OR"]):
        result = run_process(["filter", *arguments, *cache], cwd=isolated)
        err = result.stderr.decode()
        assert result.returncode == 2, err
        assert err.startswith("error: --text ") and "at column" in err
        assert err.count("\n") == 1 and not result.stdout


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("it's \"wall", "'it's \"wall'"),
        ('back\\slash "', "'back\\slash \"'"),
        ('esc\x1b "', "'esc\\x1b \"'"),
    ],
)
def test_a_malformed_query_is_quoted_as_typed(
    make_catalogue: Callable, isolated: Path, query: str, shown: str
) -> None:
    """The query in the message is the query as typed between single quotes, a control
    character escaped once: no backslash doubled, no quote escaped (as repr would)."""
    make_catalogue(*PHRASES)
    result = run_process(["filter", "--text", query], cwd=isolated)
    assert result.returncode == 2
    assert result.stderr.decode().startswith(f"error: --text {shown}: a quote that is never")


def test_an_exclusion_can_start_the_query(make_catalogue: Callable, isolated: Path) -> None:
    """``--text -word`` is a query, not an option: Typer takes it as the value."""
    make_catalogue(*PHRASES)
    result = run_process(
        ["filter", "--text", "-report", "-f", "ids", "--sort", "id"], cwd=isolated
    )
    assert (result.returncode, result.stdout) == (0, b"a2\na3\na4\n")


def test_filter_help_documents_the_grammar(cli: Cli) -> None:
    """--help names every part of the grammar."""
    out = cli("filter", "--help").out
    for part in ('"a phrase"', "-word", "OR", "title:", "summary:", "component:", "topic:"):
        assert part in out, part


@pytest.mark.parametrize(
    "query", ['"entry 3"', "title:entry", '"storm report"', "title:storm", '-"entry 3"']
)
def test_phrases_and_fields_follow_a_hand_edit_in_the_cache(isolated: Path, query: str) -> None:
    """A title edited by hand: the cache patches itself (the new text overrides the index's
    positions), and a phrase or a field term answers by the new title, as the file does."""
    path = isolated / "c.toml"
    blocks = [entry(f"e{n}", f"Entry {n}", date="2020-01-01") for n in range(5)]
    path.write_text("\n".join(blocks), encoding="utf-8")
    directory = isolated / "cache"
    open_store(path, "c", directory)  # writes the cache
    blocks[3] = entry("e3", "Storm Report", date="2020-01-01")
    path.write_text("\n".join(blocks), encoding="utf-8")
    open_store(path, "c", directory)  # patches it
    store = open_store(path, "c", directory)
    assert type(store).__name__ == "CachedStore"
    criteria = Criteria(texts=(query,))
    assert store.select(criteria) == open_store(path, "c", None).select(criteria)
