"""pubcli: a command-line catalogue of publications.

For scripts and notebooks::

    from pubcli import load_catalogue, Publication

    catalogue = load_catalogue("data/publications.toml")
    for publication in catalogue.publications:  # valid entries, as frozen dataclasses
        print(publication.id, publication.date)
    for problem in catalogue.problems:  # what check would report
        print(problem)

Importing pubcli loads neither Typer, Click nor Rich.
"""

# No ``from __future__ import annotations`` here: it imports a module before the start-up
# hook below is installed, and every annotation of this file is valid without it.
import sys as _sys


def _interrupts(error: BaseException | None) -> bool:
    """Whether ``error`` is a Ctrl-C, or what Python made of one (3.11 wraps a
    KeyboardInterrupt raised inside ``__set_name__`` in a RuntimeError, for one)."""
    seen = 0
    while error is not None and seen < 100:
        if isinstance(error, KeyboardInterrupt):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def _interrupted_at_start_up(kind: type[BaseException], value: BaseException, tb: object) -> None:
    # Ctrl-C before main() can catch it (while the console script imports pubcli): the one
    # line main() would print. Python then ends the process by SIGINT (a shell sees 130).
    if _interrupts(value):
        _sys.stderr.write("error: interrupted\n")
    else:
        _sys.__excepthook__(kind, value, tb)  # type: ignore[arg-type]


def _interrupted_at_exit(unraisable: "_sys.UnraisableHookArgs") -> None:
    # Ctrl-C while the interpreter shuts down, after main() has returned (threading's
    # shutdown reports it as "Exception ignored"): the command is done, its code stands.
    if not _interrupts(unraisable.exc_value):
        _sys.__unraisablehook__(unraisable)


def _install_interrupt_hooks() -> None:
    """Make a Ctrl-C outside main() one line, never a traceback (issue 10, item 11)."""
    _sys.excepthook = _interrupted_at_start_up
    _sys.unraisablehook = _interrupted_at_exit


# First thing, and only when this process is the ``pubcli`` console script (never for
# ``import pubcli`` from Python): the script imports pubcli before main() and its handlers
# run, and Python finalises after main() has returned.
if _sys.argv and _sys.argv[0].replace("\\", "/").rsplit("/", 1)[-1] in (
    "pubcli",
    "pubcli-script.py",
    "pubcli.exe",
):
    if getattr(_sys.modules.get("__main__"), "__file__", None) == _sys.argv[0]:
        _install_interrupt_hooks()

from typing import TYPE_CHECKING, Any  # noqa: E402 - after the hook, which comes first

__version__ = "0.1.0"
__all__ = ["Catalogue", "Problem", "Publication", "__version__", "load_catalogue"]

if TYPE_CHECKING:
    from pubcli.api import load_catalogue
    from pubcli.catalogue.loader import Catalogue
    from pubcli.catalogue.problems import Problem
    from pubcli.model import Publication


def __getattr__(name: str) -> Any:
    # Lazily, so that the console script's quick route pays for none of this.
    if name == "load_catalogue":
        from pubcli.api import load_catalogue

        return load_catalogue
    if name == "Publication":
        from pubcli.model import Publication

        return Publication
    if name == "Catalogue":
        from pubcli.catalogue.loader import Catalogue

        return Catalogue
    if name == "Problem":
        from pubcli.catalogue.problems import Problem

        return Problem
    raise AttributeError(f"module 'pubcli' has no attribute {name!r}")
