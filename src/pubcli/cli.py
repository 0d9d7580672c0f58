"""The command line: parse arguments, call the core, print, and choose the exit code.

This is the only module that knows Typer. Everything it prints goes through the
helpers at the top, so that escaping, encodings and closed pipes are handled once.
"""

from __future__ import annotations

import codecs
import io
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import click
import typer

from pubcli import __version__, exit_codes
from pubcli.catalogue import Catalogue, load_catalogue
from pubcli.errors import NoMatchError, PubcliError, UsageError
from pubcli.formats import DEFAULT_COLUMNS, detail_json, detail_text, machine_chunks, parse_columns
from pubcli.locate import find_catalogue
from pubcli.model import Publication
from pubcli.query import Criteria, find_by_id, parse_date_bound, select, sort_publications
from pubcli.safe_text import one_line


class OutputClosedError(Exception):
    """Standard output was closed by its reader (``pubcli list | head -1``)."""


# --- printing ------------------------------------------------------------------------


def _write(chunks: Iterable[str]) -> None:
    try:
        for chunk in chunks:
            sys.stdout.write(chunk)
        sys.stdout.flush()
    except BrokenPipeError:
        raise OutputClosedError from None


def _print_renderable(make: Callable[[int], object]) -> None:
    """Print what ``make(width)`` builds for the width of standard output."""
    from pubcli.render import make_console

    try:
        console = make_console(sys.stdout)
        console.print(make(console.width))
        sys.stdout.flush()
    except BrokenPipeError:
        raise OutputClosedError from None


def _say(prefix: str, message: str) -> None:
    for line in message.splitlines() or [""]:
        sys.stderr.write(f"{prefix}{line}\n")
    sys.stderr.flush()


def _stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def _stdout_is_utf8() -> bool:
    try:
        return codecs.lookup(sys.stdout.encoding or "ascii").name == "utf-8"
    except LookupError:
        return False


# --- options shared by several commands ----------------------------------------------


class OutputFormat(StrEnum):
    """The formats of list and filter."""

    TABLE = "table"
    JSON = "json"
    JSONL = "jsonl"
    CSV = "csv"
    TSV = "tsv"
    IDS = "ids"


class ShowFormat(StrEnum):
    """The formats of show."""

    TABLE = "table"
    JSON = "json"


class SortKey(StrEnum):
    """The orders of list and filter."""

    DATE = "date"
    TITLE = "title"
    ID = "id"
    TYPE = "type"


