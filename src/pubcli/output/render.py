"""The human views: a Rich table of publications and one publication in full.

Imported only when a table or a full view is printed, since Rich is slow to import.
Every cell is a ``Text`` built from escaped data, so catalogue text is never markup.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import IO

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from pubcli.fields import Record
from pubcli.output.environment import Environment
from pubcli.output.formats import cell_text
from pubcli.output.layout import EDGE, GAP, INDENT, Kind, Measure, Plan, measure, plan_table
from pubcli.safe_text import escape_controls, one_line
from pubcli.wording import counted

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
    where escape sequences may go (a terminal, or ``--color always``) and coloured only
    where colour is allowed."""
    return Console(
        file=file,
        markup=False,
        emoji=False,
        highlight=False,
        force_terminal=environment.escapes,
        no_color=not environment.colour,
        width=environment.width,
    )


def count_caption(count: int) -> str:
    """``1 publication`` or ``N publications``."""
    return counted(count, "publication")


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
        # A tab would move the columns after it by a width no layout can know.
        return Text(escape_controls(text).replace("\t", " "))
    return Text(one_line(text))


_KINDS = {
    "id": Kind.WHOLE,
    "url": Kind.WHOLE,
    "date": Kind.FIXED,
    "title": Kind.PROSE,
    "summary": Kind.PROSE,
    "type": Kind.SHORT,
    "components": Kind.SHORT,
    "topics": Kind.SHORT,
}
_STYLES = {"id": "bold", "date": "cyan"}


def measure_columns(
    publications: Sequence[Record],
    columns: Sequence[str],
    *,
    id_widths: Sequence[int] = (),
    words: dict[str, int] | None = None,
) -> list[Measure]:
    """What each column needs to show ``publications`` whole. For a table printed in
    batches, ``publications`` is the first batch; ``id_widths`` the width of every id
    to come and ``words`` the longest word of each facet column, so later rows fit too."""
    measures = []
    for column in columns:
        values = [_cell(publication, column).plain for publication in publications]
        found = measure(column, _KINDS[column], _HEADINGS[column], values)
        if column == "id" and id_widths:
            widths = tuple(id_widths)
            natural = max(found.heading, *widths)
            found = found._replace(natural=natural, word=natural, widths=widths)
        if words and column in words:
            word = max(found.word, words[column])
            found = found._replace(word=word, natural=max(found.natural, word))
        measures.append(found)
    return measures


def publications_table(
    publications: Sequence[Record], columns: Sequence[str], width: int, *, chosen: bool = False
) -> RenderableType:
    """A table of ``columns`` fitted to ``width`` (see ``layout``), with the count as
    caption. ``chosen``: the user named the columns, so none is left out."""
    plan = plan_table(measure_columns(publications, columns), width, may_leave=not chosen)
    return Group(
        Grid(plan, header_lines(plan)),
        Grid(plan, (_row(publication, plan) for publication in publications)),
        table_end(len(publications), plan),
    )


def table_start(plan: Plan) -> RenderableType:
    """The top edge, the headings and the rule of a table printed in batches."""
    return Grid(plan, header_lines(plan))


def table_batch(publications: Sequence[Record], plan: Plan) -> RenderableType:
    """Rows of a table printed in batches, laid out by the one plan of the whole table."""
    return Grid(plan, (_row(publication, plan) for publication in publications))


def table_end(count: int, plan: Plan) -> RenderableType:
    """The bottom edge and the caption: the count, and the columns left out if any."""
    caption = count_caption(count)
    if plan.left_out:
        caption += f" (no room for {' or '.join(plan.left_out)})"
    width = plan.total_width()
    lines = [Text("")]
    for line in wrapped(Text(caption), width):
        left = max(0, width - cell_len(line.plain)) // 2
        lines.append(Text(" " * left + line.plain, style="table.caption"))
    return Drawn(lambda console: lines)


Row = list[tuple[str, Text]]
"""A row's cells by column name."""


def _row(publication: Record, plan: Plan) -> Row:
    return [(column, _styled(column, _cell(publication, column))) for column in plan.columns]


def header_lines(plan: Plan) -> list[Row | str]:
    """The blank top edge, the headings (the first one on a line of its own when ids go
    above their rows) and the rule under them."""
    headings: Row = [(c, Text(_HEADINGS[c], style="bold")) for c in plan.columns]
    return ["", headings, "rule"]


