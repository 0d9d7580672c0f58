"""The machine output formats of list and filter: json, jsonl, csv, tsv, ids (SPEC section 4),
and the citation formats of ``citations`` (SPEC section 11).

Every function here takes publications as records (their JSON-ready form, ``fields.Record``)
and returns plain text, never styled: scripts read it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from pubcli.errors import UsageError
from pubcli.fields import FIELD_NAMES, Record
from pubcli.safe_text import INVISIBLE, escape_controls, one_line, quoted

CITATION_FORMATS = ("csl-json", "bibtex", "ris")
"""The formats made by ``citations`` (SPEC section 11): every field, whatever ``--columns``."""
FORMATS = ("table", "json", "jsonl", "csv", "tsv", "ids", "markdown", *CITATION_FORMATS)
SHORT_COLUMNS: tuple[str, ...] = ("id", "date", "type", "title")
DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "table": SHORT_COLUMNS,
    "tsv": SHORT_COLUMNS,
    "ids": ("id",),
    "json": FIELD_NAMES,
    "jsonl": FIELD_NAMES,
    "csv": FIELD_NAMES,
    "markdown": SHORT_COLUMNS,
    # Citations carry every field whatever the columns (--columns is refused with them).
    "csl-json": FIELD_NAMES,
    "bibtex": FIELD_NAMES,
    "ris": FIELD_NAMES,
}
LIST_SEPARATOR = "; "

# json.dumps leaves DEL, C1, invisible characters (bidi controls, zero-width, U+2028 and
# U+2029) and lone surrogates raw, though JSON allows escaping them: escape them all.
_JSON_UNSAFE = re.compile(f"[\x7f-\x9f{INVISIBLE}\ud800-\udfff]")
_TSV_BREAKS = re.compile(r"[\t\n\r]+")


def parse_columns(text: str) -> tuple[str, ...]:
    """Parse ``--columns id,title``: known names only, in the order given."""
    names = tuple(name.strip().lower() for name in text.split(","))
    unknown = [name for name in names if name not in FIELD_NAMES]
    if unknown or not any(names):
        shown = ", ".join(repr(one_line(name)) for name in unknown) or "(none)"
        raise UsageError(
            f"unknown column {shown} for --columns; valid columns: {', '.join(FIELD_NAMES)}"
        )
    repeated = [name for name in dict.fromkeys(names) if names.count(name) > 1]
    if repeated:
        # JSON cannot hold a key twice, so every format refuses what one of them must.
        shown = ", ".join(repr(name) for name in repeated)
        raise UsageError(f"repeated column {shown} in --columns; name each column once")
    return names


def record(publication: Record, columns: Sequence[str]) -> dict[str, Any]:
    """The JSON object of a publication, with just ``columns`` in that order."""
    return {name: publication[name] for name in columns}  # type: ignore[literal-required]


def cell_text(publication: Record, column: str) -> str:
    """One field as flat text: lists joined by ``; ``, an absent date or url empty."""
    value = publication[column]  # type: ignore[literal-required]
    if column in ("components", "topics"):
        return LIST_SEPARATOR.join(value)
    return value or ""


def dump_json(value: object, *, indent: int | None, ascii_only: bool) -> str:
    """JSON text with every control character escaped (json leaves DEL and C1 raw)."""
    separators = None if indent else (",", ":")
    text = json.dumps(value, ensure_ascii=ascii_only, indent=indent, separators=separators)
    return _JSON_UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def json_array_chunks(values: Iterable[object], *, ascii_only: bool = False) -> Iterator[str]:
    """One JSON array, indented 2, streamed value by value; ``[]`` when empty."""
    opener = "[\n"
    for value in values:
        text = dump_json(value, indent=2, ascii_only=ascii_only)
        yield opener + "  " + text.replace("\n", "\n  ")
        opener = ",\n"
    yield "[]\n" if opener == "[\n" else "\n]\n"


def json_chunks(
    publications: Iterable[Record], columns: Sequence[str], *, ascii_only: bool = False
) -> Iterator[str]:
    """Publications as one JSON array of objects with ``columns``."""
    return json_array_chunks((record(p, columns) for p in publications), ascii_only=ascii_only)


def jsonl_chunks(
    publications: Iterable[Record], columns: Sequence[str], *, ascii_only: bool = False
) -> Iterator[str]:
    """One compact JSON object per line."""
    for publication in publications:
        yield dump_json(record(publication, columns), indent=None, ascii_only=ascii_only) + "\n"


def csv_rows(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """RFC 4180 CSV (CRLF line ends, quoted where needed), header row first, streamed.

    The one CSV writer of pubcli: listings and the stats report alike.
    """
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def csv_chunks(publications: Iterable[Record], columns: Sequence[str]) -> Iterator[str]:
    """Publications as CSV, header row first; text escaped as everywhere."""
    rows = ([escape_controls(cell_text(p, name)) for name in columns] for p in publications)
    return csv_rows(columns, rows)


def tsv_line(publication: Record, columns: Sequence[str]) -> str:
    """One tab-separated line; tabs and line breaks inside values become single spaces."""
    cells = (one_line(_TSV_BREAKS.sub(" ", cell_text(publication, name))) for name in columns)
    return "\t".join(cells) + "\n"


def tsv_chunks(publications: Iterable[Record], columns: Sequence[str]) -> Iterator[str]:
    """Tab-separated values, no header."""
    for publication in publications:
        yield tsv_line(publication, columns)


def machine_chunks(
    publications: Iterable[Record],
    output_format: str,
    columns: Sequence[str],
    *,
    ascii_only: bool = False,
) -> Iterator[str]:
    """Stream ``publications`` in a machine format (every format but ``table``)."""
    if output_format == "json":
        return json_chunks(publications, columns, ascii_only=ascii_only)
    if output_format == "jsonl":
        return jsonl_chunks(publications, columns, ascii_only=ascii_only)
    if output_format == "csv":
        return csv_chunks(publications, columns)
    if output_format in ("tsv", "ids"):
        return tsv_chunks(publications, columns)
    if output_format == "markdown":
        return markdown_chunks(publications, columns)
    if output_format in CITATION_FORMATS:
        return citation_chunks(publications, output_format, ascii_only=ascii_only)
    raise UsageError(f"unknown format {quoted(output_format)}")


def citation_chunks(
    publications: Iterable[Record], output_format: str, *, ascii_only: bool = False
) -> Iterator[str]:
    """Publications as csl-json, bibtex or ris: valid whatever the output encoding (JSON
    with \\u escapes, BibTeX with LaTeX accents; RIS shows what it cannot encode escaped)."""
    from pubcli.output import citations

    if output_format == "csl-json":
        items = (citations.csl_item(p) for p in publications)
        return json_array_chunks(items, ascii_only=ascii_only)
    if output_format == "bibtex":
        return citations.bibtex_chunks(publications, ascii_only=ascii_only)
    return citations.ris_chunks(publications)


def refuse_columns(output_format: str, columns: str | None) -> None:
    """``--columns`` with a citation format is a usage error: a citation needs every field."""
    if columns is not None and output_format in CITATION_FORMATS:
        raise UsageError(
            f"--columns does not apply to --format {output_format}: a citation has every field"
        )


def detail_text(publication: Record) -> str:
    """Every field as ``field: value`` lines; a summary's later lines are indented by two."""
    lines = []
    for name in FIELD_NAMES:
        value = one_line(cell_text(publication, name)) if name != "summary" else ""
        if name == "summary":
            value = escape_controls(publication["summary"]).replace("\n", "\n  ")
        lines.append(f"{name}: {value}".rstrip())
    return "\n".join(lines) + "\n"


def detail_json(publication: Record, *, ascii_only: bool = False) -> str:
    """One publication as an indented JSON object."""
    return dump_json(publication, indent=2, ascii_only=ascii_only) + "\n"


_MARKDOWN_SPECIAL = re.compile(r"([\\|`*_\[\]<>])")


def markdown_cell(text: str) -> str:
    """One GitHub-flavoured Markdown table cell: pipes and markup escaped, lines as <br>."""
    lines = text.replace("\t", " ").split("\n")
    return "<br>".join(_MARKDOWN_SPECIAL.sub(r"\\\1", one_line(line)) for line in lines)


def markdown_chunks(publications: Iterable[Record], columns: Sequence[str]) -> Iterator[str]:
    """A GitHub-flavoured Markdown table; nothing at all when there is nothing to show."""
    header_done = False
    for publication in publications:
        if not header_done:
            yield "| " + " | ".join(columns) + " |\n"
            yield "|" + "|".join(" --- " for _ in columns) + "|\n"
            header_done = True
        yield "| " + " | ".join(markdown_cell(cell_text(publication, c)) for c in columns) + " |\n"
