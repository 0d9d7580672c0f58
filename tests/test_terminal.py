"""What a user sees in a terminal (issue 11, items 1, 9 and 10; SPEC sections 3 and 12):
the first command, tables that never break an id, a date or a word, and help texts."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_process


def test_pubcli_alone_prints_the_help_as_help_does(isolated: Path) -> None:
    """`pubcli` with no arguments printed the help as one `error:` line with literal
    `\\x0a`s (exit 2); now it prints what `pubcli --help` prints, on stdout, exit 0."""
    alone = run_process([], cwd=isolated)
    asked = run_process(["--help"], cwd=isolated)
    assert (alone.returncode, alone.stderr) == (0, b"")
    assert alone.stdout == asked.stdout
    assert alone.stdout.startswith(b"Usage: pubcli ")
    assert b"\\x0a" not in alone.stdout
