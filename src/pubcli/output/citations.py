"""Publications as citations: CSL-JSON, BibTeX and RIS (SPEC section 11).

One table (``CITATION_TYPES``) says what each catalogue type is in all three formats; the
field mapping is the same everywhere: components are institutional authors, topics are
keywords, the summary is the abstract, the date is the issue date, the id is the key.
Like the other machine formats, every function here takes records and returns plain text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from pubcli.fields import Record
from pubcli.safe_text import escape_controls


class CitationType(NamedTuple):
    """What one kind of publication is called by each citation format."""

    csl: str
    """The CSL 1.0.2 item type (Appendix III of the CSL specification)."""
    bibtex: str
    """The BibTeX entry type: ``techreport`` for reports, assessments and strategies,
    ``misc`` otherwise (SPEC section 11)."""
    ris: str
    """The RIS reference type (``TY``)."""


CITATION_TYPES: dict[str | None, CitationType] = {
    # A statement issued to the public in the Department's name: CSL's nearest type is
    # "a speech or other presentation" (its genre then says "Statement"); RIS has no press
    # type, and these are documents a government issued.
    "statement": CitationType("speech", "misc", "GOVDOC"),
    # A published letter between named parties: CSL's personal_communication covers
    # "collected/published" letters, and RIS's PCOMM is what Zotero writes for letters.
    "letter": CitationType("personal_communication", "misc", "PCOMM"),
    # A letter signed by the officials of two governments: a letter still (not a treaty,
    # which it is not in law), with "Letter of Intent" as its genre.
    "letter of intent": CitationType("personal_communication", "misc", "PCOMM"),
    # Guidance is by definition not binding, so not CSL's regulation ("an administrative
    # order"); CSL's catch-all document, a government document in RIS.
    "policy guidance": CitationType("document", "misc", "GOVDOC"),
    # A numbered assessment the Department publishes: CSL's report ("a technical report,
    # government report ... distributed by an institution"), its series number the number.
    "privacy impact assessment": CitationType("report", "techreport", "RPRT"),
    # A government report: the textbook case of CSL's report and BibTeX's techreport.
    "report": CitationType("report", "techreport", "RPRT"),
    # A strategy document is a white paper distributed by an institution: CSL's report.
    "strategy": CitationType("report", "techreport", "RPRT"),
    # A blank form is no report, letter or presentation: CSL's catch-all document, a
    # government document in RIS.
    "form": CitationType("document", "misc", "GOVDOC"),
    # Any other type: CSL's catch-all document ("items not belonging to other types"),
    # BibTeX's misc and RIS's generic GEN; the type itself is kept as the genre.
    None: CitationType("document", "misc", "GEN"),
}
"""Each catalogue type (folded: ``" ".join(type.split()).casefold()``) and, under None,
every other type, in the three citation formats."""

# The series number of a Privacy Impact Assessment opens its title: DHS/ICE/PIA-049,
# DHS/USCIS/PIA-056(a).
_PIA_NUMBER = re.compile(r"(?:[A-Z][A-Z0-9]*/)+PIA-[0-9]+(?:\([a-z]\))?(?![\w/-])")


def citation_type(kind: str) -> CitationType:
    """The row of ``CITATION_TYPES`` for a catalogue type, ignoring case and spacing."""
    return CITATION_TYPES.get(" ".join(kind.split()).casefold(), CITATION_TYPES[None])


def series_number(title: str) -> str | None:
    """The report series number that opens ``title`` (``DHS/ICE/PIA-049``), if any."""
    match = _PIA_NUMBER.match(title.strip())
    return match.group() if match else None


def _date_parts(date: str | None) -> list[int] | None:
    if not date:
        return None
    year, month, day = date.split("-")
    return [int(year), int(month), int(day)]


# --- CSL-JSON ------------------------------------------------------------------------


def csl_item(publication: Record) -> dict[str, Any]:
    """One CSL-JSON item (CSL 1.0 ``csl-data.json``). An undated publication has no
    ``issued``: the schema allows leaving it out, and styles then print "n.d." or "no
    date"."""
    item: dict[str, Any] = {
        "id": publication["id"],
        "type": citation_type(publication["type"]).csl,
        "title": publication["title"],
        "author": [{"literal": component} for component in publication["components"]],
        "genre": publication["type"],
    }
    parts = _date_parts(publication["date"])
    if parts:
        item["issued"] = {"date-parts": [parts]}
    number = series_number(publication["title"])
    if number:
        item["number"] = number
    if publication["summary"]:
        item["abstract"] = publication["summary"]
    if publication["topics"]:
        item["keyword"] = ", ".join(publication["topics"])
    if publication["url"]:
        item["URL"] = publication["url"]
    return item


