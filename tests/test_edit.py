"""pubcli edit and pubcli remove (SPEC section 9): exact ids, all or nothing, bytes kept."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import tomli

from pubcli.catalogue.loader import load_catalogue
from tests.conftest import PUBCLI, Outcome, entry, run_in_terminal, run_process

Cli = Callable[..., Outcome]

HAND_WRITTEN = """\
# The catalogue: kept by hand.
schema_version = 1

# First entry, commented.
[[publications]]
id = "first"   # its id
title = 'First Title'
# between keys
type = "Statement"
date = 2019-01-25
components = ["ICE", "DHS"]
summary = \"\"\"Two lines,
the second.\"\"\"

# a comment between entries, after a blank line

[[publications]]
id = "middle"
title = "Middle"
type = "Letter"
components = [
  "CBP", # the first
  "ICE",
]
topics = ["Asylum"]

# About the last one.
[[publications]]
id = "last"
title = "Last"
type = "Form"
components = ["ICE"]
url = "https://example.org/last"
"""


def catalogue(isolated: Path, text: str = HAND_WRITTEN, *, newline: str = "\n") -> Path:
    path = isolated / "data" / "publications.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return path


def block_of(text: str, id_: str) -> str:
    """The lines of the entry ``id_`` in the hand-written text (header to blank line)."""
    start = text.index(f'[[publications]]\nid = "{id_}"')
    end = text.find("\n\n", start)
    return text[start : len(text) if end < 0 else end + 1]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("final_newline", [True, False])
@pytest.mark.parametrize("target", ["first", "middle", "last"])
def test_edit_changes_only_the_lines_of_changed_keys(
    cli: Cli, isolated: Path, newline: str, final_newline: bool, target: str
) -> None:
    """First, middle and last entry, LF and CRLF, with and without a final newline:
    every byte outside the edited block stays; inside it, the unchanged keys' lines
    and the comments stay; the changed value keeps the file's style."""
    text = HAND_WRITTEN if final_newline else HAND_WRITTEN.rstrip("\n")
    path = catalogue(isolated, text, newline=newline)
    result = cli("edit", target, "--title", "A New Title", "--add-topic", "Forms")
    assert result.code == 0, result.err
    assert result.err == f"edited {target}\n"
    after = path.read_bytes().decode("utf-8")
    old_block = block_of(text, target).rstrip("\n")
    title_line = next(line for line in old_block.split("\n") if line.startswith("title"))
    quote = "'" if "'" in title_line else '"'
    expected_block = old_block.replace(title_line, f"title = {quote}A New Title{quote}")
    if "topics" in old_block:
        expected_block = expected_block.replace(
            'topics = ["Asylum"]', 'topics = ["Asylum", "Forms"]'
        )
    else:
        lines = expected_block.split("\n")
        at = max(i for i, line in enumerate(lines) if line.startswith(("components", "]"))) + 1
        lines.insert(at, 'topics = ["Forms"]')
        expected_block = "\n".join(lines)
    expected = text.replace(old_block, expected_block).replace("\n", newline)
    assert after == expected
    loaded = load_catalogue(path, "c")
    assert loaded.problems == []
    assert [p.title for p in loaded.publications if p.id == target] == ["A New Title"]


def test_several_ids_all_change_and_the_rest_reads_back_identical(
    cli: Cli, isolated: Path
) -> None:
    """Options apply to every id given; the other entries read back as they were."""
    path = catalogue(isolated)
    before = {p.id: p for p in load_catalogue(path, "c").publications}
    result = cli("edit", "first", "last", "--type", "Report", "--remove-component", "dhs")
    assert result.code == 0, result.err
    assert result.err == "edited first\nedited last\n"
    after = {p.id: p for p in load_catalogue(path, "c").publications}
    assert after["middle"] == before["middle"]
    assert after["first"].type == after["last"].type == "Report"
    assert after["first"].components == after["last"].components == ("ICE",)
    assert path.read_text("utf-8").count('components = ["ICE"]\n') == 2


