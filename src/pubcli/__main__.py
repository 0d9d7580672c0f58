"""Run pubcli as ``python -m pubcli``."""

from pubcli.entry import main

raise SystemExit(main())