# --- BibTeX --------------------------------------------------------------------------

# Every character that BibTeX or LaTeX would read as syntax, written so that it reads as
# the character itself. No brace of the data is ever written as a brace: BibTeX counts
# braces even after a backslash, so an unbalanced "\{" would end (or run past) a field.
_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\ensuremath{\lbrace}",
    "}": r"\ensuremath{\rbrace}",
    "%": r"\%",
    "&": r"\&",
    "#": r"\#",
    "_": r"\_",
    "$": r"\$",
    "~": r"\textasciitilde{}",
    # \textasciicircum reads back as U+02C6 in common decoders; \string^ is the ASCII
    # caret itself, and the {} keeps a following ^ from forming TeX's ^^ notation.
    "^": r"\string^{}",
    # An @ at the start of a line looks like the start of the next entry to some parsers.
    "@": "{@}",
}
# Pairs that LaTeX turns into one character (-- into a dash, `` into a quote, ?` into ¿):
# an empty group between them keeps both characters.
_LIGATURE = re.compile(r"(?<=-)(?=-)|(?<=`)(?=`)|(?<=')(?=')|(?<=[?!])(?=`)|(?<=<)(?=<)|"
                       r"(?<=>)(?=>)|(?<=,)(?=,)")  # fmt: skip
_SPECIAL = re.compile(r"[\\{}%&#_$~^@]")
# LaTeX accent commands for the combining marks that Latin letters decompose into.
_ACCENTS = {
    "\u0300": "`",
    "\u0301": "'",
    "\u0302": "^",
    "\u0303": "~",
    "\u0304": "=",
    "\u0306": "u",
    "\u0307": ".",
    "\u0308": '"',
    "\u030a": "r",
    "\u030b": "H",
    "\u030c": "v",
    "\u0323": "d",
    "\u0327": "c",
    "\u0328": "k",
}
_LATIN_LETTERS = {
    "ß": r"\ss{}",
    "æ": r"\ae{}",
    "Æ": r"\AE{}",
    "œ": r"\oe{}",
    "Œ": r"\OE{}",
    "ø": r"\o{}",
    "Ø": r"\O{}",
    "ł": r"\l{}",
    "Ł": r"\L{}",
    "ı": r"\i{}",
}


def _latex_letter(char: str) -> str:
    """A non-ASCII character in ASCII LaTeX: an accented Latin letter as accent commands;
    anything else shown escaped as everywhere in pubcli (``\\u4e2d``, as text)."""
    if char in _LATIN_LETTERS:
        return _LATIN_LETTERS[char]
    decomposed = unicodedata.normalize("NFD", char)
    base, marks = decomposed[0], decomposed[1:]
    if base.isascii() and base.isalpha() and marks and all(m in _ACCENTS for m in marks):
        text = base
        for mark in marks:
            text = f"\\{_ACCENTS[mark]}{{{text}}}"
        return "{" + text + "}"
    code = ord(char)
    escaped = (
        f"\\x{code:02x}"
        if code <= 0xFF
        else f"\\u{code:04x}"
        if code <= 0xFFFF
        else (f"\\U{code:08x}")
    )
    return escaped.replace("\\", _LATEX_SPECIAL["\\"])


