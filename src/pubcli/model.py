"""The publication record: a frozen value with no I/O (SPEC section 1)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from pubcli.fields import FIELD_NAMES, LIST_FIELDS, REQUIRED_FIELDS, Record

__all__ = ["FIELD_NAMES", "LIST_FIELDS", "REQUIRED_FIELDS", "Publication", "Record"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Publication:
    """One valid entry of the catalogue: an immutable value, built with keywords."""

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

    def to_record(self) -> Record:
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
