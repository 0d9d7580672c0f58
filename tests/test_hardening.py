"""Issue 10's input findings: an empty catalogue option, hostile TOML and JSON, special
files, text that fools a reader, and repeated search words. Each test failed before its fix."""

from __future__ import annotations

import json
import os
import re
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.synth import write_catalogue
from pubcli.cli.main import main
from pubcli.fields import Record
from pubcli.output.formats import detail_json, detail_text, machine_chunks
from pubcli.safe_text import escape_controls, one_line
from pubcli.store.cache import CachedStore
from pubcli.store.memory import open_store
from pubcli.store.query import Criteria
from pubcli.store.search import Term
from tests.conftest import entry, run_in_terminal, run_process

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
        # Warm: the file is opened only to prove a cache written within a tick of it.
        (large, ["filter", "--text", "x", "-c", str(large)]),
        (small, [*add, str(small)]),
        (large, [*add, str(large), "--no-cache"]),
    ]
    for path, arguments in calls:
        allowed = {0, 1} if arguments[0] == "filter" and path == large else {1}
        assert opens_of(path, arguments, monkeypatch) in allowed, arguments
    capsys.readouterr()


# --- 14: text that fools a reader ----------------------------------------------------

# What must never reach a reader raw: C0 (but tab and newline), DEL, C1, lone surrogates,
# line and paragraph separators, bidi controls and zero-width characters.
RAW_HIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\u202a-\u202e\u2066-\u2069"
    "\u200e\u200f\u061c\u200b-\u200d\u2060\ufeff]"
)
any_text = st.text(st.characters(), max_size=40) | st.text(
    st.sampled_from("a\t\n\r\x1b\x85\u2028\u2029\u202e\u2066\u200b\u200d\u200e\u061c\ufeff\udc80"),
    max_size=20,
)


@given(text=any_text)
def test_escaped_text_never_holds_a_hidden_character(text: str) -> None:
    """``safe_text`` is the one escaping: whatever the text, nothing hidden stays raw."""
    assert not RAW_HIDDEN.search(escape_controls(text))
    assert not RAW_HIDDEN.search(one_line(text))
    assert len(one_line(text).splitlines()) <= 1
    assert len(escape_controls(text).replace("\n", "").splitlines()) <= 1  # only \n breaks


def record_with(title: str, summary: str) -> Record:
    return {"id": "a", "title": title, "type": title, "date": None, "components": [title],
            "topics": [], "summary": summary, "url": None}  # fmt: skip


@settings(max_examples=150)
@given(title=any_text, summary=any_text)
def test_no_output_format_lets_a_hidden_character_through(title: str, summary: str) -> None:
    """Every format of list and show escapes what a reader cannot see (as a crafted cache or
    an older pubcli could hand them); JSON stays valid and means the same text."""
    record = record_with(title, summary)
    columns = ("id", "title", "type", "components", "summary")
    for name in ("tsv", "csv", "markdown", "jsonl", "json"):
        out = "".join(machine_chunks([record], name, columns))
        assert not RAW_HIDDEN.search(out.replace("\r\n", "\n")), (name, out)
        if name == "tsv":
            assert len(out.splitlines()) == 1
        if name == "json":
            assert json.loads(out) == [{c: record[c] for c in columns}]  # type: ignore[literal-required]
    assert not RAW_HIDDEN.search(detail_text(record))
    assert not RAW_HIDDEN.search(detail_json(record))


def test_json_escapes_hidden_characters_as_u_escapes() -> None:
    record = record_with("a\u202eb\u2028c\u200bd\ufeff", "")
    out = "".join(machine_chunks([record], "jsonl", ("title",)))
    assert out == '{"title":"a\\u202eb\\u2028c\\u200bd\\ufeff"}\n'


def test_separators_and_bidi_controls_are_escaped_in_every_terminal_output(
    make_catalogue: Callable[..., Path], isolated: Path
) -> None:
    """U+2028 no longer splits a warning or a TSV row; a bidi override no longer reverses one."""
    make_catalogue(
        entry("good", "Good", summary="one\u2028two \u202eevil\u202c"),
        entry("bad", "Bad\u2028line \u202eevil", date="2019-01-01"),
    )
    result = run_process(["list", "--columns", "id,summary"], cwd=isolated)
    assert result.returncode == 0
    assert result.stdout.decode() == "good\tone\\u2028two \\u202eevil\\u202c\n"
    assert result.stderr.decode() == (
        "warning: data/publications.toml:8: bad: 'title' contains a line separator (\\u2028)\n"
        "hint: invalid entries were skipped; run 'pubcli check -c data/publications.toml'\n"
    )
    code, out = run_in_terminal(["show", "good"], isolated)
    assert code == 0 and "one\\u2028two \\u202eevil\\u202c" in out
    styling = re.compile(r"\x1b\[[0-9;]*m|\x1b]8;[^\x1b]*\x1b\\")  # Rich's own, not data
    assert not RAW_HIDDEN.search(styling.sub("", out).replace("\r\n", "\n"))


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (entry("a", "Inv \u202etxt.exe"), "'title' contains a bidirectional control (\\u202e)"),
        (entry("a", "A\u2066B"), "'title' contains a bidirectional control (\\u2066)"),
        (entry("a", "A\u200fB"), "'title' contains a bidirectional control (\\u200f)"),
        (entry("a", "Zero\u200bwidth"), "'title' contains a zero-width character (\\u200b)"),
        (entry("a", "A", type_="L\ufeffr"), "'type' contains a zero-width character (\\ufeff)"),
        (entry("a", "A", components=("IC\u2060E",)),
         "'components' value 1 contains a zero-width character (\\u2060)"),
        (entry("a", "A", topics=("x", "\u061cy")),
         "'topics' value 2 contains a bidirectional control (\\u061c)"),
        (entry("a\u202e", "A"), "id 'a\\u202e' is not a lowercase slug (letters a-z, digits and "
         "single hyphens, such as 'mpp-policy-guidance')"),
    ],
    ids=["rlo", "lri", "rlm", "zwsp", "bom-in-type", "word-joiner", "alm-in-topic", "id"],
)  # fmt: skip
def test_check_rejects_hidden_characters_in_one_line_fields(
    make_catalogue: Callable[..., Path], isolated: Path, block: str, message: str
) -> None:
    make_catalogue(block)
    result = run_process(["check"], cwd=isolated)
    label = "a\\u202e" if "slug" in message else "a"
    assert (result.returncode, result.stdout.decode()) == (
        3, f"data/publications.toml:1: {label}: {message}\n"
    )  # fmt: skip


