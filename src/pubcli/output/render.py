"""The human views: a Rich table of publications and one publication in full.

Imported only when a table or a full view is printed, since Rich is slow to import.
Every cell is a ``Text`` built from escaped data, so catalogue text is never markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO

from rich import box
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.style import Style
from rich.table import Table
from rich.text import Text

from pubcli.fields import Record
from pubcli.output.environment import Environment
from pubcli.output.formats import cell_text
from pubcli.safe_text import escape_controls, one_line

_HEADINGS = {
    "id": "ID",
    "title": "Title",
    "type": "Type",
    "date": "Date",
    "components": "Components",
    "topics": "Topics",
    "summary": "Summary",
    "url": "URL",
}


def make_console(file: IO[str], environment: Environment) -> Console:
    """A console that prints data literally (no markup, emoji or highlighting), styled only
    on a terminal and coloured only where colour is allowed."""
    return Console(
        file=file,
        markup=False,
        emoji=False,
        highlight=False,
        force_terminal=environment.stdout_isatty,
        no_color=not environment.colour,
        width=environment.width,
    )


def count_caption(count: int) -> str:
    """``1 publication`` or ``N publications``."""
    return f"{count} publication{'' if count == 1 else 's'}"


CELL_LIMIT = 2_000
"""A table cell shows at most this many characters of a value, then ``…``: Rich wraps
text at about 3 s per MB, and nobody reads more in a cell (machine formats keep it all)."""


def _capped(text: str, limit: int = CELL_LIMIT) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _cell(publication: Record, column: str) -> Text:
    full = cell_text(publication, column)
    text = _capped(full)
    if column == "url" and text:
        shown = one_line(text)
        # A link target goes to the terminal inside an escape sequence: only one that
        # needs no escaping, holds no space and is shown whole is given (else the text).
        linked = shown == text == full and not any(c.isspace() for c in text)
        return Text(shown, style=Style(link=text) if linked else "")
    if column == "summary":
        return Text(escape_controls(text))
    return Text(one_line(text))


def publications_table(
    publications: Sequence[Record], columns: Sequence[str], width: int
) -> Table:
    """A table of ``columns`` that wraps long text to fit ``width``, with the count as caption.

    Titles and summaries get the room; ids and other short fields are capped at a share
    of the width, so that a narrow terminal still shows most of each title on a line.
    """
    table = Table(
        box=box.SIMPLE_HEAD,
        caption=count_caption(len(publications)),
        header_style="bold",
        pad_edge=False,
        padding=(0, 1, 0, 0),
    )
    for column in columns:
        if column == "date":
            table.add_column(_HEADINGS[column], no_wrap=True, min_width=10, style="cyan")
        elif column == "id":
            table.add_column(
                _HEADINGS[column], overflow="fold", style="bold", max_width=max(12, width // 4)
            )
        elif column in ("title", "summary"):
            table.add_column(_HEADINGS[column], overflow="fold")
        else:
            table.add_column(_HEADINGS[column], overflow="fold", max_width=max(8, width // 6))
    for publication in publications:
        table.add_row(*(_cell(publication, column) for column in columns))
    return table


def column_widths(columns: Sequence[str], width: int, longest_id: int) -> list[int]:
    """Fixed widths for a table printed in batches: decided from the terminal's width and
    the columns (and the longest id, which is cheap to know), never by measuring every row.

    The same caps as ``publications_table``: ids at most a quarter of the width, dates 10,
    other short fields a sixth; titles and summaries share what is left.
    """
    fixed = {
        "id": min(max(2, longest_id), max(12, width // 4)),
        "date": 10,
    }
    widths = [fixed.get(column, max(8, width // 6)) for column in columns]
    wide = [i for i, column in enumerate(columns) if column in ("title", "summary")]
    if wide:
        # The table's two edges (a space each, as SIMPLE_HEAD draws them), and between
        # two columns a padding space and a separator.
        room = width - 2 - sum(w for i, w in enumerate(widths) if i not in wide)
        room -= 2 * (len(columns) - 1)
        for number, i in enumerate(wide):
            widths[i] = max(8, room // len(wide) + (1 if number < room % len(wide) else 0))
    return widths


def table_batch(
    publications: Sequence[Record], columns: Sequence[str], widths: Sequence[int], *, header: bool
) -> RenderableType:
    """Rows of a table printed in batches, each batch its own table with the same widths
    and no edges (a blank line above the first and ``table_end`` below the last stand for
    them); the header on the first only."""
    table = Table(
        box=box.SIMPLE_HEAD,
        header_style="bold",
        pad_edge=False,
        padding=(0, 1, 0, 0),
        show_header=header,
        show_edge=False,
    )
    for column, width in zip(columns, widths, strict=True):
        table.add_column(
            _HEADINGS[column],
            width=width,
            no_wrap=column == "date",
            overflow="fold",
            style="bold" if column == "id" else "cyan" if column == "date" else None,
        )
    for publication in publications:
        table.add_row(*(_cell(publication, column) for column in columns))
    return Padding(table, (0, 0, 0, 1))  # the left edge


def table_end(count: int, widths: Sequence[int]) -> RenderableType:
    """The blank bottom edge and the caption with the count, centred as Rich centres one."""
    table_width = sum(widths) + 2 * (len(widths) - 1) + 2
    caption = count_caption(count)
    left = max(0, table_width - len(caption)) // 2
    line = " " * left + caption + " " * max(0, table_width - len(caption) - left)
    return Group(Text(""), Text(line, style="table.caption"))


_DETAIL_FIELDS = ("id", "type", "date", "components", "topics", "url")


def publication_view(publication: Record) -> RenderableType:
    """Every field of one publication in a panel, the summary wrapped below them."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for column in _DETAIL_FIELDS:
        value = _cell(publication, column)
        grid.add_row(column, value if value.plain else Text("-", style="dim"))
    title = one_line(publication["title"])
    parts: list[RenderableType] = [Text(_capped(title, SHOW_LIMIT), style="bold")]
    parts += _rest_note(title, publication["id"])
    parts += [Text(""), grid]
    if publication["summary"]:
        summary = escape_controls(publication["summary"])
        parts += [Text(""), Text(_capped(summary, SHOW_LIMIT))]
        parts += _rest_note(summary, publication["id"])
    return Panel(Group(*parts), box=box.ROUNDED, expand=False)


