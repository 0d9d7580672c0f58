"""Make untrusted text safe to print: control characters are shown escaped (SPEC section 6)."""

import re

INVISIBLE = "\u061c\u200b-\u200f\u2028-\u202e\u2060\u2066-\u2069\ufeff"
"""A regex class body: characters that change what a reader sees while showing nothing.
Zero-width characters (U+200B-U+200D, U+2060, U+FEFF), bidirectional controls (U+061C,
U+200E, U+200F, U+202A-U+202E, U+2066-U+2069), and the line and paragraph separators
U+2028 and U+2029 (which split lines for ``str.splitlines``, editors and terminals)."""

# C0 except tab and newline, DEL, and C1 (tab and newline are layout, not control); the
# invisible characters above; lone surrogates, which come from undecodable bytes
# (surrogateescape) and which no stream can encode.
_CONTROL_KEEP_LAYOUT = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{INVISIBLE}\ud800-\udfff]")
# The same and tab and newline too, for text that must stay on one line.
_CONTROL_ALL = re.compile(f"[\x00-\x1f\x7f-\x9f{INVISIBLE}\ud800-\udfff]")


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape_controls(text: str, *, keep_layout: bool = True) -> str:
    """Return ``text`` with control and invisible characters written as ``\\xNN`` or
    ``\\uNNNN``.

    With ``keep_layout`` tab and newline pass through; otherwise they are escaped too,
    so the result is always one line.
    """
    pattern = _CONTROL_KEEP_LAYOUT if keep_layout else _CONTROL_ALL
    return pattern.sub(_escape_char, text)


def one_line(text: str) -> str:
    """Return ``text`` escaped and on one line: for ids, paths and values in messages."""
    return escape_controls(text, keep_layout=False)


def quoted(text: str) -> str:
    """``text`` escaped, on one line, between single quotes: a value in a message. (repr
    would double the backslash of each escape, showing ``\\x1b`` for an ESC.)"""
    return f"'{one_line(text)}'"
