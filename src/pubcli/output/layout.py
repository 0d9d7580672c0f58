"""How a table fits a terminal: its column widths, decided before anything is drawn (SPEC 12).

A table never breaks an id, a date or a word in the middle: a user double-clicks an id to
copy it. When the columns do not fit at their natural widths, they give way in this order,
each step taken only if the one before is not enough:

1. Prose wraps at spaces: the title (and summary) down to a readable width, the short
   columns (type, components, topics) down to their longest word.
2. The id column narrows to the width most ids need; a longer id takes a line of its own
   above its row (for at most a quarter of the rows).
3. Every id takes a line of its own, the other columns indented below it.
4. Type, then date, are left out (never a column that ``--columns`` asked for); the
   caption says so.
5. Only then, on a terminal too narrow for a word, does that word fold.

A value that must stay whole and is wider than its column (a long id, a URL) is never cut:
it takes a line of its own, and the terminal wraps it as one line if it has to (copying it
from such a line gives it whole). Nothing here knows Rich: widths are terminal cells.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import Enum
from typing import NamedTuple

from rich.cells import cell_len


class Kind(Enum):
    """How a column's values may be laid out."""

    WHOLE = "whole"
    """Never broken; a value wider than the column takes a line of its own (id, url)."""
    FIXED = "fixed"
    """Never broken and always in its column (date, count, bar)."""
    PROSE = "prose"
    """Wraps at spaces; gets the room left (title, summary)."""
    SHORT = "short"
    """Wraps at spaces when it must; a modest share of the room (type, components, topics)."""


class Measure(NamedTuple):
    """What a column needs, measured from its heading and values."""

    name: str
    kind: Kind
    heading: int
    """The width of the heading: the narrowest the column gets while words still fit."""
    natural: int
    """The widest value (or the heading): the width at which nothing wraps."""
    word: int
    """The widest piece that must not be broken: a word, or a whole value."""
    widths: tuple[int, ...] = ()
    """For a ``WHOLE`` column, the width of each value (to count those that move)."""


class Plan(NamedTuple):
    """The layout of a table."""

    columns: tuple[str, ...]
    """The columns shown, in order."""
    widths: tuple[int, ...]
    """The width of each column of ``columns`` (the first one's is 0 when ``above``)."""
    above: bool
    """The first column's values each take a line above their row."""
    left_out: tuple[str, ...]
    """Columns left out for want of room."""

    def total_width(self) -> int:
        """The width of the table, its left edge included (the right one is blank)."""
        grid = self.widths[1:] if self.above else self.widths
        return EDGE + (INDENT if self.above else 0) + sum(grid) + GAP * (len(grid) - 1)


EDGE = 1
"""Blank cells at the left of the table. None at the right: the last column may reach the
terminal's last cell, which a terminal writes without wrapping."""
GAP = 2
"""Blank cells between two columns."""
INDENT = 2
"""How far the other columns sit in from an id that takes a line above them."""
READABLE = 24
"""The narrowest the title column gets while anything else may give way."""
LEAVE_ORDER = ("type", "date")
"""The columns left out on a narrow terminal, first to last (SPEC 12: type first)."""
SPILL_SHARE = 4
"""A narrower id column is used only if at most one value in this many moves above its row."""


def words_width(text: str) -> int:
    """The width of the widest word of ``text``."""
    return max((cell_len(word) for word in text.split()), default=0)


def measure(name: str, kind: Kind, heading: str, values: Iterable[str]) -> Measure:
    """The measure of a column from its heading and every value it will show."""
    natural = word = heading_width = cell_len(heading)
    widths: list[int] = []
    for value in values:
        width = max((cell_len(line) for line in value.split("\n")), default=0)
        natural = max(natural, width)
        if kind in (Kind.WHOLE, Kind.FIXED):
            word = max(word, width)
            widths.append(width)
        else:
            word = max(word, words_width(value))
    kept = tuple(widths) if kind is Kind.WHOLE else ()
    return Measure(name, kind, heading_width, natural, word, kept)


