"""The real ``pubcli`` process: exit codes, pipes, terminals, locales and encodings."""

from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pubcli import __version__, exit_codes
from tests.conftest import PUBCLI, Outcome, entry, run_in_terminal, run_process

TITLE = "Café: [bold]x[/] Array[int]"


@pytest.fixture
def catalogue(make_catalogue: Callable[..., Path]) -> Path:
    return make_catalogue(
        entry("cafe", TITLE, date="2019-01-02", summary="Résumé with ümlauts"),
        *(entry(f"item-{n:03d}", f"Item {n}", date="2018-01-01") for n in range(300)),
    )


def test_version_from_the_console_script_and_python_m() -> None:
    """Both ways of starting pubcli report the version."""
    assert run_process(["--version"]).stdout == f"pubcli {__version__}\n".encode()
    module = subprocess.run(
        [sys.executable, "-m", "pubcli", "--version"], capture_output=True, check=False
    )
    assert (module.returncode, module.stdout) == (0, f"pubcli {__version__}\n".encode())


def test_default_format_is_tsv_into_a_pipe_and_a_table_on_a_terminal(
    catalogue: Path, isolated: Path
) -> None:
    """Like gh: a table for people, tab-separated values for scripts."""
    piped = run_process(["list", "--limit", "1"], cwd=isolated)
    assert piped.stdout.decode() == f"cafe\t2019-01-02\tStatement\t{TITLE}\n"
    code, screen = run_in_terminal(["list", "--limit", "2"], isolated)
    assert code == 0
    assert "ID" in screen and "Title" in screen and "2 publications" in screen
    assert "[bold]x[/]" in screen
    assert "\x1b[" in screen  # styled for a terminal


def test_no_color_keeps_colour_codes_out(catalogue: Path, isolated: Path) -> None:
    """NO_COLOR: no colour escape sequences (bold may stay)."""
    code, screen = run_in_terminal(["list", "--limit", "2"], isolated, {"NO_COLOR": "1"})
    assert code == 0
    assert "[36m" not in screen and "38;5" not in screen
    assert "2 publications" in screen


def test_show_on_a_terminal_draws_a_view_with_a_link(make_catalogue: Callable[..., Path]) -> None:
    """The full view on a terminal; the URL is a hyperlink, with no border to copy."""
    path = make_catalogue(entry("linked", "Linked", url="https://example.org/a"))
    code, screen = run_in_terminal(["show", "linked"], path.parent.parent)
    assert code == 0
    assert "│" not in screen and "https://example.org/a" in screen
    assert "\x1b]8;" in screen  # OSC 8 hyperlink


def test_a_closed_pipe_ends_quietly(catalogue: Path, isolated: Path) -> None:
    """pubcli list | head -1: no traceback, no message."""
    for fmt in ("tsv", "json", "csv", "table"):
        pipeline = subprocess.run(
            f"'{PUBCLI}' list --format {fmt} | head -1",
            shell=True,
            cwd=isolated,
            capture_output=True,
            env={**os.environ, "COLUMNS": "80"},
            check=False,
        )
        assert pipeline.stderr == b"", (fmt, pipeline.stderr)
        assert pipeline.stdout.count(b"\n") == 1


@pytest.mark.parametrize(
    "env",
    [
        {"LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"},
        {"PYTHONIOENCODING": "ascii"},
    ],
)
def test_a_non_utf8_output_never_crashes(
    catalogue: Path, isolated: Path, env: dict[str, str]
) -> None:
    """Characters the output cannot encode are escaped; JSON uses \\u escapes."""
    tsv = run_process(["list", "--limit", "1"], cwd=isolated, env=env)
    assert tsv.returncode == 0 and tsv.stderr == b""
    assert tsv.stdout.startswith(b"cafe\t2019-01-02\tStatement\tCaf\\xe9")
    as_json = run_process(["list", "--limit", "1", "-f", "json"], cwd=isolated, env=env)
    assert b'"Caf\\u00e9' in as_json.stdout
    table = run_process(["list", "--limit", "1", "-f", "table"], cwd=isolated, env=env)
    assert table.returncode == 0 and table.stderr == b""
    shown = run_process(["show", "cafe", "-f", "table"], cwd=isolated, env=env)
    assert shown.returncode == 0 and b"R\\xe9sum\\xe9" in shown.stdout
    search = run_process(["filter", "--text", "café", "-f", "ids"], cwd=isolated, env=env)
    assert search.stdout == b"cafe\n"


def test_arguments_that_are_not_utf8_are_refused(catalogue: Path, isolated: Path) -> None:
    """A raw 0xff byte in an argument: exit 2 with a message, no traceback."""
    process = subprocess.run(
        [os.fsencode(PUBCLI), b"filter", b"--text", b"caf\xff"],
        cwd=isolated,
        capture_output=True,
        check=False,
    )
    assert process.returncode == 2
    assert process.stderr == b"error: argument 'caf\\xff' is not valid UTF-8\n"


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"[[publications]\n", 3),
        (b"\xff\xfe", 3),
        (b'publications = "x"\n', 3),
        (b"", 0),
    ],
)
def test_broken_catalogues_never_show_a_traceback(
    isolated: Path, content: bytes, code: int
) -> None:
    """Every way a file can be broken gives one error line and the spec's exit code."""
    path = isolated / "broken.toml"
    path.write_bytes(content)
    result = run_process(["list", "-c", str(path)], cwd=isolated)
    assert result.returncode == code
    assert b"Traceback" not in result.stderr
    assert result.stderr.count(b"\n") == (1 if code else 0)


