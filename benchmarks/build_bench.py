#!/usr/bin/env python
"""Time ``ropa build`` on the bundled record: everything, html+md+xlsx, and each format alone, in fresh processes.

Why: ``ropa build`` is the main job and what CI runs on every change; the goal is everything (html, md, xlsx, pdf;
en, nl, fr) in at most 10 s on a 2-core machine and html+md+xlsx in at most 3 s. Each configuration runs
``--repeat`` times as ``python -m ropa build`` in a fresh process (loading, validation, rendering, writing: what a
user waits for) and the median wall clock is reported. The runs of one round are interleaved (A B C, A B C, ...)
so that a busy neighbour on a shared machine slows every configuration alike; read the ratios more than the seconds.
Python's bytecode cache is on (kept in the work folder, not the checkout) and an untimed first run fills it, as for
an installed ropa, whose modules pip compiles: a fresh process should not spend its time compiling ropa's sources.

The CPU column adds up the time of the command and every process it starts (worker processes, Chromium and its
renderers, polled from /proc): on a machine shared with other work it moves less than the wall clock, and divided
by the cores it is a floor for the wall time a quiet machine would show.

``--weasyprint`` also times the PDF of one language with each engine (Chromium, WeasyPrint), in the first round
only, for the ratio between them; WeasyPrint takes a minute or more.

Usage:
    python benchmarks/build_bench.py                       # median of 3 runs per configuration
    python benchmarks/build_bench.py --repeat 5 --weasyprint --json build-results.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from validate_bench import _environment, text_table  # noqa: E402

REPOSITORY = Path(__file__).resolve().parent.parent
TICK = os.sysconf("SC_CLK_TCK")


def _tree_cpu(root: int, seen: dict[int, float]) -> None:
    """Record the CPU seconds so far of ``root`` and every process below it (from /proc), by process id."""
    parents, cpu = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        cpu[int(entry)] = (int(fields[11]) + int(fields[12])) / TICK
    tree, grown = {root}, True
    while grown:
        below = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= below
        grown = bool(below)
    for pid in tree & cpu.keys():
        seen[pid] = max(seen.get(pid, 0.0), cpu[pid])


def environment(work: Path) -> dict[str, str]:
    """The commands' environment, with the bytecode cache on and kept in ``work``."""
    env = _environment()
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(work / "bytecode")
    return env


