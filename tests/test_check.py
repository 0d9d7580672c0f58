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
