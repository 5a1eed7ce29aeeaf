"""The query layer the documents read: SPARQL over the record, turned into plain Python objects of a register.

Templates never walk the graph. Everything a document shows is built here, once, in the chosen language: the
organisation header, one entry per processing activity with every Art. 30 field, the controllers a processor acts
for, the processors and sub-processors of each organisation, and the open gaps. Each shown value keeps the sources
it was taken from (the ``rdf:Statement`` of that exact triple where there is one, else the node's ``ropa:source``),
and each empty field keeps the validation findings about it, so that "Not documented" can link to the finding.

Queries are few and bulk (one per property family, VALUES blocks of at most 500 nodes), because a processor's
register may name thousands of customer controllers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import cached_property

import pyoxigraph as ox

from ropa.diagrams import build_diagram, draw_svg, inline_svg, to_dot, to_mermaid
from ropa.messages import Messages
from ropa.periods import format_date, format_duration  # noqa: F401  (format_duration: imported from here by diff)
from ropa.resources import LANGUAGES  # noqa: F401  (imported from here by the documents and the tests)
from ropa.flows import FlowGraph, build_flow_graph, label_preference
from ropa.whatif import InstrumentExposure, exposure
from ropa.load import RecordGraph
from ropa.namespaces import PREFIXES, expand_or_fail, local_words, shorten
from ropa.national import template_layouts, template_roles
from ropa.transfers import ENGAGEMENT_SCOPE
from ropa.validate import SEVERITIES, Finding


DPV = PREFIXES["dpv"]
ROPA = PREFIXES["ropa"]
RDFS = PREFIXES["rdfs"]
RDF = PREFIXES["rdf"]
SKOS = PREFIXES["skos"]
DCT = PREFIXES["dct"]

MEASURE_PROPERTIES = (DPV + "hasTechnicalOrganisationalMeasure", DPV + "hasTechnicalMeasure",
                      DPV + "hasOrganisationalMeasure", DPV + "hasPhysicalMeasure")

DIAGRAM_MAX_NODES = 150
"""Larger diagrams are not drawn in documents: a processor acting for thousands of controllers would give dot
minutes of work and the reader an unreadable picture. ``ropa diagram`` still draws them."""


# --- The objects documents show --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Source:
    """Where a shown value comes from: a quote of a seed statement, or a public source."""

    key: str
    file: str = ""
    section: str = ""
    quote: str = ""
    title: str = ""
    url: str = ""

    @property
    def text(self) -> str:
        """One line for a tooltip or a spreadsheet comment."""
        if self.quote:
            return f"{self.title or self.file} § {self.section}: “{self.quote}”"
        return f"{self.title} <{self.url}>" if self.url else self.title


@dataclass(frozen=True)
class Gap:
    """A validation finding as documents show it: what is missing or wrong, where, and how to fix it."""

    anchor: str
    severity: str
    check: str
    article: str
    field: str
    message: str
    fix: str
    subject: str
    entity: str | None
    entity_label: str
    activity: str | None
    waived: bool = False
    waiver_note: str = ""


@dataclass
class Value:
    """One shown value: its text in the chosen language, an optional detail and note, and its sources."""

    text: str
    sources: tuple[Source, ...] = ()
    detail: str = ""
    note: str = ""
    iri: str = ""
    link: str = ""
    document: str = ""


@dataclass
class Field:
    """One field of an entry or header: its values, or none ("Not documented"), and the findings about it."""

    key: str
    values: list[Value] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    note: str = ""
    inherited: bool = False
    """The values are the organisation's, stated for all its processing: documents show them once, in its header."""

    @property
    def gap(self) -> Gap | None:
        """The finding "Not documented" links to: the most severe one."""
        return self.gaps[0] if self.gaps else None

    @property
    def plain(self) -> str:
        """The values as one line of text (for spreadsheets and tests)."""
        parts = []
        for value in self.values:
            text = value.text
            if value.detail:
                text += f" — {value.detail}"
            if value.note:
                text += f" ({value.note})"
            parts.append(text)
        return "; ".join(parts)


@dataclass
class DiagramImage:
    """A data-flow diagram for a document: Mermaid text for Markdown, and Graphviz source for the SVG of HTML and
    PDF. The SVG is drawn when first needed, every diagram of a record in one dot run (``draw``), so that Markdown
    alone needs no Graphviz. ``nodes`` above DIAGRAM_MAX_NODES: too large to draw, and neither text is kept."""

    title: str
    nodes: int
    dot: str = ""
    mermaid: str = ""
    drawn: str | None = None

    @property
    def too_large(self) -> bool:
        return not self.dot

    @property
    def svg(self) -> str:
        """The diagram as an <svg> element to place in HTML (text escaped by dot, no prolog, no ids)."""
        if self.drawn is None:
            draw([self])
        return self.drawn


def draw(*groups: Iterable[DiagramImage]) -> None:
    """Draw the SVG of every image not drawn yet: one Graphviz run per group (a record's diagrams, in one language),
    the runs side by side."""
    waiting = [[image for image in images if image.drawn is None and not image.too_large] for images in groups]
    waiting = [images for images in waiting if images]
    if not waiting:
        return
    with ThreadPoolExecutor(len(waiting)) as runs:  # each thread only waits for its dot process
        drawn = list(runs.map(draw_svg, [[image.dot for image in images] for images in waiting]))
    for images, documents in zip(waiting, drawn):
        for image, document in zip(images, documents):
            image.drawn = inline_svg(document)


@dataclass
class Entry:
    """One processing activity in a register, with every field of Art. 30(1) or 30(2) and what authorities add."""

    iri: str
    anchor: str
    label: Value
    role: str
    fields: dict[str, Field]
    condition: str = ""
    diagram: DiagramImage | None = None


@dataclass
class Organisation:
    """The register's header: who keeps the record and how to reach it, its DPO, representative and authority."""

    iri: str
    slug: str
    name: Value
    fields: dict[str, Field]


@dataclass
class ControllerRegister:
    """Art. 30(1): the record of a controller, one entry per activity, and the data-flow diagram of them all."""

    organisation: Organisation
    entries: list[Entry]
    gaps: list[Gap]
    diagram: DiagramImage | None = None


@dataclass
class CustomerController:
    """A controller on whose behalf a processor acts (Art. 30(2)(a)), with the services run for it."""

    iri: str
    anchor: str
    name: Value
    letter: str
    fields: dict[str, Field]
    services: list[Entry]


@dataclass
class ProcessorRegister:
    """Art. 30(2): the record of a processor. Each service is described once; the controllers it acts for are an
    alphabetical index with contact details and links to the services, so thousands of controllers stay readable."""

    organisation: Organisation
    entries: list[Entry]
    controllers: list[CustomerController]
    gaps: list[Gap]
    diagram: DiagramImage | None = None

    @cached_property
    def anchors(self) -> dict[str, str]:
        return {controller.iri: controller.anchor for controller in self.controllers}

    @cached_property
    def letters(self) -> list[tuple[str, list[CustomerController]]]:
        groups: dict[str, list[CustomerController]] = defaultdict(list)
        for controller in self.controllers:
            groups[controller.letter].append(controller)
        return sorted(groups.items(), key=lambda item: (item[0] == "#", item[0]))


@dataclass
class Provider:
    """A processor, sub-processor or service provider of an organisation, as its processor overview lists it."""

    iri: str
    anchor: str
    name: Value
    fields: dict[str, Field]
    condition: str = ""


@dataclass
class ProcessorOverview:
    """The list of processors and sub-processors an organisation gives on request (Art. 28(2)), dated."""

    organisation: Organisation
    as_of: dt.date
    statement_dates: Field
    providers: list[Provider]
    gaps: list[Gap]

    def columns(self, keys: Sequence[str]) -> list[str]:
        """The columns that apply: the controller's authorisation only where a provider is a sub-processor (it has
        a value or a finding), since a controller's own processors need none."""
        def applies(key: str) -> bool:
            if key != "authorisation":
                return True
            return any(p.fields[key].values or p.fields[key].gaps for p in self.providers if key in p.fields)
        return [key for key in keys if applies(key)]


@dataclass
class EntitySummary:
    slug: str
    name: str
    country: str
    controller_activities: int
    processor_activities: int
    providers: int
    open_gaps: dict[str, int]
    has_controller_register: bool
    has_processor_register: bool


@dataclass
class ActivityIndexRow:
    entity_slug: str
    entity: str
    label: str
    anchor: str
    role: str
    controllers: str = ""
    """The activity's controllers (Art. 30(1)(a)), or those a processor acts for: not always the record keeper."""


@dataclass
class ProviderIndexRow:
    name: str
    role: str
    used_by: list[tuple[str, str, str]]  # (entity slug, entity name, provider anchor)
    headquarters: str


@dataclass
class GroupOverview:
    """The index of the whole record: entities, activities, processors and open gaps by severity."""

    groups: list[str]
    entities: list[EntitySummary]
    activities: list[ActivityIndexRow]
    providers: list[ProviderIndexRow]
    gaps: dict[str, list[Gap]]
    waived: list[Gap]
    exposure: list[InstrumentExposure] = field(default_factory=list)   # instruments by their label


@dataclass
class Record:
    """Every document of the record in one language, ready for the templates."""

    lang: str
    as_of: dt.date
    controller_registers: list[ControllerRegister]
    processor_registers: list[ProcessorRegister]
    overviews: list[ProcessorOverview]
    group: GroupOverview
    layouts: tuple[str, ...] = ()
    """The workbook layouts of the register templates of the authorities the record's controllers answer to
    (``ropa.national.template_layouts``): the workbook has a sheet of each, besides the generic Art. 30 sheet."""
    layout_roles: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Layout -> the roles whose activities its sheet lists (the ICO's template is a controller's record); a layout
    not named lists every activity (``ropa.national.template_roles``)."""

    @property
    def organisations(self) -> list[Organisation]:
        return [overview.organisation for overview in self.overviews]

    @property
    def diagrams(self) -> list[DiagramImage]:
        """Every diagram of the record's documents."""
        found = []
        for register in [*self.controller_registers, *self.processor_registers]:
            found += [image for image in [register.diagram, *(entry.diagram for entry in register.entries)] if image]
        return found


@dataclass(frozen=True)
class Scope:
    """The part of a record a page of ``ropa serve`` builds: some activities of one organisation, rather than every
    document of the record (at a million triples that takes minutes)."""

    entity: str
    activities: tuple[str, ...]
    known: frozenset[str] = frozenset()
    """Every activity of the organisation: the findings of those not on the page stay off it."""
    providers: bool = False
    """Build the organisation's processor overview too (its providers reach all its activities)."""
    slugs: dict[str, str] = field(default_factory=dict, compare=False)
    """The slugs the page must use (of the organisations and activities, as ``Slugs`` keeps them), so that the
    links between pages agree."""


