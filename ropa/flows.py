"""Data flows: where each activity's personal data can go, through which chain of processors, on which basis.

The knowledge graph is read with SPARQL and turned into a networkx DiGraph:

    data subject → activity → controller → processor → sub-processor → ... → country

Every edge records the activities whose data travel along it, so that a provider shared by two organisations
does not leak one organisation's data into the other's flows. The chain of an activity is the subgraph of its
edges; the analyses (flows, impact, concentration) are questions about those subgraphs.

How the record's links become edges:

* an activity's controllers (``dpv:hasDataController``) and processors (``dpv:hasDataProcessor``);
* the providers the organisation keeping the record uses (``ropa:usesServiceProvider`` and its sub-properties
  ``ropa:engagesProcessor`` and ``ropa:hasSubProcessor``): named on the activity, or on the organisation. What an
  organisation states for all its processing applies to each of its activities, whatever an activity names besides;
  an engagement (``ropa:Engagement``) reaches the activities of its scope; the providers' own providers follow, as
  far as the record goes;
* transfers (``ropa:hasTransfer``): exporter → importer → destination;
* where a party is: a documented transfer, data location or establishment country, else its headquarters. A
  provider headquartered outside the EEA with no documented location is a *possible* flow, as the
  ``rs:UndocumentedTransfer`` shape says.

Each link into a third country is judged at a date with the rule of ``shapes/transfers.ttl``: valid (an adequacy
decision in force for the destination, for certified importers where required; an Art. 46 safeguard; an
Art. 49 derogation; each within its validity dates), invalid at the date (bases are documented, none is valid), or
unknown (none documented). A path is as strong as its weakest link.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

from ropa import timeline
from ropa.transfers import ENGAGEMENT_SCOPE, STATUSES, Basis, Verdict, combine, facts, judge, verdicts
from ropa.errors import RopaError
from ropa.load import RecordGraph
from ropa.messages import Messages
from ropa.namespaces import PREFIXES, ROPA, expand, shorten
from ropa.periods import format_date
from ropa.tabular import NOT_DOCUMENTED, Section


class _NetworkX:
    """networkx, imported when a flow graph is first built: every command imports this module when the command line
    is read, and networkx took a fifth of a second of ``ropa validate``'s start-up."""

    def __getattr__(self, name: str):
        import networkx

        return getattr(networkx, name)


nx = _NetworkX()

DPV = PREFIXES["dpv"]
XSD_DATE = ox.NamedNode(PREFIXES["xsd"] + "date")


def names_in(graph: RecordGraph, fg: FlowGraph, lang: str):
    """A label in the language for each node the analyses show: the flow graph's own (English first) for English,
    else the record's labels in the language, and a region's "a country outside ..." in the catalogue's words; an
    organisation known by another name than its registered one has both (``FlowGraph.with_registered``)."""
    say = Messages(lang)
    if lang == "en":
        return lambda node: fg.with_registered(node, fg.label(node), say)
    from ropa.register import Labels

    labels = Labels(graph, lang)

    def name(node: str) -> str:
        if node.startswith("outside:"):
            return say("transfer.outside_region", region=labels.definite(node[len("outside:"):], say("grammar.article")))
        return fg.with_registered(node, labels[node] if "://" in node else fg.label(node), say)

    return name


def basis_words(basis: Basis, say, name=None) -> str:
    """A judged basis in the catalogue's words: its name (by ``name`` in the language, else its English label)
    and why it counts or not."""
    if basis.valid:
        verdict = say("diagram.status.valid")
    elif basis.reason_key:
        verdict = say(basis.reason_key, **dict(basis.reason_values))
    else:
        verdict = basis.reason
    return say("flows.basis.one", basis=name(basis.instrument) if name and "://" in basis.instrument else basis.label,
               verdict=verdict)


def status_words(status: str, say) -> str:
    return say("diagram.status." + status.replace(" ", "_")) if status in STATUSES else status


PROVIDER_PROPERTIES = {
    ROPA + "usesServiceProvider": "service provider",
    ROPA + "engagesProcessor": "processor",
    ROPA + "hasSubProcessor": "sub-processor",
}
_PROVIDER_VALUES = " ".join(f"<{p}>" for p in PROVIDER_PROPERTIES)

ORGANISATION = "organisation"
ACTIVITY = "activity"
SUBJECT = "subject"
PLACE = "place"


# --- Reading the graph ----------------------------------------------------------------------------------------

_ACTIVITIES = """
    SELECT ?activity ?role ?recorder ?conditional WHERE {
      ?activity a dpv:Process .
      OPTIONAL { ?activity ropa:role ?role }
      OPTIONAL { ?activity ropa:recordedBy ?recorder }
      OPTIONAL { ?activity ropa:conditional ?conditional }
    }"""

_ACTIVITY_LINKS = """
    SELECT DISTINCT ?activity ?property ?value WHERE {
      VALUES ?property { dpv:hasDataSubject dpv:hasPersonalData dpv:hasDataController dpv:hasDataProcessor
                         ropa:actsOnBehalfOf }
      ?activity a dpv:Process ; ?property ?value .
    }"""

_FIRST_PROVIDERS = f"""
    SELECT DISTINCT ?activity ?property ?provider ?holder WHERE {{
      VALUES ?property {{ {_PROVIDER_VALUES} }}
      {{
        ?activity a dpv:Process ; ?property ?provider . BIND(?activity AS ?holder)
      }} UNION {{
        # Stated for the organisation: it applies to each of its activities, also when an activity names the
        # provider too (naming it there adds nothing and takes nothing away). A provider for some activities only
        # is named on those, or engaged with a scope (ropa:Engagement).
        ?holder ?property ?provider . FILTER NOT EXISTS {{ ?holder a dpv:Process }}
        ?activity ropa:recordedBy ?holder ; a dpv:Process .
      }}
    }}"""

_PROVIDER_LINKS = f"""
    SELECT DISTINCT ?from ?property ?to WHERE {{
      {{ VALUES ?property {{ {_PROVIDER_VALUES} }} ?from ?property ?to . }}
      UNION {{
        # DPV's way: dpv:hasDataProcessor on a party names its processor (on a processor: a sub-processor).
        ?from dpv:hasDataProcessor ?to .
        BIND(IF(EXISTS {{ ?kept ropa:recordedBy ?from }}, ropa:engagesProcessor, ropa:hasSubProcessor) AS ?property)
      }}
      FILTER NOT EXISTS {{ ?from a dpv:Process }}
    }}"""

_TRANSFERS = """
    SELECT DISTINCT ?activity ?transfer ?exporter ?importer WHERE {
      ?activity a dpv:Process .
      { ?activity ropa:hasTransfer ?transfer }
      UNION {
        ?entity ropa:hasTransfer ?transfer . FILTER NOT EXISTS { ?entity a dpv:Process }
        MINUS { SELECT DISTINCT ?entity ?transfer WHERE { ?named ropa:recordedBy ?entity ; ropa:hasTransfer ?transfer } }
        ?activity ropa:recordedBy ?entity .
      }
      OPTIONAL { ?transfer dpv:hasDataExporter ?exporter }
      OPTIONAL { ?transfer dpv:hasDataImporter ?importer }
    }"""

