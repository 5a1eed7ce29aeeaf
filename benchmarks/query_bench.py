#!/usr/bin/env python
"""Time every query of ropa's library on a synthetic record of about a million triples.

Why: the library is meant to answer each question in under a second on a large record (issue 5: rdflib's own
SPARQL takes 9-15 s there, Oxigraph a fraction of a second). This script measures it on a record written by
ropa.synthetic, loaded once in this process: each query runs ``--repeat`` times with its default parameters
(``as_of`` fixed) and the median is reported. A required parameter gets the busiest value of the record (the
controller with the most activities), and the query is timed a second time with the parameter at ``any``, listed
apart: asking it of every controller at once is not the library's question, but its cost is worth knowing. For
the query that needs validation findings, the time of the query itself (findings already in the store) is
reported, and the validation that produces them separately; likewise for the queries that need the transfer
verdicts, which ropa.transfers computes once per date before the query runs (both figures are printed).

Each query's median wall clock and median CPU time of the process are reported: on a machine shared with other work
the wall clock grows with the load while the CPU time (Oxigraph answers in the calling thread) stays close to what
a quiet machine shows, so the limit is checked on the CPU time and the load average is printed.

Usage:
    python benchmarks/query_bench.py                    # generate 1M triples in a temporary folder
    python benchmarks/query_bench.py --data FOLDER      # reuse a folder of Turtle files
    python benchmarks/query_bench.py --triples 100000 --repeat 5 --json benchmarks/query-results.json
    python benchmarks/query_bench.py --data FOLDER --skip-findings      # without the validation the gaps query needs
"""

from __future__ import annotations

import argparse
import contextlib
import os
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))

import ropa  # noqa: E402
from ropa import query as library  # noqa: E402
from ropa.transfers import verdicts_graph  # noqa: E402

AS_OF = dt.date(2026, 1, 1)
LIMIT_S = 1.0

BUSIEST = {
    "controller": """SELECT ?value WHERE { ?activity ropa:role ropa:ControllerRole ; dpv:hasDataController ?value }
                     GROUP BY ?value ORDER BY DESC(COUNT(?activity)) ?value LIMIT 1""",
    "category": """SELECT ?value WHERE { ?activity a dpv:Process ; dpv:hasPersonalData ?value }
                   GROUP BY ?value ORDER BY DESC(COUNT(?activity)) ?value LIMIT 1""",
    "seed": """SELECT ?value WHERE { ?quote ropa:inDocument/ropa:fileName ?value }
               GROUP BY ?value ORDER BY DESC(COUNT(?quote)) ?value LIMIT 1""",
    "instrument": """SELECT ?value WHERE { ?transfer a dpv:CrossBorderTransfer ; dpv:hasLegalBasis ?value }
                     GROUP BY ?value ORDER BY DESC(COUNT(?transfer)) ?value LIMIT 1""",
}
"""How a required parameter gets its value: the record's busiest one (the most work for one question)."""


def runs(graph: ropa.RecordGraph, query) -> list[tuple[str, dict[str, str]]]:
    """The (label, parameters) each query is timed with: its defaults, a required parameter at its busiest value,
    and such a parameter at ``any`` as a separate measurement."""
    required = [p for p in query.params if p.required]
    if not required:
        return [(query.name, {})]
    busiest = {}
    for param in required:
        if param.name not in BUSIEST:
            raise SystemExit(f"{query.name}: no way to choose a value for its required parameter {param.name}")
        rows = graph.select(BUSIEST[param.name])
        value = rows[0]["value"] if rows else "any"
        busiest[param.name] = f"<{value}>" if param.type == "IRI" and rows else value
    everything = {p.name: "any" for p in required if p.type == "IRI"}
    if not everything:
        return [(query.name, busiest)]
    return [(query.name, busiest),
            (f"{query.name} ({', '.join(f'{k}=any' for k in everything)})", {**busiest, **everything})]


