"""The rules of SPEC section 1, checked one by one on raw entries."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from pubcli.catalogue.rules import entry_label, validate_entry

VALID: dict[str, Any] = {
    "id": "mpp-policy-guidance",
    "title": "Policy Guidance",
    "type": "Policy Guidance",
    "date": datetime.date(2019, 1, 25),
    "components": ["DHS", "ICE"],
    "topics": ["Migrant Protection Protocols"],
    "summary": "Line one.\n\tLine two.",
    "url": "https://www.dhs.gov/publication/x",
}


def problems_of(**changes: Any) -> list[str]:
    raw = {**VALID, **changes}
    for key, value in changes.items():
        if value is ...:
            del raw[key]
    return validate_entry(raw)[1]


def test_a_full_valid_entry_builds_a_publication() -> None:
    """Every field arrives in the publication, lists as tuples."""
    publication, problems = validate_entry(VALID)
    assert problems == []
    assert publication is not None
    assert publication.components == ("DHS", "ICE")
    assert publication.to_record()["date"] == "2019-01-25"


def test_only_required_keys_are_needed() -> None:
    """Date, topics, summary and url may be absent."""
    raw = {"id": "a", "title": "T", "type": "Form", "components": ["ICE"]}
    publication, problems = validate_entry(raw)
    assert problems == []
    assert publication is not None
    assert (publication.date, publication.topics, publication.summary, publication.url) == (
        None,
        (),
        "",
        None,
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"id": ...}, "missing required key 'id'"),
        ({"title": ...}, "missing required key 'title'"),
        ({"components": ...}, "missing required key 'components'"),
        ({"tittle": "x"}, "unknown key 'tittle' (did you mean 'title'?)"),
        ({"id": "Not-A-Slug"}, "id 'Not-A-Slug' is not a lowercase slug"),
        ({"id": "double--hyphen"}, "is not a lowercase slug"),
        ({"id": "trailing-"}, "is not a lowercase slug"),
        ({"id": "a\n"}, "is not a lowercase slug"),
        ({"id": "a" * 81}, "id is 81 characters long; at most 80 are allowed"),
        ({"id": 5}, "'id' must be a string"),
        ({"title": "   "}, "'title' is blank"),
        ({"title": "two\nlines"}, "'title' contains a newline"),
        ({"title": "esc \x1b[31m"}, "'title' contains a control character (\\x1b)"),
        ({"title": "csi \x9b"}, "'title' contains a control character (\\x9b)"),
        ({"title": "tab\there"}, "'title' contains a control character (\\x09)"),
        ({"type": ""}, "'type' is blank"),
        ({"date": "2019-08-28"}, "'date' must be a TOML date such as 2019-08-28, not the string"),
        ({"date": datetime.datetime(2019, 8, 28, 10, 0)}, "'date' must be a TOML local date"),
        ({"components": []}, "'components' needs at least one value"),
        ({"components": "ICE"}, "'components' must be an array of strings"),
        ({"components": ["ICE", " "]}, "'components' value 2 is blank"),
        ({"topics": [1]}, "'topics' must be an array of strings"),
        ({"summary": "bell \x07"}, "'summary' contains a control character (\\x07)"),
        ({"summary": "del \x7f"}, "'summary' contains a control character (\\x7f)"),
        ({"url": "ftp://example.org/x"}, "is not an absolute http:// or https:// URL"),
        ({"url": "www.dhs.gov"}, "is not an absolute http:// or https:// URL"),
        ({"url": "https://exa mple.org"}, "is not an absolute http:// or https:// URL"),
        ({"url": "javascript:alert(1)"}, "is not an absolute http:// or https:// URL"),
    ],
)
def test_each_rule_names_the_problem(changes: dict[str, Any], expected: str) -> None:
    """A broken field is reported with a message that names it."""
    problems = problems_of(**changes)
    assert any(expected in problem for problem in problems), problems


def test_every_problem_is_reported_not_just_the_first() -> None:
    """Three broken fields give three problems."""
    problems = problems_of(id="BAD", title="", url="nope")
    assert len(problems) == 3


def test_an_entry_that_is_not_a_table_is_refused() -> None:
    """A bare value where a table belongs is a problem, not a crash."""
    assert validate_entry("text") == (None, ["entry must be a table"])


def test_labels_name_an_entry_safely() -> None:
    """The label is the id, escaped; an entry without a usable id says so."""
    assert entry_label({"id": "a\x1bb"}) == "a\\x1bb"
    assert entry_label({"title": "x"}) == "(no id)"
    assert entry_label([]) == "(no id)"
