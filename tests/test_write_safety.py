"""The write under stress: random entries round-trip, parallel writers, SIGKILL mid-write."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pubcli.catalogue.loader import load_catalogue
from pubcli.model import Publication
from pubcli.store.updates import add_publications
from tests.conftest import PUBCLI, entry, publications, run_process


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batch=st.lists(publications, min_size=1, max_size=4, unique_by=lambda p: p.id))
def test_random_entries_round_trip_through_add(
    make_catalogue: Callable[..., Path], batch: list[Publication]
) -> None:
    """Whatever valid entries are added, the file reads them back, after the old bytes."""
    titles = {(" ".join(p.title.casefold().split()), p.date) for p in batch}
    if len(titles) < len(batch):
        return  # a batch with its own duplicate title and date is refused by design
    path = make_catalogue("# comment\n" + entry("existing-zz-9", "Existing"))
    before = path.read_bytes()
    add_publications(path, "c", batch)
    assert path.read_bytes().startswith(before)
    loaded = load_catalogue(path, "c")
    assert loaded.problems == []
    assert loaded.publications[1:] == batch


def test_sixteen_concurrent_adds_all_land(
    make_catalogue: Callable[..., Path], isolated: Path
) -> None:
    """Parallel writers are serialised by the lock: every entry lands, the file stays valid."""
    path = make_catalogue("# shared\n", entry("seed", "Seed"))
    before = path.read_bytes()

    def add(number: int) -> int:
        result = run_process(
            ["add", "--title", f"Parallel {number}", "--type", "T", "--component", "ICE"],
            cwd=isolated,
        )
        return result.returncode

    with ThreadPoolExecutor(max_workers=16) as pool:
        codes = list(pool.map(add, range(16)))
    assert codes == [0] * 16
    loaded = load_catalogue(path, "c")
    assert loaded.problems == []
    assert sorted(p.id for p in loaded.publications[1:]) == sorted(
        f"parallel-{n}" for n in range(16)
    )
    assert path.read_bytes().startswith(before)


def test_sigkill_during_add_never_breaks_the_catalogue(
    make_catalogue: Callable[..., Path], isolated: Path
) -> None:
    """Killed at random moments 25 times: the file always parses, and the next add works."""
    path = make_catalogue(*(entry(f"e{n}", f"Entry {n}") for n in range(200)))
    rng = random.Random(20261128)
    landed = 0
    for attempt in range(25):
        before = load_catalogue(path, "c").publications
        process = subprocess.Popen(
            [
                str(PUBCLI),
                "add",
                "--title",
                f"Killed {attempt}",
                "--type",
                "T",
                "--component",
                "X",
            ],
            cwd=isolated,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.0, 0.25))
        process.send_signal(signal.SIGKILL)
        process.wait()
        after = load_catalogue(path, "c")
        assert after.problems == []
        assert after.publications[: len(before)] == before
        assert len(after.publications) - len(before) in (0, 1)
        landed += len(after.publications) - len(before)
    result = run_process(
        ["add", "--title", "After", "--type", "T", "--component", "X"], cwd=isolated
    )
    assert result.returncode == 0, result.stderr
    assert load_catalogue(path, "c").publications[-1].id == "after"
    # No temporary file, and no lock file: the last write removed what killed ones left.
    assert os.listdir(path.parent) == ["publications.toml"]
    assert len(load_catalogue(path, "c").publications) == 200 + landed + 1
