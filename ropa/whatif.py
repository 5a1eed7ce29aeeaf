"""What if a transfer instrument fell: the flows that would lose their transfer basis, and what each could rest on.

Safe Harbour fell in 2015, the Privacy Shield in 2020; the EU-US Data Privacy Framework is challenged before the
Court of Justice. ``assume_invalid(graph, instrument, day)`` answers, for any instrument (an adequacy decision,
the framework, a set of clauses, any basis the record names): which flows rest on it on that day, which would lose
their basis if it ended then, which fallback each could use, and which controllers a processor must tell.

A remote-access flow (a party reaching data held elsewhere from a third country, ``ropa:accessedFrom``) is a transfer
resting on its instrument like any other, and is listed as access.

Nothing is judged twice: the flows are those of ``ropa.flows`` (the flow graph judged at the day, through chains of
processors and sub-processors), and the basis of each link with the instrument gone is ``ropa.transfers`` judging
the same bases with the instrument no longer valid (``assume_ended``, ``status_of``). ``exposure`` counts, from one
flow graph, what each instrument carries: the overview document shows it per instrument.

The library question ``instrument-what-if`` asks the same of the transfers and sub-processor list entries
themselves (it runs on a SPARQL server too); this module follows their data through the chains.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from ropa.flows import (ORGANISATION, PLACE, Activity, FlowGraph, _party, _resolve, flow_graph, label_map, names_in,
                        status_words)
from ropa.load import RecordGraph
from ropa.messages import Messages
from ropa.namespaces import ROPA, shorten
from ropa.periods import format_date
from ropa.transfers import Basis, assume_ended, facts, status_of
from ropa.tabular import Section

_OCCASIONAL = """
    SELECT DISTINCT ?importer ?place WHERE {
      ?transfer a dpv:CrossBorderTransfer ; ropa:occasional true ; dpv:hasDataImporter ?importer .
      { ?transfer dpv:hasThirdCountry|ropa:accessedFrom ?place } UNION { ?transfer ropa:outsideRegion ?region BIND(CONCAT("outside:", STR(?region)) AS ?place) }
    }"""
"""Importers and places of transfers recorded as occasional: only those may fall back on a derogation (Art. 49)."""

_GROUP = """
    SELECT DISTINCT ?a ?b WHERE {
      { ?a ropa:parentCompany ?b } UNION { ?b ropa:parentCompany ?a }
      UNION { ?a ropa:isPartOfGroup ?group . ?b ropa:isPartOfGroup ?group FILTER(?a != ?b) }
    }"""
"""Parties of one corporate group: binding corporate rules (Art. 47) serve transfers within a group."""

_CLAUSES = "SELECT ?x WHERE { ?x skos:broader* eu-gdpr:SCCByCommission }"

FALLBACK_SCC = "whatif.fallback.scc"
FALLBACK_OTHER_SAFEGUARD = "whatif.fallback.safeguard"
FALLBACK_BCR = "whatif.fallback.bcr"
FALLBACK_DEROGATION = "whatif.fallback.derogation"


@dataclass
class Exposure:
    """One link of a flow that rests (wholly or partly) on the instrument: an activity's data held by a party in a
    third country."""

    activity: Activity
    party: str
    place: str
    before: str
    after: str
    instrument_valid: bool
    instrument_reason: str
    remaining: list[Basis]
    fallbacks: list[str] = field(default_factory=list)
    instrument_key: str = ""
    """``instrument_reason`` as a catalogue phrase (basis.reason.*) with its values."""
    instrument_values: tuple[tuple[str, str], ...] = ()
    access: bool = False
    """The party reaches the data from the place, held elsewhere (remote access, ropa:accessedFrom)."""

    @property
    def loses(self) -> bool:
        return self.before == "valid" and self.after != "valid"


@dataclass
class WhatIf:
    """The flows that rest on an instrument on a day, and what happens to each if it ends then."""

    instrument: str
    label: str
    day: dt.date
    graph: FlowGraph
    exposures: list[Exposure]
    lang: str = "en"
    names: object = None
    """A label in ``lang`` for each node (ropa.flows.names_in); the flow graph's labels when None."""

    def title(self) -> str:
        name = self.names(self.instrument) if self.names is not None and self.lang != "en" else self.label
        say = Messages(self.lang)
        return say("whatif.title", instrument=name, day=format_date(self.day, say))

    def losing(self) -> list[Exposure]:
        return [e for e in self.exposures if e.loses]

    def kept(self) -> list[Exposure]:
        return [e for e in self.exposures if not e.loses]

    def controllers(self, exposures=None) -> list[str]:
        return sorted({c for e in (exposures if exposures is not None else self.exposures) for c in e.activity.controllers_served})

    def vendors(self, exposures=None) -> list[str]:
        return sorted({e.party for e in (exposures if exposures is not None else self.exposures)})

    def notify(self) -> dict[str, dict[str, set[str]]]:
        """Per processor whose service loses a basis: the controllers it acts for, with the activities (Art. 28(2):
        it informs them of the change, a new safeguard or a replaced sub-processor, before it takes effect)."""
        found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for exposure in self.losing():
            activity = exposure.activity
            if activity.role == ROPA + "ProcessorRole" and activity.recorder:
                for controller in activity.controllers_served:
                    found[activity.recorder][controller].add(activity.iri)
        return found

    def sections(self) -> list[Section]:
        say = Messages(self.lang)
        english = self.names is None or self.lang == "en"
        label = self.graph.label if english else self.names
        missing = say("gap.not_documented")
        instrument = self.label if english else label(self.instrument)
        activity = (lambda e: e.activity.label) if english else (lambda e: label(e.activity.iri))   # noqa: E731

        def place(e: Exposure) -> str:
            return say("place.remote_access", place=label(e.place)) if e.access else label(e.place)

        losing, kept = self.losing(), self.kept()
        summary = say("whatif.summary", instrument=instrument, day=format_date(self.day, say), flows=len(self.exposures),
                      activities=len({e.activity.iri for e in self.exposures}), controllers=len(self.controllers()),
                      vendors=len(self.vendors()), losing=len(losing))
        if not self.exposures:
            summary = say("whatif.none", instrument=instrument, day=format_date(self.day, say))
        lose_rows = [[activity(e), label(e.activity.recorder) if e.activity.recorder else missing,
                      ", ".join(sorted(label(c) for c in e.activity.controllers_served)) or missing, label(e.party),
                      place(e), status_words(e.after, say), "; ".join(say(f) for f in e.fallbacks)] for e in losing]
        keep_rows = [[activity(e), label(e.party), place(e),
                      ", ".join(b.label if english else label(b.instrument) for b in e.remaining if b.valid)
                      or status_words(e.after, say),
                      "" if e.instrument_valid else say("whatif.already", reason=self._reason(e, say))]
                     for e in kept]
        notify_rows = [[label(processor), ", ".join(sorted(label(c) for c in controllers)),
                        "; ".join(sorted({label(a) for acts in controllers.values() for a in acts}))]
                       for processor, controllers in sorted(self.notify().items(), key=lambda item: label(item[0]))]
        return [
            Section("", text=summary),   # the lead paragraph under the title, which already says what if
            Section(say("whatif.heading.losing"), [say("whatif.col.activity"), say("whatif.col.recorded_by"),
                                                   say("whatif.col.controllers"), say("whatif.col.vendor"),
                                                   say("whatif.col.place"), say("whatif.col.after"),
                                                   say("whatif.col.fallback")], lose_rows,
                    empty=say("whatif.empty.losing")),
            Section(say("whatif.heading.kept"), [say("whatif.col.activity"), say("whatif.col.vendor"),
                                                 say("whatif.col.place"), say("whatif.col.remaining"),
                                                 say("whatif.col.note")], keep_rows,
                    empty=say("whatif.empty.kept")),
            Section(say("whatif.heading.notify"), [say("whatif.col.processor"), say("whatif.col.controllers"),
                                                   say("whatif.col.activities")], notify_rows,
                    empty=say("whatif.empty.notify")),
        ]

    @staticmethod
    def _reason(exposure: Exposure, say) -> str:
        """Why the instrument gives no basis on the day already, in the catalogue's words where it has them."""
        if exposure.instrument_key:
            return say(exposure.instrument_key, **dict(exposure.instrument_values))
        return exposure.instrument_reason

    def as_dict(self) -> dict:
        label = self.graph.label
        say = Messages("en")   # JSON is the same whatever the language of the tables

        def one(e: Exposure) -> dict:
            return {
                "activity": shorten(e.activity.iri), "activity_label": e.activity.label,
                "recorded_by": _party(self.graph, e.activity.recorder) if e.activity.recorder else None,
                "role": "processor" if e.activity.role == ROPA + "ProcessorRole" else "controller",
                "controllers": [_party(self.graph, c) for c in e.activity.controllers_served],
                "vendor": _party(self.graph, e.party), "place": _party(self.graph, e.place), "access": e.access,
                "basis_now": e.before, "basis_after": e.after, "loses_basis": e.loses,
                "instrument_valid_on_the_day": e.instrument_valid, "instrument_reason": e.instrument_reason,
                "remaining_valid_bases": [b.as_dict() for b in e.remaining if b.valid],
                "fallbacks": [say(f) for f in e.fallbacks],
            }

        return {
            "instrument": shorten(self.instrument), "instrument_label": self.label, "assumed_invalid_from": self.day.isoformat(),
            "flows": [one(e) for e in self.exposures],
            "losing": {"flows": len(self.losing()), "activities": sorted({shorten(e.activity.iri) for e in self.losing()}),
                       "controllers": [_party(self.graph, c) for c in self.controllers(self.losing())],
                       "vendors": [_party(self.graph, v) for v in self.vendors(self.losing())]},
            "notify": [{"processor": _party(self.graph, p), "controllers": [_party(self.graph, c) for c in sorted(cs)],
                        "activities": sorted({label(a) for acts in cs.values() for a in acts})}
                       for p, cs in sorted(self.notify().items())],
        }


