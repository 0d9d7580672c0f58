"""The reports of the commands that are not listings: the entries add added (and show's
one entry), check's verdict, stats' counts. Rendered here beside the other formats and
printed through ``streams``; the CLI only chooses the format.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pubcli.catalogue.problems import Problem
from pubcli.fields import FIELD_NAMES, Record
from pubcli.output.environment import current
from pubcli.output.formats import (
    CITATION_FORMATS,
    citation_chunks,
    csv_rows,
    detail_json,
    detail_text,
    dump_json,
    json_chunks,
)
from pubcli.output.streams import print_full_views, print_renderable, say, write
from pubcli.safe_text import one_line
from pubcli.wording import counted

if TYPE_CHECKING:
    from pubcli.store.cache import CachedCatalogue

Counts = dict[str, list[tuple[str, int]]]

RECORD_FORMATS = ("table", "json", *CITATION_FORMATS)
"""The formats of show and add (into a pipe, without one: ``field: value`` lines)."""
CHECK_FORMATS = ("text", "json")
"""The formats of check."""
STATS_FORMATS = ("table", "json", "csv")
"""The formats of stats."""


def print_records(records: Sequence[Record], output_format: str, *, many: bool) -> None:
    """Publications in full: ``json`` (an array when ``many``, else one object), ``table``
    (a view each), ``lines`` (``field: value`` lines; a blank line between two), or a
    citation format (csl-json is always an array, as citation processors read it)."""
    if output_format in CITATION_FORMATS:
        write(citation_chunks(records, output_format, ascii_only=not current().stdout_utf8))
    elif output_format == "json":
        ascii_only = not current().stdout_utf8
        if many:
            write(json_chunks(records, FIELD_NAMES, ascii_only=ascii_only))
        else:
            write([detail_json(records[0], ascii_only=ascii_only)])
    elif output_format == "table":
        print_full_views(records)
    else:
        write("\n".join(detail_text(record) for record in records))


def print_check(
    display: str,
    count: int,
    problems: Sequence[Problem],
    output_format: str,
    warnings: Sequence[Problem] = (),
) -> None:
    """check's report: one ``PATH:LINE: ID: message`` line per problem, then one
    ``warning: PATH:LINE: ID: message`` line per warning, and ``ok: N publications`` when
    there is no problem; with ``json``, one object with ``ok``, ``publications``,
    ``problems`` and ``warnings`` (a list of the same objects as ``problems``)."""
    if output_format == "json":
        report = {
            "path": display,
            "ok": not problems,
            "publications": count,
            "problems": [_problem_json(p) for p in problems],
            "warnings": [_problem_json(w) for w in warnings],
        }
        write([dump_json(report, indent=2, ascii_only=not current().stdout_utf8) + "\n"])
        return
    write(f"{problem}\n" for problem in problems)
    write(f"warning: {warning}\n" for warning in warnings)
    if not problems:
        write([f"ok: {counted(count, 'publication')}\n"])


def _problem_json(problem: Problem) -> dict[str, object]:
    return {"line": problem.line, "id": problem.label, "message": problem.message}


def print_conflict(
    display: str, marker_lines: Sequence[tuple[int, str]], output_format: str
) -> None:
    """check's report of a file that a merge left unresolved: one problem per marker line,
    in place of the TOML syntax error the first marker causes."""
    problems = [
        Problem(
            display,
            line,
            "(merge conflict)",
            f"unresolved merge conflict marker '{one_line(text)}'",
        )
        for line, text in marker_lines
    ]
    print_check(display, 0, problems, output_format)


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


def human_size(size: int) -> str:
    """``512 B``, ``1.5 KiB``, ``12.0 MiB``: sizes as du -h and pip cache give them."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def print_cache_info(
    directory: str, cached: Sequence[CachedCatalogue], output_format: str
) -> None:
    """``cache info``: one line per cached catalogue (size, path, ``(gone)`` when it no
    longer exists) and a total; with ``json``, one object."""
    if output_format == "json":
        report = {
            "directory": directory,
            "size": sum(c.size for c in cached),
            "catalogues": [
                {"catalogue": c.catalogue, "size": c.size, "exists": c.exists} for c in cached
            ],
        }
        write([dump_json(report, indent=2, ascii_only=not current().stdout_utf8) + "\n"])
        return
    lines = []
    for c in cached:
        name = one_line(c.catalogue) if c.catalogue is not None else "(unknown catalogue)"
        gone = "  (no longer exists)" if c.catalogue is not None and not c.exists else ""
        lines.append(f"{human_size(c.size):>10}  {name}{gone}\n")
    total = sum(c.size for c in cached)
    count = len(cached)
    lines.append(
        f"{counted(count, 'cached catalogue')}, {human_size(total)} in {one_line(directory)}\n"
    )
    write(lines)


def print_cache_cleared(removed: Sequence[CachedCatalogue], catalogue: str | None) -> None:
    """What ``cache clear`` removed, on standard error as add's messages are."""
    if catalogue is not None and not removed:
        say("", f"no cache of {one_line(catalogue)}")
        return
    count, size = len(removed), human_size(sum(c.size for c in removed))
    say("", f"removed {counted(count, 'cache')} ({size})")