CatalogueOption = Annotated[
    str | None,
    typer.Option(
        "--catalogue",
        "-c",
        metavar="PATH",
        help="Catalogue file [default: $PUBCLI_CATALOGUE, else data/publications.toml "
        "here or in the nearest parent directory].",
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
    typer.Option(
        "--format",
        "-f",
        help="Output format [default: table on a terminal, else tsv].",
        show_default=False,
    ),
]
ColumnsOption = Annotated[
    str | None,
    typer.Option(
        metavar="LIST",
        help="Comma-separated columns to print, in order: "
        "id,title,type,date,components,topics,summary,url.",
        show_default=False,
    ),
]

app = typer.Typer(
    name="pubcli",
    help="A command-line catalogue of publications.\n\n"
    "Run 'pubcli COMMAND --help' for the options of a command.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        sys.stdout.write(f"pubcli {__version__}\n")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    catalogue: CatalogueOption = None,
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
    ctx.obj = {"catalogue": catalogue}


# --- loading -------------------------------------------------------------------------


def _catalogue_option(ctx: typer.Context, catalogue: str | None) -> str | None:
    if catalogue:
        return catalogue
    parent = ctx.find_root().obj
    return parent.get("catalogue") if isinstance(parent, dict) else None


def _load_for_reading(ctx: typer.Context, catalogue: str | None) -> Catalogue:
    """Load leniently: warn about each skipped entry and go on with the valid ones."""
    path, display = find_catalogue(_catalogue_option(ctx, catalogue), os.environ, Path.cwd())
    loaded = load_catalogue(path, display)
    skipped = [problem for problem in loaded.problems if problem.skips_entry]
    for problem in skipped:
        _say("warning: ", str(problem))
    if skipped:
        _say("hint: ", f"invalid entries were skipped; run 'pubcli check -c {one_line(display)}'")
    return loaded


# --- list and filter -----------------------------------------------------------------


def _print_publications(
    publications: Sequence[Publication],
    *,
    sort: SortKey,
    reverse: bool,
    limit: int | None,
    output_format: OutputFormat | None,
    columns: str | None,
    empty_message: str,
) -> None:
    chosen_format = output_format or (
        OutputFormat.TABLE if _stdout_is_terminal() else OutputFormat.TSV
    )
    chosen_columns = parse_columns(columns) if columns else DEFAULT_COLUMNS[chosen_format.value]
    ordered = sort_publications(publications, sort.value, reverse=reverse)
    if limit is not None:
        ordered = ordered[:limit]
    if chosen_format is OutputFormat.TABLE:
        if not ordered:
            _say("", empty_message)
            return
        from pubcli.render import publications_table

        _print_renderable(lambda width: publications_table(ordered, chosen_columns, width))
        return
    _write(
        machine_chunks(
            ordered, chosen_format.value, chosen_columns, ascii_only=not _stdout_is_utf8()
        )
    )


@app.command("list")
def list_command(
    ctx: typer.Context,
    sort: SortOption = SortKey.DATE,
    reverse: ReverseOption = False,
    limit: LimitOption = None,
    output_format: FormatOption = None,
    columns: ColumnsOption = None,
    catalogue: CatalogueOption = None,
) -> None:
    """List every publication, newest first.

    Example: pubcli list --sort title --limit 5
    """
    loaded = _load_for_reading(ctx, catalogue)
    _print_publications(
        loaded.publications,
        sort=sort,
        reverse=reverse,
        limit=limit,
        output_format=output_format,
        columns=columns,
        empty_message="no publications in the catalogue",
    )


@app.command("filter")
def filter_command(
    ctx: typer.Context,
    type_: Annotated[
        list[str] | None,
        typer.Option(
            "--type", metavar="T", help="Type equals T, ignoring case.", show_default=False
        ),
    ] = None,
    component: Annotated[
        list[str] | None,
        typer.Option(metavar="C", help="A component equals C, ignoring case.", show_default=False),
    ] = None,
    topic: Annotated[
        list[str] | None,
        typer.Option(metavar="T", help="A topic equals T, ignoring case.", show_default=False),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            metavar="D",
            help="Dated on or after D (YYYY, YYYY-MM or YYYY-MM-DD).",
            show_default=False,
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            metavar="D",
            help="Dated on or before D (YYYY, YYYY-MM or YYYY-MM-DD).",
            show_default=False,
        ),
    ] = None,
    text: Annotated[
        list[str] | None,
        typer.Option(
            metavar="WORDS",
            help="Every word occurs, ignoring case, in the id, title, type, summary, "
            "a component or a topic.",
            show_default=False,
        ),
    ] = None,
    sort: SortOption = SortKey.DATE,
    reverse: ReverseOption = False,
    limit: LimitOption = None,
    output_format: FormatOption = None,
    columns: ColumnsOption = None,
    catalogue: CatalogueOption = None,
) -> None:
    """Print the publications that match every criterion given.

    A criterion given several times matches any of its values. Exit status 1 when
    nothing matches, like grep.

    Example: pubcli filter --type Statement --since 2019-08 --format json
    """
    criteria = Criteria(
        types=tuple(type_ or ()),
        components=tuple(component or ()),
        topics=tuple(topic or ()),
        texts=tuple(text or ()),
        since=parse_date_bound(since, end=False, option="--since") if since else None,
        until=parse_date_bound(until, end=True, option="--until") if until else None,
    )
    if columns:
        parse_columns(columns)  # a bad --columns is a usage error even before loading
    loaded = _load_for_reading(ctx, catalogue)
    matching = select(loaded.publications, criteria)
    _print_publications(
        matching,
        sort=sort,
        reverse=reverse,
        limit=limit,
        output_format=output_format,
        columns=columns,
        empty_message="no publications match",
    )
    if not matching:
        raise typer.Exit(exit_codes.NO_MATCH)


# --- show ----------------------------------------------------------------------------


@app.command("show")
def show_command(
    ctx: typer.Context,
    publication_id: Annotated[
        str, typer.Argument(metavar="ID", help="A full id, or a prefix only one id starts with.")
    ],
    output_format: Annotated[
        ShowFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="Output format [default: table on a terminal, else field: value lines].",
            show_default=False,
        ),
    ] = None,
    catalogue: CatalogueOption = None,
) -> None:
    """Show one publication in full.

    Example: pubcli show mpp   (any unique prefix of an id will do)
    """
    loaded = _load_for_reading(ctx, catalogue)
    publication = find_by_id(loaded.publications, publication_id)
    if output_format is ShowFormat.JSON:
        _write([detail_json(publication, ascii_only=not _stdout_is_utf8())])
    elif _stdout_is_terminal():
        from pubcli.render import publication_view

        _print_renderable(lambda width: publication_view(publication))
    else:
        _write([detail_text(publication)])


# --- the entry point -----------------------------------------------------------------


def _decode_arguments(arguments: Sequence[str]) -> list[str]:
    """Recover UTF-8 arguments that a non-UTF-8 locale decoded as surrogates; refuse others."""
    decoded = []
    for argument in arguments:
        try:
            argument.encode("utf-8")
        except UnicodeEncodeError:
            raw = os.fsencode(argument)
            try:
                argument = raw.decode("utf-8")
            except UnicodeError:
                shown = one_line(raw.decode("utf-8", "backslashreplace"))
                raise UsageError(f"argument '{shown}' is not valid UTF-8") from None
        decoded.append(argument)
    return decoded


def _prepare_streams() -> None:
    # Text that the output encoding cannot hold is shown escaped, never a crash.
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")


def _silence_stdout() -> None:
    # The reader is gone: point stdout at /dev/null so the final flush cannot fail.
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    finally:
        os.close(devnull)


def _fail(message: str, code: int) -> NoReturn:
    _say("error: ", message)
    raise SystemExit(code)


def run(arguments: Sequence[str]) -> int:
    """Run pubcli with ``arguments`` and return the exit code; never raises."""
    try:
        result = app(args=_decode_arguments(arguments), prog_name="pubcli", standalone_mode=False)
        sys.stdout.flush()
        return result if isinstance(result, int) else exit_codes.OK
    except OutputClosedError:
        _silence_stdout()
        return exit_codes.OK
    except BrokenPipeError:
        _silence_stdout()
        return exit_codes.OK
    except NoMatchError as error:
        _say("error: ", str(error))
        return error.exit_code
    except PubcliError as error:
        _say("error: ", str(error))
        return error.exit_code
    except click.exceptions.Abort:
        _say("error: ", "interrupted")
        return exit_codes.INTERRUPTED
    except click.ClickException as error:
        hint = ""
        context = getattr(error, "ctx", None)
        if context is not None:
            hint = f" (see '{context.command_path} --help')"
        _say("error: ", one_line(error.format_message()) + hint)
        return exit_codes.USAGE
    except KeyboardInterrupt:
        _say("error: ", "interrupted")
        return exit_codes.INTERRUPTED


def main() -> int:
    """The ``pubcli`` console script."""
    _prepare_streams()
    return run(sys.argv[1:])
