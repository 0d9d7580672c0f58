"""pubcli open: a publication's URL in the browser that BROWSER names, or printed."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from pubcli.errors import CatalogueError
from pubcli.output.browser import open_in_browser
from tests.conftest import entry, run_process

HOSTILE_URL = "https://example.org/a;b&c=$(touch${IFS}pwned)`touch${IFS}pwned2`|x'\"*"


@pytest.fixture
def catalogue(make_catalogue: Callable[..., Path]) -> Path:
    return make_catalogue(
        entry("statement-dorian", "Dorian", url="https://example.org/dorian"),
        entry("statement-hostile", "Hostile", url=HOSTILE_URL),
        entry("no-url", "Nothing to open"),
    )


@pytest.fixture
def recorder(isolated: Path) -> Path:
    """A browser that writes each argument it is given on a line of ``opened.txt``."""
    script = isolated / "browser.sh"
    script.write_text('#!/bin/sh\nprintf "%s\\n" "$@" >> "$(dirname "$0")/opened.txt"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def opened(recorder: Path) -> list[str]:
    log = recorder.parent / "opened.txt"
    return log.read_text().splitlines() if log.exists() else []


def test_open_gives_the_url_to_the_browser_of_browser(catalogue: Path, recorder: Path) -> None:
    """BROWSER is honoured; a unique prefix of the id will do; nothing on stdout."""
    done = run_process(["open", "statement-d"], env={"BROWSER": str(recorder)})
    assert (done.returncode, done.stdout) == (0, b"")
    assert done.stderr == b"opened https://example.org/dorian\n"
    assert opened(recorder) == ["https://example.org/dorian"]


def test_the_url_is_one_argument_and_never_seen_by_a_shell(
    catalogue: Path, recorder: Path
) -> None:
    """Shell syntax in the URL is text: the browser gets it whole, nothing else runs."""
    done = run_process(["open", "statement-hostile"], env={"BROWSER": str(recorder)})
    assert done.returncode == 0
    assert opened(recorder) == [HOSTILE_URL]
    assert not any(Path(name).exists() for name in ("pwned", "pwned2"))


def test_print_prints_the_url_and_opens_nothing(catalogue: Path, recorder: Path) -> None:
    done = run_process(["open", "statement-dorian", "--print"], env={"BROWSER": str(recorder)})
    assert (done.returncode, done.stdout, done.stderr) == (
        0,
        b"https://example.org/dorian\n",
        b"",
    )
    assert opened(recorder) == []


def test_without_a_browser_the_url_is_printed(catalogue: Path, isolated: Path) -> None:
    """No BROWSER, no display and no browser program on PATH: the URL is printed."""
    empty = isolated / "empty-bin"
    empty.mkdir()
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("BROWSER", "DISPLAY", "WAYLAND_DISPLAY")}  # fmt: skip
    environment["PATH"] = str(empty)
    done = run_process(["open", "statement-dorian"], env=environment)
    assert done.returncode == 0
    assert done.stdout == b"https://example.org/dorian\n"
    assert done.stderr == b"note: no browser to open it with; set BROWSER to choose one\n"


def test_a_browser_that_fails_means_the_url_is_printed(catalogue: Path, isolated: Path) -> None:
    done = run_process(["open", "statement-dorian"], env={"BROWSER": str(isolated / "missing")})
    assert (done.returncode, done.stdout) == (0, b"https://example.org/dorian\n")


def test_no_url_is_exit_1_with_a_clear_line(catalogue: Path, recorder: Path) -> None:
    done = run_process(["open", "no-url"], env={"BROWSER": str(recorder)})
    assert (done.returncode, done.stdout) == (1, b"")
    assert done.stderr == b"error: no-url has no URL to open\n"
    assert opened(recorder) == []


def test_an_unknown_or_ambiguous_id_is_exit_1_as_for_show(catalogue: Path) -> None:
    done = run_process(["open", "statement"])
    assert done.returncode == 1
    assert done.stderr == (
        b"error: 'statement' is ambiguous; it starts statement-dorian, statement-hostile\n"
    )


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "javascript:alert(1)", "-https://x.org", "https://a b"]
)
def test_a_url_that_is_not_http_is_never_opened(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """An entry edited by hand is skipped by the loader anyway; the opener refuses such a
    URL again before it even looks for a browser."""
    import webbrowser

    def no_browser(*_: object) -> None:
        raise AssertionError("a browser was looked for")

    monkeypatch.setattr(webbrowser, "get", no_browser)
    with pytest.raises(CatalogueError, match="not an http:// or https:// URL"):
        open_in_browser(url)


def test_a_hand_edited_non_http_url_skips_the_entry(
    make_catalogue: Callable[..., Path], recorder: Path
) -> None:
    make_catalogue(entry("local", "Local", url="file:///etc/passwd"))
    done = run_process(["open", "local"], env={"BROWSER": str(recorder)})
    assert done.returncode == 1
    assert b"no publication with id 'local'" in done.stderr
    assert opened(recorder) == []
