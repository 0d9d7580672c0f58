"""merge-driver: catalogues merged entry by entry, matched by id (SPEC section 10).

The algorithm on bytes (hand-written cases and random edit sets), then the command's
exit codes and what it leaves in OURS.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
import tomli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pubcli.catalogue.merge import merge_catalogues
from tests.conftest import Outcome, entry

Cli = Callable[..., Outcome]


def catalogue(
    *blocks: str, preamble: str = "schema_version = 1\n\n", newline: str = "\n"
) -> bytes:
    """A catalogue of ``blocks`` with a blank line between them."""
    return (preamble + "\n".join(blocks)).replace("\n", newline).encode()


def merged(base: bytes, ours: bytes, theirs: bytes) -> tuple[str, list[str]]:
    result = merge_catalogues(base, ours, theirs, label="data/publications.toml")
    return result.content.decode(), result.conflicts


def ids_of(text: str) -> list[str]:
    return [table["id"] for table in tomli.loads(text).get("publications", [])]


A, B, C = entry("a", "Alpha"), entry("b", "Beta"), entry("c", "Gamma")


def test_entries_added_on_both_sides_are_all_there_ours_first() -> None:
    """Both branches append: ours' new entry, then theirs', every byte of both kept."""
    base = catalogue(A, B)
    ours = catalogue(A, B, entry("d", "Delta"))
    theirs = catalogue(A, B, entry("e", "Epsilon"))
    text, conflicts = merged(base, ours, theirs)
    assert conflicts == []
    assert text == catalogue(A, B, entry("d", "Delta"), entry("e", "Epsilon")).decode()


def test_a_change_on_one_side_and_an_append_on_the_other_merge() -> None:
    """The last entry changed on theirs while ours appended after it (adding a blank line
    to its block): no conflict, theirs' change kept."""
    changed_b = entry("b", "Beta, revised")
    text, conflicts = merged(
        catalogue(A, B), catalogue(A, B, entry("d", "Delta")), catalogue(A, changed_b)
    )
    assert conflicts == []
    assert text == catalogue(A, changed_b, entry("d", "Delta")).decode()


def test_removed_on_one_side_and_untouched_on_the_other_is_gone() -> None:
    text, conflicts = merged(catalogue(A, B, C), catalogue(A, C), catalogue(A, B, C))
    assert (ids_of(text), conflicts) == (["a", "c"], [])


def test_the_same_change_on_both_sides_is_taken_once() -> None:
    changed = entry("b", "Beta, revised")
    new = entry("d", "Delta")
    text, conflicts = merged(
        catalogue(A, B), catalogue(A, changed, new), catalogue(A, changed, new)
    )
    assert (text, conflicts) == (catalogue(A, changed, new).decode(), [])


def test_different_changes_to_one_entry_are_marked_around_it_alone() -> None:
    """Markers surround that entry; the entries before and after are whole."""
    ours = catalogue(A, entry("b", "Beta by us"), C)
    theirs = catalogue(A, entry("b", "Beta by them"), C)
    text, conflicts = merged(catalogue(A, B, C), ours, theirs)
    assert conflicts == ["'b': changed differently on both sides"]
    assert (
        text
        == catalogue(
            A,
            "<<<<<<< ours:data/publications.toml\n"
            + entry("b", "Beta by us")
            + "=======\n"
            + entry("b", "Beta by them")
            + ">>>>>>> theirs:data/publications.toml\n",
            C,
        ).decode()
    )


@pytest.mark.parametrize("side", ["ours", "theirs"])
def test_changed_on_one_side_and_removed_on_the_other_is_a_conflict(side: str) -> None:
    changed = catalogue(A, entry("b", "Beta, revised"), C)
    removed = catalogue(A, C)
    ours, theirs = (changed, removed) if side == "ours" else (removed, changed)
    text, conflicts = merged(catalogue(A, B, C), ours, theirs)
    assert len(conflicts) == 1 and "removed" in conflicts[0]
    ours_part = entry("b", "Beta, revised") if side == "ours" else ""
    theirs_part = "" if side == "ours" else entry("b", "Beta, revised")
    marked = (
        f"<<<<<<< ours:data/publications.toml\n{ours_part}=======\n"
        f"{theirs_part}>>>>>>> theirs:data/publications.toml\n"
    )
    assert marked in text
    assert text.count("[[publications]]") == 3