_NODE_PLACES = """
    SELECT DISTINCT ?node ?place ?evidence WHERE {
      {
        ?node dpv:hasLocation|ropa:dataLocation ?place . FILTER(isIRI(?place))
        FILTER NOT EXISTS { ?node a dpv:Process } FILTER NOT EXISTS { ?node a ropa:Engagement }
        BIND("data location" AS ?evidence)
      } UNION {
        ?node dpv:hasCountry|ropa:hasEstablishment/dpv:hasCountry ?place .
        BIND("establishment" AS ?evidence)
      } UNION {
        # An establishment, or a body named controller of the organisation's own activities (a council, a board),
        # that states no place of its own is where the organisation is.
        { ?organisation ropa:hasEstablishment ?node }
        UNION { ?activity ropa:recordedBy ?organisation ; ropa:role ropa:ControllerRole ; dpv:hasDataController ?node }
        FILTER(?node != ?organisation)
        FILTER NOT EXISTS { ?node dpv:hasCountry|dpv:hasLocation|ropa:dataLocation|ropa:headquarteredIn ?own }
        ?organisation dpv:hasCountry ?place .
        BIND("establishment" AS ?evidence)
      } UNION {
        ?node ropa:headquarteredIn ?place . BIND("headquarters" AS ?evidence)
      }
    }"""
"""Where a party is, whatever activity reaches it. The headquarters stand in for the data location only for an
activity that has neither a location of the party nor a transfer or engagement to it (rs:UndocumentedTransfer)."""

_FLOATING_TRANSFERS = """
    SELECT DISTINCT ?transfer ?importer WHERE {
      ?transfer a dpv:CrossBorderTransfer .
      OPTIONAL { ?transfer dpv:hasDataImporter ?importer }
      MINUS { ?activity a dpv:Process ; ropa:hasTransfer ?transfer }
      MINUS { ?entity ropa:hasTransfer ?transfer { SELECT DISTINCT ?entity WHERE { ?any ropa:recordedBy ?entity } } }
    }"""
"""Transfers no activity or record keeper documents (a provider's own onward transfer): they count for every
activity whose data reach their importer. MINUS and the record keepers found once: Oxigraph ran the FILTER NOT
EXISTS of each transfer over every activity of its organisation (100k triples: 9 s; now 0.01 s)."""

_TRANSFER_CONDITIONS = """
    SELECT ?transfer WHERE { ?transfer a dpv:CrossBorderTransfer ; ropa:conditional true }"""

_CONDITIONAL_LINKS = """
    SELECT DISTINCT ?s ?p ?o WHERE {
      ?statement rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; ropa:conditional true .
    }"""

_LABELS = """
    SELECT ?x ?rank ?value WHERE {{
      VALUES ?x {{ {values} }}
      {{ ?x rdfs:label ?value BIND(1 AS ?rank) }} UNION {{ ?x skos:prefLabel ?value BIND(2 AS ?rank) }}
      UNION {{ ?x dpv:hasName ?value BIND(3 AS ?rank) }}
    }}"""


def label_preference(registered_name: bool, language: str | None, lang: str, order: int) -> tuple:
    """How the label of a node is chosen, in the documents (``ropa.register.Labels``) and the flow analyses alike:
    the name the record gives (rdfs:label, skos:prefLabel: a trading name such as "Mailchimp") in any language
    before the registered name (dpv:hasName, "The Rocket Science Group LLC"); then the wanted language, English,
    untagged, any other; then the order of the properties."""
    return (registered_name, 0 if language == lang else 1 if language == "en" else 2 if not language else 3, order)


def label_map(graph: RecordGraph, iris) -> dict[str, str]:
    """The best human label of each IRI (``label_preference``, English first), else its prefixed name or IRI."""
    iris = sorted({i for i in iris if i and "://" in i})
    best: dict[str, tuple] = {}
    for start in range(0, len(iris), 500):
        values = " ".join(f"<{i}>" for i in iris[start:start + 500])
        for solution in graph.query(_LABELS.format(values=values)):
            value = solution["value"]
            language = value.language if isinstance(value, ox.Literal) else None
            rank = int(solution["rank"].value)
            key = (*label_preference(rank == 3, language, "en", rank), value.value)
            iri = solution["x"].value
            if iri not in best or key < best[iri]:
                best[iri] = key
    return {i: best[i][-1] if i in best else _fallback_label(i) for i in iris}


def registered_names(graph: RecordGraph, labels: dict[str, str]) -> dict[str, str]:
    """The registered name (dpv:hasName) of each IRI whose label is another name, such as a trading name."""
    found: dict[str, str] = {}
    iris = sorted(labels)
    for start in range(0, len(iris), 500):
        values = " ".join(f"<{i}>" for i in iris[start:start + 500])
        for row in graph.select(f"SELECT ?x ?name WHERE {{ VALUES ?x {{ {values} }} ?x dpv:hasName ?name }}"):
            if row["name"] != labels[row["x"]] and (row["x"] not in found or row["name"] < found[row["x"]]):
                found[row["x"]] = row["name"]
    return found


def _fallback_label(iri: str) -> str:
    short = shorten(iri)
    return short if not short.startswith("<") else iri


# --- The flow graph -------------------------------------------------------------------------------------------

@dataclass
class Activity:
    """What the flow analyses need to know of one activity."""

    iri: str
    label: str
    role: str | None
    recorder: str | None
    conditional: bool
    controllers: list[str] = field(default_factory=list)
    processors: list[str] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    on_behalf_of: list[str] = field(default_factory=list)
    """The controllers a processor's service names with ropa:actsOnBehalfOf (Art. 30(2)(a)) rather than as its
    dpv:hasDataController: a processor's record usually says it that way."""

    @property
    def controllers_served(self) -> list[str]:
        """Every controller the activity is carried out for, however the record names it: the controllers a
        processor informs of a change (Art. 28(2)) and the what-if lists."""
        return sorted({*self.controllers, *self.on_behalf_of})


@dataclass
class FlowGraph:
    """The networkx graph of all flows, the activities it was built from, and the date links were judged at."""

    graph: nx.DiGraph
    activities: dict[str, Activity]
    as_of: dt.date
    edges_of: dict[str, set[tuple[str, str]]]
    labels: dict[str, str] = field(default_factory=dict)
    registered: dict[str, str] = field(default_factory=dict)
    """The registered name (dpv:hasName) of each organisation whose label is another name (``registered_names``)."""

    def label(self, iri: str) -> str:
        """The label of a node, data category or data subject."""
        if iri in self.graph and "label" in self.graph.nodes[iri]:
            return self.graph.nodes[iri]["label"]
        return self.labels.get(iri) or _fallback_label(iri)

    def with_registered(self, node: str, name: str, say) -> str:
        """An organisation's name as people know it, with its registered name after it where that is another
        name ("Mailchimp (The Rocket Science Group LLC)"), in the catalogue's words."""
        registered = self.registered.get(node)
        if not registered or registered.casefold() in name.casefold():
            return name
        return say("party.registered", name=name, registered=registered)

    def chain(self, activity: str) -> nx.DiGraph:
        """The subgraph along which this activity's data travel."""
        return self.graph.edge_subgraph(self.edges_of.get(activity, set()))

    def reached(self, activity: str) -> set[str]:
        """The parties and places this activity's data reach (not its data subjects)."""
        chain = self.chain(activity)
        return nx.descendants(chain, activity) if activity in chain else set()

    def vendors(self, activity: str) -> set[str]:
        """The parties that process this activity's data for someone else: everyone reached but its controllers and
        the organisation keeping the record (a processor is not its own vendor)."""
        own = {*self.activities[activity].controllers, self.activities[activity].recorder}
        return {n for n in self.reached(activity)
                if self.graph.nodes[n]["kind"] == ORGANISATION and n not in own}

    def received(self, activity: str, node: str) -> set[str]:
        """The data categories of this activity that reach this party."""
        return set().union(*(self.graph.edges[u, v]["categories_of"].get(activity, set())
                             for u, v in self.edges_of.get(activity, ()) if v == node))

    def destinations(self, node: str) -> list[str]:
        return [v for v in self.graph.successors(node) if self.graph.nodes[v]["kind"] == PLACE]

    def held_in(self, node: str, activity: str) -> list[str]:
        """The places where the party holds this activity's data: its destinations not reached by access only."""
        return sorted(place for place in self.destinations(node)
                      if activity in self.graph.edges[node, place]["status_of"]
                      and not self.graph.edges[node, place]["access_of"].get(activity, False))

    def node_status(self, node: str, activity: str | None = None) -> str | None:
        """The weakest basis of the party's links to places outside the EEA (None when it has none): for one
        activity's data when ``activity`` is given, else for any activity's."""
        statuses = []
        for place in self.destinations(node):
            edge = self.graph.edges[node, place]
            if self.graph.nodes[place]["eea"]:
                continue
            if activity is None:
                statuses.append(edge["status"])
            elif activity in edge["status_of"]:
                statuses.append(edge["status_of"][activity])
        return weakest(statuses) if statuses else None