class Grid:
    """Lines of a table laid out by a ``Plan``: never a trailing space, never a whole value
    cut (one wider than its column takes a line of its own), prose wrapped at spaces."""

    def __init__(
        self,
        plan: Plan,
        rows: Iterable[Row | str],
        kinds: Mapping[str, Kind] = _KINDS,
        right: Collection[str] = (),
    ) -> None:
        self.plan = plan
        self.rows = rows
        self.kinds = kinds
        self.right = right

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        rule = "-" if options.ascii_only else "─"
        for row in self.rows:
            if row == "rule":
                lines = [Text(" " * EDGE + rule * (self.plan.total_width() - EDGE))]
            elif isinstance(row, str):
                lines = [Text(row)]
            else:
                lines = grid_lines(console, self.plan, row, self.kinds, self.right)
            for line in lines:
                yield from _segments(console, line)


def grid_lines(
    console: Console, plan: Plan, row: Row, kinds: Mapping[str, Kind], right: Collection[str]
) -> list[Text]:
    """The lines of one row: a whole value too wide for its column goes on a line of its
    own, above the row for the first column (an id heads its row), else below it."""
    before: list[Text] = []
    after: list[Text] = []
    cells: list[list[Text]] = []
    offset = EDGE + (INDENT if plan.above else 0)
    for number, ((column, text), width) in enumerate(zip(row, plan.widths, strict=True)):
        if number == 0 and plan.above:
            before.append(Text(" " * EDGE) + text)
            cells.append([])
            continue
        kind, text_width = kinds[column], cell_len(text.plain)
        if kind is Kind.WHOLE and text_width > width:
            # Cut, an id or URL would copy as two pieces: it takes a line of its own, in
            # its column if it fits there, else from the table's left edge.
            indent = EDGE if number == 0 or offset + text_width > plan.total_width() else offset
            (before if number == 0 else after).append(Text(" " * indent) + text)
            lines = []
        elif kind is Kind.FIXED or ("\n" not in text.plain and text_width <= width):
            lines = [text]
        else:
            lines = wrapped(text, width, fold=number < len(row) - 1)
        cells.append(list(lines))
        offset += width + GAP
    grid = [(i, w) for i, w in enumerate(plan.widths) if not (i == 0 and plan.above)]
    height = max((len(cells[i]) for i, _ in grid), default=0)
    lines = []
    for number in range(height):
        line = Text(" " * (EDGE + (INDENT if plan.above else 0)))
        for position, (i, width) in enumerate(grid):
            if position:
                line.append(" " * GAP)
            part = cells[i][number] if number < len(cells[i]) else Text("")
            part.rstrip()
            pad = " " * max(0, width - cell_len(part.plain))
            if row[i][0] in right:
                line.append(pad)
                line.append_text(part)
            else:
                line.append_text(part)
                line.append(pad)
        line.rstrip()
        lines.append(line)
    return before + lines + after


def _styled(column: str, text: Text) -> Text:
    style = _STYLES.get(column)
    if style:
        text = text.copy()
        text.stylize(style)
    return text


_DETAIL_FIELDS = ("id", "type", "date", "components", "topics", "url")

READING_MEASURE = 100
"""``show`` wraps its prose at most this wide, even on a wider terminal (SPEC 3): long
lines are hard to read."""


def publication_view(publication: Record, width: int = READING_MEASURE) -> RenderableType:
    """Every field of one publication: the title, the fields, the summary, with no box
    around them, so that a value copied from the screen never holds a border. Prose wraps
    at spaces within ``READING_MEASURE``; the id and the URL (a link) are never wrapped:
    one longer than the line runs on, and the terminal wraps it as one line."""
    return Drawn(lambda console: _view_lines(publication, width))


def _view_lines(publication: Record, width: int) -> list[Text]:
    measure = min(width, READING_MEASURE)
    title = one_line(publication["title"])
    lines = wrapped(Text(_capped(title, SHOW_LIMIT), style="bold"), measure)
    lines += _rest_note(title, publication["id"])
    lines.append(Text(""))
    label_width = max(len(column) for column in _DETAIL_FIELDS) + GAP
    for column in _DETAIL_FIELDS:
        value = _styled(column, _cell(publication, column))
        if not value.plain:
            value = Text("-", style="dim")
        label = Text(column.ljust(label_width), style="bold")
        if _KINDS[column] is Kind.WHOLE and label_width + cell_len(value.plain) > width:
            # Too long to follow its label: on a line of its own, from the left edge, where
            # it has the most room (the terminal wraps it as one line if it must).
            lines += [Text(column, style="bold"), value]
            continue
        if _KINDS[column] in (Kind.WHOLE, Kind.FIXED):
            values = [value]
        else:
            values = wrapped(value, measure - label_width)
        lines.append(Text.assemble(label, values[0]))
        lines += [Text.assemble(" " * label_width, value) for value in values[1:]]
    if publication["summary"]:
        summary = escape_controls(publication["summary"]).expandtabs(4)
        lines.append(Text(""))
        lines += wrapped(Text(_capped(summary, SHOW_LIMIT)), measure)
        lines += _rest_note(summary, publication["id"])
    return lines