@dataclass
class Outline:
    """What a record holds, found cheaply: its organisations (slug, name) and, per organisation and role, its
    activities by label in the language, in the registers' order. Enough to count, filter and page a register, and
    to link to any activity, without building the register."""

    lang: str
    entities: list[str]
    slugs: dict[str, str]
    names: dict[str, str]
    activities: dict[tuple[str, str], list[tuple[str, str]]]
    anchors: dict[str, str]
    """Each activity's anchor in its register."""
    used: dict[str, str] = field(default_factory=dict, repr=False)
    """Every slug given, as ``Slugs.used`` keeps them (a page's builder starts from these)."""

    @property
    def order(self) -> list[str]:
        """The organisations in the documents' order: by name."""
        return sorted(self.entities, key=lambda e: (self.names[e].casefold(), e))

    def of(self, entity: str, role: str) -> list[tuple[str, str]]:
        return self.activities.get((entity, role), [])

    def place(self, activity: str) -> tuple[str, str, int] | None:
        """The organisation, role and position in its register of an activity."""
        for (entity, role), rows in self.activities.items():
            for number, (iri, _) in enumerate(rows):
                if iri == activity:
                    return entity, role, number
        return None

    def scope(self, entity: str, role: str, activities: Sequence[str], providers: bool = False) -> Scope:
        known = frozenset(a for r in ("controller", "processor") for a, _ in self.of(entity, r))
        return Scope(entity=entity, activities=tuple(activities), known=known, providers=providers, slugs=self.used)


def outline(graph: RecordGraph, lang: str, answers: Answers | None = None) -> Outline:
    """The record's organisations and activities in the language (see Outline): one query and their labels."""
    answers = answers or Answers(graph)
    labels = Labels(graph, lang, answers)
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in answers.rows("""
            SELECT ?a ?e ?role WHERE { ?a a dpv:Process ; ropa:recordedBy ?e . OPTIONAL { ?a ropa:role ?role } }"""):
        role = "processor" if row["role"] is not None and row["role"].value == ROPA + "ProcessorRole" else "controller"
        found[(row["e"].value, role)].append(row["a"].value)
    entities = sorted({entity for entity, _ in found})
    labels.fetch([*entities, *(a for rows in found.values() for a in rows)])
    names = {}
    for block in _values(entities):
        for row in answers.rows(f"SELECT ?e ?n WHERE {{ VALUES ?e {{ {block} }} ?e dpv:hasName ?n }}"):
            name = row["n"].value if isinstance(row["n"], ox.Literal) else labels[row["n"].value]
            entity = row["e"].value
            if entity not in names or name.casefold() < names[entity].casefold():   # as the registers choose it
                names[entity] = name
    slugs = Slugs()
    activities, anchors = {}, {}
    entity_slugs = {entity: slugs(entity) for entity in entities}
    for key in sorted(found):
        rows = sorted(((a, labels[a]) for a in found[key]), key=lambda r: (natural_key(r[1]), r[0]))
        activities[key] = rows
        for activity, _ in rows:
            anchors[activity] = slugs(activity, "a-")
    return Outline(lang=lang, entities=entities, slugs=entity_slugs,
                   names={e: names.get(e, labels[e]) for e in entities}, activities=activities, anchors=anchors,
                   used=dict(slugs.used))


# --- Which findings belong to which field ----------------------------------------------------------------------

@dataclass(frozen=True)
class FieldSpec:
    """The properties a field shows and the checks (by name, for checks that report no path) about it."""

    paths: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()


def _spec(*paths: str, checks: Sequence[str] = ()) -> FieldSpec:
    return FieldSpec(tuple(expand_or_fail(p) for p in paths), tuple(checks))


ENTRY_FIELDS: dict[str, FieldSpec] = {
    "controller": _spec("dpv:hasDataController"),
    "joint_controllers": _spec("dpv:hasJointDataControllers", checks=["rs:JointControllersArrangement"]),
    "purposes": _spec("dpv:hasPurpose", "ropa:purposeDescription"),
    "data_subjects": _spec("dpv:hasDataSubject"),
    "personal_data": _spec("dpv:hasPersonalData", "ropa:dataDescription", checks=["rs:NationalIdentificationNumber"]),
    "recipients": _spec("dpv:hasRecipient", "ropa:noRecipients", checks=["rs:ControllerActivity-recipients"]),
    "transfers": _spec("ropa:hasTransfer", checks=["rs:ProcessorTransfers"]),
    "transfer_node": _spec("dpv:hasLegalBasis", "dpv:hasThirdCountry",
                           checks=["rs:TransferBasis", "rs:InvalidatedTransferInstrument"]),
    "retention": _spec("dpv:hasStorageCondition"),
    "security": _spec(*(shorten(p) for p in MEASURE_PROPERTIES), checks=["rs:SecurityMeasures"]),
    "legal_basis": _spec("dpv:hasLegalBasis", "ropa:withdrawalMeans", "ropa:legalBasisLaw", checks=["rs:LegalBasisLaw"]),
    "special_condition": _spec("ropa:specialCategoryLaw", checks=["rs:SpecialCategoryCondition", "rs:SpecialCategoryLaw"]),
    "data_source": _spec("dpv:hasDataSource"),
    "processors": _spec("dpv:hasDataProcessor", "ropa:usesServiceProvider", "ropa:hasSubProcessor"),
    "data_location": _spec("ropa:dataLocation", "dpv:hasLocation"),
    "dpia": _spec("dpv:hasImpactAssessment", checks=["rs:ImpactAssessment"]),
    "status": _spec("dpv:hasActivityStatus"),
    # further columns of the authorities' templates, read from the same facts
    "legitimate_interests": _spec(),
    "lia": _spec(checks=["rs:LegitimateInterestAssessment"]),
    "consent_record": _spec(checks=["rs:ConsentWithdrawal"]),
    "automated": _spec(),
    "breach": _spec(),
    "processing_operations": _spec("dpv:hasProcessing"),
    # Art. 30(2)
    "processor": _spec("dpv:hasDataProcessor"),
    "on_behalf_of": _spec("ropa:actsOnBehalfOf", checks=["rs:ControllersNamedOnlyAsCategory"]),
    "categories_of_processing": _spec("dpv:hasProcessing", checks=["rs:ProcessorActivity-categories"]),
    "subprocessors": _spec("ropa:hasSubProcessor"),
    "agreement": _spec("ropa:hasAgreement"),
}

CONTROLLER_FIELDS = ("controller", "joint_controllers", "purposes", "data_subjects", "personal_data", "recipients", "transfers", "retention",
                     "security", "legal_basis", "special_condition", "data_source", "processors", "data_location",
                     "dpia", "status")
"""The fields of an Art. 30(1) entry, in the order of the article, then those every authority template adds."""

OPTIONAL_FIELDS = ("joint_controllers",)
"""Fields whose absence is no gap (most activities have no joint controller): left out, or empty, when they have no
value and no finding."""

PROCESSOR_FIELDS = ("processor", "on_behalf_of", "categories_of_processing", "data_subjects", "personal_data",
                    "transfers", "security", "subprocessors", "agreement", "data_location", "status")
"""The fields of an Art. 30(2) entry: (a) processor and controllers, (b) categories, (c) transfers, (d) security."""

HEADER_FIELDS: dict[str, FieldSpec] = {
    "name": _spec("dpv:hasName", checks=["rs:RecordKeeper-name"]),
    "address": _spec("dpv:hasAddress"),
    "contact": _spec("ropa:email", "ropa:telephone", checks=["rs:RecordKeeper-contact", "rs:EmailAddress-form"]),
    "dpo": _spec("dpv:hasDataProtectionOfficer", checks=["rs:DataProtectionOfficer", "rs:EmailAddress-form"]),
    "representative": _spec("dpv:hasRepresentative"),
    "authority": _spec("dpv:hasAuthority"),
    "establishments": _spec("ropa:hasEstablishment"),
    "group": _spec("ropa:isPartOfGroup"),
    "security": _spec(*(shorten(p) for p in MEASURE_PROPERTIES)),
    "transfers": _spec("ropa:statesNoTransferOutside", "ropa:hasTransfer"),
    "rights": _spec("dpv:hasRight", "ropa:responseTime"),
}

PROVIDER_FIELDS: dict[str, FieldSpec] = {
    "role": _spec(),
    "services": _spec(),
    "data": _spec(),
    "location": _spec("ropa:dataLocation", "dpv:hasLocation", "ropa:headquarteredIn"),
    "transfer_basis": _spec("ropa:headquarteredIn", checks=["rs:UndocumentedTransfer"]),
    "agreement": _spec("ropa:hasAgreement", checks=["rs:SubProcessorAgreement", "rs:SubProcessorAgreementRequired"]),
    "authorisation": _spec("ropa:authorisedBy", checks=["rs:SubProcessorAuthorisation"]),
}


# --- Graph access ----------------------------------------------------------------------------------------------

Term = ox.NamedNode | ox.BlankNode | ox.Literal


def _rows(graph: RecordGraph, sparql: str) -> list[dict[str, Term | None]]:
    solutions = graph.query(sparql)
    names = [variable.value for variable in solutions.variables]
    return [{name: solution[name] for name in names} for solution in solutions]


class Answers:
    """The rows of every query asked of one graph, kept for the next asker. The documents of each language ask the
    same questions (the facts, their sources, the kinds of concepts, every label in every language) and differ only
    in the answers they pick, so a build in three languages asks each once. The rows are shared: read, never change."""

    def __init__(self, graph: RecordGraph, keep: Callable[[str], bool] | None = None, recent: int = 0):
        self.graph = graph
        self.answered: dict[str, list[dict[str, Term | None]]] = {}
        self.keep = keep
        """Which answers to keep for good (all when None): a server keeps those about the whole record; of the
        others, only the ``recent`` last (the pages just read), so that memory stays bounded."""
        self.recent: OrderedDict[str, list[dict[str, Term | None]]] = OrderedDict()
        self.recent_size = recent

    def rows(self, sparql: str) -> list[dict[str, Term | None]]:
        if sparql in self.answered:
            return self.answered[sparql]
        if sparql in self.recent:
            self.recent.move_to_end(sparql)
            return self.recent[sparql]
        rows = _rows(self.graph, sparql)
        if self.keep is None or self.keep(sparql):
            self.answered[sparql] = rows
        elif self.recent_size:
            self.recent[sparql] = rows
            if len(self.recent) > self.recent_size:
                self.recent.popitem(last=False)
        return rows

    def select(self, sparql: str) -> list[dict[str, str | None]]:
        """The rows with each term's value (IRI or lexical form), as ``RecordGraph.select`` gives them."""
        return [{name: term.value if term is not None else None for name, term in row.items()}
                for row in self.rows(sparql)]


def _values(iris: Iterable[str], size: int = 500) -> Iterable[str]:
    """VALUES blocks of at most ``size`` IRIs."""
    ordered = sorted(set(iris))
    for start in range(0, len(ordered), size):
        yield " ".join(f"<{iri}>" for iri in ordered[start:start + size])


def _key(term: Term) -> str:
    """A term as a hashable key that tells literals of different languages or datatypes apart."""
    return str(term)


