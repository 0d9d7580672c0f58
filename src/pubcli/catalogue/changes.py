"""Change entries in place: ``edit`` and ``remove`` as bytes in, bytes out (SPEC section 9).

Each plan splits the file into blocks (``catalogue.blocks``), changes only the blocks of
the entries named, and proves the result before a writer may use it: the whole new file
parses, every untouched entry reads back identical, each changed one reads back exactly
as asked. Bytes outside the changed blocks are copied, never re-rendered.

Inside an edited block, tomlkit (a style-preserving TOML library) is applied to that one
block: the lines of unchanged keys and every comment stay as they were, and a changed
value keeps the file's style (a one-line array stays on one line, a literal string stays
literal when it can). New values are rendered as ``add`` renders them (tomli-w).
Nothing here prints, reads a file or knows the cache.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pubcli.catalogue.blocks import Blocks, split_blocks
from pubcli.catalogue.loader import decode, entries_of, parse_toml
from pubcli.catalogue.rules import (
    Taken,
    as_typed,
    collisions,
    parse_iso_date,
    validate_entry,
)
from pubcli.catalogue.writer import parse_for_write
from pubcli.errors import CatalogueError, InvalidInputError, NoMatchError, UsageError
from pubcli.fields import FIELD_NAMES
from pubcli.model import Publication
from pubcli.safe_text import escape_controls, one_line, quoted
from pubcli.store.lookup import closest_ids


@dataclass(frozen=True, slots=True)
class FieldChanges:
    """What ``edit`` does to each entry it is given: the options of the command."""

    title: str | None = None
    type: str | None = None
    date: str | None = None
    """``YYYY-MM-DD`` text, as typed."""
    no_date: bool = False
    add_components: tuple[str, ...] = ()
    remove_components: tuple[str, ...] = ()
    add_topics: tuple[str, ...] = ()
    remove_topics: tuple[str, ...] = ()
    summary: str | None = None
    no_summary: bool = False
    url: str | None = None
    no_url: bool = False
    new_id: str | None = None

    def __bool__(self) -> bool:
        """Whether any change is asked for."""
        return self != FieldChanges()

    def conflicts(self) -> list[str]:
        """Options given together that contradict each other."""
        pairs = [
            (self.date is not None and self.no_date, "--date", "--no-date"),
            (self.summary is not None and self.no_summary, "--summary", "--no-summary"),
            (self.url is not None and self.no_url, "--url", "--no-url"),
        ]
        return [
            f"{first} cannot be combined with {second}" for given, first, second in pairs if given
        ]


@dataclass(frozen=True, slots=True)
class Change:
    """A planned rewrite of the catalogue, proved: what a writer replaces the file with."""

    old: bytes
    new: bytes
    document: dict[str, Any]
    """The new file parsed (for the cache)."""
    changed: list[str]
    """The ids edited (as they are now) or removed, in the order given."""
    publications: list[Publication]
    """The edited entries as they now read (empty for a remove)."""


# --- finding entries -------------------------------------------------------------------


def read_ids(text: str) -> list[str]:
    """Ids given on standard input: one a line, blank lines and surrounding spaces ignored."""
    return [line.strip() for line in text.splitlines() if line.strip()]


@dataclass(frozen=True, slots=True)
class _Parsed:
    data: bytes
    split: Blocks
    entries: list[Any]


def _parse(data: bytes, display: str) -> _Parsed:
    """The file parsed for a change: refused (exit 3) unless every writer may write it
    and it is made of ``[[publications]]`` blocks, one per entry."""
    _, _, entries = parse_for_write(data, display)
    split = split_blocks(data, display, entries)
    if len(split.blocks) != len(entries):
        raise CatalogueError(
            f"{one_line(display)}: its entries are not all written as [[publications]] "
            "blocks; pubcli will not rewrite it"
        )
    return _Parsed(data, split, entries)


def _positions(parsed: _Parsed, ids: Sequence[str], display: str) -> list[int]:
    """The block of each id, exactly (never a prefix). Unknown ids: exit 1 naming the
    closest; an id on two entries: refused (exit 3)."""
    where: dict[str, list[int]] = {}
    for index, block in enumerate(parsed.split.blocks):
        if block.id is not None:
            where.setdefault(block.id, []).append(index)
    unknown = [id_ for id_ in dict.fromkeys(ids) if id_ not in where]
    if unknown:
        known = list(where)
        lines = []
        for id_ in unknown:
            closest = closest_ids(known, id_)
            hint = f"; closest: {', '.join(closest)}" if closest else ""
            lines.append(f"no publication with id {quoted(id_)}{hint}")
        raise NoMatchError("\n".join(lines))
    positions = []
    for id_ in dict.fromkeys(ids):  # an id given twice is changed once
        found = where[id_]
        if len(found) > 1:
            shown = ", ".join(str(parsed.split.blocks[i].line) for i in found)
            raise CatalogueError(
                f"{one_line(display)}: id {quoted(id_)} is on {len(found)} entries "
                f"(lines {shown}); make the ids unique by hand first"
            )
        positions.append(found[0])
    return positions


def block_of(data: bytes, display: str, id_: str) -> bytes:
    """The bytes of the block of the entry ``id_`` (for the editor)."""
    parsed = _parse(data, display)
    (index,) = _positions(parsed, [id_], display)
    block = parsed.split.blocks[index]
    return data[block.start : block.end]


# --- edit with options -----------------------------------------------------------------


def plan_edit(data: bytes, display: str, ids: Sequence[str], changes: FieldChanges) -> Change:
    """Apply ``changes`` to the entries ``ids``: all or nothing (``InvalidInputError``
    naming every problem of every resulting entry, collisions included)."""
    if changes.new_id is not None and len(ids) != 1:
        raise UsageError("--id renames one entry: give exactly one ID with it")
    parsed = _parse(data, display)
    positions = _positions(parsed, ids, display)
    expected = {index: _applied(parsed.entries[index], changes) for index in positions}
    _refuse_invalid(parsed.entries, expected)
    blocks = {
        index: _edited_block(_block_text(parsed, index), parsed.entries[index], expected[index])
        for index in positions
    }
    return _prove(parsed, blocks, display, [expected[i]["id"] for i in positions], expected)


@dataclass(frozen=True, slots=True)
class BlockEdit:
    """One entry's block edited alone (``edit_block``)."""

    new: bytes
    """The new block: it parses alone to the entry as asked."""
    publication: Publication
    """The entry as it now reads."""


