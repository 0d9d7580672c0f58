"""The machine formats, on in-memory publications."""

from __future__ import annotations

import csv
import datetime
import io
import json

import pytest

from pubcli.errors import UsageError
from pubcli.model import Publication
from pubcli.output.formats import (
    FIELD_NAMES,
    detail_text,
    machine_chunks,
    parse_columns,
)

FULL = Publication(
    id="full",
    title='Café "quoted", comma',
    type="Letter",
    date=datetime.date(2019, 8, 28),
    components=("DHS", "ICE"),
    topics=("El Salvador",),
    summary="Line one.\n\tLine two.",
    url="https://example.org/x",
).to_record()
BARE = Publication(id="bare", title="Bare", type="Form", components=("ICE",)).to_record()


def render(fmt: str, columns: tuple[str, ...] = FIELD_NAMES, ascii_only: bool = False) -> str:
    return "".join(machine_chunks([FULL, BARE], fmt, columns, ascii_only=ascii_only))


def test_json_is_an_indented_array_with_every_key_in_order() -> None:
    """Keys in spec order; date text or null; url null; summary empty string; lists."""
    text = render("json")
    data = json.loads(text)
    assert list(data[0]) == list(FIELD_NAMES)
    assert data[1] == {
        "id": "bare",
        "title": "Bare",
        "type": "Form",
        "date": None,
        "components": ["ICE"],
        "topics": [],
        "summary": "",
        "url": None,
    }
    assert text == json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    assert "Café" in text


def test_empty_json_is_an_empty_array() -> None:
    """Nothing to print is still valid JSON."""
    assert "".join(machine_chunks([], "json", FIELD_NAMES)) == "[]\n"


def test_json_falls_back_to_u_escapes_and_escapes_c1() -> None:
    """ascii_only output is pure ASCII; DEL and C1 are always escaped."""
    odd = Publication(id="x", title="é \x9b \x7f", type="T", components=("X",)).to_record()
    text = "".join(machine_chunks([odd], "json", FIELD_NAMES, ascii_only=True))
    assert text.isascii()
    assert json.loads(text)[0]["title"] == "é \x9b \x7f"
    assert "\x9b" not in "".join(machine_chunks([odd], "jsonl", FIELD_NAMES))


def test_jsonl_is_one_compact_object_per_line() -> None:
    """Each line parses on its own."""
    lines = render("jsonl").splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["full", "bare"]
    assert ": " not in lines[1]


def test_csv_is_rfc4180_with_a_header() -> None:
    """CRLF, quoting of commas, quotes and newlines; lists joined with '; '."""
    text = render("csv")
    assert text.startswith("id,title,type,date,components,topics,summary,url\r\n")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[1] == [
        "full",
        'Café "quoted", comma',
        "Letter",
        "2019-08-28",
        "DHS; ICE",
        "El Salvador",
        "Line one.\n\tLine two.",
        "https://example.org/x",
    ]
    assert rows[2][3] == "" and rows[2][7] == ""


def test_tsv_flattens_tabs_and_newlines_and_has_no_header() -> None:
    """One line per publication, tab-separated, inner whitespace breaks as one space."""
    lines = render("tsv", ("id", "summary", "date")).splitlines()
    assert lines == ["full\tLine one. Line two.\t2019-08-28", "bare\t\t"]


def test_columns_pick_and_order() -> None:
    """--columns applies to every format."""
    assert render("ids", ("title", "id")).splitlines()[1] == "Bare\tbare"
    assert list(json.loads(render("json", ("url", "id")))[0]) == ["url", "id"]
    assert render("csv", ("id",)) == "id\r\nfull\r\nbare\r\n"


def test_parse_columns_rejects_unknown_names() -> None:
    """An unknown column is a usage error that lists the valid ones."""
    assert parse_columns("id, Title") == ("id", "title")
    with pytest.raises(UsageError, match=r"unknown column 'nope'.*valid columns: id, title"):
        parse_columns("id,nope")
    with pytest.raises(UsageError):
        parse_columns(",")


def test_detail_text_is_field_value_lines() -> None:
    """Every field on its own line; later summary lines are indented."""
    assert detail_text(FULL).splitlines() == [
        "id: full",
        'title: Café "quoted", comma',
        "type: Letter",
        "date: 2019-08-28",
        "components: DHS; ICE",
        "topics: El Salvador",
        "summary: Line one.",
        "  \tLine two.",
        "url: https://example.org/x",
    ]
    assert "date:" in detail_text(BARE).splitlines()
