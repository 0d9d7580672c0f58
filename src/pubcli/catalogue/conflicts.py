"""git's conflict markers: the lines the merge driver writes around a conflict, and finding
them left in a catalogue (SPEC section 10).

A line that only looks like a marker (``=======`` under a heading in a multi-line summary)
is text: markers are looked for only in a file that does not parse, and only as a whole
conflict, a ``<<<<<<<`` line, then ``=======``, then ``>>>>>>>``.
"""

from __future__ import annotations

import re
from typing import NamedTuple

MARKER_SIZE = 7
"""git's default ``conflict-marker-size``."""
OURS_MARKER = "<" * MARKER_SIZE
BASE_MARKER = "|" * MARKER_SIZE
"""The base part of a diff3-style conflict, which git writes with ``merge.conflictStyle``."""
SEPARATOR = "=" * MARKER_SIZE
THEIRS_MARKER = ">" * MARKER_SIZE

# A marker line: exactly seven of the character, then the end of the line or a space and a
# label (git's own rule, so that a line of eight '=' is not a marker).
_MARKER_LINE = re.compile(r"^([<|=>])\1{6}(?:[ \t][^\r\n]*)?\r?$", re.MULTILINE)


class MarkerLine(NamedTuple):
    """A conflict marker left in a file: its line number (1-based) and text."""

    line: int
    text: str


def marker_lines(text: str) -> list[MarkerLine]:
    """The marker lines of every whole conflict in ``text``, in order.

    A conflict is a ``<<<<<<<`` line, optionally a ``|||||||`` line, a ``=======`` line and
    a ``>>>>>>>`` line, in that order; marker-like lines outside such a run are not counted.
    """
    found: list[MarkerLine] = []
    pending: list[MarkerLine] = []
    line = 1
    counted = 0
    for match in _MARKER_LINE.finditer(text):
        line += text.count("\n", counted, match.start())
        counted = match.start()
        marker = MarkerLine(line, match.group().rstrip("\r"))
        kind = match.group(1)
        if kind == "<":
            pending = [marker]
        elif kind == "|" and len(pending) == 1:
            pending.append(marker)
        elif kind == "=" and pending and pending[-1].text[0] in "<|":
            pending.append(marker)
        elif kind == ">" and pending and pending[-1].text[0] == "=":
            found += [*pending, marker]
            pending = []
    return found
