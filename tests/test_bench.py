"""The benchmark script works (at a tiny size: timings are not tested, only that it runs)."""

from __future__ import annotations

import subprocess
import sys

from bench.synth import catalogue_text
from pubcli.catalogue.loader import check_document, parse_toml
from tests.conftest import REPO


def test_synthetic_catalogues_are_valid_and_deterministic() -> None:
    """The generator gives the same valid catalogue every time."""
    text = catalogue_text(50)
    assert text == catalogue_text(50)
    catalogue = check_document(parse_toml(text, "synthetic"), text, "synthetic")
    assert catalogue.problems == []
    assert len(catalogue.publications) == 50


def test_the_benchmark_prints_its_table() -> None:
    """One round at 30 entries: every row of the table is printed."""
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "run.py"),
            "--sizes",
            "30",
            "--runs",
            "1",
            "--cold-runs",
            "1",
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    rows = (
        "python -c pass",
        "filter --text hurricane (warm)",
        "add, 30 entries",
        "edit, 30 entries",
        "remove, 30 entries",
        "x edit",
        "x remove",
        "x grep",
        "filter after one title edited",
        "filter after 100 appended by hand",
        "list into a terminal: first row",
        "<= 0.15x",
        "show mistyped ID (warm)",
        "filter --text '\"border security\"' (warm)",
        "export sqlite (warm)",
        "<= 2x",
    )
    for row in rows:
        assert row in result.stdout