class Facts:
    """Property values of many nodes, fetched in bulk: ``facts[node][property]`` is a list of terms."""

    def __init__(self):
        self.by_node: dict[str, dict[str, list[Term]]] = defaultdict(lambda: defaultdict(list))
        self.fetched: dict[str, set[str]] = defaultdict(set)

    def fetch(self, answers: Answers, nodes: Iterable[str], properties: Iterable[str]) -> None:
        """Fetch the properties of the nodes; a property already fetched for a node is not added twice."""
        nodes, properties = list(nodes), list(properties)
        already = {node: set(self.fetched[node]) for node in nodes}
        for node in nodes:
            self.fetched[node].update(properties)
        # FILTER IN rather than a second VALUES block: Oxigraph joins two VALUES blocks as a cross product first.
        wanted = ", ".join(f"<{p}>" for p in sorted(set(properties)))
        for block in _values(nodes):
            query = f"SELECT DISTINCT ?s ?p ?o WHERE {{ VALUES ?s {{ {block} }} ?s ?p ?o FILTER(?p IN ({wanted})) }}"
            for row in answers.rows(query):
                node, prop = row["s"].value, row["p"].value
                if prop not in already[node]:
                    self.by_node[node][prop].append(row["o"])

    def get(self, node: str, prop: str) -> list[Term]:
        return self.by_node.get(node, {}).get(prop, [])

    def iris(self, node: str, prop: str) -> list[str]:
        return [t.value for t in self.get(node, prop) if isinstance(t, ox.NamedNode)]

    def first(self, node: str, prop: str) -> Term | None:
        values = self.get(node, prop)
        return values[0] if values else None


def document_titles(graph: RecordGraph, lang: str, answers: Answers | None = None) -> dict[str, str]:
    """Each source document's title in the language (else English, else any), by file name: people read titles,
    engineers file names."""
    titled: dict[str, tuple[int, str]] = {}
    for row in (answers or Answers(graph)).rows("SELECT ?file ?title WHERE { ?d ropa:fileName ?file ; rdfs:label ?title }"):
        language = row["title"].language or ""
        rank = 0 if language == lang else 1 if language == "en" else 2
        file = row["file"].value
        if file not in titled or rank < titled[file][0]:
            titled[file] = (rank, row["title"].value)
    return {file: title for file, (_, title) in titled.items()}


class Provenance:
    """The sources of single facts (``rdf:Statement``) and of nodes (``ropa:source``), with the quotes' text."""

    def __init__(self, graph: RecordGraph, lang: str = "en", answers: Answers | None = None):
        answers = answers or Answers(graph)
        self.sources: dict[str, Source] = {}
        self.titles = document_titles(graph, lang, answers)
        for row in answers.rows("""
                SELECT ?q ?quote ?section ?file WHERE {
                  ?q ropa:quote ?quote . OPTIONAL { ?q ropa:section ?section }
                  OPTIONAL { ?q ropa:inDocument/ropa:fileName ?file } }"""):
            file = _text(row["file"])
            self.sources[row["q"].value] = Source(key=row["q"].value, quote=row["quote"].value,
                                                  section=_text(row["section"]), file=file,
                                                  title=self.titles.get(file, ""))
        for row in answers.rows("""
                SELECT ?q ?title ?url WHERE {
                  ?q a ?kind . FILTER(?kind IN (ropa:PublicSource, ropa:SourceDocument))
                  OPTIONAL { ?q rdfs:label ?title } OPTIONAL { ?q ropa:url ?url } }"""):
            self.sources.setdefault(row["q"].value, Source(key=row["q"].value, title=_text(row["title"]),
                                                           url=_text(row["url"])))
        self.statements: dict[tuple[str, str, str], list[str]] = defaultdict(list)
        self.conditions: dict[tuple[str, str, str], list[str]] = defaultdict(list)
        for row in answers.rows("""
                SELECT ?s ?p ?o ?q ?condition WHERE {
                  ?st a rdf:Statement ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o .
                  OPTIONAL { ?st ropa:source ?q } OPTIONAL { ?st ropa:condition ?condition } }"""):
            key = (row["s"].value, row["p"].value, _key(row["o"]))
            if row["q"] is not None and row["q"].value not in self.statements[key]:
                self.statements[key].append(row["q"].value)
            if row["condition"] is not None and row["condition"].value not in self.conditions[key]:
                self.conditions[key].append(row["condition"].value)
        self.nodes: dict[str, list[str]] = defaultdict(list)
        for row in answers.rows("SELECT ?n ?q WHERE { ?n ropa:source ?q FILTER(isIRI(?n)) }"):
            self.nodes[row["n"].value].append(row["q"].value)
        self.documents: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for row in answers.rows("""
                SELECT ?n ?file ?modified WHERE {
                  ?n ropa:source/ropa:inDocument ?d . ?d ropa:fileName ?file . ?d dct:modified ?modified }"""):
            pair = (row["file"].value, row["modified"].value)
            if pair not in self.documents[row["n"].value]:
                self.documents[row["n"].value].append(pair)

    def _resolve(self, keys: Iterable[str]) -> tuple[Source, ...]:
        return tuple(sorted({self.sources[k] for k in keys if k in self.sources}, key=lambda s: (s.file, s.key)))

    def of_fact(self, subject: str, prop: str, obj: Term) -> tuple[Source, ...]:
        """The statement's sources for this exact triple, else the subject node's own sources."""
        found = self.statements.get((subject, prop, _key(obj)))
        return self._resolve(found if found else self.nodes.get(subject, ()))

    def of_node(self, node: str) -> tuple[Source, ...]:
        return self._resolve(self.nodes.get(node, ()))

    def condition(self, subject: str, prop: str, obj: Term) -> str:
        return "; ".join(self.conditions.get((subject, prop, _key(obj)), ()))


def _text(term: Term | None) -> str:
    return term.value if term is not None else ""


_LABEL_PROPERTIES = (RDFS + "label", SKOS + "prefLabel", DPV + "hasName")


class Labels:
    """A display label per IRI in the chosen language: that language, else English, else untagged, else any; the name
    the record gives before the registered name (``ropa.flows.label_preference``)."""

    def __init__(self, graph: RecordGraph, lang: str, answers: Answers | None = None):
        self.graph = graph
        self.answers = answers or Answers(graph)
        self.lang = lang
        self.cache: dict[str, str] = {}
        self.definites: dict[str, str] = {}

    def fetch(self, iris: Iterable[str]) -> None:
        missing = {iri for iri in iris if iri and iri not in self.cache}
        ranked: dict[str, tuple[tuple[int, int], str]] = {}
        wanted = ", ".join(f"<{p}>" for p in _LABEL_PROPERTIES)
        for block in _values(missing):
            for row in self.answers.rows(f"SELECT ?n ?p ?l WHERE {{ VALUES ?n {{ {block} }} ?n ?p ?l FILTER(?p IN ({wanted})) }}"):
                literal = row["l"]
                language = literal.language or ""
                order = _LABEL_PROPERTIES.index(row["p"].value)
                rank = label_preference(row["p"].value == DPV + "hasName", language, self.lang, order)
                node = row["n"].value
                if node not in ranked or rank < ranked[node][0]:
                    ranked[node] = (rank, literal.value)
        for iri in missing:
            self.cache[iri] = ranked[iri][1] if iri in ranked else local_words(iri)

    def __getitem__(self, iri: str) -> str:
        if iri not in self.cache:
            self.fetch([iri])
        return self.cache[iri]

    def definite(self, iri: str, article: str = "") -> str:
        """The label with its definite article (ropa:definiteLabel in the language); else the label, after
        ``article`` (the catalogue's ``grammar.article``, English "the") unless it already starts with one."""
        if iri not in self.definites:
            rows = self.answers.rows(f"""SELECT ?l WHERE {{ <{iri}> ropa:definiteLabel ?l
                                            FILTER(LANG(?l) = "{self.lang}") }}""") if "://" in iri else []
            self.definites[iri] = rows[0]["l"].value if rows else ""
        if self.definites[iri]:
            return self.definites[iri]
        label = self[iri]
        if article and not re.match(r"(?i)(the|a|an)\s", label):
            return f"{article} {label}"
        return label


def best_literals(terms: Sequence[Term], lang: str) -> list[str]:
    """The literals in the chosen language, else in English, else untagged, else all (a statement's own words)."""
    literals = [t for t in terms if isinstance(t, ox.Literal)]
    for wanted in (lang, "en", ""):
        chosen = [t.value for t in literals if (t.language or "") == wanted]
        if chosen:
            return chosen
    return [t.value for t in literals]