def test_the_same_id_added_differently_is_a_conflict() -> None:
    _, conflicts = merged(
        catalogue(A), catalogue(A, entry("d", "One")), catalogue(A, entry("d", "Other"))
    )
    assert conflicts == ["'d': added differently on both sides"]


def test_crlf_comments_between_entries_and_no_final_newline_keep_their_bytes() -> None:
    """Comments directly above a header go with the entry; other comments between entries
    stay after the entry before them; CRLF and a missing final newline survive."""
    base = (
        "# The catalogue\r\nschema_version = 1\r\n\r\n"
        "# about a\r\n" + A.replace("\n", "\r\n") + "\r\n"
        "# a note between entries\r\n\r\n" + B.replace("\n", "\r\n").rstrip("\r\n")
    ).encode()
    ours = (
        base.replace(b'"Alpha"', b'"Alpha, ours"')
        + b"\r\n\r\n"
        + C.replace("\n", "\r\n").encode().rstrip(b"\r\n")
    )
    theirs = base.replace(b"# The catalogue", b"# The catalogue, theirs")
    text, conflicts = merged(base, ours, theirs)
    assert conflicts == []
    assert text.encode() == ours.replace(b"# The catalogue", b"# The catalogue, theirs")


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_byte_order_mark_stays_the_first_bytes_with_nothing_after_it(newline: str) -> None:
    """A file that starts with a BOM and then its first entry: the BOM is no line of text,
    so no line end is put after it (the merge added a blank line there)."""
    bom = "\ufeff"
    base = catalogue(A, B, preamble=bom, newline=newline)
    ours = catalogue(A, B, entry("d", "Delta"), preamble=bom, newline=newline)
    theirs = catalogue(entry("a", "Alpha, theirs"), B, preamble=bom, newline=newline)
    text, conflicts = merged(base, ours, theirs)
    assert conflicts == []
    expected = catalogue(
        entry("a", "Alpha, theirs"), B, entry("d", "Delta"), preamble=bom, newline=newline
    )
    assert text.encode() == expected


def test_the_preamble_merges_by_lines() -> None:
    """The top comment changed on one side and schema_version on the other; then both
    change schema_version: a conflict around that line."""
    base = catalogue(A, preamble="# Catalogue\n# of ICE\nschema_version = 1\n\n")
    ours = catalogue(A, preamble="# The catalogue\n# of ICE\nschema_version = 1\n\n")
    theirs = catalogue(A, preamble="# Catalogue\n# of ICE\nschema_version = 2\n\n")
    text, conflicts = merged(base, ours, theirs)
    assert conflicts == []
    assert (
        text == catalogue(A, preamble="# The catalogue\n# of ICE\nschema_version = 2\n\n").decode()
    )
    both = catalogue(A, preamble="# Catalogue\n# of ICE\nschema_version = 3\n\n")
    text, conflicts = merged(base, both, theirs)
    assert conflicts == ["the text before the entries changed differently on both sides"]
    assert text.startswith(
        "# Catalogue\n# of ICE\n<<<<<<< ours:data/publications.toml\nschema_version = 3\n"
        "=======\nschema_version = 2\n>>>>>>> theirs:data/publications.toml\n\n[[publications]]"
    )


# --- random edit sets ------------------------------------------------------------------

IDS = [f"e{number}" for number in range(8)]
# What one side does to an id: keep it as base has it, change its title, remove it
# (for ids of base), or add it (for the others).
KEEP, CHANGE, REMOVE = "keep", "change", "remove"


@st.composite
def styles(draw: st.DrawFn) -> tuple[str, str, bool]:
    """A file's newline, what separates entries, and whether it ends with a newline."""
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    between = draw(st.sampled_from(["\n", ""]))
    return newline, between, draw(st.booleans())


def render(titles: dict[str, str], order: list[str], style: tuple[str, str, bool]) -> bytes:
    """A catalogue of these entries in this order. Some have a comment directly above
    their header, some a comment after them (a blank line before the next entry)."""
    newline, between, final_newline = style
    blocks = []
    for id_ in order:
        number = int(id_[1:])
        above = f"# above {id_}\n" if number % 2 else ""
        after = f"\n# after {id_}\n\n" if number % 3 == 0 else ""
        blocks.append(above + entry(id_, titles[id_], url=f"https://example.org/{id_}") + after)
    text = "# Catalogue\nschema_version = 1\n\n" + between.join(blocks)
    if not final_newline:
        text = text.rstrip("\n")
    return text.replace("\n", newline).encode()


