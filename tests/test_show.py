"""show: several ids, ids from standard input, and what it says when an id matches
nothing or too much (SPEC section 3; issue 11, item 4). Through the real entry point."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from bench.synth import write_catalogue
from tests.conftest import SHIPPED_CATALOGUE, entry, run_process

SHIPPED = ["-c", str(SHIPPED_CATALOGUE)]


@pytest.fixture
def catalogue(make_catalogue: Callable[..., Path]) -> Path:
    """Ids that do not hold every word of their titles."""
    return make_catalogue(
        entry("dhs-letter-2019", "Letter on Hurricane Dorian Relief", date="2019-09-01"),
        entry("statement-hurricane-dorian", "Statement on Hurricane Dorian", date="2019-08-30"),
        entry("mpp-guidance", "Migrant Protection Protocols Guidance", date="2019-01-25"),
        entry("mpp-fact-sheet", "MPP Fact Sheet", date="2019-02-01"),
    )


def show(
    *arguments: str, cwd: Path | None = None, stdin: bytes | None = None
) -> tuple[int, str, str]:
    result = run_process(["show", *arguments], cwd=cwd, input_bytes=stdin)
    return result.returncode, result.stdout.decode(), result.stderr.decode()


def test_show_imelda_suggests_the_imelda_statement() -> None:
    """A word of an id and title finds the publication (SPEC section 3's example)."""
    assert show("imelda", *SHIPPED) == (
        1,
        "",
        "error: no publication with id 'imelda'; closest: statement-tropical-depression-imelda\n",
    )


@pytest.mark.parametrize("no_cache", [[], ["--no-cache"]], ids=["cached", "uncached"])
@pytest.mark.parametrize(
    ("wanted", "closest"),
    [
        ("relief", "dhs-letter-2019"),  # a word of the title only
        ("dorian", "statement-hurricane-dorian, dhs-letter-2019"),  # words, then spelling
        ("hurricane-dorian-x", "statement-hurricane-dorian, dhs-letter-2019"),
        ("statement-hurricane-x", "statement-hurricane-dorian, dhs-letter-2019"),  # start
        ("stetement-hurricane-dorain", "statement-hurricane-dorian, dhs-letter-2019"),
        ("mpp-guidnace", "mpp-guidance, mpp-fact-sheet"),  # spelling, then a common word
    ],
)
def test_the_closest_ids_by_words_start_and_spelling(
    catalogue: Path, no_cache: list[str], wanted: str, closest: str
) -> None:
    """Exit 1 and the closest ids, best first, alike from the cache and from the file."""
    run_process(["list"], cwd=catalogue.parent.parent)  # the cache is warm for "cached"
    assert show(wanted, *no_cache, cwd=catalogue.parent.parent) == (
        1,
        "",
        f"error: no publication with id {wanted!r}; closest: {closest}\n",
    )


def test_nothing_close_is_suggested_for_nothing_alike(catalogue: Path) -> None:
    """No word, no start, no spelling in common: no suggestion rather than a guess."""
    assert show("zzz", cwd=catalogue.parent.parent) == (
        1,
        "",
        "error: no publication with id 'zzz'\n",
    )


def test_an_ambiguous_prefix_names_ten_ids_then_how_many_more(isolated: Path) -> None:
    """A prefix of 2,000 ids is one short line, not every id (a 20,000-entry catalogue
    printed a 360 KB line)."""
    path = write_catalogue(isolated / "big.toml", 2_000)
    code, out, err = show("synthetic-00", "-c", str(path))
    ten = ", ".join(f"synthetic-{n:06d}" for n in range(10))
    assert (code, out) == (1, "")
    assert err == f"error: 'synthetic-00' is ambiguous; it starts {ten} and 1990 more\n"


def test_several_ids_print_in_the_order_given(catalogue: Path) -> None:
    """JSON: one id, an object; several, an array in their order, an id named twice
    printed twice. Field lines and the table: one after another, a blank line between."""
    cwd = catalogue.parent.parent
    code, out, _ = show("mpp-g", "-f", "json", cwd=cwd)
    assert code == 0 and json.loads(out)["id"] == "mpp-guidance"
    code, out, _ = show("mpp-g", "dhs", "mpp-g", "-f", "json", cwd=cwd)
    assert code == 0
    assert [record["id"] for record in json.loads(out)] == [
        "mpp-guidance",
        "dhs-letter-2019",
        "mpp-guidance",
    ]
    code, out, _ = show("mpp-g", "dhs", cwd=cwd)
    assert out.startswith("id: mpp-guidance\n") and "\n\nid: dhs-letter-2019\n" in out
    code, out, _ = show("mpp-g", "dhs", "-f", "table", cwd=cwd)
    assert out.startswith("Migrant Protection Protocols Guidance\n")
    assert "\n\nLetter on Hurricane Dorian Relief\n" in out


def test_ids_from_standard_input(catalogue: Path) -> None:
    """``-`` reads one id a line, blank lines and spaces around skipped; always an array."""
    cwd = catalogue.parent.parent
    piped = run_process(["filter", "--text", "dorian", "-f", "ids"], cwd=cwd).stdout
    code, out, err = show("-", "-f", "json", cwd=cwd, stdin=b"\n" + piped + b"  \n")
    assert (code, err) == (0, "")
    assert [record["id"] for record in json.loads(out)] == [
        "dhs-letter-2019",
        "statement-hurricane-dorian",
    ]
    assert json.loads(show("-", "-f", "json", cwd=cwd, stdin=b"mpp-g\n")[1])[0]["title"]
    assert show("-", "-f", "json", cwd=cwd, stdin=b"\n\n") == (0, "[]\n", "")


def test_an_unknown_id_among_several_prints_nothing(catalogue: Path) -> None:
    """As ``git show A B``: each id that matches nothing, or several, is named; nothing
    is printed; exit 1. From standard input alike."""
    cwd = catalogue.parent.parent
    expected = (
        1,
        "",
        "error: no publication with id 'nope'\nerror: 'mpp' is ambiguous; it starts "
        "mpp-fact-sheet, mpp-guidance\n",
    )
    assert show("dhs", "nope", "mpp", "-f", "json", cwd=cwd) == expected
    assert show("-", "-f", "json", cwd=cwd, stdin=b"dhs\nnope\nmpp\n") == expected


def test_dash_goes_alone(catalogue: Path) -> None:
    """``-`` with other ids is a usage error: where would the piped ids go?"""
    assert show("dhs", "-", cwd=catalogue.parent.parent, stdin=b"mpp-g\n") == (
        2,
        "",
        "error: '-' reads the ids from standard input: give it as the only ID\n",
    )


@pytest.mark.parametrize("command", ["show", "edit", "remove"])
def test_an_unknown_id_is_shown_escaped_once(catalogue: Path, command: str) -> None:
    """An ESC in the id shows as \\x1b (never raw, and not \\\\x1b as repr would write it);
    a typed backslash shows as typed."""
    options = {"edit": ["--title", "New"], "remove": ["--yes"]}.get(command, [])
    result = run_process([command, "a\x1bb", "c\\d", *options], cwd=catalogue.parent.parent)
    assert result.returncode == 1
    err = result.stderr.decode()
    assert "\x1b" not in err
    assert "no publication with id 'a\\x1bb'" in err
    assert "no publication with id 'c\\d'" in err
