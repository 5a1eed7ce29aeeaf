"""Build ontology/labels-countries.ttl: the names of the countries DPV lists (loc:XX), in every shipped language but
English.

Usage: pip install pycountry && python ontology/build_country_labels.py

The names are the ISO 3166-1 short names as the iso-codes project translates them (shipped by the pycountry
package), for each language of ropa.resources.LANGUAGES but English; a country that already has a label in a language
in ropa's files keeps it. The output is
sorted so that rebuilding gives a byte-identical file.
"""

from __future__ import annotations

import gettext
import re
import sys
from pathlib import Path

import pyoxigraph as ox

REPO = Path(__file__).resolve().parent.parent
OUTPUT = REPO / "ontology" / "labels-countries.ttl"
LOC = "https://w3id.org/dpv/loc#"
sys.path.insert(0, str(REPO))
from ropa.resources import LANGUAGES as SHIPPED  # noqa: E402  (the one list of shipped languages)

LANGUAGES = tuple(lang for lang in SHIPPED if lang != "en")

HEADER = """\
# Dutch, French and German names of the countries in DPV's location concepts (loc:XX), built by
# ontology/build_country_labels.py from the ISO 3166-1 names as translated by the iso-codes project (via pycountry).
# Countries that ropa's other files already name in a language are left out here.

@prefix loc: <https://w3id.org/dpv/loc#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
"""


def labelled(lang: str) -> set[str]:
    """Countries some other ropa file already labels in ``lang``."""
    store = ox.Store()
    files = [p for p in (REPO / "ontology").glob("*.ttl") if p != OUTPUT] + list((REPO / "data" / "reference").glob("*.ttl"))
    for path in files:
        store.load(path=str(path), format=ox.RdfFormat.TURTLE)
    rows = store.query(f"""SELECT DISTINCT ?c WHERE {{ ?c ?p ?l FILTER(STRSTARTS(STR(?c), "{LOC}"))
        FILTER(?p IN (<http://www.w3.org/2000/01/rdf-schema#label>, <http://www.w3.org/2004/02/skos/core#prefLabel>))
        FILTER(LANG(?l) = "{lang}") }}""")
    return {row["c"].value for row in rows}


def countries() -> list[str]:
    """The two-letter codes of the DPV countries the shipped subset holds."""
    text = (REPO / "ontology" / "dpv-subset.ttl").read_text(encoding="utf-8")
    blocks = re.findall(r"^loc:([A-Z]{2})\n((?:    .*\n)+)", text, flags=re.MULTILINE)
    return sorted(code for code, body in blocks if "dpv:Country" in body)


def turtle_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def build() -> str:
    import pycountry

    translations = {lang: gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang]) for lang in LANGUAGES}
    done = {lang: labelled(lang) for lang in LANGUAGES}
    lines = []
    for code in countries():
        country = pycountry.countries.get(alpha_2=code)
        if country is None:
            continue
        name = getattr(country, "common_name", None) or country.name
        labels = [f"{turtle_string(translations[lang].gettext(name))}@{lang}"
                  for lang in LANGUAGES if LOC + code not in done[lang]]
        if labels:
            lines.append(f"loc:{code} skos:prefLabel {' , '.join(labels)} .")
    return HEADER + "\n" + "\n".join(lines) + "\n"


def main() -> None:
    OUTPUT.write_text(build(), encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(REPO)}")


if __name__ == "__main__":
    main()
