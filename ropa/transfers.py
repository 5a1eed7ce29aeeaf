"""One verdict per transfer: whether a transfer to a third country has a valid basis at a date (GDPR Chapter V).

This module is the single definition every command uses: ``ropa validate`` (the transfer shapes read the verdicts
that ``verdict_triples`` writes for the run), ``ropa flows``/``impact``/``diagram`` (each link into a place is judged
with ``judge``), and the transfer queries (``# needs: verdicts``).

What is judged: every ``dpv:CrossBorderTransfer`` to each of its destinations (``dpv:hasThirdCountry``, or
``ropa:outsideRegion`` when no country is named), and every ``ropa:Engagement`` with a data location. A country the
importer or provider reaches the data from (``ropa:accessedFrom``: remote access to data held elsewhere, a transfer
under Chapter V, EDPB Guidelines 05/2021) is a destination judged the same way; its verdict says so (``access``).
The rule, per basis, at the date:

* a place inside the EEA (``ropa:eeaMember true``, also the regions loc:EU and loc:EEA) needs no basis;
* an adequacy decision (Art. 45) counts while in force and only for a country it covers; a framework for certified
  organisations (the EU-US Data Privacy Framework) only for an importer certified under it. A decision in force
  for the destination counts even when the record does not name it (Art. 45(1): no specific authorisation);
* an appropriate safeguard (Art. 46: standard contractual clauses, binding corporate rules, ...) counts while in
  force (repealed clauses do not);
* a derogation (Art. 49) counts only for an occasional transfer (``ropa:occasional true``; EDPB Guidelines 2/2018):
  a systematic one, or one not recorded as occasional, cannot rest on it.

The verdict is **valid** (a basis counts), **invalid** (bases are documented, none counts), **unknown** (none is
documented) or **not required** (inside the EEA).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from urllib.parse import quote

import pyoxigraph as ox

from ropa.load import RecordGraph
from ropa.namespaces import PREFIXES, ROPA, shorten

STATUSES = ("invalid", "unknown", "valid", "not required")
"""Verdicts, weakest first: a path is as strong as its weakest link."""

VERDICTS_GRAPH = ox.NamedNode("urn:ropa:verdicts")
"""The named graph holding the verdicts while a validation or query run needs them (and in a pushed graph)."""

_XSD_DATE = ox.NamedNode(PREFIXES["xsd"] + "date")
_XSD_BOOLEAN = ox.NamedNode(PREFIXES["xsd"] + "boolean")
_RDF_TYPE = ox.NamedNode(PREFIXES["rdf"] + "type")

_KINDS = {
    "adequacy": ["eu-gdpr:AdequacyDecision", "eu-gdpr:A45-3"],
    "safeguard": ["eu-gdpr:A46-2-a", "eu-gdpr:A46-2-b", "eu-gdpr:A46-2-c", "eu-gdpr:A46-2-d", "eu-gdpr:A46-2-e",
                  "eu-gdpr:A46-2-f", "eu-gdpr:A46-3-a", "eu-gdpr:A46-3-b", "eu-gdpr:SCCByCommission",
                  "eu-gdpr:StandardContractualClauses",  # adopted by the Commission or an authority: Art. 46(2)(c), (d)
                  "eu-gdpr:BindingCorporateRules"],
    "derogation": ["eu-gdpr:A49-1-a", "eu-gdpr:A49-1-b", "eu-gdpr:A49-1-c", "eu-gdpr:A49-1-d", "eu-gdpr:A49-1-e",
                   "eu-gdpr:A49-1-f", "eu-gdpr:A49-1-g", "eu-gdpr:A49-2"],
}

ENGAGEMENT_SCOPE = """
    SELECT DISTINCT ?engagement ?engager ?provider ?activity WHERE {
      ?engagement a ropa:Engagement ; ropa:provider ?provider .
      OPTIONAL { ?engagement ropa:engagedBy ?engager }
      {
        ?engagement ropa:serves ?activity .
      } UNION {
        ?engagement ropa:engagementScope ?scope ; ropa:engagedBy ?by .
        ?activity ropa:recordedBy ?by .
        OPTIONAL { ?activity ropa:role ?role }
        FILTER(?scope = ropa:AllActivities
               || (?scope = ropa:AllControllerActivities && ?role = ropa:ControllerRole)
               || (?scope = ropa:AllProcessorServices && ?role = ropa:ProcessorRole))
      } UNION {
        ?engagement ropa:engagedBy ?by . ?activity ropa:recordedBy ?by .
        FILTER NOT EXISTS { ?engagement ropa:serves|ropa:engagementScope ?any }
      }
      ?activity a dpv:Process .
    }"""
"""The activities each engagement serves: those it names (ropa:serves), those of its scope (all activities, all
controller activities, all processor services of the engaging organisation), or all of them when it says neither.
Flows, impact, documents and checks read an engagement's reach from here."""

