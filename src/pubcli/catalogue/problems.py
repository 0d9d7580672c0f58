"""A problem found in the catalogue file, and where it is (SPEC sections 3 and 5)."""

from __future__ import annotations

from typing import NamedTuple

from pubcli.safe_text import one_line


class Problem(NamedTuple):
    """One thing wrong in the catalogue, where it is, and whether it hides the entry."""

    path: str
    line: int
    label: str
    message: str
    skips_entry: bool = True

    def __str__(self) -> str:
        return f"{one_line(self.path)}:{self.line}: {self.label}: {self.message}"
