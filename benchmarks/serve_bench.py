#!/usr/bin/env python
"""Time the pages of ``ropa serve`` on a synthetic record (ropa.synthetic), through Starlette's TestClient.

Why: pages of the bundled record must answer in well under a second, and a record of a million triples must stay
usable. This script loads a synthetic record of the size asked for, then requests each kind of page twice (the
first request of a language builds that language's register objects; later ones reuse them until a file
changes) and reports the wall time of every request and its size. The endpoint's query runs in a forked copy of
the process, so its time includes the fork.

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--triples", type=int, default=1_000_000)
    parser.add_argument("--data", type=Path, help="a folder of Turtle files instead of a generated record")
    parser.add_argument("--json", type=Path, help="write the timings here as JSON")
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
        for name, path in PAGES:
            for attempt in ("first", "again"):
                started = time.perf_counter()
                response = client.get(path)
                seconds = round(time.perf_counter() - started, 2)
                results.append({"page": name, "request": attempt, "status": response.status_code,
                                "seconds": seconds, "kilobytes": len(response.content) // 1024})
                print(f"{name} ({attempt}): {response.status_code}, {seconds} s, {len(response.content) // 1024} KB",
                      file=sys.stderr)
                if name == "group overview" and attempt == "first":   # then the first register it links to
                    found = re.search(r'href="(controller-[\w-]+\.html)"', response.text)
                    if found:
                        PAGES.append(("a controller register", "/en/" + found.group(1)))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