# What is judged: transfers to each destination, engagements with a data location. A country the importer or
# provider reaches the data from (ropa:accessedFrom: remote access, EDPB Guidelines 05/2021) is a destination too,
# marked ?access.
_SUBJECTS = """
    SELECT DISTINCT ?subject ?place ?outside ?importer ?basis ?occasional ?access WHERE {
      {
        ?subject a dpv:CrossBorderTransfer .
        { ?subject dpv:hasThirdCountry|ropa:accessedFrom ?place . BIND(false AS ?outside) }
        UNION {
          ?subject ropa:outsideRegion ?place . BIND(true AS ?outside)
          FILTER NOT EXISTS { ?subject dpv:hasThirdCountry|ropa:accessedFrom ?named }
        }
        OPTIONAL { ?subject dpv:hasDataImporter ?importer }
        OPTIONAL { ?subject dpv:hasLegalBasis ?basis }
        OPTIONAL { ?subject ropa:occasional ?occasional }
      } UNION {
        ?subject a ropa:Engagement ; ropa:dataLocation|ropa:accessedFrom ?place . FILTER(isIRI(?place)) BIND(false AS ?outside)
        OPTIONAL { ?subject ropa:provider ?importer }
        OPTIONAL { ?subject ropa:transferMechanism ?basis }
      }
      BIND(EXISTS { ?subject ropa:accessedFrom ?place } AS ?access)
    }"""

# The facts the rule needs about places, instruments and importers.
_INSTRUMENTS = """
    SELECT DISTINCT ?basis ?kind ?from ?until ?covers ?certifiedOnly WHERE {{
      {named}
      OPTIONAL {{
        VALUES (?root ?kind) {{ {roots} }}
        ?basis skos:broader* ?root .
      }}
      OPTIONAL {{ ?basis ropa:validFrom ?from }}
      OPTIONAL {{ ?basis ropa:validUntil ?until }}
      OPTIONAL {{ ?basis ropa:coversCountry ?covers }}
      OPTIONAL {{ ?basis ropa:onlyForCertifiedOrganisations ?certifiedOnly }}
    }}"""

# The instruments the record names: an instrument that covers a country, or the basis of a transfer or engagement.
_NAMED = "{ ?basis ropa:coversCountry ?anyCountry } " \
    "UNION { ?anyTransfer a dpv:CrossBorderTransfer ; dpv:hasLegalBasis ?basis } " \
    "UNION { ?anyEngagement a ropa:Engagement ; ropa:transferMechanism ?basis }"
# The same asked of given instruments, from the instrument (Oxigraph would list every transfer first).
_IS_NAMED = "EXISTS { ?basis ropa:coversCountry ?anyCountry } " \
    "|| EXISTS { ?anyTransfer dpv:hasLegalBasis ?basis FILTER EXISTS { ?anyTransfer a dpv:CrossBorderTransfer } } " \
    "|| EXISTS { ?anyEngagement ropa:transferMechanism ?basis FILTER EXISTS { ?anyEngagement a ropa:Engagement } }"

_PLACES = """
    SELECT ?place ?eea WHERE { ?place ropa:eeaMember ?eea }"""

_CERTIFIED = """
    SELECT ?party ?framework WHERE { ?party ropa:certifiedUnder ?framework }"""