_WORD = re.compile(r"\S+")


def wrapped(text: Text, width: int, *, fold: bool = False) -> list[Text]:
    """``text`` wrapped at spaces to ``width`` cells, each line without trailing spaces.

    A word wider than ``width`` is never broken unless ``fold`` (for a column with another
    to its right): it stands on a line of its own, which the terminal wraps as one line.
    """
    lines: list[Text] = []
    for paragraph in text.split("\n", allow_blank=True):
        breaks: list[int] = []
        line_end, used = None, 0
        for match in _WORD.finditer(paragraph.plain):
            start, end = match.span()
            if line_end is not None and cell_len(paragraph.plain[line_end:end]) <= width - used:
                used += cell_len(paragraph.plain[line_end:end])
            else:
                if line_end is not None:
                    breaks.append(start)
                used = cell_len(match.group())
                if fold and used > width:
                    pieces = list(range(start + width, end, width))
                    breaks += pieces
                    used = cell_len(paragraph.plain[pieces[-1] if pieces else start : end])
            line_end = end
        for line in paragraph.divide(breaks):
            line.rstrip()
            lines.append(line)
    return lines or [Text("")]


def _segments(console: Console, line: Text) -> Iterable[Segment]:
    """One line and its end, its own style included (``Text.render`` leaves it out)."""
    yield from Text.assemble(line).render(console)
    yield Segment.line()


class Drawn:
    """Lines of text printed as they are: Rich neither wraps nor pads them."""

    def __init__(self, draw: Callable[[Console], list[Text]]) -> None:
        self.draw = draw

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in self.draw(console):
            yield from _segments(console, line)


SHOW_LIMIT = 20_000
"""``show`` on a terminal wraps at most this many characters of a title or summary (a
long report's summary fits; Rich wraps at about 3 s per MB), then says how to see it all."""


def _rest_note(text: str, id_: str) -> list[Text]:
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


_STATS_KINDS = {"value": Kind.SHORT, "count": Kind.FIXED, "bar": Kind.FIXED}
SMALLEST_BAR = 3
"""The narrowest bar worth drawing; on a terminal with no room for it beside the values
whole, the bars are left out before a value wraps."""


def stats_tables(
    counts: dict[str, list[tuple[str, int]]], width: int, *, unicode: bool = True
) -> RenderableType:
    """One table per facet: each value, its count, and a bar in proportion to the largest.
    A value wraps only when the terminal has no room for it whole beside a short bar."""
    parts: list[RenderableType] = []
    for facet, rows in counts.items():
        heading = facet.capitalize()
        values = measure("value", Kind.SHORT, heading, (one_line(v) for v, _ in rows))
        count_width = max(len("Count"), *(len(str(count)) for _, count in rows))
        room = width - EDGE - GAP - count_width
        if room - values.natural >= GAP + SMALLEST_BAR:
            value_width = values.natural
            bar_width = min(max(SMALLEST_BAR, width // 3), room - GAP - value_width)
        else:  # the bar gives way before a value wraps
            value_width, bar_width = max(values.word, min(values.natural, room)), 0
        shown = ("value", "count", "bar") if bar_width else ("value", "count")
        plan = Plan(shown, (value_width, count_width, bar_width)[: len(shown)], False, ())
        largest = max((count for _, count in rows), default=1)
        lines: list[Row | str] = [
            [("value", Text(heading, style="bold")), ("count", Text("Count", style="bold"))]
            + [("bar", Text(""))][: len(shown) - 2],
            "rule",
        ]
        lines += [
            [("value", Text(one_line(value))), ("count", Text(str(count)))]
            + [("bar", _bar(count, largest, bar_width, unicode=unicode))][: len(shown) - 2]
            for value, count in rows
        ]
        if parts:
            parts.append(Text(""))
        title = Text(" " * EDGE + f"by {facet}", style="bold")
        parts += [title, Grid(plan, lines, _STATS_KINDS, {"count"})]
    return Group(*parts)