def _limit_file_size(limit: int) -> Callable[[], None]:
    def limit_file_size() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return limit_file_size


@pytest.mark.parametrize("arguments", [["list"], ["list", "-f", "json"], ["filter", "--no-cache"]])
def test_output_failing_half_way_is_one_error_and_no_row_twice(
    catalogue: Path, isolated: Path, arguments: list[str]
) -> None:
    """A write that fails after some rows (a file-size limit) ends with one error line and
    exit 3; what made it out is the start of the output, no row repeated."""
    full = run_process(arguments, cwd=isolated).stdout
    assert len(full) > 8192
    out_path = isolated / "out.txt"
    with out_path.open("wb") as out:
        process = subprocess.run(
            [str(PUBCLI), *arguments],
            cwd=isolated,
            stdout=out,
            stderr=subprocess.PIPE,
            preexec_fn=_limit_file_size(4096),
            check=False,
        )
    written = out_path.read_bytes()
    assert (process.returncode, process.stderr) == (3, b"error: File too large\n")
    assert 0 < len(written) <= 4096 and full.startswith(written)  # so no row came twice


def test_a_full_disk_under_the_output_is_one_error_line(catalogue: Path, isolated: Path) -> None:
    """Standard output on /dev/full: exit 3, one error line, no traceback."""
    for arguments in (["list"], ["show", "cafe"], ["stats"]):
        with open("/dev/full", "wb") as full:
            process = subprocess.run(
                [str(PUBCLI), *arguments], cwd=isolated, stdout=full, stderr=subprocess.PIPE
            )
        assert (process.returncode, process.stderr) == (
            3,
            b"error: No space left on device\n",
        ), arguments


def test_a_broken_catalogue_is_parsed_once(
    isolated: Path, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., Outcome]
) -> None:
    """The quick route reports a catalogue error itself: the file is not parsed again."""
    import tomli

    path = isolated / "broken.toml"
    path.write_text(entry("a", "A") + "[[publications]\n", encoding="utf-8")
    parses = []
    real_loads = tomli.loads
    monkeypatch.setattr(tomli, "loads", lambda text: parses.append(1) or real_loads(text))
    result = cli("list", "-c", str(path), "--format", "ids")
    assert (result.code, result.out) == (3, "")
    assert result.err.startswith("error: ") and result.err.count("\n") == 1
    assert len(parses) == 1


def _started_by_pubcli(stderr: bytes) -> bool:
    """Whether a traceback passes through pubcli's own code (a module of the package, or
    the console script's call of main), rather than only Python's own start-up: site, the
    script's ``import re``, or the search for the package before its first line runs (the
    import machinery hides its own frames, leaving the script's import line alone)."""
    in_pubcli = re.search(rb'File "[^"]*pubcli[/\\\\][^"]*\.py"', stderr) is not None
    return in_pubcli or b"sys.exit(main())" in stderr


@pytest.mark.parametrize("arguments", [["list"], ["show", "cafe"]])
def test_ctrl_c_at_any_moment_of_start_up_is_one_line(
    catalogue: Path, isolated: Path, arguments: list[str]
) -> None:
    """SIGINT at 40 moments over the first 0.3 s, as the attack did: never a traceback from
    pubcli, at most the one ``error: interrupted`` line, and exit 130, or death by SIGINT
    (which a shell shows as 130) when it lands before ``main`` runs. A signal inside Python's
    own start-up (site, the console script's ``import re``, finding the package), before the
    first line of pubcli runs, is Python's to report: such tries are told apart, counted."""
    import random

    shapes = set()
    before_pubcli = 0
    rng = random.Random(11)
    for attempt in range(40):
        process = subprocess.Popen(
            [str(PUBCLI), *arguments],
            cwd=isolated,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        time.sleep(0.3 * (attempt + rng.random()) / 40)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
        if process.returncode != 0 and b"Traceback" in err and not _started_by_pubcli(err):
            before_pubcli += 1
            continue
        shapes.add((process.returncode, err.decode(errors="replace")))
    allowed = {
        (0, ""),  # finished before the signal
        (-signal.SIGINT, ""),  # killed before Python's own handler was installed
        (-signal.SIGINT, "error: interrupted\n"),  # before main(): the excepthook
        (exit_codes.INTERRUPTED, "error: interrupted\n"),  # inside main()
    }
    unexpected = "\n".join(f"{code}: {err}" for code, err in shapes - allowed)
    assert not unexpected, f"{before_pubcli} in Python's start-up; unexpected:\n{unexpected}"
    assert (exit_codes.INTERRUPTED, "error: interrupted\n") in shapes


def test_an_interrupt_that_python_wrapped_is_still_an_interrupt(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Python 3.11 turns a Ctrl-C inside ``__set_name__`` (while a class is made, during
    an import) into a RuntimeError: it is reported as the interrupt it was."""
    from pubcli.cli.failures import report

    try:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as interrupt:
            raise RuntimeError("Error calling __set_name__") from interrupt
    except RuntimeError as wrapped:
        assert report(wrapped) == exit_codes.INTERRUPTED
    assert capsys.readouterr().err == "error: interrupted\n"