def test_add_rejects_a_bidi_override_in_a_title(
    make_catalogue: Callable[..., Path], isolated: Path
) -> None:
    path = make_catalogue(entry("a", "Alpha"))
    before = path.read_bytes()
    result = run_process(
        [
            "add",
            "--id",
            "n",
            "--title",
            "Invoice \u202etxt.exe",
            "--type",
            "L",
            "--component",
            "I",
        ],
        cwd=isolated,
    )
    assert (result.returncode, result.stderr.decode()) == (
        2, "error: 'title' contains a bidirectional control (\\u202e)\n"
    )  # fmt: skip
    assert path.read_bytes() == before


NFC_TITLE = unicodedata.normalize("NFC", "Déclaration sur l'été")
NFD_TITLE = unicodedata.normalize("NFD", NFC_TITLE)


def test_nfc_and_nfd_spellings_of_a_title_are_one_title(
    make_catalogue: Callable[..., Path], isolated: Path
) -> None:
    """The duplicate rule sees through canonical equivalence, in check and in add."""
    assert NFC_TITLE != NFD_TITLE
    make_catalogue(
        entry("nfc", NFC_TITLE, date="2019-01-01"), entry("nfd", NFD_TITLE, date="2019-01-01")
    )
    result = run_process(["check"], cwd=isolated)
    assert (result.returncode, result.stdout.decode()) == (
        3, "data/publications.toml:8: nfd: same title and date as 'nfc'\n"
    )  # fmt: skip
    make_catalogue(entry("nfc", NFC_TITLE, date="2019-01-01"))
    result = run_process(["add", "--title", NFD_TITLE.upper(), "--type", "L", "--component", "I",
                          "--date", "2019-01-01"], cwd=isolated)  # fmt: skip
    assert result.returncode == 2
    assert (
        "the same title and date are already in the catalogue as 'nfc'" in result.stderr.decode()
    )


@pytest.mark.parametrize("cache", [False, True], ids=["memory", "cache"])
def test_text_search_matches_either_spelling(isolated: Path, cache: bool) -> None:
    """``--text été`` finds ``été`` however either side spells it, from the file or the
    cache (its token index is built from the same folded text)."""
    path = write_catalogue(isolated / "big.toml", 300 if cache else 2)
    with path.open("a", encoding="utf-8") as file:
        file.write("\n" + entry("nfc", NFC_TITLE) + "\n" + entry("nfd", NFD_TITLE))
    options = ["-c", str(path), "-f", "ids", "--sort", "id", *([] if cache else ["--no-cache"])]
    run_process(["list", *options], cwd=isolated)  # builds the cache
    for query in (
        NFC_TITLE,
        NFD_TITLE,
        NFD_TITLE.upper(),
        "ÉTÉ",
        unicodedata.normalize("NFD", "ÉTÉ"),
    ):
        result = run_process(["filter", "--text", query, *options], cwd=isolated)
        assert (result.returncode, result.stdout, result.stderr) == (0, b"nfc\nnfd\n", b""), query


# --- 15: a word repeated is one word ---------------------------------------------------


def test_repeated_words_are_searched_once(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--text`` with a word fifty times used to cost fifty index scans (slower than no
    cache at all); Criteria keeps each word once, so every store searches it once."""
    assert Criteria(texts=("Opioid opioid  OPIOID crisis opioid",)).queries == (
        ((Term("opioid"),), (Term("crisis"),)),
    )
    path = write_catalogue(isolated / "big.toml", 300)
    directory = isolated / "cache"
    open_store(path, "big.toml", directory)  # builds the cache
    cached = open_store(path, "big.toml", directory)
    assert isinstance(cached, CachedStore)
    searched: list[bytes] = []
    original = CachedStore._entries_with

    def counting(self: CachedStore, word: bytes) -> list[int]:
        searched.append(word)
        return original(self, word)

    monkeypatch.setattr(CachedStore, "_entries_with", counting)
    criteria = Criteria(texts=(" ".join(["Hurricane"] * 50),))
    found = cached.select(criteria)
    assert searched == [b"hurricane"]
    memory = open_store(path, "big.toml", None)
    assert found == memory.select(criteria) == memory.select(Criteria(texts=("hurricane",)))
    assert found