@dataclass(frozen=True)
class Basis:
    """One basis of a transfer, judged at the date."""

    instrument: str
    label: str
    valid: bool
    documented: bool
    reason: str
    reason_key: str = ""
    """The reason as a phrase of the message catalogues (basis.reason.*), for outputs in another language."""
    reason_values: tuple[tuple[str, str], ...] = ()

    def as_dict(self) -> dict:
        return {"instrument": shorten(self.instrument), "label": self.label, "valid": self.valid,
                "documented": self.documented, "reason": self.reason}


@dataclass(frozen=True)
class Verdict:
    """The verdict on one transfer (or engagement) to one place at a date, with each basis judged."""

    subject: str
    place: str
    outside: bool
    importer: str | None
    status: str
    bases: tuple[Basis, ...]
    access: bool = False
    """The importer reaches the data from the place (ropa:accessedFrom) rather than holding them there."""

    @property
    def reason(self) -> str:
        if self.status == "not required":
            return "inside the EEA"
        if not self.bases:
            return "no basis documented"
        return "; ".join(f"{b.label}: {b.reason}" for b in self.bases)


@dataclass
class Instrument:
    kind: str | None = None
    starts: dt.date | None = None
    ends: dt.date | None = None
    covers: set[str] = field(default_factory=set)
    certified_only: bool = False


@dataclass
class Facts:
    """What the rule needs to know beyond the transfer itself: instruments, EEA membership, certifications."""

    instruments: dict[str, Instrument]
    eea: dict[str, bool]
    certified: dict[str, set[str]]
    labels: dict[str, str]

    def in_eea(self, place: str) -> bool:
        """Unknown places count as outside the EEA (a transfer must be shown to need no basis)."""
        return self.eea.get(place, False)

    def adequacy_for(self, place: str) -> list[str]:
        """The adequacy decisions covering the place (asked once per place, then remembered)."""
        cache = self.__dict__.setdefault("_adequacy", {})
        if place not in cache:
            cache[place] = sorted(iri for iri, i in self.instruments.items() if i.kind == "adequacy" and place in i.covers)
        return cache[place]


def _instruments_query(bases: Iterable[str] | None = None) -> str:
    """The instruments query, for the given IRIs only when ``bases`` is given."""
    roots = " ".join(f"({curie} \"{kind}\")" for kind, curies in _KINDS.items() for curie in curies)
    if bases is None:
        named = "{ SELECT DISTINCT ?basis WHERE { %s } }" % _NAMED
    else:   # each given IRI asked whether the record names it (listing every transfer that does took 0.5 s)
        named = "VALUES ?basis { %s } FILTER(%s)" % (" ".join(f"<{iri}>" for iri in bases), _IS_NAMED)
    return _INSTRUMENTS.format(roots=roots, named=named)


def verdict_queries() -> tuple[str, list[str]]:
    """The SPARQL the verdicts are read with: the links judged (one row per ?subject) and the facts the rule uses
    (``ropa validate --store`` recomputes verdicts only where a changed triple can match one of their patterns)."""
    return _SUBJECTS, [_instruments_query(), _PLACES, _CERTIFIED, _LABEL]


def facts(graph: RecordGraph) -> Facts:
    """Read the instruments, places and certifications once; ``judge`` uses them for any number of links."""
    instruments = read_instruments(graph)
    return Facts(instruments=instruments, eea=read_places(graph), certified=read_certified(graph),
                 labels=read_labels(graph, instruments))


def read_places(graph: RecordGraph) -> dict[str, bool]:
    return {r["place"]: r["eea"] == "true" for r in graph.select(_PLACES)}


def read_certified(graph: RecordGraph) -> dict[str, set[str]]:
    certified: dict[str, set[str]] = defaultdict(set)
    for row in graph.select(_CERTIFIED):
        certified[row["party"]].add(row["framework"])
    return dict(certified)


def read_instruments(graph: RecordGraph, bases: Iterable[str] | None = None) -> dict[str, Instrument]:
    """The instruments the record names (of the given IRIs only, when ``bases`` is given: ``ropa validate --store``
    reads again those a change can alter)."""
    instruments: dict[str, Instrument] = defaultdict(Instrument)
    if bases is not None and not bases:
        return {}
    for row in graph.select(_instruments_query(bases)):
        entry = instruments[row["basis"]]
        if row["kind"] and (entry.kind is None or row["kind"] == "adequacy"):
            entry.kind = row["kind"]
        if row["from"]:
            entry.starts = dt.date.fromisoformat(row["from"])
        if row["until"]:
            entry.ends = dt.date.fromisoformat(row["until"])
        if row["covers"]:
            entry.covers.add(row["covers"])
        entry.certified_only |= row["certifiedOnly"] == "true"
    return dict(instruments)


