"""Read the catalogue file: decode, parse, locate entries and validate them (SPEC 1 and 5)."""

from __future__ import annotations

import contextlib
import os
import re
import stat
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple

from pubcli.catalogue.problems import Problem
from pubcli.errors import CatalogueError, UnresolvedConflictError
from pubcli.safe_text import one_line, quoted

if TYPE_CHECKING:
    from pubcli.catalogue.rules import EntryChecker
    from pubcli.model import Publication

TOP_LEVEL_KEYS = ("publications", "schema_version")
_BOM = "\ufeff"


class Catalogue(NamedTuple):
    """The valid publications of a catalogue file, in file order, and its problems."""

    path: str
    """The catalogue's name as shown in messages."""
    publications: list[Publication]
    problems: list[Problem]
    lines: list[int]
    """The line of each publication's ``[[publications]]`` header."""
    newer_schema: int | None = None
    """The file's ``schema_version`` when it is newer than this pubcli knows."""


def read_text(path: Path, display: str) -> str:
    """Read the file as UTF-8 (a leading byte-order mark is dropped)."""
    return decode(read_bytes(path, display), display)


def read_bytes(path: Path, display: str) -> bytes:
    """The bytes of the regular file at ``path``, or a catalogue error that names it and
    says why not.

    A device, a named pipe or a socket is refused before a byte is read: ``/dev/zero``
    never ends, and a pipe would block. The file is opened without blocking and checked
    again once open, so what is read is what was checked.
    """
    with open_regular(path, display) as file:
        return read_open(file, display)


def read_open(file: BinaryIO, display: str) -> bytes:
    """The rest of the catalogue ``file`` opened by ``open_regular``."""
    try:
        return file.read()
    except OSError as error:
        raise _unreadable(display, error) from None


@contextlib.contextmanager
def open_regular(path: Path, display: str) -> Iterator[BinaryIO]:
    """The regular file at ``path``, open for reading (see ``read_bytes``)."""
    require_regular_file(path, display)
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        raise _unreadable(display, error) from None
    with open(descriptor, "rb", closefd=True) as file:
        _require_regular(os.fstat(descriptor), display)
        yield file


_KINDS = {
    stat.S_IFDIR: "it is a directory",
    stat.S_IFIFO: "it is a named pipe, not a regular file",
    stat.S_IFCHR: "it is a character device, not a regular file",
    stat.S_IFBLK: "it is a block device, not a regular file",
    stat.S_IFSOCK: "it is a socket, not a regular file",
}


def require_regular_file(path: Path, display: str) -> None:
    """Refuse a catalogue that is missing or not a regular file (symlinks are followed).

    ``add`` calls this before it creates the lock file beside the catalogue.
    """
    try:
        status = os.stat(path)
    except OSError as error:
        raise _unreadable(display, error) from None
    _require_regular(status, display)


def _require_regular(status: os.stat_result, display: str) -> None:
    if not stat.S_ISREG(status.st_mode):
        reason = _KINDS.get(stat.S_IFMT(status.st_mode), "it is not a regular file")
        raise CatalogueError(f"cannot read catalogue {one_line(display)}: {reason}")


def _unreadable(display: str, error: OSError) -> CatalogueError:
    reason = error.strerror or str(error)
    return CatalogueError(f"cannot read catalogue {one_line(display)}: {one_line(reason)}")


