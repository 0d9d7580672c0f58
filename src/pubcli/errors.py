"""The exceptions the core raises; the CLI maps each to a message and an exit code."""

from pubcli import exit_codes


class PubcliError(Exception):
    """Base of every error pubcli reports to a user; ``exit_code`` says how it ends."""

    exit_code = exit_codes.CATALOGUE


class UsageError(PubcliError):
    """A bad option value or argument."""

    exit_code = exit_codes.USAGE


class InvalidInputError(UsageError):
    """New entries that cannot be added; carries every problem found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class NoMatchError(PubcliError):
    """No publication has the id asked for, or the prefix is ambiguous."""

    exit_code = exit_codes.NO_MATCH


class CatalogueError(PubcliError):
    """The catalogue cannot be found, read, parsed, written or locked."""

    exit_code = exit_codes.CATALOGUE


class CatalogueNotFoundError(CatalogueError):
    """No catalogue was named and none could be found."""


class UnresolvedConflictError(CatalogueError):
    """The catalogue holds git's conflict markers: a merge left unresolved."""

    def __init__(self, message: str, display: str, marker_lines: list[tuple[int, str]]) -> None:
        super().__init__(message)
        self.display = display
        self.marker_lines = marker_lines
        """Each marker's line number and text."""