def test_ids_from_standard_input(isolated: Path) -> None:
    """`filter ... -f ids | edit - --add-topic T` edits every id read."""
    path = catalogue(isolated)
    listed = run_process(["filter", "--component", "ICE", "-f", "ids"], cwd=isolated)
    result = run_process(
        ["edit", "-", "--add-topic", "Forms"], cwd=isolated, input_bytes=listed.stdout
    )
    assert result.returncode == 0, result.stderr
    assert sorted(result.stderr.decode().splitlines()) == [
        "edited first",
        "edited last",
        "edited middle",
    ]
    assert all("Forms" in p.topics for p in load_catalogue(path, "c").publications)


@pytest.mark.parametrize("read", [b"middle\n", b"middle\nlast\n"])
def test_ids_from_standard_input_print_a_json_array_however_many(
    isolated: Path, read: bytes
) -> None:
    """As show does: with `-`, --format json prints an array whether one id or several
    were read, so that a script's output shape follows how it calls edit, never the data."""
    catalogue(isolated)
    result = run_process(
        ["edit", "-", "--add-topic", "Forms", "--format", "json"], cwd=isolated, input_bytes=read
    )
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert [record["id"] for record in printed] == read.decode().split()


def test_rename_with_id(cli: Cli, isolated: Path) -> None:
    """--id renames one entry; with several ids it is refused."""
    path = catalogue(isolated)
    assert cli("edit", "middle", "--id", "the-middle").code == 0
    assert [p.id for p in load_catalogue(path, "c").publications] == [
        "first",
        "the-middle",
        "last",
    ]
    before = path.read_bytes()
    result = cli("edit", "first", "last", "--id", "both")
    assert (result.code, path.read_bytes()) == (2, before)
    assert "exactly one ID" in result.err


def test_all_or_nothing_names_every_problem(cli: Cli, isolated: Path) -> None:
    """An invalid result or a collision anywhere: exit 2, every problem, nothing written."""
    path = catalogue(isolated)
    before = path.read_bytes()
    result = cli("edit", "first", "middle", "--title", "Last", "--remove-component", "ICE",
                 "--remove-component", "CBP", "--remove-component", "DHS")  # fmt: skip
    assert result.code == 2
    assert path.read_bytes() == before
    assert result.err == (
        "error: first: 'components' needs at least one value\n"
        "error: middle: 'components' needs at least one value\n"
    )
    result = cli("edit", "first", "--title", "Last", "--no-date")
    assert result.code == 2 and "'last'" in result.err  # same title and date as 'last'
    result = cli("edit", "first", "--id", "last")
    assert result.code == 2 and "already" in result.err
    result = cli("edit", "first", "--date", "2019-02-30")
    assert result.code == 2 and "2019-02-30" in result.err
    result = cli("edit", "first", "--url", "ftp://x")
    assert result.code == 2
    result = cli("edit", "first", "--date", "2020-01-01", "--no-date")
    assert result.code == 2 and "--no-date" in result.err
    assert path.read_bytes() == before


@pytest.mark.parametrize("command", [["edit", "--title", "X"], ["remove", "--yes"]])
def test_unknown_ids_exit_1_naming_the_closest_and_prefixes_are_not_ids(
    cli: Cli, isolated: Path, command: list[str]
) -> None:
    """Exact ids only: a prefix is unknown; unknown ids exit 1 with suggestions."""
    path = catalogue(isolated)
    before = path.read_bytes()
    name, *options = command
    result = cli(name, "midle", "fir", *options)
    assert result.code == 1
    assert result.err == (
        "error: no publication with id 'midle'; closest: middle\n"
        "error: no publication with id 'fir'; closest: first\n"
    )
    assert path.read_bytes() == before


@pytest.mark.parametrize("command", [["edit", "--title", "X"], ["remove", "--yes"]])
def test_an_unknown_id_that_ids_start_with_names_them_as_the_closest(
    cli: Cli, isolated: Path, command: list[str]
) -> None:
    """A prefix is never taken as an id, but closest means by prefix first (SPEC 3): the
    ids it starts are named, however short it is beside them."""
    path = catalogue(
        isolated,
        entry("strategy-combat-human-trafficking", "Strategy")
        + "\n"
        + entry("statement-hurricane-dorian", "Hurricane")
        + "\n"
        + entry("statement-tropical-storm-barry", "Barry"),
    )
    before = path.read_bytes()
    name, *options = command
    result = cli(name, "strat", "statement", *options)
    assert result.code == 1
    assert result.err == (
        "error: no publication with id 'strat'; closest: strategy-combat-human-trafficking\n"
        "error: no publication with id 'statement'; closest: statement-hurricane-dorian, "
        "statement-tropical-storm-barry\n"
    )
    assert path.read_bytes() == before