_LABEL = """
    SELECT ?x ?value ?rank WHERE {
      { ?x rdfs:label ?value BIND(1 AS ?rank) } UNION { ?x skos:prefLabel ?value BIND(2 AS ?rank) }
    }"""


def read_labels(graph: RecordGraph, iris) -> dict[str, str]:
    """The English label of each instrument (rdfs:label before skos:prefLabel), one bound lookup each: there are
    a few dozen, and a lookup by subject stays fast however large the record."""
    found = {}
    for iri in iris:
        ranked = []
        for solution in graph.query(_LABEL, {"x": ox.NamedNode(iri)}):
            value = solution["value"]
            language = value.language if isinstance(value, ox.Literal) else None
            ranked.append((0 if language == "en" else 1 if not language else 2, int(solution["rank"].value), value.value))
        if ranked:
            found[iri] = min(ranked)[2]
    return found


def judge(subject: str, place: str, outside: bool, importer: str | None, documented: set[str],
          occasional: bool | None, known: Facts, as_of: dt.date) -> Verdict:
    """The verdict on a link to ``place`` resting on the ``documented`` bases, at ``as_of``."""
    if not outside and known.in_eea(place):
        return Verdict(subject, place, outside, importer, "not required", ())
    certified = known.certified.get(importer or "", set()) | known.certified.get(subject, set())
    bases = [_judge_basis(b, True, place, outside, certified, occasional, known, as_of) for b in sorted(documented)]
    if not outside:
        for decision in known.adequacy_for(place):
            if decision not in documented:
                basis = _judge_basis(decision, False, place, outside, certified, occasional, known, as_of)
                if basis.valid:  # an automatic decision is shown only where it counts
                    bases.append(basis)
    bases.sort(key=lambda b: (not b.valid, b.label))
    return Verdict(subject, place, outside, importer, status_of(bases), tuple(bases))


def status_of(bases) -> str:
    """The verdict the judged bases of a link give: valid when one counts, invalid when bases are documented but none
    counts, unknown when none is documented (an automatic adequacy decision is listed only where it counts)."""
    bases = list(bases)
    return "valid" if any(b.valid for b in bases) else "invalid" if any(b.documented for b in bases) else "unknown"


def assume_ended(bases, instrument: str, day: dt.date) -> tuple[Basis, ...]:
    """The judged bases of a link as ``judge`` gives them when the instrument is no longer valid from ``day``: a
    documented instrument no longer counts, an adequacy decision counted without being named drops out."""
    kept = []
    for basis in bases:
        if basis.instrument != instrument:
            kept.append(basis)
        elif basis.documented:
            kept.append(Basis(instrument=basis.instrument, label=basis.label, valid=False, documented=True,
                              reason=f"assumed no longer valid from {day.isoformat()}",
                              reason_key="basis.reason.assumed_ended", reason_values=(("date", day.isoformat()),)))
    return tuple(sorted(kept, key=lambda b: (not b.valid, b.label)))


