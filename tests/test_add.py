"""add: what lands in the file, what is refused, and that nothing is ever lost."""

from __future__ import annotations

import fcntl
import json
import os
import resource
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from pubcli.catalogue.loader import load_catalogue
from tests.conftest import PUBCLI, Outcome, run_process

Cli = Callable[..., Outcome]

ODD_FORMATTING = (
    "# Leading comment\n"
    "schema_version = 1   # trailing comment\n\n"
    "[[publications]]\n"
    "id='kept'  \n"
    'title   =   "Kept as written"\n'
    "type = 'Letter'\n"
    "components = [ 'ICE' ,'CBP', ]\n"
    "# a comment between entries\n"
)
FLAGS = ("--title", "New Statement", "--type", "Statement", "--component", "ICE")


@pytest.fixture
def catalogue(make_catalogue: Callable[..., Path]) -> Path:
    return make_catalogue(ODD_FORMATTING)


def leftovers(path: Path) -> list[str]:
    """Temporary files of a write, left in the catalogue's directory."""
    return [name for name in os.listdir(path.parent) if ".tmp-" in name]


def test_add_from_flags_appends_and_keeps_every_byte(cli: Cli, catalogue: Path) -> None:
    """The old text is a prefix of the new; the entry reads back last."""
    before = catalogue.read_bytes()
    result = cli("add", *FLAGS, "--date", "2020-09-01", "--topic", "Storms", "--topic", "X")
    assert result.code == 0
    assert result.err == "added new-statement to data/publications.toml\n"
    assert result.out.startswith("id: new-statement\ntitle: New Statement\n")
    after = catalogue.read_bytes()
    assert after.startswith(before)
    assert after[len(before) :].decode().startswith('\n[[publications]]\nid = "new-statement"')
    loaded = load_catalogue(catalogue, "c")
    assert [p.id for p in loaded.publications] == ["kept", "new-statement"]
    assert loaded.publications[-1].topics == ("Storms", "X")
    assert leftovers(catalogue) == []


@pytest.mark.parametrize(
    "content", ["", "# only a comment", "schema_version = 1", "[[publications]]\r\nid = 'a'\r\n"]
)
def test_add_to_files_without_final_newline_or_with_crlf(
    cli: Cli, make_catalogue: Callable[..., Path], content: str
) -> None:
    """Odd endings are kept; the new block starts on a line of its own."""
    if "id = 'a'" in content:
        content += "title = 'A'\r\ntype = 'T'\r\ncomponents = ['X']\r\n"
    path = make_catalogue(content)
    before = path.read_bytes()
    assert cli("add", *FLAGS).code == 0
    after = path.read_bytes()
    assert after.startswith(before)
    assert load_catalogue(path, "c").publications[-1].id == "new-statement"
    if "\r\n" in content:
        assert b"\n" not in after.replace(b"\r\n", b"")


def test_add_keeps_a_byte_order_mark(cli: Cli, catalogue: Path) -> None:
    """A BOM-prefixed file stays BOM-prefixed."""
    catalogue.write_bytes(b"\xef\xbb\xbf" + catalogue.read_bytes())
    assert cli("add", *FLAGS).code == 0
    assert catalogue.read_bytes().startswith(b"\xef\xbb\xbf# Leading comment")


