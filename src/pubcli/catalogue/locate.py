"""Decide which catalogue file a command works on (SPEC section 2)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pubcli.errors import CatalogueNotFoundError, UsageError

ENV_VAR = "PUBCLI_CATALOGUE"
RELATIVE_PATH = Path("data") / "publications.toml"


def find_catalogue(option: str | None, environ: Mapping[str, str], cwd: Path) -> tuple[Path, str]:
    """Return the catalogue's path and the name to show for it in messages.

    The ``--catalogue`` option wins, then ``$PUBCLI_CATALOGUE``, then ``catalogue`` in the
    user's config file (``pubcli.config``), then ``data/publications.toml`` in ``cwd`` or
    its nearest parent that has one. An empty
    option (``-c "$UNSET"``) is refused rather than passed over: it names no file, and
    quietly using another one would read or write the wrong catalogue. An empty variable
    counts as unset, as git treats its own.
    """
    if option is not None:
        refuse_empty(option)
        return Path(option), option
    from_env = environ.get(ENV_VAR)
    if from_env:
        return Path(from_env), from_env
    from pubcli.config import load_config

    configured = load_config(environ).catalogue
    if configured is not None:
        return configured, str(configured)
    for directory in (cwd, *cwd.parents):
        candidate = directory / RELATIVE_PATH
        if candidate.is_file():
            return candidate, os.path.relpath(candidate, cwd)
    raise CatalogueNotFoundError(
        f"no catalogue found: pass --catalogue PATH, set {ENV_VAR}, set catalogue in the "
        "config file ('pubcli config path'), or run inside a directory that has "
        f"{RELATIVE_PATH.as_posix()}"
    )


def refuse_empty(option: str | None) -> None:
    """Refuse an empty ``--catalogue`` (also for commands that do not read the file)."""
    if option == "":
        raise UsageError("--catalogue is empty: give the catalogue's path")
