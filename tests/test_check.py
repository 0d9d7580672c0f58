"""check: every problem, one line each, and the exit status a maintainer's CI needs."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from pubcli.catalogue.loader import load_catalogue
from tests.conftest import PUBCLI, Outcome, entry

Cli = Callable[..., Outcome]


def test_a_clean_catalogue_is_ok(cli: Cli, make_catalogue: Callable[..., Path]) -> None:
    """Exit 0 and the count."""
    make_catalogue(entry("a", "A"), entry("b", "B"))
    result = cli("check")
    assert (result.code, result.out, result.err) == (0, "ok: 2 publications\n", "")


def test_every_problem_is_listed_with_path_line_and_id(
    cli: Cli, make_catalogue: Callable[..., Path]
) -> None:
    """Invalid entries, duplicate ids and duplicate title-and-date: all of them, exit 3."""
    make_catalogue(
        "extra = 1\n",
        entry("a", "Same", date="2019-01-01"),
        entry("a", "Other"),
        entry("b", "same", date="2019-01-01"),
        '[[publications]]\nid = "c"\ntittle = "typo"\ntype = "T"\ncomponents = ["X"]\n',
    )
    result = cli("check")
    assert result.code == 3
    assert result.out.splitlines() == [
        "data/publications.toml:1: (top level): unknown key 'extra'",
        "data/publications.toml:10: a: duplicate id (first used at line 3)",
        "data/publications.toml:16: b: same title and date as 'a'",
        "data/publications.toml:23: c: unknown key 'tittle' (did you mean 'title'?)",
        "data/publications.toml:23: c: missing required key 'title'",
    ]
    assert result.err == "error: 5 problems in data/publications.toml\n"
    report = json.loads(cli("check", "--format", "json").out)
    assert report["ok"] is False and report["publications"] == 2
    assert report["problems"][1] == {
        "line": 10,
        "id": "a",
        "message": "duplicate id (first used at line 3)",
    }


def test_syntax_errors_give_line_and_column(cli: Cli, make_catalogue: Callable[..., Path]) -> None:
    """Broken TOML: exit 3 and where it broke."""
    make_catalogue(entry("a", "A"), "title = \n")
    result = cli("check")
    assert result.code == 3
    assert result.err.startswith("error: data/publications.toml:7:9: invalid TOML: ")


def test_add_prompts_for_missing_fields_on_a_terminal(
    make_catalogue: Callable[..., Path], isolated: Path
) -> None:
    """With a terminal on stdin, add asks for each missing required field."""
    path = make_catalogue(entry("a", "A"))
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [str(PUBCLI), "add", "--type", "Letter"],
        cwd=isolated,
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env={**os.environ, "TERM": "dumb"},
    )
    os.close(secondary)
    transcript = b""
    for answer in (b"Prompted Title\n", b"ICE, CBP\n"):
        deadline = time.monotonic() + 20
        while b": " not in transcript.rsplit(b"\n", 1)[-1] and time.monotonic() < deadline:
            transcript += os.read(primary, 1024)
        os.write(primary, answer)
        transcript += os.read(primary, 1024)
    assert process.wait(timeout=30) == 0
    os.close(primary)
    assert b"Title: " in transcript and b"Components (comma-separated): " in transcript
    added = load_catalogue(path, "c").publications[-1]
    assert (added.id, added.components) == ("prompted-title", ("ICE", "CBP"))


def conflicted_catalogue() -> str:
    return (
        entry("a", "A")
        + "\n<<<<<<< ours:data/publications.toml\n"
        + entry("b", "B by us")
        + "=======\n"
        + entry("b", "B by them")
        + ">>>>>>> theirs:data/publications.toml\n\n"
        + entry("c", "C")
    )


def test_conflict_markers_are_an_unresolved_merge_with_their_lines(
    cli: Cli, make_catalogue: Callable[..., Path]
) -> None:
    """Each marker line with its number, instead of the TOML error the first one causes;
    exit 3; every other command names the conflict too."""
    make_catalogue(conflicted_catalogue())
    result = cli("check")
    assert result.code == 3
    assert result.out.splitlines() == [
        "data/publications.toml:7: (merge conflict): unresolved merge conflict marker "
        "'<<<<<<< ours:data/publications.toml'",
        "data/publications.toml:13: (merge conflict): unresolved merge conflict marker '======='",
        "data/publications.toml:19: (merge conflict): unresolved merge conflict marker "
        "'>>>>>>> theirs:data/publications.toml'",
    ]
    assert result.err == (
        "error: unresolved merge conflict in data/publications.toml: keep the right text "
        "between the markers and delete the marker lines\n"
    )
    report = json.loads(cli("check", "--format", "json").out)
    assert report["ok"] is False
    assert [problem["line"] for problem in report["problems"]] == [7, 13, 19]
    listed = cli("list", "--no-cache")
    assert listed.code == 3
    assert listed.err.startswith(
        "error: data/publications.toml:7: unresolved merge conflict (git's conflict markers "
        "at lines 7, 13, 19)"
    )


def test_marker_like_lines_inside_a_summary_are_text(
    cli: Cli, make_catalogue: Callable[..., Path]
) -> None:
    """A Markdown heading's '=======' in a multi-line summary is no conflict; nor is a lone
    one in a file broken otherwise, which is reported as the TOML error it is."""
    make_catalogue(
        '[[publications]]\nid = "a"\ntitle = "A"\ntype = "T"\ncomponents = ["X"]\n'
        'summary = """\nHeading\n=======\n<<<<<<< not a conflict\n"""\n'
    )
    assert cli("check").out == "ok: 1 publication\n"
    make_catalogue(entry("a", "A"), "=======\n")
    result = cli("check")
    assert result.code == 3 and "invalid TOML" in result.err


def test_a_whole_conflict_inside_a_multi_line_summary_is_reported(
    cli: Cli, make_catalogue: Callable[..., Path]
) -> None:
    """git's line merge (without the driver) puts its markers inside a summary that both
    branches changed: the file still parses, yet the conflict is unresolved. check
    reports its marker lines (exit 3) instead of saying ok."""
    make_catalogue(
        '[[publications]]\nid = "a"\ntitle = "A"\ntype = "T"\ncomponents = ["X"]\n'
        'summary = """\nFirst line.\n<<<<<<< HEAD\nOurs.\n=======\nTheirs.\n'
        '>>>>>>> feature\n"""\n'
    )
    result = cli("check")
    assert result.code == 3
    assert [line.split(": (merge conflict)")[0] for line in result.out.splitlines()] == [
        "data/publications.toml:8",
        "data/publications.toml:10",
        "data/publications.toml:12",
    ]
    assert result.err.startswith("error: unresolved merge conflict in data/publications.toml")


