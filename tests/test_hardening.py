"""Issue 10's input findings: an empty catalogue option, hostile TOML and JSON, special
files, text that fools a reader, and repeated search words. Each test failed before its fix."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bench.synth import write_catalogue
from pubcli.cli.main import main
from tests.conftest import entry, run_process

EMPTY_CATALOGUE = "error: --catalogue is empty: give the catalogue's path\n"


# --- 6: -c "" is a usage error, never "look elsewhere" ----------------------------------


@pytest.mark.parametrize(
    "arguments",
    [
        ["list", "-c", ""],
        ["list", "--catalogue="],
        ["-c", "", "list"],
        ["filter", "--text", "x", "-c", ""],
        ["show", "a", "-c", ""],
        ["check", "-c", ""],
        ["stats", "-c", ""],
        ["schema", "-c", ""],
        ["add", "--title", "New", "--type", "Letter", "--component", "ICE", "-c", ""],
        ["-c", "", "add", "--title", "New", "--type", "Letter", "--component", "ICE"],
    ],
)
def test_an_empty_catalogue_option_is_exit_2_and_writes_nothing(
    make_catalogue: Callable[..., Path], isolated: Path, arguments: list[str]
) -> None:
    """``-c "$UNSET"`` must not fall back to the catalogue found from the directory."""
    path = make_catalogue(entry("a", "Alpha", date="2019-01-01"))
    before = path.read_bytes()
    result = run_process(arguments, cwd=isolated)
    assert (result.returncode, result.stdout, result.stderr.decode()) == (2, b"", EMPTY_CATALOGUE)
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["publications.toml"]


def test_an_empty_catalogue_variable_means_unset(
    make_catalogue: Callable[..., Path], isolated: Path
) -> None:
    """As git treats an empty variable: ``PUBCLI_CATALOGUE=`` falls through to the search."""
    make_catalogue(entry("a", "Alpha", date="2019-01-01"))
    result = run_process(["list", "-f", "ids"], cwd=isolated, env={"PUBCLI_CATALOGUE": ""})
    assert (result.returncode, result.stdout, result.stderr) == (0, b"a\n", b"")


# --- 12: hostile TOML and JSON are refused with a clear message, never "internal error" --

DIGIT_LIMIT = 4300  # sys.get_int_max_str_digits() by default


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "[" * 402 + "]" * 402,
            "cat.toml:3:411: invalid TOML: arrays or inline tables nested more than 400 levels "
            "deep",
        ),
        (
            "1" * (DIGIT_LIMIT + 1),
            f"cat.toml:3:10: invalid TOML: an integer has more than {DIGIT_LIMIT} digits",
        ),
    ],
    ids=["deep-nesting", "huge-integer"],
)
@pytest.mark.parametrize("command", [["list"], ["show", "a"], ["check"], ["add", "--id", "n",
                         "--title", "N", "--type", "Letter", "--component", "ICE"]])  # fmt: skip
def test_hostile_toml_is_a_catalogue_error_with_its_line(
    isolated: Path, value: str, message: str, command: list[str]
) -> None:
    path = isolated / "cat.toml"
    path.write_text(f'# two lines\n[[publications]]\ntopics = {value}\nid = "a"\n', "utf-8")
    before = path.read_bytes()
    result = run_process([*command, "-c", "cat.toml"], cwd=isolated)
    assert (result.returncode, result.stdout) == (3, b"")
    assert result.stderr.decode() == f"error: {message}\n"
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "invalid JSON: arrays or objects nested too deeply"),
        (
            '{"id": "n", "title": ' + "9" * (DIGIT_LIMIT + 1) + "}",
            f"invalid JSON: a number has more than {DIGIT_LIMIT} digits",
        ),
        (
            '{"id": "n", "title": "A \\udc80", "type": "Letter", "components": ["ICE"]}',
            "invalid JSON at line 1, column 25: \\udc80: a string holds a lone surrogate, "
            "which is not a character",
        ),
        (
            '{"id": "n", "title": "A", "type": "Letter", "components": ["ICE"], "\\ud800": 1}',
            "invalid JSON at line 1, column 69: \\ud800: a string holds a lone surrogate, "
            "which is not a character",
        ),
        (
            '{"id": "m", "title": "M", "type": "Letter", "components": ["ICE"]}\n'
            '{"id": "n", "summary": "\\ude00\\ud83d"}\n',
            "line 2: invalid JSON: \\ude00: a string holds a lone surrogate, which is not a "
            "character (column 25)",
        ),
        (
            '{"id": "m", "title": "M", "type": "Letter", "components": ["ICE"]}\n'
            + "[" * 50_000
            + "\n",
            "line 2: invalid JSON: arrays or objects nested too deeply",
        ),
    ],
    ids=["deep", "huge-integer", "lone-low", "lone-in-key", "reversed-pair", "deep-line"],
)
def test_hostile_json_input_is_exit_2(
    make_catalogue: Callable[..., Path], isolated: Path, text: str, message: str
) -> None:
    path = make_catalogue(entry("a", "Alpha"))
    before = path.read_bytes()
    result = run_process(["add", "--from-json", "-"], cwd=isolated, input_bytes=text.encode())
    assert (result.returncode, result.stdout) == (2, b"")
    assert result.stderr.decode() == f"error: {message}\n"
    assert path.read_bytes() == before


def test_a_surrogate_pair_and_an_escaped_backslash_are_accepted(
    make_catalogue: Callable[..., Path], isolated: Path
) -> None:
    """Only lone surrogates are refused: a pair is one character, ``\\\\udc80`` is text."""
    make_catalogue(entry("a", "Alpha"))
    text = '{"id": "n", "title": "\\\\udc80 \\ud83d\\ude00", "type": "L", "components": ["I"]}'
    result = run_process(["add", "--from-json", "-", "-f", "json"], cwd=isolated,
                         input_bytes=text.encode())  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert '"title": "\\\\udc80 \U0001f600"' in result.stdout.decode()


# --- 13: a catalogue is a regular file, read once -------------------------------------


@pytest.mark.parametrize(
    "command",
    [["list"], ["filter", "--type", "x"], ["show", "a"], ["check"], ["stats"],
     ["add", "--title", "T", "--type", "Letter", "--component", "ICE"],
     ["add", "--dry-run", "--title", "T", "--type", "Letter", "--component", "ICE"]],
)  # fmt: skip
def test_a_named_pipe_is_refused_at_once_and_no_lock_is_made(
    isolated: Path, command: list[str]
) -> None:
    """A FIFO would block the read forever; nothing is created beside it."""
    os.mkfifo(isolated / "pipe.toml")
    result = run_process([*command, "-c", "pipe.toml"], cwd=isolated, timeout=20)
    assert (result.returncode, result.stdout) == (3, b"")
    assert result.stderr == b"error: cannot read catalogue pipe.toml: it is a named pipe, " \
        b"not a regular file\n"  # fmt: skip
    assert sorted(p.name for p in isolated.iterdir()) == ["pipe.toml"]


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
@pytest.mark.parametrize("command", [["list"], ["show", "a"], ["check"]])
def test_an_endless_device_is_refused_before_a_byte_is_read(
    isolated: Path, device: str, command: list[str]
) -> None:
    """``-c /dev/zero`` used to read until memory ran out."""
    result = run_process([*command, "-c", device], cwd=isolated, timeout=20)
    assert (result.returncode, result.stdout) == (3, b"")
    message = (
        f"error: cannot read catalogue {device}: it is a character device, not a regular file\n"
    )
    assert result.stderr.decode() == message


def test_add_to_a_symlink_to_a_device_creates_no_lock(isolated: Path) -> None:
    """The lock file goes beside the link's target: the check comes before it."""
    device = Path("/dev/null")
    (isolated / "cat.toml").symlink_to(device)
    result = run_process(
        ["add", "--title", "T", "--type", "Letter", "--component", "ICE", "-c", "cat.toml"],
        cwd=isolated,
    )
    assert (result.returncode, result.stderr) == (
        3, b"error: cannot read catalogue cat.toml: it is a character device, not a regular file\n"
    )  # fmt: skip
    assert not Path("/dev/null.lock").exists()


