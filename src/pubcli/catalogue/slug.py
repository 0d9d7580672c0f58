"""Turn a title into an id: lowercase ASCII words joined by hyphens (SPEC section 3, add)."""

import re
import unicodedata

from pubcli.catalogue.rules import MAX_ID_LENGTH

# Letters that Unicode decomposition does not reduce to ASCII but a reader would.
_TRANSLITERATIONS = str.maketrans(
    {"ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O", "đ": "d",
     "Đ": "D", "ł": "l", "Ł": "L", "þ": "th", "Þ": "Th", "ð": "d", "Ð": "D"}
)  # fmt: skip


def slugify(title: str, max_length: int = MAX_ID_LENGTH) -> str:
    """Return the id for ``title``; empty when the title has no letters or digits to use.

    Accents are folded to ASCII, runs of other characters become one ``-``, and a slug
    longer than ``max_length`` is cut at the last word boundary that fits.
    """
    folded = unicodedata.normalize("NFKD", title.translate(_TRANSLITERATIONS))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    if len(slug) <= max_length:
        return slug
    cut = slug[: max_length + 1]
    boundary = cut.rfind("-")
    return (cut[:boundary] if boundary > 0 else slug[:max_length]).strip("-")
