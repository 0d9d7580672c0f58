"""Shared fixtures: every test runs in its own directory, away from the shipped catalogue."""

from __future__ import annotations

import datetime
import os
import pty
import re
import select
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st

from pubcli.cli.main import main
from pubcli.model import Publication
from pubcli.safe_text import INVISIBLE

# No test is timed (speed is bench/run.py's): Hypothesis' per-example deadline only made
# tests fail on a loaded machine ("Flaky: ... took 250 ms").
settings.register_profile("pubcli", deadline=None)
settings.load_profile("pubcli")

INVISIBLE_CHARACTER = re.compile(f"[{INVISIBLE}]")

REPO = Path(__file__).resolve().parent.parent
SHIPPED_CATALOGUE = REPO / "data" / "publications.toml"
PUBCLI = Path(sys.executable).parent / "pubcli"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Run in an empty directory with no catalogue variable, a private cache and config,
    and no pager."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PUBCLI_CATALOGUE", raising=False)
    monkeypatch.delenv("PUBCLI_NO_CACHE", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / ".cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / ".config"))
    for variable in ("PAGER", "LESS"):
        monkeypatch.delenv(variable, raising=False)
    # No pager waits for a key in a test on a pseudo-terminal (start_in_pty has one).
    monkeypatch.setenv("PUBCLI_PAGER", "")
    yield tmp_path


@dataclass
class Outcome:
    """What a user sees of one pubcli run."""

    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Outcome]:
    """Run pubcli in-process, entering as the console script does (quick route included),
    and capture what it prints."""

    def invoke(*arguments: str) -> Outcome:
        capsys.readouterr()
        code = main(list(arguments))
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


def run_in_terminal(
    arguments: list[str], cwd: Path, env: dict[str, str] | None = None
) -> tuple[int, str]:
    """Run pubcli with a pseudo-terminal as stdout and return its exit code and output."""
    primary, secondary = pty.openpty()
    full_env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", **(env or {})}
    full_env.pop("NO_COLOR", None) if "NO_COLOR" not in (env or {}) else None
    process = subprocess.Popen(
        [str(PUBCLI), *arguments],
        cwd=cwd,
        env=full_env,
        stdin=secondary,
        stdout=secondary,
        stderr=subprocess.DEVNULL,
    )
    os.close(secondary)
    chunks = []
    while True:
        ready, _, _ = select.select([primary], [], [], 30)
        if not ready:
            break
        try:
            data = os.read(primary, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(primary)
    process.wait(timeout=30)
    return process.returncode, b"".join(chunks).decode("utf-8", "replace")


# Text as maintainers type it: any printable character, quotes and backslashes included,
# but none of the invisible characters (bidi controls, zero-width) that one-line fields refuse.
one_line_text = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")).filter(
        lambda c: not INVISIBLE_CHARACTER.match(c)
    ),
    min_size=1,
    max_size=30,
).filter(str.strip)
# A value of components or topics: no ';' (SPEC section 1).
list_value_text = one_line_text.filter(lambda text: ";" not in text)
summary_text = st.text(
    st.characters(blacklist_categories=("Cs", "Zl", "Zp"), blacklist_characters="\r").filter(
        lambda c: c in "\n\t" or not (ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F)
    ),
    max_size=60,
)
publications = st.builds(
    Publication,
    id=st.from_regex(r"[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,3}", fullmatch=True),
    title=one_line_text,
    type=one_line_text,
    date=st.none() | st.dates(datetime.date(1900, 1, 1), datetime.date(2100, 12, 31)),
    components=st.lists(list_value_text, min_size=1, max_size=3).map(tuple),
    topics=st.lists(list_value_text, max_size=3).map(tuple),
    summary=summary_text,
    url=st.none()
    | st.from_regex(r"https?://[a-z]{1,10}\.org(/[a-z0-9_%-]{0,10})?", fullmatch=True),
)


@dataclass
class Session:
    """A pubcli process on a pseudo-terminal of a known size (stdout and stderr both on it)."""

    process: subprocess.Popen[bytes]
    primary: int
    screen: bytes = b""

    def read_until(self, wanted: bytes, timeout: float = 30) -> bool:
        """Read the screen until ``wanted`` shows (True) or the process ends (False)."""
        while wanted not in self.screen:
            ready, _, _ = select.select([self.primary], [], [], timeout)
            if not ready:
                return False
            try:
                data = os.read(self.primary, 65536)
            except OSError:
                return False
            if not data:
                return False
            self.screen += data
        return True

    def send(self, keys: bytes) -> None:
        os.write(self.primary, keys)

    def finish(self) -> tuple[int, str]:
        """Read to the end; the exit code and everything the terminal showed."""
        self.read_until(b"\0never\0")
        os.close(self.primary)
        return self.process.wait(timeout=30), self.screen.decode("utf-8", "replace")


def start_in_pty(
    arguments: Sequence[str],
    cwd: Path,
    env: dict[str, str],
    *,
    rows: int = 24,
    columns: int = 100,
    program: Path = PUBCLI,
) -> Session:
    """Start pubcli on a pseudo-terminal of ``rows`` x ``columns`` (its controlling
    terminal, so that a pager started by it reads keys from it as from a user), with the
    pager of ``env`` (else the default). ``program``: another program instead (a shell)."""
    import fcntl
    import struct
    import termios

    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    unset = ("COLUMNS", "LINES", "PUBCLI_PAGER")
    full_env = {key: value for key, value in os.environ.items() if key not in unset}
    full_env.update(TERM="xterm-256color", **env)

    def controlling_terminal() -> None:
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    process = subprocess.Popen(
        [str(program), *arguments],
        cwd=cwd,
        env=full_env,
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        preexec_fn=controlling_terminal,
    )
    os.close(secondary)
    return Session(process, primary)
