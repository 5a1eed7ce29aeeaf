"""Build ontology/labels-dpv.ttl: the labels, in every shipped language but English, of the DPV concepts documents
can show.

Usage: python ontology/build_labels.py

The translations are ropa's own and live in ontology/translations/dpv-labels.tsv (term, DPV's English label, then
one column per language of ropa.resources.LANGUAGES but English). The build checks every term against the shipped
DPV subset (ontology/dpv-subset.ttl): a term DPV no longer has, or whose English label changed since it was
translated, stops the build, so a translation never drifts from the concept it names. Terms that ontology/labels.ttl
already translates are refused too (one place per label). The output is sorted so that rebuilding gives a
byte-identical file.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOURCE = REPO / "ontology" / "translations" / "dpv-labels.tsv"
OUTPUT = REPO / "ontology" / "labels-dpv.ttl"
SUBSET = REPO / "ontology" / "dpv-subset.ttl"
HAND_WRITTEN = REPO / "ontology" / "labels.ttl"
sys.path.insert(0, str(REPO))
from ropa.resources import LANGUAGES  # noqa: E402  (the one list of shipped languages)

TRANSLATED = [lang for lang in LANGUAGES if lang != "en"]

HEADER = """\
# Dutch, French and German labels of DPV 2.3 concepts (purposes, personal data, data subjects, recipients, measures, legal
# bases, durations, data sources), built by ontology/build_labels.py from ontology/translations/dpv-labels.tsv.
# The English labels come from DPV itself (ontology/dpv-subset.ttl); these translations are ropa's own.

"""


def english_labels() -> tuple[dict[str, str], str]:
    """Each subset term's English preferred label, and the subset's prefix lines."""
    text = SUBSET.read_text(encoding="utf-8")
    labels = {}
    for match in re.finditer(r"^(\S+)\n((?:    .*\n)+)", text, flags=re.MULTILINE):
        label = re.search(r'skos:prefLabel "((?:[^"\\]|\\.)*)"@en', match.group(2))
        if label:
            labels[match.group(1)] = label.group(1).replace('\\"', '"')
    prefixes = "".join(line + "\n" for line in text.splitlines() if line.startswith("@prefix"))
    return labels, prefixes


def turtle_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def build() -> str:
    english, prefixes = english_labels()
    hand = set(re.findall(r"^(\S+) skos:prefLabel", HAND_WRITTEN.read_text(encoding="utf-8"), flags=re.MULTILINE))
    lines, problems = [], []
    with SOURCE.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader((line for line in handle if not line.startswith("#")), delimiter="\t")
        for number, row in enumerate(rows, start=1):
            term = row["term"]
            if term not in english:
                problems.append(f"{term}: not in the DPV subset")
            elif english[term] != row["en"]:
                problems.append(f"{term}: DPV's English label is now {english[term]!r}, translated from {row['en']!r}")
            elif term in hand:
                problems.append(f"{term}: already translated in ontology/labels.ttl")
            elif not all((row.get(lang) or "").strip() for lang in TRANSLATED):
                problems.append(f"{term}: a translation is empty")
            else:
                labels = " , ".join(f"{turtle_string(row[lang])}@{lang}" for lang in TRANSLATED)
                lines.append(f"{term} skos:prefLabel {labels} .")
    if problems:
        sys.exit("error: " + SOURCE.name + ": " + "; ".join(problems))
    return HEADER + prefixes + "\n" + "\n".join(sorted(lines)) + "\n"


def main() -> None:
    OUTPUT.write_text(build(), encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(REPO)}")


if __name__ == "__main__":
    main()
