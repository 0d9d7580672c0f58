"""The command line: parse arguments, call the core, print, and choose the exit code.

This is the only module that knows Typer. Everything it prints goes through the
helpers at the top, so that escaping, encodings and closed pipes are handled once.
"""

import contextlib
import copy
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Protocol, TextIO

import typer

from pubcli import __version__, exit_codes
from pubcli.catalogue.locate import find_catalogue, refuse_empty
from pubcli.cli import listing
from pubcli.cli.failures import report
from pubcli.cli.reading import ask, cache_directory_for
from pubcli.config import COLOR_CHOICES
from pubcli.errors import InvalidInputError, NoMatchError, UsageError
from pubcli.fields import FIELD_NAMES, Record
from pubcli.model import Publication
from pubcli.output.environment import (
    choose_format,
    current,
    current_width,
    set_global_options,
)
from pubcli.output.formats import FORMATS, dump_json
from pubcli.output.reports import (
    CHECK_FORMATS,
    RECORD_FORMATS,
    STATS_FORMATS,
    print_check,
    print_records,
    print_stats,
)
from pubcli.output.streams import decode_answer, decode_arguments, say, warn_newer_schema, write
from pubcli.safe_text import one_line
from pubcli.store.memory import Store
from pubcli.store.query import SORT_KEYS
from pubcli.store.stats import FACETS
from pubcli.wording import counted

# --- options shared by several commands ----------------------------------------------


# Each choice is an enum built from the core's own constant, so that a format, order or
# facet added to the core is accepted here and by the quick route alike (mypy cannot see
# the members of an enum built from a variable, hence the ignores).
OutputFormat = StrEnum("OutputFormat", {v: v for v in FORMATS})  # type: ignore[misc]
"""The formats of list and filter."""
ShowFormat = StrEnum("ShowFormat", {v: v for v in RECORD_FORMATS})  # type: ignore[misc]
"""The formats of show and add."""
SortKey = StrEnum("SortKey", {v: v for v in SORT_KEYS})  # type: ignore[misc]
"""The orders of list and filter."""
CheckFormat = StrEnum("CheckFormat", {v: v for v in CHECK_FORMATS})  # type: ignore[misc]
"""The formats of check."""
StatsFormat = StrEnum("StatsFormat", {v: v for v in STATS_FORMATS})  # type: ignore[misc]
"""The formats of stats."""
Facet = StrEnum("Facet", {v: v for v in FACETS})  # type: ignore[misc]
"""What stats counts by."""
DEFAULT_SORT = SortKey("date")
DEFAULT_CHECK_FORMAT = CheckFormat("text")


def _value(choice: StrEnum | None) -> str | None:
    return choice.value if choice is not None else None


def _format_option(help_text: str, metavar: str | None = None) -> Any:
    """The ``--format``/``-f`` option of a command, its default told in ``help_text``."""
    return typer.Option("--format", "-f", help=help_text, show_default=False, metavar=metavar)


CatalogueOption = Annotated[
    str | None,
    typer.Option(
        "--catalogue",
        "-c",
        metavar="PATH",
        help="Catalogue file [default: $PUBCLI_CATALOGUE, else the config file's "
        "catalogue, else data/publications.toml here or in the nearest parent directory].",
        show_default=False,
    ),
]
SortOption = Annotated[
    SortKey,
    typer.Option(help="Order by date (newest first, undated last) or by title, id or type."),
]
ReverseOption = Annotated[bool, typer.Option("--reverse", help="Reverse the whole order.")]
LimitOption = Annotated[
    int | None,
    typer.Option(
        min=0, metavar="N", help="Print only the first N after sorting.", show_default=False
    ),
]
FormatOption = Annotated[
    OutputFormat | None,
    # The choices in the help, not the metavar: seven of them make a term too long for
    # a narrow terminal, which would then wrap it mid-word.
    _format_option(
        f"Output format: {', '.join(FORMATS[:-1])} or {FORMATS[-1]} "
        "[default: table on a terminal, else tsv].",
        metavar="FORMAT",
    ),
]
ColumnsOption = Annotated[
    str | None,
    typer.Option(
        metavar="LIST",
        help="Columns to print, in order, separated by commas (such as id,date,title), "
        f"of: {', '.join(FIELD_NAMES)}.",
        show_default=False,
    ),
]


def _complete_from_catalogue(kind: str) -> Callable[[typer.Context, str], list[str]]:
    """A completer of ids or facet values from the catalogue: fast (cached) and silent."""

    def complete(ctx: typer.Context, incomplete: str) -> list[str]:
        try:
            option = ctx.params.get("catalogue") or ctx.find_root().params.get("catalogue")
            path, display = find_catalogue(option, os.environ, Path.cwd())
            from pubcli.store.memory import open_store

            store = open_store(path, display, cache_directory_for(False))
            values = store.all_ids() if kind == "id" else store.facet_values(kind)
        except Exception:  # completion never prints errors into the shell
            return []
        folded = incomplete.casefold()
        return [value for value in values if value.casefold().startswith(folded)]

    return complete


def _facet_option(kind: str, help_text: str, *flags: str) -> Any:
    """A repeatable criterion on a facet whose values Tab completes from the catalogue."""
    return typer.Option(
        *flags,
        metavar=kind[0].upper(),
        help=help_text,
        show_default=False,
        autocompletion=_complete_from_catalogue(kind),
    )


TypeOption = Annotated[
    list[str] | None, _facet_option("type", "Type equals T, ignoring case.", "--type")
]
ComponentOption = Annotated[
    list[str] | None, _facet_option("component", "A component equals C, ignoring case.")
]
TopicOption = Annotated[
    list[str] | None, _facet_option("topic", "A topic equals T, ignoring case.")
]
SinceOption = Annotated[
    str | None,
    typer.Option(
        metavar="D", help="Dated on or after D (YYYY, YYYY-MM or YYYY-MM-DD).", show_default=False
    ),
]
UntilOption = Annotated[
    str | None,
    typer.Option(
        metavar="D", help="Dated on or before D (YYYY, YYYY-MM or YYYY-MM-DD).", show_default=False
    ),
]
TextOption = Annotated[
    list[str] | None,
    typer.Option(
        metavar="QUERY",
        help="Every word occurs, ignoring case, in the id, title, type, summary, a component "
        'or a topic. "a phrase": its words adjacent, in order. -word or -"a phrase": '
        "not there. A OR B: either (OR binds tighter than the implicit AND). "
        "title:, summary:, id:, type:, component:, topic: before a word or phrase: in "
        "that field. Given twice: either query.",
        show_default=False,
    ),
]