def edit_block(block: bytes, display: str, changes: FieldChanges) -> BlockEdit | None:
    """Apply ``changes`` to the one entry that ``block`` (its bytes in the file) holds,
    parsing that block alone; proved as ``plan_edit`` proves a changed block (it reads
    back alone as one valid entry, the one asked for).

    None when the block or the edited entry is not valid alone (``plan_edit`` on the
    whole file names the problems); collisions with other entries are the caller's.
    """
    try:
        text = block.decode("utf-8")
        before = entry_of_block(text, display)
    except (UnicodeDecodeError, InvalidInputError):
        return None
    expected = _applied(before, changes)
    if isinstance(expected.get("date"), _BadDate):
        return None
    publication, problems = validate_entry(expected)
    if publication is None or problems:
        return None
    new = _edited_block(text, before, expected)
    try:
        if entry_of_block(new, display) != expected:
            raise _not_as_planned(display)
    except InvalidInputError:
        raise _not_as_planned(display) from None
    return BlockEdit(new.encode("utf-8"), publication)


def _applied(raw: Mapping[str, Any], changes: FieldChanges) -> dict[str, Any]:
    """The entry as it will read after ``changes`` (plain values, as tomli reads them)."""
    result = dict(raw)
    typed = as_typed(
        {
            key: value
            for key, value in (
                ("title", changes.title),
                ("type", changes.type),
                ("summary", changes.summary),
                ("url", changes.url),
                ("id", changes.new_id),
            )
            if value is not None
        }
    )
    result.update(typed)
    if changes.date is not None:
        result["date"] = parse_iso_date(changes.date.strip()) or _BadDate(changes.date)
    for flag, key in ((changes.no_date, "date"), (changes.no_summary, "summary")):
        if flag:
            result.pop(key, None)
    if changes.no_url:
        result.pop("url", None)
    if result.get("summary") == "":
        del result["summary"]
    for key, added, removed in (
        ("components", changes.add_components, changes.remove_components),
        ("topics", changes.add_topics, changes.remove_topics),
    ):
        if added or removed:
            values = _list_applied(result.get(key, []), added, removed)
            if values or key == "components":
                result[key] = values
            else:
                result.pop(key, None)
    return result


