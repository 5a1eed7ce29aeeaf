#!/usr/bin/env python
"""Where the time of ``ropa build`` goes: each stage of a full build, one after another in one process.

Why: the build benchmark (build_bench.py) times whole builds as a user runs them, stages overlapping in worker
processes and Chromium; this one takes them apart, so that a change can be aimed at the stage that costs. Each stage
is timed alone (wall clock and CPU time, Chromium's processes included, as the ``CPU`` of build_bench), in the order
a build runs them: import (in a fresh process, bytecode cached), load, validate, the flow graph, each language's
document model, the diagrams, each format per language (the first one compiles its templates), Chromium's start and
the PDFs per language. The sum is the CPU a build needs; the build itself spreads it over the cores.

Usage:
    python benchmarks/build_stages.py                 # median of 3 runs of each stage
    python benchmarks/build_stages.py --repeat 5
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from build_bench import _tree_cpu, environment, measure  # noqa: E402
from validate_bench import text_table  # noqa: E402

LANGUAGES = ("en", "nl", "fr")


def cpu() -> float:
    """CPU seconds of this process and its waited-for children (dot) so far."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class Stages:
    def __init__(self):
        self.times: dict[str, list[tuple[float, float]]] = {}

    def timed(self, name: str, work, *args, browser_pid: int | None = None, **options):
        """Run ``work``; with ``browser_pid``, the CPU of the browser's processes too, polled every 20 ms meanwhile
        (its print helpers live for one document each)."""
        seen: dict[int, float] = {}
        polling = threading.Event()
        polled = [0.0]   # the polling thread's own CPU, which is not the stage's

        def poll():
            while not polling.wait(0.02):
                _tree_cpu(browser_pid, seen)
            polled[0] = time.thread_time()

        if browser_pid:
            _tree_cpu(browser_pid, seen)
            start = sum(seen.values())
            poller = threading.Thread(target=poll)
            poller.start()
        before_cpu, before = cpu(), time.perf_counter()
        try:
            result = work(*args, **options)
        finally:
            wall, used = time.perf_counter() - before, cpu() - before_cpu
            if browser_pid:
                polling.set()
                poller.join()
                _tree_cpu(browser_pid, seen)
                used += sum(seen.values()) - start - polled[0]
        self.times.setdefault(name, []).append((wall, used))
        return result


def one_run(stages: Stages, out: Path, bytecode: Path) -> None:
    imported = measure([sys.executable, "-c", "import ropa.cli"], out / "import.out", 120, environment(bytecode))
    stages.times.setdefault("import (ropa.cli, a fresh process)", []).append((imported["wall_s"], imported["cpu_s"]))
    from ropa import chromium
    from ropa.flows import build_flow_graph
    from ropa.load import load
    from ropa.register import Answers, build_record, draw
    from ropa.render import documents, print_with_chromium, write_format
    from ropa.validate import validate

    graph = stages.timed("load", load, None)
    report = stages.timed("validate", validate, graph)
    flows = stages.timed("flow graph", build_flow_graph, graph, report.as_of)
    answers = Answers(graph)
    records = {lang: stages.timed(f"document model, {lang}", build_record, graph, lang=lang, findings=report.findings,
                                  as_of=report.as_of, flows=flows, answers=answers) for lang in LANGUAGES}
    stages.timed("diagrams (dot, 3 languages side by side)", draw, *(r.diagrams for r in records.values()))
    for fmt in ("html", "md", "xlsx"):
        for lang, record in records.items():
            stages.timed(f"{fmt}, {lang}", write_format, record, out / lang, fmt)
    seen: dict[int, float] = {}
    before = time.perf_counter()
    browser = chromium.Chromium()
    try:
        browser.send("Browser.getVersion")  # answered once the browser is up
        _tree_cpu(browser.process.pid, seen)
        stages.times.setdefault("Chromium start", []).append((time.perf_counter() - before, sum(seen.values())))
        for lang, record in records.items():
            jobs = [(record, document, out / lang / "pdf") for document in documents(record)]
            stages.timed(f"pdf, {lang} (Chromium)", print_with_chromium, jobs, browser=browser,
                         browser_pid=browser.process.pid)
    finally:
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    stages = Stages()
    with tempfile.TemporaryDirectory(prefix="ropa-stages-") as bytecode:
        measure([sys.executable, "-c", "import ropa.cli"], Path(bytecode) / "warm-up.out", 120,
                environment(Path(bytecode)))  # fills the bytecode cache
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory(prefix="ropa-stages-") as work:
                one_run(stages, Path(work), Path(bytecode))
    rows = [("stage", "median wall", "median CPU", "share of CPU")]
    total = sum(statistics.median(c for _, c in times) for times in stages.times.values())
    for name, times in stages.times.items():
        wall, used = statistics.median(w for w, _ in times), statistics.median(c for _, c in times)
        rows.append((name, f"{wall:.2f} s", f"{used:.2f} s", f"{used / total:.0%}"))
    rows.append(("sum", "", f"{total:.2f} s", ""))
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"ropa build's stages on the bundled record, one after another, median of {args.repeat} runs "
          f"({os.cpu_count()} CPUs, load average at the end: {load})")
    print(text_table(rows, left_columns=1))


if __name__ == "__main__":
    main()