def resolve_instrument(graph: RecordGraph, text: str) -> str:
    """An instrument by prefixed name, IRI or name ("DPF", "Privacy Shield", "Japan"): any the record names as a
    basis or the reference data know."""
    known = facts(graph).instruments
    labels = label_map(graph, known)
    names = {iri: {labels.get(iri, ""), iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]} for iri in known}
    return _resolve(text, names, "transfer instrument", graph.prefixes)


def assume_invalid(graph: RecordGraph, instrument: str, day: dt.date | None = None, *, lang: str = "en",
                   flows: FlowGraph | None = None) -> WhatIf:
    """Every flow that rests on the instrument on ``day`` (today by default), and its basis if the instrument were
    no longer valid from that day."""
    day = day or dt.date.today()
    iri = resolve_instrument(graph, instrument)
    fg = flows or flow_graph(graph, day)
    occasional = {(r["importer"], r["place"]) for r in graph.select(_OCCASIONAL)}
    group = {(r["a"], r["b"]) for r in graph.select(_GROUP)}
    clauses = {r["x"] for r in graph.select(_CLAUSES)}
    exposures = []
    for activity_iri in sorted(fg.activities, key=lambda a: fg.activities[a].label):
        activity = fg.activities[activity_iri]
        for party, place in sorted(fg.edges_of.get(activity_iri, ())):
            node = fg.graph.nodes[place]
            if node["kind"] != PLACE or node["eea"] or fg.graph.nodes[party]["kind"] != ORGANISATION:
                continue
            edge = fg.graph.edges[party, place]
            bases = edge["bases_of"].get(activity_iri, [])
            mine = [b for b in bases if b.instrument == iri]
            if not mine:
                continue
            after_bases = assume_ended(bases, iri, day)
            exposure = Exposure(activity=activity, party=party, place=place, before=edge["status_of"][activity_iri],
                                after=status_of(after_bases), instrument_valid=any(b.valid for b in mine),
                                instrument_reason=mine[0].reason, remaining=[b for b in bases if b.instrument != iri],
                                instrument_key=mine[0].reason_key, instrument_values=mine[0].reason_values,
                                access=edge["access_of"].get(activity_iri, False))
            if exposure.loses:
                exposure.fallbacks = _fallbacks(activity, party, place, iri in clauses, occasional, group)
            exposures.append(exposure)
    labels = label_map(graph, [iri])
    return WhatIf(instrument=iri, label=labels.get(iri, shorten(iri)), day=day, graph=fg, exposures=exposures,
                  lang=lang, names=names_in(graph, fg, lang))