def apply(
    base: dict[str, str], order: list[str], actions: dict[str, str], side: str
) -> tuple[dict[str, str], list[str]]:
    """One side's titles and order after ``actions``; additions go at the end."""
    titles = dict(base)
    kept = []
    for id_ in order:
        action = actions.get(id_, KEEP)
        if action == REMOVE:
            del titles[id_]
            continue
        if action == CHANGE:
            titles[id_] = f"{base[id_]}, changed by {side}"
        kept.append(id_)
    added = [id_ for id_, action in actions.items() if id_ not in base and action != REMOVE]
    for id_ in added:
        titles[id_] = f"Title {id_} added by {side}"
    return titles, kept + added


@st.composite
def disjoint_edits(draw: st.DrawFn) -> tuple[list[str], dict[str, str], dict[str, str]]:
    """Base ids (in a random order), and the actions of ours and theirs on disjoint ids."""
    base_ids = draw(st.lists(st.sampled_from(IDS), unique=True))
    owner = {id_: draw(st.sampled_from(["ours", "theirs", "nobody"])) for id_ in IDS}
    actions: dict[str, dict[str, str]] = {"ours": {}, "theirs": {}}
    for id_ in IDS:
        if owner[id_] == "nobody":
            continue
        choices = [KEEP, CHANGE, REMOVE] if id_ in base_ids else ["add", REMOVE]
        actions[owner[id_]][id_] = draw(st.sampled_from(choices))
    return base_ids, actions["ours"], actions["theirs"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=disjoint_edits(), style=styles())
def test_sides_that_touch_different_ids_never_conflict(
    edits: tuple[list[str], dict[str, str], dict[str, str]], style: tuple[str, str, bool]
) -> None:
    """The result parses, holds exactly the expected ids once each, ours' first, every
    entry as the side that changed it has it."""
    base_ids, ours_actions, theirs_actions = edits
    base_titles = {id_: f"Title {id_}" for id_ in base_ids}
    ours_titles, ours_order = apply(base_titles, base_ids, ours_actions, "ours")
    theirs_titles, theirs_order = apply(base_titles, base_ids, theirs_actions, "theirs")
    result = merge_catalogues(
        render(base_titles, base_ids, style),
        render(ours_titles, ours_order, style),
        render(theirs_titles, theirs_order, style),
    )
    assert result.conflicts == []
    # Kept by both, or added by one; ours' order, then theirs' new ones in theirs'.
    expected = [id_ for id_ in ours_order if id_ in theirs_titles or id_ not in base_titles]
    expected += [id_ for id_ in theirs_order if id_ not in ours_titles and id_ not in base_titles]
    tables = tomli.loads(result.content.decode()).get("publications", [])
    assert [table["id"] for table in tables] == expected
    for table in tables:
        id_ = table["id"]
        changed = theirs_titles if theirs_actions.get(id_) in (CHANGE, "add") else ours_titles
        assert table["title"] == changed[id_]


@settings(max_examples=200, deadline=None)
@given(
    base_ids=st.lists(st.sampled_from(IDS), unique=True),
    actions=st.dictionaries(st.sampled_from(IDS), st.sampled_from([KEEP, CHANGE, REMOVE, "add"])),
    style=styles(),
)
def test_merging_a_version_with_itself_gives_it_back(
    base_ids: list[str], actions: dict[str, str], style: tuple[str, str, bool]
) -> None:
    """ours == theirs: the result is ours, byte for byte."""
    base_titles = {id_: f"Title {id_}" for id_ in base_ids}
    actions = {
        id_: action for id_, action in actions.items() if (id_ in base_titles) != (action == "add")
    }
    titles, order = apply(base_titles, base_ids, actions, "both")
    side = render(titles, order, style)
    result = merge_catalogues(render(base_titles, base_ids, style), side, side)
    assert (result.content, result.conflicts) == (side, [])


# --- the command ---------------------------------------------------------------------


def write_versions(directory: Path, base: bytes, ours: bytes, theirs: bytes) -> list[str]:
    paths = []
    for name, data in (("base", base), ("ours", ours), ("theirs", theirs)):
        path = directory / f"{name}.toml"
        path.write_bytes(data)
        paths.append(str(path))
    return paths


