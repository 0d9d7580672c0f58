"""Make untrusted text safe to print: control characters are shown escaped (SPEC section 6)."""

import re

# C0 except tab and newline, DEL, and C1. Tab and newline are layout, not control.
_CONTROL_KEEP_LAYOUT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Every C0, DEL and C1, for text that must stay on one line.
_CONTROL_ALL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Lone surrogates come from undecodable bytes (surrogateescape); no stream can encode them.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape_controls(text: str, *, keep_layout: bool = True) -> str:
    """Return ``text`` with control characters written as ``\\xNN``.

    With ``keep_layout`` tab and newline pass through; otherwise they are escaped too,
    so the result is always one line.
    """
    pattern = _CONTROL_KEEP_LAYOUT if keep_layout else _CONTROL_ALL
    text = pattern.sub(_escape_char, text)
    return _SURROGATE.sub(_escape_char, text)


def one_line(text: str) -> str:
    """Return ``text`` escaped and on one line: for ids, paths and values in messages."""
    return escape_controls(text, keep_layout=False)
