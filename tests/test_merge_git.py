"""merge-driver under real git: set up exactly as the README says, two branches merged.

Each test makes its own repository, with HOME and XDG directories of its own so that no
user's or machine's git configuration takes part.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import tomli

from tests.conftest import PUBCLI, REPO

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

CATALOGUE = "data/publications.toml"


def readme_setup() -> tuple[str, list[str]]:
    """The README's .gitattributes line and its git config commands."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Merging branches", 1)[1].split("\n## ", 1)[0]
    attributes = re.findall(r"```gitattributes\n(.+?)\n```", section, re.S)
    commands = re.findall(r"```sh\n(.+?)\n```", section, re.S)
    assert len(attributes) == 1 and len(commands) == 1
    return attributes[0] + "\n", commands[0].splitlines()


class Repository:
    """A git repository in a temporary directory, pubcli on the PATH."""

    def __init__(self, root: Path) -> None:
        self.root = root / "repo"
        self.root.mkdir()
        home = root / "home"
        home.mkdir()
        self.env = {
            "PATH": f"{PUBCLI.parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "LC_ALL": "C.UTF-8",
        }
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.name", "Test Maintainer")
        self.git("config", "user.email", "maintainer@example.org")
        attributes, commands = readme_setup()
        (self.root / ".gitattributes").write_text(attributes, encoding="utf-8")
        for command in commands:
            self.run(["sh", "-c", command])

    def run(self, arguments: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            arguments, cwd=self.root, env=self.env, capture_output=True, text=True, timeout=120
        )
        if check:
            assert result.returncode == 0, (arguments, result.stdout, result.stderr)
        return result

    def git(self, *arguments: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run(["git", *arguments], check=check)

    def pubcli(self, *arguments: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run(["pubcli", *arguments], check=check)

    def add(self, title: str, *, url: str | None = None) -> None:
        extra = ["--url", url] if url else []
        self.pubcli("add", "--title", title, "--type", "Statement", "--component", "ICE", *extra)

    def text(self) -> str:
        return (self.root / CATALOGUE).read_text(encoding="utf-8")

    def write(self, text: str) -> None:
        (self.root / CATALOGUE).write_text(text, encoding="utf-8")

    def entries(self) -> dict[str, str]:
        """Each entry's title by id; every id once."""
        tables = tomli.loads(self.text())["publications"]
        ids = [table["id"] for table in tables]
        assert len(ids) == len(set(ids))
        return {table["id"]: table["title"] for table in tables}

    def commit(self, message: str) -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)


@pytest.fixture
def repository(tmp_path: Path) -> Repository:
    """A repository whose main branch holds a catalogue of three entries."""
    repository = Repository(tmp_path)
    (repository.root / "data").mkdir()
    repository.write("# The catalogue of publications\nschema_version = 1\n")
    for title in ("First statement", "Second statement", "Third statement"):
        repository.add(title)
    repository.commit("base")
    return repository


def test_two_branches_that_add_edit_and_remove_merge_cleanly(repository: Repository) -> None:
    """One branch adds two entries and edits one by hand; the other adds two entries
    (one with pubcli edit afterwards) and removes another by hand: git merges with no
    conflict, check passes, every entry of both sides is there once."""
    repository.git("checkout", "-q", "-b", "ours")
    repository.add("Ours one")
    repository.add("Ours two")
    repository.write(
        repository.text().replace('"Second statement"', '"Second statement, revised"')
    )
    repository.commit("ours: two added, one edited")

    repository.git("checkout", "-q", "-b", "theirs", "main")
    repository.add("Theirs one")
    repository.add("Theirs two", url="https://example.org/two")
    repository.pubcli("edit", "theirs-two", "--title", "Theirs two, retitled")
    text = repository.text()
    start = text.index('[[publications]]\nid = "third-statement"')
    end = text.index("[[publications]]", start + 1)
    repository.write(text[:start] + text[end:])
    repository.commit("theirs: two added, one removed")

    repository.git("checkout", "-q", "ours")
    merged = repository.git("merge", "--no-edit", "theirs", check=False)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert "CONFLICT" not in merged.stdout
    check = repository.pubcli("check")
    assert check.stdout == "ok: 6 publications\n"
    assert repository.entries() == {
        "first-statement": "First statement",
        "second-statement": "Second statement, revised",
        "ours-one": "Ours one",
        "ours-two": "Ours two",
        "theirs-one": "Theirs one",
        "theirs-two": "Theirs two, retitled",
    }
    assert repository.text().startswith("# The catalogue of publications\nschema_version = 1\n")


def test_one_title_changed_on_both_branches_is_a_conflict_around_it_alone(
    repository: Repository,
) -> None:
    """git reports the conflict; the markers surround that entry alone; every other entry
    is intact; check reports the markers with their lines."""
    repository.git("checkout", "-q", "-b", "ours")
    repository.add("Ours one")
    repository.write(repository.text().replace('"Second statement"', '"Second, by us"'))
    repository.commit("ours")
    repository.git("checkout", "-q", "-b", "theirs", "main")
    repository.add("Theirs one")
    repository.write(repository.text().replace('"Second statement"', '"Second, by them"'))
    repository.commit("theirs")

    repository.git("checkout", "-q", "ours")
    merged = repository.git("merge", "--no-edit", "theirs", check=False)
    assert merged.returncode == 1
    assert f"CONFLICT (content): Merge conflict in {CATALOGUE}" in merged.stdout
    assert "conflict: data/publications.toml: 'second-statement': changed differently" in (
        merged.stdout + merged.stderr
    )
    text = repository.text()
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("<<<<<<<")]
    separators = [i for i, line in enumerate(lines) if line == "======="]
    ends = [i for i, line in enumerate(lines) if line.startswith(">>>>>>>")]
    assert len(starts) == len(separators) == len(ends) == 1
    ours_part = "\n".join(lines[starts[0] + 1 : separators[0]]) + "\n"
    theirs_part = "\n".join(lines[separators[0] + 1 : ends[0]]) + "\n"
    assert tomli.loads(ours_part)["publications"][0]["title"] == "Second, by us"
    assert tomli.loads(theirs_part)["publications"][0]["title"] == "Second, by them"
    assert ours_part.replace("by us", "by them") == theirs_part

    outside = "\n".join(lines[: starts[0]] + lines[ends[0] + 1 :]) + "\n"
    assert tomli.loads(outside)["publications"] == [
        tomli.loads(repository.git("show", f"main:{CATALOGUE}").stdout)["publications"][0],
        *tomli.loads(repository.git("show", f"ours:{CATALOGUE}").stdout)["publications"][2:],
        tomli.loads(repository.git("show", f"theirs:{CATALOGUE}").stdout)["publications"][-1],
    ]

    check = repository.pubcli("check", check=False)
    assert check.returncode == 3
    assert check.stdout.splitlines() == [
        f"{CATALOGUE}:{number + 1}: (merge conflict): unresolved merge conflict marker "
        f"'{lines[number]}'"
        for number in (starts[0], separators[0], ends[0])
    ]
