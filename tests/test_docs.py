"""The documentation stays true: help for every command, README commands that CI runs."""

from __future__ import annotations

import re

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
