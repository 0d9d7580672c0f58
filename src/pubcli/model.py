"""The publication record: a frozen value with no I/O (SPEC section 1)."""

from __future__ import annotations

import datetime
from typing import Any, NamedTuple

FIELD_NAMES: tuple[str, ...] = (
    "id",
    "title",
    "type",
    "date",
    "components",
    "topics",
    "summary",
    "url",
)
"""Every key of an entry, in the order of the spec and of JSON output."""

REQUIRED_FIELDS: tuple[str, ...] = ("id", "title", "type", "components")
"""Keys an entry must have."""

LIST_FIELDS: frozenset[str] = frozenset({"components", "topics"})
"""Keys whose value is an array of strings."""


class Publication(NamedTuple):
    """One valid entry of the catalogue: an immutable value, built with keywords.

    A NamedTuple rather than a frozen dataclass: importing ``dataclasses`` (and the
    ``inspect`` it loads) cost more than a quarter of a cached ``pubcli filter`` call.
    """

    id: str
    """Unique lowercase slug."""
    title: str
    """One-line title."""
    type: str
    """Kind of publication, such as Statement or Letter."""
    components: tuple[str, ...]
    """Agencies or components, at least one."""
    date: datetime.date | None = None
    """Publication day, or None when undated."""
    topics: tuple[str, ...] = ()
    """Free subject tags."""
    summary: str = ""
    """Summary text, possibly several lines; empty when absent."""
    url: str | None = None
    """Absolute http(s) address, or None."""

    def to_record(self) -> dict[str, Any]:
        """Return the JSON-ready form: every key in spec order, date as ISO text."""
        return {
            "id": self.id,
            "title": self.title,
            "type": self.type,
            "date": self.date.isoformat() if self.date else None,
            "components": list(self.components),
            "topics": list(self.topics),
            "summary": self.summary,
            "url": self.url,
        }

    def to_toml_table(self) -> dict[str, Any]:
        """Return the catalogue form: only the keys that have a value, date as a TOML date."""
        table: dict[str, Any] = {"id": self.id, "title": self.title, "type": self.type}
        if self.date is not None:
            table["date"] = self.date
        table["components"] = list(self.components)
        if self.topics:
            table["topics"] = list(self.topics)
        if self.summary:
            table["summary"] = self.summary
        if self.url is not None:
            table["url"] = self.url
        return table
