"""``export sqlite``: publications as a SQLite database that Datasette serves as it is.

Tables ``publications`` (id primary key, title, type, date, summary, url), ``components``
and ``topics`` (publication_id, value), and a full-text index over title and summary in
the layout of sqlite-utils' ``enable_fts``: an FTS5 table ``publications_fts`` whose
content is ``publications``, filled once, without triggers (the database is written
whole, never updated), which Datasette finds for its search box.

The database is built in a new file beside PATH, flushed to disk, then renamed over
PATH: a reader sees the old database or the new one, never half of one, and a failure
leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from pubcli.errors import UsageError
from pubcli.safe_text import one_line

if TYPE_CHECKING:
    from pubcli.fields import Record

SCHEMA = """
CREATE TABLE [publications] (
   [id] TEXT PRIMARY KEY,
   [title] TEXT NOT NULL,
   [type] TEXT NOT NULL,
   [date] TEXT,
   [summary] TEXT,
   [url] TEXT
);
CREATE TABLE [components] (
   [publication_id] TEXT NOT NULL REFERENCES [publications]([id]),
   [value] TEXT NOT NULL
);
CREATE TABLE [topics] (
   [publication_id] TEXT NOT NULL REFERENCES [publications]([id]),
   [value] TEXT NOT NULL
);
"""

# sqlite-utils' enable_fts(["title", "summary"]) on table "publications", as it writes it:
# Datasette recognises the table by this "content=[publications]" and offers search.
FULL_TEXT = """CREATE VIRTUAL TABLE [publications_fts] USING FTS5 (
    [title], [summary],
    content=[publications]
)"""
FILL_FULL_TEXT = """INSERT INTO [publications_fts] (rowid, [title], [summary])
    SELECT rowid, [title], [summary] FROM [publications];"""

INDEXES = """
CREATE INDEX [idx_components_publication_id] ON [components] ([publication_id]);
CREATE INDEX [idx_components_value] ON [components] ([value]);
CREATE INDEX [idx_topics_publication_id] ON [topics] ([publication_id]);
CREATE INDEX [idx_topics_value] ON [topics] ([value]);
CREATE INDEX [idx_publications_type] ON [publications] ([type]);
CREATE INDEX [idx_publications_date] ON [publications] ([date]);
"""


def _refuse(path: Path, reason: str) -> UsageError:
    return UsageError(f"cannot write {one_line(str(path))}: {reason}")


def write_database(path: Path, records: Iterable[Record]) -> int:
    """Write ``records`` as the database at ``path`` (replaced atomically); return how
    many publications it holds. A path that cannot be written is a ``UsageError``.

    As the catalogue is written: through a symlink to its target (the link stays), and an
    existing database keeps its permission bits (one made private stays private)."""
    shown, path = path, Path(os.path.realpath(path))
    try:
        existing: os.stat_result | None = os.stat(path)
    except OSError:
        existing = None
    if existing is not None and stat.S_ISDIR(existing.st_mode):
        raise _refuse(shown, "it is a directory")
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        # A named pipe or a device (/dev/null) is no database: renaming over it would
        # replace it with a file (root may write in /dev).
        raise _refuse(shown, "it is not a regular file")
    mode = stat.S_IMODE(existing.st_mode) if existing is not None else None
    directory = path.parent
    temp = directory / f".{path.name}.{os.urandom(6).hex()}.tmp"
    try:
        descriptor = os.open(temp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as error:
        raise _refuse(shown, error.strerror or str(error)) from None
    os.close(descriptor)
    try:
        count = _fill(sqlite3.connect(temp, isolation_level=None), records)
        if mode is not None:
            os.chmod(temp, mode)
        with open(temp, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temp, path)
    except OSError as error:
        raise _refuse(shown, error.strerror or str(error)) from None
    except sqlite3.Error as error:
        raise _refuse(shown, str(error)) from None
    finally:
        with contextlib.suppress(OSError):
            temp.unlink()
    with contextlib.suppress(OSError):
        directory_descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(directory_descriptor)
        finally:
            os.close(directory_descriptor)
    return count


def _fill(connection: sqlite3.Connection, records: Iterable[Record]) -> int:
    with contextlib.closing(connection):
        # The file is new and private until the rename: no journal is needed, and it is
        # flushed to disk once, at the end.
        connection.execute("PRAGMA journal_mode = OFF")
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute("BEGIN")
        for statement in SCHEMA.split(";"):
            if statement.strip():
                connection.execute(statement)
        rows = []
        components: list[tuple[str, str]] = []
        topics: list[tuple[str, str]] = []
        for record in records:
            id_ = record["id"]
            rows.append(
                (
                    id_,
                    record["title"],
                    record["type"],
                    record["date"],
                    record["summary"] or None,
                    record["url"],
                )
            )
            components.extend((id_, value) for value in record["components"])
            topics.extend((id_, value) for value in record["topics"])
        connection.executemany("INSERT INTO [publications] VALUES (?, ?, ?, ?, ?, ?)", rows)
        connection.executemany("INSERT INTO [components] VALUES (?, ?)", components)
        connection.executemany("INSERT INTO [topics] VALUES (?, ?)", topics)
        for statement in INDEXES.split(";"):
            if statement.strip():
                connection.execute(statement)
        connection.execute(FULL_TEXT)
        connection.execute(FILL_FULL_TEXT)
        connection.execute("COMMIT")
    return len(rows)