class _BadDate(str):
    """A ``--date`` that is no real date: kept so that the check names it."""


def _list_applied(values: object, added: Sequence[str], removed: Sequence[str]) -> list[Any]:
    """A components or topics list with ``removed`` taken out (ignoring case, as filters
    match) and ``added`` appended unless already there (ignoring case)."""
    current = list(values) if isinstance(values, list) else []
    gone = {value.strip().casefold() for value in removed}
    kept = [v for v in current if not (isinstance(v, str) and v.casefold() in gone)]
    for value in (value.strip() for value in added):
        if not any(isinstance(v, str) and v.casefold() == value.casefold() for v in kept):
            kept.append(value)
    return kept


def _refuse_invalid(entries: Sequence[Any], expected: Mapping[int, dict[str, Any]]) -> None:
    """Every resulting entry must be valid and collide with no other entry."""
    problems: list[str] = []
    edited: list[Publication] = []
    for index, raw in expected.items():
        label = one_line(str(entries[index].get("id")))
        if isinstance(raw.get("date"), _BadDate):
            shown = quoted(raw["date"])
            problems.append(f"{label}: 'date' {shown} is not a real date written YYYY-MM-DD")
            continue
        publication, entry_problems = validate_entry(raw)
        problems += [f"{label}: {problem}" for problem in entry_problems]
        if publication is not None:
            edited.append(publication)
    others = Taken(raw for index, raw in enumerate(entries) if index not in expected)
    problems += collisions(edited, others)
    if problems:
        raise InvalidInputError(problems)


def _edited_block(old: str, before: Mapping[str, Any], expected: Mapping[str, Any]) -> str:
    """The block's text changed by tomlkit (to this block alone) from the entry ``before``
    to the entry ``expected``: only the keys whose values differ are touched (compared as
    tomli reads them: tomlkit keeps a CRLF inside a multi-line string)."""
    import tomlkit

    document = tomlkit.parse(old)
    table = document["publications"][0]
    for key in FIELD_NAMES:
        if key in ("components", "topics"):
            if before.get(key) != expected.get(key):
                _edit_array(table, key, expected)
        elif key not in expected:
            if key in table:
                del table[key]
        elif key not in before or before[key] != expected[key]:
            _set(table, key, _value_item(key, expected[key], table.get(key)))
    return _with_newlines_of(old, tomlkit.dumps(document))


def _edit_array(table: Any, key: str, expected: Mapping[str, Any]) -> None:
    """Change an array in place (its layout and comments stay); a new one as add writes it."""
    wanted = expected.get(key)
    if wanted is None:
        if key in table:
            del table[key]
        return
    if key not in table:
        _set(table, key, _value_item(key, wanted, None))
        return
    array = table[key]
    if not isinstance(array, list):  # not an array (an invalid entry being fixed)
        _set(table, key, _value_item(key, wanted, None))
        return
    kept = [v for v in array if v in wanted]
    # Appended before removing: an array that is one item a line keeps its layout.
    for value in wanted[len(kept) :]:
        array.append(value)
    for value in [v for v in array if v not in wanted]:
        array.remove(value)
    if list(array) != wanted:  # an order the in-place edit cannot reach: write it anew
        _set(table, key, _value_item(key, wanted, None))