def weakest(statuses) -> str:
    return min(statuses, key=STATUSES.index)


def flow_graph(graph: RecordGraph, as_of: dt.date | None = None) -> FlowGraph:
    """The flow graph of the register as it stood on ``as_of`` (today by default), links judged on that day."""
    date = as_of or dt.date.today()
    return build_flow_graph(timeline.as_of(graph, date), date)


def build_flow_graph(graph: RecordGraph, as_of: dt.date) -> FlowGraph:
    """Build the flow graph from the graph as given (no validity filtering), judging transfer bases at ``as_of``."""
    activities = _read_activities(graph)
    conditional_links = {(r["s"], r["p"], r["o"]) for r in graph.select(_CONDITIONAL_LINKS)}
    first_providers = defaultdict(list)
    for row in graph.select(_FIRST_PROVIDERS):
        first_providers[row["activity"]].append(row)
    onward = defaultdict(list)
    for row in graph.select(_PROVIDER_LINKS):
        onward[row["from"]].append((row["property"], row["to"]))
    transfers = defaultdict(list)
    for row in graph.select(_TRANSFERS):
        transfers[row["activity"]].append(row)
    engagements = defaultdict(list)
    for row in graph.select(ENGAGEMENT_SCOPE):
        engagements[row["activity"]].append(row)
    received: dict[str, set[str]] = defaultdict(set)
    for row in graph.select("SELECT ?e ?c WHERE { ?e a ropa:Engagement ; ropa:receivesData ?c }"):
        received[row["e"]].add(row["c"])

    g = nx.DiGraph()
    edges_of: dict[str, set[tuple[str, str]]] = defaultdict(set)
    scoped: dict[str, list[tuple[str, str]]] = defaultdict(list)  # activity -> (node, transfer or engagement)

    def link(activity: Activity, u: str, v: str, relation: str, conditional: bool = False,
             categories: set[str] | None = None) -> None:
        if u == v:
            return
        if not g.has_edge(u, v):
            g.add_edge(u, v, relation=relation, activities=set(), categories=set(), categories_of={},
                       conditional=False)
        data = g.edges[u, v]
        data["conditional"] |= conditional
        data["activities"].add(activity.iri)
        carried = set(activity.categories) if categories is None else set(categories)
        data["categories"].update(carried)
        data["categories_of"].setdefault(activity.iri, set()).update(carried)
        edges_of[activity.iri].add((u, v))

    for activity in activities.values():
        g.add_node(activity.iri, kind=ACTIVITY)
        for subject in activity.subjects:
            g.add_node(subject, kind=SUBJECT)
            link(activity, subject, activity.iri, "data subject")
        for controller in activity.controllers:
            g.add_node(controller, kind=ORGANISATION)
            link(activity, activity.iri, controller, "controller",
                 (activity.iri, DPV + "hasDataController", controller) in conditional_links)
        for upstream in activity.controllers or [activity.iri]:
            for processor in activity.processors:
                g.add_node(processor, kind=ORGANISATION)
                link(activity, upstream, processor, "processor",
                     (activity.iri, DPV + "hasDataProcessor", processor) in conditional_links)
        in_chain = set(activity.controllers) | set(activity.processors)
        engager = activity.recorder if activity.recorder in in_chain else next(iter(activity.controllers), activity.iri)
        # a processor named on the activity may have its own processors (the record keeper's are handled above)
        frontier = [p for p in activity.processors if p != activity.recorder]
        for row in first_providers.get(activity.iri, []):
            provider = row["provider"]
            g.add_node(provider, kind=ORGANISATION)
            link(activity, engager, provider, PROVIDER_PROPERTIES[row["property"]],
                 (row["holder"], row["property"], provider) in conditional_links)
            frontier.append(provider)
        engaged_data: dict[str, set[str] | None] = {}   # provider -> what its engagements for this activity receive
        for row in engagements.get(activity.iri, []):
            provider = row["provider"]
            g.add_node(provider, kind=ORGANISATION)
            by = row["engager"] if row["engager"] in in_chain else engager
            categories = received.get(row["engagement"]) or None
            link(activity, by, provider, "sub-processor" if activity.role == ROPA + "ProcessorRole" else "processor",
                 categories=categories)
            known = engaged_data.get(provider, set())
            engaged_data[provider] = None if categories is None or known is None else known | categories
            scoped[activity.iri].append((provider, row["engagement"]))
            frontier.append(provider)
        for row in transfers.get(activity.iri, []):
            exporter = row["exporter"] if row["exporter"] in in_chain else engager
            target = row["importer"] or row["transfer"]
            g.add_node(target, kind=ORGANISATION)
            # a transfer to a provider engaged for this activity carries what the engagements say it receives
            link(activity, exporter, target, "transfer", categories=engaged_data.get(target))
            scoped[activity.iri].append((target, row["transfer"]))
            frontier.append(target)
        seen = set(frontier)
        while frontier:  # the providers' own providers, as far as the record goes, with the data that reach them
            node = frontier.pop()
            carried = set().union(*(g.edges[u, node]["categories_of"].get(activity.iri, set())
                                    for u in g.predecessors(node) if (u, node) in edges_of[activity.iri]))
            for prop, provider in onward.get(node, []):
                g.add_node(provider, kind=ORGANISATION)
                link(activity, node, provider, PROVIDER_PROPERTIES[prop], (node, prop, provider) in conditional_links,
                     categories=carried)
                if provider not in seen:
                    seen.add(provider)
                    frontier.append(provider)

    _add_destinations(graph, g, activities, edges_of, scoped, as_of)
    categories = {c for a in activities.values() for c in a.categories} | {c for cs in received.values() for c in cs}
    regions = {d["region"] for _, d in g.nodes(data=True) if d.get("outside")}
    recorders = {a.recorder for a in activities.values() if a.recorder}   # not in the graph when bodies control
    customers = {c for a in activities.values() for c in a.on_behalf_of}   # a processor's, not in the graph either
    labels = label_map(graph, [*(n for n in g.nodes if not n.startswith("outside:")), *categories, *regions,
                               *recorders, *customers])
    for node, data in g.nodes(data=True):
        if data["kind"] == PLACE and data.get("outside"):
            data["label"] = f"Outside the {labels.get(data['region'], data['region'])} (country not named)"
        else:
            data["label"] = labels.get(node, node)
    for activity in activities.values():
        activity.label = labels.get(activity.iri, activity.iri)
    parties = {n: labels[n] for n, d in g.nodes(data=True) if d["kind"] == ORGANISATION and n in labels}
    return FlowGraph(graph=g, activities=activities, as_of=as_of, edges_of=dict(edges_of), labels=labels,
                     registered=registered_names(graph, parties))


