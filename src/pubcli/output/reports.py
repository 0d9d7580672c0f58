"""The reports of the commands that are not listings: the entries add added (and show's
one entry), check's verdict, stats' counts. Rendered here beside the other formats and
printed through ``streams``; the CLI only chooses the format.
"""

from __future__ import annotations

from collections.abc import Sequence

from pubcli.catalogue.problems import Problem
from pubcli.fields import FIELD_NAMES, Record
from pubcli.output.environment import current
from pubcli.output.formats import csv_rows, detail_json, detail_text, dump_json, json_chunks
from pubcli.output.streams import print_full_view, print_renderable, say, write
from pubcli.safe_text import one_line
from pubcli.wording import counted

Counts = dict[str, list[tuple[str, int]]]

RECORD_FORMATS = ("table", "json")
"""The formats of show and add (into a pipe, without one: ``field: value`` lines)."""
CHECK_FORMATS = ("text", "json")
"""The formats of check."""
STATS_FORMATS = ("table", "json", "csv")
"""The formats of stats."""


def print_records(records: Sequence[Record], output_format: str, *, many: bool) -> None:
    """Publications in full: ``json`` (an array when ``many``, else one object), ``table``
    (a panel each) or ``lines`` (``field: value`` lines, a blank line between)."""
    if output_format == "json":
        ascii_only = not current().stdout_utf8
        if many:
            write(json_chunks(records, FIELD_NAMES, ascii_only=ascii_only))
        else:
            write([detail_json(records[0], ascii_only=ascii_only)])
    elif output_format == "table":
        for record in records:
            print_full_view(record)
    else:
        write("\n".join(detail_text(record) for record in records))


def print_check(display: str, count: int, problems: Sequence[Problem], output_format: str) -> None:
    """check's report: one ``PATH:LINE: ID: message`` line per problem, or ``ok: N
    publications``; with ``json``, one object with ``ok``, ``publications`` and ``problems``."""
    if output_format == "json":
        report = {
            "path": display,
            "ok": not problems,
            "publications": count,
            "problems": [{"line": p.line, "id": p.label, "message": p.message} for p in problems],
        }
        write([dump_json(report, indent=2, ascii_only=not current().stdout_utf8) + "\n"])
    elif problems:
        write(f"{problem}\n" for problem in problems)
    else:
        write([f"ok: {counted(count, 'publication')}\n"])


def print_stats(counts: Counts, output_format: str) -> None:
    """stats' report: ``json``, ``csv`` (facet, value, count) or ``table`` (with bars)."""
    if output_format == "json":
        report = {
            facet: [{"value": v, "count": n} for v, n in rows] for facet, rows in counts.items()
        }
        write([dump_json(report, indent=2, ascii_only=not current().stdout_utf8) + "\n"])
    elif output_format == "csv":
        rows = ([facet, one_line(v), n] for facet, rows in counts.items() for v, n in rows)
        write(csv_rows(("facet", "value", "count"), rows))
    elif any(counts.values()):
        from pubcli.output.render import stats_tables

        unicode = current().stdout_utf8
        print_renderable(lambda width: stats_tables(counts, width, unicode=unicode))
    else:
        say("", "no publications match")
