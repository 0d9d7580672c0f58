"""The bundled catalogue: valid, and faithful to the DHS page it was taken from."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest

from pubcli.catalogue.loader import load_catalogue
from tests.conftest import SHIPPED_CATALOGUE

SEED = SHIPPED_CATALOGUE.parent.parent.parent / "shared" / "seed"


def seed_publications() -> list[tuple[str, str]]:
    """(title, summary) pairs from the seed page text, paragraphs joined by a blank line."""
    page = next(SEED.glob("000_*.txt")).read_text(encoding="utf-8")
    body = page.split("threaten national security and public safety.")[1]
    pairs = []
    for item in re.split(r"\n  • ", body)[1:]:
        title, rest = item.split("\n", 1)
        paragraphs = [p.strip() for p in rest.strip("\n").split("\n\n") if p.strip()]
        pairs.append((title.strip(), "\n\n".join(paragraphs)))
    return pairs


def test_the_shipped_catalogue_is_valid() -> None:
    """No problem of any kind, ten publications."""
    catalogue = load_catalogue(SHIPPED_CATALOGUE, "data/publications.toml")
    assert catalogue.problems == []
    assert len(catalogue.publications) == 10


@pytest.mark.skipif(not SEED.is_dir(), reason="shared/seed is not beside this checkout")
def test_titles_and_summaries_are_the_pages_own_words() -> None:
    """Every publication of the page, in page order, word for word."""
    catalogue = load_catalogue(SHIPPED_CATALOGUE, "data/publications.toml")
    shipped = [(p.title, p.summary) for p in catalogue.publications]
    assert shipped == seed_publications()


def test_only_confirmed_dates_and_addresses() -> None:
    """Dates and URLs exactly where FACTS.md gives them; every entry is ICE's."""
    catalogue = load_catalogue(SHIPPED_CATALOGUE, "data/publications.toml")
    dates = {p.title.split()[-1]: p.date for p in catalogue.publications if p.date}
    assert dates == {
        "Dorian": datetime.date(2019, 8, 30),
        "Salvador": datetime.date(2019, 8, 28),
        "Pelosi": datetime.date(2019, 7, 17),
        "Protocols": datetime.date(2019, 1, 25),
        "Systems": datetime.date(2018, 12, 3),
    }
    with_urls = sorted(p.title.split()[-1] for p in catalogue.publications if p.url)
    assert with_urls == ["Dorian", "Exploitation", "Systems"]
    assert all("ICE" in p.components for p in catalogue.publications)


def test_no_test_reads_the_shipped_file_by_accident(tmp_path: Path) -> None:
    """The autouse fixture puts each test in an empty directory."""
    assert Path.cwd() == tmp_path