_opened: list[str] | None = None


def _count_opens(event: str, arguments: tuple[object, ...]) -> None:
    if _opened is not None and event == "open" and isinstance(arguments[0], (str, Path)):
        _opened.append(os.path.realpath(arguments[0]))


sys.addaudithook(_count_opens)  # audit hooks cannot be removed: it records only when asked


def opens_of(path: Path, arguments: list[str], monkeypatch: pytest.MonkeyPatch) -> int:
    """How many times one run of the ``pubcli`` entry point (in-process) opens ``path``."""
    global _opened
    monkeypatch.setattr(sys, "argv", ["pubcli", *arguments])
    _opened = []
    try:
        main()
    finally:
        opened, _opened = _opened, None
    return opened.count(os.path.realpath(path))


def test_no_call_reads_the_catalogue_twice(
    isolated: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Neither a broken catalogue on the quick route (declined, then read again by the full
    command line) nor any other call opens the file more than once."""
    small = isolated / "small.toml"
    small.write_text(entry("a", "Alpha", date="2019-01-01"), encoding="utf-8")
    broken = isolated / "broken.toml"
    broken.write_text("[[publications]\n", encoding="utf-8")
    invalid = isolated / "invalid.toml"
    invalid.write_text(entry("a", "Alpha") + entry("a", "Again"), encoding="utf-8")
    large = write_catalogue(isolated / "large.toml", 300)
    add = ["add", "--title", "New", "--type", "Letter", "--component", "ICE", "-c"]
    calls = [
        (small, ["list", "-c", str(small)]),
        (broken, ["list", "-c", str(broken)]),
        (broken, ["filter", "--text", "x", "-c", str(broken)]),
        (broken, ["show", "a", "-c", str(broken)]),
        (invalid, ["list", "-c", str(invalid)]),
        (broken, ["check", "-c", str(broken)]),
        (large, ["list", "-c", str(large)]),  # builds the cache
        (large, ["filter", "--text", "x", "-c", str(large)]),
        (small, [*add, str(small)]),
        (large, [*add, str(large), "--no-cache"]),
    ]
    for path, arguments in calls:
        assert opens_of(path, arguments, monkeypatch) == 1, arguments
    capsys.readouterr()