NoCacheOption = Annotated[
    bool,
    typer.Option("--no-cache", help="Read the file itself, not the cache (or PUBCLI_NO_CACHE=1)."),
]

ROOT_HELP = """A command-line catalogue of publications.

Examples:
  pubcli list
  pubcli filter --text opioid
  pubcli show mpp
  pubcli filter --type Statement --format json | jq -r '.[].id'

Run 'pubcli COMMAND --help' for the options of a command."""

ROOT_EPILOG = (
    f"Formats: --format {', '.join(FORMATS[:-1])} or {FORMATS[-1]} for list and filter "
    "(default: a table on a terminal, else tsv); see each command's --help.\n\n"
    f"Exit status: {exit_codes.OK} done, {exit_codes.NO_MATCH} nothing matched or no such "
    f"publication, {exit_codes.USAGE} usage error or invalid input, {exit_codes.CATALOGUE} "
    f"catalogue problem, {exit_codes.INTERRUPTED} interrupted."
)
"""Where the formats and exit codes are told, after the commands (from the core's own lists)."""

app = typer.Typer(
    name="pubcli",
    help=ROOT_HELP,
    epilog=ROOT_EPILOG,
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        sys.stdout.write(f"pubcli {__version__}\n")
        raise typer.Exit()


ColorChoice = StrEnum("ColorChoice", {v: v for v in COLOR_CHOICES})  # type: ignore[misc]
"""The choices of --color."""


@app.callback()
def root(
    ctx: typer.Context,
    catalogue: CatalogueOption = None,
    color: Annotated[
        ColorChoice | None,
        typer.Option(
            "--color",
            help="Colour tables and views: auto (on a terminal, unless NO_COLOR is set), "
            "always or never [default: the config file's color, else auto]. "
            "Machine formats are never coloured.",
            show_default=False,
        ),
    ] = None,
    no_pager: Annotated[
        bool,
        typer.Option(
            "--no-pager",
            help="Never page a table or view taller than the terminal "
            "[default: page through $PUBCLI_PAGER, the config's pager, $PAGER or less -FRX].",
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_show_version, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """A command-line catalogue of publications.

    Run 'pubcli COMMAND --help' for the options of a command.
    """
    set_global_options(color=_value(color), no_pager=no_pager)
    ctx.obj = {"catalogue": catalogue}


# --- loading -------------------------------------------------------------------------


def _catalogue_option(ctx: typer.Context, catalogue: str | None) -> str | None:
    if catalogue is not None:  # an empty one too: find_catalogue refuses it
        return catalogue
    parent = ctx.find_root().obj
    return parent.get("catalogue") if isinstance(parent, dict) else None


# --- list and filter -----------------------------------------------------------------


@app.command("list")
def list_command(
    ctx: typer.Context,
    sort: SortOption = DEFAULT_SORT,
    reverse: ReverseOption = False,
    limit: LimitOption = None,
    output_format: FormatOption = None,
    columns: ColumnsOption = None,
    catalogue: CatalogueOption = None,
    no_cache: NoCacheOption = False,
) -> None:
    """List every publication, newest first.

    Examples:
      pubcli list --sort title --limit 5
      pubcli list --columns id,date,title --format csv
    """
    given = {**locals(), "catalogue": _catalogue_option(ctx, catalogue)}
    given.update(sort=sort.value, output_format=_value(output_format))
    raise typer.Exit(listing.answer("list", given))


@app.command("filter")
def filter_command(
    ctx: typer.Context,
    type_: TypeOption = None,
    component: ComponentOption = None,
    topic: TopicOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    text: TextOption = None,
    sort: SortOption = DEFAULT_SORT,
    reverse: ReverseOption = False,
    limit: LimitOption = None,
    output_format: FormatOption = None,
    columns: ColumnsOption = None,
    catalogue: CatalogueOption = None,
    no_cache: NoCacheOption = False,
) -> None:
    """Print the publications that match every criterion given.

    A criterion given several times matches any of its values. Exit status 1 when
    nothing matches, like grep.

    Examples:
      pubcli filter --type Statement --since 2019-08 --format json
      pubcli filter --text hurricane --format ids
      pubcli filter -f ids --text 'title:opioid OR fentanyl'
      pubcli filter --text '"border wall" -fence'
    """
    given = {**locals(), "catalogue": _catalogue_option(ctx, catalogue)}
    given.update(sort=sort.value, output_format=_value(output_format))
    raise typer.Exit(listing.answer("filter", given))


# --- show ----------------------------------------------------------------------------


@app.command("show")
def show_command(
    ctx: typer.Context,
    publication_ids: Annotated[
        list[str],
        typer.Argument(
            metavar="ID...",
            help="Full ids, or prefixes only one id starts with; - alone reads ids from "
            "standard input, one a line.",
            autocompletion=_complete_from_catalogue("id"),
            show_default=False,
        ),
    ],
    output_format: Annotated[
        ShowFormat | None,
        _format_option(
            f"Output format: {', '.join(RECORD_FORMATS[:-1])} or {RECORD_FORMATS[-1]} "
            "[default: table on a terminal, else field: value lines].",
            metavar="FORMAT",
        ),
    ] = None,
    catalogue: CatalogueOption = None,
    no_cache: NoCacheOption = False,
) -> None:
    """Show publications in full, in the order given.

    One ID prints one publication (a JSON object with --format json). Several, or - to
    read them from standard input, print each in turn (a JSON array with --format json),
    once per time it is named. If any ID matches no publication, or several, each is
    named on stderr, nothing is printed, and the exit status is 1.

    Examples:
      pubcli show mpp   # any unique prefix of an id will do
      pubcli show mpp-policy-guidance --format json
      pubcli filter --topic Privacy -f ids | pubcli show - --format json
    """
    from pubcli.store.lookup import find_ids

    many = len(publication_ids) > 1 or publication_ids == ["-"]
    wanted = _ids_of(publication_ids, none_read_is_empty=True)

    def question(store: Store) -> list[Record]:
        found = find_ids(store, wanted)
        if found.problems:
            raise NoMatchError("\n".join(found.problems))
        return store.records(found.indices)

    publications = ask(_catalogue_option(ctx, catalogue), no_cache, question)
    chosen = choose_format(_value(output_format), elsewhere="lines")
    print_records(publications, chosen, many=many)


# --- open ----------------------------------------------------------------------------


@app.command("open")
def open_command(
    ctx: typer.Context,
    publication_id: Annotated[
        str,
        typer.Argument(
            metavar="ID",
            help="A full id, or a prefix only one id starts with.",
            autocompletion=_complete_from_catalogue("id"),
        ),
    ],
    print_only: Annotated[
        bool, typer.Option("--print", help="Print the URL instead of opening it.")
    ] = False,
    catalogue: CatalogueOption = None,
    no_cache: NoCacheOption = False,
) -> None:
    """Open a publication's URL in the web browser ($BROWSER, else the system's).

    Without a browser to open it with, the URL is printed instead. Exit status 1 when
    the publication has no URL.

    Examples:
      pubcli open statement-hurricane   # any unique prefix of an id will do
      pubcli open statement-hurricane-dorian --print
    """
    from pubcli.output.browser import open_in_browser
    from pubcli.store.lookup import resolve_id

    def question(store: Store) -> Record:
        index = resolve_id(store, publication_id)
        return store.records([index])[0]

    publication = ask(_catalogue_option(ctx, catalogue), no_cache, question)
    url = publication["url"]
    if url is None:
        raise NoMatchError(f"{publication['id']} has no URL to open")
    if print_only:
        write([one_line(url) + "\n"])
    elif open_in_browser(url):
        say("", f"opened {one_line(url)}")
    else:
        write([one_line(url) + "\n"])
        say("note: ", "no browser to open it with; set BROWSER to choose one")


# --- add -----------------------------------------------------------------------------


def _read_json_input(source: str) -> str:
    try:
        data = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read {one_line(source)}: {error.strerror or error}") from None
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise UsageError(f"{one_line(source)}:{line}: not valid UTF-8") from None
    if not text.strip():
        # json's "Expecting value" would not say which input was empty.
        name = "standard input" if source == "-" else one_line(source)
        raise UsageError(f"{name}: no JSON value (the input is empty)")
    return text


_PROMPTS = {"title": "Title", "type": "Type", "components": "Components (comma-separated)"}
_OPTION_OF_KEY = {"components": "--component", "topics": "--topic"}
"""The option of add that gives a key, where the two are spelt differently."""


def _option_of(key: str) -> str:
    return _OPTION_OF_KEY.get(key, f"--{key}")


def _fields_from_flags(flags: dict[str, object]) -> dict[str, object]:
    """The new entry's keys from the flags, prompting for missing required ones on a terminal."""
    from pubcli.catalogue.new_entries import PROMPTED_FIELDS

    fields = {key: value for key, value in flags.items() if value not in (None, [])}
    missing = [key for key in PROMPTED_FIELDS if key not in fields]
    if missing and not current().stdin_isatty:
        names = ", ".join(map(_option_of, missing))
        raise UsageError(f"missing required field{'s' if len(missing) > 1 else ''}: {names}")
    for key in missing:
        fields[key] = _ask(key, id_given="id" in fields)
    return fields


def _ask(key: str, *, id_given: bool) -> object:
    """Prompt for ``key`` until the answer passes the rules that add applies, showing what
    is wrong with each answer that does not."""
    from pubcli.catalogue.new_entries import answer_problems, answer_value

    while True:
        with _question_line(sys.stdout):
            answer = typer.prompt(_PROMPTS[key], default="", show_default=False)
        try:
            answer = decode_answer(answer)
        except UsageError as error:
            say("error: ", str(error))
            continue
        value = answer_value(key, answer)
        problems = answer_problems(key, value, id_given=id_given)
        if not problems:
            return value
        for problem in problems:
            say("error: ", problem)


@app.command("add")
def add_command(
    ctx: typer.Context,
    title: Annotated[str | None, typer.Option(help="Title, one line.", show_default=False)] = None,
    type_: Annotated[
        str | None,
        typer.Option("--type", help="Type, such as Statement or Letter.", show_default=False),
    ] = None,
    component: Annotated[
        list[str] | None,
        typer.Option(
            metavar="C", help="Agency or component; repeat for several.", show_default=False
        ),
    ] = None,
    date: Annotated[
        str | None,
        typer.Option(metavar="YYYY-MM-DD", help="Publication date.", show_default=False),
    ] = None,
    topic: Annotated[
        list[str] | None,
        typer.Option(metavar="T", help="Subject tag; repeat for several.", show_default=False),
    ] = None,
    summary: Annotated[str | None, typer.Option(help="Summary text.", show_default=False)] = None,
    url: Annotated[
        str | None, typer.Option(help="Absolute http(s) address.", show_default=False)
    ] = None,
    id_: Annotated[
        str | None,
        typer.Option("--id", help="Id [default: a slug of the title].", show_default=False),
    ] = None,
    from_json: Annotated[
        str | None,
        typer.Option(
            metavar="FILE",
            help="Add the records of FILE (- for stdin): a JSON object, an array of objects, "
            "or JSON Lines. All or nothing.",
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Check and print the TOML to append (with --format, the entries in that "
            "format); write nothing.",
        ),
    ] = False,
    output_format: Annotated[
        ShowFormat | None,
        _format_option(
            f"How to print the added entries: {', '.join(RECORD_FORMATS[:-1])} or "
            f"{RECORD_FORMATS[-1]}; json is always an array [default: table on a "
            "terminal, else field: value lines].",
            metavar="FORMAT",
        ),
    ] = None,
    catalogue: CatalogueOption = None,
    no_cache: NoCacheOption = False,
) -> None:
    """Add publications to the end of the catalogue.

    Missing required fields are asked for on a terminal; otherwise add fails naming them.
    Nothing in the file before is changed, and concurrent adds all land.

    Examples:
      pubcli add --title "A Statement" --type Statement --component ICE --date 2020-09-01
      pubcli add --from-json new.json --dry-run
    """
    from pubcli.catalogue.new_entries import parse_json_records, prepare, prepare_records
    from pubcli.catalogue.writer import read_bytes, render_block, target_of
    from pubcli.store.updates import add_publications, plan_add

    flags: dict[str, object] = {
        "id": id_,
        "title": title,
        "type": type_,
        "date": date,
        "components": component,
        "topics": topic,
        "summary": summary,
        "url": url,
    }
    path, display = find_catalogue(_catalogue_option(ctx, catalogue), os.environ, Path.cwd())
    if from_json is not None:
        given = [_option_of(key) for key, value in flags.items() if value not in (None, [])]
        if given:
            raise UsageError(f"--from-json cannot be combined with {', '.join(given)}")
        new = prepare_records(parse_json_records(_read_json_input(from_json)))
    else:
        publication, problems = prepare(_fields_from_flags(flags))
        if publication is None:
            raise InvalidInputError(problems)
        new = [publication]
    if dry_run:
        _, new, notes = plan_add(read_bytes(target_of(path, display)), display, new)
        for note in notes:
            say("note: ", note)
        if output_format is None:
            write([render_block(new)])
        else:  # an explicit format wins: the entries that would be added, in that format
            print_records([p.to_record() for p in new], output_format.value, many=True)
        return
    added = add_publications(path, display, new, cache_directory_for(no_cache))
    for note in added.notes:
        say("note: ", note)
    for warning in added.warnings:
        say("warning: ", warning)
    new = added.publications
    for publication in new:
        say("", f"added {publication.id} to {one_line(display)}")
    chosen = choose_format(_value(output_format), elsewhere="lines")
    print_records([p.to_record() for p in new], chosen, many=True)


# --- edit and remove -----------------------------------------------------------------


IdsArgument = Annotated[
    list[str],
    typer.Argument(
        metavar="ID...",
        help="Full ids (never a prefix); - alone reads them from stdin, one a line.",
        autocompletion=_complete_from_catalogue("id"),
        show_default=False,
    ),
]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Print the change as a unified diff; write nothing.")
]


def _ids_of(ids: list[str], *, none_read_is_empty: bool = False) -> list[str]:
    """The ids given, or read from standard input when ``-`` is the only one; none read
    is a usage error, unless ``none_read_is_empty`` (show: an empty answer)."""
    from pubcli.catalogue.changes import read_ids

    if "-" not in ids:
        return ids
    if len(ids) > 1:
        raise UsageError("'-' reads the ids from standard input: give it as the only ID")
    try:
        text = sys.stdin.buffer.read().decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError("standard input: the ids are not valid UTF-8") from None
    read = read_ids(text)
    if not read and not none_read_is_empty:
        raise UsageError("standard input holds no ids")
    return read


def _list_option(help_text: str, metavar: str = "C") -> Any:
    return typer.Option(metavar=metavar, help=help_text, show_default=False)


@app.command("edit")
def edit_command(
    ctx: typer.Context,
    ids: IdsArgument,
    title: Annotated[
        str | None, typer.Option(metavar="T", help="New title.", show_default=False)
    ] = None,
    type_: Annotated[
        str | None, typer.Option("--type", metavar="T", help="New type.", show_default=False)
    ] = None,
    date: Annotated[
        str | None, typer.Option(metavar="YYYY-MM-DD", help="New date.", show_default=False)
    ] = None,
    no_date: Annotated[bool, typer.Option("--no-date", help="Make it undated.")] = False,
    add_component: Annotated[
        list[str] | None, _list_option("Add a component; repeat for several.")
    ] = None,
    remove_component: Annotated[
        list[str] | None, _list_option("Remove a component (ignoring case); repeatable.")
    ] = None,
    add_topic: Annotated[list[str] | None, _list_option("Add a topic; repeatable.", "T")] = None,
    remove_topic: Annotated[
        list[str] | None, _list_option("Remove a topic (ignoring case); repeatable.", "T")
    ] = None,
    summary: Annotated[
        str | None, typer.Option(metavar="S", help="New summary.", show_default=False)
    ] = None,
    no_summary: Annotated[bool, typer.Option("--no-summary", help="Drop the summary.")] = False,
    url: Annotated[
        str | None,
        typer.Option(metavar="U", help="New absolute http(s) address.", show_default=False),
    ] = None,
    no_url: Annotated[bool, typer.Option("--no-url", help="Drop the URL.")] = False,
    new_id: Annotated[
        str | None,
        typer.Option("--id", metavar="NEW", help="Rename (one ID only).", show_default=False),
    ] = None,
    dry_run: DryRunOption = False,
    output_format: Annotated[
        ShowFormat | None,
        _format_option("How to print the edited entries [default: table on a terminal]."),
    ] = None,
    catalogue: CatalogueOption = None,
    no_cache: NoCacheOption = False,
) -> None:
    """Change publications in place; nothing else in the file moves.

    With options, applies them to every ID given, all or nothing. With none, on a
    terminal, opens the entry in $VISUAL, else $EDITOR, else vi.

    Examples:
      pubcli edit mpp-policy-guidance --title "Policy Guidance" --add-topic Asylum
      pubcli filter --type Form -f ids | pubcli edit - --add-topic Forms
      pubcli edit mpp-policy-guidance   # in your editor
    """
    from pubcli.catalogue.changes import FieldChanges, plan_edit, unified_diff
    from pubcli.catalogue.writer import read_bytes, target_of
    from pubcli.store.updates import edit_publications

    changes = FieldChanges(
        title=title,
        type=type_,
        date=date,
        no_date=no_date,
        add_components=tuple(add_component or ()),
        remove_components=tuple(remove_component or ()),
        add_topics=tuple(add_topic or ()),
        remove_topics=tuple(remove_topic or ()),
        summary=summary,
        no_summary=no_summary,
        url=url,
        no_url=no_url,
        new_id=new_id,
    )
    if changes.conflicts():
        raise UsageError(changes.conflicts()[0])
    path, display = find_catalogue(_catalogue_option(ctx, catalogue), os.environ, Path.cwd())
    if not changes:
        _edit_in_editor(path, display, ids, dry_run=dry_run, no_cache=no_cache)
        return
    wanted = _ids_of(ids)
    if dry_run:
        change = plan_edit(read_bytes(target_of(path, display)), display, wanted, changes)
        write([unified_diff(change, display)])
        return
    edited = edit_publications(path, display, wanted, changes, cache_directory_for(no_cache))
    for warning in edited.warnings:
        say("warning: ", warning)
    _say_edited(edited)
    chosen = choose_format(_value(output_format), elsewhere="lines")
    many = len(ids) > 1 or ids == ["-"]  # as show: the shape follows the call, not the data
    print_records([p.to_record() for p in edited.publications], chosen, many=many)


def _say_edited(change: Any) -> None:
    for id_ in change.changed:
        say("", f"edited {one_line(id_)}")


def _edit_in_editor(
    path: Path, display: str, ids: list[str], *, dry_run: bool, no_cache: bool
) -> None:
    from pubcli.cli.editing import edit_in_editor

    if dry_run or len(ids) != 1 or ids == ["-"]:
        raise UsageError(
            "without field options (such as --title T), edit opens one ID in your editor"
        )
    if not current().stdin_isatty:
        raise UsageError(
            "no change given: name one (such as --title T), or run edit on a terminal to "
            "change the entry in your editor"
        )
    change = edit_in_editor(path, display, ids[0], cache_directory_for(no_cache))
    if change is None:
        say("", "edit cancelled: the entry was left unchanged; nothing was written")
        return
    _say_edited(change)


@app.command("remove")
def remove_command(
    ctx: typer.Context,
    ids: IdsArgument,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask (required without a terminal).")
    ] = False,
    dry_run: DryRunOption = False,
    catalogue: CatalogueOption = None,
    no_cache: NoCacheOption = False,
) -> None:
    """Remove publications: each entry's block, with the comment lines directly above it.

    On a terminal, shows them and asks first; otherwise --yes is required.

    Examples:
      pubcli remove old-statement --dry-run
      pubcli remove old-statement another-one --yes
    """
    from pubcli.catalogue.changes import entries_to_remove, plan_remove, unified_diff
    from pubcli.catalogue.writer import read_bytes, target_of
    from pubcli.store.updates import remove_publications

    path, display = find_catalogue(_catalogue_option(ctx, catalogue), os.environ, Path.cwd())
    wanted = _ids_of(ids)
    if dry_run:
        change = plan_remove(read_bytes(target_of(path, display)), display, wanted)
        write([unified_diff(change, display)])
        return
    if not yes:
        if not current().stdin_isatty or ids == ["-"]:
            raise UsageError("remove asks before it removes: without a terminal, give --yes")
        entries = entries_to_remove(read_bytes(target_of(path, display)), display, wanted)
        _confirm_removal(entries)
    removed = remove_publications(path, display, wanted, cache_directory_for(no_cache))
    for warning in removed.warnings:
        say("warning: ", warning)
    for id_ in removed.removed:
        say("", f"removed {one_line(id_)}")


@contextlib.contextmanager
def _question_line(stream: TextIO) -> Iterator[None]:
    """A question asked on ``stream`` that Ctrl-C (or Ctrl-D) cuts short: the terminal
    echoed ^C (or nothing) after it, so its line is ended for the error to start one of
    its own."""
    try:
        yield
    except typer.Abort:
        stream.write("\n")
        stream.flush()
        raise


def _confirm_removal(entries: Sequence[Any]) -> None:
    """Show what would go (id, date, title) and ask; a no ends the command, exit 0."""
    for raw in entries:
        date = raw.get("date")
        shown = [str(raw.get("id", "")), "undated" if date is None else str(date)]
        say("", "  ".join([*map(one_line, shown), one_line(str(raw.get("title", "")))]))
    question = f"Remove {counted(len(entries), 'publication')}?"
    with _question_line(sys.stderr):
        removing = typer.confirm(question, default=False, err=True)
    if not removing:
        say("", "nothing was removed")
        raise typer.Exit(exit_codes.OK)


# --- check ---------------------------------------------------------------------------


@app.command("check")
def check_command(
    ctx: typer.Context,
    output_format: Annotated[
        CheckFormat,
        typer.Option("--format", "-f", help="Report as text lines or as one JSON object."),
    ] = DEFAULT_CHECK_FORMAT,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help="Count warnings (entries sharing a URL) as problems: exit 3."
        ),
    ] = False,
    catalogue: CatalogueOption = None,
) -> None:
    """Validate the whole catalogue and report every problem.

    One line per problem, PATH:LINE: ID: message; exit status 3 if there is any,
    else 'ok: N publications' and 0. Entries that share a URL are warning lines,
    which change the exit status only with --strict. Conflict markers that a git
    merge left are reported with their lines. Meant for a maintainer's CI.

    Examples:
      pubcli check --strict
      pubcli check --catalogue data/publications.toml
    """
    from pubcli.catalogue.loader import (
        check_document,
        parse_toml,
        read_text,
        refuse_conflict_markers,
    )
    from pubcli.catalogue.problems import Problem
    from pubcli.catalogue.rules import same_url_warnings
    from pubcli.errors import UnresolvedConflictError
    from pubcli.output.reports import print_conflict

    path, display = find_catalogue(_catalogue_option(ctx, catalogue), os.environ, Path.cwd())
    try:
        text = read_text(path, display)
        loaded = check_document(parse_toml(text, display), text, display)
        # git's line merge may leave a whole conflict inside a multi-line string: the file
        # parses, and the conflict is still unresolved.
        refuse_conflict_markers(text, display)
    except UnresolvedConflictError as conflict:
        print_conflict(display, conflict.marker_lines, output_format.value)
        say(
            "error: ",
            f"unresolved merge conflict in {one_line(display)}: keep the right text between "
            "the markers and delete the marker lines",
        )
        raise typer.Exit(exit_codes.CATALOGUE) from None
    warn_newer_schema(loaded.newer_schema, display)
    warnings = [
        Problem(display, line, id_, message)
        for line, id_, message in same_url_warnings(loaded.publications, loaded.lines)
    ]
    problems = loaded.problems + (warnings if strict else [])
    problems.sort(key=lambda problem: problem.line)
    print_check(
        display,
        len(loaded.publications),
        problems,
        output_format.value,
        warnings=[] if strict else warnings,
    )
    if problems:
        count = len(problems)
        say("error: ", f"{counted(count, 'problem')} in {one_line(display)}")
        raise typer.Exit(exit_codes.CATALOGUE)


# --- merge-driver --------------------------------------------------------------------


@app.command("merge-driver")
def merge_driver_command(
    base: Annotated[
        Path, typer.Argument(metavar="BASE", help="The common ancestor's version (git's %O).")
    ],
    ours: Annotated[
        Path,
        typer.Argument(
            metavar="OURS", help="Our version, where the result is written (git's %A)."
        ),
    ],
    theirs: Annotated[Path, typer.Argument(metavar="THEIRS", help="Their version (git's %B).")],
    path: Annotated[
        str | None,
        typer.Argument(
            help="The catalogue's path in the repository (git's %P).", show_default=False
        ),
    ] = None,
) -> None:
    """Merge two branches' catalogues entry by entry: a git merge driver.

    Entries are matched by id: one added, changed or removed on one side only
    takes that side's text; one changed differently on both sides is a
    conflict, marked with git's <<<<<<< ======= >>>>>>> lines around that entry
    alone. The result is written into OURS. Exit status 0 when the merge is
    clean and passes check, 1 when there are conflicts, 3 on error (OURS left
    as it was). Set it up once per clone (see the README):

    Examples:
      git config merge.pubcli.name "pubcli catalogue merge"
      git config merge.pubcli.driver "pubcli merge-driver %O %A %B %P"
    """
    from pubcli.catalogue.merge import merge_files

    merged = merge_files(base, ours, theirs, path)
    shown = one_line(path or str(ours))
    for conflict in merged.conflicts:
        say("conflict: ", f"{shown}: {conflict}")
    for problem in merged.problems:
        say("conflict: ", f"merged by id, but check finds: {problem}")
    if merged.conflicts or merged.problems:
        raise typer.Exit(exit_codes.MERGE_CONFLICT)


# --- stats and schema ----------------------------------------------------------------


@app.command("stats")
def stats_command(
    ctx: typer.Context,
    by: Annotated[
        list[Facet] | None,
        typer.Option(
            help="Count by this facet (repeatable) [default: all four].", show_default=False
        ),
    ] = None,
    type_: TypeOption = None,
    component: ComponentOption = None,
    topic: TopicOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    text: TextOption = None,
    output_format: Annotated[
        StatsFormat | None,
        _format_option("Output format [default: table on a terminal, else csv]."),
    ] = None,
    catalogue: CatalogueOption = None,
    no_cache: NoCacheOption = False,
) -> None:
    """Count publications by type, component, topic or year.

    Years come newest first; other facets largest count first. The criteria of filter
    narrow what is counted; exit status 1 when they match nothing.

    Examples:
      pubcli stats --by year --component ICE
    """
    from pubcli.store.stats import all_counts

    criteria = listing.criteria_from(
        {"type_": type_, "component": component, "topic": topic, "since": since}
        | {"until": until, "text": text}
    )
    facets = [facet.value for facet in dict.fromkeys(by)] if by else list(FACETS)

    def question(store: Store) -> list[Publication]:
        return store.publications(store.select(criteria))

    counts = all_counts(ask(_catalogue_option(ctx, catalogue), no_cache, question), facets)
    print_stats(counts, choose_format(_value(output_format), elsewhere="csv"))
    if not any(rows for rows in counts.values()):
        raise typer.Exit(exit_codes.NO_MATCH)


# --- export ----------------------------------------------------------------------------

export_app = typer.Typer(
    name="export",
    help="Write the catalogue (or what the criteria of filter select) to another form.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(export_app)


@export_app.command("sqlite")
def export_sqlite_command(
    ctx: typer.Context,
    path: Annotated[
        str,
        typer.Argument(metavar="PATH", help="The database file to write (replaced whole)."),
    ],
    type_: TypeOption = None,
    component: ComponentOption = None,
    topic: TopicOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    text: TextOption = None,
    catalogue: CatalogueOption = None,
    no_cache: NoCacheOption = False,
) -> None:
    """Write the publications to a SQLite database, ready for Datasette.

    Tables publications, components and topics, and a full-text index over title and
    summary (sqlite-utils' layout: Datasette offers a search box). PATH is replaced
    atomically. The criteria of filter choose what is written; exit status 1, and
    nothing written, when they match nothing.

    Examples:
      pubcli export sqlite publications.db
      pubcli export sqlite statements.db --type Statement
    """
    from pubcli.output.sqlite import write_database

    option = _catalogue_option(ctx, catalogue)
    database = Path(path)
    criteria = listing.criteria_from(
        {"type_": type_, "component": component, "topic": topic, "since": since}
        | {"until": until, "text": text}
    )
    source, _ = find_catalogue(option, os.environ, Path.cwd())
    with contextlib.suppress(OSError):
        if database.exists() and os.path.samefile(database, source):
            raise UsageError(f"{one_line(str(database))} is the catalogue itself")

    def question(store: Store) -> list[Record]:
        return store.records(store.select(criteria))

    records = ask(option, no_cache, question)
    if not records:
        say("", "no publications match; nothing written")
        raise typer.Exit(exit_codes.NO_MATCH)
    count = write_database(database, records)
    plural = "s" if count != 1 else ""
    say("", f"exported {count} publication{plural} to {one_line(str(database))}")


@app.command("schema")
def schema_command(catalogue: CatalogueOption = None) -> None:
    """Print the JSON Schema (draft 2020-12) of one record of the json and jsonl output.

    Examples:
      pubcli schema > publication.schema.json
    """
    refuse_empty(catalogue)  # accepted as by every command; the schema does not depend on it
    from pubcli.output.schema import record_schema

    write([dump_json(record_schema(), indent=2, ascii_only=False) + "\n"])


# --- config and cache ----------------------------------------------------------------

config_app = typer.Typer(
    help="The user's config file: defaults for catalogue, color and pager.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(config_app, name="config")


@config_app.command("path")
def config_path_command() -> None:
    """Print where the config file is looked for (it need not exist).

    $XDG_CONFIG_HOME/pubcli/config.toml, else ~/.config/pubcli/config.toml.

    Example: pubcli config path
    """
    from pubcli.config import config_path

    write([one_line(str(config_path(os.environ))) + "\n"])


cache_app = typer.Typer(
    help="The cache that answers queries without parsing the catalogue.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(cache_app, name="cache")


def _cache_directory() -> Path:
    from pubcli.store.cache import cache_directory

    directory = cache_directory(os.environ)
    if directory is None:
        raise UsageError("no cache directory: set XDG_CACHE_HOME or HOME")
    return directory


def _warn_if_refused(directory: Path) -> None:
    """Say why a cache directory pubcli does not use shows no caches (else '0 caches'
    would hide that every query parses the whole catalogue)."""
    from pubcli.store.cache import refused_directory

    if refused_directory(directory):
        say(
            "warning: ",
            f"{one_line(str(directory))} is not used as the cache: it must be a directory"
            " of yours that no one else may write (not a symlink)",
        )


@cache_app.command("dir")
def cache_dir_command() -> None:
    """Print the cache directory (it need not exist yet).

    Example: pubcli cache dir
    """
    write([one_line(str(_cache_directory())) + "\n"])


@cache_app.command("info")
def cache_info_command(
    output_format: Annotated[
        CheckFormat, typer.Option("--format", "-f", help="As text lines or as one JSON object.")
    ] = DEFAULT_CHECK_FORMAT,
) -> None:
    """List each cached catalogue: its path, the cache's size on disk, and whether the
    catalogue still exists.

    Example: pubcli cache info --format json
    """
    from pubcli.output.reports import print_cache_info
    from pubcli.store.cache import cached_catalogues

    directory = _cache_directory()
    _warn_if_refused(directory)
    print_cache_info(str(directory), cached_catalogues(directory), output_format.value)


@cache_app.command("clear")
def cache_clear_command(ctx: typer.Context, catalogue: CatalogueOption = None) -> None:
    """Remove every cache, or only the catalogue's given by -c; the caches of catalogues
    that no longer exist go too. Nothing else in the directory is touched.

    Example: pubcli cache clear -c data/publications.toml
    """
    from pubcli.output.reports import print_cache_cleared
    from pubcli.store.cache import clear_cache

    chosen = _catalogue_option(ctx, catalogue)
    refuse_empty(chosen)
    directory = _cache_directory()
    _warn_if_refused(directory)
    removed = clear_cache(directory, Path(chosen) if chosen is not None else None)
    removed += clear_cache(directory, gone_only=True)
    print_cache_cleared(removed, chosen)


# --- shell completion ----------------------------------------------------------------

# Typer's scripts insert a value as it comes ('--type Privacy Impact Assessment', three
# words), let bash sort the candidates, and fall back to file names when there is no
# candidate (bash's '-o default', zsh's _files, fish without --no-files), so that 'show
# <Tab>' on a broken catalogue offered the files here. pubcli's scripts escape each value
# with printf %q, keep pubcli's order (-o nosort), and offer file names only for the
# options that take a path. The completion classes are Typer's, with those changes.
_BASH_SCRIPT = """
%(complete_func)s() {
    local IFS=$'\\n' line
    local -a reply
    reply=( $( env COMP_WORDS="${COMP_WORDS[*]}" COMP_CWORD=$COMP_CWORD \\
               %(autocomplete_var)s=complete_bash $1 ) )
    COMPREPLY=()
    for line in "${reply[@]}"; do
        if [[ $line == file,* ]]; then
            compopt -o default
        else
            COMPREPLY+=( "$(printf '%%q' "${line#*,}")" )
        fi
    done
    return 0
}

complete -o nosort -F %(complete_func)s %(prog_name)s
"""

_PATH_OPTIONS = ("-c", "--catalogue", "--from-json")
"""The options whose value is a file: Tab offers file names there and nowhere else."""


def _wants_a_path(args: Sequence[str], incomplete: str) -> bool:
    if any(incomplete.startswith(f"{option}=") for option in _PATH_OPTIONS):
        return True
    return bool(args) and args[-1] in _PATH_OPTIONS and not incomplete.startswith("-")


def _use_pubcli_completion() -> None:
    """Put pubcli's completion in place of Typer's (see above), for --show-completion,
    --install-completion and the completion requests of the installed scripts."""
    from typer import _completion_classes as classes
    from typer import _completion_shared as shared

    def with_paths(base: type[Any]) -> type[Any]:
        class Completion(base):  # type: ignore[misc]
            def get_completions(self, args: list[str], incomplete: str) -> list[Any]:
                items: list[Any] = super().get_completions(args, incomplete)
                if not items and _wants_a_path(args, incomplete):
                    items = [type(self).item_class(incomplete, type="file")]
                return items

        return Completion

    registry = sys.modules[classes.BashComplete.__mro__[1].__module__]

    class Bash(with_paths(classes.BashComplete)):  # type: ignore[misc]
        source_template = _BASH_SCRIPT

        def format_completion(self, item: Any) -> str:
            return f"{item.type},{item.value}"

    class Zsh(with_paths(classes.ZshComplete)):  # type: ignore[misc]
        def complete(self) -> str:
            args, incomplete = self.get_completion_args()
            items = self.get_completions(args, incomplete)
            if any(item.type == "file" for item in items):
                return "_files"
            return super().complete() if items else ""

    class Fish(with_paths(classes.FishComplete)):  # type: ignore[misc]
        def complete(self) -> str:
            if os.environ.get("_TYPER_COMPLETE_FISH_ACTION") == "is-args":
                args, incomplete = self.get_completion_args()
                items = self.get_completions(args, incomplete)
                # Exit 0: the script's --no-files applies; 1: fish completes file names.
                sys.exit(1 if any(item.type == "file" for item in items) else 0)
            return str(super().complete())

    for name, completion in (("bash", Bash), ("zsh", Zsh), ("fish", Fish)):
        completion.item_class = registry.CompletionItem
        registry.add_completion_class(completion, name)
    shared._completion_scripts["bash"] = _BASH_SCRIPT

    def ending_with_a_newline(install: Callable[..., Path]) -> Callable[..., Path]:
        def installed(**options: str) -> Path:
            path = install(**options)
            text = path.read_text(encoding="utf-8")
            if not text.endswith("\n"):
                path.write_text(text + "\n", encoding="utf-8")
            return path

        return installed

    for name in ("install_bash", "install_zsh"):
        install = getattr(shared, name)
        if not getattr(install, "pubcli", False):
            installed = ending_with_a_newline(install)
            installed.pubcli = True  # type: ignore[attr-defined]
            setattr(shared, name, installed)


# --- the entry point -----------------------------------------------------------------


def _app_for(arguments: Sequence[str]) -> typer.Typer:
    """The app to run: when the first argument names a command, one with just that command.

    Typer builds every command's Click parameters on each start; scripts call pubcli in
    loops, and building only the one asked for saves a few milliseconds each time.
    """
    wanted = [c for c in app.registered_commands if arguments and c.name == arguments[0]]
    if not wanted:
        return app
    lean = copy.copy(app)
    lean.registered_commands = wanted
    return lean


def _with_help_layout(command: Any) -> Any:
    """``command`` (and its subcommands) laid out by ``output/help_text``: words and
    examples never broken, the width that of the terminal ``Environment`` says."""
    from pubcli.output import help_text

    base: Any = command.context_class

    class HelpLayout(base.formatter_class):  # type: ignore[misc]
        """Click's help formatter, wrapping at spaces only."""

        def __init__(self, indent_increment: int = 2, width: Any = None, **rest: Any) -> None:
            width = help_text.help_width(current_width())
            super().__init__(indent_increment=indent_increment, width=width, **rest)

        def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
            indent = self.current_indent
            self.write(help_text.usage(prog, args, self.width, indent, prefix or "Usage: "))

        def write_text(self, text: str) -> None:
            self.write(help_text.paragraphs(text, self.width, self.current_indent))

        def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> None:
            width, indent = self.width, self.current_indent
            self.write(help_text.definition_list(list(rows), width, indent, col_max, col_spacing))

    class HelpContext(base):  # type: ignore[misc]
        formatter_class = HelpLayout

    def lay_out(each: Any) -> None:  # subcommands of subcommands too (export sqlite)
        each.context_class = HelpContext
        for subcommand in getattr(each, "commands", {}).values():
            lay_out(subcommand)

    lay_out(command)
    return command


class _UsageErrorLike(Protocol):
    """What a Click usage error offers, from whichever Click Typer runs on."""

    ctx: Any

    def format_message(self) -> str: ...


# Click's own usage errors: Typer 0.26+ bundles its own Click, older Typer uses the click
# package. typer.BadParameter is a ClickException in both, so its ancestry names the right
# class without importing either Click directly.
CLICK_EXCEPTION: type[Exception] = next(
    cls for cls in typer.BadParameter.__mro__ if cls.__name__ == "ClickException"
)


def _command_path(error: _UsageErrorLike, arguments: Sequence[str]) -> str:
    """``pubcli COMMAND`` of the failed call: from Click's context, or (for the errors Click
    raises without one, such as a missing option value) from the first command named."""
    context = getattr(error, "ctx", None)
    if context is not None:
        return str(context.command_path)
    names = {command.name for command in app.registered_commands}
    named = next((argument for argument in arguments if argument in names), None)
    return f"pubcli {named}" if named else "pubcli"


def _usage_message(error: _UsageErrorLike, arguments: Sequence[str]) -> str:
    """Click's message in pubcli's words: lowercase, no closing full stop, clauses joined
    by semicolons, and the hint to the command's help."""
    # Typer and Click each add the same "Did you mean ...?" to an unknown command.
    message = re.sub(r"( Did you mean [^?]*\?)\1+", r"\1", error.format_message().strip())
    message = re.sub(r"\.\s+(?=[A-Z])", "; ", message)
    message = re.sub(r"(^|; |\()([A-Z])(?=[a-z ])", lambda m: m[1] + m[2].lower(), message)
    message = re.sub(r"; (did you mean [^?]*\?)$", r" (\1)", message.removesuffix("."))
    message = re.sub(r"is not a valid int(?:eger)?(?: range)?", "is not a whole number", message)
    # Click 8.2+ quotes the unknown option where earlier releases put a colon: one wording.
    message = re.sub(r"^no such option '([^']*)'", r"no such option: \1", message)
    # The bundled Click lists a single close option where Click 8.5 asks "did you mean".
    message = re.sub(r"\(possible options: ([^,)]+)\)$", r"(did you mean '\1'?)", message)
    # ... and says "argument(s)" where Click 8.5 counts them.
    message = re.sub(
        r"extra argument\(s\) \(([^)]*)\)",
        lambda m: f"extra argument{'s' if ' ' in m[1] else ''} ({m[1]})",
        message,
    )
    return f"{one_line(message)}; see '{_command_path(error, arguments)} --help'"


def run(arguments: Sequence[str]) -> int:
    """Run the full command line with ``arguments`` and return the exit code.

    Click's own usage errors and aborts are reported here; every other failure through
    the mapping the quick route uses too (``failures.report``).
    """
    try:
        return _run(arguments)
    finally:
        set_global_options(color=None, no_pager=False)  # they were this run's


def _run(arguments: Sequence[str]) -> int:
    try:
        # 'pubcli' alone prints the help as --help does (Click would raise it as an error).
        decoded = decode_arguments(arguments) or ["--help"]
        command = _with_help_layout(typer.main.get_command(_app_for(decoded)))
        _use_pubcli_completion()  # after get_command, which registers Typer's own
        result = command.main(args=decoded, prog_name="pubcli", standalone_mode=False)
        sys.stdout.flush()
        if result == exit_codes.INTERRUPTED:  # Typer turns Ctrl-C into this exit code
            say("error: ", "interrupted")
        return result if isinstance(result, int) else exit_codes.OK
    except typer.Abort:
        say("error: ", "interrupted")
        return exit_codes.INTERRUPTED
    except CLICK_EXCEPTION as error:
        context = getattr(error, "ctx", None)
        if type(error).__name__ == "NoArgsIsHelpError" and context is not None:
            # 'pubcli cache' alone prints its help, as 'pubcli' alone does.
            write([context.get_help() + "\n"])
            return exit_codes.OK
        say("error: ", _usage_message(error, decoded))  # type: ignore[arg-type]
        return exit_codes.USAGE
    except BaseException as error:  # noqa: B036 - every ending is reported, never a traceback
        return report(error)