def decode(data: bytes, display: str) -> str:
    """Decode catalogue bytes, naming the line and column of the first invalid byte."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise CatalogueError(
            f"{one_line(display)}:{line}:{column}: not valid UTF-8 "
            f"(byte 0x{data[error.start]:02x})"
        ) from None
    return text.removeprefix(_BOM)


def parse_toml(text: str, display: str) -> dict[str, Any]:
    """Parse TOML text, reporting a syntax error with its line and column."""
    import tomli  # only a cold start parses: keep it off the cached path

    try:
        return tomli.loads(text)
    except tomli.TOMLDecodeError as error:
        refuse_conflict_markers(text, display)
        raise CatalogueError(
            f"{one_line(display)}:{error.lineno}:{error.colno}: "
            f"invalid TOML: {one_line(error.msg)}"
        ) from None
    except RecursionError as error:
        # tomli's own limits (inline nesting, parts of a dotted key) carry no position.
        where = _position_of(text, _nesting_too_deep)
        reason = (
            f"arrays or inline tables nested more than {_MAX_INLINE_NESTING} levels deep"
            if where
            else one_line(str(error))
        )
        raise CatalogueError(f"{one_line(display)}{where}: invalid TOML: {reason}") from None
    except ValueError:
        # int() refuses a decimal integer longer than sys.get_int_max_str_digits().
        where = _position_of(text, _integer_too_long)
        raise CatalogueError(
            f"{one_line(display)}{where}: invalid TOML: an integer has more than "
            f"{sys.get_int_max_str_digits()} digits"
        ) from None


def refuse_conflict_markers(text: str, display: str) -> None:
    """A file that does not parse because a merge left git's markers in it says so, with
    the markers' lines, rather than where the first marker breaks the TOML syntax. (check
    also asks of a file that parses: a conflict inside a multi-line string.)"""
    from pubcli.catalogue.conflicts import marker_lines

    markers = marker_lines(text)
    if markers:
        lines = ", ".join(str(marker.line) for marker in markers)
        raise UnresolvedConflictError(
            f"{one_line(display)}:{markers[0].line}: unresolved merge conflict (git's "
            f"conflict markers at lines {lines}): keep the right text between the markers, "
            "delete the marker lines, then run pubcli check",
            display,
            [(marker.line, marker.text) for marker in markers],
        )


# Strings and comments (skipped), and brackets and braces: the tokens that every scan
# of the text below needs, so that nothing inside a string is taken for structure.
_STRINGS_AND_BRACKETS = (
    r'|(?P<basic_ml>""")'
    r"|(?P<literal_ml>''')"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'[^'\n]*'"
    r"|(?P<comment>#[^\n]*)"
    r"|(?P<open>[\[{])"
    r"|(?P<close>[\]}])"
)
# Those and decimal digit runs: enough of TOML's tokens to find where a document breaks
# one of the parser's size limits.
_SIZE_TOKEN = re.compile(
    _STRINGS_AND_BRACKETS.removeprefix("|") + r"|(?P<digits>(?<![\w.:+-])[+-]?[0-9][0-9_]*)"
)
_MAX_INLINE_NESTING = 400  # tomli's limit; a table header's brackets count one level more


def _nesting_too_deep(match: re.Match[str], depth: int) -> bool:
    return depth > _MAX_INLINE_NESTING + 1


def _integer_too_long(match: re.Match[str], depth: int) -> bool:
    digits = match.group("digits")
    return bool(digits) and len(digits.replace("_", "")) > sys.get_int_max_str_digits()


def _position_of(text: str, found: Callable[[re.Match[str], int], bool]) -> str:
    """``:LINE:COLUMN`` of the first token that ``found`` picks, or nothing if none does."""
    depth = 0
    position = 0
    while match := _SIZE_TOKEN.search(text, position):
        position = match.end()
        if match.group("open"):
            depth += 1
        elif match.group("close"):
            depth = max(0, depth - 1)
        elif match.group("basic_ml") or match.group("literal_ml"):
            rest = _BASIC_ML_REST if match.group("basic_ml") else _LITERAL_ML_REST
            end = rest.match(text, position)
            position = end.end() if end else len(text)
            continue
        if found(match, depth):
            start = match.start()
            line = text.count("\n", 0, start) + 1
            column = start - text.rfind("\n", 0, start)
            return f":{line}:{column}"
    return ""


_HEADER = r"^[ \t]*\[\[[ \t]*(?:publications|\"publications\"|'publications')[ \t]*\]\]"
_HEADER_LINE = re.compile(_HEADER, re.MULTILINE)
# A key as TOML allows it: bare, "basic" (with escapes) or 'literal' parts, dotted, with
# whitespace around the dots.
_KEY_PART = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\\n]|\\.)*"|'[^'\n]*')"""
_KEY = rf"{_KEY_PART}(?:[ \t]*\.[ \t]*{_KEY_PART})*"
_KEY_PARTS = re.compile(rf"[ \t]*(?P<part>{_KEY_PART})[ \t]*\.?")
# Where headers and keys are: at the start of a line outside any value (depth 0), never
# inside a string. Inside an array or inline table only strings and brackets matter.
_TOKEN = re.compile(
    rf"^[ \t]*(?:\[\[[ \t]*(?P<array_header>{_KEY})[ \t]*\]\]"
    rf"|\[[ \t]*(?P<table_header>{_KEY})[ \t]*\]"
    rf"|(?P<key>{_KEY})[ \t]*=)" + _STRINGS_AND_BRACKETS,
    re.MULTILINE,
)
_VALUE_TOKEN = re.compile(_STRINGS_AND_BRACKETS[1:], re.MULTILINE)
# After an opening delimiter: the body, the closing delimiter, and up to two quotes
# that TOML lets a body end with (""""" closes a string that ends in "").
# Possessive runs: matched a character at a time, a long summary cost ten times more
# (this scan is what splits a catalogue into blocks for edit, remove and merge-driver).
_BASIC_ML_REST = re.compile(r'(?:[^"\\]++|\\[\s\S]|"(?!""))*+"""(?:""?)?')
_LITERAL_ML_REST = re.compile(r"(?:[^']++|'(?!''))*+'''(?:''?)?")


