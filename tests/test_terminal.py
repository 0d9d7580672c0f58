"""What a user sees in a terminal (issue 11, items 1, 9 and 10; SPEC sections 3 and 12):
the first command, tables that never break an id, a date or a word, and help texts."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import re
import select
import struct
import subprocess
import termios
import tomllib
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from pubcli.cli.main import main
from pubcli.fields import Record
from pubcli.output.environment import Environment
from pubcli.output.layout import READABLE, Kind, measure, plan_table
from pubcli.output.render import publication_view, publications_table, stats_tables
from tests.conftest import PUBCLI, SHIPPED_CATALOGUE, entry, run_process

WIDTHS = (40, 80, 200)
STYLING = re.compile(r"\x1b\[[0-9;]*m|\x1b\]8;[^\x1b]*\x1b\\")
"""Colour and bold, and the start and end of a hyperlink: not text a user reads."""


def screen(arguments: list[str], cwd: Path, width: int, env: dict[str, str] | None = None) -> str:
    """What pubcli prints on a terminal ``width`` columns wide (a pty whose window size says
    so, as a terminal emulator sets it; no COLUMNS), without styling; one string per line
    as pubcli wrote it (a line wider than the terminal is what the terminal wraps)."""
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 50, width, 0, 0))
    full_env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    full_env.update({"TERM": "xterm-256color", "PUBCLI_PAGER": "", "PAGER": "cat"})
    process = subprocess.Popen(
        [str(PUBCLI), *arguments], cwd=cwd, env={**full_env, **(env or {})},
        stdin=secondary, stdout=secondary, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(secondary)
    chunks = []
    while select.select([primary], [], [], 30)[0]:
        try:
            data = os.read(primary, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(primary)
    assert process.wait(timeout=30) == 0
    return STYLING.sub("", b"".join(chunks).decode()).replace("\r\n", "\n")


def catalogue_records(path: Path) -> list[dict[str, object]]:
    with path.open("rb") as file:
        return list(tomllib.load(file)["publications"])


def words(text: str) -> set[str]:
    return set(text.split())


def assert_nothing_broken(shown: str, width: int, records: list[dict[str, object]]) -> None:
    """Every id and date of ``records`` is whole on one line; every word on the screen is
    a whole word of the data (a broken word would be two pieces that are not); a line
    wider than the terminal holds one whole value and nothing else (the terminal wraps it
    as one line, and a copy of it is whole); no line ends in a space."""
    lines = shown.split("\n")
    tokens = {token for line in lines for token in line.split()}
    allowed: set[str] = set()
    for record in records:
        for key in ("id", "title", "type", "date"):
            allowed |= words(str(record.get(key, "")))
        for key in ("components", "topics"):
            allowed |= words("; ".join(record.get(key, [])))  # type: ignore[arg-type]
    allowed |= {"ID", "Date", "Type", "Title", "publications", "publication", "(no", "room"}
    allowed |= {"for", "or", "type)", "date)", "type", str(len(records))}
    strays = {t for t in tokens - allowed if set(t) - {"─"}}
    assert not strays, strays
    for record in records:
        assert record["id"] in tokens, record["id"]
        if "date" in record:
            assert str(record["date"]) in tokens
    for line in lines:
        assert line == line.rstrip(), repr(line)
        assert runs_on_whole(line, width), line


def runs_on_whole(line: str, width: int) -> bool:
    """``line`` fits in ``width``, or only its last word (a whole id, URL or word too
    long for any column) goes past it: the terminal wraps that word as one, and a
    double-click or a copy takes it whole."""
    last = line.split()[-1] if line.split() else ""
    return len(line) <= width or len(line) - len(last) < width


LONG_IDS = (
    "interagency-memorandum-of-understanding-on-border-technology-and-shared-data",
    "dhs-ice-pia-061-enforcement-integrated-database-and-electronic-custody-records",
    "counterintelligence-and-telecommunications-interoperability-assessment-2031",
    "short",
    "a-title-with-a-very-long-word",
)
LONG_TITLES = (
    "Memorandum of Understanding on Border Technology, Telecommunications Interoperability "
    "and the Sharing of Counterintelligence Information Between Departments",
    "DHS/ICE/PIA-061 Enforcement Integrated Database (EID) and Electronic Custody Records",
    "Counterintelligence and Telecommunications Interoperability Assessment",
    "Short",
    "Internationalization-and-localization-requirements of a Supercalifragilistic System",
)


@pytest.fixture
def long_catalogue(make_catalogue: Callable[..., Path]) -> Path:
    """Ids up to 80 characters, long titles with long words, long types, some undated."""
    blocks = [
        entry(
            id_,
            title,
            type_=("Memorandum of Understanding", "Privacy Impact Assessment", "Report")[n % 3],
            date=f"20{10 + n}-0{n + 1}-1{n}" if n % 2 == 0 else None,
            components=("ICE", "Office of Intelligence and Analysis")[: 1 + n % 2],
            topics=("Border Technology", "Counterintelligence"),
            summary="A summary. " * 40,
            url=f"https://www.dhs.gov/publication/{id_}-{'long-address-' * 6}end",
        )
        for n, (id_, title) in enumerate(zip(LONG_IDS, LONG_TITLES, strict=True))
    ]
    return make_catalogue(*blocks)


def test_pubcli_alone_prints_the_help_as_help_does(isolated: Path) -> None:
    """`pubcli` with no arguments printed the help as one `error:` line with literal
    `\\x0a`s (exit 2); now it prints what `pubcli --help` prints, on stdout, exit 0."""
    alone = run_process([], cwd=isolated)
    asked = run_process(["--help"], cwd=isolated)
    assert (alone.returncode, alone.stderr) == (0, b"")
    assert alone.stdout == asked.stdout
    assert alone.stdout.startswith(b"Usage: pubcli ")
    assert b"\\x0a" not in alone.stdout


# --- tables ------------------------------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
def test_the_shipped_list_breaks_no_id_date_or_word(isolated: Path, width: int) -> None:
    """At 80 columns `dhs-ice-pia-049-paro|le-...` broke; at 40 every word of the titles
    did. Now ids, dates and words stay whole at 40, 80 and 200 columns."""
    shown = screen(["list", "-c", str(SHIPPED_CATALOGUE)], isolated, width)
    assert_nothing_broken(shown, width, catalogue_records(SHIPPED_CATALOGUE))
    assert "10 publications" in shown


@pytest.mark.parametrize("width", WIDTHS)
def test_long_ids_and_titles_break_nothing(
    long_catalogue: Path, isolated: Path, width: int
) -> None:
    """Ids of up to 80 characters and titles with long words, at each width."""
    shown = screen(["list"], isolated, width)
    assert_nothing_broken(shown, width, catalogue_records(long_catalogue))


def test_at_200_columns_every_id_shares_its_line_with_its_row(isolated: Path) -> None:
    """At 200 columns an id broke while the title had room; now each id stands on the
    line of its row, beside its type and title."""
    shown = screen(["list", "-c", str(SHIPPED_CATALOGUE)], isolated, 200)
    for record in catalogue_records(SHIPPED_CATALOGUE):
        line = next(line for line in shown.split("\n") if str(record["id"]) in line.split())
        assert str(record["type"]).split()[0] in line, line


def test_at_40_columns_columns_give_way_and_the_title_stays_readable(isolated: Path) -> None:
    """At 40 columns the title got 8 columns. Now the type gives way (said in the caption),
    each id heads its row on a line of its own, and titles get a readable width."""
    shown = screen(["list", "-c", str(SHIPPED_CATALOGUE)], isolated, 40)
    lines = shown.split("\n")
    assert "10 publications (no room for type)" in shown
    assert "Type" not in words(shown) and "Date" in words(shown)
    for record in catalogue_records(SHIPPED_CATALOGUE):
        assert f" {record['id']}" in lines
    title_lines = [line for line in lines if line.startswith("   ") and line.strip()]
    assert max(len(line) for line in title_lines) >= 40 - 2
    assert min(len(line.strip().split("  ")[-1]) for line in title_lines) > 0


@pytest.mark.parametrize("width", WIDTHS)
def test_explicit_columns_are_never_left_out(
    long_catalogue: Path, isolated: Path, width: int
) -> None:
    """Columns named by --columns stay, whatever the width; nothing is broken either."""
    shown = screen(["list", "--columns", "id,type,date,title,url"], isolated, width)
    assert {"ID", "Type", "Date", "Title", "URL"} <= words(shown)
    assert "no room" not in shown
    for record in catalogue_records(long_catalogue):
        assert str(record["url"]) in words(shown)
        assert str(record["id"]) in words(shown)


def test_a_piped_table_has_no_trailing_spaces(isolated: Path) -> None:
    """`list --format table | cat` padded every line with spaces to the table's width."""
    for arguments in (["list", "-f", "table"], ["stats", "-f", "table"]):
        result = run_process([*arguments, "-c", str(SHIPPED_CATALOGUE)], cwd=isolated)
        assert result.returncode == 0
        lines = result.stdout.decode().split("\n")
        assert len(lines) > 10
        assert [line for line in lines if line != line.rstrip()] == []


