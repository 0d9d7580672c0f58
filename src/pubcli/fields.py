"""The keys of a catalogue entry and the JSON-ready record form of one publication.

Kept apart from ``model`` so that the quick, cached route can print records without
importing ``dataclasses`` (with the ``inspect`` it loads, about 20 ms a call).
"""

from __future__ import annotations

from typing import TypedDict

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


class Record(TypedDict):
    """One publication as the json and jsonl formats print it (SPEC section 4)."""

    id: str
    title: str
    type: str
    date: str | None
    """``YYYY-MM-DD``, or None when undated."""
    components: list[str]
    topics: list[str]
    summary: str
    """Empty when absent."""
    url: str | None
