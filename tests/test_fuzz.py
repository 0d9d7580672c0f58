"""A fuzz target for the loader: any bytes give publications or a catalogue error, never
another exception. Quick by default; a long run is opt-in:

    PUBCLI_FUZZ_EXAMPLES=20000 .venv/bin/python -m pytest tests/test_fuzz.py -q
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pubcli.catalogue.loader import check_document, decode, parse_toml
from pubcli.errors import CatalogueError
from tests.conftest import SHIPPED_CATALOGUE

EXAMPLES = int(os.environ.get("PUBCLI_FUZZ_EXAMPLES", "200"))
SEED = SHIPPED_CATALOGUE.read_bytes()

toml_pieces = st.sampled_from(
    [b"[[publications]]\n", b"[publications]\n", b"publications = []\n", b'id = "a"\n',
     b'title = "T"\n', b"date = 2019-02-29\n", b"date = 2019-01-01T10:00:00\n",
     b'components = ["X"]\n', b"components = []\n", b'summary = """\n[[publications]]\n"""\n',
     b"'''", b'"""', b"\\", b"\xef\xbb\xbf", b"\xff", b"\r\n", b"schema_version = 1\n",
     b'url = "javascript:x"\n', b'title = "\\u001b"\n', b"x.y.z = 1\n", b"# c\n", b"\x00"]
)  # fmt: skip


def load(data: bytes) -> None:
    try:
        text = decode(data, "fuzz")
        check_document(parse_toml(text, "fuzz"), text, "fuzz")
    except CatalogueError:
        pass


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(toml_pieces, max_size=30).map(b"".join))
def test_structured_noise_never_crashes_the_loader(data: bytes) -> None:
    """Pieces of TOML in any order: publications or a catalogue error."""
    load(data)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.integers(0, len(SEED)), st.integers(0, 64), st.binary(max_size=16))
def test_spliced_seed_never_crashes_the_loader(start: int, length: int, insert: bytes) -> None:
    """The shipped catalogue with a slice replaced by random bytes."""
    load(SEED[:start] + insert + SEED[start + length :])
