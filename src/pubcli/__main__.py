"""Run pubcli as ``python -m pubcli``."""

from pubcli.cli import main

raise SystemExit(main())
