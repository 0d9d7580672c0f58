"""Filters, sort orders and id lookup, on in-memory publications."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pubcli.catalogue.loader import Catalogue
from pubcli.errors import NoMatchError, UsageError
from pubcli.model import Publication
from pubcli.store.lookup import resolve_id
from pubcli.store.memory import MemoryStore
from pubcli.store.query import Criteria, parse_date_bound


def pub(
    id_: str,
    title: str = "T",
    *,
    date: datetime.date | None = None,
    type_: str = "Statement",
    components: tuple[str, ...] = ("ICE",),
    topics: tuple[str, ...] = (),
    summary: str = "",
) -> Publication:
    return Publication(
        id=id_,
        title=title,
        type=type_,
        date=date,
        components=components,
        topics=topics,
        summary=summary,
    )


D = datetime.date


# The steps list, filter and show take, through the store that answers them.
def select(items: list[Publication], criteria: Criteria) -> list[Publication]:
    store = MemoryStore(Catalogue("c", items, [], []))
    return store.publications(store.select(criteria))


def sort_publications(
    items: list[Publication], key: str = "date", *, reverse: bool = False
) -> list[Publication]:
    store = MemoryStore(Catalogue("c", items, [], []))
    return store.publications(store.order(range(len(items)), key, reverse=reverse))


def find_by_id(items: list[Publication], wanted: str) -> Publication:
    return items[resolve_id(MemoryStore(Catalogue("c", items, [], [])), wanted)]


def test_default_order_is_newest_first_undated_last_ties_by_title_then_id() -> None:
    """Date descending; equal dates by title, then id, ignoring case; undated at the end."""
    items = [
        pub("u", "Undated"),
        pub("b", "beta", date=D(2019, 1, 1)),
        pub("a2", "Alpha", date=D(2019, 1, 1)),
        pub("a1", "alpha", date=D(2019, 1, 1)),
        pub("new", "New", date=D(2020, 1, 1)),
    ]
    assert [p.id for p in sort_publications(items)] == ["new", "a1", "a2", "b", "u"]
    assert [p.id for p in sort_publications(items, reverse=True)] == ["u", "b", "a2", "a1", "new"]


@pytest.mark.parametrize(
    ("key", "expected"),
    [("title", ["a", "B", "c"]), ("id", ["a", "B", "c"]), ("type", ["c", "B", "a"])],
)
def test_text_sorts_are_ascending_and_ignore_case(key: str, expected: list[str]) -> None:
    """Title, id and type sort ascending, case-insensitively."""
    items = [
        pub("c", "c", type_="a"),
        pub("a", "a", type_="z"),
        pub("B", "B", type_="M"),
    ]
    assert [p.id for p in sort_publications(items, key)] == expected


@pytest.mark.parametrize(
    ("text", "end", "expected"),
    [
        ("2019", False, D(2019, 1, 1)),
        ("2019", True, D(2019, 12, 31)),
        ("2020-02", True, D(2020, 2, 29)),
        ("2019-02", False, D(2019, 2, 1)),
        ("2019-08-28", True, D(2019, 8, 28)),
    ],
)
def test_date_bounds_widen_to_the_period(text: str, end: bool, expected: D) -> None:
    """A year or month means its first day for --since and its last for --until."""
    assert parse_date_bound(text, end=end, option="--since") == expected


@pytest.mark.parametrize("text", ["2019-02-30", "19", "2019-13", "2019/01/01", "soon", ""])
def test_bad_date_bounds_are_usage_errors(text: str) -> None:
    """Not a date: a usage error that says what is expected."""
    with pytest.raises(UsageError, match="expected YYYY, YYYY-MM or YYYY-MM-DD"):
        parse_date_bound(text, end=False, option="--since")


def test_each_criterion() -> None:
    """Type, component and topic ignore case; dates exclude undated entries."""
    items = [
        pub("a", type_="Letter", components=("CBP",), topics=("Border",), date=D(2019, 5, 1)),
        pub("b", type_="statement", components=("ice", "DHS")),
    ]
    assert [p.id for p in select(items, Criteria(types=("LETTER",)))] == ["a"]
    assert [p.id for p in select(items, Criteria(components=("dhs",)))] == ["b"]
    assert [p.id for p in select(items, Criteria(topics=("border",)))] == ["a"]
    assert [p.id for p in select(items, Criteria(until=D(2030, 1, 1)))] == ["a"]
    assert [p.id for p in select(items, Criteria(since=D(2019, 5, 2)))] == []
    assert [p.id for p in select(items, Criteria(types=("letter", "statement")))] == ["a", "b"]
    assert select(items, Criteria(types=("letter",), components=("ICE",))) == []


def test_text_needs_every_word_in_any_field_with_unicode_casefold() -> None:
    """Words may sit in different fields; ß matches SS through casefolding."""
    items = [
        pub("opioid-report", "Confronting the Crisis", summary="Die STRASSE"),
        pub("other", "Opioid", topics=("Border",)),
    ]
    assert [p.id for p in select(items, Criteria(texts=("opioid crisis",)))] == ["opioid-report"]
    assert [p.id for p in select(items, Criteria(texts=("straße",)))] == ["opioid-report"]
    assert [p.id for p in select(items, Criteria(texts=("border opioid",)))] == ["other"]
    assert len(select(items, Criteria(texts=("crisis", "border")))) == 2


def test_find_by_id_exact_prefix_ambiguous_unknown() -> None:
    """An exact id wins over a prefix; a unique prefix works; others name candidates."""
    items = [pub("mpp"), pub("mpp-guidance"), pub("letter-el-salvador"), pub("letter-pelosi")]
    assert find_by_id(items, "mpp").id == "mpp"
    assert find_by_id(items, "mpp-g").id == "mpp-guidance"
    assert find_by_id(items, "LETTER-P").id == "letter-pelosi"
    with pytest.raises(NoMatchError, match="'letter' is ambiguous; .*letter-el-salvador"):
        find_by_id(items, "letter")
    with pytest.raises(NoMatchError, match="no publication with id 'mpq'; closest: mpp"):
        find_by_id(items, "mpq")


words = st.text(alphabet="abcß ", min_size=0, max_size=6)
publications = st.lists(
    st.builds(
        pub,
        st.from_regex(r"[a-c]{1,3}", fullmatch=True),
        words.filter(str.strip),
        date=st.none() | st.dates(D(2018, 1, 1), D(2020, 12, 31)),
        type_=st.sampled_from(["Letter", "letter", "Form"]),
        components=st.lists(st.sampled_from(["ICE", "cbp", "DHS"]), min_size=1).map(tuple),
        topics=st.lists(st.sampled_from(["A", "b"])).map(tuple),
        summary=words,
    ),
    max_size=8,
)


@given(publications, st.lists(words, max_size=2), st.lists(st.sampled_from(["ice", "x"])))
def test_filter_matches_the_spec_definition(
    items: list[Publication], texts: list[str], components: list[str]
) -> None:
    """select() agrees with a direct reading of the spec for text and component criteria."""
    chosen = select(items, Criteria(texts=tuple(texts), components=tuple(components)))

    def spec(p: Publication) -> bool:
        fields = [p.id, p.title, p.type, p.summary, *p.components, *p.topics]
        text_ok = not texts or any(
            all(any(w.casefold() in f.casefold() for f in fields) for w in t.split())
            for t in texts
        )
        comp_ok = not components or any(
            c.casefold() == pc.casefold() for c in components for pc in p.components
        )
        return text_ok and comp_ok

    assert chosen == [p for p in items if spec(p)]


@given(publications, st.sampled_from(["date", "title", "id", "type"]), st.booleans())
def test_sorting_is_a_total_order_independent_of_input_order(
    items: list[Publication], key: str, reverse: bool
) -> None:
    """Shuffled input gives the same output; reverse is the exact mirror."""
    forward = sort_publications(items, key)
    assert sort_publications(list(reversed(items)), key) == forward or _has_twins(items, key)
    assert sort_publications(items, key, reverse=True) == list(reversed(forward))
    assert sorted(map(id, forward)) == sorted(map(id, items))


def _has_twins(items: list[Publication], key: str) -> bool:
    # Two entries equal in every field the order looks at may keep their input order.
    keys = [
        (
            p.date if key == "date" else getattr(p, key).casefold(),
            p.title.casefold(),
            p.id.casefold(),
        )
        for p in items
    ]
    return len(set(keys)) != len(keys)
