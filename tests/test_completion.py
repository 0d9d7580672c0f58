"""Shell completion in a real bash (SPEC 8 and 12): values inserted ready to run, pubcli's
order, nothing offered from a broken catalogue, and the installed script."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import PUBCLI, Session, entry, run_process, start_in_pty

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")

BLOCKS = (
    entry("pia-one", "One", type_="Privacy Impact Assessment", date="2020-01-01"),
    entry("statement-one", "Two", type_="Statement", date="2020-01-02"),
    entry("statement-two", "Three", type_="Statement", date="2020-01-03"),
    entry("statement-three", "Four", type_="Statement", date="2020-01-04"),
    entry("form-one", "Five", type_="Form", date="2020-01-05"),
    entry("pia-two", "Six", type_="Privacy Impact Assessment", date="2020-01-06"),
)


def _bash(isolated: Path, catalogue: Path) -> Session:
    """An interactive bash on a pty with pubcli's completion script sourced."""
    script = isolated / "pubcli-completion.bash"
    shown = run_process(["--show-completion", "bash"], env=_no_detection())
    script.write_bytes(shown.stdout)
    rc = isolated / "rc"
    rc.write_text(
        f'PS1="$ "\nPATH="{PUBCLI.parent}:$PATH"\nsource "{script}"\n'
        "bind 'set completion-display-width 0'\nbind 'set print-completions-horizontally on'\n"
        "bind 'set bell-style none'\nbind 'set enable-bracketed-paste off'\n",
        encoding="utf-8",
    )
    env = {"PUBCLI_CATALOGUE": str(catalogue), "INPUTRC": "/dev/null", "PUBCLI_PAGER": ""}
    bash = Path(shutil.which("bash") or "bash")
    arguments = ["--norc", "-i"]
    session = start_in_pty(arguments, isolated, env, rows=50, columns=200, program=bash)
    session.send(f"source {rc}\r".encode())
    return session