def test_dry_run_prints_a_unified_diff_and_writes_nothing(cli: Cli, isolated: Path) -> None:
    """--dry-run: `--- PATH` / `+++ PATH` and the changed lines only."""
    path = catalogue(isolated)
    before = path.read_bytes()
    result = cli("edit", "last", "--no-url", "--dry-run")
    assert result.code == 0, result.err
    assert result.out.splitlines()[:3] == [
        "--- data/publications.toml",
        "+++ data/publications.toml",
        "@@ -30,4 +30,3 @@",
    ]
    assert [line for line in result.out.splitlines() if line[:1] in "+-"][2:] == [
        '-url = "https://example.org/last"'
    ]
    result = cli("remove", "middle", "--dry-run")
    assert result.code == 0
    assert [line for line in result.out.splitlines() if line.startswith("-")][1:3] == [
        "-[[publications]]",
        '-id = "middle"',
    ]
    assert path.read_bytes() == before


def test_the_dry_run_diff_splits_lines_at_newlines_only_and_shows_controls_escaped(
    isolated: Path,
) -> None:
    """A C1 control, a bidi override or a line separator in the file (valid TOML in a
    comment, or in an invalid entry next to the edited one) is shown escaped in the diff,
    and never splits a line of it: each line of the file is one line of the diff."""
    hostile = "# evil \u009b31m comment \u2028 x \u202e y\n"
    text = HAND_WRITTEN.replace(
        '[[publications]]\nid = "middle"', hostile + '[[publications]]\nid = "middle"'
    )
    path = catalogue(isolated, text)
    before = path.read_bytes()
    for arguments in (["edit", "middle", "--title", "Centre"], ["remove", "middle"]):
        result = run_process([*arguments, "--dry-run"], cwd=isolated)
        assert result.returncode == 0, result.stderr
        out = result.stdout.decode("utf-8")
        assert not re.search("[\u0080-\u009f\u2028\u202e]", out)
        assert " # evil \\x9b31m comment \\u2028 x \\u202e y\n" in out.replace("-#", " #")
        assert "No newline at end of file" not in out
    assert path.read_bytes() == before


def test_the_dry_run_diff_keeps_the_byte_order_mark_that_opens_the_file(isolated: Path) -> None:
    """The BOM is the file's encoding, not text: the diff's first line holds it as the
    file does (escaped, the diff would no longer apply to the file)."""
    text = HAND_WRITTEN.replace("# The catalogue", "\ufeff# The catalogue")
    path = catalogue(isolated, text.replace("schema_version = 1\n\n", ""))
    result = run_process(["edit", "first", "--id", "one", "--dry-run"], cwd=isolated)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode("utf-8").splitlines()
    assert lines[3] == " \ufeff# The catalogue: kept by hand."
    assert "\\ufeff" not in result.stdout.decode("utf-8")
    assert path.read_text(encoding="utf-8").startswith("\ufeff# The catalogue")


def test_edit_prints_the_entries_as_json(cli: Cli, isolated: Path) -> None:
    """--format json prints the edited entry as show does."""
    catalogue(isolated)
    result = cli("edit", "last", "--summary", "New summary.", "--format", "json")
    assert result.code == 0
    assert json.loads(result.out)["summary"] == "New summary."


