#!/usr/bin/env python
"""Benchmark ropa's validation against plain pyshacl on synthetic group records of growing size.

Why this exists: the fast engine is only worth having if it (1) reports exactly what pyshacl reports and (2) does
so much faster, up to a million triples. Both claims are measured here, on records written by ropa.synthetic
(a corporate group plus one processor with thousands of customer controllers, with planted defects).

Every measurement runs in a fresh process, so that imports, parsing and the first query are paid as a user pays
them; wall clock is taken around the process and peak RSS from that one child's rusage (os.wait4), the median of
``--repeat`` runs each. Measured per size:

  (a) ropa: ``python -m ropa validate FOLDER --format json --as-of 2026-11-28 --fail-on info`` once that command
      exists, else the equivalent library call in ``python -c``;
  (b) plain pyshacl (sizes up to ``--plain-max``): rdflib parses data + vocabulary + reference data into one Graph
      (plus the ropa:Evaluation node with the as-of date), then ``pyshacl.validate(..., inference="none",
      advanced=True)``; parse and validation times are reported separately;
  (c) ropa's stages in one process: ``ropa.load`` alone and ``validate`` alone;
  (f) `ropa validate --store`: its first run, then each kind of one-file edit (benchmarks/store_bench.py);
  (d) every query of the library (benchmarks/query_bench.py in its own process: the record loaded once, each query
      the median of ``--repeat`` runs with its default parameters, a required one at the record's busiest value),
      against the 1 s a query may take; a required parameter at ``any`` is timed too and reported apart.

(a) and (b) must report the same (focus, path, severity) sets. When ropa is slow (over ``--slow-s`` or
``--big-mb``, a timed-out run, or less than ``--min-ratio`` times faster than plain) the compiled checks are
timed one by one (each with ``--check-timeout``) so the report says which check the time goes to.

Usage:
    python benchmarks/validate_bench.py --sizes 10000 100000 1000000 --repeat 3 --plain-max 100000 \\
        --out benchmarks/results.json
    python benchmarks/validate_bench.py --sizes 1000000 --plain-max 0 --no-queries    # validation only
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import hashlib
import json
import os
import platform
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))

from ropa.namespaces import expand  # noqa: E402
from ropa.synthetic import generate  # noqa: E402

AS_OF = "2026-11-28"
QUERY_BENCH = REPOSITORY / "benchmarks" / "query_bench.py"
QUERY_LIMIT_S = 1.0

# --- What the child processes run ----------------------------------------------------------------------------------

LIBRARY_RUN = r"""
import datetime, json, sys
import ropa
from ropa.validate import validate
report = validate(ropa.load([sys.argv[1]]), as_of=datetime.date.fromisoformat(sys.argv[2]))
json.dump({"findings": [{"check": f.check, "severity": f.severity, "focus": f.focus, "path": f.path}
                        for f in report.findings]}, sys.stdout)