SHOW_LIMIT = 20_000
"""``show`` on a terminal wraps at most this many characters of a title or summary (a
long report's summary fits; Rich wraps at about 3 s per MB), then says how to see it all."""


def _rest_note(text: str, id_: str) -> list[RenderableType]:
    if len(text) <= SHOW_LIMIT:
        return []
    rest = len(text) - SHOW_LIMIT
    return [Text(f"({rest} more characters: pubcli show {id_} --format json)", style="dim")]


_EIGHTHS = " ▏▎▍▌▋▊▉"


def _bar(count: int, largest: int, width: int, *, unicode: bool) -> Text:
    if not unicode:
        return Text("#" * max(1, round(width * count / largest)), style="cyan")
    eighths = max(1, round(8 * width * count / largest))
    full, part = divmod(eighths, 8)
    return Text("█" * full + (_EIGHTHS[part] if part else ""), style="cyan")


def stats_tables(
    counts: dict[str, list[tuple[str, int]]], width: int, *, unicode: bool = True
) -> RenderableType:
    """One table per facet: each value, its count, and a bar in proportion to the largest."""
    tables: list[RenderableType] = []
    for facet, rows in counts.items():
        table = Table(
            box=box.SIMPLE_HEAD, title=Text(f"by {facet}", style="bold"), title_justify="left"
        )
        table.add_column(facet.capitalize(), overflow="fold", max_width=max(12, width // 3))
        table.add_column("Count", justify="right", no_wrap=True)
        table.add_column("", no_wrap=True, ratio=1)
        largest = max((count for _, count in rows), default=1)
        bar_width = max(5, width // 3)
        for value, count in rows:
            table.add_row(
                Text(one_line(value)), str(count), _bar(count, largest, bar_width, unicode=unicode)
            )
        tables.append(table)
    return Group(*tables)
