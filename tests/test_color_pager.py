"""SPEC 12: the global --color and --no-pager, and the pager a tall view goes through."""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import pytest

from bench.synth import write_catalogue
from tests.conftest import SHIPPED_CATALOGUE, run_in_terminal, run_process, start_in_pty

COLOUR = "\x1b[36m"  # the dates' cyan
BOLD = "\x1b[1m"  # the ids
ESCAPE = "\x1b["


@pytest.fixture
def fake_pager(isolated: Path) -> tuple[Path, Path]:
    """A pager that records what it is given (its script and the file it writes)."""
    script, log = isolated / "pager.sh", isolated / "paged.txt"
    script.write_text(f'#!/bin/sh\ncat > "{log}"\n', encoding="utf-8")
    script.chmod(0o755)
    return script, log


def _config(isolated: Path, text: str) -> None:
    path = isolated / ".config" / "pubcli" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


SHORT = ["-c", str(SHIPPED_CATALOGUE), "list", "--limit", "2"]


@pytest.mark.parametrize(
    ("arguments", "env", "colour", "styled"),
    [
        (["--color", "never", *SHORT], {}, False, False),
        (["--color", "always", *SHORT], {"NO_COLOR": "1"}, True, True),
        (["--color", "auto", *SHORT], {"NO_COLOR": "1"}, False, True),
        (SHORT, {}, True, True),
    ],
)
def test_color_on_a_terminal(
    isolated: Path, arguments: list[str], env: dict[str, str], colour: bool, styled: bool
) -> None:
    """never: no escape at all; always beats NO_COLOR (no-color.org); auto honours it."""
    code, screen = run_in_terminal(arguments, isolated, env)
    assert code == 0
    assert "statement-hurricane-dorian" in screen
    assert (COLOUR in screen, BOLD in screen) == (colour, styled)


def test_color_always_colours_a_table_into_a_pipe_but_never_a_machine_format(
    isolated: Path,
) -> None:
    """A table piped to ``less -R`` may be coloured on request; json, csv, tsv, ids never."""
    table = run_process(["--color", "always", *SHORT, "--format", "table"], cwd=isolated)
    assert COLOUR in table.stdout.decode()
    for fmt in ("json", "jsonl", "csv", "tsv", "ids", "markdown"):
        result = run_process(["--color", "always", *SHORT, "--format", fmt], cwd=isolated)
        assert result.returncode == 0
        assert ESCAPE not in result.stdout.decode(), fmt
    shown = run_process(["--color", "always", "-c", str(SHIPPED_CATALOGUE), "show", "mpp"])
    assert ESCAPE not in shown.stdout.decode()


def test_color_is_global_only_and_its_value_is_checked(isolated: Path) -> None:
    """``pubcli --color never list``, as git takes --no-pager: before the command."""
    after = run_process([*SHORT, "--color", "never"], cwd=isolated)
    assert after.returncode == 2
    assert b"--color" in after.stderr
    wrong = run_process(["--color", "sometimes", *SHORT], cwd=isolated)
    assert wrong.returncode == 2
    assert wrong.stderr.decode().startswith("error: ")


def test_the_config_file_chooses_colour_and_the_flag_overrides_it(isolated: Path) -> None:
    _config(isolated, 'color = "never"\n')
    assert ESCAPE not in run_in_terminal(SHORT, isolated)[1]
    assert COLOUR in run_in_terminal(["--color", "always", *SHORT], isolated)[1]
    _config(isolated, 'color = "always"\n')
    # A user's own setting overrides NO_COLOR, as no-color.org asks.
    assert COLOUR in run_in_terminal(SHORT, isolated, {"NO_COLOR": "1"})[1]


LONG = ["-c", str(SHIPPED_CATALOGUE), "list"]


def test_a_table_taller_than_the_terminal_goes_through_the_pager(
    isolated: Path, fake_pager: tuple[Path, Path]
) -> None:
    script, log = fake_pager
    session = start_in_pty(LONG, isolated, {"PUBCLI_PAGER": str(script)}, rows=10)
    code, screen = session.finish()
    assert code == 0
    assert "statement-hurricane-dorian" not in screen  # the pager had it all
    paged = log.read_text(encoding="utf-8")
    assert "statement-hurricane-dorian" in paged
    assert paged.count("\n") >= 10
    assert COLOUR in paged  # colour codes go to the pager (less -R shows them)


def test_a_view_that_fits_is_printed_directly(
    isolated: Path, fake_pager: tuple[Path, Path]
) -> None:
    script, log = fake_pager
    env = {"PUBCLI_PAGER": str(script)}
    code, screen = start_in_pty(SHORT, isolated, env, rows=40).finish()
    assert (code, "statement-hurricane-dorian" in screen, log.exists()) == (0, True, False)
    show = ["-c", str(SHIPPED_CATALOGUE), "show", "mpp"]
    code, screen = start_in_pty(show, isolated, env, rows=10).finish()
    assert code == 0
    assert "mpp-policy-guidance" in log.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("arguments", "env", "configured"),
    [
        (["--no-pager", *LONG], {}, True),
        (LONG, {"PUBCLI_PAGER": ""}, True),
        (LONG, {"PAGER": "cat"}, False),
        (LONG, {"PAGER": f"{SHIPPED_CATALOGUE}.missing"}, False),
    ],
)
def test_no_pager(
    isolated: Path,
    fake_pager: tuple[Path, Path],
    arguments: list[str],
    env: dict[str, str],
    configured: bool,
) -> None:
    """--no-pager and an empty PUBCLI_PAGER page nothing, whatever the config says; nor do
    PAGER=cat (as git treats it) and a pager that cannot be run (with a warning)."""
    script, log = fake_pager
    if configured:
        _config(isolated, f'pager = "{script}"\n')
    code, screen = start_in_pty(arguments, isolated, env, rows=10).finish()
    assert (code, "statement-hurricane-dorian" in screen, log.exists()) == (0, True, False)


