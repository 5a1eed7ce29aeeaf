#!/usr/bin/env python
"""Time `ropa validate --store` per kind of one-file edit, against a plain `ropa validate` of the same files.

Why this exists: the goal for `--store` is every one-file change validated within 2 s at a million triples, with
the findings of a full run. One kind of edit says little: which checks a change reaches, and how far back their
focus nodes lie, depends on what is edited. Each kind below is a text edit of one Turtle file of a record written
by ropa.synthetic (the organisation's own file, ``03-*.ttl`` by default), made as a person makes it:

  append         one triple appended (a comment on a new node)
  activity       an activity added (an existing one with its retention, transfer and blank nodes copied under a
                 new name)
  label          an activity's label changed
  country        a transfer's third country changed
  basis          a transfer's legal basis changed
  processor      a processor removed from an activity
  organisation   the organisation's name and label changed, and a service provider it names added

Every run is a fresh process (``python -m ropa validate FOLDER --format json --store DIR``), wall clock around it,
the child's CPU time (user and system: less moved by other work on a shared machine), peak RSS and the load average
when it started; each kind is edited and timed ``--repeat`` times (each time another activity or transfer, so that
every run sees a real change) and the median is reported. The package is compiled to bytecode first, as an
installation does: in an environment that sets PYTHONDONTWRITEBYTECODE every run would otherwise compile ropa's
modules from source (0.1 s of CPU). The plain run is timed ``--repeat``
times in the same run, for the ratio. The record is copied first (the source folder is left as it is). At the end
(``--verify``: after every kind) a plain run of the edited files must give the same JSON report as the last
`--store` run, blank nodes' names aside (each parse names them anew).

Usage:
    python benchmarks/store_bench.py --data /tmp/qb/work/size-1000000/data --repeat 3
    python benchmarks/store_bench.py --data FOLDER --kinds activity label --repeat 1 --verify
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY / "benchmarks"))

from validate_bench import AS_OF, measure, repeated  # noqa: E402

KINDS = ("append", "activity", "label", "country", "basis", "processor", "organisation")
COUNTRIES = ("loc:US", "loc:IN", "loc:BR", "loc:JP", "loc:PH", "loc:CH")
BASES = ("eu-gdpr:A46-2-c", "ropa:SCC-2021-914-EU", "eu-gdpr:A49-1-a")
_BLOCK = re.compile(r"(?ms)^(syn:\S+) a ")


def blocks(text: str) -> list[tuple[str, int, int]]:
    """(subject, start, end) of each top-level subject block of a file ropa.synthetic wrote."""
    starts = [(m.group(1), m.start()) for m in _BLOCK.finditer(text)]
    return [(subject, start, starts[i + 1][1] if i + 1 < len(starts) else len(text))
            for i, (subject, start) in enumerate(starts)]


def edit(path: Path, kind: str, number: int) -> str:
    """Apply the ``number``-th edit of ``kind`` to the file; return what was edited, for the report."""
    text = path.read_text(encoding="utf-8")
    found = blocks(text)
    activities = [(s, a, b) for s, a, b in found if text.startswith(f"{s} a dpv:Process", a)]
    transfers = [(s, a, b) for s, a, b in found if text.startswith(f"{s} a dpv:CrossBorderTransfer", a)]

    def replace_in(block: tuple[str, int, int], old: str, new: str) -> str:
        _, start, end = block
        part = text[start:end]
        assert re.search(old, part), (kind, block[0], old)
        return text[:start] + re.sub(old, new, part, count=1) + text[end:]

    if kind == "append":
        edited = text + (f'\n<https://w3id.org/ropa/synthetic/edited-{number}> '
                         f'<http://www.w3.org/2000/01/rdf-schema#comment> "edit {number}" .\n')
        what = "one triple"
    elif kind == "activity":
        with_transfer = [b for b in activities if "ropa:hasTransfer" in text[b[1]:b[2]]]
        subject, start, _ = with_transfer[number % len(with_transfer)]
        end = next((s for name, s, _ in found if s > start and not name.startswith(subject)), len(text))
        copied = text[start:end].replace(subject, f"{subject}-copy{number}")
        edited = text.rstrip("\n") + "\n\n" + copied
        what = f"{subject}-copy{number}"
    elif kind == "label":
        block = activities[number * 7 % len(activities)]
        edited = replace_in(block, r'rdfs:label "([^"]*)"@en', rf'rdfs:label "\1, renamed {number}"@en')
        what = block[0]
    elif kind == "country":
        block = transfers[number * 5 % len(transfers)]
        current = re.search(r"dpv:hasThirdCountry (\S+)", text[block[1]:block[2]]).group(1)
        other = next(c for c in COUNTRIES[number % 3:] + COUNTRIES if c != current)
        edited = replace_in(block, r"dpv:hasThirdCountry \S+", f"dpv:hasThirdCountry {other}")
        what = f"{block[0]}: {current} to {other}"
    elif kind == "basis":
        block = transfers[number * 5 % len(transfers) + 1]
        current = re.search(r"dpv:hasLegalBasis (\S+)", text[block[1]:block[2]]).group(1)
        other = next(b for b in BASES[number % 3:] + BASES if b != current)
        edited = replace_in(block, r"dpv:hasLegalBasis \S+", f"dpv:hasLegalBasis {other}")
        what = f"{block[0]}: {current} to {other}"
    elif kind == "processor":
        using = [b for b in activities if "dpv:hasDataProcessor" in text[b[1]:b[2]]]
        block = using[number * 3 % len(using)]
        edited = replace_in(block, r"\n    dpv:hasDataProcessor [^;.]*;", "")
        what = block[0]
    elif kind == "organisation":
        organisation = next(b for b in found if text.startswith(f"{b[0]} a dpv:LegalEntity", b[1]))
        provider = ("syn:provider-contactcentre", "syn:provider-analytics", "syn:provider-crm")[number % 3]
        edited = replace_in(organisation, r'rdfs:label "([^"]*)"@en ;\n    dpv:hasName "([^"]*)" ;',
                            rf'rdfs:label "\1 ({number})"@en ;\n    dpv:hasName "\2 ({number})" ;\n'
                            rf'    ropa:usesServiceProvider {provider} ;')
        what = f"{organisation[0]} (+ {provider})"
    else:
        raise ValueError(kind)
    path.write_text(edited, encoding="utf-8")
    return what


def normalised(report_path: Path) -> str:
    """The JSON report with blank nodes' names replaced (each parse of a file names them anew)."""
    text = Path(report_path).read_text(encoding="utf-8")
    return re.sub(r'"_:[A-Za-z0-9]+"', '"_:"', re.sub(r'"[0-9a-f]{32}"', '"_:"', text))