def readable_width(width: int) -> int:
    """The width a title keeps while other columns give way: a third of the terminal, at
    least ``READABLE``."""
    return max(READABLE, width // 3)


def plan_table(measures: Sequence[Measure], width: int, *, may_leave: bool = True) -> Plan:
    """The widths of a table of ``measures`` for a terminal ``width`` wide, following the
    order of the module's docstring. ``may_leave`` is false when the user chose the columns."""
    sets = [tuple(measures)]
    if may_leave:
        for name in LEAVE_ORDER:
            smaller = tuple(m for m in sets[-1] if m.name != name or m is measures[0])
            if len(smaller) < len(sets[-1]):
                sets.append(smaller)
    full = sets[0]
    widths = _fit(full, width, above=False, strict=True)
    if widths is None:
        widths = _fit(full, width, above=False, strict=False)
        if widths is not None and not _few_move(full, widths):
            widths = None
    if widths is not None:
        return _plan(widths, full, measures, above=False)
    above = full[0].kind is Kind.WHOLE and len(full) > 1
    for chosen in sets:
        widths = _fit(chosen, width, above=above, strict=False)
        if widths is not None:
            return _plan(widths, chosen, measures, above=above)
    chosen = sets[-1]
    return _plan(_squeeze(chosen, width, above=above), chosen, measures, above=above)


def _plan(
    widths: list[int], chosen: Sequence[Measure], measures: Sequence[Measure], *, above: bool
) -> Plan:
    names = tuple(m.name for m in chosen)
    measures_names = {m.name for m in measures}
    left_out = tuple(name for name in LEAVE_ORDER if name not in names and name in measures_names)
    return Plan(names, tuple(widths), above, left_out)


def _few_move(chosen: Sequence[Measure], widths: Sequence[int]) -> bool:
    """At most one value in ``SPILL_SHARE`` of each whole column is wider than its column."""
    for m, width in zip(chosen, widths, strict=True):
        moved = sum(1 for value in m.widths if value > width)
        if moved * SPILL_SHARE > len(m.widths):
            return False
    return True


def _floor(m: Measure, width: int, *, strict: bool, readable: bool = True) -> int:
    """The narrowest ``m`` gets: whole values and words whole, the title readable."""
    if m.kind is Kind.FIXED or (m.kind is Kind.WHOLE and strict):
        return m.natural
    if m.kind is Kind.WHOLE:
        return m.heading
    if m.kind is Kind.PROSE and readable:
        # A word wider than half the terminal is not worth a column: it takes a line of
        # its own (in the last column) or folds (in another).
        return min(m.natural, max(min(m.word, width // 2), readable_width(width)))
    return min(m.natural, m.word)


def _room(count: int, width: int, *, above: bool) -> int:
    """The cells left for the contents of ``count`` columns."""
    gaps = GAP * (count - 1) if count else 0
    return width - EDGE - gaps - (INDENT if above else 0)


def _fit(chosen: Sequence[Measure], width: int, *, above: bool, strict: bool) -> list[int] | None:
    """Widths for ``chosen`` (the first one above its rows when ``above``), or None when
    even their floors do not fit."""
    grid = list(chosen[1:] if above else chosen)
    room = _room(len(grid), width, above=above)
    widths = [_floor(m, width, strict=strict) for m in grid]
    if sum(widths) > room:
        return None
    _grow(grid, widths, room - sum(widths), width)
    return [0, *widths] if above else widths


def _grow(grid: Sequence[Measure], widths: list[int], spare: int, width: int) -> None:
    """Share ``spare`` cells: whole values first (fewer lines of their own), then short
    columns up to a modest share, then prose up to its natural width, then the rest."""
    modest = width // 8
    steps = ((Kind.WHOLE, False), (Kind.SHORT, True), (Kind.PROSE, False), (Kind.SHORT, False))
    for kind, modestly in steps:
        targets = [min(m.natural, max(m.word, modest)) if modestly else m.natural for m in grid]
        while spare > 0:
            wanting = [i for i, m in enumerate(grid) if m.kind is kind and widths[i] < targets[i]]
            if not wanting:
                break
            share = max(1, spare // len(wanting))
            for i in wanting:
                given = min(share, targets[i] - widths[i], spare)
                widths[i] += given
                spare -= given
    # A whole column too narrow for its widest value is as wide as the widest value that
    # fits: the others take lines of their own, and the cells saved go to the prose.
    for i, m in enumerate(grid):
        if m.kind is Kind.WHOLE and widths[i] < m.natural:
            fitting = max([m.heading, *(v for v in m.widths if v <= widths[i])])
            saved, widths[i] = widths[i] - fitting, fitting
            for kind in (Kind.PROSE, Kind.SHORT):
                for j, other in enumerate(grid):
                    given = min(saved, other.natural - widths[j]) if other.kind is kind else 0
                    if given > 0:
                        widths[j] += given
                        saved -= given


def _squeeze(chosen: Sequence[Measure], width: int, *, above: bool) -> list[int]:
    """The last resort on a terminal too narrow for a word: every column at its narrowest,
    then the widest ones narrower still (their longest words fold)."""
    grid = list(chosen[1:] if above else chosen)
    room = max(len(grid), _room(len(grid), width, above=above))
    widths = [max(1, _floor(m, width, strict=False, readable=False)) for m in grid]
    while sum(widths) > room:
        widest = max(range(len(widths)), key=lambda i: widths[i])
        if widths[widest] == 1:
            break
        widths[widest] -= 1
    if room > sum(widths):
        _grow(grid, widths, room - sum(widths), width)
    return [0, *widths] if above else widths
