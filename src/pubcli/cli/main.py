"""The ``pubcli`` console script: the quick route when it applies, else the full CLI."""

from __future__ import annotations

import sys

from pubcli.output.streams import prepare_streams


def main() -> int:
    """Run pubcli with the process's arguments and return the exit code."""
    prepare_streams()
    arguments = sys.argv[1:]
    from pubcli.cli.quick import try_run

    try:
        code = try_run(arguments)
    except Exception:  # whatever went wrong, the full CLI reports it without a traceback
        code = None
    if code is not None:
        return code
    from pubcli.cli.app import run

    return run(arguments)