def _read_activities(graph: RecordGraph) -> dict[str, Activity]:
    activities: dict[str, Activity] = {}
    for row in graph.select(_ACTIVITIES):
        iri = row["activity"]
        if iri not in activities:
            activities[iri] = Activity(iri=iri, label=iri, role=row["role"], recorder=row["recorder"],
                                       conditional=row["conditional"] == "true")
        elif row["conditional"] == "true":
            activities[iri].conditional = True
    fields = {DPV + "hasDataSubject": "subjects", DPV + "hasPersonalData": "categories",
              DPV + "hasDataController": "controllers", DPV + "hasDataProcessor": "processors",
              ROPA + "actsOnBehalfOf": "on_behalf_of"}
    for row in graph.select(_ACTIVITY_LINKS):
        values = getattr(activities[row["activity"]], fields[row["property"]])
        if row["value"] not in values:
            values.append(row["value"])
    for activity in activities.values():
        for values in (activity.subjects, activity.categories, activity.controllers, activity.processors,
                       activity.on_behalf_of):
            values.sort()
    return activities


def _add_destinations(graph: RecordGraph, g: nx.DiGraph, activities, edges_of, scoped, as_of: dt.date) -> None:
    """Link every party an activity reaches to the places its data may be there, each link judged at ``as_of`` by
    ropa.transfers. A transfer or engagement counts only for the activities it is documented for."""
    known = facts(graph)
    judged: dict[str, list[Verdict]] = defaultdict(list)
    for verdict in verdicts(graph, as_of, known):
        judged[verdict.subject].append(verdict)
    conditional = {r["transfer"] for r in graph.select(_TRANSFER_CONDITIONS)}
    transfer_nodes = {r["t"] for r in graph.select("SELECT ?t WHERE { ?t a dpv:CrossBorderTransfer }")}
    floating = defaultdict(list)
    for row in graph.select(_FLOATING_TRANSFERS):
        if row["importer"]:
            floating[row["importer"]].append(row["transfer"])
    places: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for row in graph.select(_NODE_PLACES):
        places[row["node"]][row["place"]].add(row["evidence"])

    for iri in edges_of:
        chain = g.edge_subgraph(edges_of[iri])
        reached = nx.descendants(chain, iri) if iri in chain else set()
        documented: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))  # node -> place -> items
        items = list(scoped.get(iri, [])) + [(node, t) for node in reached for t in floating.get(node, [])]
        for node, item in items:
            for verdict in judged.get(item, []):
                documented[node][verdict.place].append((item, verdict))
        into: dict[str, list[str]] = defaultdict(list)   # node -> the nodes whose link into it the activity uses
        for source, target in edges_of[iri]:
            into[target].append(source)
        for node in sorted(reached):
            found: dict[str, tuple[Verdict, set[str], bool]] = {}
            for place, items in documented.get(node, {}).items():
                evidence = {"transfer" if item in transfer_nodes else "engagement"
                            for item, _ in items}
                verdict = combine(node, place, [v for _, v in items])
                if verdict.access:   # reached from there, the data held elsewhere (remote access)
                    evidence.add("remote access")
                found[place] = (verdict, evidence, all(item in conditional for item, _ in items))
            own = places.get(node, {})
            located = any(e != {"headquarters"} for e in own.values()) or bool(found)
            for place, evidence in own.items():
                evidence = evidence - {"headquarters"} if located else evidence
                if not evidence or place in found:
                    if place in found:
                        found[place][1].update(evidence)
                    continue
                found[place] = (judge(node, place, False, node, set(), None, known, as_of), set(evidence), False)
            for place, (verdict, evidence, is_conditional) in found.items():
                key = f"outside:{place}" if verdict.outside else place
                if not g.has_node(key):
                    g.add_node(key, kind=PLACE, eea=verdict.status == "not required", outside=verdict.outside,
                               region=place)
                if not g.has_edge(node, key):
                    g.add_edge(node, key, relation="location", activities=set(), categories=set(), categories_of={},
                               conditional=True, evidence=[], status=None, bases=[], status_of={}, bases_of={},
                               evidence_of={}, access_of={})
                data = g.edges[node, key]
                data["conditional"] &= is_conditional
                data["access_of"][iri] = verdict.access
                data["status_of"][iri] = verdict.status
                data["bases_of"][iri] = list(verdict.bases)
                data["evidence_of"][iri] = sorted(evidence)
                data["evidence"] = sorted(set(data["evidence"]) | evidence)
                if data["status"] is None or STATUSES.index(verdict.status) < STATUSES.index(data["status"]):
                    data["status"], data["bases"] = verdict.status, list(verdict.bases)
                # The activity's own links into the node, not every predecessor of a node that thousands of
                # customers' activities reach (that walk was quadratic: 20 s of the flow graph at a million triples).
                carried = set().union(*(g.edges[u, node]["categories_of"].get(iri, set())
                                        for u in into.get(node, ()) if g.has_edge(u, node)))
                data["activities"].add(iri)
                data["categories"].update(carried)
                data["categories_of"][iri] = carried
                edges_of[iri].add((node, key))


# --- Resolving what a user names ------------------------------------------------------------------------------

_PARTIES = """
    SELECT DISTINCT ?party ?name WHERE {
      VALUES ?type { dpv:LegalEntity dpv:Organisation dpv:DataController dpv:DataProcessor ropa:ServiceProvider
                     dpv:Recipient ropa:CustomerControllers }
      ?party a ?type .
      OPTIONAL { VALUES ?property { rdfs:label dpv:hasName ropa:shortName skos:altLabel } ?party ?property ?name }
    }"""


def resolve_party(graph: RecordGraph, text: str, what: str = "organisation") -> str:
    """The IRI of the party named by a prefixed name, an IRI or a name (label, name, short name), or a RopaError."""
    names: dict[str, set[str]] = defaultdict(set)
    for row in graph.select(_PARTIES):
        names[row["party"]].add(row["name"] or "")
    return _resolve(text, names, what, graph.prefixes)


def resolve_activity(graph: RecordGraph, text: str) -> str:
    names: dict[str, set[str]] = defaultdict(set)
    for row in graph.select("SELECT ?a ?name WHERE { ?a a dpv:Process OPTIONAL { ?a rdfs:label ?name } }"):
        names[row["a"]].add(row["name"] or "")
    return _resolve(text, names, "activity", graph.prefixes)


def resolve_country(graph: RecordGraph, text: str) -> str:
    """A country by ISO code (US), prefixed name (loc:US), IRI or name in any shipped language (German names are
    skos:prefLabel only)."""
    names: dict[str, set[str]] = defaultdict(set)
    for row in graph.select("SELECT ?c ?name WHERE { ?c ropa:eeaMember ?m OPTIONAL { ?c rdfs:label|skos:prefLabel|skos:altLabel ?name } }"):
        names[row["c"]].update({row["name"] or "", row["c"].rsplit("#", 1)[-1]})
    return _resolve(text, names, "country", graph.prefixes)


