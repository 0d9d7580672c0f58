"""The search grammar of ``--text``: parsing a query, and what it means for one entry.

A query is terms separated by whitespace; every term must hold (AND), except that
``A OR B`` holds when either does. ``OR`` binds tighter than the implicit AND, as in
Google's and GitHub's search: ``a b OR c d`` means a AND (b OR c) AND d. A term is

- a word: it occurs in the text (a substring, so ``opioid`` finds ``opioids``);
- a ``"quoted phrase"``: its words occur adjacent and in order. Precisely: the phrase,
  folded and with every run of whitespace made one space, occurs as a substring of one
  field treated the same way (so ``"der sec"`` finds "border  security"). A word is a
  phrase of one word;
- either of them after ``-`` (``-word``, ``-"a phrase"``): the entry must not hold it;
- either of them after a field prefix, ``title:``, ``summary:``, ``id:``, ``type:``,
  ``component:`` or ``topic:`` (``title:"border wall"``, ``-topic:storm``): it must occur
  in that field (in one component, one topic). Without a prefix a term may occur in any
  of these fields, but never across two of them.

Folded means as ``fold`` does: casefolded, with NFC and NFD spellings made one. ``OR`` is
an operator only when written in capitals, unquoted and alone; ``or`` is a word. ``-``
excludes only at the start of a term (``covid-19`` is one word). A word ``foo:bar`` whose
prefix is not one of the six fields is a word with a colon in it (URLs, times). Every
``"`` opens or closes a phrase (a quote inside a word ends the word), so a double quote
itself cannot be searched for.

A malformed query is a ``QuerySyntaxError`` naming the column (counted from 1) where the
problem is: a quote never closed, an empty phrase, ``-`` or a field prefix with nothing
after it, ``OR`` without a term on each side.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple, Protocol

from pubcli.errors import UsageError
from pubcli.safe_text import quoted

FIELDS = ("id", "title", "type", "summary", "component", "topic")
"""The fields a term can be limited to, in the order of ``field_groups``."""

OR = "OR"


class QuerySyntaxError(UsageError):
    """A ``--text`` query that cannot be read; the message names the column."""

    def __init__(self, query: str, column: int, problem: str) -> None:
        super().__init__(f"--text {quoted(query)}: {problem} at column {column}")
        self.column = column


class Term(NamedTuple):
    """One word or phrase, where it must occur, and whether it must not."""

    needle: str
    """Folded, runs of whitespace as one space, none at either end; never empty."""
    field: int | None = None
    """Index into ``FIELDS``; None: any field."""
    negated: bool = False


Clause = tuple[Term, ...]
"""Terms joined by OR: the clause holds when any of them does."""
Query = tuple[Clause, ...]
"""Clauses joined by AND: the query holds when every clause does (no clause: always)."""


def fold(text: str) -> str:
    """Text as ``--text`` compares it: casefolded, and canonically equivalent spellings
    (NFC ``é`` and NFD ``e`` + U+0301) made one: NFD, casefold, NFC. The last casefold
    keeps the result unchanged by another casefold."""
    if text.isascii():
        folded = text.casefold()
        # The text itself when folding leaves it as it is (an id, a lowercase word): a
        # large index then holds one copy of it, not two.
        return text if folded == text else folded
    import unicodedata  # not for ASCII: the warm route stays lean

    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", text).casefold()).casefold()


def normalize(text: str) -> str:
    """Folded, with every run of whitespace one space and none at either end."""
    return " ".join(fold(text).split())


FieldGroups = tuple[tuple[str, ...], ...]
"""The normalized text of each field of ``FIELDS`` (several for components and topics)."""


class Searchable(Protocol):
    """What a query searches in an entry (a ``Publication``, without importing it)."""

    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def components(self) -> Sequence[str]: ...
    @property
    def topics(self) -> Sequence[str]: ...


def field_groups(
    id_: str,
    title: str,
    type_: str,
    summary: str,
    components: Iterable[str],
    topics: Iterable[str],
    each: Callable[[str], str] = normalize,
) -> FieldGroups:
    """What a query searches in one entry, field by field (see ``FIELDS``): each value
    ``normalize``d, or as ``each`` makes it."""
    return (
        (each(id_),),
        (each(title),),
        (each(type_),),
        (each(summary),),
        tuple(map(each, components)),
        tuple(map(each, topics)),
    )


def publication_groups(
    publication: Searchable, each: Callable[[str], str] = normalize
) -> FieldGroups:
    """``field_groups`` of one publication. The token index takes each value ``fold``ed
    only, its whitespace left as it is: the same tokens by ``str.split`` (normalizing a
    value would split and join it only to be split again)."""
    return field_groups(
        publication.id,
        publication.title,
        publication.type,
        publication.summary,
        publication.components,
        publication.topics,
        each,
    )


def term_holds(term: Term, groups: FieldGroups) -> bool:
    """Whether the term's needle occurs in one field of ``groups`` it may occur in
    (negation aside)."""
    searched = groups if term.field is None else (groups[term.field],)
    needle = term.needle
    return any(needle in value for group in searched for value in group)


def matches(query: Query, groups: FieldGroups) -> bool:
    """Whether one entry, given by its ``field_groups``, satisfies ``query``."""
    return all(
        any(term_holds(term, groups) != term.negated for term in clause) for clause in query
    )


def select(
    query: Query, count: int, entries_with: Callable[[Term, Sequence[int] | None], set[int]]
) -> list[int]:
    """The entries 0 .. count-1 that satisfy ``query``, in order, for a store that can say
    which entries hold a term: ``entries_with(term, within)`` gives the entries of
    ``within`` (None: all of them) in which the term's needle occurs, negation aside.

    The same meaning as ``matches``, by sets: clauses without a negated term go first,
    as they narrow the most; each later clause is only asked about what is left."""
    ordered = sorted(query, key=lambda clause: any(term.negated for term in clause))
    within: list[int] | None = None
    for clause in ordered:
        chosen: set[int] = set()
        for term in clause:
            holding = entries_with(term, within)
            if term.negated:
                chosen.update(
                    index
                    for index in (range(count) if within is None else within)
                    if index not in holding
                )
            else:
                chosen.update(holding)
        within = sorted(chosen)
        if not within:
            break
    return list(range(count)) if within is None else within


# --- parsing ---------------------------------------------------------------------------


class _Token(NamedTuple):
    term: Term | None  # None: the OR operator
    column: int


def parse(query: str) -> Query:
    """Read a ``--text`` query (see the module's description); the same term or clause
    given twice is kept once. Raises ``QuerySyntaxError``."""
    tokens = list(_tokens(query))
    clauses: list[list[Term]] = []
    expecting_term = True  # at the start, and after OR
    for position, token in enumerate(tokens):
        if token.term is None:
            following = tokens[position + 1] if position + 1 < len(tokens) else None
            if expecting_term or following is None or following.term is None:
                raise QuerySyntaxError(query, token.column, "OR needs a term on each side")
            expecting_term = True
            continue
        if expecting_term and clauses:
            clauses[-1].append(token.term)  # the term after an OR
        else:
            clauses.append([token.term])
        expecting_term = False
    unique = (tuple(dict.fromkeys(clause)) for clause in clauses)
    return tuple(dict.fromkeys(unique))


def _tokens(query: str) -> Iterable[_Token]:
    position, end = 0, len(query)
    while position < end:
        if query[position].isspace():
            position += 1
            continue
        start = position
        negated = query[position] == "-"
        if negated:
            position += 1
            if position == end or query[position].isspace():
                raise QuerySyntaxError(query, start + 1, "'-' with nothing to exclude")
        field = None
        colon = query.find(":", position, position + 10)  # the longest field name and ':'
        if colon > position and query[position:colon] in FIELDS:
            field = FIELDS.index(query[position:colon])
            if colon + 1 == end or query[colon + 1].isspace():
                raise QuerySyntaxError(
                    query, position + 1, f"'{query[position : colon + 1]}' with nothing after it"
                )
            position = colon + 1
        if query[position] == '"':
            closing = query.find('"', position + 1)
            if closing < 0:
                raise QuerySyntaxError(query, position + 1, "a quote that is never closed")
            needle = normalize(query[position + 1 : closing])
            if not needle:
                raise QuerySyntaxError(query, position + 1, "an empty phrase")
            yield _Token(Term(needle, field, negated), start + 1)
            position = closing + 1
            continue
        word_end = position
        while word_end < end and not query[word_end].isspace() and query[word_end] != '"':
            word_end += 1
        word = query[position:word_end]
        if word == OR and not negated and field is None:
            yield _Token(None, start + 1)
        elif word:
            yield _Token(Term(normalize(word), field, negated), start + 1)
        position = word_end
