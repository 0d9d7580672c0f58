"""How pubcli words a count, in every message and caption: ``1 publication``, ``2 ...s``."""


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``count`` and ``noun``, the noun in the plural (``plural``, else noun + s) unless one."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"