def _no_detection() -> dict[str, str]:
    return {"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}


@pytest.fixture
def bash_in_pty() -> Callable[[Path, Path], Session]:
    return _bash


def _typed(session: Session, line: bytes, tab: bytes = b"\t") -> None:
    session.send(line + tab)


def _done(session: Session) -> str:
    """Say the last command's exit status and leave bash; the whole screen."""
    session.send(b"echo rc=$?; exit\r")
    _, screen = session.finish()
    return screen.replace("\r", "")


def test_a_value_with_spaces_is_inserted_escaped_and_the_command_runs(
    isolated: Path, make_catalogue: Callable[..., Path], bash_in_pty: Callable[..., Session]
) -> None:
    catalogue = make_catalogue(*BLOCKS)
    session = bash_in_pty(isolated, catalogue)
    assert session.read_until(b"$ ")
    _typed(session, b"pubcli filter -f ids --type Pri")
    assert session.read_until(b"Privacy\\ Impact\\ Assessment")
    session.send(b"\r")
    assert session.read_until(b"pia-one")
    screen = _done(session)
    assert "rc=0" in screen
    assert "unexpected extra" not in screen


def test_candidates_keep_pubclis_order(
    isolated: Path, make_catalogue: Callable[..., Path], bash_in_pty: Callable[..., Session]
) -> None:
    """Most used first (Statement 3, Privacy Impact Assessment 2, Form 1), not bash's
    alphabetical order."""
    catalogue = make_catalogue(*BLOCKS)
    session = bash_in_pty(isolated, catalogue)
    assert session.read_until(b"$ ")
    _typed(session, b"pubcli filter --type ", b"\t\t")
    assert session.read_until(b"Form")
    session.send(b"\x03")  # drop the line
    screen = _done(session)
    listed = [line.strip() for line in screen.split("\n")]
    candidates = ["Statement", "Privacy\\ Impact\\ Assessment", "Form"]
    assert [value for value in listed if value in candidates] == candidates


def test_a_broken_catalogue_offers_nothing_not_file_names(
    isolated: Path, make_catalogue: Callable[..., Path], bash_in_pty: Callable[..., Session]
) -> None:
    broken = make_catalogue("[[publications]\n", name="broken.toml")
    (isolated / "zz-only-file").write_text("", encoding="utf-8")
    session = bash_in_pty(isolated, broken)
    assert session.read_until(b"$ ")
    _typed(session, b"pubcli show ", b"\t\t")
    session.send(b"\r")
    screen = _done(session)
    assert "zz-only-file" not in screen.split("rc=")[0].split("pubcli show", 1)[1]
    assert "rc=2" in screen  # show without an id: nothing was inserted


def test_a_path_option_still_offers_file_names(
    isolated: Path, make_catalogue: Callable[..., Path], bash_in_pty: Callable[..., Session]
) -> None:
    catalogue = make_catalogue(*BLOCKS, name="only-toml-here.toml")
    session = bash_in_pty(isolated, catalogue)
    assert session.read_until(b"$ ")
    _typed(session, b"pubcli list -f ids -c only-to")
    assert session.read_until(b"only-toml-here.toml")
    session.send(b"\r")
    assert session.read_until(b"statement-three")
    assert "rc=0" in _done(session)


def test_the_installed_scripts_end_with_a_newline(isolated: Path) -> None:
    env = {**_no_detection(), "HOME": str(isolated)}
    for shell, path in (
        ("bash", ".bash_completions/pubcli.sh"),
        ("zsh", ".zfunc/_pubcli"),
        ("fish", ".config/fish/completions/pubcli.fish"),
    ):
        result = run_process(["--install-completion", shell], env=env)
        assert result.returncode == 0, result.stderr
        text = (isolated / path).read_text(encoding="utf-8")
        assert text.endswith("\n") and not text.endswith("\n\n"), shell


def _complete(shell: str, line: str, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    request = {
        "_PUBCLI_COMPLETE": f"complete_{shell}",
        "_TYPER_COMPLETE_ARGS": line,
        "_TYPER_COMPLETE_FISH_ACTION": "is-args",
    }
    return run_process([], env={**env, **request})


def test_zsh_and_fish_offer_no_file_names_from_a_broken_catalogue(
    isolated: Path, make_catalogue: Callable[..., Path]
) -> None:
    """No zsh or fish here: their side of the protocol, as the scripts read it."""
    broken = {"PUBCLI_CATALOGUE": str(make_catalogue("[[x]\n", name="broken.toml"))}
    assert _complete("zsh", "pubcli show ", broken).stdout.strip() == b""
    assert _complete("zsh", "pubcli -c ", broken).stdout.strip() == b"_files"
    assert _complete("fish", "pubcli show ", broken).returncode == 0  # --no-files applies
    assert _complete("fish", "pubcli -c ", broken).returncode == 1  # file names
    good = {"PUBCLI_CATALOGUE": str(make_catalogue(*BLOCKS))}
    zsh = _complete("zsh", "pubcli filter --type Pri", good).stdout.decode()
    assert '"Privacy Impact Assessment"' in zsh
    assert os.environ.get("_PUBCLI_COMPLETE") is None


def test_hostile_values_are_inserted_as_data_and_run(
    isolated: Path, make_catalogue: Callable[..., Path], bash_in_pty: Callable[..., Session]
) -> None:
    """Quotes, a command substitution and backticks in a value are inserted escaped: the
    completed command finds the entry and runs nothing of the value."""
    catalogue = make_catalogue(
        entry("hostile", "Hostile", type_='Qx $(touch PWNED) `touch PWNED2` it\'s "q"')
    )
    session = bash_in_pty(isolated, catalogue)
    assert session.read_until(b"$ ")
    _typed(session, b"pubcli filter -f ids --type Qx")
    assert session.read_until(b"PWNED2")
    session.send(b"\r")
    assert session.read_until(b"hostile")
    screen = _done(session)
    assert "rc=0" in screen
    assert not (isolated / "PWNED").exists()
    assert not (isolated / "PWNED2").exists()
