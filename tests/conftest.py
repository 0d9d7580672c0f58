"""Shared fixtures: every test runs in its own directory, away from the shipped catalogue."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from pubcli.cli.app import run

REPO = Path(__file__).resolve().parent.parent
SHIPPED_CATALOGUE = REPO / "data" / "publications.toml"
PUBCLI = Path(sys.executable).parent / "pubcli"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Run in an empty directory with no catalogue variable and a private cache."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PUBCLI_CATALOGUE", raising=False)
    monkeypatch.delenv("PUBCLI_NO_CACHE", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / ".cache"))
    yield tmp_path


@dataclass
class Outcome:
    """What a user sees of one pubcli run."""

    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Outcome]:
    """Run pubcli in-process (as the console script does) and capture what it prints."""

    def invoke(*arguments: str) -> Outcome:
        capsys.readouterr()
        code = run(list(arguments))
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return invoke


def run_process(
    arguments: Sequence[str],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    input_bytes: bytes | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[bytes]:
    """Run the installed ``pubcli`` entry point as a separate process."""
    full_env = {key: value for key, value in os.environ.items() if not key.startswith("PUBCLI_")}
    full_env.update(env or {})
    return subprocess.run(
        [str(PUBCLI), *arguments],
        cwd=cwd,
        env=full_env,
        input=input_bytes,
        capture_output=True,
        timeout=timeout,
    )


def entry(
    id_: str,
    title: str,
    *,
    type_: str = "Statement",
    date: str | None = None,
    components: Sequence[str] = ("ICE",),
    topics: Sequence[str] = (),
    summary: str | None = None,
    url: str | None = None,
) -> str:
    """One ``[[publications]]`` block of TOML text (strings written as TOML basic strings)."""

    def quoted(text: str) -> str:
        escaped = text.replace("\\", "\\\\").replace('"', '\\"')
        escaped = "".join(
            f"\\u{ord(char):04x}" if ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F else char
            for char in escaped
        )
        return '"' + escaped + '"'

    lines = ["[[publications]]", f"id = {quoted(id_)}", f"title = {quoted(title)}"]
    lines.append(f"type = {quoted(type_)}")
    if date:
        lines.append(f"date = {date}")
    lines.append("components = [" + ", ".join(quoted(c) for c in components) + "]")
    if topics:
        lines.append("topics = [" + ", ".join(quoted(t) for t in topics) + "]")
    if summary is not None:
        lines.append(f"summary = {quoted(summary)}")
    if url:
        lines.append(f"url = {quoted(url)}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def make_catalogue(isolated: Path) -> Callable[..., Path]:
    """Write ``data/publications.toml`` in the test directory from blocks of text."""

    def write(*blocks: str, name: str = "data/publications.toml") -> Path:
        path = isolated / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(blocks), encoding="utf-8")
        return path

    return write