"""

STAGES_RUN = r"""
import datetime, json, resource, sys, time
start = time.perf_counter()
import ropa
from ropa.validate import validate
imported = time.perf_counter()
graph = ropa.load([sys.argv[1]])
loaded = time.perf_counter()
print(json.dumps({"import_s": imported - start, "load_s": loaded - imported}), flush=True)
report = validate(graph, as_of=datetime.date.fromisoformat(sys.argv[2]))
done = time.perf_counter()
print(json.dumps({"validate_s": done - loaded, "findings": len(report.findings), "engine": report.engine,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), flush=True)
"""

PLAIN_RUN = r"""
import glob, json, sys, time
start = time.perf_counter()
import rdflib, pyshacl
from rdflib.namespace import RDF, SH
folder, repository, as_of, out = sys.argv[1:5]
imported = time.perf_counter()
data = rdflib.Graph()
files = sorted(glob.glob(folder + "/*.ttl")) + sorted(glob.glob(repository + "/ontology/*.ttl")) \
    + sorted(glob.glob(repository + "/data/reference/*.ttl"))
for path in files:
    data.parse(path, format="turtle")
ropa = rdflib.Namespace("https://w3id.org/ropa/vocab#")
run = rdflib.URIRef("urn:ropa:evaluation:run")
data.add((run, RDF.type, ropa.Evaluation))
data.add((run, ropa.asOfDate, rdflib.Literal(as_of, datatype=rdflib.XSD.date)))
shapes = rdflib.Graph()
for path in sorted(glob.glob(repository + "/shapes/*.ttl")):
    shapes.parse(path, format="turtle")
parsed = time.perf_counter()
conforms, results, text = pyshacl.validate(data, shacl_graph=shapes, inference="none", advanced=True)
validated = time.perf_counter()
names = {SH.Violation: "violation", SH.Warning: "warning", SH.Info: "info"}
found = []
for result in results.subjects(RDF.type, SH.ValidationResult):
    focus, path, shape = (results.value(result, p) for p in (SH.focusNode, SH.resultPath, SH.sourceShape))
    found.append({
        "focus": "_:" if isinstance(focus, rdflib.BNode) else str(focus),
        "path": str(path) if isinstance(path, rdflib.URIRef) else None,
        "severity": names.get(results.value(result, SH.resultSeverity), "violation"),
        "shape": str(shape) if isinstance(shape, rdflib.URIRef) else "_:",
    })
with open(out, "w") as handle:
    json.dump({"findings": found}, handle)
print(json.dumps({"import_s": imported - start, "parse_s": parsed - imported, "validate_s": validated - parsed,
                  "graph_triples": len(data)}), flush=True)
"""

CHECKS_RUN = r"""
import datetime, json, sys, time
import ropa
from ropa.validate import compile_shapes, evaluation_context, load_shapes, run_queries, shape_files
from ropa.namespaces import shorten
skip = {int(i) for i in sys.argv[3].split(",") if i}
graph = ropa.load([sys.argv[1]])
checks = compile_shapes(load_shapes(shape_files()))
print(json.dumps({"checks": len(checks)}), flush=True)
with evaluation_context(graph, datetime.date.fromisoformat(sys.argv[2])):
    for index, check in enumerate(checks):
        if index in skip:
            continue
        constraint = "sh:sparql/sh:or" if check.constraint.startswith("_:") else shorten(check.constraint)
        print(json.dumps({"start": index, "check": shorten(check.shape), "constraint": constraint}), flush=True)
        started = time.perf_counter()
        rows = len(run_queries(graph, [check]))
        print(json.dumps({"done": index, "seconds": time.perf_counter() - started, "rows": rows}), flush=True)
"""


FLOOR_RUN = r"""
import json, sys, time
start = time.perf_counter()
import pyoxigraph as ox
from ropa.load import planned_files
files = planned_files([sys.argv[1]])
ready = time.perf_counter()
store = ox.Store()
for path, kind in files:
    store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(path.resolve().as_uri()))
