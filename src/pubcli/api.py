"""The Python API for scripts and notebooks: load a catalogue as dataclasses."""

from __future__ import annotations

import os
from pathlib import Path

from pubcli.catalogue import loader
from pubcli.catalogue.loader import Catalogue


def load_catalogue(path: str | os.PathLike[str]) -> Catalogue:
    """Read, parse and validate the catalogue file at ``path``.

    Returns its valid publications (``Publication`` dataclasses, in file order) and every
    problem ``pubcli check`` would report. Raises ``pubcli.errors.CatalogueError`` when the
    file cannot be read or is not valid TOML.
    """
    return loader.load_catalogue(Path(path), os.fspath(path))
