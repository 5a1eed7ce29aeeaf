#!/usr/bin/env python
"""Time the pages of ``ropa serve`` on a synthetic record (ropa.synthetic), through Starlette's TestClient.

Why: pages of the bundled record must answer in well under a second, and a record of a million triples must stay
usable. This script loads a synthetic record of the size asked for, then requests each kind of page once (the
first request may build what later ones reuse: the outline of the record, its sources, the flow graph) and then
``--repeat`` times more, and reports the first time and the median of the others, with the page's size. The
registers' pages, the processor overview and the diagrams are found from the overview's links. The endpoint's
query runs in a forked copy of the process, so its time includes the fork.

Usage:
    python benchmarks/serve_bench.py                        # 1M triples in a temporary folder
    python benchmarks/serve_bench.py --triples 100000
    python benchmarks/serve_bench.py --data FOLDER --json benchmarks/serve-results.json
    python benchmarks/serve_bench.py --data data/destiny    # the bundled record
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from urllib.parse import quote

PAGES = [
    ("findings", "/en/findings"),
    ("findings, page 3, violations", "/en/findings?severity=violation&_page=3"),
    ("questions", "/en/questions"),
    ("question form", "/en/question/activities-of-controller"),
    ("question answer (any controller)", "/en/question/activities-of-controller?_run=1&controller=any"),
    ("search", "/en/search?q=payroll"),
    ("endpoint: 10,000 rows as JSON", "/sparql?query=" + quote("SELECT * WHERE { ?s ?p ?o } LIMIT 10000")),
    ("diagrams list", "/en/diagrams"),
    ("group overview", "/en/"),
]
LINKED = [   # (name, pattern of a link on the overview, what to add to it)
    ("a controller register, page 1", r'href="(?:/en/)?(controller-[\w-]+\.html)"', ""),
    ("a controller register, page 2", r'href="(?:/en/)?(controller-[\w-]+\.html)"', "?_page=2"),
    ("a controller register, filtered by name", r'href="(?:/en/)?(controller-[\w-]+\.html)"', "?q=payroll"),
    ("a processor register, page 2", r'href="(?:/en/)?(processor-[\w-]+\.html)"', "?_page=2"),
    ("a processor overview", r'href="(?:/en/)?(processors-[\w-]+\.html)"', ""),
    ("diagram of a whole controller register", r'href="(?:/en/)?controller-([\w-]+)\.html"', ""),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--triples", type=int, default=1_000_000)
    parser.add_argument("--data", type=Path, help="a folder of Turtle files instead of a generated record")
    parser.add_argument("--json", type=Path, help="write the timings here as JSON")
    parser.add_argument("--repeat", type=int, default=3, help="requests of each page after the first (median)")
    args = parser.parse_args()

    from ropa import web
    from ropa.synthetic import generate

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    with tempfile.TemporaryDirectory() as scratch:
        folder = args.data or Path(scratch)
        if args.data is None:
            started = time.perf_counter()
            summary = generate(args.triples, folder)
            print(f"generated {summary['triples']} triples in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        started = time.perf_counter()
        client = TestClient(web.create_app([folder]))
        results = [{"page": "load and validate the record", "seconds": round(time.perf_counter() - started, 2)}]
        print(f"{results[0]['page']}: {results[0]['seconds']} s", file=sys.stderr)
        pages = list(PAGES)
        for name, path in pages:
            times = []
            for _ in range(1 + args.repeat):
                started = time.perf_counter()
                response = client.get(path)
                times.append(time.perf_counter() - started)
            again = statistics.median(times[1:]) if times[1:] else None
            results.append({"page": name, "path": path, "status": response.status_code, "first": round(times[0], 3),
                            "median_again": round(again, 3) if again is not None else None,
                            "kilobytes": len(response.content) // 1024})
            print(f"{name}: {response.status_code}, first {times[0]:.2f} s, median of {args.repeat} more "
                  f"{again if again is None else round(again, 3)} s, {len(response.content) // 1024} KB", file=sys.stderr)
            if name == "group overview":   # then the registers, overview and diagram it links to
                for linked, pattern, suffix in LINKED:
                    found = re.search(pattern, response.text)
                    if found and linked.startswith("diagram"):
                        pages.append((linked, f"/en/diagram/controller/{found.group(1)}"))
                    elif found:
                        pages.append((linked, "/en/" + found.group(1) + suffix))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
