"""The ``pubcli`` console script: the quick route when it applies, else the full CLI.

This module imports nothing of pubcli at its top: the console script imports it before
``main`` runs, and a Ctrl-C that lands then is only caught by the start-up hook in
``pubcli/__init__.py``. Everything else happens inside ``main``, under its handlers.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pubcli.output.environment import Environment


def main(arguments: Sequence[str] | None = None, environment: Environment | None = None) -> int:
    """Run pubcli with ``arguments`` (default: the process's) and return the exit code.

    The one way in, for the console script, ``python -m pubcli`` and the tests alike;
    ``environment`` replaces the terminal facts read from the process (for tests).
    A Ctrl-C wherever it lands, imports included, is one ``error: interrupted`` line and 130.
    """
    from pubcli import _interrupts

    try:
        return _run(arguments, environment)
    except BaseException as error:
        if not _interrupts(error):
            raise
        sys.stderr.write("error: interrupted\n")
        return 130  # exit_codes.INTERRUPTED, not imported here: see the module's docstring


def _run(arguments: Sequence[str] | None, environment: Environment | None) -> int:
    from pubcli.output.environment import choose
    from pubcli.output.streams import prepare_streams, silence_stdout

    prepare_streams()
    if arguments is None:
        arguments = sys.argv[1:]
    previous = choose(environment)
    try:
        from pubcli.cli.quick import try_run

        code = try_run(arguments)
        if code is None:
            from pubcli.cli.app import run

            code = run(arguments)
    finally:
        choose(previous)
    try:
        sys.stdout.flush()
    except OSError:
        # Already reported; the interpreter's own last flush must not fail again.
        silence_stdout()
    return code
