"""Hostile input and faults: nothing a file or an argument holds makes pubcli crash, lie,
hang or lose data. Examples here are random; the fuzz run (test_fuzz.py) goes further."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pubcli.catalogue.loader import load_catalogue
from pubcli.cli.main import main
from tests.conftest import SHIPPED_CATALOGUE, Outcome, entry, run_process

Cli = Callable[..., Outcome]
EXIT_CODES = {0, 1, 2, 3}
# Raw control characters that must never reach a terminal: C0 but tab and newline, DEL, C1.
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
SEED = SHIPPED_CATALOGUE.read_bytes()
HOSTILE_TITLE = "\x1b[2J\x1b]8;;file:///etc/passwd\x07x\x9b31m [bold]b[/] :smile: \u202e"


def run_captured(arguments: list[str]) -> tuple[int, str, str]:
    """Run the entry point in-process with standard output and error captured."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(arguments)
    return code, out.getvalue(), err.getvalue()


def assert_clean(code: int, out: str, err: str, *, csv_output: bool = False) -> None:
    assert code in EXIT_CODES, (code, err)
    assert "Traceback" not in err and "internal error" not in err, err
    if csv_output:
        out = out.replace("\r\n", "\n")  # RFC 4180's line ends are the format, not data
    assert not RAW_CONTROL.search(out), out
    assert not RAW_CONTROL.search(err), err
    assert all(line.startswith(("error: ", "warning: ", "hint: ")) for line in err.splitlines()) \
        or code in (0, 1), err  # fmt: skip


mutations = st.lists(
    st.tuples(st.integers(0, len(SEED) - 1), st.binary(min_size=0, max_size=4)),
    min_size=1,
    max_size=6,
)


def mutate(data: bytes, edits: list[tuple[int, bytes]]) -> bytes:
    result = bytearray(data)
    for position, replacement in edits:
        position %= max(len(result), 1)
        result[position : position + len(replacement) or position + 1] = replacement
    return bytes(result)


COMMANDS = [
    ["list"],
    ["list", "-f", "json"],
    ["list", "-f", "csv"],
    ["list", "-f", "table"],
    ["filter", "--text", "dhs", "-f", "jsonl"],
    ["show", "mpp"],
    ["show", "mpp", "-f", "json"],
    ["check"],
    ["check", "-f", "json"],
]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(edits=mutations)
@example(edits=[(200, b"\\u001b")])
@example(edits=[(0, b"\xff")])
def test_mutated_catalogues_give_only_spec_exit_codes(isolated: Path, edits: list) -> None:
    """Random byte edits of the shipped catalogue: every command ends cleanly."""
    path = isolated / "mutated.toml"
    path.write_bytes(mutate(SEED, edits))
    for command in COMMANDS:
        code, out, err = run_captured([*command, "-c", str(path)])
        assert_clean(code, out, err, csv_output="csv" in command)


option_values = st.sampled_from(
    ["--sort", "--limit", "--format", "--columns", "--since", "--until", "--text", "--type",
     "--reverse", "--no-cache", "-c", "--id", "--title", "--dry-run", "--from-json", "-f"]
)  # fmt: skip
argument_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    command=st.sampled_from(["list", "filter", "show", "add", "check", "nope", "--version"]),
    rest=st.lists(option_values | argument_text, max_size=6),
)
def test_random_arguments_give_only_spec_exit_codes(
    isolated: Path, command: str, rest: list[str]
) -> None:
    """Whatever the arguments, one clean ending; an add never writes a bad entry."""
    path = isolated / "cat.toml"
    path.write_text(entry("a", "Alpha", date="2019-01-01"), encoding="utf-8")
    code, out, err = run_captured([command, *rest, "--catalogue", str(path)])
    assert_clean(code, out, err, csv_output="csv" in rest)
    loaded = load_catalogue(path, "c")
    assert loaded.problems == []  # whatever add accepted is valid


def test_hostile_text_never_reaches_the_terminal_raw(
    make_catalogue: Callable[..., Path], isolated: Path
) -> None:
    """Escapes in an invalid title, a path and an id are shown escaped in every output."""
    make_catalogue(entry("ok", "[bold]fine[/]"), entry("bad", HOSTILE_TITLE))
    for command in COMMANDS:
        code, out, err = run_captured(command)
        assert_clean(code, out, err, csv_output="csv" in command)
        assert "\\x1b" in err or command[0] == "check"
    code, out, err = run_captured(["show", "\x1b[31mx"])
    assert code == 1 and "\\x1b[31mx" in err
    weird = isolated / "we\x1bird.toml"
    weird.write_text(entry("bad", HOSTILE_TITLE), encoding="utf-8")
    code, out, err = run_captured(["check", "-c", str(weird)])
    assert code == 3 and "we\\x1bird.toml" in out
    assert_clean(code, out, err)