def _resolve(text: str, names: dict[str, set[str]], what: str, prefixes: dict[str, str] = PREFIXES) -> str:
    wanted = text.strip()
    if not wanted:
        raise RopaError(f"an empty name: give the {what}'s name, prefixed name or IRI")
    iri = expand(wanted, prefixes) or wanted
    if iri in names:
        return iri
    folded = wanted.casefold()
    exact = sorted(p for p, ns in names.items() if any(n.casefold() == folded for n in ns))
    matches = exact or sorted(p for p, ns in names.items() if any(folded in n.casefold() for n in ns if n))
    if len(matches) == 1:
        return matches[0]
    if matches:
        shown = ", ".join(shorten(m) for m in matches[:8])
        raise RopaError(f"'{text}' names more than one {what}: {shown}; give the prefixed name or IRI",
                        key="error.name.ambiguous", values={"text": text, "what": f"key:error.what.{what.replace(' ', '_')}",
                                                            "count": len(matches)})
    every = sorted({n for ns in names.values() for n in ns if n})
    close = difflib.get_close_matches(wanted, every, n=3, cutoff=0.5)
    hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
    raise RopaError(f"no {what} named '{text}' in the record{hint}",
                    key="error.name.close" if close else "error.name.unknown",
                    values={"text": text, "what": f"key:error.what.{what.replace(' ', '_')}",
                            "close": ", ".join(repr(c) for c in close)})


# --- Flows ----------------------------------------------------------------------------------------------------

@dataclass
class Flow:
    """One path by which an activity's data can reach a place."""

    activity: Activity
    path: list[str]
    place: str
    status: str
    bases: list[Basis]
    possible: bool
    conditional: bool
    weakest_at: str | None
    last_status: str
    categories: list[str] = field(default_factory=list)
    """The data categories that reach the place along this path (what the engagements on the way receive)."""
    access: bool = False
    """The last party reaches the data from the place, held elsewhere (remote access, ropa:accessedFrom)."""
    held_in: list[str] = field(default_factory=list)
    """For an access flow: the places where the last party holds this activity's data, as far as the record says."""


@dataclass
class FlowReport:
    """Every path to the places asked for, with the weakest link's basis at the date."""

    flows: list[Flow]
    graph: FlowGraph
    scope: str
    """The places asked for, in English (for JSON)."""
    lang: str = "en"
    names: object = None
    """A label in ``lang`` for each node (``names_in``); the flow graph's labels when None."""
    wanted: str | None = None
    outside_eea: bool = False

    def title(self) -> str:
        return Messages(self.lang)("flows.title", scope=self.scope_words())

    def scope_words(self) -> str:
        say, label = Messages(self.lang), self.names or self.graph.label
        if self.wanted:
            return label(self.wanted) if self.wanted in self.graph.graph else self.scope
        return say("flows.scope.outside_eea" if self.outside_eea else "flows.scope.everywhere")

    def sections(self) -> list[Section]:
        """One row per route; routes that differ only in their last party (same activities, place and basis) share
        a row, so that fourteen sub-processors of one organisation read as a few lines."""
        label = self.names or self.graph.label
        say = Messages(self.lang)
        routes: dict[tuple, list[Flow]] = defaultdict(list)
        for flow in self.flows:
            routes[tuple(flow.path[1:])].append(flow)
        grouped: dict[tuple, list[str]] = defaultdict(list)
        for route, flows in routes.items():
            first = flows[0]
            notes = []
            if first.possible:
                notes.append(say("flows.note.possible"))
            if any(f.conditional for f in flows):
                notes.append(say("flows.note.conditional"))
            if first.access:
                notes.append(say("flows.note.access_held", places=", ".join(sorted(label(p) for p in first.held_in)))
                             if first.held_in else say("flows.note.access"))
            basis = _basis_text(first.last_status, first.bases, say, self.names if self.lang != "en" else None)
            if first.weakest_at:
                basis = say("flows.basis.weakest", status=status_words(first.status, say), party=label(first.weakest_at),
                            basis=basis)
            key = (route[:-2], first.place, basis, "; ".join(notes),
                   tuple(sorted(label(f.activity.iri) for f in flows)),
                   tuple(sorted({label(c) for f in flows for c in f.categories})))
            grouped[key].append(label(route[-2]))
        rows = []
        for (via, place, basis, notes, activities, categories), last in sorted(
                grouped.items(), key=lambda item: ([label(n) for n in item[0][0]], label(item[0][1]), item[1])):
            rows.append([" → ".join([*(label(n) for n in via), ", ".join(sorted(last))]), label(place), basis,
                         "; ".join(activities), ", ".join(categories) or say("gap.not_documented"), notes])
        scope = self.scope_words()
        text = say("flows.summary." + ("one" if len(self.flows) == 1 else "other"), paths=len(self.flows),
                   activities=len({f.activity.iri for f in self.flows}), scope=scope,
                   date=format_date(self.graph.as_of, say))
        return [Section(say("flows.heading"), [say(f"flows.col.{c}") for c in ("route", "place", "basis", "activities",
                                                                              "categories", "note")],
                        rows, text, empty=say("flows.empty", scope=scope))]

    def as_dict(self) -> dict:
        label = self.graph.label
        return {
            "as_of": self.graph.as_of.isoformat(),
            "scope": self.scope,
            "flows": [{
                "activity": shorten(f.activity.iri), "activity_label": f.activity.label,
                "controllers": [_party(self.graph, c) for c in f.activity.controllers],
                "data_subjects": [label(s) for s in f.activity.subjects],
                "data_categories": [label(c) for c in f.categories],
                "path": [_party(self.graph, n) for n in f.path],
                "place": _party(self.graph, f.place),
                "basis": f.status, "last_link_basis": f.last_status, "bases": [b.as_dict() for b in f.bases],
                "possible": f.possible, "conditional": f.conditional,
                "access": f.access, "held_in": [_party(self.graph, p) for p in f.held_in],
                "weakest_link_at": shorten(f.weakest_at) if f.weakest_at else None,
            } for f in self.flows],
        }


def _party(fg: FlowGraph, node: str) -> dict:
    """A party for JSON: its identifier, its label and, where it is another name, its registered name."""
    shown = "outside:" + shorten(node[len("outside:"):]) if node.startswith("outside:") else shorten(node)
    party = {"id": shown, "label": fg.label(node)}
    if node in fg.registered:
        party["registered_name"] = fg.registered[node]
    return party


def _basis_text(status: str, bases: list[Basis], say, name) -> str:
    if not bases:
        return status_words(status, say)
    details = "; ".join(basis_words(b, say, name) for b in bases)
    return say("flows.basis.details", status=status_words(status, say), details=details)


def flows(graph: RecordGraph, to_country: str | None = None, outside_eea: bool = False,
          as_of: dt.date | None = None, lang: str = "en") -> FlowReport:
    """Every path by which an activity's data can reach a country (one country, outside the EEA, or anywhere);
    its text and Markdown in ``lang``."""
    fg = flow_graph(graph, as_of)
    wanted = resolve_country(graph, to_country) if to_country is not None else None
    scope = (fg.label(wanted) if wanted in fg.graph else to_country) if wanted else \
        "places outside the EEA" if outside_eea else "every place"
    found = []
    for iri in sorted(fg.activities, key=lambda a: fg.activities[a].label):
        found.extend(_activity_flows(fg, iri, wanted, outside_eea))
    return FlowReport(flows=found, graph=fg, scope=scope, lang=lang, names=names_in(graph, fg, lang), wanted=wanted,
                      outside_eea=outside_eea)


