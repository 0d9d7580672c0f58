"""The JSON Schema (draft 2020-12) of one record of the json and jsonl output."""

from __future__ import annotations

from typing import Any

from pubcli.catalogue.rules import ID_PATTERN, MAX_ID_LENGTH

_TEXT_LIST = {"type": "array", "items": {"type": "string", "minLength": 1}}


def record_schema() -> dict[str, Any]:
    """The schema of a record with every column (the default of json and jsonl)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://pubcli.invalid/schema/publication-record.json",
        "title": "pubcli publication record",
        "description": "One publication as printed by pubcli list/filter --format json "
        "(one element of the array) or --format jsonl (one line), and by show and add "
        "--format json. Without --columns every key is present; with --columns, only the "
        "chosen keys, in the order given.",
        "type": "object",
        "minProperties": 1,
        "properties": {
            "id": {
                "type": "string",
                "pattern": f"^{ID_PATTERN.pattern}$",
                "maxLength": MAX_ID_LENGTH,
            },
            "title": {"type": "string", "minLength": 1},
            "type": {"type": "string", "minLength": 1},
            "date": {
                "description": "Publication day as YYYY-MM-DD, or null when undated.",
                "oneOf": [
                    {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$", "format": "date"},
                    {"type": "null"},
                ],
            },
            "components": {**_TEXT_LIST, "minItems": 1},
            "topics": _TEXT_LIST,
            "summary": {"type": "string", "description": "Empty when absent."},
            "url": {
                "oneOf": [
                    {"type": "string", "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://"},
                    {"type": "null"},
                ]
            },
        },
        # No "required": output made with --columns holds only the keys chosen.
        "additionalProperties": False,
    }
