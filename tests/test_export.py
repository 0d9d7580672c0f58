"""``export sqlite``: a database that Datasette itself serves, searches and facets."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from datasette.app import Datasette

from tests.conftest import REPO, entry, run_process

CATALOGUE = [
    entry("wall", "Border Wall Report", type_="Report", date="2019-02-01",
          components=("CBP", "DHS"), topics=("Border",), summary="Miles of fencing built.",
          url="https://www.dhs.gov/wall"),
    entry("opioid", "Opioid Strategy", type_="Strategy", date="2020-05-01",
          components=("ICE",), summary='Fentanyl seizures; "quotes" and {braces}.'),
    entry("letter", "A Letter", type_="Letter", components=("ICE",)),
]  # fmt: skip


def datasette_json(path: Path, query: str) -> Any:
    """Ask Datasette's own JSON API, in this process, about the database at ``path``."""

    async def ask() -> Any:
        datasette = Datasette([str(path)])
        response = await datasette.client.get(f"/{path.stem}/publications.json?{query}")
        assert response.status_code == 200, response.text
        return response.json()

    return asyncio.run(ask())


def test_datasette_serves_rows_a_facet_and_a_search(
    make_catalogue: Callable[..., Path], isolated: Path
) -> None:
    """Rows, a facet by type and a full-text search through Datasette's JSON API."""
    make_catalogue(*CATALOGUE)
    result = run_process(["export", "sqlite", "pubs.db"], cwd=isolated)
    assert result.returncode == 0, result.stderr
    assert result.stderr == b"exported 3 publications to pubs.db\n"
    database = isolated / "pubs.db"

    rows = datasette_json(database, "_shape=objects&_sort=id")
    assert [row["id"] for row in rows["rows"]] == ["letter", "opioid", "wall"]
    assert rows["rows"][2] == {
        "id": "wall",
        "title": "Border Wall Report",
        "type": "Report",
        "date": "2019-02-01",
        "summary": "Miles of fencing built.",
        "url": "https://www.dhs.gov/wall",
    }
    assert rows["rows"][0]["date"] is None and rows["rows"][0]["summary"] is None

    facets = datasette_json(database, "_facet=type")["facet_results"]
    type_facet = facets["results"]["type"] if "results" in facets else facets["type"]
    assert {item["value"]: item["count"] for item in type_facet["results"]} == {
        "Report": 1,
        "Strategy": 1,
        "Letter": 1,
    }

    found = datasette_json(database, "_search=fentanyl&_shape=objects")
    assert [row["id"] for row in found["rows"]] == ["opioid"]
    assert [
        row["id"] for row in datasette_json(database, "_search=wall&_shape=objects")["rows"]
    ] == ["wall"]

    with sqlite3.connect(database) as connection:
        assert sorted(connection.execute("SELECT * FROM components")) == [
            ("letter", "ICE"),
            ("opioid", "ICE"),
            ("wall", "CBP"),
            ("wall", "DHS"),
        ]
        assert list(connection.execute("SELECT * FROM topics")) == [("wall", "Border")]


def test_the_criteria_of_filter_choose_what_is_exported(
    make_catalogue: Callable[..., Path], isolated: Path
) -> None:
    """--type, --text... narrow the export; matching nothing writes nothing and exits 1."""
    make_catalogue(*CATALOGUE)
    result = run_process(
        ["export", "sqlite", "ice.db", "--component", "ice", "--text", "-letter"], cwd=isolated
    )
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(isolated / "ice.db") as connection:
        assert list(connection.execute("SELECT id FROM publications")) == [("opioid",)]
    (isolated / "old.db").write_bytes(b"old")
    result = run_process(["export", "sqlite", "old.db", "--type", "Nothing"], cwd=isolated)
    assert (result.returncode, result.stderr) == (1, b"no publications match; nothing written\n")
    assert (isolated / "old.db").read_bytes() == b"old"


def test_an_existing_database_is_replaced_atomically(
    make_catalogue: Callable[..., Path], isolated: Path
) -> None:
    """The new database takes the old one's place by a rename: an open reader keeps the
    old file, and the directory holds no temporary file afterwards."""
    make_catalogue(*CATALOGUE)
    database = isolated / "pubs.db"
    database.write_bytes(b"not a database")
    before = os.stat(database).st_ino
    with open(database, "rb") as reader:
        result = run_process(["export", "sqlite", str(database)], cwd=isolated)
        assert result.returncode == 0, result.stderr
        assert reader.read() == b"not a database"
    assert os.stat(database).st_ino != before
    assert sorted(path.name for path in isolated.iterdir()) == [".cache", "data", "pubs.db"]