def test_fifty_writers_and_fifty_readers_at_once(
    make_catalogue: Callable[..., Path], isolated: Path
) -> None:
    """Every add lands; every read sees a valid catalogue and exits 0."""
    path = make_catalogue("# shared\n", entry("seed", "Seed"))

    def add(number: int) -> tuple[int, bytes]:
        result = run_process(
            ["add", "--title", f"Writer {number}", "--type", "T", "--component", "X"],
            cwd=isolated,
            timeout=120,
        )
        return result.returncode, result.stderr

    def read(number: int) -> tuple[int, bytes]:
        result = run_process(["list", "-f", "json"], cwd=isolated, timeout=120)
        json.loads(result.stdout)
        return result.returncode, result.stderr

    with ThreadPoolExecutor(max_workers=20) as pool:
        adds = pool.map(add, range(50))
        reads = pool.map(read, range(50))
        added, read_back = list(adds), list(reads)
    assert added == [
        (0, f"added writer-{n} to data/publications.toml\n".encode()) for n in range(50)
    ]
    assert read_back == [(0, b"")] * 50
    loaded = load_catalogue(path, "c")
    assert loaded.problems == []
    assert sorted(p.id for p in loaded.publications) == sorted(
        ["seed", *(f"writer-{n}" for n in range(50))]
    )


@pytest.mark.parametrize("fault", ["vanishes", "becomes unwritable", "rename fails"])
def test_a_catalogue_that_changes_under_a_write_is_left_alone(
    cli: Cli,
    make_catalogue: Callable[..., Path],
    isolated: Path,
    monkeypatch: pytest.MonkeyPatch,
    fault: str,
) -> None:
    """Faults between reading and replacing: exit 3, no temporary file, nothing half-done."""
    import pubcli.catalogue.writer as writer

    path = make_catalogue(entry("a", "Alpha"))
    before = path.read_bytes()
    real_verify = writer.verify

    def verify_then_fault(*args, **kwargs):  # type: ignore[no-untyped-def]
        result = real_verify(*args, **kwargs)
        if fault == "vanishes":
            path.unlink()
        elif fault == "becomes unwritable":
            monkeypatch.setattr(
                writer.tempfile, "mkstemp", _raise(PermissionError(13, "Permission denied"))
            )
        else:
            monkeypatch.setattr(writer.os, "replace", _raise(OSError(5, "Input/output error")))
        return result

    monkeypatch.setattr(writer, "verify", verify_then_fault)
    result = cli("add", "--title", "New", "--type", "T", "--component", "X")
    assert result.code == 3
    assert result.err.startswith("error: cannot write data/publications.toml: ")
    if fault == "vanishes":
        assert not path.exists()
    else:
        assert path.read_bytes() == before
    assert [name for name in os.listdir(path.parent) if ".tmp-" in name] == []


def _raise(error: Exception) -> Callable[..., object]:
    def raiser(*args: object, **kwargs: object) -> object:
        raise error

    return raiser


def test_a_closed_stdout_is_not_a_crash(
    make_catalogue: Callable[..., Path], isolated: Path
) -> None:
    """pubcli list >&- : nothing to write to, still no traceback."""
    make_catalogue(entry("a", "Alpha"))
    import subprocess

    from tests.conftest import PUBCLI

    result = subprocess.run(
        f"'{PUBCLI}' list >&-", shell=True, cwd=isolated, capture_output=True, check=False
    )
    assert b"Traceback" not in result.stderr
    assert result.returncode in (0, 3)


def test_ctrl_c_exits_130_and_writes_nothing(
    make_catalogue: Callable[..., Path], isolated: Path
) -> None:
    """Interrupted while waiting for the lock: exit 130, one line, the file unchanged."""
    import fcntl
    import signal
    import subprocess
    import time

    from tests.conftest import PUBCLI

    path = make_catalogue(entry("a", "Alpha"))
    before = path.read_bytes()
    with open(path.parent / "publications.toml.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        process = subprocess.Popen(
            [str(PUBCLI), "add", "--title", "New", "--type", "T", "--component", "X"],
            cwd=isolated,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        time.sleep(1.0)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert err == b"error: interrupted\n"
    assert path.read_bytes() == before
    assert [name for name in os.listdir(path.parent) if ".tmp-" in name] == []