def test_entries_sharing_a_url_are_a_warning_unless_strict(
    cli: Cli, make_catalogue: Callable[..., Path]
) -> None:
    """A warning line for the later entry, exit 0; --strict makes it a problem, exit 3.
    The scheme and host are compared ignoring case, the path not."""
    make_catalogue(
        entry("a", "A", url="https://www.dhs.gov/publication/x"),
        entry("b", "B", url="HTTPS://WWW.DHS.GOV/publication/x"),
        entry("c", "C", url="https://www.dhs.gov/publication/X"),
    )
    result = cli("check")
    assert (result.code, result.err) == (0, "")
    assert result.out == (
        "warning: data/publications.toml:8: b: same URL as 'a' (line 1)\nok: 3 publications\n"
    )
    report = json.loads(cli("check", "--format", "json").out)
    assert report["ok"] is True and report["problems"] == []
    assert report["warnings"] == [{"line": 8, "id": "b", "message": "same URL as 'a' (line 1)"}]
    strict = cli("check", "--strict")
    assert strict.code == 3
    assert strict.out == "data/publications.toml:8: b: same URL as 'a' (line 1)\n"
    assert strict.err == "error: 1 problem in data/publications.toml\n"
    report = json.loads(cli("check", "--strict", "--format", "json").out)
    assert report["ok"] is False and report["warnings"] == []
    assert report["problems"] == [{"line": 8, "id": "b", "message": "same URL as 'a' (line 1)"}]