def test_a_symlinked_database_is_written_through_and_keeps_its_permission_bits(
    make_catalogue: Callable[..., Path], isolated: Path
) -> None:
    """As the catalogue is: a PATH that is a symlink stays a symlink and its target gets
    the new database; an existing database keeps its permission bits (one made private
    stays private)."""
    make_catalogue(*CATALOGUE)
    served = isolated / "served"
    served.mkdir()
    target = served / "pubs.db"
    target.write_bytes(b"old")
    target.chmod(0o600)
    link = isolated / "pubs.db"
    link.symlink_to(Path("served") / "pubs.db")
    result = run_process(["export", "sqlite", "pubs.db", "--type", "Report"], cwd=isolated)
    assert result.returncode == 0, result.stderr
    assert link.is_symlink()
    assert os.readlink(link) == str(Path("served") / "pubs.db")
    assert os.stat(target).st_mode & 0o777 == 0o600
    with sqlite3.connect(target) as connection:
        assert connection.execute("SELECT id FROM publications").fetchall() == [("wall",)]
    assert sorted(path.name for path in served.iterdir()) == ["pubs.db"]


def test_a_path_that_is_no_regular_file_is_refused_and_left_alone(
    make_catalogue: Callable[..., Path], isolated: Path
) -> None:
    """A named pipe (or a device: /dev/null, which root may rename over) is no database
    file: exit 2, one line, and it is still what it was."""
    make_catalogue(*CATALOGUE)
    fifo = isolated / "pipe"
    os.mkfifo(fifo)
    result = run_process(["export", "sqlite", "pipe"], cwd=isolated)
    assert result.returncode == 2
    assert result.stderr == b"error: cannot write pipe: it is not a regular file\n"
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(path.name for path in isolated.iterdir()) == [".cache", "data", "pipe"]


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("adir", "it is a directory"),
        ("afile/pubs.db", "Not a directory"),
        ("missing/pubs.db", "No such file or directory"),
    ],
)
def test_an_unwritable_path_is_one_error_line_and_leaves_nothing(
    make_catalogue: Callable[..., Path], isolated: Path, target: str, reason: str
) -> None:
    """A directory, or a path whose folder is a file or missing: exit 2, one line, and
    nothing new anywhere."""
    make_catalogue(*CATALOGUE)
    (isolated / "adir").mkdir()
    (isolated / "afile").write_text("x", encoding="utf-8")
    before = sorted(str(path) for path in isolated.rglob("*") if ".cache" not in path.parts)
    result = run_process(["export", "sqlite", target], cwd=isolated)
    assert result.returncode == 2
    assert result.stderr.decode() == f"error: cannot write {target}: {reason}\n"
    after = sorted(str(path) for path in isolated.rglob("*") if ".cache" not in path.parts)
    assert after == before


def test_the_catalogue_itself_is_never_overwritten(
    make_catalogue: Callable[..., Path], isolated: Path
) -> None:
    """``export sqlite data/publications.toml`` would destroy the catalogue: refused."""
    path = make_catalogue(*CATALOGUE)
    before = path.read_bytes()
    result = run_process(["export", "sqlite", "data/publications.toml"], cwd=isolated)
    assert result.returncode == 2
    assert result.stderr == b"error: data/publications.toml is the catalogue itself\n"
    assert path.read_bytes() == before


def readme_section(title: str) -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    return readme.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_the_readme_examples_run_as_written(isolated: Path) -> None:
    """Every command line of "Publishing with Datasette" runs as written, on a copy of the
    shipped catalogue (datasette with --get, which answers one request and serves none)."""
    (isolated / "data").mkdir()
    shutil.copy(REPO / "data" / "publications.toml", isolated / "data")
    commands = re.findall(
        r"^\$ (.+?)(?:  +#.*)?$", readme_section("Publishing with Datasette"), re.M
    )
    assert any(command.startswith("pubcli export sqlite") for command in commands)
    assert any("--get" in command and "_search=" in command for command in commands)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    for command in commands:
        result = subprocess.run(
            command, shell=True, cwd=isolated, env=env, capture_output=True, timeout=120,
            check=False,
        )  # fmt: skip
        assert result.returncode == 0, (command, result.stderr)
        if "--get" in command:
            answer = json.loads(result.stdout)
            assert answer["rows"] or answer["facet_results"], command