class _LineCounter:
    """Line numbers of increasing offsets in ``text``, counting each newline once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.offset = 0
        self.line = 1

    def __call__(self, offset: int) -> int:
        self.line += self.text.count("\n", self.offset, offset)
        self.offset = offset
        return self.line


class Found(NamedTuple):
    """One piece of a document's structure (see ``structure``)."""

    kind: str
    """``array_header``, ``table_header``, ``key`` or (when asked for) ``comment``."""
    key: tuple[str, ...]
    """The dotted key, its parts decoded."""
    offset: int


def _key_of(spelling: str) -> tuple[str, ...]:
    """The parts of a dotted key as TOML reads them (escapes in basic strings decoded)."""
    parts = []
    for match in _KEY_PARTS.finditer(spelling):
        part = match.group("part")
        if part[0] == "'":
            parts.append(part[1:-1])
        elif part[0] == '"':
            parts.append(_basic_string(part))
        else:
            parts.append(part)
    return tuple(parts)


def _basic_string(quoted: str) -> str:
    if "\\" not in quoted:
        return quoted[1:-1]
    import tomli

    try:
        return str(tomli.loads(f"k = {quoted}")["k"])
    except tomli.TOMLDecodeError:
        return quoted  # not a key TOML allows: the file does not parse anyway


def structure(text: str, *, comments: bool = False) -> Iterator[Found]:
    """Every table header and top-level-of-its-table key of ``text``, in order; with
    ``comments``, also every comment outside values (offset of its ``#``).

    The one place that decides where headers and keys are: strings (multi-line ones too)
    and comments are skipped, and nothing inside an array or inline table counts.
    Offsets are those of the start of the header's or key's line (or of the ``#``).
    """
    depth = 0
    position = 0
    while match := (_VALUE_TOKEN if depth else _TOKEN).search(text, position):
        position = match.end()
        kind = match.lastgroup
        if kind in ("array_header", "table_header", "key"):
            yield Found(kind, _key_of(match.group(kind)), match.start())
            continue
        if kind == "comment" and comments and not depth:
            yield Found(kind, (), match.start())
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth = max(0, depth - 1)
        elif kind in ("basic_ml", "literal_ml"):
            rest = _BASIC_ML_REST if kind == "basic_ml" else _LITERAL_ML_REST
            end = rest.match(text, position)
            position = end.end() if end else len(text)


_PUBLICATIONS = ("publications",)


def header_lines(text: str, entry_count: int) -> list[int]:
    """Return the line of each ``[[publications]]`` header, in order.

    A header-like line may sit inside a multi-line string, and a header may be spelt in
    any way TOML allows; only when the quick count disagrees with the parsed entries is
    the text scanned token by token.
    """
    line_of = _LineCounter(text)
    quick = [line_of(match.start()) for match in _HEADER_LINE.finditer(text)]
    if len(quick) == entry_count:
        return quick
    line_of = _LineCounter(text)
    return [
        line_of(found.offset)
        for found in structure(text)
        if found.kind == "array_header" and found.key == _PUBLICATIONS
    ]


def _top_level_key(text: str, name: str) -> int | None:
    """The offset of the top-level key ``name`` (any spelling, dotted or not), or None."""
    for found in structure(text):
        if found.kind != "key":
            return None  # past the top level: the first table header
        if found.key[0] == name:
            return found.offset
    return None


