"""The layout of ``--help`` texts (SPEC 12): never a word or an example broken across lines.

Click wraps help with ``textwrap``'s defaults, which cut a word longer than the line
(``i`` / ``d,title,...``) and break at hyphens, and it never formats narrower than 50
columns, so on a 40-column terminal every line wraps again mid-word. Here lines break at
spaces only; a narrow terminal puts each option's help under the option instead of beside
it; and an example is a command to paste: when it does not fit on a line, it continues on
the next after a `` \\`` (as a shell reads it), never inside quotes, so a line pasted alone
never runs half a command. No Typer or Click here: the CLI hands the texts over.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

HELP_MEASURE = 80
"""Help is never wider than this, even on a wider terminal (Click's default too)."""
MARGIN = 2
"""Cells left free at the right of the terminal."""
BESIDE = 30
"""The narrowest help column beside the options; narrower, each help goes under its option."""
EXAMPLE_HEADINGS = ("Example:", "Examples:")
"""A paragraph that starts with one of these lines holds commands, one a line."""


def help_width(terminal_width: int | None) -> int:
    """The width to lay help out in, for a terminal ``terminal_width`` wide (None: 80)."""
    return max(20, min(terminal_width or 80, HELP_MEASURE) - MARGIN)


def wrap(text: str, width: int, indent: str = "", hanging: str | None = None) -> list[str]:
    """``text`` wrapped at spaces; a word longer than the line stands alone, whole."""
    wrapper = textwrap.TextWrapper(
        width=max(1, width),
        initial_indent=indent,
        subsequent_indent=indent if hanging is None else hanging,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return wrapper.wrap(text) or [indent.rstrip()]


def paragraphs(text: str, width: int, indent: int) -> str:
    """A command's description (or epilog): paragraphs rewrapped; a paragraph after a
    ``\\b`` line kept as written (Click's convention); examples as commands to paste."""
    prefix = " " * indent
    blocks: list[list[str]] = []
    for block in text.strip("\n").split("\n\n"):
        lines = block.split("\n")
        if lines[0].strip() == "\b":
            blocks.append([prefix + line for line in lines[1:]])
        elif lines[0].strip() in EXAMPLE_HEADINGS:
            out = [prefix + lines[0].strip()]
            for command in lines[1:]:
                out += example(command.strip(), width - indent - 2, prefix + "  ")
            blocks.append(out)
        else:
            blocks.append(wrap(" ".join(line.strip() for line in lines), width, prefix))
    return "\n\n".join("\n".join(line.rstrip() for line in block) for block in blocks) + "\n"


def shell_words(command: str) -> list[str]:
    """``command`` split at the spaces a shell splits at (not inside quotes), each word
    spelt as written; a ``#`` comment is one word."""
    words: list[str] = []
    current = ""
    quote = ""
    for position, char in enumerate(command):
        if quote:
            current += char
            if char == quote:
                quote = ""
        elif char in "'\"":
            current += char
            quote = char
        elif char == "#" and not current:
            words.append(command[position:])
            return words
        elif char == " ":
            if current:
                words.append(current)
            current = ""
        else:
            current += char
    if current:
        words.append(current)
    return words


def example(command: str, width: int, indent: str) -> list[str]:
    """One example command within ``width``: whole on a line when it fits, else over
    several, each but the last ending in `` \\`` and the rest indented two more; a
    ``# comment`` that does not fit goes on a line of its own above the command."""
    if len(command) <= width:
        return [indent + command]
    words = shell_words(command)
    comment = words.pop() if words and words[-1].startswith("#") else ""
    units: list[str] = []  # an option stays on the line of its value
    for word in words:
        joins = units and units[-1].startswith("-") and " " not in units[-1]
        if joins and not word.startswith("-") and word != "|":
            units[-1] += " " + word
        else:
            units.append(word)
    pieces: list[str] = []
    current = units[0] if units else ""
    for word in units[1:]:
        room = width - (2 if pieces else 0) - 2  # the indent and the " \\" of a continued line
        if len(current) + 1 + len(word) <= room:
            current += " " + word
        else:
            pieces.append(current + " \\")
            current = word
    pieces.append(current)
    out = [indent + comment] if comment else []
    return out + [indent + pieces[0]] + [indent + "  " + piece for piece in pieces[1:]]


def definition_list(
    rows: Sequence[tuple[str, str]], width: int, indent: int, col_max: int = 30, gap: int = 2
) -> str:
    """Options or commands and their help: the help beside its term when there is room
    for a readable column (``BESIDE``), else under it, indented; words never broken."""
    prefix = " " * indent
    first = min(max((len(term) for term, _ in rows), default=0), col_max) + gap
    beside = width - indent - first >= BESIDE
    out: list[str] = []
    for term, help_text in rows:
        if not help_text:
            out.append(prefix + term)
        elif beside:
            hanging = prefix + " " * first
            lines = wrap(help_text, width, hanging, hanging)
            if len(term) + gap <= first:
                lines[0] = prefix + term.ljust(first) + lines[0][len(hanging) :]
            else:
                lines.insert(0, prefix + term)
            out += lines
        else:
            out.append(prefix + term)
            out += wrap(help_text, width, prefix + "    ")
    return "".join(line.rstrip() + "\n" for line in out)


def usage(prog: str, arguments: str, width: int, indent: int, prefix: str = "Usage: ") -> str:
    """The usage line, its arguments wrapped at spaces under the first of them."""
    start = " " * indent + f"{prefix}{prog} "
    return "\n".join(wrap(arguments, width, start, " " * len(start))) + "\n"
