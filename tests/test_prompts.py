"""add's prompts in a real terminal: each answer checked as it is typed (SPEC 3 and 12)."""

from __future__ import annotations

import os
import pty
import select
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pubcli.catalogue.loader import load_catalogue
from tests.conftest import PUBCLI, entry


class Terminal:
    """pubcli run on a pseudo-terminal of its own (its controlling terminal, so that
    Ctrl-C typed there interrupts it), answered as a person would."""

    def __init__(self, arguments: list[str], cwd: Path) -> None:
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100"}
        env = {key: value for key, value in env.items() if not key.startswith("PUBCLI_")}
        pid, fd = pty.fork()
        if pid == 0:  # the child: pubcli, with the pty as its terminal
            try:
                os.chdir(cwd)
                os.execve(str(PUBCLI), [str(PUBCLI), *arguments], env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.screen = ""
        self.answered = 0  # the screen up to here holds prompts already answered

    def wait_for(self, text: str, after: int = 0) -> None:
        """Read until ``text`` appears on the screen after offset ``after``."""
        while text not in self.screen[after:]:
            ready, _, _ = select.select([self.fd], [], [], 30)
            assert ready, f"{text!r} never appeared; the screen:\n{self.screen}"
            try:
                data = os.read(self.fd, 4096)
            except OSError:
                data = b""
            assert data, f"{text!r} never appeared; the screen:\n{self.screen}"
            self.screen += data.decode("utf-8", "replace")

    def wait_until_reading(self) -> None:
        """Wait until pubcli sleeps in read() on its terminal.

        A Ctrl-C that arrives after Python last checked for signals but before it entered
        read() is only noticed at the next key (a race inside CPython's input(), microseconds
        wide): a person cannot type into it, but a loaded machine can put the test's key
        there. Where /proc does not say, a short pause stands in for it.
        """
        read_call = {"x86_64": "0", "aarch64": "63"}.get(os.uname().machine)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                call = Path(f"/proc/{self.pid}/syscall").read_text().split()
            except OSError:
                call = []
            if read_call is None or not call:
                time.sleep(0.5)
                return
            if call[:2] == [read_call, "0x0"]:
                return
            time.sleep(0.01)
        raise AssertionError(f"pubcli never waited for input; the screen:\n{self.screen}")

    def answer(self, prompt: str, typed: str) -> None:
        """Wait for the next ``prompt`` and type ``typed`` and Enter.

        The next prompt may arrive in the same read as the echo of the last answer, so
        the search starts where the last answered prompt ended, not at the screen's end.
        """
        self.wait_for(prompt, self.answered)
        self.answered += self.screen[self.answered :].index(prompt) + len(prompt)
        os.write(self.fd, typed.encode() + b"\r")
        self.wait_for("\n", self.answered)

    def finish(self) -> int:
        """Read to the end; the exit status."""
        while True:
            ready, _, _ = select.select([self.fd], [], [], 30)
            if not ready:
                break
            try:
                data = os.read(self.fd, 4096)
            except OSError:
                break
            if not data:
                break
            self.screen += data.decode("utf-8", "replace")
        os.close(self.fd)
        _, status = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(status)


def test_each_answer_is_checked_as_it_is_typed(
    make_catalogue: Callable[..., Path], isolated: Path
) -> None:
    """A title of spaces is refused at once, before the next question, and asked again;
    so is a component holding ';'. Nothing typed before is lost."""
    path = make_catalogue(entry("a", "Alpha"))
    terminal = Terminal(["add", "--date", "2020-01-02"], isolated)
    terminal.answer("Title: ", "   ")
    terminal.answer("Title: ", " Typed Title ")
    terminal.answer("Type: ", "")
    terminal.answer("Type: ", "Letter")
    terminal.answer("Components (comma-separated): ", "ice; CBP")
    terminal.answer("Components (comma-separated): ", "ice, CBP")
    assert terminal.finish() == 0, terminal.screen
    lines = [line for line in terminal.screen.splitlines() if line.startswith("error: ")]
    assert lines == [
        "error: 'title' is blank",
        "error: 'type' is blank",
        "error: 'components' value 1 contains ';' (csv, tsv and markdown join a list "
        "with '; '; write two values instead)",
    ]
    screen = terminal.screen
    assert screen.index("'title' is blank") < screen.index("Type: ")
    added = load_catalogue(path, "c").publications[-1]
    assert (added.id, added.title, added.type) == ("typed-title", "Typed Title", "Letter")
    assert added.components == ("ICE", "CBP")  # the catalogue's spelling, as with flags
    assert str(added.date) == "2020-01-02"


def test_a_title_that_makes_no_id_is_refused_at_once(
    make_catalogue: Callable[..., Path], isolated: Path
) -> None:
    """Without --id the id is made from the title: a title with no letter or digit is
    asked again at once, not refused after every other answer."""
    make_catalogue(entry("a", "Alpha"))
    terminal = Terminal(["add", "--type", "Letter", "--component", "ICE"], isolated)
    terminal.answer("Title: ", "!!!")
    terminal.answer("Title: ", "Fine")
    assert terminal.finish() == 0, terminal.screen
    assert "error: cannot make an id from the title; give one with --id" in terminal.screen


@pytest.mark.parametrize(
    ("command", "question"),
    [(["add", "--type", "Letter"], "Title: "), (["remove", "a"], "[y/N]: ")],
    ids=["add's prompt", "remove's question"],
)
def test_ctrl_c_at_a_prompt_ends_its_line_first(
    make_catalogue: Callable[..., Path], isolated: Path, command: list[str], question: str
) -> None:
    """The terminal shows 'Title: ^C' (add) or '[y/N]: ^C' (remove), then
    'error: interrupted' on a line of its own; exit 130 and nothing written."""
    path = make_catalogue(entry("a", "Alpha") + entry("b", "Beta"))
    before = path.read_bytes()
    terminal = Terminal([*command, "-c", str(path)], isolated)
    terminal.wait_for(question)
    terminal.wait_until_reading()
    os.write(terminal.fd, b"\x03")
    assert terminal.finish() == 130, repr(terminal.screen)
    assert f"{question}^C\r\nerror: interrupted\r\n" in terminal.screen, repr(terminal.screen)
    assert path.read_bytes() == before


def test_an_answer_not_in_utf8_is_asked_again(
    make_catalogue: Callable[..., Path], isolated: Path
) -> None:
    """Bytes that are not UTF-8 (a Latin-1 terminal) are refused as the answer is typed,
    with one error line, and the question is asked again; no internal error."""
    path = make_catalogue(entry("a", "Alpha"))
    terminal = Terminal(["add", "--type", "Letter", "--component", "ICE"], isolated)
    terminal.wait_for("Title: ")
    terminal.answered = terminal.screen.index("Title: ") + len("Title: ")
    os.write(terminal.fd, b"Caf\xe9\r")
    terminal.answer("Title: ", "Cafe")
    assert terminal.finish() == 0, terminal.screen
    errors = [line for line in terminal.screen.splitlines() if line.startswith("error: ")]
    assert errors == ["error: the answer 'Caf\\xe9' is not valid UTF-8"], terminal.screen
    assert load_catalogue(path, "c").publications[-1].title == "Cafe"