def test_remove_takes_the_block_and_its_comments_and_nothing_else(
    cli: Cli, isolated: Path
) -> None:
    """The block goes with the comment lines directly above its header; every other byte
    stays: first, middle and last entry."""
    path = catalogue(isolated)
    result = cli("remove", "last", "first", "--yes")
    assert result.code == 0, result.err
    assert result.err == "removed last\nremoved first\n"
    first = HAND_WRITTEN.index("# First entry")
    second = HAND_WRITTEN.index('[[publications]]\nid = "middle"')
    last = HAND_WRITTEN.index("# About the last one.")
    expected = HAND_WRITTEN[:first] + HAND_WRITTEN[second:last]
    assert path.read_text("utf-8") == expected
    assert [p.id for p in load_catalogue(path, "c").publications] == ["middle"]
    assert cli("remove", "middle", "-y").code == 0
    assert path.read_text("utf-8") == HAND_WRITTEN[:first]


def test_removing_an_entry_with_an_invalid_id_shows_it_escaped(isolated: Path) -> None:
    """An id that is no slug (an entry pubcli would refuse, written by hand) can still be
    removed by typing it whole; the `removed ID` line shows its ESC and C1 escaped."""
    bad = "bad\x9b2J\x1b[31m"
    path = catalogue(isolated, entry(bad, "Bad") + "\n" + entry("good", "Good"))
    result = run_process(["remove", bad, "--yes"], cwd=isolated)
    assert result.returncode == 0, result.stderr
    assert result.stderr.decode("utf-8") == "removed bad\\x9b2J\\x1b[31m\n"
    assert [p.id for p in load_catalogue(path, "c").publications] == ["good"]


def test_remove_without_a_terminal_needs_yes(isolated: Path) -> None:
    """No terminal and no --yes: exit 2, nothing removed."""
    path = catalogue(isolated)
    before = path.read_bytes()
    result = run_process(["remove", "middle"], cwd=isolated)
    assert result.returncode == 2
    assert b"--yes" in result.stderr
    assert path.read_bytes() == before


@pytest.mark.parametrize(("answer", "removed"), [(b"y\n", True), (b"\n", False), (b"n\n", False)])
def test_remove_asks_on_a_terminal(isolated: Path, answer: bytes, removed: bool) -> None:
    """On a terminal: id, date and title of each, then `Remove 2 publications? [y/N]`."""
    path = catalogue(isolated)
    output, code = _in_terminal(["remove", "first", "last"], isolated, answer)
    assert code == 0
    assert "first  2019-01-25  First Title" in output
    assert "last  undated  Last" in output
    assert "Remove 2 publications? [y/N]" in output
    ids = [p.id for p in load_catalogue(path, "c").publications]
    assert ids == (["middle"] if removed else ["first", "middle", "last"])


