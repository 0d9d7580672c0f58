"""Deterministic synthetic catalogues for the benchmark: N valid entries, ~600 bytes each."""

from __future__ import annotations

import datetime
import random
from pathlib import Path

_WORDS = (
    "border security immigration enforcement policy guidance statement hurricane storm "
    "letter congress privacy assessment system parole visa trafficking labor customs "
    "protection detention family children opioid crisis strategy cooperation report form "
    "volunteer migrant protocol salvador guatemala honduras mexico asylum refugee cargo "
    "aviation maritime cyber infrastructure grant training exercise response recovery"
).split()
_TYPES = ["Statement", "Letter", "Policy Guidance", "Privacy Impact Assessment", "Form",
          "Strategy", "Report", "Letter of Intent"]  # fmt: skip
_COMPONENTS = ["ICE", "CBP", "DHS", "USCIS", "FEMA", "TSA"]


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(words)).capitalize()


def catalogue_text(count: int, seed: int = 20261128) -> str:
    """The TOML text of a valid catalogue of ``count`` entries; same text for the same seed."""
    rng = random.Random(seed)
    start = datetime.date(2000, 1, 1)
    parts = ["# Synthetic catalogue for pubcli's benchmark.\nschema_version = 1\n"]
    for number in range(count):
        title = f"{_sentence(rng, 8)} {number}"
        date = start + datetime.timedelta(days=rng.randrange(9000))
        components = rng.sample(_COMPONENTS, rng.randint(1, 3))
        topics = rng.sample(_WORDS, rng.randint(0, 3))
        summary = ". ".join(_sentence(rng, 12) for _ in range(4)) + "."
        lines = [
            "",
            "[[publications]]",
            f'id = "synthetic-{number:06d}"',
            f'title = "{title}"',
            f'type = "{rng.choice(_TYPES)}"',
        ]
        if rng.random() < 0.9:
            lines.append(f"date = {date.isoformat()}")
        lines.append("components = [" + ", ".join(f'"{c}"' for c in components) + "]")
        if topics:
            lines.append("topics = [" + ", ".join(f'"{t}"' for t in topics) + "]")
        lines.append(f'summary = """\n{summary}"""')
        if rng.random() < 0.5:
            lines.append(f'url = "https://www.example.gov/publication/{number}"')
        parts.append("\n".join(lines) + "\n")
    return "".join(parts)


def write_catalogue(path: Path, count: int) -> Path:
    """Write a synthetic catalogue of ``count`` entries to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(catalogue_text(count), encoding="utf-8")
    return path