def test_a_clean_merge_is_written_into_ours_keeping_its_mode(cli: Cli, isolated: Path) -> None:
    """Exit 0, the result in OURS (replaced, with OURS' permission bits), nothing said."""
    expected = catalogue(A, B, entry("d", "Delta"), entry("e", "Epsilon"))
    paths = write_versions(
        isolated,
        catalogue(A, B),
        catalogue(A, B, entry("d", "Delta")),
        catalogue(A, B, entry("e", "Epsilon")),
    )
    os.chmod(paths[1], 0o640)
    result = cli("merge-driver", *paths, "data/publications.toml")
    assert (result.code, result.out, result.err) == (0, "", "")
    assert Path(paths[1]).read_bytes() == expected
    assert stat.S_IMODE(os.stat(paths[1]).st_mode) == 0o640
    assert sorted(p.name for p in isolated.iterdir() if p.is_file()) == [
        "base.toml",
        "ours.toml",
        "theirs.toml",
    ]


def test_conflicts_are_exit_1_named_on_stderr_and_written(cli: Cli, isolated: Path) -> None:
    paths = write_versions(
        isolated,
        catalogue(A, B),
        catalogue(A, entry("b", "Beta by us")),
        catalogue(A, entry("b", "Beta by them")),
    )
    result = cli("merge-driver", *paths, "data/publications.toml")
    assert result.code == 1
    assert result.err == (
        "conflict: data/publications.toml: 'b': changed differently on both sides\n"
    )
    assert b"<<<<<<< ours:data/publications.toml\n" in Path(paths[1]).read_bytes()


def test_a_merge_that_fails_check_is_exit_1(cli: Cli, isolated: Path) -> None:
    """Each side adds the same title and date under its own id: merged, but not valid."""
    ours = catalogue(A, entry("d", "Same", date="2020-01-01"))
    theirs = catalogue(A, entry("e", "Same", date="2020-01-01"))
    paths = write_versions(isolated, catalogue(A), ours, theirs)
    result = cli("merge-driver", *paths)
    assert result.code == 1
    assert "same title and date as 'd'" in result.err
    assert ids_of(Path(paths[1]).read_text()) == ["a", "d", "e"]


def test_a_merge_holding_a_conflict_inside_a_summary_is_exit_1(cli: Cli, isolated: Path) -> None:
    """A summary that holds a whole conflict left by git's line merge parses, but check
    reports it: the merge says so too (exit 1), as it does for anything check finds."""
    left = 'summary = """\n<<<<<<< HEAD\nOurs.\n=======\nTheirs.\n>>>>>>> other\n"""\n'
    theirs = catalogue(A, entry("e", "Epsilon") + left)
    paths = write_versions(isolated, catalogue(A), catalogue(A, entry("d", "Delta")), theirs)
    result = cli("merge-driver", *paths)
    assert result.code == 1
    assert "unresolved merge conflict" in result.err
    assert ids_of(Path(paths[1]).read_text()) == ["a", "d", "e"]


@pytest.mark.parametrize(
    ("broken", "said"),
    [
        ('[publications.extra]\nnote = "x"\n', "is a table that is not an entry"),
        (
            '[[publications]]\ntitle = "No id"\ntype = "T"\ncomponents = ["X"]\n',
            "without a string id",
        ),
        (entry("a", "Alpha again"), "duplicate id 'a'"),
    ],
)
@pytest.mark.parametrize("version", [0, 1, 2])
def test_a_version_that_cannot_be_merged_by_id_leaves_ours_untouched(
    cli: Cli, isolated: Path, broken: str, said: str, version: int
) -> None:
    """Exit 3 (2 or more, as git asks), one error line, OURS byte for byte as it was."""
    versions = [catalogue(A, B), catalogue(A, B, C), catalogue(A)]
    versions[version] += b"\n" + broken.encode()
    paths = write_versions(isolated, *versions)
    before = Path(paths[1]).read_bytes()
    result = cli("merge-driver", *paths)
    assert result.code == 3
    assert result.err.startswith("error: ") and said in result.err
    assert result.err.count("\n") == 1
    assert Path(paths[1]).read_bytes() == before


def test_a_missing_version_is_an_error_and_ours_untouched(cli: Cli, isolated: Path) -> None:
    paths = write_versions(isolated, catalogue(A), catalogue(A, B), catalogue(A))
    result = cli("merge-driver", paths[0], paths[1], str(isolated / "nowhere.toml"))
    assert result.code == 3 and result.err.startswith("error: cannot read catalogue ")
    assert Path(paths[1]).read_bytes() == catalogue(A, B)
