"""pubcli's benchmark: whole commands on synthetic catalogues, timed side by side.

    python bench/run.py                      # 1,000, 10,000 and 100,000 entries
    python bench/run.py --sizes 1000 --runs 3

Each round runs every command once, in the same order (interleaved), so that a machine
busy with something else slows all of them alike; the table shows medians, the ratio to
the reference command of the same row group, and the peak memory (max RSS) of each.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.synth import write_catalogue  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PUBCLI = str(Path(sys.executable).parent / "pubcli")
TIME = shutil.which("time", path="/usr/bin:/bin")  # GNU time, for peak memory


@dataclass
class Measure:
    """One command of the table and what its runs gave."""

    label: str
    argv: list[str]
    reference: str | None = None
    prepare: list[str] | None = None  # run before each timing, untimed
    seconds: list[float] = field(default_factory=list)
    peak_kib: list[int] = field(default_factory=list)


def run_once(measure: Measure, env: dict[str, str]) -> None:
    if "add" in measure.argv:
        # Every add needs a title of its own; the 10-entry file goes back to 10 entries.
        measure.argv[measure.argv.index("--title") + 1] = f"Bench {time.time_ns()}"
        if "--id" in measure.argv:
            write_catalogue(Path(measure.argv[measure.argv.index("-c") + 1]), 10)
    if measure.prepare:
        subprocess.run(measure.prepare, env=env, capture_output=True, check=False)
    # A forked child's max RSS includes the Python parent it was forked from; GNU time
    # forks from a tiny process, so its figure is the command's own.
    with tempfile.NamedTemporaryFile("r") as memory:
        argv = measure.argv
        if TIME:
            argv = [TIME, "-f", "%M", "-o", memory.name, *argv]
        start = time.perf_counter()
        process = subprocess.Popen(
            argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        assert process.stdout is not None
        while process.stdout.read(1 << 16):  # a real pipe: grep cannot stop at the first match
            pass
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):
            raise SystemExit(f"benchmark command failed ({code}): {measure.argv}")
        measure.seconds.append(elapsed)
        reported = memory.read().strip().splitlines()
        measure.peak_kib.append(int(reported[-1]) if TIME and reported else usage.ru_maxrss)


def touch_command(path: Path) -> list[str]:
    """A command that changes the file's mtime, so that the next call finds the cache cold."""
    return [PYTHON, "-c", f"import os; os.utime({str(path)!r})"]


def measures_for(size: int, work: Path, word: str, rare: str) -> list[Measure]:
    catalogue = write_catalogue(work / f"catalogue-{size}.toml", size)
    grown = work / f"grown-{size}.toml"
    shutil.copy(catalogue, grown)
    small = work / "small-10.toml"
    if not small.exists():
        write_catalogue(small, 10)
    filter_ids = [PUBCLI, "filter", "-c", str(catalogue), "--format", "ids", "--text"]
    add = [PUBCLI, "add", "--type", "Benchmark", "--component", "X", "--title"]
    return [
        Measure(f"grep -ci {word}", ["grep", "-ci", word, str(catalogue)]),
        Measure(f"filter --text {word} (warm)", [*filter_ids, word], f"grep -ci {word}"),
        Measure(f"grep -ci {rare}", ["grep", "-ci", rare, str(catalogue)]),
        Measure(f"filter --text {rare} (warm)", [*filter_ids, rare], f"grep -ci {rare}"),
        Measure(
            "tomllib.load (stdlib)",
            [PYTHON, "-c", f"import tomllib; tomllib.load(open({str(catalogue)!r}, 'rb'))"],
        ),
        Measure(
            f"filter --text {rare} (cold)",
            [*filter_ids, rare],
            "tomllib.load (stdlib)",
            prepare=touch_command(catalogue),
        ),
        Measure("add, 10 entries", [*add, "Bench", "-c", str(small), "--id", "x"]),
        Measure(f"add, {size:,} entries", [*add, "Bench", "-c", str(grown)], "add, 10 entries"),
    ]


def run_group(measures: list[Measure], runs: int, cold_runs: int, env: dict[str, str]) -> None:
    for measure in measures:  # warm-up: build caches, load the page cache
        run_once(measure, env)
        measure.seconds.clear()
        measure.peak_kib.clear()
    for round_number in range(runs):
        for measure in measures:
            if measure.prepare and round_number >= cold_runs:
                continue
            run_once(measure, env)


def report(title: str, measures: Sequence[Measure]) -> None:
    medians = {m.label: statistics.median(m.seconds) for m in measures}
    print(f"\n{title}")
    print(f"{'command':<38} {'median':>10} {'ratio':>16} {'peak RSS':>10} {'runs':>5}")
    for m in measures:
        ratio = ""
        if m.reference:
            ratio = f"{medians[m.label] / medians[m.reference]:.2f}x {m.reference.split()[0]}"
        peak = max(m.peak_kib) / 1024
        print(
            f"{m.label:<38} {medians[m.label] * 1000:>8.1f}ms {ratio:>16} "
            f"{peak:>8.1f}MiB {len(m.seconds):>5}"
        )


def main(arguments: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated sizes")
    parser.add_argument("--runs", type=int, default=7, help="timed rounds per size")
    parser.add_argument("--cold-runs", type=int, default=3, help="rounds that time cold calls")
    parser.add_argument("--word", default="hurricane", help="a common word of the catalogue")
    parser.add_argument("--rare", default="012345", help="a word few entries hold")
    options = parser.parse_args(arguments)
    # Compile pubcli's modules first: without .pyc files every start would recompile them.
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(REPO / "src")], check=False)
    with tempfile.TemporaryDirectory(prefix="pubcli-bench-") as scratch:
        work = Path(scratch)
        env = {**os.environ, "XDG_CACHE_HOME": str(work / "cache"), "LC_ALL": "C.UTF-8"}
        env.pop("PUBCLI_NO_CACHE", None)
        start = [
            Measure("python -c pass", [PYTHON, "-c", "pass"]),
            Measure(
                "list --format tsv (bundled catalogue)",
                [PUBCLI, "list", "--format", "tsv", "-c", str(REPO / "data/publications.toml")],
                "python -c pass",
            ),
        ]
        run_group(start, options.runs, options.cold_runs, env)
        report("Start-up", start)
        for size in (int(s) for s in options.sizes.split(",")):
            measures = measures_for(size, work, options.word, options.rare)
            run_group(measures, options.runs, options.cold_runs, env)
            report(f"{size:,} entries", measures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