def _fallbacks(activity: Activity, party: str, place: str, clauses: bool, occasional, group) -> list[str]:
    """What a link could rest on instead: clauses with a transfer impact assessment (another safeguard when the
    clauses are what fell), binding corporate rules within a group, a derogation only for an occasional transfer."""
    found = [FALLBACK_OTHER_SAFEGUARD if clauses else FALLBACK_SCC]
    exporters = {activity.recorder, *activity.controllers} - {None}
    if any((exporter, party) in group for exporter in exporters):
        found.append(FALLBACK_BCR)
    region = place[len("outside:"):] if place.startswith("outside:") else None
    if (party, place) in occasional or (region and (party, f"outside:{region}") in occasional):
        found.append(FALLBACK_DEROGATION)
    return found


@dataclass
class InstrumentExposure:
    """What one instrument carries in a flow graph: its flows, activities, controllers, vendors, and how many
    flows would lose their basis if it ended."""

    instrument: str
    flows: int
    activities: int
    controllers: int
    vendors: int
    losing: int


def exposure(fg: FlowGraph) -> list[InstrumentExposure]:
    """Per instrument a flow rests on (valid that day), the record's exposure: from one flow graph, each link's
    bases judged again without the instrument (``assume_ended``)."""
    found: dict[str, dict] = {}
    for activity_iri, edges in fg.edges_of.items():
        activity = fg.activities[activity_iri]
        for party, place in edges:
            node = fg.graph.nodes[place]
            if node["kind"] != PLACE or node["eea"]:
                continue
            bases = fg.graph.edges[party, place]["bases_of"].get(activity_iri, [])
            for basis in bases:
                if not basis.valid:
                    continue
                entry = found.setdefault(basis.instrument, {"flows": 0, "activities": set(), "controllers": set(),
                                                            "vendors": set(), "losing": 0})
                entry["flows"] += 1
                entry["activities"].add(activity_iri)
                entry["controllers"].update(activity.controllers_served)
                entry["vendors"].add(party)
                if status_of(assume_ended(bases, basis.instrument, fg.as_of)) != "valid":
                    entry["losing"] += 1
    return sorted((InstrumentExposure(iri, e["flows"], len(e["activities"]), len(e["controllers"]), len(e["vendors"]),
                                      e["losing"]) for iri, e in found.items()),
                  key=lambda x: (-x.losing, -x.flows, x.instrument))
