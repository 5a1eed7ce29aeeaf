#!/usr/bin/env python
"""Time ``ropa import`` of a workbook of many activities (issue: 5,000 activities in a few seconds).

The workbook is written by ropa itself: a record of one organisation with ``--activities`` activities, each with
purposes, legal bases, data subjects, personal data, recipients, a processor, a transfer, two retention lines and
security measures, varied so that no two rows are equal, exported with ``ropa.workbook.export_workbook``. Each run
imports it in a fresh process (``ropa import FILE -o FOLDER``, including start-up, reading, term lookup, provenance
and writing the Turtle), and the medians of ``--repeat`` runs are reported, as wall clock and as the CPU time of the
process (on a shared machine the wall clock grows with the load; the CPU time does not); the last output is loaded once
to check that it is a valid record of that many activities.

Usage:
    python benchmarks/import_bench.py                        # 5,000 activities, 3 runs
    python benchmarks/import_bench.py --activities 20000 --repeat 5
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))

import ropa  # noqa: E402
from ropa.workbook import export_workbook  # noqa: E402

PURPOSES = ["dpv:ServiceProvision", "dpv:CustomerCare", "dpv:Marketing", "dpv:HumanResourceManagement",
            "dpv:LegalCompliance", "dpv:FraudPreventionAndDetection", "dpv:PaymentManagement"]
DATA = ["pd:Name", "pd:EmailAddress", "pd:TelephoneNumber", "pd:BirthDate", "pd:BankAccount",
        "pd:IPAddress", "pd:Location"]
SUBJECTS = ["dpv:Customer", "dpv:Employee", "dpv:JobApplicant", "dpv:Visitor", "dpv:User"]
BASES = ["eu-gdpr:A6-1-a", "eu-gdpr:A6-1-b", "eu-gdpr:A6-1-c", "eu-gdpr:A6-1-f"]
MEASURES = ["dpv:EncryptionAtRest", "dpv:EncryptionInTransfer", "dpv:MultiFactorAuthentication", "dpv:AccessControlMethod"]
PERIODS = ["P1Y", "P2Y", "P6M", "P10Y", "P30D"]


def record(activities: int) -> str:
    """A Turtle record of one organisation with ``activities`` varied activities and ten processors."""
    lines = ["@prefix b: <https://example.org/bench/> .", "@prefix ropa: <https://w3id.org/ropa/vocab#> .",
             "@prefix dpv: <https://w3id.org/dpv#> .", "@prefix pd: <https://w3id.org/dpv/pd#> .",
             "@prefix loc: <https://w3id.org/dpv/loc#> .", "@prefix eu-gdpr: <https://w3id.org/dpv/legal/eu/gdpr#> .",
             "@prefix legal-nl: <https://w3id.org/dpv/legal/nl#> .",
             "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .", "@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .",
             "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .",
             'b:org a dpv:LegalEntity , dpv:DataController ; rdfs:label "Bench Organisation"@en ; dpv:hasCountry loc:NL ; '
             'dpv:hasAuthority legal-nl:DPA-NL ; ropa:email "privacy@example.org" .']
    for n in range(10):
        lines.append(f'b:vendor-{n} a dpv:DataProcessor ; rdfs:label "Vendor {n}"@en ; ropa:headquarteredIn loc:US ; dpv:hasLocation loc:IE .')
    for n in range(activities):
        pick = lambda items, k=1: ", ".join(items[(n + i) % len(items)] for i in range(k))  # noqa: E731
        lines.append(
            f'b:act-{n} a dpv:Process ; rdfs:label "Activity {n}"@en ; ropa:recordedBy b:org ; ropa:role ropa:ControllerRole ; '
            f'dpv:hasDataController b:org ; dpv:hasPurpose {pick(PURPOSES, 2)} ; ropa:purposeDescription "purpose of activity {n}" ; '
            f'dpv:hasLegalBasis {pick(BASES)} ; dpv:hasDataSubject {pick(SUBJECTS)} ; dpv:hasPersonalData {pick(DATA, 3)} ; '
            f'dpv:hasRecipient b:vendor-{n % 10} ; dpv:hasDataProcessor b:vendor-{n % 10} ; '
            f'dpv:hasTechnicalOrganisationalMeasure {pick(MEASURES, 2)} ; '
            f'ropa:hasTransfer [ a dpv:CrossBorderTransfer ; dpv:hasThirdCountry loc:US ; dpv:hasLegalBasis eu-gdpr:A46-2-c ] ; '
            f'dpv:hasStorageCondition [ a dpv:StorageDuration ; ropa:appliesToData {DATA[n % len(DATA)]} ; '
            f'dpv:hasDuration [ a dpv:TemporalDuration ; rdf:value "{PERIODS[n % len(PERIODS)]}"^^xsd:duration ] ] , '
            f'[ a dpv:StorageDuration ; dpv:hasDuration [ a dpv:UntilEventDuration ; ropa:untilEvent ropa:AgreementEnd ; '
            f'ropa:afterEvent "P{1 + n % 7}Y"^^xsd:duration ] ] .')
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--activities", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        (folder / "record").mkdir()
        (folder / "record" / "bench.ttl").write_text(record(options.activities), encoding="utf-8")
        started = time.perf_counter()
        book = export_workbook(ropa.load([folder / "record"]), folder / "bench.xlsx")
        print(f"exported {options.activities} activities to a workbook of {book.stat().st_size // 1024} KB "
              f"in {time.perf_counter() - started:.1f} s")
        times, cpu = [], []
        for run in range(options.repeat):
            out = folder / f"out-{run}"
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "ropa", "import", str(book), "-o", str(out)], check=True,
                           capture_output=True)
            times.append(time.perf_counter() - started)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
            print(f"run {run + 1}: {times[-1]:.2f} s wall clock, {cpu[-1]:.2f} s CPU")
        graph = ropa.load([out])
        count = len(graph.select("SELECT ?a WHERE { ?a a dpv:Process }"))
        assert count == options.activities, count
        print(f"import of {options.activities} activities: median {statistics.median(times):.2f} s wall clock, "
              f"{statistics.median(cpu):.2f} s CPU, over {options.repeat} runs ({len(graph)} triples with vocabulary "
              f"and provenance; load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
