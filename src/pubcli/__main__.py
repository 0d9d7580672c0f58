"""Run pubcli as ``python -m pubcli``."""

import pubcli

# As for the console script (see pubcli/__init__.py): a Ctrl-C before main() is one line.
pubcli._install_interrupt_hooks()

from pubcli.cli.main import main  # noqa: E402 - after the hook

raise SystemExit(main())
