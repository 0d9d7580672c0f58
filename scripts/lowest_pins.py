"""Print pip constraints that hold every direct dependency of pubcli at its lower bound.

Read from pyproject.toml (the runtime dependencies and the test extra), so that the
lowest end of every declared range is what ``scripts/check`` tests in ``.venv-lowest``.
A requirement without a lower bound is left free.
"""

import re
import tomllib
from pathlib import Path

project = tomllib.loads(Path(__file__).resolve().parent.parent.joinpath("pyproject.toml")
                        .read_text(encoding="utf-8"))["project"]  # fmt: skip
for requirement in project["dependencies"] + project["optional-dependencies"]["test"]:
    name = re.match(r"[A-Za-z0-9._-]+", requirement)
    lowest = re.search(r"(?:>=|==)\s*([0-9][^,;\s]*)", requirement)
    if name and lowest:
        print(f"{name.group()}=={lowest.group(1)}")