@pytest.mark.parametrize(
    "title",
    [
        "Triple \"\"\" quotes ''' and \\ backslashes",
        "[bold]markup[/] :thumbs_up: [link=file:///etc/passwd]x[/link]",
        "Ünïcode — 東京 😀",
        'Ends with a quote "',
    ],
)
def test_awkward_titles_round_trip(cli: Cli, catalogue: Path, title: str) -> None:
    """Quotes, backslashes, markup and unicode come back exactly."""
    summary = f'{title}\nsecond line """\n\tend\\'
    result = cli("add", "--title", title, "--type", "T", "--component", "ICE", "--id", "odd",
                 "--summary", summary)  # fmt: skip
    assert result.code == 0, result.err
    added = load_catalogue(catalogue, "c").publications[-1]
    assert (added.title, added.summary) == (title, summary)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--title", "X", "--type", "T"), "error: missing required field: --component"),
        (("--type", "T"), "error: missing required fields: --title, --component"),
        ((*FLAGS, "--date", "2019-02-30"), "'date' '2019-02-30' is not a real date"),
        ((*FLAGS, "--date", "2019"), "'date' '2019' is not a real date"),
        ((*FLAGS, "--url", "ftp://x"), "'url' 'ftp://x' is not an absolute"),
        ((*FLAGS, "--id", "Bad Id"), "id 'Bad Id' is not a lowercase slug"),
        ((*FLAGS, "--id", "kept"), "error: id 'kept' is already in the catalogue"),
        (
            ("--title", "kept  AS written", "--type", "T", "--component", "X"),
            "the same title and date are already in the catalogue as 'kept'",
        ),
        ((*FLAGS, "--title", "esc \x1b[2J"), "'title' contains a control character (\\x1b)"),
        (("--title", "!!!", "--type", "T", "--component", "X"), "cannot make an id"),
        ((*FLAGS, "--from-json", "-"), "error: --from-json cannot be combined with --title"),
    ],
)
def test_refused_adds_exit_2_and_change_nothing(
    cli: Cli, catalogue: Path, arguments: tuple[str, ...], message: str
) -> None:
    """Invalid or colliding entries: exit 2, every problem named, the file untouched."""
    before = catalogue.read_bytes()
    result = cli("add", *arguments)
    assert result.code == 2
    assert message in result.err
    assert "\x1b" not in result.err
    assert all(line.startswith("error: ") for line in result.err.splitlines())
    assert catalogue.read_bytes() == before
    assert leftovers(catalogue) == []


def test_dry_run_prints_the_block_and_writes_nothing(cli: Cli, catalogue: Path) -> None:
    """--dry-run checks everything and prints the TOML it would append."""
    before = catalogue.read_bytes()
    result = cli("add", *FLAGS, "--dry-run")
    assert result.code == 0
    assert result.out.startswith('[[publications]]\nid = "new-statement"\n')
    assert catalogue.read_bytes() == before
    assert cli("add", *FLAGS, "--id", "kept", "--dry-run").code == 2


def write_json(tmp: Path, text: str) -> str:
    path = tmp / "new.json"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_from_json_accepts_object_array_and_lines(
    cli: Cli, catalogue: Path, isolated: Path
) -> None:
    """All three shapes add their records; --format json prints them back."""
    one = {"title": "One", "type": "Form", "components": ["ICE"], "date": "2021-02-03"}
    result = cli("add", "--from-json", write_json(isolated, json.dumps(one)), "-f", "json")
    assert result.code == 0
    assert json.loads(result.out)[0]["id"] == "one"
    two = [{**one, "title": "Two", "url": None, "summary": "", "topics": []}]
    assert cli("add", "--from-json", write_json(isolated, json.dumps(two))).code == 0
    lines = "\n".join(json.dumps({**one, "title": t}) for t in ("Three", "Four")) + "\n"
    assert cli("add", "--from-json", write_json(isolated, lines)).code == 0
    ids = [p.id for p in load_catalogue(catalogue, "c").publications]
    assert ids == ["kept", "one", "two", "three", "four"]


def test_from_json_is_all_or_nothing(cli: Cli, catalogue: Path, isolated: Path) -> None:
    """One bad record: nothing written, every problem of every record reported."""
    records = [
        {"title": "Fine", "type": "Form", "components": ["ICE"]},
        {"title": "Bad date", "type": "Form", "components": ["ICE"], "date": "2019-13-01"},
        {"id": "kept", "title": "Taken id", "type": "Form", "components": ["ICE"]},
        {"title": "Fine", "type": "Form", "components": ["ICE"], "id": "fine-again"},
        "not an object",
    ]
    before = catalogue.read_bytes()
    result = cli("add", "--from-json", write_json(isolated, json.dumps(records)))
    assert result.code == 2
    assert result.err.splitlines() == [
        "error: record 2: 'date' '2019-13-01' is not a real date written YYYY-MM-DD",
        "error: record 5: must be a JSON object",
        "error: 'fine-again' has the same title and date as 'fine'",
    ]
    assert catalogue.read_bytes() == before
    records = [records[0], records[2]]
    result = cli("add", "--from-json", write_json(isolated, json.dumps(records)))
    assert result.err == "error: id 'kept' is already in the catalogue\n"
    for bad in ("{", "[1", "", '{"a": 1}\n{oops}\n'):
        result = cli("add", "--from-json", write_json(isolated, bad))
        assert result.code == 2
        assert "invalid JSON" in result.err or "no JSON value" in result.err
    assert cli("add", "--from-json", str(isolated / "absent.json")).code == 2
    assert catalogue.read_bytes() == before