def _set(table: Any, key: str, item: Any) -> None:
    """Set ``key``; a new key goes after the keys that precede it in the spec's order."""
    if key in table:
        table[key] = item
        return
    earlier = [k for k in FIELD_NAMES[: FIELD_NAMES.index(key)] if k in table]
    if earlier:
        table.value._insert_after(earlier[-1], key, item)
    else:
        table.value._insert_at(0, key, item)


def _value_item(key: str, value: Any, old: Any) -> Any:
    """A tomlkit item for ``value``, in the style of the ``old`` item where it has one,
    else as ``add`` writes it (``writer.render_table``: short arrays on one line)."""
    import tomlkit

    from pubcli.catalogue.writer import render_table

    if isinstance(value, str) and _literal(old) and _fits_literal(value):
        return tomlkit.string(value, literal=True)
    return tomlkit.parse(render_table({key: value}))[key]


def _literal(item: Any) -> bool:
    return (
        item is not None
        and getattr(item, "type", None) is not None
        and (str(item.type).endswith("SLL"))
    )


def _fits_literal(value: str) -> bool:
    return "'" not in value and not any(ord(c) < 0x20 or ord(c) == 0x7F for c in value)


def _with_newlines_of(old: str, new: str) -> str:
    """Lines tomlkit wrote anew get the block's newline style (it writes ``\\n``)."""
    if "\r\n" not in old:
        return new
    kept = set(old.splitlines(keepends=True))
    lines = new.splitlines(keepends=True)
    return "".join(
        line[:-1] + "\r\n"
        if line.endswith("\n") and not line.endswith("\r\n") and line not in kept
        else line
        for line in lines
    )


def _block_text(parsed: _Parsed, index: int) -> str:
    block = parsed.split.blocks[index]
    return parsed.data[block.start : block.end].decode("utf-8")


# --- edit in an editor -----------------------------------------------------------------


def plan_replace(data: bytes, display: str, id_: str, old_block: bytes, new_text: str) -> Change:
    """Replace the block of ``id_`` (still ``old_block``) by ``new_text``, as a maintainer
    wrote it in an editor: it must hold that one entry, valid and colliding with no other.

    ``InvalidInputError`` carries the problems (for the editor to show); a block changed
    in the file meanwhile is a ``CatalogueError``.
    """
    parsed = _parse(data, display)
    (index,) = _positions(parsed, [id_], display)
    block = parsed.split.blocks[index]
    if data[block.start : block.end] != old_block:
        raise CatalogueError(
            f"{one_line(display)}: {id_} changed in the file while it was being edited; "
            "nothing was written"
        )
    raw = entry_of_block(new_text, display)
    _refuse_invalid(parsed.entries, {index: raw})
    newline = "\r\n" if "\r\n" in old_block.decode("utf-8") else "\n"
    if index + 1 < len(parsed.split.blocks) and not new_text.endswith("\n"):
        new_text += newline  # the next header must start a line of its own
    return _prove(parsed, {index: new_text}, display, [str(raw["id"])])


def entry_of_block(text: str, display: str) -> dict[str, Any]:
    """The one entry that an edited block holds; ``InvalidInputError`` if it holds anything
    else or is not valid TOML."""
    name = "the edited entry"
    try:
        document = parse_toml(text, name)
        split = split_blocks(text.encode("utf-8"), name)
    except CatalogueError as error:
        raise InvalidInputError([str(error).removeprefix(f"{name}:")]) from None
    entries = document.get("publications")
    if set(document) != {"publications"} or not isinstance(entries, list) or len(entries) != 1:
        raise InvalidInputError(["write one [[publications]] entry and nothing else"])
    if len(split.blocks) != 1 or not isinstance(entries[0], dict):
        raise InvalidInputError(["write one [[publications]] entry and nothing else"])
    return entries[0]


# --- remove ----------------------------------------------------------------------------