def _activity_flows(fg: FlowGraph, iri: str, wanted: str | None, outside_eea: bool) -> list[Flow]:
    chain = fg.chain(iri)
    if iri not in chain:
        return []
    activity = fg.activities[iri]
    places = [n for n in chain if fg.graph.nodes[n]["kind"] == PLACE
              and (wanted is None or n == wanted) and not (outside_eea and fg.graph.nodes[n]["eea"])]
    result = []
    for place in sorted(places):
        for path in sorted(nx.all_simple_paths(chain, iri, place)):
            last = fg.graph.edges[path[-2], path[-1]]
            last_status = last["status_of"][iri]
            weakest_status, weakest_at = last_status, None
            for node in path[1:-2]:
                status = fg.node_status(node, iri)
                if status and STATUSES.index(status) < STATUSES.index(weakest_status):
                    weakest_status, weakest_at = status, node
            conditional = activity.conditional or any(fg.graph.edges[u, v]["conditional"] for u, v in zip(path, path[1:]))
            access = last["access_of"].get(iri, False)
            result.append(Flow(activity=activity, path=path, place=place, status=weakest_status,
                               bases=last["bases_of"][iri], possible=last["evidence_of"][iri] == ["headquarters"],
                               conditional=conditional, weakest_at=weakest_at, last_status=last_status,
                               categories=sorted(last["categories_of"].get(iri, set())), access=access,
                               held_in=fg.held_in(path[-2], iri) if access else []))
    return result


# --- Impact of one vendor -------------------------------------------------------------------------------------

_CONTACTS = """
    SELECT ?party ?kind ?value WHERE {{
      VALUES ?party {{ {values} }}
      {{
        VALUES (?property ?kind) {{ (ropa:privacyContact "privacy contact") (ropa:email "e-mail")
                                   (ropa:telephone "telephone") (dpv:hasAddress "address") (ropa:website "website") }}
        ?party ?property ?value .
        FILTER(!isLiteral(?value) || LANG(?value) = "" || LANGMATCHES(LANG(?value), "en"))
      }} UNION {{
        ?party dpv:hasDataProtectionOfficer/ropa:email ?value . BIND("DPO e-mail" AS ?kind)
      }} UNION {{
        ?party ropa:hasEstablishment/dpv:hasAddress ?value . BIND("address" AS ?kind)
      }}
    }}"""

CONTACT_KINDS = ("privacy contact", "e-mail", "DPO e-mail", "telephone", "address", "website")


def contacts(graph: RecordGraph, parties) -> dict[str, dict[str, list[str]]]:
    """The contact details the record gives for each party, by kind."""
    parties = sorted({p for p in parties if "://" in p})
    found: dict[str, dict[str, list[str]]] = {p: {} for p in parties}
    if not parties:
        return found
    for row in graph.select(_CONTACTS.format(values=" ".join(f"<{p}>" for p in parties))):
        values = found[row["party"]].setdefault(row["kind"], [])
        if row["value"] not in values:
            values.append(row["value"])
    return found


_RISK = """
    SELECT DISTINCT ?activity ?why ?category WHERE {{
      VALUES ?activity {{ {values} }}
      {{
        ?activity dpv:hasPersonalData ?category .
        {{ ?category skos:broader* pd:CurrentLocation }} UNION {{ ?category skos:broader* pd:GPSCoordinate }}
        UNION {{ ?category skos:broader* pd:TravelHistory }} UNION {{ ?category skos:broader* ropa:TelecomLocationData }}
        BIND("location data" AS ?why)
      }} UNION {{
        ?activity dpv:hasPersonalData ?category . ?category skos:broader* ?special . ?special a dpv:SpecialCategoryPersonalData .
        BIND("special-category data" AS ?why)
      }} UNION {{
        ?activity dpv:hasContext|dpv:hasScale ?context .
        FILTER(?context IN (dpv:SystematicMonitoring, dpv:LargeScaleProcessing))
        BIND(IF(?context = dpv:SystematicMonitoring, "systematic monitoring", "large-scale processing") AS ?why)
      }}
    }}"""
"""The high-risk signs of the rs:ImpactAssessment shape (Art. 35(3)), read here for Art. 34."""


@dataclass
class Impact:
    """What a breach or replacement of one vendor touches, and who must be told."""

    vendor: str
    graph: FlowGraph
    activities: list[Activity]
    engaged_by: list[str]
    controllers: list[str]
    customer_controllers: list[str]
    risks: dict[str, list[str]]
    notices: list[Notice]
    replacement_notice: dict[str, list[str]]
    """Each processor that engaged the vendor, with the controllers it must notify before replacing it."""
    received: dict[str, list[str]] = field(default_factory=dict)
    """Per activity, the data categories that reach the vendor (only what its engagements receive)."""
    lang: str = "en"
    names: object = None
    """A label in ``lang`` for each node (``names_in``); the flow graph's labels when None."""
    authorities: dict[str, str] = field(default_factory=dict)
    """The English labels of the supervisory authorities named (they are no nodes of the flow graph)."""

    def label(self, node: str) -> str:
        if self.lang == "en" and node in self.authorities:
            return self.authorities[node]
        return self.names(node) if self.names is not None else self.graph.label(node)

    def _labels(self, nodes) -> list[str]:
        return sorted(self.label(n) for n in nodes)

    @property
    def notifications(self) -> list[list[str]]:
        """Who must be told of a breach, one row each (who, told by, article, when, contact), in ``lang``."""
        say = Messages(self.lang)
        return [notice.row(say, self.label) for notice in self.notices]

    def title(self) -> str:
        return Messages(self.lang)("impact.title", vendor=self.label(self.vendor))

    def subjects(self) -> list[str]:
        return sorted({s for a in self.activities for s in a.subjects})

    def categories(self) -> list[str]:
        return sorted({c for a in self.activities for c in self.received.get(a.iri, a.categories)})

    def sections(self) -> list[Section]:
        label, say = self.label, Messages(self.lang)
        missing, nobody = say("gap.not_documented"), say("impact.nobody")
        plural = lambda n: "one" if n == 1 else "other"   # noqa: E731
        summary = say(f"impact.summary.{plural(len(self.activities))}.{plural(len(self.controllers))}",
                      vendor=label(self.vendor), activities=len(self.activities), controllers=len(self.controllers),
                      engaged_by=", ".join(self._labels(self.engaged_by)) or missing,
                      date=format_date(self.graph.as_of, say))
        activity_rows = [[label(a.iri) if self.lang != "en" else a.label,
                          label(a.recorder) if a.recorder else missing, _role(a.role, say),
                          ", ".join(self._labels(a.controllers)) or missing,
                          ", ".join(self._labels(a.subjects)) or missing,
                          ", ".join(self._labels(self.received.get(a.iri, a.categories))) or missing,
                          ", ".join(risk_words(why, say) for why in self.risks.get(a.iri, []))]
                         for a in sorted(self.activities, key=lambda a: a.label)]
        affected = [
            [say("impact.col.controllers"), ", ".join(self._labels(self.controllers)) or nobody],
            [say("impact.col.customers"), ", ".join(self._labels(self.customer_controllers)) or nobody],
            [say("impact.col.subjects"), ", ".join(self._labels(self.subjects())) or missing],
            [say("impact.col.categories"), ", ".join(self._labels(self.categories())) or missing],
        ]
        replaced = []
        for engager in sorted(self.engaged_by, key=label):
            served = self.replacement_notice.get(engager)
            if served:
                replaced.append(say("impact.replaced.processor", engager=label(engager),
                                    controllers=", ".join(self._labels(served))))
            if engager in self.controllers:
                replaced.append(say("impact.replaced.own", engager=label(engager)))
        return [
            Section(say("impact.heading.impact"), text=summary),
            Section(say("impact.heading.activities"), [say(f"impact.col.{c}") for c in (
                "activity", "recorded_by", "role", "controllers", "subjects", "categories", "risks")], activity_rows,
                    empty=say("section.none")),
            Section(say("impact.heading.affected"), [say("impact.col.what"), say("impact.col.who")], affected,
                    empty=say("section.none")),
            Section(say("impact.heading.notify"), [say(f"impact.col.{c}") for c in (
                "who", "notified_by", "article", "when", "contact")], self.notifications, empty=say("section.none")),
            Section(say("impact.heading.replaced"), text="\n".join(replaced) or missing),
        ]

    def as_dict(self) -> dict:
        label = self.graph.label

        def parties(nodes):
            return [_party(self.graph, n) for n in sorted(nodes)]

        return {
            "vendor": _party(self.graph, self.vendor),
            "as_of": self.graph.as_of.isoformat(),
            "engaged_by": parties(self.engaged_by),
            "activities": [{"activity": shorten(a.iri), "label": a.label,
                            "recorded_by": _party(self.graph, a.recorder) if a.recorder else None,
                            "role": _role(a.role), "high_risk_signs": self.risks.get(a.iri, []),
                            "data_categories": [{"id": shorten(c), "label": label(c)}
                                                for c in self.received.get(a.iri, a.categories)]}
                           for a in sorted(self.activities, key=lambda a: a.iri)],
            "controllers": parties(self.controllers),
            "customer_controllers": parties(self.customer_controllers),
            "data_subjects": [{"id": shorten(s), "label": label(s)} for s in self.subjects()],
            "data_categories": [{"id": shorten(c), "label": label(c)} for c in self.categories()],
            "notify": [dict(zip(["who", "notified_by", "article", "when", "contact"],
                                notice.row(Messages("en"), lambda n: self.authorities.get(n) or self.graph.label(n))))
                       for notice in self.notices],   # in English whatever the language of the tables
            "if_replaced_notify": {shorten(p): parties(c) for p, c in self.replacement_notice.items()},
        }


