"""pubcli's benchmark: whole commands on synthetic catalogues, timed side by side.

    python bench/run.py                      # 1,000, 10,000 and 100,000 entries
    python bench/run.py --sizes 1000 --runs 3
    python bench/run.py --million            # also the cold call on 1,000,000 entries

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
    goal: str = ""  # the goal for the ratio, printed beside it
    first_row: bool = False  # time to the first row printed into a terminal (a pty)
    ids: list[str] = field(default_factory=list)  # remove: the id each run removes, in turn
    seconds: list[float] = field(default_factory=list)
    peak_kib: list[int] = field(default_factory=list)


def run_once(measure: Measure, env: dict[str, str]) -> None:
    if "add" in measure.argv:
        # Every add needs a title of its own; the 10-entry file goes back to 10 entries.
        measure.argv[measure.argv.index("--title") + 1] = f"Bench {time.time_ns()}"
        if "--id" in measure.argv:
            write_catalogue(Path(measure.argv[measure.argv.index("-c") + 1]), 10)
    if measure.argv[1:2] == ["edit"]:  # a new title each time: every edit writes
        measure.argv[measure.argv.index("--title") + 1] = f"Edited {time.time_ns()}"
    if measure.argv[1:2] == ["remove"]:
        # The large file loses a different entry each run; the small one is made again.
        if measure.ids:
            measure.argv[2] = measure.ids.pop()
        else:
            write_catalogue(Path(measure.argv[measure.argv.index("-c") + 1]), 10)
    if measure.prepare:
        subprocess.run(measure.prepare, env=env, capture_output=True, check=False)
    if measure.first_row:
        measure.seconds.append(time_to_first_row(measure.argv, env))
        return
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


def time_to_first_row(argv: list[str], env: dict[str, str]) -> float:
    """Seconds until the command, writing into a terminal, has printed a row (a line
    holding a synthetic id); the rest of its output is read and dropped."""
    import pty

    leader, follower = pty.openpty()
    start = time.perf_counter()
    process = subprocess.Popen(
        argv, env={**env, "COLUMNS": "120", "LINES": "40"}, stdin=subprocess.DEVNULL,
        stdout=follower, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(follower)
    seen, first = b"", 0.0
    while True:
        try:
            part = os.read(leader, 1 << 16)
        except OSError:  # the terminal closed: the command ended
            break
        if not part:
            break
        if not first:
            seen = (seen + part)[-256:]
            if b"synthetic-" in seen:
                first = time.perf_counter() - start
    os.close(leader)
    process.wait()
    return first or time.perf_counter() - start


def edit_title_command(path: Path) -> list[str]:
    """A command that edits one entry's title in the middle of the file, as by hand
    (toggling one letter in place), so that the next call finds a changed catalogue."""
    script = (
        f"p = {str(path)!r}; d = open(p, 'rb').read(); i = d.index(b'title = ', len(d) // 2) + 9; "
        "d = d[:i] + (b'x' if d[i:i + 1] != b'x' else b'y') + d[i + 1:]; open(p, 'wb').write(d)"
    )
    return [PYTHON, "-c", script]


def append_by_hand_command(path: Path, count: int) -> list[str]:
    """A command that appends ``count`` new entries (ids of their own) to the file, as by
    hand, so that the next call finds a catalogue that grew."""
    script = (
        "import sys, time; sys.path.insert(0, " + repr(str(REPO)) + "); "
        "from bench.synth import catalogue_text; "
        f"t = catalogue_text({count}, seed=time.time_ns()).replace('synthetic-', "
        "f'hand{time.time_ns()}-'); "
        f"open({str(path)!r}, 'a').write(t[t.index('[[publications]]') - 1:])"
    )
    return [PYTHON, "-c", script]


def measures_for(size: int, work: Path, word: str, rare: str, phrase: str) -> list[Measure]:
    catalogue = write_catalogue(work / f"catalogue-{size}.toml", size)
    grown, edited, appended, changed, shrunk = (
        work / f"{kind}-{size}.toml"
        for kind in ("grown", "edited", "appended", "changed", "shrunk")
    )
    for copy in (grown, edited, appended, changed, shrunk):
        shutil.copy(catalogue, copy)
    small, small_changed, small_shrunk = (
        work / f"{kind}-10.toml" for kind in ("small", "small-changed", "small-shrunk")
    )
    for path in (small, small_changed, small_shrunk):
        if not path.exists():
            write_catalogue(path, 10)
    edit = [PUBCLI, "edit", "synthetic-000005", "--title", "Edited", "-c"]
    edit_middle = [PUBCLI, "edit", f"synthetic-{size // 2:06d}", "--title", "Edited", "-c"]
    remove = [PUBCLI, "remove", "synthetic-000005", "--yes", "-c"]
    filter_ids = [PUBCLI, "filter", "-c", str(catalogue), "--format", "ids", "--text"]
    add = [PUBCLI, "add", "--type", "Benchmark", "--component", "X", "--title"]
    show = [PUBCLI, "show", "-c", str(catalogue), "--format", "json"]
    return [
        Measure(f"grep -ci {word}", ["grep", "-ci", word, str(catalogue)]),
        Measure(f"filter --text {word} (warm)", [*filter_ids, word], f"grep -ci {word}"),
        Measure(f"grep -ci {rare}", ["grep", "-ci", rare, str(catalogue)]),
        Measure(f"filter --text {rare} (warm)", [*filter_ids, rare], f"grep -ci {rare}"),
        # Issue 13: a phrase query against grep -ci of one of its words.
        Measure(
            f"grep -ci {phrase.split()[0]}", ["grep", "-ci", phrase.split()[0], str(catalogue)]
        ),
        Measure(
            f"filter --text '\"{phrase}\"' (warm)",
            [*filter_ids, f'"{phrase}"'],
            f"grep -ci {phrase.split()[0]}",
            goal="<= 3x",
        ),
        Measure(
            "list --format jsonl (warm)", [PUBCLI, "list", "-c", str(catalogue), "-f", "jsonl"]
        ),
        Measure(
            "export sqlite (warm)",
            [PUBCLI, "export", "sqlite", str(work / "export.db"), "-c", str(catalogue)],
            "list --format jsonl (warm)",
            goal="<= 2x",
        ),
        Measure(
            "tomli.load (pubcli's parser)",
            [PYTHON, "-c", f"import tomli; tomli.load(open({str(catalogue)!r}, 'rb'))"],
        ),
        Measure(
            f"filter --text {rare} (cold)",
            [*filter_ids, rare],
            "tomli.load (pubcli's parser)",
            # No cache at all: a touched file would be recognised block by block.
            prepare=[PUBCLI, "cache", "clear", "-c", str(catalogue)],
            goal="<= 1.5x, 250 MiB",
        ),
        Measure(
            "filter after one title edited",
            [PUBCLI, "filter", "-c", str(edited), "--format", "ids", "--text", rare],
            "tomli.load (pubcli's parser)",
            prepare=edit_title_command(edited),
            goal="<= 0.1x",
        ),
        Measure(
            "filter after 100 appended by hand",
            [PUBCLI, "filter", "-c", str(appended), "--format", "ids", "--text", rare],
            "tomli.load (pubcli's parser)",
            prepare=append_by_hand_command(appended, 100),
            goal="<= 0.15x",
        ),
        Measure(
            "list into a terminal: first row",
            [PUBCLI, "list", "-c", str(catalogue)],
            first_row=True,
            goal="<= 0.5 s",
        ),
        # show's lookup: a full id, and the closest ids of one that matches nothing.
        Measure("show ID (warm)", [*show, "synthetic-000001"]),
        Measure(
            "show mistyped ID (warm)",
            [*show, "synthetic-0012x4"],
            "show ID (warm)",
            goal="<= 2x",
        ),
        Measure(
            "show unknown words (warm)",
            [*show, "hurricane-storm-x"],
            "show ID (warm)",
            goal="<= 2x",
        ),
        Measure("add, 10 entries", [*add, "Bench", "-c", str(small), "--id", "x"]),
        Measure(f"add, {size:,} entries", [*add, "Bench", "-c", str(grown)], "add, 10 entries"),
        Measure("edit, 10 entries", [*edit, str(small_changed)]),
        Measure(
            f"edit, {size:,} entries",
            [*edit_middle, str(changed)],
            "edit, 10 entries",
            goal="<= 2x",
        ),
        Measure("remove, 10 entries", [*remove, str(small_shrunk)]),
        Measure(
            f"remove, {size:,} entries",
            [*remove, str(shrunk)],
            "remove, 10 entries",
            goal="<= 2x",
            ids=[f"synthetic-{n:06d}" for n in range(size // 3, min(size, size // 3 + 64))],
        ),
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
    print(f"{'command':<38} {'median':>10} {'ratio':>16} {'peak RSS':>10} {'runs':>5}  goal")
    for m in measures:
        ratio = ""
        if m.reference:
            ratio = f"{medians[m.label] / medians[m.reference]:.2f}x {m.reference.split()[0]}"
        peak = f"{max(m.peak_kib) / 1024:>7.1f}MiB" if m.peak_kib else ""
        print(
            f"{m.label:<38} {medians[m.label] * 1000:>8.1f}ms {ratio:>16} "
            f"{peak:>10} {len(m.seconds):>5}  {m.goal}".rstrip()
        )


def main(arguments: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated sizes")
    parser.add_argument("--runs", type=int, default=7, help="timed rounds per size")
    parser.add_argument("--cold-runs", type=int, default=3, help="rounds that time cold calls")
    parser.add_argument("--word", default="hurricane", help="a common word of the catalogue")
    parser.add_argument("--rare", default="012345", help="a word few entries hold")
    parser.add_argument(
        "--million", action="store_true", help="also a cold call on 1,000,000 entries (once)"
    )
    parser.add_argument(
        "--phrase", default="border security", help="a phrase of common words, rarer whole"
    )
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
            measures = measures_for(size, work, options.word, options.rare, options.phrase)
            run_group(measures, options.runs, options.cold_runs, env)
            report(f"{size:,} entries", measures)
        if options.million:
            catalogue = write_catalogue(work / "catalogue-1000000.toml", 1_000_000)
            parse, cold = (m for m in measures_for_million(catalogue, options.rare))
            for measure in (parse, cold):
                run_once(measure, env)  # the cold call builds the cache: time it as it is
            report("1,000,000 entries (one run)", [parse, cold])
    return 0


def measures_for_million(catalogue: Path, rare: str) -> list[Measure]:
    """The cold call at 1,000,000 entries beside tomli's parse of the same file."""
    parse = f"import tomli; tomli.load(open({str(catalogue)!r}, 'rb'))"
    return [
        Measure("tomli.load (pubcli's parser)", [PYTHON, "-c", parse]),
        Measure(
            f"filter --text {rare} (cold)",
            [PUBCLI, "filter", "-c", str(catalogue), "--format", "ids", "--text", rare],
            "tomli.load (pubcli's parser)",
            goal="linear from 100k, <= 1 GiB",
        ),
    ]


if __name__ == "__main__":
    raise SystemExit(main())
