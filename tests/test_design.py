"""Guards of the design: what each route may import, and the public Python API."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from bench.synth import write_catalogue
from tests.conftest import REPO

HEAVY_FOR_THE_QUICK_ROUTE = ("typer", "click", "rich", "tomli", "dataclasses")
"""Typer and Click cost more than a cached answer; tomli means the file was parsed;
dataclasses (with inspect) costs ~20 ms: the warm route prints records, not models."""


def imported_modules(arguments: list[str], cwd: Path, env: dict[str, str]) -> set[str]:
    """Top-level names of every module a ``python -m pubcli ...`` process imports."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "pubcli", *arguments],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    names = set()
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    assert "pubcli" in names
    return names


@pytest.fixture
def warm_catalogue(isolated: Path) -> tuple[Path, dict[str, str]]:
    """A catalogue large enough to be cached, and a first call that built its cache."""
    import os

    path = write_catalogue(isolated / "big.toml", 200)
    assert path.stat().st_size >= 64 * 1024
    env = {k: v for k, v in os.environ.items() if not k.startswith("PUBCLI_")}
    env["XDG_CACHE_HOME"] = str(isolated / "cache")
    env["PUBCLI_CATALOGUE"] = str(path)
    subprocess.run(
        [sys.executable, "-m", "pubcli", "list", "--format", "ids"],
        env=env,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return path, env


@pytest.mark.parametrize(
    "arguments",
    [
        ["filter", "--text", "hurricane", "--format", "ids"],
        ["filter", "--text", '"border security" OR title:storm -x', "--format", "ids"],
        ["filter", "--text", "012345", "--format", "json"],
        ["list", "--sort", "title", "--format", "tsv"],
        ["filter", "--type", "Letter", "--since", "2010", "--format", "csv", "--limit", "300"],
    ],
)
def test_a_warm_quick_call_imports_nothing_heavy(
    warm_catalogue: tuple[Path, dict[str, str]], arguments: list[str], isolated: Path
) -> None:
    """A cached list or filter neither loads Typer, Click, Rich nor tomli, nor builds models."""
    _, env = warm_catalogue
    heavy = imported_modules(arguments, isolated, env) & set(HEAVY_FOR_THE_QUICK_ROUTE)
    assert heavy == set()


def test_the_python_api_imports_no_command_line_library(isolated: Path) -> None:
    """``import pubcli`` and ``load_catalogue`` load neither Typer, Click nor Rich."""
    script = (
        "import sys, pubcli\n"
        "before = set(sys.modules)\n"
        f"catalogue = pubcli.load_catalogue({str(REPO / 'data' / 'publications.toml')!r})\n"
        "assert catalogue.publications\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert {"typer", "click", "rich"}.isdisjoint(result.stdout.split())


def test_load_catalogue_gives_frozen_dataclasses_and_problems(isolated: Path) -> None:
    """Valid entries come back as frozen, slotted ``Publication``s; bad ones as problems."""
    from pubcli import Publication, load_catalogue

    path = isolated / "c.toml"
    path.write_text(
        '[[publications]]\nid = "a"\ntitle = "A"\ntype = "Form"\ncomponents = ["ICE"]\n'
        'date = 2020-01-02\n\n[[publications]]\nid = "b"\ntitle = "B"\ntype = "Form"\n',
        encoding="utf-8",
    )
    catalogue = load_catalogue(path)
    assert [p.id for p in catalogue.publications] == ["a"]
    publication = catalogue.publications[0]
    assert isinstance(publication, Publication)
    assert dataclasses.is_dataclass(publication)
    assert not hasattr(publication, "__dict__")  # slotted
    with pytest.raises(dataclasses.FrozenInstanceError):
        publication.title = "changed"  # type: ignore[misc]
    assert [(p.line, p.label, p.message) for p in catalogue.problems] == [
        (8, "b", "missing required key 'components'")
    ]


def test_a_warm_quick_call_reads_a_config_file_without_tomli(
    warm_catalogue: tuple[Path, dict[str, str]], isolated: Path
) -> None:
    """A config file of plain ``key = "value"`` lines is read without the TOML parser."""
    path, env = warm_catalogue
    config = isolated / "config" / "pubcli" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        f'# mine\ncatalogue = \'{path}\'\ncolor = "never"  # plain\npager = "less -S"\n',
        encoding="utf-8",
    )
    env = {key: value for key, value in env.items() if key != "PUBCLI_CATALOGUE"}
    env["XDG_CONFIG_HOME"] = str(config.parent.parent)
    for arguments in (["filter", "--text", "hurricane"], ["list", "-f", "ids"]):
        modules = imported_modules(arguments, isolated, env)
        assert "pubcli" in modules
        assert modules & set(HEAVY_FOR_THE_QUICK_ROUTE) == set()