def bench_edits(source: Path, work: Path, *, repeat: int, timeout: float, kinds=None, file_index: int = 3,
                verify: bool = False, plain_wall_s: float | None = None) -> dict:
    """Copy the record, time the plain run (unless the caller timed it: ``plain_wall_s``) and the store's first run,
    then each kind of edit ``repeat`` times."""
    kinds = kinds or KINDS
    work.mkdir(parents=True, exist_ok=True)
    compileall.compile_dir(REPOSITORY / "ropa", quiet=1)
    folder, store = work / "record", work / "store"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(store, ignore_errors=True)
    shutil.copytree(source, folder)
    path = sorted(folder.glob("*.ttl"))[file_index]
    plain_argv = [sys.executable, "-m", "ropa", "validate", str(folder), "--format", "json", "--as-of", AS_OF,
                  "--fail-on", "info"]
    store_argv = plain_argv + ["--store", str(store)]
    if plain_wall_s is None:
        load = round(os.getloadavg()[0], 2)
        plain = repeated(plain_argv, work, "plain", repeat, timeout, ok_codes=(0, 1))
        print(f"   plain ropa validate: {plain.get('wall_s')} s (runs {[r['wall_s'] for r in plain['runs']]}), "
              f"CPU {plain.get('cpu_s')} s (runs {[r['cpu_s'] for r in plain['runs']]}), load {load} at its start",
              flush=True)
    else:
        plain = {"wall_s": plain_wall_s}
    first = repeated(store_argv, work, "store-first", 1, timeout, ok_codes=(0, 1))
    print(f"   --store, first run: {first.get('wall_s')} s, peak {first.get('peak_mb')} MB", flush=True)
    result = {"file": path.name, "plain_wall_s": plain.get("wall_s"), "plain_cpu_s": plain.get("cpu_s"),
              "first_wall_s": first.get("wall_s"),
              "first_peak_mb": first.get("peak_mb"), "kinds": {}}
    last = None
    for kind in kinds:
        runs, edited = [], []
        for number in range(repeat):
            edited.append(edit(path, kind, number))
            last = work / f"store-{kind}-{number}.out"
            load = round(os.getloadavg()[0], 2)
            runs.append({**measure(store_argv, last, timeout), "load": load})
        good = [r for r in runs if not r["timed_out"] and r["returncode"] in (0, 1)]
        entry = {"runs": [r["wall_s"] for r in good], "cpu_runs": [r["cpu_s"] for r in good],
                 "load": [r["load"] for r in runs], "edited": edited,
                 "wall_s": round(statistics.median(r["wall_s"] for r in good), 3) if good else None,
                 "cpu_s": round(statistics.median(r["cpu_s"] for r in good), 3) if good else None,
                 "peak_mb": round(statistics.median(r["peak_mb"] for r in good), 1) if good else None,
                 "failed": len(runs) - len(good)}
        if plain.get("wall_s") and entry["wall_s"]:
            entry["ratio_to_plain"] = round(entry["wall_s"] / plain["wall_s"], 3)
        if plain.get("cpu_s") and entry["cpu_s"]:
            entry["cpu_ratio_to_plain"] = round(entry["cpu_s"] / plain["cpu_s"], 3)
        if verify and good:
            entry["findings_equal"] = _same_as_plain(plain_argv, work, kind, last)
        result["kinds"][kind] = entry
        print(f"   --store, {kind:<12} {entry['wall_s']} s (runs {entry['runs']}), CPU {entry['cpu_s']} s "
              f"(runs {entry['cpu_runs']}), peak {entry['peak_mb']} MB, load {entry['load']}"
              + (f", findings equal: {entry['findings_equal']}" if "findings_equal" in entry else ""), flush=True)
    if last is not None and not verify:
        result["findings_equal"] = _same_as_plain(plain_argv, work, "final", last)
        print(f"   findings of the last --store run equal a plain run's: {result['findings_equal']}", flush=True)
    return result


def _same_as_plain(plain_argv: list[str], work: Path, name: str, stored: Path) -> bool:
    check = work / f"plain-after-{name}.out"
    measure(plain_argv, check, 3600)
    return normalised(check) == normalised(stored)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="a record folder written by ropa.synthetic")
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--file", type=int, default=3, help="which file (in name order) the edits change")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--verify", action="store_true", help="compare with a plain run after every kind")
    parser.add_argument("--work", type=Path, help="folder for the copy, the store and the outputs")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="ropa-store-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    result = bench_edits(args.data, work, repeat=args.repeat, timeout=args.timeout, kinds=args.kinds,
                         file_index=args.file, verify=args.verify)
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