def _role(role: str | None, say=None) -> str:
    """The role of an activity: in English words for JSON, in the catalogue's with ``say``."""
    word = {ROPA + "ControllerRole": "controller", ROPA + "ProcessorRole": "processor"}.get(role or "")
    if say is None:
        return word or NOT_DOCUMENTED
    return say(f"impact.role.{word}") if word else say("gap.not_documented")


RISK_KEYS = {"location data": "impact.risk.location", "special-category data": "impact.risk.special",
             "systematic monitoring": "impact.risk.monitoring", "large-scale processing": "impact.risk.large_scale"}
"""The high-risk signs _RISK names (in English, for JSON) and their phrases in the catalogues."""


def risk_words(why: str, say) -> str:
    return say(RISK_KEYS[why]) if why in RISK_KEYS else why


CONTACT_KEYS = {"privacy contact": "impact.contact_kind.privacy", "e-mail": "impact.contact_kind.email",
                "DPO e-mail": "impact.contact_kind.dpo_email", "telephone": "impact.contact_kind.telephone",
                "address": "impact.contact_kind.address", "website": "impact.contact_kind.website"}


@dataclass(frozen=True)
class Notice:
    """One party to tell of a breach (Art. 33, 34): ``kind`` is "party" (a processor or controller up the chain),
    "authority" (a controller's supervisory authority; ``party`` None when the record names none), "customers" and
    "customer_authorities" (a processor's customers as controllers, whom the record does not name one by one), or
    "subjects" (the data subjects, through their controllers)."""

    kind: str
    party: str | None = None
    by: tuple[str, ...] = ()
    article: str = ""
    contact: tuple[tuple[str, tuple[str, ...]], ...] = ()
    subjects: tuple[str, ...] = ()
    signs: tuple[str, ...] = ()

    def row(self, say, label) -> list[str]:
        """Who, told by whom, the article, when and how to reach them, in the catalogue's words."""
        missing = say("gap.not_documented")
        by = ", ".join(sorted(label(p) for p in self.by))
        in_time, in_72_hours = say("impact.when.in_time"), say("impact.when.72_hours")
        article = say.cite(self.article)
        if self.kind == "customers":
            return [say("impact.who.customers", party=label(self.party)), by, article, in_time,
                    say("impact.contact.per_customer")]
        if self.kind == "customer_authorities":
            return [say("impact.who.customer_authorities"), say("impact.by.each_customer"), article, in_72_hours,
                    missing]
        if self.kind == "authority":
            who = label(self.party) if self.party else say("impact.who.authority_of", party=by)
            return [who, by, article, in_72_hours, self._contact(say) if self.party else missing]
        if self.kind == "subjects":
            when = say("impact.when.high_risk")
            if self.signs:
                when += " " + say("impact.when.signs", signs=", ".join(risk_words(s, say) for s in self.signs))
            subjects = ", ".join(sorted(label(s) for s in self.subjects)) or missing
            return [say("impact.who.subjects", subjects=subjects), say("impact.by.controllers"), article, when,
                    say("impact.contact.controllers")]
        return [label(self.party), by, article, in_time, self._contact(say)]

    def _contact(self, say) -> str:
        parts = [say("impact.contact.kind", kind=say(CONTACT_KEYS[kind]) if kind in CONTACT_KEYS else kind,
                     values=", ".join(values)) for kind, values in self.contact]
        return "; ".join(parts) or say("gap.not_documented")


_IS_VENDOR = """ASK { { VALUES ?link { dpv:hasDataProcessor ropa:usesServiceProvider ropa:engagesProcessor ropa:hasSubProcessor }
                       ?user ?link ?vendor FILTER(?user != ?vendor) }
                     UNION { ?engagement ropa:provider ?vendor ; ropa:engagedBy ?user FILTER(?user != ?vendor) } }"""


def impact(graph: RecordGraph, vendor: str, as_of: dt.date | None = None, lang: str = "en") -> Impact:
    """If this vendor were breached or replaced: the activities, controllers, subjects and data it touches; its
    text and Markdown in ``lang``."""
    fg = flow_graph(graph, as_of)
    node = resolve_party(graph, vendor, "vendor")
    if not graph.store.query(_IS_VENDOR, prefixes=PREFIXES, use_default_graph_as_union=True,
                             substitutions={ox.Variable("vendor"): ox.NamedNode(node)}):
        raise RopaError(f"{shorten(node)} is not a vendor: no activity or organisation in the record engages it as "
                        f"processor, service provider or sub-processor", key="error.not_vendor",
                        values={"name": fg.label(node)})
    activities = [fg.activities[a] for a in sorted(fg.activities) if node in fg.vendors(a)]
    engaged_by = sorted({u for a in activities for u, v in fg.edges_of[a.iri]
                         if v == node and fg.graph.nodes[u]["kind"] == ORGANISATION})
    replacement_notice: dict[str, set[str]] = defaultdict(set)  # Art. 28(2): a processor tells its controllers
    for activity in activities:
        for engager in engaged_by:
            if (engager, node) in fg.edges_of[activity.iri] and engager not in activity.controllers:
                replacement_notice[engager].update(activity.controllers)
    controllers = sorted({c for a in activities for c in a.controllers})
    customers = {r["c"] for r in graph.select("SELECT ?c WHERE { ?c a ropa:CustomerControllers }")}
    received = {a.iri: sorted(fg.received(a.iri, node)) for a in activities}
    risks: dict[str, list[str]] = defaultdict(list)
    if activities:
        for row in graph.select(_RISK.format(values=" ".join(f"<{a.iri}>" for a in activities))):
            # a sign in the data counts only when those data reach the vendor
            if row["category"] is not None and row["category"] not in received[row["activity"]]:
                continue
            if row["why"] not in risks[row["activity"]]:
                risks[row["activity"]].append(row["why"])
    notices, authorities = _notifications(graph, fg, node, activities, controllers, customers, risks)
    return Impact(vendor=node, graph=fg, activities=activities, engaged_by=engaged_by, controllers=controllers,
                  customer_controllers=[c for c in controllers if c in customers], risks=dict(risks),
                  notices=notices, replacement_notice={p: sorted(c) for p, c in replacement_notice.items()},
                  received=received, lang=lang, names=names_in(graph, fg, lang), authorities=authorities)