def time_queries(graph: ropa.RecordGraph, repeat: int, *, findings: bool = True, only: list[str] | None = None) -> list[dict]:
    """Median wall time of each library query (and its row count) on the loaded graph."""
    measured = []
    for query in library.library():
        if ("findings" in query.needs and not findings) or (only and query.name not in only):
            continue
        as_of = AS_OF if query.param("as_of") else None
        for label, params in runs(graph, query):
            sparql = library.prepare(query, library.bind(query, params, as_of=as_of))
            validation_s = verdicts_s = None
            with contextlib.ExitStack() as stack:
                if "findings" in query.needs:
                    start = time.perf_counter()
                    stack.enter_context(library.findings_graph(graph, as_of=AS_OF))
                    validation_s = time.perf_counter() - start
                if "verdicts" in query.needs:   # ropa.transfers judges every transfer once per date, in Python
                    start = time.perf_counter()
                    stack.enter_context(verdicts_graph(graph, AS_OF))
                    verdicts_s = time.perf_counter() - start
                times, cpu, rows = [], [], 0
                for _ in range(repeat):
                    start, started = time.perf_counter(), time.process_time()
                    rows = len(library.select_embedded(graph, sparql, name=query.name).rows)
                    times.append(time.perf_counter() - start)
                    cpu.append(time.process_time() - started)
            measured.append({"query": label, "params": params, "median_s": statistics.median(times),
                             "median_cpu_s": statistics.median(cpu), "rows": rows,
                             "validation_s": validation_s, "verdicts_s": verdicts_s,
                             "library_question": label == query.name})
            print(f"  {label}: {measured[-1]['median_s']:.3f} s (CPU {measured[-1]['median_cpu_s']:.3f} s)",
                  file=sys.stderr, flush=True)
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="A folder of Turtle files to reuse instead of generating one.")
    parser.add_argument("--triples", type=int, default=1_000_000, help="Size of the generated record.")
    parser.add_argument("--repeat", type=int, default=3, help="Runs per query; the median is reported.")
    parser.add_argument("--json", type=Path, help="Also write the measurements to this file.")
    parser.add_argument("--skip-findings", action="store_true",
                        help="Leave out the queries that need validation findings (validating first takes long).")
    parser.add_argument("--only", action="append", metavar="NAME", help="Time only this query (repeat for several).")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ropa-query-bench-") as scratch:
        folder = args.data
        if folder is None:
            from ropa.synthetic import generate

            folder = Path(scratch)
            start = time.perf_counter()
            summary = generate(args.triples, folder)
            print(f"generated {summary['triples']} triples ({summary['activities']} activities) "
                  f"in {time.perf_counter() - start:.1f} s", file=sys.stderr)
        start = time.perf_counter()
        graph = ropa.load([folder])
        load_s = time.perf_counter() - start
        total = len(graph)
        print(f"loaded {total} triples (data, vocabulary, reference) in {load_s:.1f} s", file=sys.stderr)
        measured = time_queries(graph, args.repeat, findings=not args.skip_findings, only=args.only)

    width = max(len(m["query"]) for m in measured)
    print(f"{'query':<{width}}  median s  CPU s  rows     within {LIMIT_S:g} s (CPU)")
    for m in measured:
        note = f"  (+ validation {m['validation_s']:.2f} s, once)" if m["validation_s"] is not None else ""
        if m.get("verdicts_s") is not None:
            note += f"  (+ transfer verdicts {m['verdicts_s']:.2f} s, once per date)"
        ok = "yes" if m["median_cpu_s"] <= LIMIT_S else "NO"
        print(f"{m['query']:<{width}}  {m['median_s']:8.3f}  {m['median_cpu_s']:5.3f}  {m['rows']:<7}  {ok}{note}")
    slowest = max(measured, key=lambda m: m["median_cpu_s"])
    print(f"{total} triples; slowest: {slowest['query']} {slowest['median_s']:.3f} s wall, {slowest['median_cpu_s']:.3f} s CPU "
          f"(median of {args.repeat}; load average {os.getloadavg()[0]:.1f})")
    if args.json:
        args.json.write_text(json.dumps({"triples": total, "load_s": load_s, "repeat": args.repeat,
                                         "as_of": AS_OF.isoformat(), "queries": measured}, indent=2) + "\n")


if __name__ == "__main__":
    main()