def _judge_basis(iri: str, documented: bool, place: str, outside: bool, certified: set[str],
                 occasional: bool | None, known: Facts, as_of: dt.date) -> Basis:
    instrument = known.instruments.get(iri, Instrument())
    label = known.labels.get(iri) or shorten(iri)

    def verdict(valid: bool, reason: str, key: str, **values: str) -> Basis:
        return Basis(instrument=iri, label=label, valid=valid, documented=documented, reason=reason,
                     reason_key=f"basis.reason.{key}", reason_values=tuple(values.items()))

    if instrument.ends and as_of > instrument.ends:
        return verdict(False, f"no valid basis after {instrument.ends.isoformat()}", "ended", date=instrument.ends.isoformat())
    if instrument.starts and as_of < instrument.starts:
        return verdict(False, f"not valid before {instrument.starts.isoformat()}", "not_yet", date=instrument.starts.isoformat())
    if instrument.kind == "adequacy":
        if outside:
            return verdict(False, "an adequacy decision needs a named country", "needs_country")
        if instrument.covers and place not in instrument.covers:
            return verdict(False, "the decision does not cover the country", "not_covered")
        if not instrument.covers and not any(
                known.instruments[d].kind == "adequacy" and not known.instruments[d].certified_only
                and _in_force(known.instruments[d], as_of) for d in known.adequacy_for(place)):
            return verdict(False, "no adequacy decision in force covers the country", "no_adequacy")
        if instrument.certified_only and iri not in certified:
            return verdict(False, "only for importers certified under it; the importer is not recorded as certified",
                           "not_certified")
        return verdict(True, "adequacy decision in force (Art. 45)", "adequacy")
    if instrument.kind == "safeguard":
        return verdict(True, "appropriate safeguard (Art. 46)", "safeguard")
    if instrument.kind == "derogation":
        if occasional:
            return verdict(True, "derogation for an occasional transfer (Art. 49)", "derogation")
        if occasional is False:
            return verdict(False, "a derogation cannot serve a systematic transfer (Art. 49)", "systematic")
        return verdict(False, "a derogation serves only occasional transfers; the record does not say this one is",
                       "not_occasional")
    return verdict(False, "not a Chapter V transfer basis", "not_a_basis")


def _in_force(instrument: Instrument, as_of: dt.date) -> bool:
    return not (instrument.starts and as_of < instrument.starts) and not (instrument.ends and as_of > instrument.ends)


def combine(subject: str, place: str, verdicts: list[Verdict]) -> Verdict:
    """One verdict for a link several transfers or engagements document: the bases of all of them."""
    if len(verdicts) == 1:
        return verdicts[0]
    bases = {}
    for verdict in verdicts:
        for basis in verdict.bases:
            known = bases.get(basis.instrument)
            if known is None or (basis.valid and not known.valid):
                bases[basis.instrument] = basis
    statuses = [v.status for v in verdicts]
    status = max(statuses, key=STATUSES.index)
    first = verdicts[0]
    return Verdict(subject, place, first.outside, first.importer, status,
                   tuple(sorted(bases.values(), key=lambda b: (not b.valid, b.label))),
                   access=any(v.access for v in verdicts))


def verdicts(graph: RecordGraph, as_of: dt.date, known: Facts | None = None, *,
             subjects: Iterable[ox.NamedNode | ox.BlankNode] | None = None) -> list[Verdict]:
    """The verdict on every transfer and every located engagement, per destination, at ``as_of`` (on those of the
    given subjects only, when ``subjects`` is given)."""
    known = known or facts(graph)
    links: dict[tuple[str, str], dict] = {}
    rows = graph.select(_SUBJECTS) if subjects is None else \
        [row for subject in subjects for row in graph.select(_SUBJECTS, {"subject": subject})]
    for row in rows:
        entry = links.setdefault((row["subject"], row["place"]), {
            "outside": row["outside"] == "true", "importer": row["importer"], "bases": set(), "occasional": None,
            "access": row["access"] == "true"})
        if row["basis"]:
            entry["bases"].add(row["basis"])
        if row["occasional"] is not None:
            entry["occasional"] = row["occasional"] == "true"
    return [replace(judge(subject, place, e["outside"], e["importer"], e["bases"], e["occasional"], known, as_of),
                    access=e["access"])
            for (subject, place), e in sorted(links.items())]