def _notifications(graph, fg: FlowGraph, vendor, activities, controllers, customers,
                   risks) -> tuple[list[Notice], dict[str, str]]:
    """Art. 33(2) up each chain, party by party, to the controllers; Art. 33(1) from each controller to its
    authority; Art. 34 from the controllers to the data subjects. With the English labels of the authorities."""
    label = fg.label
    notified_by: dict[str, set[str]] = defaultdict(set)  # party -> the parties that must tell it
    for activity in activities:
        chain = fg.chain(activity.iri)
        for controller in activity.controllers:
            for path in nx.all_simple_paths(chain, controller, vendor) if controller in chain else []:
                for upstream, downstream in zip(path, path[1:]):
                    notified_by[upstream].add(downstream)
    authorities = defaultdict(list)
    if controllers:
        values = " ".join(f"<{c}>" for c in controllers)
        for row in graph.select(f"SELECT ?c ?a WHERE {{ VALUES ?c {{ {values} }} ?c dpv:hasAuthority ?a }}"):
            authorities[row["c"]].append(row["a"])
    every_authority = [a for found in authorities.values() for a in found]
    details = contacts(graph, [*notified_by, *every_authority])

    def reach(party: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
        found = details.get(party, {})
        return tuple((kind, tuple(found[kind])) for kind in CONTACT_KINDS if found.get(kind))

    notices = []
    processors = sorted((p for p in notified_by if p not in controllers), key=label)
    for party in [*processors, *(c for c in controllers if c in notified_by)]:
        by = tuple(sorted(notified_by[party]))
        if party in customers:
            notices.append(Notice("customers", party, by, "Art. 33(2)"))
            notices.append(Notice("customer_authorities", article="Art. 33(1)"))
            continue
        article = "Art. 33(2)" if party in controllers else "Art. 33(2), Art. 28(4)"
        notices.append(Notice("party", party, by, article, reach(party)))
        if party in controllers:
            for authority in authorities.get(party) or [None]:
                notices.append(Notice("authority", authority, (party,), "Art. 33(1)",
                                      reach(authority) if authority else ()))
    if activities:
        subjects = tuple(sorted({s for a in activities for s in a.subjects}))
        signs = tuple(sorted({why for a in activities for why in risks.get(a.iri, [])}))
        notices.append(Notice("subjects", article="Art. 34(1)", subjects=subjects, signs=signs))
    return notices, label_map(graph, every_authority)


# --- Concentration --------------------------------------------------------------------------------------------

@dataclass
class VendorRow:
    vendor: str
    activities: list[str]
    entities: list[str]
    subjects: set[str]
    categories: set[str]
    single_point_for: list[str]


@dataclass
class Concentration:
    """Vendors ranked by how many activities and entities depend on them, and the single points of failure."""

    rows: list[VendorRow]
    graph: FlowGraph
    lang: str = "en"
    names: object = None
    """A label in ``lang`` for each node (``names_in``); the flow graph's labels when None."""

    def sections(self) -> list[Section]:
        label = self.names or self.graph.label
        say = Messages(self.lang)
        located = (lambda node: _located(self.graph, node)) if self.lang == "en" else \
            (lambda node: _located(self.graph, node, say, label))   # noqa: E731
        ranked = [[label(r.vendor), located(r.vendor), str(len(r.activities)), str(len(r.entities)),
                   str(len(r.subjects)), str(len(r.categories)), str(len(r.single_point_for))] for r in self.rows]
        single = [[label(r.vendor), "; ".join(sorted(label(a) for a in r.single_point_for))]
                  for r in self.rows if r.single_point_for]
        return [
            Section(say("vendors.heading"), [say(f"vendors.col.{c}") for c in (
                "vendor", "located", "activities", "entities", "subjects", "categories", "sole_route")], ranked,
                    say("vendors.lead", date=format_date(self.graph.as_of, say)), empty=say("section.none")),
            Section(say("vendors.heading.single"), [say("vendors.col.vendor"), say("vendors.col.depends")], single,
                    say("vendors.lead.single"), empty=say("section.none")),
        ]

    def as_dict(self) -> dict:
        return {"as_of": self.graph.as_of.isoformat(), "vendors": [{
            **_party(self.graph, r.vendor),
            "located": _located(self.graph, r.vendor),
            "activities": [shorten(a) for a in r.activities],
            "entities": [shorten(e) for e in r.entities],
            "data_subjects": len(r.subjects), "data_categories": len(r.categories),
            "single_point_of_failure_for": [shorten(a) for a in r.single_point_for],
        } for r in self.rows]}


def _located(fg: FlowGraph, node: str, say=None, name=None) -> str:
    """Where a party holds data, with the evidence of each place: in English, or in the catalogue's words."""
    if say is None:
        places = [f"{fg.label(p)} ({', '.join(fg.graph.edges[node, p]['evidence'])})" for p in sorted(fg.destinations(node))]
        return "; ".join(places) or NOT_DOCUMENTED
    places = [say("vendors.located", place=name(p), evidence=", ".join(
        say("vendors.evidence." + e.replace(" ", "_")) for e in fg.graph.edges[node, p]["evidence"]))
        for p in sorted(fg.destinations(node))]
    return "; ".join(places) or say("gap.not_documented")


def concentration(graph: RecordGraph, as_of: dt.date | None = None, lang: str = "en") -> Concentration:
    """Rank vendors by dependent activities and entities; find the vendors an activity cannot route around. The
    text and Markdown in ``lang``."""
    fg = flow_graph(graph, as_of)
    rows: dict[str, VendorRow] = {}
    for iri, activity in fg.activities.items():
        vendors = fg.vendors(iri)
        if not vendors:
            continue
        chain = fg.chain(iri)
        dominators = nx.immediate_dominators(chain, iri)
        for vendor in vendors:
            row = rows.setdefault(vendor, VendorRow(vendor, [], [], set(), set(), []))
            row.activities.append(iri)
            for entity in [*activity.controllers, *([activity.recorder] if activity.recorder else [])]:
                if entity not in row.entities and entity != vendor:
                    row.entities.append(entity)
            row.subjects.update(activity.subjects)
            row.categories.update(fg.received(iri, vendor))
            if all(_dominates(dominators, vendor, other, iri) for other in vendors):
                row.single_point_for.append(iri)
    ranked = sorted(rows.values(), key=lambda r: (-len(r.activities), -len(r.entities), fg.label(r.vendor)))
    return Concentration(rows=ranked, graph=fg, lang=lang, names=names_in(graph, fg, lang))


def _dominates(dominators: dict, node: str, other: str, root: str) -> bool:
    while other != node:
        if other == root or other not in dominators:
            return False
        other = dominators[other]
    return True