def _in_terminal(
    arguments: list[str], cwd: Path, typed: bytes | None, env: dict[str, str] | None = None
) -> tuple[str, int]:
    """Run pubcli with a pty as stdin, stdout and stderr, type ``typed``, return all output."""
    import pty
    import select

    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [str(PUBCLI), *arguments],
        cwd=cwd,
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env={**os.environ, "TERM": "dumb", **(env or {})},
    )
    os.close(secondary)
    chunks: list[bytes] = []
    sent = False
    while True:
        ready, _, _ = select.select([primary], [], [], 20)
        if not ready:
            break
        try:
            data = os.read(primary, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
        if typed is not None and not sent and b"[y/N]" in b"".join(chunks):
            os.write(primary, typed)
            sent = True
    os.close(primary)
    return b"".join(chunks).decode("utf-8", "replace"), process.wait(timeout=20)


def test_edit_without_changes_and_without_a_terminal_is_exit_2(isolated: Path) -> None:
    """No field options and no terminal: exit 2, nothing written."""
    path = catalogue(isolated)
    before = path.read_bytes()
    result = run_process(["edit", "first"], cwd=isolated)
    assert result.returncode == 2
    assert result.stderr.startswith(b"error: no change given")
    assert path.read_bytes() == before


EDITOR = textwrap.dedent(
    """\
    import pathlib
    import sys

    # Run n writes the n-th save of the list (KEEP: saves nothing) and keeps what it saw.
    state, target = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    counter = pathlib.Path(f"{state}.n")
    run = int(counter.read_text()) if counter.exists() else 0
    counter.write_text(str(run + 1))
    pathlib.Path(f"{state}.seen{run}").write_bytes(target.read_bytes())
    save = state.read_text().split("\\x00")[run]
    if save != "KEEP":
        target.write_text(save)
    """
)


def _editor(isolated: Path, saves: list[str]) -> dict[str, str]:
    script = isolated / "editor.py"
    script.write_text(EDITOR)
    state = isolated / "saves"
    state.write_text("\x00".join(saves))
    return {"EDITOR": f"{sys.executable} {script} {state}", "VISUAL": ""}


def test_edit_in_the_editor_reopens_with_the_problems_then_writes(isolated: Path) -> None:
    """An invalid save reopens the editor with the problems as # comments at the top;
    the valid save is written, the rest of the file byte for byte as it was."""
    path = catalogue(isolated)
    middle = block_of(HAND_WRITTEN, "middle")
    invalid = middle.replace('type = "Letter"\n', "").replace('title = "Middle"', 'tittle = "x"')
    valid = middle.replace('"Middle"', '"Middle, edited"')
    code, _ = run_in_terminal(["edit", "middle"], isolated, _editor(isolated, [invalid, valid]))
    assert code == 0
    assert path.read_text("utf-8") == HAND_WRITTEN.replace(middle, valid)
    reopened = (isolated / "saves.seen1").read_text()
    assert reopened.startswith("# pubcli: this entry was not saved")
    assert "tittle" in reopened.split("\n#\n")[0]
    assert "missing required key 'type'" in reopened
    assert reopened.endswith(invalid)
    assert (isolated / "saves.seen0").read_text() == middle  # the block, no blank line after


CTRL_C_EDITOR = textwrap.dedent(
    """\
    import os, pathlib, signal, sys, time

    # Ctrl-C on the terminal reaches the editor and pubcli (one process group). To vim
    # it is a key (it leaves insert mode): the editor goes on and saves.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.kill(os.getppid(), signal.SIGINT)
    time.sleep(0.5)
    target = pathlib.Path(sys.argv[1])
    target.write_text(target.read_text().replace('"Middle"', '"Middle, edited"'))
    """
)


def test_ctrl_c_while_the_editor_runs_is_the_editors(isolated: Path) -> None:
    """As git does while its editor runs, pubcli ignores Ctrl-C: the editor is not killed
    under the user, and what it saves is written."""
    path = catalogue(isolated)
    script = isolated / "ctrl_c_editor.py"
    script.write_text(CTRL_C_EDITOR)
    editor = {"EDITOR": f"{sys.executable} {script}", "VISUAL": ""}
    code, _ = run_in_terminal(["edit", "middle"], isolated, editor)
    assert code == 0
    assert path.read_text("utf-8") == HAND_WRITTEN.replace('"Middle"', '"Middle, edited"')


def test_an_editor_ended_by_ctrl_c_is_an_interrupt(isolated: Path) -> None:
    """An editor that Ctrl-C ends (it does not catch it): exit 130, nothing written."""
    path = catalogue(isolated)
    before = path.read_bytes()
    script = isolated / "dies.py"
    script.write_text("import os, signal\nos.kill(os.getpid(), signal.SIGINT)\n")
    editor = {"EDITOR": f"{sys.executable} {script}", "VISUAL": ""}
    code, _ = run_in_terminal(["edit", "middle"], isolated, editor)
    assert code == 130
    assert path.read_bytes() == before


@pytest.mark.parametrize("save", ["KEEP", "", "# only a comment\n\n"])
def test_an_unchanged_or_emptied_buffer_cancels(isolated: Path, save: str) -> None:
    """Nothing saved, or nothing left: exit 0, nothing written, and said on stderr."""
    path = catalogue(isolated)
    before = path.read_bytes()
    env = _editor(isolated, [save])
    output, code = _in_terminal(["edit", "last"], isolated, None, env)
    assert code == 0
    assert "edit cancelled" in output
    assert path.read_bytes() == before


@pytest.mark.parametrize("again", ["KEEP", "same"])
def test_the_same_invalid_entry_saved_again_cancels(isolated: Path, again: str) -> None:
    """Quitting the reopened editor without fixing the entry (or an editor that writes
    the same invalid text each time) cancels: the editor is not opened a third time."""
    path = catalogue(isolated)
    before = path.read_bytes()
    invalid = block_of(HAND_WRITTEN, "last").replace('title = "Last"', 'tittle = "x"')
    # A third run would find no save in the list and exit 1 (exit 2 for pubcli).
    env = _editor(isolated, [invalid, invalid if again == "same" else "KEEP"])
    output, code = _in_terminal(["edit", "last"], isolated, None, env)
    assert code == 0, output
    assert "edit cancelled" in output
    assert (isolated / "saves.n").read_text() == "2"
    assert path.read_bytes() == before


def test_an_editor_that_deletes_the_file_cancels(isolated: Path) -> None:
    """No file left to read is an emptied buffer: exit 0, nothing written, no traceback."""
    path = catalogue(isolated)
    before = path.read_bytes()
    env = {"EDITOR": "sh -c 'rm -- \"$1\"' editor", "VISUAL": ""}
    output, code = _in_terminal(["edit", "last"], isolated, None, env)
    assert code == 0, output
    assert "edit cancelled" in output
    assert path.read_bytes() == before


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_an_entry_saved_with_other_line_ends_takes_the_files(isolated: Path, newline: str) -> None:
    """An editor that saves CRLF into an LF file (or LF into a CRLF one) does not leave
    the file with mixed line ends: the edited block takes the file's."""
    path = catalogue(isolated, newline=newline)
    other = "\r\n" if newline == "\n" else "\n"
    valid = block_of(HAND_WRITTEN, "middle").replace('"Middle"', '"Middle, edited"')
    output, code = _in_terminal(
        ["edit", "middle"], isolated, None, _editor(isolated, [valid.replace("\n", other)])
    )
    assert code == 0, output
    expected = HAND_WRITTEN.replace(block_of(HAND_WRITTEN, "middle"), valid)
    assert path.read_bytes() == expected.replace("\n", newline).encode("utf-8")


def test_edit_and_remove_keep_permissions_and_write_through_a_symlink(
    cli: Cli, isolated: Path
) -> None:
    """The file's mode stays; a symlinked catalogue is written at its target."""
    real = catalogue(isolated)
    real.chmod(0o640)
    link = isolated / "link.toml"
    link.symlink_to(real)
    assert cli("edit", "first", "--title", "Linked", "-c", str(link)).code == 0
    assert cli("remove", "last", "--yes", "-c", str(link)).code == 0
    assert link.is_symlink()
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert [p.title for p in load_catalogue(real, "c").publications] == ["Linked", "Middle"]


@pytest.mark.parametrize(
    "tail",
    ["[publications.extra]\nnote = 'x'\n", "[[publications.parts]]\nname = 'x'\n"],
)
def test_a_catalogue_with_sub_tables_is_refused(cli: Cli, isolated: Path, tail: str) -> None:
    """Sub-tables are not supported: exit 3 naming the line, nothing written."""
    path = catalogue(isolated, HAND_WRITTEN + tail)
    before = path.read_bytes()
    for arguments in (["edit", "first", "--title", "X"], ["remove", "first", "--yes"]):
        result = cli(*arguments)
        assert result.code == 3
        assert f"data/publications.toml:{HAND_WRITTEN.count(chr(10)) + 1}:" in result.err
        assert "[[publications]] blocks" in result.err
    assert path.read_bytes() == before


def test_a_newer_schema_is_never_written(cli: Cli, isolated: Path) -> None:
    """schema_version newer than pubcli knows: exit 3 for edit and remove."""
    path = catalogue(isolated, HAND_WRITTEN.replace("schema_version = 1", "schema_version = 9"))
    before = path.read_bytes()
    assert cli("edit", "first", "--title", "X").code == 3
    assert cli("remove", "first", "--yes").code == 3
    assert path.read_bytes() == before


def test_an_edit_that_fixes_an_invalid_entry_is_allowed(
    cli: Cli, make_catalogue: Callable[..., Path]
) -> None:
    """An invalid entry may be fixed by edit (the result is what must be valid)."""
    path = make_catalogue(
        entry("ok", "Ok"), '[[publications]]\nid = "broken"\ntitle = "B"\ncomponents = ["X"]\n'
    )
    assert cli("edit", "broken", "--title", "Still broken").code == 2
    result = cli("edit", "broken", "--type", "Letter")
    assert result.code == 0, result.err
    assert load_catalogue(path, "c").problems == []
    assert tomli.loads(path.read_text("utf-8"))["publications"][1]["type"] == "Letter"


def test_concurrent_edits_removes_and_adds_all_land_once(
    make_catalogue: Callable[..., Path], isolated: Path
) -> None:
    """Edits and removes of different entries and adds, from many processes at once:
    every change lands, none twice, and a reader always finds a file that parses."""
    path = make_catalogue("# shared\n", *(entry(f"e{n}", f"Entry {n}") for n in range(24)))
    jobs = [["edit", f"e{n}", "--title", f"Edited {n}", "--add-topic", "Once"] for n in range(8)]
    jobs += [["remove", f"e{n}", "--yes"] for n in range(8, 16)]
    jobs += [["add", "--title", f"New {n}", "--type", "T", "--component", "ICE"] for n in range(8)]
    stop = threading.Event()
    unparsable: list[str] = []

    def read_all_the_time() -> None:
        while not stop.is_set():
            try:
                tomli.loads(path.read_text("utf-8"))
            except (tomli.TOMLDecodeError, UnicodeDecodeError) as error:
                unparsable.append(str(error))

    reader = threading.Thread(target=read_all_the_time)
    reader.start()
    try:
        with ThreadPoolExecutor(max_workers=12) as pool:
            results = list(pool.map(lambda job: run_process(job, cwd=isolated), jobs))
    finally:
        stop.set()
        reader.join()
    assert [r.returncode for r in results] == [0] * len(jobs), [r.stderr for r in results]
    assert unparsable == []
    loaded = load_catalogue(path, "c")
    assert loaded.problems == []
    by_id = {p.id: p for p in loaded.publications}
    assert len(by_id) == len(loaded.publications) == 24 - 8 + 8
    assert all(by_id[f"e{n}"].title == f"Edited {n}" for n in range(8))
    assert all(by_id[f"e{n}"].topics == ("Once",) for n in range(8))
    assert not any(f"e{n}" in by_id for n in range(8, 16))
    assert all(by_id[f"e{n}"].title == f"Entry {n}" for n in range(16, 24))
    assert sorted(i for i in by_id if i.startswith("new-")) == [f"new-{n}" for n in range(8)]
    assert path.read_text("utf-8").startswith("# shared\n")


def test_an_edit_to_what_is_already_there_writes_nothing(cli: Cli, isolated: Path) -> None:
    """Adding a topic the entry has (in any case) leaves the file untouched, mtime too."""
    path = catalogue(isolated)
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    result = cli("edit", "middle", "--add-topic", "asylum")
    assert result.code == 0, result.err
    assert path.stat().st_mtime_ns == 1_000_000_000
    assert path.read_text("utf-8") == HAND_WRITTEN


def test_remove_reads_ids_from_standard_input(isolated: Path) -> None:
    """`filter ... -f ids | remove - --yes` removes what was listed; '-' among other ids
    is refused."""
    path = catalogue(isolated)
    listed = run_process(["filter", "--type", "Form", "-f", "ids"], cwd=isolated)
    result = run_process(["remove", "-", "--yes"], cwd=isolated, input_bytes=listed.stdout)
    assert result.returncode == 0, result.stderr
    assert result.stderr == b"removed last\n"
    assert [p.id for p in load_catalogue(path, "c").publications] == ["first", "middle"]
    result = run_process(["remove", "-", "first", "--yes"], cwd=isolated, input_bytes=b"")
    assert result.returncode == 2


def test_a_list_written_as_a_string_is_fixed_by_adding_to_it(
    cli: Cli, make_catalogue: Callable[..., Path]
) -> None:
    """components = "ICE" (invalid) with --add-component CBP becomes a valid array."""
    path = make_catalogue(
        '[[publications]]\nid = "s"\ntitle = "S"\ntype = "T"\ncomponents = "ICE"\n'
    )
    result = cli("edit", "s", "--add-component", "CBP")
    assert result.code == 0, result.err
    assert path.read_text("utf-8").endswith('components = ["CBP"]\n')