def latex_text(text: str, *, ascii_only: bool = False) -> str:
    """``text`` as the value of a BibTeX field: no character of it acts as BibTeX or LaTeX
    syntax. With ``ascii_only``, non-ASCII letters become LaTeX accent commands."""
    text = _SPECIAL.sub(lambda match: _LATEX_SPECIAL[match.group()], escape_controls(text))
    # After the specials, whose own {} must stay braces.
    text = _LIGATURE.sub("{}", text)
    if ascii_only:
        text = "".join(c if c.isascii() else _latex_letter(c) for c in text)
    return text


def bibtex_entry(publication: Record, *, ascii_only: bool = False) -> str:
    """One BibTeX entry, its key the id: every value braced and escaped, the title in a
    second pair of braces so that styles keep its capitals."""
    kind = citation_type(publication["type"])

    def value(text: str) -> str:
        return latex_text(text, ascii_only=ascii_only)

    fields = [
        ("author", " and ".join("{" + value(c) + "}" for c in publication["components"])),
        ("title", "{" + value(publication["title"]) + "}"),
        ("type", value(publication["type"])),
    ]
    if kind.bibtex == "techreport":
        # BibTeX's techreport requires an institution: the issuing components.
        fields.append(("institution", value(", ".join(publication["components"]))))
    number = series_number(publication["title"])
    if number:
        fields.append(("number", value(number)))
    if publication["date"]:
        fields.append(("year", publication["date"][:4]))
        fields.append(("date", publication["date"]))
    if publication["summary"]:
        fields.append(("abstract", value(publication["summary"])))
    if publication["topics"]:
        fields.append(("keywords", value(", ".join(publication["topics"]))))
    if publication["url"]:
        fields.append(("url", value(publication["url"])))
    body = "".join(f"  {name} = {{{text}}},\n" for name, text in fields)
    return f"@{kind.bibtex}{{{publication['id']},\n{body}}}\n"


def bibtex_chunks(publications: Iterable[Record], *, ascii_only: bool = False) -> Iterator[str]:
    """One BibTeX entry per publication, a blank line between; nothing when empty."""
    separator = ""
    for publication in publications:
        yield separator + bibtex_entry(publication, ascii_only=ascii_only)
        separator = "\n"


# --- RIS -----------------------------------------------------------------------------

_LINE_BREAKS = re.compile(r"\s*\n\s*")


def _ris_value(text: str) -> str:
    """One line of RIS: a line break (with the spaces around it) becomes one space, so no
    line of the data can ever start a tag of its own; ends trimmed, as readers trim them."""
    return _LINE_BREAKS.sub(" ", escape_controls(text)).strip()


def ris_record(publication: Record) -> str:
    """One RIS record, ``TY`` to ``ER``: one tag per line, lists as repeated tags."""
    kind = citation_type(publication["type"])
    lines = [("TY", kind.ris), ("ID", publication["id"]), ("TI", publication["title"])]
    lines += [("AU", component) for component in publication["components"]]
    lines.append(("M3", publication["type"]))
    number = series_number(publication["title"])
    if number:
        lines.append(("SN", number))
    if publication["date"]:
        year, month, day = publication["date"].split("-")
        lines += [("PY", year), ("DA", f"{year}/{month}/{day}/")]
    if publication["summary"]:
        lines.append(("AB", publication["summary"]))
    lines += [("KW", topic) for topic in publication["topics"]]
    if publication["url"]:
        # RIS separates several URLs in one UR line by semicolons: a semicolon of the URL
        # itself is written percent-encoded, which addresses the same resource.
        lines.append(("UR", publication["url"].replace(";", "%3B")))
    text = "".join(f"{tag}  - {_ris_value(value)}\n" for tag, value in lines)
    return text + "ER  - \n"


def ris_chunks(publications: Iterable[Record]) -> Iterator[str]:
    """RIS records, a blank line between; nothing when empty."""
    separator = ""
    for publication in publications:
        yield separator + ris_record(publication)
        separator = "\n"
