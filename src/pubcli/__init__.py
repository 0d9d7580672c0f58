"""pubcli: a command-line catalogue of publications.

For scripts and notebooks::

    from pubcli import load_catalogue, Publication

    catalogue = load_catalogue("data/publications.toml")
    for publication in catalogue.publications:  # valid entries, as frozen dataclasses
        print(publication.id, publication.date)
    for problem in catalogue.problems:  # what check would report
        print(problem)

Importing pubcli loads neither Typer, Click nor Rich.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Catalogue", "Problem", "Publication", "__version__", "load_catalogue"]

if TYPE_CHECKING:
    from pubcli.api import load_catalogue
    from pubcli.catalogue.loader import Catalogue
    from pubcli.catalogue.problems import Problem
    from pubcli.model import Publication


def __getattr__(name: str) -> Any:
    # Lazily, so that the console script's quick route pays for none of this.
    if name == "load_catalogue":
        from pubcli.api import load_catalogue

        return load_catalogue
    if name == "Publication":
        from pubcli.model import Publication

        return Publication
    if name == "Catalogue":
        from pubcli.catalogue.loader import Catalogue

        return Catalogue
    if name == "Problem":
        from pubcli.catalogue.problems import Problem

        return Problem
    raise AttributeError(f"module 'pubcli' has no attribute {name!r}")