TERMINAL = Environment(stdout_isatty=True, stdin_isatty=True, stdout_utf8=True, colour=False)


def test_a_long_table_keeps_one_layout_across_batches(
    make_catalogue: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Over 500 rows a table is printed in batches: every batch has the same columns at
    the same places, an id longer than any of the first batch's included (the layout
    knows every id before the first row)."""
    blocks = [entry(f"entry-{n:04d}", f"Entry number {n} of many", date="2019-01-01")
              for n in range(1200)]  # fmt: skip
    long_id = "a-much-longer-identifier-that-only-appears-in-the-last-batch-of-rows"
    blocks.append(entry(long_id, "The last", date="2018-01-01"))
    make_catalogue(*blocks)
    assert main(["list"], TERMINAL._replace(width=120)) == 0
    lines = STYLING.sub("", capsys.readouterr().out).split("\n")
    rows = [line for line in lines if re.match(r" (entry-\d{4}|a-much)", line)]
    assert len(rows) == 1201
    assert {line.index("2019-01-01") for line in rows if "2019" in line} == {len(long_id) + 3}
    assert any(line.startswith(f" {long_id}  2018-01-01  Statement  The last") for line in rows)


# --- show ------------------------------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
def test_show_wraps_prose_at_a_readable_measure_and_never_the_url(
    long_catalogue: Path, isolated: Path, width: int
) -> None:
    """At 200 columns the summary ran 196 characters wide and the URL wrapped inside the
    box, so a copy picked up `│`. Now prose wraps within 100 columns, no border is drawn,
    and the URL is whole on one line (the terminal wraps it if it must)."""
    record = catalogue_records(long_catalogue)[0]
    shown = screen(["show", str(record["id"])], isolated, width)
    lines = shown.split("\n")
    assert "│" not in shown and "╭" not in shown
    # Whole on one line: after its label, or alone below it when it is longer than that
    # leaves room for.
    for key in ("id", "url"):
        value = str(record[key])
        fits = len(f"{key:12}{value}") <= width
        assert (f"{key:12}{value}" if fits else value) in lines, key
        assert fits or lines[lines.index(value) - 1] == key
    long_lines = [line for line in lines if len(line) > min(width, 100)]
    assert all(str(record["url"]) in line or str(record["id"]) in line for line in long_lines)
    summary = lines[
        [n for n, line in enumerate(lines) if line.endswith(str(record["url"]))][0] + 2 :
    ]
    assert " ".join(" ".join(summary).split()) == " ".join(str(record["summary"]).split())
    assert max(len(line) for line in summary) > min(width, 100) - len("summary. ")


def test_show_links_the_url_on_a_terminal(long_catalogue: Path, isolated: Path) -> None:
    """The URL is a hyperlink (OSC 8), which terminals that support it make clickable."""
    record = catalogue_records(long_catalogue)[0]
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [str(PUBCLI), "show", str(record["id"])], cwd=isolated,
        env={**os.environ, "TERM": "xterm-256color", "COLUMNS": "80", "PUBCLI_PAGER": ""},
        stdin=secondary, stdout=secondary, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(secondary)
    out = b""
    while select.select([primary], [], [], 30)[0]:
        try:
            data = os.read(primary, 65536)
        except OSError:
            break
        if not data:
            break
        out += data
    os.close(primary)
    process.wait(timeout=30)
    assert re.search(rb"\x1b\]8;[^;]*;" + re.escape(str(record["url"]).encode()), out)


# --- stats -----------------------------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
def test_stats_keeps_values_whole_while_there_is_room(isolated: Path, width: int) -> None:
    """`stats` wrapped topic names while 15 columns were free. Now a value wraps only
    when it cannot fit beside its count; the bars give way first."""
    shown = screen(["stats", "-c", str(SHIPPED_CATALOGUE)], isolated, width)
    lines = shown.split("\n")
    records = catalogue_records(SHIPPED_CATALOGUE)
    values = {v for r in records for v in [*r["components"], *r.get("topics", []), r["type"]]}  # type: ignore[list-item, misc]
    room = width - 1 - 2 - len("Count")
    for value in values:
        if len(value) <= room:
            assert any(line.startswith(f" {value}  ") for line in lines), value
    assert [line for line in lines if line != line.rstrip()] == []
    assert max(len(line) for line in lines) <= width


# --- properties ------------------------------------------------------------------------

slug_word = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)
prose_word = st.text("abcdefghijklmnopqrstuvwxyzABC,.()/-'", min_size=1, max_size=18).filter(
    lambda w: w.strip() == w
)


@st.composite
def table_records(draw: st.DrawFn) -> list[Record]:
    count = draw(st.integers(1, 12))
    records = []
    for n in range(count):
        id_ = "-".join(draw(st.lists(slug_word, min_size=1, max_size=8)))[:80].strip("-")
        record: Record = {
            "id": f"{id_ or 'x'}-{n}",
            "title": " ".join(draw(st.lists(prose_word, min_size=1, max_size=25))),
            "type": " ".join(draw(st.lists(prose_word, min_size=1, max_size=4))),
            "date": draw(st.sampled_from([None, "2019-08-30", "2001-01-01"])),
            "components": draw(st.lists(prose_word, min_size=1, max_size=3)),
            "topics": draw(st.lists(prose_word, max_size=3)),
            "summary": " ".join(draw(st.lists(prose_word, max_size=60))),
            "url": draw(
                st.sampled_from([None, "https://example.org/" + "x" * 90, "http://a.b/c"])
            ),
        }
        records.append(record)
    return records


def rendered(renderable: object, width: int) -> list[str]:
    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None).print(renderable, crop=False)
    return buffer.getvalue().split("\n")


def allowed_words(records: Iterable[Record]) -> set[str]:
    allowed = {"ID", "Date", "Type", "Title", "Components", "Topics", "Summary", "URL"}
    allowed |= {"publications", "publication", "(no", "room", "for", "or", "-"}
    allowed |= {"type)", "date)", "id", "type", "date", "components", "topics", "url"}
    for record in records:
        for value in record.values():
            if isinstance(value, list):
                allowed |= words("; ".join(value))
            elif value:
                allowed |= words(str(value))
    return allowed


@settings(max_examples=150, deadline=None)
@given(records=table_records(), width=st.integers(30, 250), chosen=st.booleans())
def test_any_table_at_any_width_breaks_nothing(
    records: list[Record], width: int, chosen: bool
) -> None:
    """Random ids, words (up to 18 characters) and widths: every id, date and word whole;
    no trailing space; only a whole value runs past the terminal's edge. Five columns
    named by --columns need room for a word of each (else words fold: the last resort)."""
    columns: tuple[str, ...] = ("id", "date", "type", "title")
    if chosen:
        columns += ("components",)
        width = max(width, 1 + 2 + 10 + 3 * 18 + 3 * 2)
    lines = rendered(publications_table(records, columns, width, chosen=chosen), width)
    tokens = {token for line in lines for token in line.split()}
    allowed = allowed_words(records) | {str(len(records))}
    assert {t for t in tokens - allowed if set(t) - {"─"}} == set()
    for record in records:
        assert record["id"] in tokens
    for line in lines:
        assert line == line.rstrip()
        assert runs_on_whole(line, width), (width, line)


@settings(max_examples=150, deadline=None)
@given(records=table_records(), width=st.integers(24, 250))
def test_show_at_any_width_breaks_nothing(records: list[Record], width: int) -> None:
    """The full view: every word whole, lines within the measure but for a whole id or
    URL, which is whole on one line; no trailing space."""
    record = records[0]
    lines = rendered(publication_view(record, width), width)
    tokens = {token for line in lines for token in line.split()}
    assert {t for t in tokens - allowed_words([record]) if len(t) > 1} == set()
    for line in lines:
        assert line == line.rstrip()
        assert runs_on_whole(line, min(width, 100)), line
    if record["url"]:
        assert any(line.split()[-1:] == [record["url"]] for line in lines)


def test_the_order_columns_give_way_in() -> None:
    """Documented in output/layout.py: prose wraps, the id column narrows, ids go above
    their rows, then type and then date are left out."""
    ids = ["x" * 30] * 7 + ["y" * 65]
    measures = [
        measure("id", Kind.WHOLE, "ID", ids),
        measure("date", Kind.FIXED, "Date", ["2019-08-30"]),
        measure("type", Kind.SHORT, "Type", ["Privacy Impact Assessment"]),
        measure("title", Kind.PROSE, "Title", ["word " * 30]),
    ]
    wide = plan_table(measures, 250)
    assert (wide.above, wide.widths[0], wide.left_out) == (False, 65, ())
    narrower = plan_table(measures, 120)  # the 65-character id goes above its row
    assert (narrower.above, narrower.widths[0], narrower.left_out) == (False, 30, ())
    assert plan_table(measures, 80).above and plan_table(measures, 80).left_out == ()
    assert plan_table(measures, 40).left_out == ("type",)
    assert plan_table(measures, 30).left_out == ("type", "date")
    for width in range(40, 250):
        plan = plan_table(measures, width)
        assert plan.widths[plan.columns.index("title")] >= READABLE
        assert plan.total_width() <= width
    assert plan_table(measures, 40, may_leave=False).left_out == ()


def test_stats_renders_without_trailing_spaces_at_any_width() -> None:
    """The stats table at every width from 20 to 200: values whole when they fit."""
    counts = {"topic": [("Families and Children in Custody", 3), ("Parole", 1)]}
    for width in range(20, 201):
        lines = rendered(stats_tables(counts, width), width)
        assert all(line == line.rstrip() for line in lines)
        if width >= len("Families and Children in Custody") + 1 + 2 + 5:
            assert any("Families and Children in Custody" in line for line in lines), width


# --- help ------------------------------------------------------------------------------

HELP_CALLS = (["--help"], ["list", "--help"], ["add", "--help"], ["filter", "--help"],
              ["show", "--help"], ["stats", "--help"], ["check", "--help"])  # fmt: skip


def unwrapped_help(
    arguments: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> str:
    """The help as it reads on a terminal too wide to wrap anything."""
    from pubcli.output import help_text

    monkeypatch.setattr(help_text, "HELP_MEASURE", 100_000)
    capsys.readouterr()
    assert main(arguments, TERMINAL._replace(width=100_000)) == 0
    return capsys.readouterr().out


def examples_of(arguments: list[str]) -> list[str]:
    """The example commands of a help text, as written in the code."""
    import typer.main

    from pubcli.cli.app import ROOT_HELP, app

    group = typer.main.get_command(app)
    text = ROOT_HELP if arguments == ["--help"] else group.commands[arguments[0]].help  # type: ignore[attr-defined]
    block = str(text).split("Examples:\n", 1)[1].split("\n\n", 1)[0]
    return [line.strip() for line in block.split("\n") if line.strip()]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("arguments", HELP_CALLS, ids=lambda a: " ".join(a))
def test_help_never_breaks_a_word_or_an_example(
    isolated: Path,
    arguments: list[str],
    width: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """At 80 columns `list --help` broke the column list inside `id` and `add --help` split
    its example over two lines (pasting the first added an entry without its date); at 40
    every line broke mid-word. Now every word of the help is whole, every line fits, and
    an example that does not fit a line continues after a ` \\`, so that a line pasted on
    its own never runs half a command."""
    shown = screen(arguments, isolated, width)
    lines = shown.rstrip("\n").split("\n")
    reference = unwrapped_help(arguments, monkeypatch, capsys).split()
    tokens = [t for t in shown.split() if t != "\\"]
    # Click shortens the one-line summaries of the commands to fit, ending them in "...".
    assert [t for t in tokens if t not in reference and t[:-3] not in reference] == []
    if arguments != ["--help"]:
        assert sorted(tokens) == sorted(reference)
    assert max(len(line) for line in lines) <= min(width, 80)
    assert all(line == line.rstrip() for line in lines)
    # Each example: its lines joined (without their " \\") make the command, and every
    # line but the last ends in " \\", so the shell waits for the rest.
    stripped = [" ".join(line.split("  #")[0].split()) for line in lines]
    for example in examples_of(arguments):
        command = " ".join(example.split("  #")[0].split())
        first = next(
            i
            for i, line in enumerate(stripped)
            if line.startswith("pubcli")
            and (command == line or command.startswith(line.removesuffix(" \\") + " "))
        )
        pieces = [stripped[first]]
        while pieces[-1].endswith(" \\"):
            pieces.append(stripped[first + len(pieces)])
        assert " ".join(p.removesuffix(" \\") for p in pieces) == command


def test_the_top_level_help_has_examples_and_points_to_formats_and_exit_codes(
    isolated: Path,
) -> None:
    """`pubcli --help` had no example and said nothing of formats or exit codes."""
    shown = run_process(["--help"], cwd=isolated).stdout.decode()
    assert "Examples:\n    pubcli list\n" in shown
    flat = " ".join(shown.split())
    assert (
        "Formats: --format table, json, jsonl, csv, tsv, ids, markdown, csl-json, bibtex or ris"
        in flat
    )
    assert "Exit status: 0 done, 1 nothing matched" in flat and "130 interrupted" in flat


@settings(max_examples=200, deadline=None)
@given(
    text=st.lists(prose_word, min_size=1, max_size=40).map(" ".join),
    width=st.integers(10, 120),
    indent=st.integers(0, 8),
)
def test_help_paragraphs_never_break_a_word(text: str, width: int, indent: int) -> None:
    """Any words at any width: each word whole on a line; lines fit unless one word is
    longer than the line (it then stands alone)."""
    from pubcli.output.help_text import definition_list, paragraphs

    for laid_out in (
        paragraphs(text, width, indent),
        definition_list([("--opt X", text)], width, indent),
    ):
        lines = laid_out.rstrip("\n").split("\n")
        assert [w for line in lines for w in line.split()] == (
            ["--opt", "X"] if "--opt" in laid_out else []
        ) + text.split()
        for line in lines:
            assert len(line) <= width or len(line.split()) == 1 or line.split()[0] == "--opt"


def test_tabs_in_a_summary_keep_the_columns_in_place() -> None:
    """A tab counts as no cell for Rich but moves the cursor on a terminal: a summary's
    tabs are spaces in a table, and tab stops of 4 in show."""
    record: Record = {
        "id": "a", "title": "T", "type": "Form", "date": None, "components": ["ICE"],
        "topics": [], "summary": "one\ttwo\tthree", "url": None,
    }  # fmt: skip
    lines = rendered(publications_table([record], ("id", "summary", "type"), 80), 80)
    assert " a   one two three  Form" in lines
    assert "one two three" in " ".join("\n".join(rendered(publication_view(record), 80)).split())
    assert "\t" not in "".join(rendered(publication_view(record, 80), 80))