print(json.dumps({"floor_s": time.perf_counter() - ready, "quads": len(store)}), flush=True)
"""
"""The parsing floor: pyoxigraph bulk-loading the files ropa validate reads (data, vocabulary, reference data) into
one store, a named graph per file, timed from the first file to the last (imports apart)."""

# --- Measuring -----------------------------------------------------------------------------------------------------

def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPOSITORY) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("COLUMNS", "200")
    return env


def measure(argv: list[str], stdout_path: Path, timeout: float) -> dict:
    """Run a command in a fresh process: wall clock, that child's own CPU time and peak RSS (os.wait4), exit code,
    timeout."""
    with open(stdout_path, "wb") as out, open(stdout_path.with_suffix(".stderr"), "wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=err, cwd=REPOSITORY, env=_environment())
        timed_out = False
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - started > timeout:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                timed_out = True
                break
            time.sleep(0.005)
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here; keep Popen from waiting again
    return {"wall_s": round(wall, 3), "cpu_s": round(usage.ru_utime + usage.ru_stime, 3),
            "peak_mb": round(usage.ru_maxrss / 1024, 1), "returncode": process.returncode, "timed_out": timed_out}


def repeated(argv: list[str], work: Path, name: str, repeat: int, timeout: float, ok_codes=(0,)) -> dict:
    """Median wall clock and peak RSS over ``repeat`` fresh runs; stops after a timed-out or failed run."""
    runs = []
    for index in range(repeat):
        stdout = work / f"{name}-{index}.out"
        run = measure(argv, stdout, timeout)
        run["stdout"] = str(stdout)
        runs.append(run)
        if run["timed_out"] or run["returncode"] not in ok_codes:
            break
    good = [r for r in runs if not r["timed_out"] and r["returncode"] in ok_codes]
    summary = {"runs": runs, "ok": len(good) == repeat}
    if good:
        summary["wall_s"] = round(statistics.median(r["wall_s"] for r in good), 3)
        summary["cpu_s"] = round(statistics.median(r["cpu_s"] for r in good), 3)
        summary["peak_mb"] = round(statistics.median(r["peak_mb"] for r in good), 1)
        summary["stdout"] = good[-1]["stdout"]
    if any(r["timed_out"] for r in runs):
        summary["timed_out_after_s"] = timeout
    failed = [r for r in runs if not r["timed_out"] and r["returncode"] not in ok_codes]
    if failed:
        summary["error"] = Path(failed[0]["stdout"]).with_suffix(".stderr").read_text(errors="replace")[-2000:]
    return summary


def cli_available() -> bool:
    """True once ``python -m ropa validate --help`` works (the CLI is being written alongside this benchmark)."""
    result = subprocess.run([sys.executable, "-m", "ropa", "validate", "--help"], cwd=REPOSITORY,
                            env=_environment(), capture_output=True)
    return result.returncode == 0


def _expand(term: str | None) -> str:
    """A full IRI for a prefixed name in a known namespace (the CLI may shorten), else the term as it is."""
    if not term:
        return ""
    if term.startswith("_:"):
        return "_:"
    return expand(term) or term


def finding_set(findings: list[dict]) -> set[tuple[str, str, str]]:
    return {(_expand(f.get("focus")), _expand(f.get("path")), f.get("severity", "")) for f in findings}


def profile_checks(folder: Path, check_timeout: float, work: Path) -> list[dict]:
    """Time each compiled check alone, in a child process; a check over the timeout is killed and reported as such."""
    results: list[dict] = []
    skip: list[int] = []
    while True:
        argv = [sys.executable, "-c", CHECKS_RUN, str(folder), AS_OF, ",".join(map(str, skip))]
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=open(work / "checks.stderr", "ab"),
                                   cwd=REPOSITORY, env=_environment(), text=True, bufsize=1)
        current: dict | None = None
        started = time.perf_counter()
        finished = False
        while True:
            limit = check_timeout if current is not None else 600.0
            ready, _, _ = select.select([process.stdout], [], [], max(0.0, limit - (time.perf_counter() - started)))
            if not ready:
                process.kill()
                process.wait()
                if current is None:
                    raise RuntimeError("check profiling: loading the graph timed out")
                current.update({"seconds": None, "timed_out_after_s": check_timeout})
                results.append(current)
                skip.append(current["index"])
                break
            line = process.stdout.readline()
            if not line:
                process.wait()
                finished = True
                break
            message = json.loads(line)
            if "start" in message:
                current = {"index": message["start"], "check": message["check"], "constraint": message["constraint"]}
                started = time.perf_counter()
            elif "done" in message and current is not None:
                current.update({"seconds": round(message["seconds"], 3), "rows": message["rows"]})
                results.append(current)
                skip.append(current["index"])
                current = None
                started = time.perf_counter()
        if finished:
            break
    return sorted(results, key=lambda r: -(r["seconds"] if r["seconds"] is not None else float("inf")))


def _read_json_lines(path: Path) -> dict:
    merged: dict = {}
    try:
        for line in path.read_text().splitlines():
            if line.strip().startswith("{"):
                merged.update(json.loads(line))
    except (OSError, json.JSONDecodeError):
        pass
    return merged


def _hashes() -> dict[str, str]:
    """Fingerprints of the code and shapes measured, so that numbers can be tied to a version."""
    files = [REPOSITORY / "ropa" / "validate.py", REPOSITORY / "ropa" / "load.py",
             REPOSITORY / "ropa" / "query.py", *sorted((REPOSITORY / "shapes").glob("*.ttl")),
             *sorted((REPOSITORY / "ropa" / "queries").glob("*.rq"))]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.read_bytes())
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPOSITORY, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "ropa", "shapes", "benchmarks"], cwd=REPOSITORY,
                           capture_output=True, text=True)
    return {"git_head": head.stdout.strip(), "code_shapes_queries_sha256": digest.hexdigest()[:16],
            "uncommitted": dirty.stdout.splitlines()}


# --- One size ------------------------------------------------------------------------------------------------------

def bench_size(size: int, args, use_cli: bool, work_root: Path) -> dict:
    work = work_root / f"size-{size}"
    folder = work / "data"
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    summary = generate(size, folder, seed=args.seed)
    generated = time.perf_counter() - started
    entry: dict = {
        "size": size,
        "triples": summary["triples"],
        "files": len(summary["files"]),
        "activities": summary["activities"],
        "customer_controllers": summary["customer_controllers"],
        "planted_defects": sum(summary["defects"].values()),
        "generate_s": round(generated, 3),
    }
    entry["load_average"] = {"start": round(os.getloadavg()[0], 2)}
    print(f"\n== {size}: {summary['triples']} triples, {summary['activities']} activities, "
          f"{summary['customer_controllers']} customer controllers, generated in {generated:.2f} s", flush=True)

    # (a) ropa, as a user runs it
    if use_cli:
        argv = [sys.executable, "-m", "ropa", "validate", str(folder), "--format", "json", "--as-of", AS_OF,
                "--fail-on", "info"]
    else:
        argv = [sys.executable, "-c", LIBRARY_RUN, str(folder), AS_OF]
    entry["ropa_command"] = "cli" if use_cli else "library"
    ropa = repeated(argv, work, "ropa", args.repeat, args.timeout, ok_codes=(0, 1))
    ropa_findings = None
    if ropa.get("stdout"):
        ropa_findings = json.loads(Path(ropa["stdout"]).read_text())["findings"]
        ropa["findings"] = len(ropa_findings)
    entry["ropa"] = ropa
    print(f"   ropa:  {_show(ropa)}", flush=True)

    # (c) ropa's stages in one process
    stages = repeated([sys.executable, "-c", STAGES_RUN, str(folder), AS_OF], work, "stages", args.repeat, args.timeout)
    per_run = [_read_json_lines(Path(r["stdout"])) for r in stages["runs"]]
    for key in ("import_s", "load_s", "validate_s"):
        values = [r[key] for r in per_run if key in r]
        if values:
            stages[key] = round(statistics.median(values), 3)
    stages["engine"] = next((r["engine"] for r in per_run if "engine" in r), None)
    entry["stages"] = stages
    print(f"   stages: load {stages.get('load_s', '-')} s, validate {stages.get('validate_s', '-')} s"
          + (f" (timed out after {args.timeout:.0f} s)" if "timed_out_after_s" in stages else ""), flush=True)

    # (e) the parsing floor, in the same run, and ropa's ratio to it
    floor = repeated([sys.executable, "-c", FLOOR_RUN, str(folder)], work, "floor", args.repeat, args.timeout)
    per_run = [_read_json_lines(Path(r["stdout"])) for r in floor["runs"]]
    values = [r["floor_s"] for r in per_run if "floor_s" in r]
    if values:
        floor["floor_s"] = round(statistics.median(values), 3)
        if ropa.get("wall_s"):
            entry["floor_ratio"] = round(ropa["wall_s"] / floor["floor_s"], 2)
    entry["floor"] = floor
    print(f"   parse floor: {floor.get('floor_s', '-')} s (bulk load), wall {_show(floor)}; "
          f"ropa / floor = {entry.get('floor_ratio', '-')}", flush=True)

    # (f) incremental: `ropa validate --store`, first run, then each kind of one-file edit (store_bench.py)
    if args.store and use_cli:
        from store_bench import bench_edits

        entry["store"] = bench_edits(folder, work / "store-edits", repeat=args.repeat, timeout=args.timeout,
                                     kinds=args.store_kinds, plain_wall_s=ropa.get("wall_s"))

    # (d) the query library
    if args.queries:
        entry["queries"] = bench_queries(folder, work, args)
        print(f"   queries: {_show_queries(entry['queries'])}", flush=True)

    # (b) plain pyshacl
    if size <= args.plain_max:
        out = work / "plain-findings.json"
        plain = repeated([sys.executable, "-c", PLAIN_RUN, str(folder), str(REPOSITORY), AS_OF, str(out)], work,
                         "plain", args.plain_repeat or args.repeat, args.plain_timeout)
        per_run = [_read_json_lines(Path(r["stdout"])) for r in plain["runs"]]
        for key in ("parse_s", "validate_s"):
            values = [r[key] for r in per_run if key in r]
            if values:
                plain[key] = round(statistics.median(values), 3)
        plain["graph_triples"] = next((r["graph_triples"] for r in per_run if "graph_triples" in r), None)
        if plain.get("ok") and out.exists():
            plain_findings = json.loads(out.read_text())["findings"]
            plain["findings"] = len(plain_findings)
            if ropa_findings is not None:
                mine, theirs = finding_set(ropa_findings), finding_set(plain_findings)
                entry["findings_equal"] = mine == theirs
                entry["only_ropa"] = sorted(mine - theirs)[:20]
                entry["only_plain"] = sorted(theirs - mine)[:20]
        entry["plain"] = plain
        if ropa.get("wall_s") and plain.get("wall_s"):
            entry["ratio"] = round(plain["wall_s"] / ropa["wall_s"], 1)
        print(f"   plain: {_show(plain)} (parse {plain.get('parse_s', '-')} s, validate {plain.get('validate_s', '-')} s)",
              flush=True)

    slow = (not ropa.get("ok") or ropa.get("wall_s", 0) > args.slow_s or ropa.get("peak_mb", 0) > args.big_mb
            or (entry.get("ratio") is not None and entry["ratio"] < args.min_ratio))
    if args.profile == "always" or (args.profile == "auto" and slow):
        print(f"   profiling the compiled checks one by one (timeout {args.check_timeout:.0f} s each) ...", flush=True)
        entry["checks"] = profile_checks(folder, args.check_timeout, work)
        for check in entry["checks"][:8]:
            seconds = f"{check['seconds']:.3f} s" if check["seconds"] is not None else f"> {check['timed_out_after_s']:.0f} s"
            print(f"      {seconds:>10}  {check['check']}  ({check['constraint']})", flush=True)
    entry["load_average"]["end"] = round(os.getloadavg()[0], 2)
    print(f"   load average (1 min) {entry['load_average']['start']} at the start, {entry['load_average']['end']} at the end",
          flush=True)
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    return entry


def bench_queries(folder: Path, work: Path, args) -> dict:
    """Time the query library on the generated record, in one fresh process (see query_bench.py)."""
    out = work / "queries.json"
    run = measure([sys.executable, str(QUERY_BENCH), "--data", str(folder), "--repeat", str(args.repeat),
                   "--json", str(out)], work / "queries.out", args.timeout)
    result = {"wall_s": run["wall_s"], "peak_mb": run["peak_mb"], "ok": run["returncode"] == 0 and not run["timed_out"]}
    if run["timed_out"]:
        result["timed_out_after_s"] = args.timeout
    if result["ok"]:
        measured = json.loads(out.read_text())
        result.update({"load_s": round(measured["load_s"], 3), "limit_s": QUERY_LIMIT_S,
                       "queries": [{**q, "median_s": round(q["median_s"], 3)} for q in measured["queries"]]})
        questions = [q for q in result["queries"] if q["library_question"]]   # not a required parameter at any
        slowest = max(questions, key=lambda q: q["median_s"])
        result["slowest"] = {"query": slowest["query"], "median_s": slowest["median_s"]}
        result["over_limit"] = [q["query"] for q in questions if q["median_s"] > QUERY_LIMIT_S]
    elif not run["timed_out"]:
        result["error"] = (work / "queries.stderr").read_text(errors="replace")[-2000:]
    return result


def _show_queries(result: dict) -> str:
    if not result["ok"]:
        return _show(result)
    over = ", ".join(result["over_limit"]) or "none"
    questions = sum(1 for q in result["queries"] if q["library_question"])
    return (f"{questions} queries, slowest {result['slowest']['query']} "
            f"{result['slowest']['median_s']:.3f} s; over {QUERY_LIMIT_S:g} s: {over}")


def _show(result: dict) -> str:
    if "wall_s" not in result:
        if "timed_out_after_s" in result:
            return f"timed out after {result['timed_out_after_s']:.0f} s"
        return "failed: " + result.get("error", "?").strip().splitlines()[-1][:200]
    runs = ", ".join(f"{r['wall_s']:.2f}" for r in result["runs"])
    return f"median {result['wall_s']:.2f} s (runs {runs}), CPU {result['cpu_s']:.2f} s, peak {result['peak_mb']:.0f} MB"


def table(entries: list[dict]) -> str:
    header = ("size", "triples", "ropa wall s", "ropa peak MB", "plain wall s", "plain peak MB", "ratio",
              "findings equal", "load s", "validate s", "slowest query s", "queries > 1 s")
    rows = [header]
    for e in entries:
        ropa, plain, stages = e.get("ropa", {}), e.get("plain", {}), e.get("stages", {})
        queries = e.get("queries", {})

        def cell(d, key, fmt):
            if key in d:
                return fmt.format(d[key])
            if d.get("timed_out_after_s"):
                return f">{d['timed_out_after_s']:.0f}"
            return "-"

        rows.append((
            str(e["size"]), str(e["triples"]), cell(ropa, "wall_s", "{:.2f}"), cell(ropa, "peak_mb", "{:.0f}"),
            cell(plain, "wall_s", "{:.2f}") if plain else "-", cell(plain, "peak_mb", "{:.0f}") if plain else "-",
            f"{e['ratio']:.1f}x" if "ratio" in e else "-",
            {True: "yes", False: "NO"}.get(e.get("findings_equal"), "-"),
            cell(stages, "load_s", "{:.2f}"), cell(stages, "validate_s", "{:.2f}"),
            f"{queries['slowest']['median_s']:.3f}" if "slowest" in queries else
            (f">{queries['timed_out_after_s']:.0f}" if queries.get("timed_out_after_s") else "failed" if queries else "-"),
            str(len(queries["over_limit"])) if "over_limit" in queries else "-",
        ))
    return text_table(rows)


def text_table(rows: list[tuple[str, ...]], left_columns: int = 0) -> str:
    """Rows (the header first) as aligned text columns, numbers to the right after ``left_columns`` names."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [" | ".join(c.ljust(w) if i < left_columns else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
             for r in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def query_table(entries: list[dict]) -> str:
    """Each library query's median seconds per size (a query over the limit is marked)."""
    measured = [e for e in entries if "slowest" in e.get("queries", {})]
    if not measured:
        return ""
    names = [q["query"] for q in measured[0]["queries"]["queries"]]
    header = ("query", *(f"{e['size']} s" for e in measured))
    rows = [header]
    for name in names:
        cells = []
        for e in measured:
            q = next((q for q in e["queries"]["queries"] if q["query"] == name), None)
            cells.append("-" if q is None else f"{q['median_s']:.3f}" + (" !" if q["median_s"] > QUERY_LIMIT_S else ""))
        rows.append((name, *cells))
    return text_table(rows, left_columns=1) + (f"\n(! = over {QUERY_LIMIT_S:g} s; a required parameter is timed at the record's busiest "
                               "value, and apart at any)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--plain-max", type=int, default=100_000, help="largest size plain pyshacl is run on")
    parser.add_argument("--plain-repeat", type=int, default=0, help="runs of plain pyshacl (default: --repeat)")
    parser.add_argument("--out", type=Path, default=REPOSITORY / "benchmarks" / "results.json")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds before a ropa run is killed")
    parser.add_argument("--plain-timeout", type=float, default=7200, help="seconds before a plain run is killed")
    parser.add_argument("--profile", choices=("auto", "always", "never"), default="auto")
    parser.add_argument("--check-timeout", type=float, default=300, help="seconds per check when profiling")
    parser.add_argument("--slow-s", type=float, default=45)
    parser.add_argument("--big-mb", type=float, default=1024)
    parser.add_argument("--min-ratio", type=float, default=10)
    parser.add_argument("--no-queries", dest="queries", action="store_false",
                        help="leave out the timing of the query library")
    parser.add_argument("--no-store", dest="store", action="store_false",
                        help="leave out the timing of `ropa validate --store` (first run and one-file edits)")
    parser.add_argument("--store-kinds", nargs="+", default=None,
                        help="the kinds of one-file edit timed with --store (benchmarks/store_bench.py; all by default)")
    parser.add_argument("--keep", action="store_true", help="keep the generated data and raw outputs")
    parser.add_argument("--work", type=Path, help="folder for generated data and raw outputs (a temp folder by default)")
    args = parser.parse_args()

    # As an installation does: this environment may set PYTHONDONTWRITEBYTECODE, and every fresh process would then
    # compile ropa's modules from source (about 0.7 s of CPU of each `ropa validate`).
    compileall.compile_dir(REPOSITORY / "ropa", quiet=1)
    use_cli = cli_available()
    print(f"ropa measured through {'the CLI (python -m ropa validate)' if use_cli else 'the library call'}; "
          f"{os.cpu_count()} CPUs; median of {args.repeat} runs", flush=True)
    work_root = args.work or Path(tempfile.mkdtemp(prefix="ropa-bench-"))
    import pyoxigraph
    import pyshacl
    import rdflib
    results = {
        "as_of": AS_OF,
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "repeat": args.repeat,
        "seed": args.seed,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "pyoxigraph": pyoxigraph.__version__, "pyshacl": pyshacl.__version__, "rdflib": rdflib.__version__},
        "code": _hashes(),
        "method": "fresh process per run; wall clock around the process; peak RSS of that child from os.wait4; "
                  "medians over the runs",
        "sizes": [],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for size in args.sizes:
        results["sizes"].append(bench_size(size, args, use_cli, work_root))
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    print()
    print(table(results["sizes"]))
    if any("queries" in e for e in results["sizes"]):
        print()
        print(query_table(results["sizes"]))
    print(f"\nresults written to {args.out}")
    if not args.keep and args.work is None:
        shutil.rmtree(work_root, ignore_errors=True)


if __name__ == "__main__":
    main()
