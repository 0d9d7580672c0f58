"""Citations (SPEC section 11) read by real consumers: the CSL schema and citeproc-py for
csl-json, bibtexparser with its LaTeX decoding for bibtex, rispy for ris."""

from __future__ import annotations

import json
import re
import unicodedata
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bibtexparser
import jsonschema
import pytest
import rispy
from bibtexparser.middlewares import LatexDecodingMiddleware
from hypothesis import given, settings
from hypothesis import strategies as st

from pubcli.fields import Record
from pubcli.model import Publication
from pubcli.output.citations import (
    CITATION_TYPES,
    bibtex_chunks,
    citation_type,
    csl_item,
    ris_chunks,
)
from pubcli.safe_text import escape_controls
from tests.conftest import SHIPPED_CATALOGUE, entry, publications, run_process

CSL_SCHEMA = json.loads((Path(__file__).parent / "csl" / "csl-data.json").read_text("utf-8"))
SPECIAL = "\\{}%&#_$~^@-`'?!<>,\"=é中ıßØ \n\t"
"""Every character BibTeX, LaTeX or RIS could read as syntax, and non-ASCII letters."""


def shipped(*arguments: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run pubcli on the shipped catalogue; its exit code, stdout and stderr."""
    done = run_process([*arguments, "-c", str(SHIPPED_CATALOGUE)], env=env)
    return done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8")


def shipped_records() -> list[Record]:
    code, out, _ = shipped("list", "--format", "json")
    assert code == 0
    records: list[Record] = json.loads(out)
    return records


def parse_bibtex(text: str) -> list[Any]:
    """Entries as bibtexparser 2 reads them, LaTeX decoded; no block may fail."""
    library = bibtexparser.parse_string(text, append_middleware=[LatexDecodingMiddleware()])
    assert not library.failed_blocks, [block.error for block in library.failed_blocks]
    return list(library.entries)


def record(**changes: Any) -> Record:
    base: dict[str, Any] = {
        "id": "x",
        "title": "T",
        "type": "Report",
        "date": "2019-08-30",
        "components": ["ICE"],
        "topics": [],
        "summary": "",
        "url": None,
    }
    base.update(changes)
    return base  # type: ignore[return-value]


# --- the mapping table ---------------------------------------------------------------


def test_every_shipped_type_has_its_own_row_and_others_the_catch_all() -> None:
    """The eight types of the shipped catalogue each have a row; any other type (in any
    case or spacing) takes the catch-all row: CSL document, BibTeX misc, RIS GEN."""
    types = {r["type"] for r in shipped_records()}
    assert types == {
        "Statement", "Letter", "Letter of Intent", "Policy Guidance",
        "Privacy Impact Assessment", "Report", "Strategy", "Form",
    }  # fmt: skip
    for kind in types:
        assert citation_type(kind) is CITATION_TYPES[kind.casefold()]
    assert citation_type("  privacy   IMPACT assessment ").csl == "report"
    assert tuple(citation_type("Testimony")) == ("document", "misc", "GEN")


def test_techreport_exactly_for_reports_assessments_and_strategies() -> None:
    """SPEC 11: @techreport for reports, assessments and strategies, @misc otherwise."""
    for kind, row in CITATION_TYPES.items():
        expected = "techreport" if row.csl == "report" else "misc"
        assert row.bibtex == expected, kind
    techreports = {k for k, row in CITATION_TYPES.items() if row.bibtex == "techreport"}
    assert techreports == {"report", "privacy impact assessment", "strategy"}


# --- CSL-JSON ------------------------------------------------------------------------


def test_the_shipped_catalogue_as_csl_json_validates_against_the_csl_schema() -> None:
    """Every item of `list --format csl-json` is valid CSL 1.0 input data."""
    code, out, err = shipped("list", "--format", "csl-json")
    assert (code, err) == (0, "")
    items = json.loads(out)
    jsonschema.validate(items, CSL_SCHEMA)
    assert [item["id"] for item in items] == [r["id"] for r in shipped_records()]


def test_csl_fields_follow_the_mapping() -> None:
    """Components are literal authors, topics the keyword, the summary the abstract, the
    date issued date-parts, the PIA series number the number; undated: no issued."""
    items = {item["id"]: item for item in json.loads(shipped("list", "-f", "csl-json")[1])}
    pia = items["dhs-ice-pia-049-parole-unit-case-management"]
    assert pia["type"] == "report"
    assert pia["number"] == "DHS/ICE/PIA-049"
    assert pia["issued"] == {"date-parts": [[2018, 12, 3]]}
    assert pia["author"] == [{"literal": "ICE"}]
    assert pia["keyword"] == "Privacy, Parole, Case Management Systems"
    assert pia["abstract"].startswith("The Parole and Law Enforcement Programs Unit")
    assert pia["URL"].startswith("https://www.dhs.gov/publication/dhsicepia-049")
    assert pia["genre"] == "Privacy Impact Assessment"
    undated = items["confronting-the-opioid-crisis"]
    assert "issued" not in undated and "number" not in undated and "URL" not in undated
    assert items["statement-hurricane-dorian"]["type"] == "speech"
    assert items["mcaleenan-letter-to-pelosi-2019-07-17"]["type"] == "personal_communication"


def test_citeproc_renders_a_bibliography_entry_for_every_shipped_publication() -> None:
    """citeproc-py formats each item with its title and year ("no date" when undated)."""
    from citeproc import (
        Citation,
        CitationItem,
        CitationStylesBibliography,
        CitationStylesStyle,
        formatter,
    )
    from citeproc.source.json import CiteProcJSON

    items = json.loads(shipped("list", "--format", "csl-json")[1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a field citeproc-py cannot read is a failure
        source = CiteProcJSON(items)
        style = CitationStylesStyle("harvard-cite-them-right", validate=False)
        bibliography = CitationStylesBibliography(style, source, formatter.plain)
        for item in items:
            bibliography.register(Citation([CitationItem(item["id"])]))
        entries = [str(text) for text in bibliography.bibliography()]
    assert len(entries) == len(items) == 10
    for item in items:
        (text,) = [e for e in entries if item["title"] in e]
        year = str(item["issued"]["date-parts"][0][0]) if "issued" in item else "no date"
        assert year in text


@settings(max_examples=200, deadline=None)
@given(publications)
def test_any_publication_is_a_valid_csl_item(publication: Publication) -> None:
    """Whatever the text, the item validates and reads back the same values."""
    item = csl_item(publication.to_record())
    jsonschema.validate([item], CSL_SCHEMA)
    assert item["title"] == publication.title
    assert item.get("abstract", "") == publication.summary
    assert [a["literal"] for a in item["author"]] == list(publication.components)


# --- BibTeX --------------------------------------------------------------------------

hostile_text = st.text(st.sampled_from(SPECIAL) | st.characters(), min_size=1, max_size=40)
urls = st.from_regex(r"https?://[a-z]{1,8}\.org/[a-zA-Z0-9%_~#&$^{}\\;@!'()*+,=:-]{0,20}",
                     fullmatch=True)  # fmt: skip


def bibtex_round_trip(title: str, summary: str, url: str, *, ascii_only: bool) -> None:
    publication = record(id="a", title=title, summary=summary, url=url, topics=["t"])
    neighbour = record(id="b", title="After", summary="next")
    text = "".join(bibtex_chunks([publication, neighbour], ascii_only=ascii_only))
    if ascii_only:
        assert text.isascii()
    first, second = parse_bibtex(text)
    assert (first.key, second.key) == ("a", "b")
    if not ascii_only:
        assert first["title"] == escape_controls(title)
        assert first["abstract"] == escape_controls(summary)
    assert first["url"] == url
    assert first["year"] == "2019"
    assert (second["title"], second["abstract"]) == ("After", "next")


@settings(max_examples=200, deadline=None)
@given(hostile_text, hostile_text, urls)
def test_bibtex_reads_back_the_same_title_abstract_url_and_year(
    title: str, summary: str, url: str
) -> None:
    """bibtexparser 2 with LaTeX decoding reads back exactly what was written, whatever
    the characters; the next entry is never swallowed."""
    bibtex_round_trip(title, summary, url, ascii_only=False)


@settings(max_examples=200, deadline=None)
@given(st.text(st.sampled_from(SPECIAL) | st.characters(max_codepoint=0x24F), min_size=1))
def test_bibtex_for_an_ascii_output_reads_back_accented_letters(text: str) -> None:
    """Into an output that cannot hold UTF-8 the entry is ASCII: a Latin letter becomes
    LaTeX accents that read back as the letter; any other character is shown escaped
    (``\\xd7``), as text."""
    publication = record(id="a", title=text, summary=text)
    (read,) = parse_bibtex("".join(bibtex_chunks([publication], ascii_only=True)))
    shown = "".join(
        re.escape(c) if c.isascii() else f"(?:{re.escape(c)}|{re.escape(ascii(c)[1:-1])})"
        for c in escape_controls(text)
    )
    assert re.fullmatch(shown, unicodedata.normalize("NFC", read["title"]), re.S)
    assert read["abstract"] == read["title"]


def test_common_accented_letters_survive_an_ascii_output() -> None:
    letters = "éèêëüñçåøØßłŁőžšČæœı"
    (read,) = parse_bibtex("".join(bibtex_chunks([record(title=letters)], ascii_only=True)))
    assert unicodedata.normalize("NFC", read["title"]) == letters


@pytest.mark.parametrize(
    "title",
    [
        "}, author = {Mallory}, note = {",
        "\\end{document}",
        "Unbalanced { brace",
        "Unbalanced } brace",
        "}}}}",
        "x\n@misc{evil, title = {owned}}",
        "100% of #1 & $5 ~ a_b ^ c",
    ],
)
def test_a_title_never_breaks_out_of_its_field(title: str) -> None:
    """Braces, backslashes and entry starts in a title stay text of the title."""
    bibtex_round_trip(title, title, "https://example.org/a", ascii_only=False)


def test_bibtex_of_the_shipped_catalogue() -> None:
    """One entry per publication, key = id, @techreport for reports, assessments and
    strategies, every title and year back as written."""
    code, out, _ = shipped("list", "--format", "bibtex")
    assert code == 0
    entries = {e.key: e for e in parse_bibtex(out)}
    records = shipped_records()
    assert list(entries) == [r["id"] for r in records]
    for r in records:
        bib = entries[r["id"]]
        assert bib.entry_type == citation_type(r["type"]).bibtex
        assert bib["title"] == r["title"]
        assert bib["abstract"] == r["summary"]
        assert (
            bib.fields_dict.get("year") is None
            if r["date"] is None
            else bib["year"] == (r["date"][:4])
        )
    pia = entries["dhs-ice-pia-049-parole-unit-case-management"]
    assert (pia.entry_type, pia["number"]) == ("techreport", "DHS/ICE/PIA-049")


# --- RIS -----------------------------------------------------------------------------


def test_ris_of_the_shipped_catalogue_reads_back_with_rispy() -> None:
    """One TY..ER record per publication with the same fields (the two-paragraph summary
    on one line)."""
    code, out, _ = shipped("list", "--format", "ris")
    assert code == 0
    read = rispy.loads(out)
    records = shipped_records()
    assert [r["id"] for r in read] == [r["id"] for r in records]
    for ris, r in zip(read, records, strict=True):
        assert ris["type_of_reference"] == citation_type(r["type"]).ris
        assert ris["title"] == r["title"]
        assert ris["authors"] == r["components"]
        assert ris.get("keywords", []) == r["topics"]
        assert ris["type_of_work"] == r["type"]
        # A line break, with the spaces around it, is one space; nothing else changes.
        assert ris["abstract"] == re.sub(r"\s*\n\s*", " ", r["summary"])
        assert ris.get("urls") == ([r["url"]] if r["url"] else None)
        assert ris.get("year") == (r["date"][:4] if r["date"] else None)


@settings(max_examples=300, deadline=None)
@given(publications, st.lists(st.sampled_from(["\n", "TY  - GEN", "ER  - ", "AU  - X"])))
def test_no_text_starts_a_ris_tag_of_its_own(publication: Publication, lines: list[str]) -> None:
    """A summary or title with newlines and tag-like lines stays in its own field: rispy
    reads one record with the same values (line breaks read as spaces)."""
    summary = publication.summary + "\n" + "\n".join(lines)
    base = publication.to_record()
    base["summary"] = summary
    text = "".join(ris_chunks([base, record(id="next", title="Next")]))
    first, second = rispy.loads(text)
    assert (first["id"], second["id"]) == (publication.id, "next")
    assert first["title"] == escape_controls(publication.title).strip()
    assert first.get("abstract", "").split() == escape_controls(summary).split()
    assert first["authors"] == [escape_controls(c).strip() for c in publication.components]
    assert first.get("keywords", []) == [escape_controls(t).strip() for t in publication.topics]
    assert "unknown_tag" not in first


def test_a_semicolon_in_a_url_stays_one_ris_url() -> None:
    """RIS separates URLs by semicolons: the URL's own is percent-encoded."""
    text = "".join(ris_chunks([record(url="https://example.org/a;b=1")]))
    assert rispy.loads(text)[0]["urls"] == ["https://example.org/a%3Bb=1"]


# --- the command line ----------------------------------------------------------------


@pytest.fixture
def catalogue(make_catalogue: Callable[..., Path]) -> Path:
    return make_catalogue(
        entry("pia", "DHS/ICE/PIA-001 Café {x}", type_="Privacy Impact Assessment",
              date="2020-01-02", summary="Line one\nTY  - GEN\nline three",
              url="https://example.org/p%20a"),
        entry("letter", "A Letter", type_="Letter"),
    )  # fmt: skip


@pytest.mark.parametrize("fmt", ["csl-json", "bibtex", "ris"])
def test_show_list_and_filter_take_every_citation_format(catalogue: Path, fmt: str) -> None:
    """show prints the one publication (csl-json as an array of one) in the format."""
    done = run_process(["show", "pi", "--format", fmt], cwd=catalogue.parent.parent)
    assert done.returncode == 0
    out = done.stdout.decode("utf-8")
    listed = run_process(["filter", "--type", "privacy impact assessment", "-f", fmt],
                         cwd=catalogue.parent.parent)  # fmt: skip
    assert listed.stdout.decode("utf-8") == out
    if fmt == "csl-json":
        assert [item["id"] for item in json.loads(out)] == ["pia"]
    elif fmt == "bibtex":
        assert [e.key for e in parse_bibtex(out)] == ["pia"]
    else:
        assert [r["id"] for r in rispy.loads(out)] == ["pia"]


@pytest.mark.parametrize(("fmt", "empty"), [("csl-json", "[]\n"), ("bibtex", ""), ("ris", "")])
def test_nothing_matched_is_the_empty_form_and_exit_1(
    catalogue: Path, fmt: str, empty: str
) -> None:
    done = run_process(["filter", "--text", "absent", "-f", fmt], cwd=catalogue.parent.parent)
    assert (done.returncode, done.stdout.decode(), done.stderr) == (1, empty, b"")


def test_columns_do_not_apply_to_citations(catalogue: Path) -> None:
    """A citation needs every field: --columns with a citation format is exit 2."""
    done = run_process(["list", "-f", "bibtex", "--columns", "id"], cwd=catalogue.parent.parent)
    assert done.returncode == 2
    assert done.stderr == (
        b"error: --columns does not apply to --format bibtex: a citation has every field\n"
    )


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_citations_stay_valid_whatever_the_output_encoding(catalogue: Path, encoding: str) -> None:
    """JSON falls back to \\u escapes, BibTeX to LaTeX accents; RIS keeps its records."""
    cwd, env = catalogue.parent.parent, {"PYTHONIOENCODING": encoding}
    items = json.loads(run_process(["list", "-f", "csl-json"], cwd=cwd, env=env).stdout)
    assert items[0]["title"] == "DHS/ICE/PIA-001 Café {x}"
    bib = run_process(["list", "-f", "bibtex"], cwd=cwd, env=env).stdout.decode("ascii")
    assert parse_bibtex(bib)[0]["title"] == "DHS/ICE/PIA-001 Café {x}"
    ris = run_process(["list", "-f", "ris"], cwd=cwd, env=env).stdout.decode(encoding)
    assert [r["id"] for r in rispy.loads(ris)] == ["pia", "letter"]
