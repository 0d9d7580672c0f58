"""The documentation stays true: help for every command, README commands that CI runs."""

from __future__ import annotations

import os
import re
from pathlib import Path

import typer.core
import typer.main

from pubcli.cli.app import app
from tests.conftest import REPO


def test_every_command_and_option_has_help() -> None:
    """No command or option is left without a help text."""
    root = typer.main.get_command(app)
    assert isinstance(root, typer.core.TyperGroup)
    groups = [root]
    while groups:
        group = groups.pop()
        for parameter in group.params:
            if isinstance(parameter, typer.core.TyperOption):
                assert parameter.help, (group.name, parameter.name)
        for name, command in group.commands.items():
            assert command.help, name
            if isinstance(command, typer.core.TyperGroup):
                groups.append(command)
            for parameter in command.params:
                if isinstance(parameter, typer.core.TyperOption):
                    assert parameter.help, (name, parameter.name)


def quick_start() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section, re.S)


def test_the_quick_start_has_exactly_two_commands() -> None:
    """One runs pubcli list, one runs the whole test suite."""
    commands = quick_start()
    assert len(commands) == 2
    assert all("\n" not in command for command in commands)
    assert commands[0].endswith("pubcli list")


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run runs exactly the README's second quick-start command."""
    ci_script = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert quick_start()[1] in ci_script.splitlines()


def console_examples(heading: str) -> list[tuple[str, str]]:
    """Each ``$ command`` of the console blocks of a README section, with the output shown
    under it (up to the next command or the end of the block)."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    examples: list[tuple[str, str]] = []
    for block in re.findall(r"```console\n(.*?)```", section, re.S):
        for part in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, _, shown = part.partition("\n")
            examples.append((command, shown))
    return examples


def test_the_citing_examples_run_as_written(tmp_path: Path) -> None:
    """Every command of README "Citing" runs on the shipped catalogue with exit 0 and
    prints exactly what the README shows under it."""
    import shutil
    import subprocess

    from tests.conftest import PUBCLI, SHIPPED_CATALOGUE

    (tmp_path / "data").mkdir()
    shutil.copy(SHIPPED_CATALOGUE, tmp_path / "data" / "publications.toml")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PUBCLI_")}
    environment.update(PATH=f"{PUBCLI.parent}{os.pathsep}{environment['PATH']}", BROWSER="true")
    examples = console_examples("Citing")
    assert len(examples) >= 5
    for command, shown in examples:
        done = subprocess.run(
            command, shell=True, cwd=tmp_path, env=environment, capture_output=True, timeout=60
        )
        assert (done.returncode, done.stderr) == (0, b""), command
        assert done.stdout.decode("utf-8") == shown, command
