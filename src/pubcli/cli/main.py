"""The ``pubcli`` console script: the quick route when it applies, else the full CLI."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from pubcli.output.environment import Environment, choose
from pubcli.output.streams import prepare_streams, silence_stdout


def main(arguments: Sequence[str] | None = None, environment: Environment | None = None) -> int:
    """Run pubcli with ``arguments`` (default: the process's) and return the exit code.

    The one way in, for the console script, ``python -m pubcli`` and the tests alike;
    ``environment`` replaces the terminal facts read from the process (for tests).
    """
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