def test_never_a_pager_into_a_pipe(isolated: Path, fake_pager: tuple[Path, Path]) -> None:
    script, log = fake_pager
    env = {"PUBCLI_PAGER": str(script), "LINES": "5"}
    result = run_process([*LONG, "--format", "table"], cwd=isolated, env=env)
    assert b"statement-hurricane-dorian" in result.stdout
    assert not log.exists()


def test_which_pager(isolated: Path, fake_pager: tuple[Path, Path]) -> None:
    """PUBCLI_PAGER, then the config's pager, then PAGER: pubcli's own settings first,
    as git puts GIT_PAGER and core.pager before PAGER."""
    script, log = fake_pager
    other = isolated / "other.sh"
    other.write_text(f'#!/bin/sh\necho other > "{log}"\n', encoding="utf-8")
    other.chmod(0o755)
    cases = [
        ({"PUBCLI_PAGER": str(script), "PAGER": str(other)}, "", "statement"),
        ({"PAGER": str(script)}, "", "statement"),
        ({"PAGER": str(other)}, f'pager = "{script}"\n', "statement"),
        ({"PUBCLI_PAGER": str(other)}, f'pager = "{script}"\n', "other"),
        ({"PUBCLI_PAGER": f"{script} --some-flag"}, "", "statement"),  # a command line
    ]
    for env, config, wanted in cases:
        _config(isolated, config)
        log.unlink(missing_ok=True)
        code, _ = start_in_pty(LONG, isolated, env, rows=10).finish()
        assert code == 0
        assert wanted in log.read_text(encoding="utf-8"), (env, config)


@pytest.fixture
def big_catalogue(isolated: Path) -> Path:
    return write_catalogue(isolated / "big.toml", 3000)


def test_quitting_the_pager_early_ends_quietly(isolated: Path, big_catalogue: Path) -> None:
    """The user reads the first screen and presses q: exit 0, no message."""
    quitter = isolated / "quitter.sh"
    quitter.write_text("#!/bin/sh\nhead -n 3 > /dev/null\n", encoding="utf-8")
    quitter.chmod(0o755)
    arguments = ["-c", str(big_catalogue), "list"]
    code, screen = start_in_pty(arguments, isolated, {"PUBCLI_PAGER": str(quitter)}).finish()
    assert (code, screen) == (0, "")


def test_ctrl_c_while_paging_waits_for_the_pager_and_shows_no_traceback(
    isolated: Path, big_catalogue: Path
) -> None:
    started, go = isolated / "started", isolated / "go"
    slow = isolated / "slow.sh"
    slow.write_text(
        f'#!/bin/sh\nread line\ntouch "{started}"\nwhile [ ! -e "{go}" ]; do sleep 0.05; done\n',
        encoding="utf-8",
    )
    slow.chmod(0o755)
    arguments = ["-c", str(big_catalogue), "list"]
    session = start_in_pty(arguments, isolated, {"PUBCLI_PAGER": str(slow)})
    for _ in range(600):
        if started.exists():
            break
        session.read_until(b"\0never\0", timeout=0.05)
    assert started.exists()
    os.kill(session.process.pid, signal.SIGINT)
    session.read_until(b"\0never\0", timeout=0.5)
    assert session.process.poll() is None  # pubcli waits while the pager owns the terminal
    go.touch()
    code, screen = session.finish()
    assert code == 130
    assert "Traceback" not in screen
    assert screen.count("error: interrupted") == 1


@pytest.mark.skipif(shutil.which("less") is None, reason="less is not installed")
def test_with_real_less(isolated: Path) -> None:
    """The default pager: less -FRX shows the table with its colours; q ends it, exit 0."""
    session = start_in_pty(LONG, isolated, {}, rows=10)
    assert session.read_until(b"statement-hurricane-dorian")
    assert session.read_until(b":") or session.read_until(b"(END)")
    session.send(b"q")
    code, screen = session.finish()
    assert code == 0
    assert COLOUR in screen  # passed through by -R, not shown as ESC[36m
    assert "ESC[" not in screen
    assert "Traceback" not in screen and "error" not in screen


def test_a_quoted_pager_path_runs_without_a_shell(
    isolated: Path, fake_pager: tuple[Path, Path]
) -> None:
    """Quotes need no shell (shlex splits them as sh does): a pager path with a space runs,
    and one that does not exist is a warning with the view printed, not a lost view."""
    script, log = fake_pager
    spaced = isolated / "my pager"
    script.rename(spaced)
    session = start_in_pty(LONG, isolated, {"PUBCLI_PAGER": f'"{spaced}"'}, rows=10)
    code, screen = session.finish()
    assert code == 0
    assert "statement-hurricane-dorian" in log.read_text(encoding="utf-8")
    missing = isolated / "no such pager"
    session = start_in_pty(LONG, isolated, {"PUBCLI_PAGER": f"'{missing}' -R"}, rows=10)
    code, screen = session.finish()
    assert code == 0
    assert f"warning: cannot run pager '{missing}' -R" in screen
    assert "statement-hurricane-dorian" in screen