def slugify(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-") or "item"


class Slugs:
    """Unique, stable slugs for file names and anchors, derived from the IRI's local name."""

    def __init__(self):
        self.used: dict[str, str] = {}
        self.taken: set[str] = set()

    def __call__(self, iri: str, prefix: str = "") -> str:
        key = prefix + iri
        if key not in self.used:
            base = prefix + slugify(re.split(r"[#/]", iri.rstrip("/#"))[-1])
            slug = base
            if slug in self.taken:
                slug = f"{base}-{hashlib.sha1(iri.encode()).hexdigest()[:6]}"
            self.taken.add(slug)
            self.used[key] = slug
        return self.used[key]


def finding_anchor(finding: Finding) -> str:
    return "finding-" + hashlib.sha1(finding.id.encode()).hexdigest()[:12]


def natural_key(text: str) -> tuple:
    """Sort key that puts "batch 9" before "batch 10" and ignores case."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text.casefold()))


def letter_of(name: str) -> str:
    """The index letter of a name: its first letter without accents, or # for a digit or sign."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().strip()
    first = plain[:1].upper()
    return first if first.isalpha() else "#"


# --- Building ---------------------------------------------------------------------------------------------------

class _Builder:
    """Builds every document of the record from a few bulk queries."""

    ACTIVITY_PROPERTIES = [
        RDFS + "label", ROPA + "recordedBy", ROPA + "role", ROPA + "condition", ROPA + "conditional",
        *(expand_or_fail(p) for p in (
            "dpv:hasDataController", "dpv:hasDataProcessor", "ropa:actsOnBehalfOf", "dpv:hasPurpose",
            "ropa:purposeDescription", "dpv:hasDataSubject", "dpv:hasPersonalData", "ropa:dataDescription",
            "dpv:hasRecipient", "ropa:noRecipients", "ropa:hasTransfer", "ropa:statesNoTransferOutside",
            "dpv:hasStorageCondition", "dpv:hasLegalBasis", "ropa:legalBasisLaw", "ropa:specialCategoryLaw",
            "ropa:withdrawalMeans", "dpv:hasDataSource", "ropa:usesServiceProvider", "ropa:engagesProcessor",
            "ropa:hasSubProcessor", "ropa:dataLocation", "dpv:hasLocation", "dpv:hasImpactAssessment", "dpv:hasActivityStatus",
            "dpv:hasProcessing", "dpv:hasContext", "ropa:hasAgreement", "dpv:hasJointDataControllers")),
        *MEASURE_PROPERTIES,
    ]
    ENTITY_PROPERTIES = [
        RDFS + "label", *(expand_or_fail(p) for p in (
            "dpv:hasName", "dpv:hasAddress", "ropa:email", "ropa:telephone", "ropa:fax", "ropa:website",
            "ropa:contactForm", "ropa:privacyContact", "dpv:hasDataProtectionOfficer", "dpv:hasRepresentative",
            "dpv:hasAuthority", "dpv:hasCountry", "ropa:hasEstablishment", "ropa:isPartOfGroup", "ropa:parentCompany", "dpv:hasRight",
            "ropa:responseTime", "ropa:extendedResponseTime", "ropa:responseTimeAsStated", "ropa:statesNoTransferOutside",
            "ropa:hasTransfer", "ropa:hasSubProcessor", "ropa:engagesProcessor", "ropa:usesServiceProvider",
            "ropa:companyNumber", "ropa:companyRegister", "dpv:hasContact")),
        *MEASURE_PROPERTIES,
    ]
    NODE_PROPERTIES = [
        RDF + "type", RDFS + "label", *(expand_or_fail(p) for p in (
            "dpv:hasName", "dpv:hasAddress", "ropa:email", "ropa:telephone", "ropa:website", "dpv:hasDuration",
            "ropa:appliesToData", "ropa:appliesToPurpose", "ropa:dataDescription", "ropa:condition", "ropa:conditional",
            "ropa:statedAs", "dpv:hasThirdCountry", "ropa:accessedFrom", "ropa:outsideRegion", "dpv:hasLegalBasis",
            "dpv:hasDataImporter", "ropa:headquarteredIn", "ropa:dataLocation", "dpv:hasLocation", "ropa:hasAgreement",
            "ropa:agreementRequired", "ropa:authorisedBy", "ropa:usesGdprArticle", "dpv:hasCountry",
            "ropa:companyNumber", "ropa:companyRegister", "dpv:hasDataProtectionOfficer", "dpv:hasRepresentative",
            "dpv:hasDataController")),
    ]

    def __init__(self, graph: RecordGraph, lang: str, findings: Sequence[Finding], as_of: dt.date,
                 flows: FlowGraph | Callable[[], FlowGraph], answers: Answers | None = None, scope: Scope | None = None):
        self.graph = graph
        self.answers = answers or Answers(graph)
        self.lang = lang
        self.as_of = as_of
        self._flows = flows
        self.scope = scope
        self.t = Messages(lang)
        self.labels = Labels(graph, lang, self.answers)
        from ropa.plain import PlainWords  # plain imports this module's Messages and Labels

        self.plain = PlainWords(graph, lang, messages=self.t, labels=self.labels)
        self.provenance = Provenance(graph, lang, self.answers)
        self.facts = Facts()
        self.slugs = Slugs()
        if scope is not None:   # the record's slugs, not the page's: links between pages must agree
            self.slugs.used.update(scope.slugs)
            self.slugs.taken.update(scope.slugs.values())
        self.findings_by_focus: dict[str, list[Finding]] = defaultdict(list)
        self.gaps: dict[str, Gap] = {}
        for finding in findings:
            self.findings_by_focus[finding.focus].append(finding)
        self.all_findings = list(findings)
        self._reaching: dict[str, set[str]] | None = None

    @property
    def flows(self) -> FlowGraph:
        """The record's flow graph; a page of ``ropa serve`` that draws nothing never waits for it."""
        if callable(self._flows):
            self._flows = self._flows()
        return self._flows

    # -- the queries

    def load(self) -> None:
        restrict = ""
        if self.scope is not None:   # a page: only its activities, by VALUES, never the whole record's
            restrict = "VALUES ?a { " + " ".join(f"<{a}>" for a in self.scope.activities) + " }"
        rows = self.answers.rows(f"""
            SELECT ?a ?e ?role WHERE {{ {restrict} ?a a dpv:Process ; ropa:recordedBy ?e . OPTIONAL {{ ?a ropa:role ?role }} }}""")
        self.activities: dict[str, tuple[str, str]] = {}
        for row in rows:
            role = "processor" if row["role"] is not None and row["role"].value == ROPA + "ProcessorRole" else "controller"
            self.activities[row["a"].value] = (row["e"].value, role)
        if self.scope is not None:
            self.activities = {a: self.activities[a] for a in self.scope.activities if a in self.activities}
        self.entities = sorted({entity for entity, _ in self.activities.values()})
        if self.scope is not None:
            self.entities = [self.scope.entity]
        self.facts.fetch(self.answers, self.activities, self.ACTIVITY_PROPERTIES)
        self.facts.fetch(self.answers, self.entities, self.ENTITY_PROPERTIES)
        linked = set()
        for node in [*self.activities, *self.entities]:
            for values in self.facts.by_node[node].values():
                linked.update(t.value for t in values if isinstance(t, ox.NamedNode))
        self.facts.fetch(self.answers, linked, self.NODE_PROPERTIES)
        second = set()
        for node in linked:
            for values in self.facts.by_node.get(node, {}).values():
                second.update(t.value for t in values if isinstance(t, ox.NamedNode))
        self.facts.fetch(self.answers, second - linked, self.NODE_PROPERTIES)
        self.provider_links = self._provider_links() if self.scope is None or self.scope.providers else self._engaged()
        self.facts.fetch(self.answers, {link[0] for link in self.provider_links} - linked - second, self.NODE_PROPERTIES)
        self.durations = self._durations()
        self.special = self._special_categories()
        self.kinds = self._kinds()
        self.transfers_by_importer = self._transfers_by_importer()
        self.engagements = self.answers.rows("""
            SELECT ?engagement ?by ?provider ?place ?accessed ?mechanism WHERE {
              ?engagement a ropa:Engagement ; ropa:provider ?provider .
              OPTIONAL { ?engagement ropa:engagedBy ?by }
              OPTIONAL { ?engagement ropa:dataLocation ?place FILTER(isIRI(?place)) }
              OPTIONAL { ?engagement ropa:accessedFrom ?accessed FILTER(isIRI(?accessed)) }
              OPTIONAL { ?engagement ropa:transferMechanism ?mechanism }
            } ORDER BY ?engagement""")
        every_iri = {t.value for row in self.engagements for t in row.values() if isinstance(t, ox.NamedNode)}
        every_iri.update(r["c"] for r in self.answers.select("SELECT DISTINCT ?c WHERE { ?e ropa:receivesData ?c }"))
        for node, props in self.facts.by_node.items():
            every_iri.add(node)
            for values in props.values():
                every_iri.update(t.value for t in values if isinstance(t, ox.NamedNode))
        for values in self.durations.values():
            for duration in values:
                every_iri.update(duration.get("types", ()))
                every_iri.update(duration.get(ROPA + "untilEvent", ()))
        self.labels.fetch(every_iri)

    def _provider_links(self) -> list[tuple[str, str, str | None, str]]:
        """(provider, how it is linked, activity or None, organisation) for every processor and service provider."""
        found = []
        for block in _values(self.entities):
            for row in self.answers.rows(f"""
                SELECT DISTINCT ?x ?how ?a ?e WHERE {{
                  VALUES ?e {{ {block} }}
                  {{ ?e ropa:hasSubProcessor ?x BIND("sub" AS ?how) }}
                  UNION {{ ?e ropa:engagesProcessor ?x BIND("processor" AS ?how) }}
                  UNION {{ ?e ropa:usesServiceProvider ?x BIND("provider" AS ?how) }}
                  UNION {{ ?a ropa:recordedBy ?e ; ropa:hasSubProcessor ?x BIND("sub" AS ?how) }}
                  UNION {{ ?a ropa:recordedBy ?e ; dpv:hasDataProcessor ?x FILTER(?x != ?e) BIND("processor" AS ?how) }}
                  UNION {{ ?a ropa:recordedBy ?e ; ropa:engagesProcessor ?x BIND("processor" AS ?how) }}
                  UNION {{ ?a ropa:recordedBy ?e ; ropa:usesServiceProvider ?x BIND("provider" AS ?how) }}
                  UNION {{   # a processor's own processors, at any depth (DPV: dpv:hasDataProcessor on the processor)
                    ?a ropa:recordedBy ?e ; dpv:hasDataProcessor|ropa:engagesProcessor ?p . FILTER(?p != ?e)
                    FILTER NOT EXISTS {{ ?p a dpv:Process }}
                    ?p (dpv:hasDataProcessor|ropa:hasSubProcessor)+ ?x . FILTER(?x != ?e) BIND("sub" AS ?how) }}
                  FILTER(isIRI(?x))
                }}"""):
                found.append((row["x"].value, row["how"].value, row["a"].value if row["a"] is not None else None,
                              row["e"].value))
        return found + self._engaged()

    def _engaged(self) -> list[tuple[str, str, str | None, str]]:
        """The links of engagements (a sub-processor list's entries): they reach the activities of their scope."""
        found = []
        self.engaged_for: dict[str, list[tuple[str, str]]] = defaultdict(list)  # activity -> (provider, engagement)
        for row in self.answers.select(ENGAGEMENT_SCOPE):
            owner, role = self.activities.get(row["activity"], (None, None))
            if owner is not None and row["provider"] != owner:
                found.append((row["provider"], "sub" if role == "processor" else "processor", row["activity"], owner))
                self.engaged_for[row["activity"]].append((row["provider"], row["engagement"]))
        return found

    def _durations(self) -> dict[str, list[dict[str, list[str]]]]:
        """The duration nodes (blank nodes) of each storage condition, as property → values."""
        conditions = {t.value for a in self.activities for t in self.facts.get(a, DPV + "hasStorageCondition")
                      if isinstance(t, ox.NamedNode)}
        conditions |= {t.value for e in self.entities for t in self.facts.get(e, DPV + "hasStorageCondition")
                       if isinstance(t, ox.NamedNode)}
        durations: dict[str, dict[str, dict[str, list[str]]]] = defaultdict(dict)
        for block in _values(conditions):
            for row in self.answers.rows(f"""
                SELECT ?c ?d ?p ?o WHERE {{ VALUES ?c {{ {block} }} ?c dpv:hasDuration ?d . ?d ?p ?o }}"""):
                node = durations[row["c"].value].setdefault(_key(row["d"]), defaultdict(list))
                prop = "types" if row["p"].value == RDF + "type" else row["p"].value
                node[prop].append(row["o"].value)
        return {c: list(nodes.values()) for c, nodes in durations.items()}

    KINDS = {
        "lia": ("dpv:LegitimateInterestAssessment", "eu-gdpr:BalancingTest"),
        "dpia": ("dpv:DPIA", "dpv:PIA"),
        "consent_record": ("dpv:ConsentRecord", "dpv:ConsentReceipt"),
        "breach": ("dpv:DataBreachRecord", "eu-gdpr:DataBreachRegister", "dpv:SecurityIncidentRecord"),
        "automated": ("dpv:AutomatedDecisionMaking", "dpv:Profiling"),
        "li_basis": ("eu-gdpr:A6-1-f", "dpv:LegitimateInterest"),
        "consent_basis": ("eu-gdpr:A6-1-a", "dpv:Consent"),
    }
    """What a linked concept or node is, for the columns the authorities' templates add: the concept itself, a
    narrower concept, or a node typed with one."""

    def _kinds(self) -> dict[str, set[str]]:
        """The kinds of the nodes linked from the activities and organisations. The concepts under each kind are
        few (a vocabulary's), so they are found once, downwards from the kinds, and the linked nodes are looked up
        among them with their types: asking upwards from every linked node cost a path search per node."""
        linked = {t.value for node in [*self.activities, *self.entities] for values in self.facts.by_node[node].values()
                  for t in values if isinstance(t, ox.NamedNode)}
        tops = " ".join(f'(<{expand_or_fail(top)}> "{kind}")' for kind, names in self.KINDS.items() for top in names)
        under: dict[str, set[str]] = defaultdict(set)
        for row in self.answers.rows(f"""
                SELECT DISTINCT ?x ?kind WHERE {{ VALUES (?top ?kind) {{ {tops} }} ?x skos:broader* ?top }}"""):
            under[row["x"].value].add(row["kind"].value)
        kinds: dict[str, set[str]] = defaultdict(set)
        for node in linked:
            for concept in [node, *self.facts.iris(node, RDF + "type")]:
                kinds[node] |= under.get(concept, set())
            if not kinds[node]:
                del kinds[node]
        return kinds

    def of_kind(self, node: str, prop: str, kind: str) -> list[Value]:
        """The values of ``prop`` on ``node`` that are of this kind (see KINDS)."""
        return [v for v in self.concepts(node, prop) if kind in self.kinds.get(v.iri, ())]

    def _special_categories(self) -> set[str]:
        categories = {t.value for a in self.activities for t in self.facts.get(a, DPV + "hasPersonalData")
                      if isinstance(t, ox.NamedNode)}
        special = set()
        for block in _values(categories):
            for row in self.answers.rows(f"""
                SELECT DISTINCT ?c WHERE {{ VALUES ?c {{ {block} }} ?c skos:broader* ?s . ?s a dpv:SpecialCategoryPersonalData }}"""):
                special.add(row["c"].value)
        return special

    def _transfers_by_importer(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = defaultdict(list)
        for row in self.answers.rows("SELECT ?x ?i WHERE { ?x a dpv:CrossBorderTransfer ; dpv:hasDataImporter ?i FILTER(isIRI(?x) && isIRI(?i)) }"):
            found[row["i"].value].append(row["x"].value)
        return found

    # -- findings

    def gap(self, finding: Finding) -> Gap:
        anchor = finding_anchor(finding)
        if anchor not in self.gaps:
            note = ""
            if finding.waived:
                waiver = finding.waiver
                note = self.t("gap.waived_by", who=waiver.accepted_by, until=format_date(waiver.until, self.t), reason=waiver.reason)
            plain = self.plain(finding)
            self.gaps[anchor] = Gap(
                anchor=anchor, severity=finding.severity, check=finding.check, article=plain.article,
                field=plain.field, message=plain.message, fix=plain.fix,
                subject=plain.activity_label or plain.focus_label, entity=finding.entity,
                entity_label=plain.entity_label, activity=finding.activity, waived=finding.waived, waiver_note=note)
        return self.gaps[anchor]

    def gaps_for(self, spec: FieldSpec, *focuses: str) -> list[Gap]:
        found = []
        for focus in focuses:
            for finding in self.findings_by_focus.get(focus, ()):
                if (finding.path in spec.paths) or (finding.check in spec.checks):
                    gap = self.gap(finding)
                    if gap not in found:
                        found.append(gap)
        return sorted(found, key=lambda g: (g.waived, SEVERITIES.index(g.severity), g.check))

    # -- values

    def concept(self, subject: str, prop: str, term: Term) -> Value:
        """A value linked by ``prop``: an IRI shown by its label, a literal as written."""
        if isinstance(term, ox.NamedNode):
            return Value(text=self.labels[term.value], iri=term.value,
                         sources=self.provenance.of_fact(subject, prop, term),
                         note=self.provenance.condition(subject, prop, term))
        return Value(text=term.value, sources=self.provenance.of_fact(subject, prop, term))

    def concepts(self, subject: str, *props: str) -> list[Value]:
        """The values of the properties, each property's values in alphabetical order (RDF keeps no order)."""
        values = []
        for prop in props:
            found = [self.concept(subject, prop, term) for term in self.facts.get(subject, prop)]
            values += sorted(found, key=lambda v: (v.text.casefold(), v.iri))
        return values

    def described(self, subject: str, prop: str) -> list[Value]:
        """Literals in the source's words (descriptions), in the best language available."""
        terms = self.facts.get(subject, prop)
        chosen = set(best_literals(terms, self.lang))
        return [Value(text=t.value, sources=self.provenance.of_fact(subject, prop, t), note=self.t("note.as_stated"))
                for t in terms if isinstance(t, ox.Literal) and t.value in chosen]

    def legal_bases(self, subject: str, article_prefix: str) -> list[Value]:
        values = []
        for term in self.facts.get(subject, DPV + "hasLegalBasis"):
            if not isinstance(term, ox.NamedNode):
                continue
            article = _text(self.facts.first(term.value, ROPA + "usesGdprArticle"))
            is_art9 = article.startswith("Art. 9") or "/gdpr#A9-" in term.value
            if is_art9 != (article_prefix == "Art. 9"):
                continue
            value = self.concept(subject, DPV + "hasLegalBasis", term)
            value.detail = self.t.cite(article) if article else article
            values.append(value)
        return values

    def transfer(self, node: str) -> Value:
        # a country the importer reaches the data from, held elsewhere, is said to be remote access
        accessed = self.facts.iris(node, ROPA + "accessedFrom")
        named = self.facts.iris(node, DPV + "hasThirdCountry")
        countries = [self.t("place.remote_access", place=self.labels[c]) if c in accessed else self.labels[c]
                     for c in [*named, *(c for c in accessed if c not in named)]]
        if not countries:
            countries = [self.t("transfer.outside_region", region=self.labels.definite(r, self.t("grammar.article")))
                         for r in self.facts.iris(node, ROPA + "outsideRegion")]
        bases = []
        for basis in self.facts.iris(node, DPV + "hasLegalBasis"):
            article = _text(self.facts.first(basis, ROPA + "usesGdprArticle"))
            bases.append(f"{self.labels[basis]} ({self.t.cite(article)})" if article else self.labels[basis])
        importers = [self.labels[i] for i in self.facts.iris(node, DPV + "hasDataImporter")]
        text = ", ".join(countries) or self.labels[node]
        if importers:
            text += " — " + self.t("transfer.to", importers=", ".join(importers))
        detail = self.t("transfer.basis", bases="; ".join(bases)) if bases else self.t("transfer.no_basis")
        condition = "; ".join(best_literals(self.facts.get(node, ROPA + "condition"), self.lang))
        return Value(text=text, detail=detail, note=condition, iri=node, sources=self.provenance.of_node(node))

    def retention(self, subject: str, node: str) -> Value:
        periods = [self.duration(d) for d in self.durations.get(node, [])] or [self.labels[node]]
        categories = sorted((self.labels[c] for c in self.facts.iris(node, ROPA + "appliesToData")), key=natural_key)
        purposes = sorted((self.labels[p] for p in self.facts.iris(node, ROPA + "appliesToPurpose")), key=natural_key)
        if categories:
            detail = self.t("retention.categories", categories=", ".join(categories))
        else:
            described = best_literals(self.facts.get(node, ROPA + "dataDescription"), self.lang)
            detail = self.t("retention.described", description="; ".join(described)) if described else self.t("retention.all_categories")
        if purposes:
            detail += " · " + self.t("retention.purposes", purposes=", ".join(purposes))
        condition = "; ".join(best_literals(self.facts.get(node, ROPA + "condition"), self.lang))
        sources = tuple(sorted(set(self.provenance.of_node(node)) | set(self.provenance.of_fact(subject, DPV + "hasStorageCondition", ox.NamedNode(node))),
                               key=lambda s: (s.file, s.key)))
        return Value(text="; ".join(periods), detail=detail, note=condition, iri=node, sources=sources)

    def duration(self, duration: dict[str, list[str]]) -> str:
        types = {t.rsplit("#", 1)[-1] for t in duration.get("types", ())}
        stated = duration.get(ROPA + "statedAs", [])
        quoted = f" “{stated[0]}”" if stated else ""
        if "UntilEventDuration" in types:
            event = ", ".join(self.labels.definite(e, self.t("grammar.article")) for e in duration.get(ROPA + "untilEvent", ())) \
                or self.t("retention.event_unknown")
            after = duration.get(ROPA + "afterEvent", ["P0D"])[0]
            if after in ("P0D", "PT0S"):
                return self.t("retention.until_event", event=event)
            return self.t("retention.after_event", period=format_duration(after, self.t), event=event)
        if "IndeterminateDuration" in types:
            return self.t("retention.indeterminate") + quoted
        if "StatutoryDuration" in types:
            return self.t("retention.statutory") + quoted
        if ROPA + "minimumDuration" in duration or ROPA + "maximumDuration" in duration:
            low = duration.get(ROPA + "minimumDuration", ["?"])[0]
            high = duration.get(ROPA + "maximumDuration", ["?"])[0]
            return self.t("retention.range", low=format_duration(low, self.t), high=format_duration(high, self.t))
        if RDF + "value" in duration:
            return format_duration(duration[RDF + "value"][0], self.t)
        return stated[0] if stated else self.t("retention.indeterminate")

    def joint_controllers(self, activity: str, entity: str) -> Field:
        """The controllers that determine the purposes and means together with the organisation (Art. 26), each with
        its contact, and the arrangement between them; never the organisation itself."""
        partners, arrangements = [], []
        for group in self.facts.iris(activity, DPV + "hasJointDataControllers"):
            for member in self.facts.get(group, DPV + "hasDataController"):
                if isinstance(member, ox.NamedNode) and member.value != entity:
                    value = self.concept(group, DPV + "hasDataController", member)
                    value.detail = ", ".join(t.value for t in self.facts.get(member.value, ROPA + "email"))
                    partners.append(value)
            arrangements += [self.labels[a] for a in self.facts.iris(group, ROPA + "hasAgreement")]
        partners = sorted(partners, key=lambda v: (v.text.casefold(), v.iri))
        note = self.t("joint.arrangement", name="; ".join(sorted(arrangements))) if arrangements and partners else ""
        return self.field("joint_controllers", partners, activity, note=note)

    def measures(self, node: str) -> list[Value]:
        return self.concepts(node, *MEASURE_PROPERTIES)

    # -- fields

    def providers(self, activity: str, entity: str, role: str, kind: str) -> tuple[list[Value], str]:
        """The processors (``kind`` "processor") or sub-processors ("sub") that serve an activity, and a note when
        some are stated for all the organisation's processing. The scope is the one flows read: named on the
        activity, engaged for it (a sub-processor list's entry, by name or scope), or named on the organisation,
        which an activity naming the same provider does not narrow. An activity as processor engages
        sub-processors; one as controller, processors."""
        if kind == "processor":
            own = self.concepts(activity, DPV + "hasDataProcessor", ROPA + "engagesProcessor", ROPA + "usesServiceProvider")
            stated = self.concepts(entity, ROPA + "engagesProcessor", ROPA + "usesServiceProvider")
        else:
            own = self.concepts(activity, ROPA + "hasSubProcessor")
            stated = self.concepts(entity, ROPA + "hasSubProcessor") if role == "processor" else []
        if (kind == "sub") == (role == "processor"):
            own += [Value(text=self.labels[provider], iri=provider, sources=self.provenance.of_node(engagement))
                    for provider, engagement in self.engaged_for.get(activity, ())]
        values: dict[str, Value] = {}
        for value in own:
            if value.iri != entity:
                values.setdefault(value.iri or value.text, value)
        inherited = [v for v in stated if v.iri != entity and (v.iri or v.text) not in values]
        for value in inherited:
            values[value.iri or value.text] = value
        return list(values.values()), self.t("note.for_all_processing") if inherited else ""

    def field(self, key: str, values: list[Value], *focuses: str, specs: dict[str, FieldSpec] = ENTRY_FIELDS, note: str = "") -> Field:
        return Field(key=key, values=values, gaps=self.gaps_for(specs[key], *focuses), note=note)

    def entry(self, activity: str) -> Entry:
        entity, role = self.activities[activity]
        f = self.facts
        transfers = [*f.iris(activity, ROPA + "hasTransfer")]
        storage = f.iris(activity, DPV + "hasStorageCondition")
        fields: dict[str, Field] = {}
        fields["controller"] = self.field("controller", self.concepts(activity, DPV + "hasDataController"), activity)
        fields["joint_controllers"] = self.joint_controllers(activity, entity)
        fields["processor"] = self.field("processor", self.concepts(activity, DPV + "hasDataProcessor"), activity)
        fields["on_behalf_of"] = self.field("on_behalf_of", self.concepts(activity, ROPA + "actsOnBehalfOf"), activity)
        fields["purposes"] = self.field("purposes", self.concepts(activity, DPV + "hasPurpose")
                                        + self.described(activity, ROPA + "purposeDescription"), activity)
        fields["categories_of_processing"] = self.field(
            "categories_of_processing",
            self.concepts(activity, DPV + "hasProcessing", DPV + "hasPurpose") + self.described(activity, ROPA + "purposeDescription"),
            activity)
        fields["data_subjects"] = self.field("data_subjects", self.concepts(activity, DPV + "hasDataSubject"), activity)
        fields["personal_data"] = self.field("personal_data", self.concepts(activity, DPV + "hasPersonalData")
                                             + self.described(activity, ROPA + "dataDescription"), activity)
        recipients = self.concepts(activity, DPV + "hasRecipient")
        if not recipients and any(t.value == "true" for t in f.get(activity, ROPA + "noRecipients")):
            recipients = [Value(text=self.t("value.no_recipients"),
                                sources=self.provenance.of_fact(activity, ROPA + "noRecipients", f.get(activity, ROPA + "noRecipients")[0]))]
        fields["recipients"] = self.field("recipients", recipients, activity)
        transfer_values = [self.transfer(x) for x in transfers]
        transfer_note = ""
        # the activity's own statement that no data leave a region, else the organisation's (Art. 30(1)(e))
        for stater in (activity, entity):
            if transfer_values:
                break
            for region in f.iris(stater, ROPA + "statesNoTransferOutside"):
                text = self.t("value.no_transfer_outside", region=self.labels.definite(region, self.t("grammar.article")))
                sources = self.provenance.of_fact(stater, ROPA + "statesNoTransferOutside", ox.NamedNode(region))
                transfer_values.append(Value(text=text, sources=sources))
                if stater == entity:
                    transfer_note = self.t("note.for_all_processing")
        fields["transfers"] = self.field("transfers", transfer_values, activity, note=transfer_note)
        fields["transfers"].gaps = _unique(fields["transfers"].gaps + self.gaps_for(ENTRY_FIELDS["transfer_node"], *transfers))
        fields["retention"] = self.field("retention", [self.retention(activity, s) for s in storage], activity)
        measures = self.measures(activity)
        security_note = ""
        if not measures:
            measures = self.measures(entity)
            security_note = self.t("note.for_all_processing") if measures else ""
        fields["security"] = self.field("security", measures, activity, note=security_note)
        fields["security"].inherited = bool(security_note)
        laws = self.concepts(activity, ROPA + "legalBasisLaw")   # the law behind a legal obligation or public task
        for law in laws:
            law.detail = self.t.cite("Art. 6(3)")
        fields["legal_basis"] = self.field("legal_basis", self.legal_bases(activity, "Art. 6") + laws, activity)
        conditions = self.concepts(activity, ROPA + "specialCategoryLaw")   # the law an Art. 9(2) condition rests on
        for law in conditions:
            law.detail = self.t.cite("Art. 9(2)")
        art9 = self.legal_bases(activity, "Art. 9") + conditions
        special = [c for c in f.iris(activity, DPV + "hasPersonalData") if c in self.special]
        if not art9 and not special:
            art9 = [Value(text=self.t("value.no_special_categories"))]
        fields["special_condition"] = self.field("special_condition", art9, activity)
        fields["data_source"] = self.field("data_source", self.concepts(activity, DPV + "hasDataSource"), activity)
        processors, processors_note = self.providers(activity, entity, role, "processor")
        fields["processors"] = self.field("processors", processors, activity, note=processors_note)
        subprocessors, subprocessors_note = self.providers(activity, entity, role, "sub")
        fields["subprocessors"] = self.field("subprocessors", subprocessors, activity, note=subprocessors_note)
        fields["agreement"] = self.field("agreement", self.concepts(activity, ROPA + "hasAgreement"), activity)
        for value in fields["agreement"].values:
            if any(t.value == "true" for t in f.get(value.iri, ROPA + "conditional")):
                value.note = "; ".join(best_literals(f.get(value.iri, ROPA + "condition"), self.lang)) or self.t("note.conditional")
        fields["data_location"] = self.field("data_location", self.concepts(activity, ROPA + "dataLocation", DPV + "hasLocation"), activity)
        assessments = self.concepts(activity, DPV + "hasImpactAssessment")
        fields["dpia"] = self.field("dpia", [v for v in assessments if "lia" not in self.kinds.get(v.iri, ())], activity)
        fields["status"] = self.field("status", self.concepts(activity, DPV + "hasActivityStatus"), activity)
        self.template_columns(activity, entity, fields)
        condition = "; ".join(best_literals(f.get(activity, ROPA + "condition"), self.lang))
        label = Value(text=self.labels[activity], sources=self.provenance.of_node(activity), iri=activity)
        return Entry(iri=activity, anchor=self.slugs(activity, "a-"), label=label, role=role, fields=fields,
                     condition=condition)

    def template_columns(self, activity: str, entity: str, fields: dict[str, Field]) -> None:
        """The columns the authorities' templates add (ICO, GBA), from the same facts: legitimate interests and their
        assessment, the consent record, automated decisions, breach records, the processing operations."""
        not_applicable = [Value(text=self.t("value.not_applicable"))]
        measures = list(MEASURE_PROPERTIES)
        bases = self.legal_bases(activity, "Art. 6")
        interests = [v for v in bases if "li_basis" in self.kinds.get(v.iri, ())]
        consent = [v for v in bases if "consent_basis" in self.kinds.get(v.iri, ())]

        def recorded(kind: str, *props: str) -> list[Value]:
            found = [v for prop in props for v in self.of_kind(activity, prop, kind)]
            return found or [v for prop in props for v in self.of_kind(entity, prop, kind)]

        fields["legitimate_interests"] = self.field("legitimate_interests", interests or not_applicable, activity)
        fields["lia"] = self.field("lia", recorded("lia", DPV + "hasImpactAssessment", *measures) if interests
                                   else not_applicable, activity)
        fields["consent_record"] = self.field("consent_record", (recorded("consent_record", *measures)
                                              + self.described(activity, ROPA + "withdrawalMeans")) if consent
                                              else not_applicable, activity)
        fields["automated"] = self.field("automated", recorded("automated", DPV + "hasProcessing", DPV + "hasContext"), activity)
        fields["breach"] = self.field("breach", recorded("breach", *measures), activity)
        fields["processing_operations"] = self.field("processing_operations", self.concepts(activity, DPV + "hasProcessing"), activity)

    def established_in_eea(self, entity: str, establishments) -> bool:
        """Whether the organisation, or one of its establishments, is in the EEA: Art. 27 asks a representative only
        of a controller or processor not established in the Union, so none is missing there."""
        countries = [c for node in [entity, *establishments] for c in self.facts.iris(node, DPV + "hasCountry")]
        self.facts.fetch(self.answers, countries, [ROPA + "eeaMember"])
        return any(t.value == "true" for c in countries for t in self.facts.get(c, ROPA + "eeaMember"))

    def organisation(self, entity: str) -> Organisation:
        f = self.facts
        spec = HEADER_FIELDS
        establishments = f.iris(entity, ROPA + "hasEstablishment")
        fields: dict[str, Field] = {}
        names = self.concepts(entity, DPV + "hasName") or [Value(text=self.labels[entity], sources=self.provenance.of_node(entity))]
        fields["name"] = self.field("name", names, entity, specs=spec)
        addresses = self.concepts(entity, DPV + "hasAddress")
        for place in establishments:
            for value in self.concepts(place, DPV + "hasAddress"):
                value.detail = self.labels[place]
                addresses.append(value)
        fields["address"] = self.field("address", addresses, entity, specs=spec)
        contact = []
        for prop, key in ((ROPA + "email", "contact.email"), (ROPA + "telephone", "contact.telephone"),
                          (ROPA + "fax", "contact.fax"), (ROPA + "website", "contact.website"),
                          (ROPA + "contactForm", "contact.form"), (ROPA + "privacyContact", "contact.privacy"),
                          (DPV + "hasContact", "contact.other")):
            for node in [entity, *establishments]:
                for value in self.concepts(node, prop):
                    value.detail = self.t(key) + (f" · {self.labels[node]}" if node != entity else "")
                    if all((v.text, v.detail) != (value.text, value.detail) for v in contact):
                        contact.append(value)
        fields["contact"] = self.field("contact", contact, entity, specs=spec)
        dpos = f.iris(entity, DPV + "hasDataProtectionOfficer")
        fields["dpo"] = self.field("dpo", [self.person(entity, DPV + "hasDataProtectionOfficer", d) for d in dpos],
                                   entity, *dpos, specs=spec)
        representatives = [self.person(entity, DPV + "hasRepresentative", r) for r in f.iris(entity, DPV + "hasRepresentative")]
        if not representatives and self.established_in_eea(entity, establishments):
            representatives = [Value(text=self.t("value.no_representative_needed"))]
        fields["representative"] = self.field("representative", representatives, entity, specs=spec)
        authorities = []
        for authority in f.iris(entity, DPV + "hasAuthority"):
            value = self.concept(entity, DPV + "hasAuthority", ox.NamedNode(authority))
            value.detail = " · ".join(best_literals(f.get(authority, DPV + "hasAddress"), self.lang)
                                      + [v.value for v in f.get(authority, ROPA + "email")])
            authorities.append(value)
        fields["authority"] = self.field("authority", authorities, entity, specs=spec)
        numbers = []
        for place in establishments:
            for number in f.get(place, ROPA + "companyNumber"):
                register = _text(f.first(place, ROPA + "companyRegister"))
                numbers.append(Value(text=number.value, detail=" · ".join(x for x in (register, self.labels[place]) if x),
                                     sources=self.provenance.of_fact(place, ROPA + "companyNumber", number)))
        for number in f.get(entity, ROPA + "companyNumber"):
            numbers.append(Value(text=number.value, sources=self.provenance.of_fact(entity, ROPA + "companyNumber", number)))
        fields["company_number"] = Field(key="company_number", values=numbers)
        fields["country"] = Field(key="country", values=self.concepts(entity, DPV + "hasCountry")
                                  + [v for place in establishments for v in self.concepts(place, DPV + "hasCountry")])
        parents = self.concepts(entity, ROPA + "parentCompany")
        for parent in parents:
            parent.detail = self.t("group.parent_company")
        fields["group"] = Field(key="group", values=self.concepts(entity, ROPA + "isPartOfGroup") + parents)
        fields["security"] = self.field("security", self.measures(entity), entity, specs=spec)
        rights = self.concepts(entity, DPV + "hasRight")
        for prop, key in ((ROPA + "responseTime", "rights.response_time"), (ROPA + "extendedResponseTime", "rights.extended_response_time")):
            for term in f.get(entity, prop):
                rights.append(Value(text=format_duration(term.value, self.t), detail=self.t(key),
                                    sources=self.provenance.of_fact(entity, prop, term)))
        for value in self.described(entity, ROPA + "responseTimeAsStated"):
            value.detail = self.t("rights.response_time")
            rights.append(value)
        fields["rights"] = self.field("rights", rights, entity, specs=spec)
        transfers = [self.transfer(x) for x in f.iris(entity, ROPA + "hasTransfer")]
        for region in f.iris(entity, ROPA + "statesNoTransferOutside"):
            transfers.append(Value(text=self.t("value.no_transfer_outside", region=self.labels.definite(region, self.t("grammar.article"))),
                                   sources=self.provenance.of_fact(entity, ROPA + "statesNoTransferOutside", ox.NamedNode(region))))
        fields["transfers"] = self.field("transfers", transfers, entity, specs=spec)
        return Organisation(iri=entity, slug=self.slugs(entity), name=fields["name"].values[0], fields=fields)

    def person(self, subject: str, prop: str, node: str) -> Value:
        value = self.concept(subject, prop, ox.NamedNode(node))
        contact = [t.value for p in (ROPA + "email", ROPA + "telephone") for t in self.facts.get(node, p)]
        contact += best_literals(self.facts.get(node, DPV + "hasAddress"), self.lang)
        value.detail = " · ".join(contact)
        value.sources = tuple(sorted(set(value.sources) | set(self.provenance.of_node(node)), key=lambda s: (s.file, s.key)))
        return value

    def entity_gaps(self, entity: str, role: str | None = None) -> list[Gap]:
        """The organisation's gaps; for one register (``role``), without those of its activities in the other role."""
        def belongs(finding: Finding) -> bool:
            if role is None or finding.activity is None:
                return True
            if self.scope is not None and finding.activity not in self.activities:
                # a page: only the findings of its own activities, and of what is no activity of the organisation
                return finding.activity not in self.scope.known
            return self.activities.get(finding.activity, (None, role))[1] == role
        found = [self.gap(f) for f in self.all_findings if f.entity == entity and belongs(f)]
        return sorted(found, key=lambda g: (g.waived, SEVERITIES.index(g.severity), g.subject, g.check))

    # -- diagrams

    def diagram(self, activities: list[str], name: str) -> DiagramImage | None:
        """The data-flow diagram of these activities, in the document's language."""
        drawn = [a for a in activities if a in self.flows.activities]
        if not drawn:
            return None
        title = self.t("diagram.title", name=name)
        d = build_diagram(self.flows, drawn, title, label=self.diagram_label, phrase=self.t,
                          definite=lambda iri: self.labels.definite(iri, self.t("grammar.article")))
        if len(d.nodes) > DIAGRAM_MAX_NODES:
            return DiagramImage(title=d.title, nodes=len(d.nodes))
        return DiagramImage(title=d.title, nodes=len(d.nodes), dot=to_dot(d), mermaid=to_mermaid(d))

    def diagram_label(self, node: str) -> str:
        """Nodes that are not IRIs (an unnamed transfer) keep the flow graph's label."""
        return self.labels[node] if "://" in node else self.flows.label(node)

    def add_diagrams(self, controller_registers: list[ControllerRegister],
                     processor_registers: list[ProcessorRegister]) -> None:
        """A diagram per register and per activity of a controller register. A processor's services share one
        diagram: per service it would repeat the same chain."""
        if self.scope is None:   # every label a diagram of the record may show, in bulk (a page asks for its own)
            categories = {c for activity in self.flows.activities.values() for c in activity.categories}
            regions = {data["region"] for _, data in self.flows.graph.nodes(data=True) if data.get("outside")}
            self.labels.fetch(i for i in [*self.flows.graph.nodes, *categories, *regions] if "://" in i)
        for register in [*controller_registers, *processor_registers]:
            name = self.labels[register.organisation.iri]
            register.diagram = self.diagram([entry.iri for entry in register.entries], name)
        for register in controller_registers:
            for entry in register.entries if len(register.entries) > 1 else []:  # else the register's diagram
                entry.diagram = self.diagram([entry.iri], entry.label.text)

    # -- documents

    def controller_register(self, entity: str, entries: list[Entry]) -> ControllerRegister:
        return ControllerRegister(organisation=self.organisation_of[entity], entries=entries,
                                  gaps=self.entity_gaps(entity, "controller"))

    def processor_register(self, entity: str, entries: list[Entry]) -> ProcessorRegister:
        served: dict[str, list[Entry]] = defaultdict(list)
        for entry in entries:
            controllers = self.facts.iris(entry.iri, ROPA + "actsOnBehalfOf") or self.facts.iris(entry.iri, DPV + "hasDataController")
            for controller in controllers:
                served[controller].append(entry)
        controllers = []
        for iri, services in served.items():
            named = self.concepts(iri, DPV + "hasName")
            name = Value(text=named[0].text if named else self.labels[iri], sources=self.provenance.of_node(iri), iri=iri)
            category_gaps = [g for entry in services for g in entry.fields["on_behalf_of"].gaps]
            contact = self.concepts(iri, DPV + "hasAddress", ROPA + "email", ROPA + "telephone")
            fields = {
                "contact": Field("contact", contact, gaps=_unique(self.gaps_for(HEADER_FIELDS["contact"], iri) + category_gaps)),
                "dpo": Field("dpo", [self.person(iri, DPV + "hasDataProtectionOfficer", d)
                                     for d in self.facts.iris(iri, DPV + "hasDataProtectionOfficer")],
                             gaps=_unique(self.gaps_for(HEADER_FIELDS["dpo"], iri) + category_gaps)),
                "representative": Field("representative", [self.person(iri, DPV + "hasRepresentative", r)
                                                           for r in self.facts.iris(iri, DPV + "hasRepresentative")],
                                        gaps=category_gaps),
            }
            controllers.append(CustomerController(iri=iri, anchor=self.slugs(iri, "c-"), name=name, letter=letter_of(name.text),
                                                  fields=fields, services=sorted(services, key=lambda e: natural_key(e.label.text))))
        controllers.sort(key=lambda c: (natural_key(c.name.text), c.iri))
        return ProcessorRegister(organisation=self.organisation_of[entity], entries=entries, controllers=controllers,
                                 gaps=self.entity_gaps(entity, "processor"))

    def overview(self, entity: str, entries_by_iri: dict[str, Entry]) -> ProcessorOverview:
        links: dict[str, dict[str, object]] = {}
        for provider, how, activity, owner in self.provider_links:
            if owner != entity:
                continue
            link = links.setdefault(provider, {"how": set(), "activities": []})
            link["how"].add(how)
            # a provider stated for all processing serves every activity whose data reach it
            for served in [activity] if activity is not None else self.reaching(entity, provider):
                if served not in link["activities"]:
                    link["activities"].append(served)
        providers = []
        for iri, link in links.items():
            providers.append(self.provider(entity, iri, link["how"], link["activities"], entries_by_iri))
        providers.sort(key=lambda p: (natural_key(p.name.text), p.iri))
        dates = []
        for file, modified in sorted({pair for node in [entity, *[a for a, (e, _) in self.activities.items() if e == entity]]
                                      for pair in self.provenance.documents.get(node, ())}):
            dates.append(Value(text=format_date(modified, self.t), detail=self.provenance.titles.get(file, file)))
        return ProcessorOverview(organisation=self.organisation_of[entity], as_of=self.as_of,
                                 statement_dates=Field("statement_dates", dates), providers=providers,
                                 gaps=self.entity_gaps(entity))

    def reaching(self, entity: str, provider: str) -> list[str]:
        """The organisation's activities whose data reach the provider, in the flows of the record."""
        if self._reaching is None:   # party -> the activities with an edge into it, built once
            self._reaching = defaultdict(set)
            for activity, edges in self.flows.edges_of.items():
                for _, party in edges:
                    self._reaching[party].add(activity)
        return sorted(a for a in self._reaching.get(provider, ()) if self.activities.get(a, ("",))[0] == entity)

    def provider(self, entity: str, iri: str, how: set[str], activities: list[str], entries: dict[str, Entry]) -> Provider:
        f = self.facts
        types = set(f.iris(iri, RDF + "type"))
        if "sub" in how:
            role = self.t("role.subprocessor")
        elif "processor" in how or DPV + "DataProcessor" in types:
            role = self.t("role.processor")
        else:
            role = self.t("role.provider")
        role_sources = ()
        for prop in (ROPA + "hasSubProcessor", ROPA + "engagesProcessor", ROPA + "usesServiceProvider"):
            role_sources = role_sources or self.provenance.statements.get((entity, prop, _key(ox.NamedNode(iri)))) or ()
        fields: dict[str, Field] = {}
        fields["role"] = Field("role", [Value(text=role, sources=self.provenance._resolve(role_sources))])
        services = []
        categories: dict[str, Value] = {}
        for activity in activities:
            entry = entries.get(activity)
            if entry is None:
                continue
            services.append(Value(text=entry.label.text, iri=activity, link=entry.anchor, document=entry.role,
                                  detail=self.t(f"role.{entry.role}_activity")))
            # what reaches the provider for this activity: only what its engagements receive, where they say
            received = self.flows.received(activity, iri) if activity in self.flows.activities else set()
            for value in entry.fields["personal_data"].values:
                if value.iri and value.iri not in categories and (not received or value.iri in received):
                    categories[value.iri] = Value(text=value.text, iri=value.iri)
            for category in received - set(categories):
                categories[category] = Value(text=self.labels[category], iri=category)
        fields["services"] = Field("services", services)
        fields["data"] = Field("data", sorted(categories.values(), key=lambda v: v.text.casefold()))
        locations = self.concepts(iri, ROPA + "dataLocation", DPV + "hasLocation")
        engaged = [row for row in self.engagements
                   if row["provider"].value == iri and (row["by"] is None or row["by"].value == entity)]
        for row in engaged:  # each entry of a sub-processor list: where, and on which transfer mechanism
            place = row["place"].value if row["place"] is not None else None
            if place and place not in {v.iri for v in locations}:
                locations.append(Value(text=self.labels[place], iri=place,
                                       sources=self.provenance.of_node(row["engagement"].value)))
        fields["location"] = Field("location", locations, gaps=self.gaps_for(PROVIDER_FIELDS["location"], iri))
        # The headquarters is not where the data are (ropa:headquarteredIn); it is shown beside, with its public source.
        fields["headquarters"] = Field("headquarters", self.concepts(iri, ROPA + "headquarteredIn"))
        transfers = [self.transfer(x) for x in self.transfers_by_importer.get(iri, ())]
        shown = set()
        for row in engaged:   # the mechanism serves the place the provider reaches the data from, else the data location
            if row["mechanism"] is None or (row["place"] is None and row["accessed"] is None):
                continue
            text = self.t("place.remote_access", place=self.labels[row["accessed"].value]) if row["accessed"] is not None \
                else self.labels[row["place"].value]
            if (row["engagement"].value, text) not in shown:
                shown.add((row["engagement"].value, text))
                transfers.append(Value(text=text,
                                       detail=self.t("transfer.basis", bases=self.labels[row["mechanism"].value]),
                                       iri=row["engagement"].value,
                                       sources=self.provenance.of_node(row["engagement"].value)))
        places = [v.iri for v in locations or fields["headquarters"].values if v.iri]
        places += [row["accessed"].value for row in engaged if row["accessed"] is not None]
        if not transfers and places and all(p in self.flows.graph and self.flows.graph.nodes[p].get("eea") for p in places):
            transfers = [Value(text=self.t("transfer.not_required"))]  # the data stay in the EEA: no Chapter V basis needed
        fields["transfer_basis"] = Field("transfer_basis", transfers, gaps=self.gaps_for(PROVIDER_FIELDS["transfer_basis"], iri))
        agreements = self.concepts(iri, ROPA + "hasAgreement")
        if not agreements and any(t.value == "true" for t in f.get(iri, ROPA + "agreementRequired")):
            fields["agreement"] = Field("agreement", [], gaps=self.gaps_for(PROVIDER_FIELDS["agreement"], iri),
                                        note=self.t("provider.agreement_required"))
        else:
            fields["agreement"] = Field("agreement", agreements, gaps=self.gaps_for(PROVIDER_FIELDS["agreement"], iri))
        fields["authorisation"] = Field("authorisation", self.concepts(iri, ROPA + "authorisedBy"),
                                        gaps=self.gaps_for(PROVIDER_FIELDS["authorisation"], iri))
        conditions = {self.provenance.condition(entity, p, ox.NamedNode(iri))
                      for p in (ROPA + "hasSubProcessor", ROPA + "engagesProcessor", ROPA + "usesServiceProvider")} - {""}
        name = Value(text=self.labels[iri], sources=self.provenance.of_node(iri), iri=iri)
        return Provider(iri=iri, anchor=self.slugs(iri, "p-"), name=name, fields=fields, condition="; ".join(sorted(conditions)))

    def group_overview(self, registers: dict[str, dict[str, list[Entry]]], overviews: list[ProcessorOverview]) -> GroupOverview:
        groups = sorted({self.labels[g] for e in self.entities for g in self.facts.iris(e, ROPA + "isPartOfGroup")})
        entities, activities, provider_rows = [], [], {}
        for overview in overviews:
            organisation = overview.organisation
            entity = organisation.iri
            counts = {severity: 0 for severity in SEVERITIES}
            for gap in overview.gaps:
                if not gap.waived:
                    counts[gap.severity] += 1
            by_role = registers[entity]
            entities.append(EntitySummary(
                slug=organisation.slug, name=organisation.name.text,
                country=", ".join(v.text for v in organisation.fields["country"].values),
                controller_activities=len(by_role["controller"]), processor_activities=len(by_role["processor"]),
                providers=len(overview.providers), open_gaps=counts,
                has_controller_register=bool(by_role["controller"]), has_processor_register=bool(by_role["processor"])))
            for role in ("controller", "processor"):
                for entry in by_role[role]:
                    controllers = entry.fields["controller" if role == "controller" else "on_behalf_of"]
                    activities.append(ActivityIndexRow(entity_slug=organisation.slug, entity=organisation.name.text,
                                                       label=entry.label.text, anchor=entry.anchor, role=role,
                                                       controllers="; ".join(v.text for v in controllers.values)
                                                       or self.t("gap.not_documented")))
            for provider in overview.providers:
                row = provider_rows.setdefault(provider.iri, ProviderIndexRow(
                    name=provider.name.text, role=provider.fields["role"].values[0].text, used_by=[],
                    headquarters=", ".join(v.text for v in provider.fields["headquarters"].values)))
                row.used_by.append((organisation.slug, organisation.name.text, provider.anchor))
        gaps: dict[str, list[Gap]] = {severity: [] for severity in SEVERITIES}
        waived = []
        for finding in self.all_findings:
            gap = self.gap(finding)
            (waived if gap.waived else gaps[gap.severity]).append(gap)
        carried = exposure(self.flows)   # what each transfer instrument carries, and would drop if it fell
        self.labels.fetch(x.instrument for x in carried)
        exposed = [replace(x, instrument=self.labels[x.instrument])
                   for x in carried]
        return GroupOverview(groups=groups, entities=entities, activities=activities,
                             providers=sorted(provider_rows.values(), key=lambda r: r.name.casefold()),
                             gaps=gaps, waived=waived, exposure=exposed)

    def build(self) -> Record:
        self.load()
        self.organisation_of = {e: self.organisation(e) for e in self.entities}
        registers: dict[str, dict[str, list[Entry]]] = {e: {"controller": [], "processor": []} for e in self.entities}
        entries_by_iri: dict[str, Entry] = {}
        for activity in self.activities:
            entry = self.entry(activity)
            entries_by_iri[activity] = entry
            registers[self.activities[activity][0]][entry.role].append(entry)
        for by_role in registers.values():
            for entries in by_role.values():
                entries.sort(key=lambda e: (natural_key(e.label.text), e.iri))
        order = sorted(self.entities, key=lambda e: (self.organisation_of[e].name.text.casefold(), e))
        controller_registers = [self.controller_register(e, registers[e]["controller"]) for e in order if registers[e]["controller"]]
        processor_registers = [self.processor_register(e, registers[e]["processor"]) for e in order if registers[e]["processor"]]
        self.add_diagrams(controller_registers, processor_registers)
        overviews = [self.overview(e, entries_by_iri) for e in order]
        group = self.group_overview(registers, overviews)
        return Record(lang=self.lang, as_of=self.as_of, controller_registers=controller_registers,
                      processor_registers=processor_registers, overviews=overviews, group=group,
                      layouts=tuple(template_layouts(self.answers)), layout_roles=template_roles(self.answers))


    def page(self, role: str, diagrams: bool = False) -> ControllerRegister | ProcessorRegister:
        """The register of the scope's activities in one role (a page of ``ropa serve``); ``diagrams``: with the
        register's and each activity's diagram, as the document has them."""
        self.load()
        entity = self.scope.entity
        self.organisation_of = {entity: self.organisation(entity)}
        entries = [self.entry(a) for a in self.activities if self.activities[a][1] == role]
        entries.sort(key=lambda e: (natural_key(e.label.text), e.iri))
        if role == "controller":
            register = self.controller_register(entity, entries)
            if diagrams:
                self.add_diagrams([register], [])
        else:
            register = self.processor_register(entity, entries)
            if diagrams:
                self.add_diagrams([], [register])
        return register

    def activity_diagram(self) -> DiagramImage | None:
        """The diagram of the scope's one activity, as its entry in a register has it (labels asked as drawn)."""
        self.load()
        activity, = self.scope.activities
        return self.diagram([activity], self.labels[activity])

    def provider_overview(self) -> ProcessorOverview:
        """The processor overview of the scope's organisation (the scope holds all its activities)."""
        self.load()
        entity = self.scope.entity
        self.organisation_of = {entity: self.organisation(entity)}
        return self.overview(entity, {a: self.entry(a) for a in self.activities})


def _unique(gaps: list[Gap]) -> list[Gap]:
    seen: list[Gap] = []
    for gap in gaps:
        if gap not in seen:
            seen.append(gap)
    return seen


def build_record(graph: RecordGraph, *, lang: str = "en", findings: Sequence[Finding] = (),
                 as_of: dt.date | None = None, flows: FlowGraph | None = None, answers: Answers | None = None) -> Record:
    """Every document of the record in one language; ``findings`` (from ``ropa.validate``) fill the gap links.

    The diagrams are drawn from ``flows``, the flow graph of the same graph with transfers judged at ``as_of``
    (built here when not given; ``render.build`` builds it once for every language), and ``answers`` keeps the
    graph's answers for the next language (``render.build`` shares one between its languages). Like the registers, it takes
    the graph as given: ``ropa.timeline.as_of`` leaves out what was not valid on the day before this is called.
    """
    date = as_of or dt.date.today()
    return _Builder(graph, lang, findings, date, flows or build_flow_graph(graph, date), answers).build()


def build_page(graph: RecordGraph, scope: Scope, role: str, *, lang: str = "en", findings: Sequence[Finding] = (),
               as_of: dt.date | None = None, flows: FlowGraph | Callable[[], FlowGraph] | None = None,
               answers: Answers | None = None, diagrams: bool = False) -> ControllerRegister | ProcessorRegister:
    """A register of some of an organisation's activities (a page of ``ropa serve``): the same objects as
    ``build_record`` makes for them, from queries about those activities only. ``flows`` (or a function that
    gives it) is read only to draw ``diagrams``."""
    date = as_of or dt.date.today()
    return _Builder(graph, lang, findings, date, flows or (lambda: build_flow_graph(graph, date)), answers,
                    scope).page(role, diagrams)


def build_provider_overview(graph: RecordGraph, scope: Scope, *, lang: str = "en", findings: Sequence[Finding] = (),
                            as_of: dt.date | None = None, flows: FlowGraph | Callable[[], FlowGraph] | None = None,
                            answers: Answers | None = None) -> ProcessorOverview:
    """The processor overview of one organisation, without building the rest of the record."""
    date = as_of or dt.date.today()
    return _Builder(graph, lang, findings, date, flows or (lambda: build_flow_graph(graph, date)), answers,
                    replace(scope, providers=True)).provider_overview()


def build_activity_diagram(graph: RecordGraph, scope: Scope, *, lang: str = "en", as_of: dt.date | None = None,
                           flows: FlowGraph | Callable[[], FlowGraph] | None = None,
                           answers: Answers | None = None) -> DiagramImage | None:
    """The data-flow diagram of the scope's one activity, without building its register."""
    date = as_of or dt.date.today()
    return _Builder(graph, lang, (), date, flows or (lambda: build_flow_graph(graph, date)), answers,
                    scope).activity_diagram()