def appendable(text: str, entries: list[Any]) -> bool:
    """Whether every entry has its own ``[[publications]]`` header, so that a block
    appended to ``text`` extends the array (an inline ``publications = [...]`` cannot,
    however its key is spelt)."""
    if _top_level_key(text, "publications") is not None:
        return False
    return len(header_lines(text, len(entries))) == len(entries)


class AppendInfo(NamedTuple):
    """Whether a block may be appended to a catalogue's text, and how it is joined."""

    appendable: bool
    newline: str
    """The file's newline style."""
    separator: str
    """What goes between the text and the new block."""


def append_info(text: str, appendable: bool) -> AppendInfo:
    """How a new block is joined to ``text``: its newline style and the separator."""
    newline = "\r\n" if "\r\n" in text else "\n"
    separator = "" if not text or text.endswith("\n") else newline
    if text.strip():
        separator += newline
    return AppendInfo(appendable, newline, separator)


Stamp = tuple[int, int, int, int, int]


def stamp_of(status: os.stat_result) -> Stamp:
    """What identifies one state of a file: size, mtime and ctime in ns, inode, device.
    No user tool can set a ctime back: an edit whose mtime was restored still shows."""
    return (status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino, status.st_dev)


def _key_line(text: str, key: str) -> int:
    """The line where the top-level ``key`` is defined: as a key, else as a table."""
    offset = _top_level_key(text, key)
    if offset is None:
        headers = (found for found in structure(text) if found.kind != "key")
        offset = next((found.offset for found in headers if found.key[:1] == (key,)), 0)
    return text.count("\n", 0, offset) + 1


def entries_of(document: dict[str, Any], display: str) -> list[Any]:
    """Return the raw entries, refusing a ``publications`` that is not an array of tables."""
    entries = document.get("publications", [])
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise CatalogueError(f"{one_line(display)}: 'publications' must be an array of tables")
    return entries


def check_document(document: dict[str, Any], text: str, display: str) -> Catalogue:
    """Validate a parsed document: every entry, duplicate ids, duplicate titles and dates."""
    from pubcli.catalogue.rules import newer_schema

    entries = entries_of(document, display)
    problems = top_level_problems(document, text, display)
    lines = header_lines(text, len(entries))
    if len(lines) != len(entries):
        # An inline array of tables has no headers: point at the key itself.
        lines = [_key_line(text, "publications")] * len(entries)

    publications, publication_lines, entry_problems = checked_entries(entries, lines, display)
    newer = newer_schema(document.get("schema_version"))
    return Catalogue(display, publications, problems + entry_problems, publication_lines, newer)


def checked_entries(
    entries: list[Any], lines: list[int], display: str, checker: EntryChecker | None = None
) -> tuple[list[Publication], list[int], list[Problem]]:
    """The valid publications of ``entries`` (whose headers are at ``lines``), their
    lines, and the problems of every entry, in file order (``rules.EntryChecker``).

    A file checked in parts passes the same ``checker`` for every part, in order."""
    from pubcli.catalogue.rules import EntryChecker, entry_label

    check = (checker or EntryChecker()).check
    publications: list[Publication] = []
    publication_lines: list[int] = []
    problems: list[Problem] = []
    for raw, line in zip(entries, lines, strict=True):
        verdict = check(raw, line)
        if verdict.problems:
            label = entry_label(raw)
            problems += [
                Problem(display, line, label, message, skips_entry=skips)
                for message, skips in verdict.problems
            ]
        if verdict.publication is not None:
            publications.append(verdict.publication)
            publication_lines.append(line)
    return publications, publication_lines, problems


def top_level_problems(document: dict[str, Any], text: str, display: str) -> list[Problem]:
    """The problems of the top-level keys of ``document``, parsed from ``text`` (the whole
    file, or what precedes its first ``[[publications]]`` header)."""
    problems = [
        Problem(display, _key_line(text, key), "(top level)", f"unknown key {quoted(key)}")
        for key in document
        if key not in TOP_LEVEL_KEYS
    ]
    if "schema_version" in document:
        from pubcli.catalogue.rules import schema_version_problem

        message = schema_version_problem(document["schema_version"])
        if message is not None:
            line = _key_line(text, "schema_version")
            problems.append(Problem(display, line, "(top level)", message))
    return problems


def load_catalogue(path: Path, display: str) -> Catalogue:
    """Read, parse and validate the catalogue at ``path``."""
    text = read_text(path, display)
    return check_document(parse_toml(text, display), text, display)