def verdicts_ntriples(graph: RecordGraph, as_of: dt.date, *, bases: bool = True, known: Facts | None = None,
                      subjects: Iterable[ox.NamedNode | ox.BlankNode] | None = None) -> tuple[str, list[ox.Triple]]:
    """The verdicts at ``as_of`` as N-Triples (ropa:TransferVerdict nodes), for shapes and queries to read; without
    each basis's own judgement (ropa:judgedBasis) when ``bases`` is False (the shapes need only the verdict).

    Text, not pyoxigraph terms: the store parses it in one call, several times faster than building a term per
    triple at a million triples. Verdict nodes are IRIs under urn:ropa:verdict: (the graph is written for a run).
    A parser renames blank nodes, so the link to a transfer that is a blank node comes back as a term, apart.
    """
    lines: list[str] = []
    apart: list[ox.Triple] = []
    add = lines.append
    day = f'"{as_of.isoformat()}"^^<{_XSD_DATE.value}>'
    flags = {True: f'"true"^^<{_XSD_BOOLEAN.value}>', False: f'"false"^^<{_XSD_BOOLEAN.value}>'}
    for number, verdict in enumerate(verdicts(graph, as_of, known, subjects=subjects)):
        node = f"<urn:ropa:verdict:{number}>"
        place = _term(verdict.place)
        add(f"{node} <{_RDF_TYPE.value}> <{ROPA}TransferVerdict> .")
        if ":" in verdict.subject:
            add(f"{node} <{ROPA}verdictFor> <{verdict.subject}> .")
        else:
            apart.append(ox.Triple(ox.NamedNode(node[1:-1]), ox.NamedNode(ROPA + "verdictFor"), ox.BlankNode(verdict.subject)))
        add(f"{node} <{ROPA}destination> {place} .")
        add(f"{node} <{ROPA}status> {_string(verdict.status)} .")
        add(f"{node} <{ROPA}reason> {_string(verdict.reason)} .")
        add(f"{node} <{ROPA}judgedOn> {day} .")
        if verdict.outside:
            add(f"{node} <{ROPA}outsideRegion> {place} .")
        for index, basis in enumerate(verdict.bases if bases else ()):
            judged = f"<urn:ropa:verdict:{number}:{index}>"
            add(f"{node} <{ROPA}judgedBasis> {judged} .")
            add(f"{judged} <{ROPA}basis> <{basis.instrument}> .")
            add(f"{judged} <{ROPA}status> {_string('valid' if basis.valid else 'invalid')} .")
            add(f"{judged} <{ROPA}reason> {_string(basis.reason)} .")
            if basis.reason_key:   # the reason as a code of the catalogues (basis.reason.*), for people's words
                add(f"{judged} <{ROPA}reasonCode> {_string(basis.reason_key.rsplit('.', 1)[-1])} .")
            for name, value in basis.reason_values:
                if name == "date":
                    add(f'{judged} <{ROPA}reasonDate> "{value}"^^<{_XSD_DATE.value}> .')
            add(f"{judged} <{ROPA}documented> {flags[basis.documented]} .")
    return "\n".join(lines) + "\n", apart


def verdict_triples(graph: RecordGraph, as_of: dt.date, *, bases: bool = True) -> list[ox.Triple]:
    """The verdicts at ``as_of`` as triples (for ``ropa push``, which sends them with the record)."""
    text, apart = verdicts_ntriples(graph, as_of, bases=bases)
    return [*ox.parse(text, format=ox.RdfFormat.N_TRIPLES), *apart]


def load_verdicts(graph: RecordGraph, as_of: dt.date, into: ox.NamedNode, *, bases: bool = True) -> None:
    """Write the verdicts at ``as_of`` into the named graph ``into`` of the record's store."""
    text, apart = verdicts_ntriples(graph, as_of, bases=bases)
    graph.store.load(text, format=ox.RdfFormat.N_TRIPLES, to_graph=into)
    graph.store.extend(ox.Quad(t.subject, t.predicate, t.object, into) for t in apart)


def _term(value: str) -> str:
    """A place ``RecordGraph.select`` returned, in N-Triples (places are IRIs; a blank one, or a literal where a
    country belongs, gets an IRI of its own)."""
    if ":" in value and not _NOT_IN_IRI.search(value):
        return f"<{value}>"
    return f"<urn:ropa:place:{quote(value, safe='')}>"


_NOT_IN_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')


def _string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'


class verdicts_graph:
    """Add the verdicts at ``as_of`` to the store for one run (a validation, a query), and take them out after."""

    def __init__(self, graph: RecordGraph, as_of: dt.date):
        self.graph = graph
        self.as_of = as_of

    def __enter__(self):
        load_verdicts(self.graph, self.as_of, VERDICTS_GRAPH)
        return self

    def __exit__(self, *exc):
        self.graph.store.remove_graph(VERDICTS_GRAPH)
        return False
