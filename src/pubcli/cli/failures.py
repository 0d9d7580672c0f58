"""What pubcli says and which exit code it returns when a command fails: decided here once.

Both routes call ``report``: the quick route for everything it takes, the Typer route for
everything but Click's own usage errors. No Typer here.
"""

from __future__ import annotations

import os

from pubcli import _interrupts, exit_codes
from pubcli.errors import PubcliError
from pubcli.output.streams import OutputClosedError, say, silence_stdout
from pubcli.safe_text import one_line


def report(error: BaseException) -> int:
    """Say what went wrong (one ``error:`` line, nothing for a closed pipe); return the code.

    Anything unforeseen is an internal error without a traceback, unless PUBCLI_DEBUG is set.
    """
    if isinstance(error, OutputClosedError | BrokenPipeError):
        silence_stdout()  # the reader is gone: end quietly (SPEC section 5)
        return exit_codes.OK
    if isinstance(error, PubcliError):
        say("error: ", str(error))
        return error.exit_code
    if _interrupts(error):  # a KeyboardInterrupt, or what Python wrapped one in
        say("error: ", "interrupted")
        return exit_codes.INTERRUPTED
    if isinstance(error, OSError):
        # Reading or writing failed below the core's own checks (a disk error, a full
        # disk under the output, a file that vanished): reported without a traceback.
        say("error: ", one_line(f"{error.strerror or error}: {error.filename or ''}".rstrip(": ")))
        return exit_codes.CATALOGUE
    if os.environ.get("PUBCLI_DEBUG") or not isinstance(error, Exception):
        raise error
    say("error: ", f"internal error ({type(error).__name__}: {one_line(str(error))}); "
         "please report it, with PUBCLI_DEBUG=1 for the traceback")  # fmt: skip
    return exit_codes.CATALOGUE
