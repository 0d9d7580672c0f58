"""Run pubcli as ``python -m pubcli``."""

from pubcli.cli.main import main

raise SystemExit(main())