@pytest.mark.parametrize(
    "content",
    [
        'publications = [{id = "a", title = "A", type = "T", components = ["X"]}]\n',
        "publications = []\n",
        'publications = "text"\n',
        "[publications]\nid = 'a'\n",
        "[[publications]\n",
    ],
)
def test_catalogues_that_cannot_be_appended_to_are_refused(
    cli: Cli, make_catalogue: Callable[..., Path], content: str
) -> None:
    """Not an array of [[publications]] tables, or broken: exit 3, never rewritten."""
    path = make_catalogue(content)
    result = cli("add", *FLAGS)
    assert result.code == 3
    assert result.err.startswith("error: data/publications.toml")
    assert path.read_text() == content


def test_a_symlinked_catalogue_stays_a_symlink(cli: Cli, catalogue: Path) -> None:
    """The link is kept and its target is updated."""
    link = catalogue.parent / "link.toml"
    link.symlink_to(catalogue.name)
    assert cli("add", *FLAGS, "-c", str(link)).code == 0
    assert link.is_symlink()
    assert load_catalogue(catalogue, "c").publications[-1].id == "new-statement"
    assert not (catalogue.parent / "publications.toml.lock").exists()


def test_permission_bits_are_kept(cli: Cli, catalogue: Path) -> None:
    """A mode-0640 catalogue is still 0640 after an add."""
    catalogue.chmod(0o640)
    assert cli("add", *FLAGS).code == 0
    assert stat.S_IMODE(catalogue.stat().st_mode) == 0o640


def test_stale_temp_files_are_cleaned_and_stale_locks_ignored(cli: Cli, catalogue: Path) -> None:
    """What a killed writer left behind never blocks or litters the next write."""
    (catalogue.parent / ".publications.toml.tmp-dead").write_text("half")
    (catalogue.parent / "publications.toml.lock").write_text("")
    assert cli("add", *FLAGS).code == 0
    assert leftovers(catalogue) == []


def test_a_held_lock_times_out_with_exit_3(catalogue: Path, isolated: Path) -> None:
    """Another writer holding the lock: a clear error after the timeout, nothing written."""
    before = catalogue.read_bytes()
    with open(catalogue.parent / "publications.toml.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = run_process(["add", *FLAGS], cwd=isolated, env={"PUBCLI_LOCK_TIMEOUT": "0.3"})
    assert result.returncode == 3
    assert result.stderr.decode().startswith(
        "error: cannot lock data/publications.toml: another pubcli is writing it"
    )
    assert catalogue.read_bytes() == before


def test_a_lock_that_cannot_be_created_is_exit_3(cli: Cli, catalogue: Path) -> None:
    """A lock path that is not a file: exit 3, the catalogue untouched."""
    (catalogue.parent / "publications.toml.lock").mkdir()
    result = cli("add", *FLAGS)
    assert result.code == 3
    assert result.err.startswith("error: cannot lock data/publications.toml")


def test_a_full_disk_leaves_the_catalogue_unchanged(catalogue: Path, isolated: Path) -> None:
    """A write that fails half-way (file size limit) changes nothing and leaves no temp file."""
    before = catalogue.read_bytes()
    limit = len(before) + 10

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    process = subprocess.run(
        [str(PUBCLI), "add", *FLAGS],
        cwd=isolated,
        capture_output=True,
        preexec_fn=small_files,
        check=False,
    )
    assert process.returncode == 3
    assert process.stderr.decode().startswith("error: cannot write data/publications.toml: ")
    assert catalogue.read_bytes() == before
    assert leftovers(catalogue) == []


def test_no_catalogue_for_add_is_exit_3(cli: Cli) -> None:
    """add needs a catalogue too."""
    assert cli("add", *FLAGS).code == 3
