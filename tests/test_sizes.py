"""Sizes (issue 10, item 15): long tables start at once in bounded memory; huge values
render in a bounded time. (COLUMNS=0 is in test_environment.py.)"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import struct
import subprocess
import termios
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bench.synth import write_catalogue
from pubcli.cli import reading
from pubcli.cli.main import main
from pubcli.output.environment import Environment
from tests.conftest import PUBCLI, entry

TERMINAL = Environment(stdout_isatty=True, stdin_isatty=True, stdout_utf8=True, colour=False,
                       width=80)  # fmt: skip
ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


def timed_terminal_run(
    arguments: list[str], cwd: Path, env: dict[str, str]
) -> list[tuple[float, bytes]]:
    """Run pubcli on an 80x24 pty; every chunk it prints, with the seconds since the start."""
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    full_env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    started = time.monotonic()
    process = subprocess.Popen(
        [str(PUBCLI), *arguments], cwd=cwd, env={**full_env, "TERM": "xterm", **env},
        stdin=secondary, stdout=secondary, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(secondary)
    chunks = []
    while select.select([primary], [], [], 60)[0]:
        try:
            data = os.read(primary, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append((time.monotonic() - started, data))
    os.close(primary)
    assert process.wait(timeout=60) == 0
    return chunks


def test_a_long_table_starts_at_once(isolated: Path) -> None:
    """4,000 rows on a terminal: the first row comes long before the last (before, Rich
    measured every row first: nothing at all until the whole table was laid out), one
    header, every row once in order, the count at the end, no line wider than 80."""
    path = write_catalogue(isolated / "big.toml", 4000)
    env = {"PUBCLI_CATALOGUE": str(path), "NO_COLOR": "1"}
    subprocess.run(
        [str(PUBCLI), "list", "-f", "ids"],
        env={**os.environ, **env},
        check=True,
        capture_output=True,
    )  # fmt: skip  (warms the cache)
    chunks = timed_terminal_run(["list", "--sort", "id"], isolated, env)
    first_row = next(t for t, data in chunks if b"synthetic-" in data)
    total = chunks[-1][0]
    assert first_row < total / 3, (first_row, total)
    screen = ESCAPE.sub("", b"".join(d for _, d in chunks).decode()).replace("\r", "")
    lines = [line.rstrip() for line in screen.split("\n")]
    assert lines[:2] == ["", " ID                Date        Type        Title"], lines[:5]
    assert lines[2] == " " + "─" * 79
    assert [line.strip() for line in lines[-3:]] == ["", "4000 publications", ""]
    ids = re.findall(r"^ (synthetic-\d{6}) ", "\n".join(lines), re.MULTILINE)
    assert ids == [f"synthetic-{n:06d}" for n in range(4000)]
    assert sum(line.lstrip().startswith("ID ") for line in lines) == 1
    assert max(len(line) for line in lines) <= 80


def test_a_long_table_holds_one_batch_of_records_at_a_time(
    isolated: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Memory stays bounded: records are read ``ONE_TABLE`` at a time, never all at once
    (before: all 100,000 and Rich's layout of each, 567 MB before the first byte)."""
    from pubcli.store.memory import MemoryStore

    path = write_catalogue(isolated / "big.toml", 1200)
    asked: list[int] = []
    original = MemoryStore.records

    def records(self: MemoryStore, indices: list[int]) -> list[dict[str, object]]:
        asked.append(len(indices))
        return original(self, indices)  # type: ignore[return-value]

    monkeypatch.setattr(MemoryStore, "records", records)
    assert main(["list", "--no-cache", "-c", str(path)], TERMINAL) == 0
    assert asked == [reading.FIRST_BATCH, 500, 500, 1200 - 1000 - reading.FIRST_BATCH]
    assert ESCAPE.sub("", capsys.readouterr().out).rstrip().endswith("1200 publications")


def test_the_shipped_look_of_a_short_table_stays(
    make_catalogue: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Up to ``ONE_TABLE`` rows, one table whose widths fit what it holds; no line ends
    in a space (Rich padded every line to the table's width)."""
    make_catalogue(entry("a", "Alpha", date="2019-05-01"), entry("b", "Beta", type_="Letter"))
    assert main(["list"], TERMINAL) == 0
    assert ESCAPE.sub("", capsys.readouterr().out).splitlines() == [
        "",
        " ID  Date        Type       Title",
        " ────────────────────────────────",
        " a   2019-05-01  Statement  Alpha",
        " b               Letter     Beta",
        "",
        "         2 publications",
    ]


def test_a_huge_title_is_capped_in_a_table_never_in_json(
    make_catalogue: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """A 2 MB title (about 6 s for Rich to wrap): a table cell shows 2,000 characters and
    ``…``; JSON keeps every character."""
    title = "x" * 2_000_000
    make_catalogue(entry("huge", title), entry("small", "Small"))
    started = time.monotonic()
    assert main(["list"], TERMINAL._replace(width=2100)) == 0
    assert time.monotonic() - started < 3
    out = ESCAPE.sub("", capsys.readouterr().out)
    assert " huge         Statement  " + "x" * 2000 + "…\n" in out
    assert main(["list", "-f", "json"], TERMINAL) == 0
    titles = {r["id"]: r["title"] for r in json.loads(capsys.readouterr().out)}
    assert titles == {"huge": title, "small": "Small"}


def test_show_of_a_huge_summary_is_quick_and_says_how_to_see_it_all(
    make_catalogue: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """show on a terminal wraps the first 20,000 characters and names the way to the rest."""
    summary = "word " * 400_000
    make_catalogue(entry("huge", "Huge", summary=summary))
    started = time.monotonic()
    assert main(["show", "huge"], TERMINAL) == 0
    assert time.monotonic() - started < 3
    out = ESCAPE.sub("", capsys.readouterr().out)
    assert "(1980000 more characters: pubcli show huge --format json)" in out
    assert main(["show", "huge", "--format", "json"], TERMINAL) == 0
    assert json.loads(capsys.readouterr().out)["summary"] == summary