def plan_remove(data: bytes, display: str, ids: Sequence[str]) -> Change:
    """Remove the blocks of ``ids`` (each with the comment lines directly above it)."""
    parsed = _parse(data, display)
    positions = _positions(parsed, ids, display)
    changed = [parsed.split.blocks[index].id or "" for index in positions]
    return _prove(parsed, dict.fromkeys(positions, ""), display, changed)


def entries_to_remove(data: bytes, display: str, ids: Sequence[str]) -> list[Mapping[str, Any]]:
    """The raw entries ``ids`` name (for the confirmation), in the order given."""
    parsed = _parse(data, display)
    return [parsed.entries[index] for index in _positions(parsed, ids, display)]


# --- proving and showing ---------------------------------------------------------------


def _prove(
    parsed: _Parsed,
    replaced: Mapping[int, str],
    display: str,
    changed: list[str],
    wanted: Mapping[int, Any] | None = None,
) -> Change:
    """Assemble the new file and prove it: it parses, the untouched entries read back
    identical, each replaced block alone reads back as one valid entry (the ``wanted``
    one, when given), and the whole file as the same entries in place."""
    data, split = parsed.data, parsed.split
    pieces = [split.preamble]
    expected: list[Any] = []
    publications: list[Publication] = []
    for index, block in enumerate(split.blocks):
        if index not in replaced:
            pieces.append(data[block.start : block.end])
            expected.append(parsed.entries[index])
            continue
        text = replaced[index]
        pieces.append(text.encode("utf-8"))
        if text:
            raw = _alone(text, display)
            publication, _ = validate_entry(raw)
            if publication is None or (wanted is not None and raw != wanted[index]):
                raise _not_as_planned(display)
            expected.append(raw)
            publications.append(publication)
    new = b"".join(pieces)
    document = parse_toml(decode(new, display), display)
    if entries_of(document, display) != expected:
        raise _not_as_planned(display)
    return Change(data, new, document, changed, publications)


def _alone(text: str, display: str) -> Any:
    entries = entries_of(parse_toml(text, display), display)
    if len(entries) != 1:
        raise _not_as_planned(display)
    return entries[0]


def _not_as_planned(display: str) -> CatalogueError:
    return CatalogueError(
        f"{one_line(display)}: the changed entries would not read back as planned; "
        "nothing was changed"
    )


def unified_diff(change: Change, display: str) -> str:
    """The change as a unified diff of the file (``--- PATH`` / ``+++ PATH``).

    Lines are the file's lines, split at ``\\n`` only (``str.splitlines`` would also split
    at U+2028, U+0085 and others that TOML allows in a comment or a string, and mangle
    the diff). The diff is for reading as well as for ``patch``: control and invisible
    characters in a line are shown escaped (SPEC section 6); the line ends stay as they
    are, so that the diff of a CRLF file still applies.
    """
    old = _lines(change.old.decode("utf-8"))
    new = _lines(change.new.decode("utf-8"))
    lines = difflib.unified_diff(old, new, fromfile=one_line(display), tofile=one_line(display))
    # A byte-order mark that opens the file is its encoding, not text: kept as it is.
    opening = {text[0] for text in (old, new) if text and text[0].startswith("\ufeff")}
    no_newline = "\n\\ No newline at end of file\n"
    return "".join(
        _shown(line, keep_bom=line[1:] in opening) + ("" if line.endswith("\n") else no_newline)
        for line in lines
    )


_LINE = re.compile(r"[^\n]*\n|[^\n]+\Z")
_LINE_END = re.compile(r"\r?\n\Z")


def _lines(text: str) -> list[str]:
    return _LINE.findall(text)


def _shown(line: str, *, keep_bom: bool) -> str:
    """One line of the diff, its control characters escaped and its line end kept."""
    end = _LINE_END.search(line)
    cut = end.start() if end else len(line)
    start = 2 if keep_bom else 0  # the diff's own first character, then the mark
    return line[:start] + escape_controls(line[start:cut]) + line[cut:]