def measure(argv: list[str], stdout_path: Path, timeout: float, env: dict[str, str] | None = None) -> dict:
    """Run a command in a fresh process: wall clock, exit code, and the CPU time of the command and everything it
    starts (polled from /proc every 20 ms: Chromium's renderers are not children the command waits for)."""
    with open(stdout_path, "wb") as out, open(stdout_path.with_suffix(".stderr"), "wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=err, cwd=REPOSITORY, env=env or _environment())
        seen: dict[int, float] = {}
        timed_out = False
        while process.poll() is None:
            _tree_cpu(process.pid, seen)
            if time.perf_counter() - started > timeout:
                process.kill()
                process.wait()
                timed_out = True
            time.sleep(0.02)
        wall = time.perf_counter() - started
    return {"wall_s": round(wall, 3), "cpu_s": round(sum(seen.values()), 2), "returncode": process.returncode,
            "timed_out": timed_out}

GOAL_LANGUAGES = ["--lang", "en,nl,fr"]
"""The languages the limits are set for; "every language" builds each language ropa ships (German since)."""
CONFIGURATIONS = {
    "everything": ["--format", "html,md,xlsx,pdf", *GOAL_LANGUAGES],
    "html+md+xlsx": ["--format", "html,md,xlsx", *GOAL_LANGUAGES],
    "html": ["--format", "html", *GOAL_LANGUAGES],
    "md": ["--format", "md", *GOAL_LANGUAGES],
    "xlsx": ["--format", "xlsx", *GOAL_LANGUAGES],
    "pdf": ["--format", "pdf", *GOAL_LANGUAGES],
    "everything, every language": ["--format", "html,md,xlsx,pdf"],
}
ENGINES = {
    "pdf, en, Chromium": ["--format", "pdf", "--lang", "en", "--pdf-engine", "chromium"],
    "pdf, en, WeasyPrint": ["--format", "pdf", "--lang", "en", "--pdf-engine", "weasyprint"],
}
LIMITS_S = {"everything": 10.0, "html+md+xlsx": 3.0}


def bench(configurations: dict[str, list[str]], repeat: int, timeout: float, work: Path) -> dict[str, dict]:
    """Median wall clock and CPU time of each configuration over ``repeat`` interleaved rounds."""
    runs: dict[str, list[dict]] = {name: [] for name in configurations}
    env = environment(work)
    warm_up = measure([sys.executable, "-m", "ropa", "build", "--out", str(work / "warm-up"), "--format", "html,md,xlsx"],
                      work / "warm-up.out", timeout, env)
    if warm_up["returncode"] != 0:
        raise SystemExit("ropa build failed:\n" + (work / "warm-up.stderr").read_text(errors="replace")[-2000:])
    for round_ in range(repeat):
        for name, options in configurations.items():
            if name in ENGINES and round_ > 0:
                continue
            out = work / f"build-{len(runs[name])}"
            argv = [sys.executable, "-m", "ropa", "build", "--out", str(out), *options]
            run = measure(argv, work / f"{name.replace(' ', '_').replace(',', '')}-{round_}.out", timeout, env)
            if run["returncode"] != 0 or run["timed_out"]:
                error = (work / f"{name.replace(' ', '_').replace(',', '')}-{round_}.stderr").read_text(errors="replace")
                raise SystemExit(f"{name}: ropa build failed or timed out:\n{error[-2000:]}")
            runs[name].append(run)
            print(f"  {name}: {run['wall_s']:.2f} s, CPU {run['cpu_s']:.1f} s", file=sys.stderr, flush=True)
    return {name: {"wall_s": round(statistics.median(r["wall_s"] for r in measured), 2),
                   "cpu_s": round(statistics.median(r["cpu_s"] for r in measured), 2),
                   "runs_s": [r["wall_s"] for r in measured]}
            for name, measured in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--weasyprint", action="store_true", help="also time one language's PDF with each engine")
    parser.add_argument("--json", type=Path, help="write the results here as JSON")
    args = parser.parse_args()
    configurations = {**CONFIGURATIONS, **(ENGINES if args.weasyprint else {})}
    start_load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="ropa-build-bench-") as work:
        results = bench(configurations, args.repeat, args.timeout, Path(work))
    everything = results["everything"]["wall_s"]
    rows = [("configuration", "median", "runs", "CPU", "of everything", "limit")]
    for name, result in results.items():
        limit = LIMITS_S.get(name)
        rows.append((name, f"{result['wall_s']:.2f} s", " ".join(f"{s:.1f}" for s in result["runs_s"]),
                     f"{result['cpu_s']:.1f} s",
                     f"{result['wall_s'] / everything:.2f}",
                     "" if limit is None else f"{limit:g} s" + (" (over)" if result["wall_s"] > limit else "")))
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"ropa build on the bundled record (en, nl, fr unless said), {os.cpu_count()} CPUs (load average at the start: "
          f"{start_load}; at the end: {load}), median of {args.repeat} interleaved runs")
    print(text_table(rows, left_columns=1))
    if args.weasyprint:
        ratio = results["pdf, en, WeasyPrint"]["wall_s"] / results["pdf, en, Chromium"]["wall_s"]
        print(f"PDF of one language: WeasyPrint takes {ratio:.1f}x as long as Chromium")
    if args.json:
        args.json.write_text(json.dumps({"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                                     "load_at_start": start_load, "load": os.getloadavg()},
                                         "repeat": args.repeat, "results": results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
