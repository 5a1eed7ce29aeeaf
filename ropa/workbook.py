"""The record kept in a spreadsheet: one layout description drives the template, the export and the import.

``reports/workbook/layouts.json`` describes each sheet and column once (its header in the catalogues, its type,
the property it fills, its drop-down list). From it:

- ``tables(graph, lang)`` reads a record into rows of cell values, ``write_workbook`` writes them (an empty record
  is the template) with an instructions sheet, one sheet per vocabulary list and drop-downs of labels;
- ``read_workbook(path)`` reads an .xlsx (openpyxl), .ods (python-calamine) or .csv file and ``import_workbook``
  turns its cells into triples, each fact traced to its cell (``ropa:source`` → a ``ropa:Quote`` whose section is
  ``Sheet!F12``), or raises ``WorkbookErrors`` with every problem of the file at once;
- ``article30_facts(graph)`` keeps the facts the layout carries, for comparing two records.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import gc
import hashlib
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import pyoxigraph as ox
from openpyxl.utils import get_column_letter

from ropa import resources
from ropa.resources import LANGUAGES
from ropa.errors import RopaError
from ropa.load import CHECKED_NAMESPACES, RecordGraph
from ropa.namespaces import PREFIXES, expand, expand_or_fail, shorten
from ropa.periods import Period, PeriodError, duration_of, format_duration_words, format_period, parse_period, read_date
from ropa.register import Messages, best_literals, slugify

RDF, RDFS, XSD, DPV, ROPA = (PREFIXES[p] for p in ("rdf", "rdfs", "xsd", "dpv", "ropa"))
TYPE = RDF + "type"
LABEL = RDFS + "label"
LAYOUTS = ("ropa", "art30", "ico", "gba")
FORMULA_STARTS = ("=", "+", "-", "@")
AGREEMENT_KINDS = frozenset({DPV + "Contract", DPV + "DataProcessingAgreement"})
DEFAULT_NAMESPACE = "https://w3id.org/ropa/record/"
SPLIT = re.compile(r"\s*(?:\r?\n|;)\s*")
LINES = re.compile(r"\s*\r?\n\s*")
PARAGRAPHS = re.compile(r"\s*\r?\n\s*\r?\n\s*")
"""Where a note cell (an activity's comment) parts its values: an empty line, so a comment keeps its own lines."""
SUGGESTED_PERIODS = ("P15D", "P30D", "P1M", "P2M", "P3M")
"""The periods a duration column's drop-down suggests (Art. 12(3): one month, two further months); any other is typed."""


# --- The layout --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    """One column: its catalogue header, its type, the property it fills and where its drop-down comes from."""

    key: str
    header: str
    type: str
    property: str = ""
    kind: str | None = None
    list: str | None = None
    match: str | None = None
    single: bool = False
    required: bool = False
    width: int = 20
    target: str = ""
    """For the columns of art30, ico and gba: the ropa column carried (``organisation.<key>`` for the row's organisation)."""
    types: tuple[str, ...] = ()
    """For a types column: the type keys it offers and shows (every type of the layout when empty)."""
    node_type: str = ""
    """For an assessment column: the type of the record's own assessment nodes it shows (dpv:DPIA)."""
    writes: str = ""
    """The property import writes when it is not the one read (an engagement's ropa:dataLocation, read as
    dpv:hasLocation like every data location)."""
    help: str = ""
    """The catalogue key of the note a cell of the column shows while it is filled in (what the column asks)."""


@dataclass(frozen=True)
class SheetSpec:
    key: str
    title: str
    columns: tuple[Column, ...]

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)


@dataclass(frozen=True)
class Layout:
    name: str
    sheets: tuple[SheetSpec, ...]
    lists: dict
    roles: dict[str, str]
    types: dict[str, str]
    former: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Header key -> the texts the header had before its phrase changed, which import still recognises."""
    scopes: dict[str, str] = field(default_factory=dict)
    """Scope key -> the ropa:EngagementScope an engagement's scope cell names (all activities, all as processor)."""

    def sheet(self, key: str) -> SheetSpec | None:
        return next((s for s in self.sheets if s.key == key), None)


@lru_cache(maxsize=None)
def _layouts() -> dict:
    return json.loads((resources.reports_dir() / "workbook" / "layouts.json").read_text(encoding="utf-8"))


def _column(spec: dict) -> Column:
    return Column(key=spec["key"], header=spec["header"], type=spec["type"], property=expand_or_fail(spec["property"]) if spec.get("property") else "",
                  kind=spec.get("kind"), list=spec.get("list"), match=spec.get("match"), single=spec.get("single", False),
                  required=spec.get("required", False), width=spec.get("width", 20), types=tuple(spec.get("types", ())),
                  node_type=expand_or_fail(spec["node_type"]) if spec.get("node_type") else "",
                  writes=expand_or_fail(spec["writes"]) if spec.get("writes") else "", help=spec.get("help", ""))


@lru_cache(maxsize=None)
def layout(name: str = "ropa") -> Layout:
    """The ropa layout (organisations, activities, parties), or the art30, ICO or GBA one (an activities sheet whose
    columns carry ropa columns; the organisations and parties sheets stay those of ropa)."""
    if name not in LAYOUTS:
        raise RopaError(f"unknown layout '{name}'; choose one of {', '.join(LAYOUTS)}")
    data = _layouts()
    base = data["ropa"]
    sheets = [SheetSpec(s["key"], s["title"], tuple(_column(c) for c in s["columns"])) for s in base["sheets"]]
    if name != "ropa":
        ropa_activities = sheets[1]
        organisations = sheets[0]
        columns = []
        for index, spec in enumerate(data[name]):
            target = spec.get("column", "")
            if target.startswith("organisation."):
                carried = organisations.column(target.partition(".")[2])
            else:
                carried = ropa_activities.column(target) if target else None
            key = f"{name}{index}"
            if carried is None:
                columns.append(Column(key=key, header=spec["header"], type="none", width=spec["width"]))
            else:
                columns.append(Column(key=key, header=spec["header"], type=carried.type, property=carried.property,
                                      kind=carried.kind, list=carried.list, match=carried.match, single=carried.single,
                                      required=carried.required, width=spec["width"], target=target,
                                      node_type=carried.node_type))
        sheets[1] = SheetSpec("activities", f"sheet.{name}", tuple(columns))
    roles = {key: expand_or_fail(iri) for key, iri in base["roles"].items()}
    types = {key: expand_or_fail(iri) for key, iri in base["types"].items()}
    former = {key: tuple(texts) for key, texts in base.get("former_headers", {}).items()}
    scopes = {key: expand_or_fail(iri) for key, iri in base.get("scopes", {}).items()}
    return Layout(name, tuple(sheets), base["lists"], roles, types, former, scopes)


# --- Vocabulary lists and labels ---------------------------------------------------------------------------------

class Choices:
    """The terms a column accepts (its drop-down), their labels in a language, and text → term with suggestions.

    Every lookup goes through ``ropa.terms``, the one vocabulary lookup of ropa."""

    def __init__(self, spec: Layout, graph: RecordGraph | None = None, lang: str | None = None):
        from ropa.terms import vocabulary

        self.layout = spec
        self.lang = lang  # the workbook's language: its labels name a term first ("Client" in French is dpv:Customer)
        self.vocabulary = vocabulary()  # the shipped vocabulary: the loader accepts no other terms
        self._lists: dict[str, list] = {}
        self._resolved: dict[tuple[str, str], str | None] = {}
        self._allowed: dict[str, set[str]] = {}

    def list_name(self, column: Column) -> str | None:
        if column.list:
            return column.list
        if column.kind:
            return column.kind + (f"~{column.match}" if column.match else "")
        return None

    def terms(self, column: Column) -> list:
        """The terms of the column's list, sorted by English label."""
        name = self.list_name(column)
        if name is None:
            return []
        if name not in self._lists:
            if column.list:
                spec = self.layout.lists[column.list]
                kind, match, under, also = spec.get("kind"), spec.get("match"), spec.get("under"), spec.get("also")
            else:
                kind, match, under, also = column.kind, column.match, None, None
            terms = self.vocabulary.terms(kind)
            if match:
                terms = [t for t in terms if re.search(match, t.curie)]
            if under:
                top = expand_or_fail(under)
                terms = [t for t in terms if t.iri != top and top in self._ancestors(t.iri)]
            if also:   # further terms of any kind (the regions beside the countries of a place list)
                have = {t.iri for t in terms}
                terms += [t for t in self.vocabulary.terms() if re.search(also, t.curie) and t.iri not in have]
            self._lists[name] = sorted(terms, key=lambda t: t.label("en").casefold())
        return self._lists[name]

    @lru_cache(maxsize=None)
    def _ancestors(self, iri: str) -> frozenset[str]:
        seen: set[str] = set()
        todo = [iri]
        while todo:
            term = self.vocabulary.get(todo.pop())
            for parent in term.broader if term else ():
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        return frozenset(seen)

    def resolve(self, text: str, column: Column) -> str | None:
        """The IRI of the term a cell names (label in en/nl/fr or prefixed name) if the column accepts it."""
        key = (self.list_name(column) or "", text.casefold())
        if key not in self._resolved:
            term = self.vocabulary.resolve(text, lang=self.lang)
            allowed = self.allowed(column)
            if term is not None and allowed is not None and term.iri not in allowed:
                term = next((t for t in self.terms(column) if text.casefold() in
                             {label.casefold() for label in t.labels.values()}), None)
            self._resolved[key] = term.iri if term is not None else _own_concept(text)
        return self._resolved[key]

    def allowed(self, column: Column) -> set[str] | None:
        """The IRIs a column accepts, or None when it takes any term."""
        name = self.list_name(column)
        if name is None:
            return None
        if name not in self._allowed:
            self._allowed[name] = {t.iri for t in self.terms(column)}
        return self._allowed[name]

    def suggest(self, text: str, column: Column, lang: str) -> list[str]:
        """Labels of the nearest terms of the column, for "did you mean"."""
        choices = self.terms(column)
        allowed = {t.iri for t in choices}
        kind = column.kind if not column.list else None
        # the terms a name or abbreviation names at once (two authorities called CNPD) first, then every near term;
        # of those, the ones the column accepts: the nearest of the whole vocabulary may all be elsewhere
        found = [t for t in [*self.vocabulary.named(text, kind), *self.vocabulary.suggest(text, kind, n=len(self.vocabulary))]
                 if not allowed or t.iri in allowed]
        labels = list(dict.fromkeys(t.label(lang) for t in found))[:3]   # two terms may share a label
        if not labels and choices:
            names = {t.label(lang): t for t in choices}
            labels = difflib.get_close_matches(text, list(names), n=3, cutoff=0.5)
        return labels

    def label(self, iri: str, column: Column | None, lang: str, *, in_list: bool = False) -> str:
        """The term's label in ``lang`` when that label names it back; otherwise its prefixed name. ``in_list``: the
        label stands in a comma-separated list before or after a colon, so it may hold neither."""
        term = self.vocabulary.get(iri)
        if term is None:
            return shorten(iri)
        text = term.label(lang)
        probe = column or Column(key="", header="", type="terms")
        unsafe = (";", "\n") + ((", ", ": ") if in_list else ())
        if self.resolve(text, probe) == iri and not any(mark in text for mark in unsafe):
            return text
        return term.curie

    def event(self, text: str) -> str | None:
        """The retention event a phrase names: by label or prefixed name, else the one event whose names hold every
        word of the phrase."""
        key = ("~event", text.casefold())
        if key not in self._resolved:
            self._resolved[key] = self._event(text)
        return self._resolved[key]

    def _event(self, text: str) -> str | None:
        term = self.vocabulary.resolve(text, "event", lang=self.lang)
        if term is None:
            found = self.vocabulary.search(text, "event")
            term = found[0] if len(found) == 1 else None
        return term.iri if term else None


# --- Reading a record into rows -----------------------------------------------------------------------------------

Row = dict[str, list[str]]
"""A row: column key → the cell's values (several values are one per line in the cell)."""


def namespace_of(iri: str) -> str:
    return re.sub(r"[^/#]*$", "", iri)


def local_key(iri: str, namespace: str) -> str:
    """What a key cell shows: the local name in the record's namespace, else the prefixed name or IRI."""
    if iri.startswith(namespace) and re.fullmatch(r"[A-Za-z0-9._-]+", iri[len(namespace):]):
        return iri[len(namespace):]
    short = shorten(iri)
    return short if not short.startswith("<") else iri


class _Facts:
    """Property values of the nodes of a record, fetched in bulk. A property the record may write in two ways is read
    as the one the workbook's column carries (``SAME``), so that neither way is left out of the workbook."""

    SAME = {ROPA + "dataLocation": DPV + "hasLocation"}

    def __init__(self, graph: RecordGraph):
        self.graph = graph
        self.values: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))

    def fetch(self, nodes: Iterable[str]) -> None:
        pending = [n for n in dict.fromkeys(nodes) if n not in self.values]
        for start in range(0, len(pending), 400):
            block = " ".join(f"<{n}>" if not n.startswith("_:") else n for n in pending[start:start + 400]
                             if not n.startswith("_:"))
            if not block:
                continue
            for row in self.graph.query(f"SELECT ?s ?p ?o WHERE {{ VALUES ?s {{ {block} }} ?s ?p ?o }}"):
                prop = row["p"].value
                self.values[row["s"].value][self.SAME.get(prop, prop)].append(row["o"])
        for node in pending:
            self.values.setdefault(node, defaultdict(list))

    def blank(self, node: ox.BlankNode) -> dict[str, list]:
        key = "_:" + node.value
        if key not in self.values:
            found: dict[str, list] = defaultdict(list)
            for triple in self.graph.store.quads_for_pattern(node, None, None):
                prop = triple.predicate.value
                found[self.SAME.get(prop, prop)].append(triple.object)
            self.values[key] = found
        return self.values[key]

    def of(self, term) -> dict[str, list]:
        if isinstance(term, ox.BlankNode):
            return self.blank(term)
        self.fetch([term.value])
        return self.values[term.value]


def _key(term) -> str:
    return ("_:" + term.value) if isinstance(term, ox.BlankNode) else term.value


class Exporter:
    """Builds the rows of each sheet from a record graph."""

    def __init__(self, graph: RecordGraph, spec: Layout, lang: str):
        self.graph = graph
        self.layout = spec
        self.lang = lang
        self.t = Messages(lang)
        self.choices = Choices(spec, graph, lang)   # a label names its term back in the workbook's language
        self.facts = _Facts(graph)
        self.names: dict[str, str] = {}
        self.left_out: Counter[str] = Counter()
        """Property → how many of its values no column carries (they stay in the Turtle files)."""
        self.shown: dict[tuple[str, str], set] = defaultdict(set)
        """(node, property) → the values its term columns show; a value no column's list offers (a record's own
        DPIA node) is left out too."""

    def run(self) -> tuple[dict[str, list[Row]], str]:
        activities = sorted({r["a"] for r in self.graph.select(
            "SELECT ?a WHERE { ?a a dpv:Process ; ropa:recordedBy ?o }")})
        self.facts.fetch(activities)
        organisations = sorted({o.value for a in activities for o in self.facts.values[a][ROPA + "recordedBy"]})
        self.facts.fetch(organisations)
        # the entries of the organisations' sub-processor lists (Art. 28(2)): one row each on the providers' sheet
        engagements = sorted({r["e"] for r in self.graph.select(
            "SELECT ?e ?o WHERE { ?e a ropa:Engagement ; ropa:engagedBy ?o }") if r["o"] in set(organisations)})
        self.facts.fetch(engagements)
        self.engagements = engagements
        counts: dict[str, int] = defaultdict(int)
        for iri in activities or organisations:
            counts[namespace_of(iri)] += 1
        self.namespace = max(counts, key=lambda n: (counts[n], n)) if counts else DEFAULT_NAMESPACE
        parties = self._parties(organisations, activities + engagements)
        self._name_activities(activities)
        for iri in organisations + parties:
            self.names[iri] = self._name(iri)
        taken: dict[str, int] = defaultdict(int)
        for name in self.names.values():
            taken[name.casefold()] += 1
        # a party is named by its name where that name is unique and its row's name cell shows it (a party known only
        # by its registered name has an empty name cell: it is named by its key, which import reads back)
        self.unique = {iri for iri, name in self.names.items() if taken[name.casefold()] == 1 and name
                       and best_literals(self.facts.values[iri].get(LABEL, []), self.lang)}
        self.organisations = set(organisations)
        rows = {"organisations": [self._row("organisations", iri) for iri in organisations],
                "parties": [self._row("parties", iri) for iri in parties]}
        rows["activities"] = [self._row("activities", iri) for iri in activities]
        rows["engagements"] = [self._row("engagements", iri) for iri in engagements]
        rows["activities"].sort(key=lambda r: (r.get("__org", ""), r["name"][0].casefold() if r.get("name") else ""))
        for row in rows["activities"]:
            row.pop("__org", None)
        for sheet, nodes in (("organisations", organisations), ("parties", parties), ("activities", activities),
                             ("engagements", engagements)):
            columns = self.layout.sheet(sheet).columns
            carried = {c.property for c in columns} | {TYPE, LABEL, ROPA + "source"}
            shown_only = ("terms", "duration", "text", "note", "assessment")   # columns that show some values of their property
            by_terms = ({c.property for c in columns if c.type in shown_only}
                        - {c.property for c in columns if c.type not in shown_only})
            for iri in nodes:
                for prop, objects in self.facts.values[iri].items():
                    if prop not in carried:
                        self.left_out[prop] += len(objects)
                    elif prop in by_terms:
                        missed = len(set(objects) - self.shown[(iri, prop)])
                        if missed:
                            self.left_out[prop] += missed
        return rows, self.namespace

    def _name_activities(self, activities: list[str]) -> None:
        """How a cell names an activity (the activities an engagement serves): its name where no other activity
        has it, else its key."""
        names = {iri: (best_literals(self.facts.values[iri].get(LABEL, []), self.lang) or [""])[0] for iri in activities}
        taken = Counter(name.casefold() for name in names.values())
        self.activity_refs = {iri: name if name and taken[name.casefold()] == 1 else local_key(iri, self.namespace)
                              for iri, name in names.items()}

    # -- which nodes are parties

    def _party_columns(self) -> list[tuple[str, Column]]:
        return [(s.key, c) for s in self.layout.sheets for c in s.columns if c.type in ("party", "joint", "authorisation")]

    def _is_agreement(self, term) -> bool:
        """A node typed as an agreement or contract (the processing agreement that gives a general written
        authorisation of sub-processors, Art. 28(2)), which an authorisation cell names as such, not as a party."""
        if not isinstance(term, (ox.NamedNode, ox.BlankNode)):
            return False
        for kind in self.facts.of(term).get(TYPE, []):
            if {kind.value, *self.choices._ancestors(kind.value)} & AGREEMENT_KINDS:
                return True
        return False

    def _is_term(self, iri: str) -> bool:
        return iri in self.choices.vocabulary

    def _parties(self, organisations: list[str], activities: list[str]) -> list[str]:
        found: list[str] = []
        seen = set(organisations)
        todo = organisations + activities
        columns = self._party_columns()
        while todo:
            self.facts.fetch(todo)
            next_round = []
            for node in todo:
                values = self.facts.values[node]
                for _, column in columns:
                    for term in values.get(column.property, ()):
                        targets = [term]
                        if column.type == "joint":
                            targets = self.facts.of(term).get(DPV + "hasDataController", [])
                        elif column.type == "authorisation" and self._is_agreement(term):
                            targets = []
                        for target in targets:
                            if isinstance(target, ox.NamedNode) and not self._is_term(target.value) and target.value not in seen:
                                seen.add(target.value)
                                found.append(target.value)
                                next_round.append(target.value)
            todo = next_round
        self.facts.fetch(found)
        return sorted(found, key=lambda iri: (self._name(iri).casefold(), iri))

    def _name(self, iri: str) -> str:
        values = self.facts.values[iri]
        labels = best_literals(values.get(LABEL, []), self.lang) or best_literals(values.get(DPV + "hasName", []), self.lang)
        return labels[0] if labels else local_key(iri, getattr(self, "namespace", ""))

    def reference(self, iri: str) -> str:
        return self.names[iri] if iri in self.unique else local_key(iri, self.namespace)

    # -- rows

    def _row(self, sheet: str, iri: str) -> Row:
        spec = self.layout.sheet(sheet)
        values = self.facts.values[iri]
        row: Row = {}
        for column in spec.columns:
            cells = self.cell(column, iri, values)
            if cells:
                row[column.key] = cells
        if sheet == "activities":
            organisation = values.get(ROPA + "recordedBy", [])
            row["__org"] = self.names.get(organisation[0].value, "").casefold() if organisation else ""
        return row

    def cell(self, column: Column, iri: str, values: dict[str, list]) -> list[str]:
        kind = column.type
        if kind == "key":
            return [local_key(iri, self.namespace)]
        if kind == "none":
            return []
        objects = values.get(column.property, [])
        if kind == "label":
            return best_literals(objects, self.lang)[:1]
        if kind == "text":
            # every text is carried (another language's is the same text for a workbook of one language); a node
            # (a law given as an IRI) is not, and is counted as left out
            self.shown[(iri, column.property)].update(o for o in objects if isinstance(o, ox.Literal))
            texts = sorted(best_literals(objects, self.lang))
            if column.key == "legal_name" and texts == best_literals(values.get(LABEL, []), self.lang)[:1]:
                return []  # the name it is listed under, which import reads back as the registered name
            return texts
        if kind == "note":   # comments, one paragraph each
            self.shown[(iri, column.property)].update(o for o in objects if isinstance(o, ox.Literal))
            texts = sorted(best_literals(objects, self.lang))
            return ["\n\n".join(texts)] if texts else []
        if kind == "terms":
            allowed = self.choices.allowed(column)
            kept = [o for o in objects if isinstance(o, ox.NamedNode)
                    and (allowed is None or column.list is None or o.value in allowed)]
            self.shown[(iri, column.property)].update(kept)
            return sorted((self.choices.label(o.value, column, self.lang) for o in kept), key=str.casefold)
        if kind == "party" and column.key == "controllers" and self._own(values, objects):
            return []  # the organisation's own activity: import reads it back from the role
        if kind == "party":
            texts = [self.reference(o.value) if o.value in self.names else self.choices.label(o.value, column, self.lang)
                     for o in objects if isinstance(o, ox.NamedNode)]
            return sorted(texts, key=str.casefold)
        if kind == "joint":
            members = [m for o in objects for m in self.facts.of(o).get(DPV + "hasDataController", [])]
            return sorted({self.reference(m.value) for m in members if m.value in self.names}, key=str.casefold)
        if kind == "role":
            by_iri = {v: k for k, v in self.layout.roles.items()}
            return [self.t(f"role.{by_iri[o.value]}") for o in objects if o.value in by_iri]
        if kind == "types":
            keys = carried_types(self.layout, column, objects, self.choices)
            return sorted({self.t(f"type.{key}") for key in keys}, key=str.casefold)
        if kind == "bool":
            return [self.t("value.yes" if o.value == "true" else "value.no") for o in objects]
        if kind == "activity":
            return sorted((self.activity_refs[o.value] for o in objects if o.value in self.activity_refs), key=str.casefold)
        if kind == "scope":
            by_iri = {v: k for k, v in self.layout.scopes.items()}
            return [self.t(f"scope.{by_iri[o.value]}") for o in objects if o.value in by_iri]
        if kind == "authorisation":
            texts = [self.reference(o.value) for o in objects if o.value in self.names]
            texts += [self.t("value.authorising_agreement", name=self._title(o)) for o in objects
                      if o.value not in self.names and self._is_agreement(o)]
            return sorted(texts, key=str.casefold)
        if kind == "group":
            return sorted((self._title(o) for o in objects if not isinstance(o, ox.Literal)), key=str.casefold)
        if kind == "assessment":
            # the record's own assessment nodes of the column's type; a term of the list (dpv:DPIA) is the dpia column's
            kept = [o for o in objects if not isinstance(o, ox.Literal) and not self._is_term(o.value)
                    and column.node_type in {k.value for k in self.facts.of(o).get(TYPE, [])}]
            self.shown[(iri, column.property)].update(kept)
            return sorted((self._title(o) for o in kept), key=str.casefold)
        if kind == "date":
            return [o.value for o in objects]
        if kind == "duration":
            return self._durations(iri, column, objects)
        if kind == "joint_agreement":
            objects = [a for group in values.get(DPV + "hasJointDataControllers", []) for a in self.facts.of(group).get(column.property, [])]
            kind = "agreement"
        if kind == "agreement":
            texts = []
            for node in objects:
                labels = best_literals(self.facts.of(node).get(LABEL, []), self.lang)
                texts.append(labels[0] if labels else self.t("value.agreement"))
            return sorted(texts)
        if kind == "retention":
            return sorted(line for node in objects for line in self._retention(node))
        if kind == "transfers":
            return sorted(self._transfer(node) for node in objects)
        raise RopaError(f"unknown column type '{kind}' in reports/workbook/layouts.json")

    def _title(self, node) -> str:
        """What a cell shows of a node it names by its words (a group, an assessment, an agreement): its label in the
        workbook's language, else its name, else its key."""
        values = self.facts.of(node)
        labels = best_literals(values.get(LABEL, []), self.lang) or best_literals(values.get(DPV + "hasName", []), self.lang)
        return " ".join(labels[0].split()) if labels else local_key(node.value, self.namespace)

    def _durations(self, iri: str, column: Column, objects: list) -> list[str]:
        """A period in the workbook's words ("1 month"), when import reads those words back to the same duration; a
        duration the words cannot carry (hours) is left out of the cell and counted as left out."""
        texts = []
        for o in objects:
            text = format_duration_words(o.value, self.t) if isinstance(o, ox.Literal) else ""
            if text and duration_of(text) == o.value:
                texts.append(text)
                self.shown[(iri, column.property)].add(o)
        return texts

    def _own(self, values: dict[str, list], controllers: list) -> bool:
        """A controller activity whose one controller is the organisation keeping the record."""
        organisation = values.get(ROPA + "recordedBy", [])
        role = values.get(ROPA + "role", [])
        return (len(controllers) == 1 and len(organisation) == 1 and controllers[0] == organisation[0]
                and len(role) == 1 and role[0].value == self.layout.roles["controller"])

    def _retention(self, node) -> list[str]:
        values = self.facts.of(node)
        data = [self.choices.label(o.value, Column("", "", "terms", kind="data"), self.lang, in_list=True)
                for o in values.get(ROPA + "appliesToData", [])]
        data += [self.choices.label(o.value, Column("", "", "terms", kind="purpose"), self.lang, in_list=True)
                 for o in values.get(ROPA + "appliesToPurpose", [])]
        lines = []
        for duration in values.get(DPV + "hasDuration", []):
            period = period_of(self.facts.of(duration))
            if period is None:
                continue
            text = format_period(period, self.t, lambda e: self.choices.label(e, Column("", "", "terms", kind="event"), self.lang))
            if data:
                text = self.t("period.for", data=", ".join(sorted(data, key=str.casefold)), period=text)
            lines.append(text)
        return lines

    def _transfer(self, node) -> str:
        values = self.facts.of(node)
        country = Column("", "", "terms", kind="country")
        # a country the importer reaches the data from (remote access) is written once, with the words that say so
        accessed = values.get(ROPA + "accessedFrom", [])
        places = [self.choices.label(o.value, country, self.lang, in_list=True) for o in values.get(DPV + "hasThirdCountry", [])
                  if o not in accessed]
        places += [self.t("transfer.access", country=self.choices.label(o.value, country, self.lang, in_list=True))
                   for o in accessed]
        places += [self.t("transfer.outside", region=self.choices.label(o.value, None, self.lang, in_list=True))
                   for o in values.get(ROPA + "outsideRegion", [])]
        bases = sorted((self.choices.label(o.value, Column("", "", "terms", kind="transfer-basis"), self.lang, in_list=True)
                        for o in values.get(DPV + "hasLegalBasis", [])), key=str.casefold)
        return self.t("transfer.line", destination=", ".join(sorted(places, key=str.casefold)), bases=", ".join(bases))


def period_of(values: dict[str, list]) -> Period | None:
    """The Period a dpv:hasDuration node states, or None for a kind ropa does not know."""
    types = {t.value for t in values.get(TYPE, [])}
    first = {p: v[0].value for p, v in values.items() if v}
    if DPV + "UntilEventDuration" in types and ROPA + "untilEvent" in first:
        after = first.get(ROPA + "afterEvent", "")
        zero = not re.search(r"[1-9]", after)  # P0D, PT0S: deleted at the event
        return Period("event", duration="" if zero else after, event=first[ROPA + "untilEvent"])
    if ROPA + "minimumDuration" in first and ROPA + "maximumDuration" in first:
        return Period("range", low=first[ROPA + "minimumDuration"], high=first[ROPA + "maximumDuration"])
    if RDF + "value" in first:
        return Period("fixed", duration=first[RDF + "value"])
    if ROPA + "StatutoryDuration" in types:
        return Period("statutory", text=first.get(ROPA + "statedAs", ""))
    if DPV + "IndeterminateDuration" in types:
        return Period("indeterminate", text=first.get(ROPA + "statedAs", ""))
    return None


def tables(graph: RecordGraph, lang: str = "en", layout_name: str = "ropa",
           left_out: Counter | None = None) -> tuple[dict[str, list[Row]], str]:
    """The rows of each sheet for a record, and the record's namespace (where its own IRIs live); ``left_out``
    counts the values of properties no column carries."""
    spec = layout(layout_name)
    exporter = Exporter(graph, layout("ropa"), lang)
    rows, namespace = exporter.run()
    if left_out is not None:
        left_out.update(exporter.left_out)
    if layout_name != "ropa":
        rows["activities"] = _to_layout(rows, spec)
    return rows, namespace


def _to_layout(rows: dict[str, list[Row]], spec: Layout) -> list[Row]:
    """Activities rows in the art30, ICO or GBA layout: each column takes the ropa column it carries."""
    organisations = {}
    for row in rows["organisations"]:
        for name in row.get("name", []):
            organisations[name] = row
    result = []
    for row in rows["activities"]:
        out: Row = {}
        organisation = organisations.get((row.get("organisation") or [""])[0], {})
        for column in spec.sheet("activities").columns:
            if column.target.startswith("organisation."):
                value = organisation.get(column.target.partition(".")[2])
            else:
                value = row.get(column.target) if column.target else None
            if value:
                out[column.key] = value
        result.append(out)
    return result


# --- Writing a workbook ----------------------------------------------------------------------------------------------

def sheet_title(text: str) -> str:
    """A worksheet name Excel accepts: at most 31 characters, none of []:*?/\\."""
    return re.sub(r"[\[\]:*?/\\]", " ", text)[:31].strip()


def write_workbook(path: Path, rows: dict[str, list[Row]] | None, *, lang: str = "en", layout_name: str = "ropa",
                   namespace: str = DEFAULT_NAMESPACE, graph: RecordGraph | None = None) -> Path:
    """Write the workbook (the template when ``rows`` is None) atomically."""
    import io

    import openpyxl
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    from ropa.export import write_atomically

    spec = layout(layout_name)
    t = Messages(lang)
    choices = Choices(layout("ropa"), graph, lang=lang)
    rows = rows or {}
    book = openpyxl.Workbook()
    book.remove(book.active)
    titles = {s.key: sheet_title(t(s.title)) for s in spec.sheets}

    info = book.create_sheet(sheet_title(t("sheet.instructions")))
    info.column_dimensions["A"].width = 40
    info.column_dimensions["B"].width = 110
    info.cell(row=1, column=1, value=t("template.title")).font = Font(bold=True, size=14)
    lines = [t(f"template.step{n}", **titles) for n in range(1, 8)]
    for offset, line in enumerate(lines, start=3):
        cell = info.cell(row=offset, column=1, value=line)
        cell.alignment = Alignment(wrap_text=False)
    end = 3 + len(lines) + 1
    info.cell(row=end, column=1, value=t("template.language")).font = Font(bold=True)
    info.cell(row=end, column=2, value=lang)
    info.cell(row=end + 1, column=1, value=t("template.namespace")).font = Font(bold=True)
    info.cell(row=end + 1, column=2, value=namespace)

    list_sheets: dict[str, str] = {}
    list_values: dict[str, list[str]] = {}

    def list_ref(column: Column) -> str | None:
        values: list[str] | None = None
        name = choices.list_name(column)
        if column.type == "role":
            name, values = "role", [t(f"role.{k}") for k in spec.roles]
        elif column.type == "types":
            name = "types" + "~".join(("", *column.types))
            values = [t(f"type.{k}") for k in spec.types if not column.types or k in column.types]
        elif column.type == "bool":
            name, values = "yesno", [t("value.yes"), t("value.no")]
        elif column.type == "scope":
            name, values = "scope", [t(f"scope.{k}") for k in spec.scopes]
        elif column.type == "duration":
            name, values = "duration", [format_duration_words(period, t) for period in SUGGESTED_PERIODS]
        elif name is not None:
            # a term whose label names another term too (eu-gdpr:Profiling and dpv:Profiling) is left out of the
            # drop-down; it can still be typed by its prefixed name
            labels = [choices.label(term.iri, column, lang) for term in choices.terms(column)]
            values = [label for label, term in zip(labels, choices.terms(column)) if label != term.curie]
        if not values:
            return None
        if name not in list_sheets:
            # a types column limited to some types (the kind of organisation) is titled after its column
            base = column.list or column.kind or (column.key if column.type == "types" and column.types else name)
            title = sheet_title(t(f"list.{base}") if t.has(f"list.{base}") else base)
            while title in book.sheetnames or title in list_sheets.values():
                title = sheet_title(title[:28] + " " + str(len(list_sheets)))
            list_sheets[name] = title
            list_values[name] = values
        title = list_sheets[name]
        return f"'{title}'!$A$2:$A${len(list_values[name]) + 1}"

    def names_ref(column: Column) -> str | None:
        """A column naming organisations or parties drops down the names of the sheet that lists them."""
        if column.type not in ("party", "joint", "authorisation", "activity"):
            return None
        listed = "organisations" if column.key == "organisation" or column.target == "organisation" else "parties"
        if column.type == "activity":
            listed = "activities"
        names = spec.sheet(listed)
        index = next((i for i, c in enumerate(names.columns, start=1) if c.key == "name" or c.target == "name"), None)
        if index is None:
            return None
        letter = get_column_letter(index)
        end = max(len(rows.get(listed, [])) + 1, 200)
        return f"'{titles[listed]}'!${letter}$2:${letter}${end}"

    header_fill = PatternFill("solid", fgColor="E4E9F0")
    for sheet_spec in spec.sheets:
        sheet = book.create_sheet(titles[sheet_spec.key])
        sheet_rows = rows.get(sheet_spec.key, [])
        last = max(len(sheet_rows) + 1, 200)
        for index, column in enumerate(sheet_spec.columns, start=1):
            letter = get_column_letter(index)
            cell = sheet.cell(row=1, column=index, value=t(column.header))
            cell.font = Font(bold=True)
            cell.fill = header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            sheet.column_dimensions[letter].width = column.width
            reference = list_ref(column) or names_ref(column)
            if reference:
                validation = DataValidation(type="list", formula1=reference, allow_blank=True)
                validation.showErrorMessage = column.single and column.type != "duration"   # a drop-down of suggestions
                help_key = column.help or ("template.duration_help" if column.type == "duration" else "")
                if help_key:
                    validation.prompt = t(help_key)
                    validation.showInputMessage = True
                sheet.add_data_validation(validation)
                validation.add(f"{letter}2:{letter}{last}")
            elif column.type == "date":
                sheet.column_dimensions[letter].number_format = "yyyy-mm-dd"
        for row_index, row in enumerate(sheet_rows, start=2):
            for index, column in enumerate(sheet_spec.columns, start=1):
                values = row.get(column.key)
                if not values:
                    continue
                if column.type == "date" and len(values) == 1 and re.fullmatch(r"\d{4}-\d{2}-\d{2}", values[0]):
                    cell = sheet.cell(row=row_index, column=index, value=dt.date.fromisoformat(values[0]))
                    cell.number_format = "yyyy-mm-dd"
                    continue
                put_text(sheet.cell(row=row_index, column=index), "\n".join(values))
        sheet.freeze_panes = "C2" if sheet_spec.key == "activities" else "B2"
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(sheet_spec.columns))}{max(len(sheet_rows) + 1, 2)}"

    for name, title in list_sheets.items():
        sheet = book.create_sheet(title)
        sheet.cell(row=1, column=1, value=t(f"list.{name}") if t.has(f"list.{name}") else title).font = Font(bold=True)
        sheet.column_dimensions["A"].width = 60
        for row_index, value in enumerate(list_values[name], start=2):
            put_text(sheet.cell(row=row_index, column=1), value)
    buffer = io.BytesIO()
    book.save(buffer)
    write_atomically(path, buffer.getvalue())
    return path


def put_text(cell, text: str) -> None:
    """A text cell that never becomes a formula: a value starting with = + - @ is stored and shown as text."""
    from openpyxl.styles import Alignment

    cell.value = text
    cell.data_type = "s"
    if text.startswith(FORMULA_STARTS):
        cell.quotePrefix = True
    if "\n" in text:
        cell.alignment = Alignment(wrap_text=True, vertical="top")


# --- Reading a workbook file -------------------------------------------------------------------------------------

@dataclass
class RawCell:
    value: object
    formula: bool = False


@dataclass
class RawSheet:
    """A sheet as read: its name, its cells by (row, column) from 1, and the merged ranges (A1 notation)."""

    name: str
    cells: dict[tuple[int, int], RawCell] = field(default_factory=dict)
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    max_row: int = 0
    max_column: int = 0


def read_workbook(path: Path, wanted: set[str] | None = None) -> list[RawSheet]:
    """The sheets of an .xlsx (openpyxl), .ods (python-calamine) or .csv file (one sheet named after the file).

    ``wanted``: sheet titles (compared without case) to read, when the workbook has any of them; the drop-down list
    sheets of a large workbook are then not read at all."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise RopaError("no such file", path=str(path))
    try:
        if suffix in (".xlsx", ".xlsm"):
            return _read_xlsx(path, wanted)
        if suffix == ".ods":
            return _read_calamine(path, wanted)
        if suffix == ".csv":
            return _read_csv(path)
    except RopaError:
        raise
    except Exception as error:  # a damaged or foreign file: the libraries raise many kinds
        raise RopaError(f"cannot read the workbook: {error}", path=str(path)) from None
    raise RopaError(f"unknown workbook format '{suffix}'; use .xlsx, .ods or .csv", path=str(path))


def _chosen(names: list[str], wanted: set[str] | None) -> list[str]:
    if wanted and any(_normal(name) in wanted for name in names):
        return [name for name in names if _normal(name) in wanted]
    return names


def _read_xlsx(path: Path, wanted: set[str] | None) -> list[RawSheet]:
    """Values and formulas with openpyxl (read-only, so only the sheets read are parsed); merged ranges with
    python-calamine, which openpyxl's read-only mode does not give."""
    import openpyxl
    from python_calamine import CalamineWorkbook

    book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    merges = CalamineWorkbook.from_path(str(path))
    sheets = []
    try:
        for name in _chosen(book.sheetnames, wanted):
            ws = book[name]
            sheet = RawSheet(name)
            for row in ws.iter_rows():
                for cell in row:
                    if cell.value is None:
                        continue
                    sheet.cells[(cell.row, cell.column)] = RawCell(cell.value, cell.data_type == "f")
                    sheet.max_row, sheet.max_column = max(sheet.max_row, cell.row), max(sheet.max_column, cell.column)
            for (r1, c1), (r2, c2) in merges.get_sheet_by_name(name).merged_cell_ranges or []:
                sheet.merged.append((r1 + 1, c1 + 1, r2 + 1, c2 + 1))
            sheets.append(sheet)
    finally:
        book.close()
    return sheets


def _read_calamine(path: Path, wanted: set[str] | None) -> list[RawSheet]:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    sheets = []
    for name in _chosen(book.sheet_names, wanted):
        ws = book.get_sheet_by_name(name)
        sheet = RawSheet(name)
        for r, values in enumerate(ws.to_python(skip_empty_area=False), start=1):
            for c, value in enumerate(values, start=1):
                if value not in (None, ""):
                    sheet.cells[(r, c)] = RawCell(value)
                    sheet.max_row, sheet.max_column = max(sheet.max_row, r), max(sheet.max_column, c)
        for merged in ws.merged_cell_ranges or []:
            (r1, c1), (r2, c2) = merged
            sheet.merged.append((r1 + 1, c1 + 1, r2 + 1, c2 + 1))
        sheets.append(sheet)
    return sheets


def _read_csv(path: Path) -> list[RawSheet]:
    text = path.read_text(encoding="utf-8-sig")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    sheet = RawSheet(path.stem)
    for r, values in enumerate(csv.reader(text.splitlines(keepends=True) and _csv_lines(text), dialect), start=1):
        for c, value in enumerate(values, start=1):
            if value.strip():
                sheet.cells[(r, c)] = RawCell(value)
                sheet.max_row, sheet.max_column = max(sheet.max_row, r), max(sheet.max_column, c)
    return [sheet]


def _csv_lines(text: str):
    import io

    return io.StringIO(text, newline="")


# --- Importing -----------------------------------------------------------------------------------------------------

_TYPE, _STATEMENT, _SUBJECT, _PREDICATE, _OBJECT, _SOURCE = (
    ox.NamedNode(iri) for iri in (TYPE, RDF + "Statement", RDF + "subject", RDF + "predicate", RDF + "object", ROPA + "source"))


def coordinate(row: int, column: int) -> str:
    """"F12" for row 12, column 6."""
    return f"{get_column_letter(column)}{row}"


@dataclass
class Problem:
    sheet: str
    cell: str
    message: str

    def line(self, file: str) -> str:
        where = f"{self.sheet}!{self.cell}" if self.cell else self.sheet
        return f"{file}: {where}: {self.message}"


class WorkbookErrors(RopaError):
    """Every problem of a workbook, one line each (file: Sheet!F12: what was found; did you mean ...), and a count,
    all in the workbook's language ``lang``."""

    def __init__(self, file: str, problems: list[Problem], lang: str = "en"):
        self.problems = problems
        self.lang = lang
        self._lines = [p.line(file) for p in problems]
        count = len(problems)
        self._lines.append(Messages(lang)("import.problems." + ("one" if count == 1 else "other"), count=count, file=file))
        super().__init__("\n".join(self._lines))

    def lines(self) -> list[str]:
        return list(self._lines)

    def said_lines(self, phrase) -> list[str]:
        return list(self._lines)   # already in the workbook's language, whatever the command's

    def spoken_lines(self, phrase) -> list[tuple[str, bool]]:
        return [(line, True) for line in self._lines]


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", str(text)).strip().casefold()


@lru_cache(maxsize=None)
def _catalogues() -> dict[str, Messages]:
    return {lang: Messages(lang) for lang in LANGUAGES}


def _all_phrases(key: str) -> dict[str, str]:
    """The phrase of a key in each language."""
    return {lang: t(key) for lang, t in _catalogues().items()}


@dataclass
class _Entity:
    iri: str
    sheet: str
    row: int
    name: str


class Importer:
    """Turns the cells of a workbook into triples of a record, or collects every problem of the file."""

    def __init__(self, sheets: list[RawSheet], file_name: str, *, layout_name: str = "ropa",
                 namespace: str | None = None, graph: RecordGraph | None = None):
        self.sheets = sheets
        self.file = file_name
        self.layout = layout(layout_name)
        self.choices = Choices(layout("ropa"), graph)
        self.problems: list[Problem] = []
        self.triples: list[ox.Triple] = []
        self.predicates: dict[str, ox.NamedNode] = {}
        self.not_documented = {_normal(p) for p in _all_phrases("gap.not_documented").values()}
        self.period_prefixes = {_normal(t(f"period.{k}", text="")).rstrip(":").strip() for t in _catalogues().values()
                                for k in ("indeterminate", "statutory")}
        self.sheet_slugs: dict[str, str] = {}
        self.roles = {_normal(p): iri for key, iri in self.layout.roles.items() for p in _all_phrases(f"role.{key}").values()}
        self.types = {_normal(p): iri for key, iri in self.layout.types.items() for p in _all_phrases(f"type.{key}").values()}
        self.truth = {_normal(p): True for p in _all_phrases("value.yes").values()}
        self.truth |= {_normal(p): False for p in _all_phrases("value.no").values()}
        self.truth |= {"true": True, "false": False, "1": True, "0": False, "x": True}
        self.scopes = {_normal(p): iri for key, iri in self.layout.scopes.items() for p in _all_phrases(f"scope.{key}").values()}
        self.activity_names: dict[str, str | None] = {}   # an activity's name or key -> its IRI (None: two have it)
        self.activity_labels: list[str] = []   # the activities' names as written, for "did you mean"
        self.lang = self._language()
        self.choices.lang = self.lang
        self.t = _catalogues()[self.lang]   # every problem is said in the workbook's language
        self.namespace = namespace or self._namespace() or DEFAULT_NAMESPACE + slugify(Path(file_name).stem) + "/"
        self.document = ox.NamedNode(self.namespace + "workbook")
        self.quotes: dict[str, ox.NamedNode] = {}
        self.keys: set[str] = set()
        self.by_name: dict[str, _Entity] = {}
        self.by_key: dict[str, _Entity] = {}
        self.storage: dict[str, ox.NamedNode] = {}
        self.transfers: set[str] = set()
        self.periods: dict[str, Period] = {}
        self.groups: set[str] = set()
        self.organisation_roles: dict[str, set[str]] = defaultdict(set)
        self.countries: dict = {}   # node -> the IRI of the country its row names (dpv:hasCountry)
        self.agreements: dict[str, list[ox.NamedNode]] = defaultdict(list)   # an agreement's words -> its nodes
        self.authorising: list[tuple] = []   # (party, the agreement's words, source): resolved once every row is read
        self.party_agreements: list[tuple] = []   # (party, agreement) of the parties' sheets
        self.activities_sheet = ""
        words = "|".join(re.escape(t("value.authorising_agreement", name="\x00").split("\x00")[0].rstrip(" :"))
                         for t in _catalogues().values())
        self.agreement_line = re.compile(rf"^\s*(?:{words})\s*:\s*(\S.*?)\s*$", re.IGNORECASE | re.DOTALL)

    # -- workbook-level settings

    def _instructions(self) -> RawSheet | None:
        titles = {_normal(sheet_title(p)) for p in _all_phrases("sheet.instructions").values()}
        return next((s for s in self.sheets if _normal(s.name) in titles), None)

    def _setting(self, key: str) -> str | None:
        sheet = self._instructions()
        if sheet is None:
            return None
        labels = {_normal(p) for p in _all_phrases(key).values()}
        for (r, c), cell in sheet.cells.items():
            if c == 1 and _normal(cell.value) in labels:
                value = sheet.cells.get((r, 2))
                return str(value.value).strip() if value and value.value is not None else None
        return None

    def _language(self) -> str:
        lang = self._setting("template.language")
        if lang in LANGUAGES:
            return lang
        scores = {lang: 0 for lang in LANGUAGES}
        for lang, t in _catalogues().items():
            headers = {_normal(t(c.header)) for s in self.layout.sheets for c in s.columns}
            for sheet in self.sheets:
                scores[lang] += sum(1 for (r, _), cell in sheet.cells.items() if r == 1 and _normal(cell.value) in headers)
        return max(LANGUAGES, key=lambda lang: (scores[lang], lang == "en"))

    def _namespace(self) -> str | None:
        value = self._setting("template.namespace")
        if value and re.match(r"^https?://\S+[/#]$", value):
            return value
        if value:
            self.problems.append(Problem(self._instructions().name, "B", self.say("namespace", value=value)))
        return None

    # -- sheets and headers

    def _find(self, spec: SheetSpec) -> RawSheet | None:
        titles = {_normal(sheet_title(p)) for p in _all_phrases(spec.title).values()} | {spec.key}
        found = next((s for s in self.sheets if _normal(s.name) in titles), None)
        if found is None and spec.key == "activities":
            others = [s for s in self.sheets if s is not self._instructions()]
            if len(others) == 1:
                return others[0]
        return found

    def _columns(self, spec: SheetSpec, sheet: RawSheet) -> dict[int, Column]:
        names: dict[str, Column] = {}
        for column in spec.columns:
            for phrase in [*_all_phrases(column.header).values(), *self.layout.former.get(column.header, ())]:
                names[_normal(phrase)] = column
            names[column.key] = column
        found: dict[int, Column] = {}
        for (r, c), cell in sorted(sheet.cells.items()):
            if r != 1:
                continue
            where = coordinate(1, c)
            if cell.formula:
                self.problems.append(Problem(sheet.name, where, self.say("header_formula", value=cell.value)))
                continue
            column = names.get(_normal(cell.value))
            if column is None:
                if any(cell_r > 1 and cell_c == c for (cell_r, cell_c) in sheet.cells):
                    near = difflib.get_close_matches(_normal(cell.value), [_normal(self.t(col.header)) for col in spec.columns], n=1)
                    hint = self._did_you_mean([self._header(near[0], spec)] if near else [])
                    self.problems.append(Problem(sheet.name, where, self.say("unknown_column", value=cell.value, hint=hint)))
                continue
            if column in found.values():
                self.problems.append(Problem(sheet.name, where, self.say("column_twice", value=cell.value)))
                continue
            found[c] = column
        headed = {c for (r, c) in sheet.cells if r == 1}
        for (r, c), cell in sorted(sheet.cells.items(), key=lambda item: (item[0][1], item[0][0])):
            if r > 1 and c not in headed and str(cell.value).strip():
                self.problems.append(Problem(sheet.name, coordinate(r, c), self.say("no_header", value=cell.value)))
                headed.add(c)
        for column in spec.columns:
            if column.required and column not in found.values():
                self.problems.append(Problem(sheet.name, "1:1", self.say("missing_column", column=self.t(column.header))))
        return found

    def _header(self, normal: str, spec: SheetSpec) -> str:
        return next((self.t(c.header) for c in spec.columns if _normal(self.t(c.header)) == normal), normal)

    # -- provenance

    def quote(self, sheet: RawSheet, row: int, column: int, text: str) -> ox.NamedNode:
        where = f"{sheet.name}!{coordinate(row, column)}"
        node = self.quotes.get(where)
        if node is None:
            if sheet.name not in self.sheet_slugs:
                self.sheet_slugs[sheet.name] = slugify(sheet.name)
            node = ox.NamedNode(f"{self.namespace}cell-{self.sheet_slugs[sheet.name]}-{coordinate(row, column)}")
            self.quotes[where] = node
            self.add(node, TYPE, ox.NamedNode(ROPA + "Quote"))
            self.add(node, ROPA + "inDocument", self.document)
            self.add(node, ROPA + "section", ox.Literal(where))
            self.add(node, ROPA + "quote", ox.Literal(text))
        return node

    def add(self, subject, predicate: str, obj) -> None:
        node = self.predicates.get(predicate)
        if node is None:
            node = self.predicates[predicate] = ox.NamedNode(predicate)
        self.triples.append(ox.Triple(subject, node, obj))

    def fact(self, subject, predicate: str, obj, source: ox.NamedNode) -> None:
        """A fact and the rdf:Statement that traces it to its cell."""
        node = self.predicates.get(predicate)
        if node is None:
            node = self.predicates[predicate] = ox.NamedNode(predicate)
        if predicate == DPV + "hasCountry" and isinstance(obj, ox.NamedNode):
            self.countries[subject] = obj.value
        statement = ox.BlankNode()
        self.triples += (ox.Triple(subject, node, obj), ox.Triple(statement, _TYPE, _STATEMENT),
                         ox.Triple(statement, _SUBJECT, subject), ox.Triple(statement, _PREDICATE, node),
                         ox.Triple(statement, _OBJECT, obj), ox.Triple(statement, _SOURCE, source))

    # -- the run

    def run(self) -> list[ox.Triple]:
        found = {spec.key: self._find(spec) for spec in self.layout.sheets}
        if found["activities"] is not None:
            self.activities_sheet = found["activities"].name
        if found["activities"] is None:
            titles = " / ".join(dict.fromkeys(sheet_title(p) for p in _all_phrases(self.layout.sheet("activities").title).values()))
            raise WorkbookErrors(self.file, [Problem(titles, "", self.say("no_activities"))], self.lang)
        columns = {key: self._columns(self.layout.sheet(key), sheet) for key, sheet in found.items() if sheet is not None}
        for sheet in found.values():
            if sheet is not None:
                self._merged(sheet)
        rows = {key: self._rows(sheet) for key, sheet in found.items() if sheet is not None}
        for key in ("organisations", "parties"):
            if key in rows:
                for row in rows[key]:
                    self._entity(found[key], columns[key], row, key)
        self._implicit_organisations(found["activities"], columns["activities"], rows["activities"])
        activities = []
        name_column = self._cell_of(columns["activities"], "name")
        for row in rows["activities"]:
            iri = self._mint(self._key(found["activities"], columns["activities"], row, "activities"))
            activities.append((iri, row))
            names = {local_key(iri, self.namespace), iri}
            if name_column and self._text(found["activities"], row, name_column):
                names.add(self._text(found["activities"], row, name_column))
                self.activity_labels.append(self._text(found["activities"], row, name_column))
            for name in filter(None, names):
                known = self.activity_names.get(name.casefold(), iri)
                self.activity_names[name.casefold()] = iri if known == iri else None
        for key in ("organisations", "parties"):
            if key in rows:
                for row in rows[key]:
                    entity = self._entity_of_row(found[key], row)
                    if entity is not None:
                        self._fill(found[key], columns[key], row, ox.NamedNode(entity.iri), key)
        for iri, row in activities:
            self._fill(found["activities"], columns["activities"], row, ox.NamedNode(iri), "activities")
        if found.get("engagements") is not None:
            sheet, cells = found["engagements"], columns["engagements"]
            for row in rows["engagements"]:
                iri = self._mint(self._key(sheet, cells, row, "engagement"))
                self._fill(sheet, cells, row, ox.NamedNode(iri), "engagements")
        self._type_organisations()
        self._transfer_parties()
        self._authorising_agreements()
        self._type_party_agreements()
        if self.problems:
            raise WorkbookErrors(self.file, self.problems, self.lang)
        self.add(self.document, TYPE, ox.NamedNode(ROPA + "SourceDocument"))
        self.add(self.document, ROPA + "fileName", ox.Literal(Path(self.file).name))
        self.add(self.document, LABEL, ox.Literal(self.t("import.workbook", name=Path(self.file).name), language=self.lang))
        return self.triples

    def _merged(self, sheet: RawSheet) -> None:
        for r1, c1, r2, c2 in sheet.merged:
            if r2 >= 2 and (r1 != r2 or c1 != c2):
                span = f"{coordinate(r1, c1)}:{coordinate(r2, c2)}"
                self.problems.append(Problem(sheet.name, span, self.say("merged")))

    def _rows(self, sheet: RawSheet) -> list[int]:
        return sorted({r for (r, _), cell in sheet.cells.items() if r > 1 and str(cell.value).strip()})

    def _text(self, sheet: RawSheet, row: int, column: int) -> str:
        cell = sheet.cells.get((row, column))
        if cell is None or cell.value is None:
            return ""
        value = cell.value
        if isinstance(value, dt.datetime):
            return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value).strip()

    def _cell_of(self, columns: dict[int, Column], key: str) -> int | None:
        return next((c for c, column in columns.items() if column.key == key or column.target == key), None)

    def _key(self, sheet: RawSheet, columns: dict[int, Column], row: int, kind: str) -> str:
        key_column = self._cell_of(columns, "id")
        name_column = self._cell_of(columns, "name")
        key = self._text(sheet, row, key_column) if key_column else ""
        if key:
            if not re.fullmatch(r"[A-Za-z0-9._:/#-]+", key):
                self.problems.append(Problem(sheet.name, coordinate(row, key_column), self.say("key_characters", key=key)))
            elif key in self.keys:
                self.problems.append(Problem(sheet.name, coordinate(row, key_column), self.say("key_twice", key=key)))
            self.keys.add(key)
            return key
        name = self._text(sheet, row, name_column) if name_column else ""
        base = slugify(name) if name else f"{kind}-{row}"
        key, n = base, 1
        while key in self.keys:
            n += 1
            key = f"{base}-{n}"
        self.keys.add(key)
        return key

    def _mint(self, key: str) -> str:
        """A row's key as an IRI: a full IRI or prefixed name as it says, else a name in the workbook's namespace."""
        return expand(key) or self.namespace + key

    def _entity(self, sheet: RawSheet, columns: dict[int, Column], row: int, kind: str) -> None:
        iri = self._mint(self._key(sheet, columns, row, kind))
        name_column = self._cell_of(columns, "name")
        name = self._text(sheet, row, name_column) if name_column else ""
        entity = _Entity(iri, sheet.name, row, name)
        if kind == "organisations":
            self._organisation_iris.add(iri)
        self.by_key[iri] = entity
        self.by_key[local_key(iri, self.namespace).casefold()] = entity
        if name:
            if name.casefold() in self.by_name:
                first = self.by_name[name.casefold()]
                self.problems.append(Problem(sheet.name, coordinate(row, name_column),
                                             self.say("name_twice", name=name, sheet=first.sheet, row=first.row)))
            else:
                self.by_name[name.casefold()] = entity
        self._row_entity[(sheet.name, row)] = entity

    @cached_property
    def _organisation_iris(self) -> set[str]:
        return set()

    @cached_property
    def _row_entity(self) -> dict[tuple[str, int], _Entity]:
        return {}

    def _entity_of_row(self, sheet: RawSheet, row: int) -> _Entity | None:
        return self._row_entity.get((sheet.name, row))

    def _implicit_organisations(self, sheet: RawSheet, columns: dict[int, Column], rows: list[int]) -> None:
        """Without an organisations sheet (a CSV file, an ICO sheet), the organisation column names them."""
        if any(e.sheet != sheet.name for e in self.by_name.values() if e.iri in self._organisation_iris):
            return
        column = self._cell_of(columns, "organisation")
        for row in rows:
            name = self._text(sheet, row, column) if column else ""
            if name and name.casefold() not in self.by_name:
                key = slugify(name)
                self.keys.add(key)
                entity = _Entity(self._mint(key), sheet.name, row, name)
                self.by_name[name.casefold()] = entity
                self._organisation_iris.add(entity.iri)
                node = ox.NamedNode(entity.iri)
                source = self.quote(sheet, row, column, name)
                self.add(node, TYPE, ox.NamedNode(DPV + "LegalEntity"))
                self.fact(node, LABEL, ox.Literal(name, language=self.lang), source)
                self.add(node, ROPA + "source", source)

    # -- cells into facts

    def _fill(self, sheet: RawSheet, columns: dict[int, Column], row: int, node: ox.NamedNode, kind: str) -> None:
        if kind == "activities":
            self.add(node, TYPE, ox.NamedNode(DPV + "Process"))
        organisation_cell = role_source = None
        for c, column in sorted(columns.items()):
            cell = sheet.cells.get((row, c))
            if cell is None or column.type in ("key", "none"):
                continue
            where = coordinate(row, c)
            if cell.formula:
                self.problems.append(Problem(sheet.name, where, self.say("value_formula", value=cell.value)))
                continue
            text = self._text(sheet, row, c)
            if not text or (len(text) < 40 and _normal(text) in self.not_documented):
                continue
            source = self.quote(sheet, row, c, text)
            subject = node
            if column.target.startswith("organisation."):
                if organisation_cell is None:
                    continue
                subject = organisation_cell
            if column.type == "label":
                self.add(node, ROPA + "source", source)
            self._cell(sheet, where, column, subject, text, source, cell.value)
            if column.key == "organisation" or column.target == "organisation":
                organisation_cell = self._party(text, column, sheet, where, quiet=True)
            if column.type == "role":
                role_source = source
        self._own_controller(sheet, columns, row, node, organisation_cell, role_source)
        self._name_is_registered_name(sheet, columns, row, node)
        if kind == "organisations":
            self.add(node, TYPE, ox.NamedNode(DPV + "LegalEntity"))
        if kind == "engagements":
            self.add(node, TYPE, ox.NamedNode(ROPA + "Engagement"))
        role = self._cell_of(columns, "role")
        if kind == "activities" and organisation_cell is not None and role is not None:
            iri = self.roles.get(_normal(self._text(sheet, row, role)))
            if iri is not None:
                self.organisation_roles[organisation_cell.value].add(iri)

    def _name_is_registered_name(self, sheet: RawSheet, columns: dict[int, Column], row: int, node) -> None:
        """A party whose registered name is left empty goes by the name it is listed under (Art. 30(1)(a) asks for
        the name, and most workbooks have one name column only)."""
        name, registered = self._cell_of(columns, "name"), self._cell_of(columns, "legal_name")
        if name is None or registered is None or self._text(sheet, row, registered):
            return
        text = self._text(sheet, row, name)
        if text and not (len(text) < 40 and _normal(text) in self.not_documented):
            self.fact(node, DPV + "hasName", ox.Literal(text), self.quote(sheet, row, name, text))

    def _type_organisations(self) -> None:
        """An organisation is a controller or a processor by the roles of the activities it records."""
        kinds = {self.layout.roles["controller"]: DPV + "DataController", self.layout.roles["processor"]: DPV + "DataProcessor"}
        for organisation, roles in self.organisation_roles.items():
            for role in sorted(roles):
                self.add(ox.NamedNode(organisation), TYPE, ox.NamedNode(kinds[role]))

    def _own_controller(self, sheet: RawSheet, columns: dict[int, Column], row: int, node, organisation, source) -> None:
        """A controller activity with no controller named is the recording organisation's own (Art. 30(1): each
        controller keeps the record of the processing under its responsibility); the role cell is its source."""
        controllers = self._cell_of(columns, "controllers")
        role = self._cell_of(columns, "role")
        if organisation is None or source is None or role is None:
            return
        if controllers is not None and self._text(sheet, row, controllers):
            return
        if _normal(self._text(sheet, row, role)) in {k for k, v in self.roles.items() if v == self.layout.roles["controller"]}:
            self.fact(node, DPV + "hasDataController", organisation, source)

    @staticmethod
    def _chosen(text: str, phrases: dict[str, str]) -> str | None:
        """The IRI a cell of a closed list (a role, a scope) names: one of its phrases in any language, or the IRI."""
        iri = phrases.get(_normal(text))
        if iri is None and expand(text) in phrases.values():
            iri = expand(text)
        return iri

    def _choices(self, catalogue: str, keys) -> str:
        """A closed list's phrases in the workbook's language, for an error: 'Controller' or 'Processor'."""
        return self._either([self.t(f"{catalogue}.{key}") for key in keys])

    def say(self, key: str, **values) -> str:
        """A problem of the workbook in its language (``import.problem.<problem>``), so that the sentence, the names
        of the choices and the "did you mean" read in one language."""
        return self.t(f"import.problem.{key}", **values)

    def _quoted(self, text: str) -> str:
        return self.t("import.quoted", text=text)

    def _either(self, names) -> str:
        """'a', 'b' or 'c', quoted and joined as the workbook's language does."""
        quoted = [self._quoted(n) for n in names]
        if len(quoted) < 2:
            return "".join(quoted)
        return self.t("import.either", first=", ".join(quoted[:-1]), last=quoted[-1])

    def _did_you_mean(self, near) -> str:
        """The "did you mean" tail of a problem line in the workbook's language, empty when nothing is near."""
        return self.t("import.did_you_mean", names=", ".join(self._quoted(n) for n in near)) if near else ""

    def _named_once(self, node: ox.NamedNode, kind: str, words: str, source) -> None:
        """A node the workbook names in words only (a group, an agreement): typed, labelled and traced to its first
        cell once, however many rows name it."""
        if node.value not in self.groups:
            self.groups.add(node.value)
            self.add(node, TYPE, ox.NamedNode(kind))
            self.add(node, LABEL, ox.Literal(words, language=self.lang))
            self.add(node, ROPA + "source", source)

    def _transfer_parties(self) -> None:
        """Who sends and who receives each transfer a row names (Art. 44): the row's organisation exports; the
        processors and service providers of that row that keep the data in the transfer's country import, else
        (none keeps them there) those based in that country, which reach the data from there (remote access). A
        spreadsheet writes only 'country: basis', but the EU-US Data Privacy Framework covers only certified
        importers (Art. 45(3)), and a provider outside the EEA needs a transfer to it documented."""
        objects: dict[tuple[str, str], list] = defaultdict(list)
        for triple in self.triples:
            if isinstance(triple.subject, ox.NamedNode):
                objects[(triple.subject.value, triple.predicate.value)].append(triple.object)
        holders = [(s, p) for (s, p) in objects if p == ROPA + "hasTransfer"]
        for holder, _ in holders:
            keeper = objects.get((holder, ROPA + "recordedBy"), [ox.NamedNode(holder)])[0]
            providers = {o for p in (DPV + "hasDataProcessor", ROPA + "usesServiceProvider")
                         for o in objects.get((holder, p), []) if o != keeper}
            for transfer in objects[(holder, ROPA + "hasTransfer")]:
                source = objects.get((transfer.value, ROPA + "source"), [None])[0]
                if source is None:
                    continue
                if (transfer.value, DPV + "hasDataExporter") not in objects:
                    self.fact(transfer, DPV + "hasDataExporter", keeper, source)
                    objects[(transfer.value, DPV + "hasDataExporter")].append(keeper)
                countries = set(objects.get((transfer.value, DPV + "hasThirdCountry"), []))
                importers = set(objects.get((transfer.value, DPV + "hasDataImporter"), []))
                candidates = sorted(providers - importers, key=lambda n: n.value)
                found = [p for p in candidates if countries & set(self._data_places(objects, p))]
                if not found and not importers:   # no provider keeps the data there: one based there reaches them
                    found = [p for p in candidates
                             if countries & {*objects.get((p.value, ROPA + "headquarteredIn"), []),
                                             *objects.get((p.value, DPV + "hasCountry"), [])}]
                for provider in found:
                    self.fact(transfer, DPV + "hasDataImporter", provider, source)
                    objects[(transfer.value, DPV + "hasDataImporter")].append(provider)

    @staticmethod
    def _data_places(objects, provider) -> list:
        """Where a provider keeps the data: its data location, else where it is based or established."""
        return next((objects[(provider.value, p)] for p in (DPV + "hasLocation", ROPA + "headquarteredIn", DPV + "hasCountry")
                     if (provider.value, p) in objects), [])

    def _authority_in_country(self, text: str, node) -> str | None:
        """The one authority of the row's country that a name several authorities share names ("CNPD" in a
        Luxembourg row is Luxembourg's, not Portugal's). DPV puts each country's authority in the legal namespace of
        that country (legal-lu:DPA-LU)."""
        country = self.countries.get(node)
        if country is None:
            return None
        namespace = f"https://w3id.org/dpv/legal/{country.rsplit('#', 1)[-1].lower()}#"
        found = [t.iri for t in self.choices.vocabulary.named(text) if t.iri.startswith(namespace)]
        return found[0] if len(found) == 1 else None

    def _values(self, text: str, column: Column) -> list[str]:
        if column.type == "authorisation":   # names split at ';' too, an agreement's words only at a line break
            lines = [v for v in (part.strip() for part in LINES.split(text)) if v]
            return [v for line in lines for v in ([line] if self._agreement_words(line) else SPLIT.split(line)) if v]
        if column.type == "note":
            return [v for v in (part.strip() for part in PARAGRAPHS.split(text)) if v]
        pattern = LINES if column.type in ("text", "retention", "transfers", "agreement", "group", "assessment") else SPLIT
        values = [v for v in (part.strip() for part in pattern.split(text)) if v]
        return values

    def _agreement_words(self, text: str) -> str | None:
        """The words of an agreement an authorisation cell names ("Agreement: General terms, clause 9"), or None."""
        found = self.agreement_line.match(text)
        return found.group(1) if found else None

    def _type_party_agreements(self) -> None:
        """A party's agreement is a sub-processor agreement when a row names the party as a sub-processor (Art. 28(4):
        the processor binds it to the same obligations), else the controller-processor agreement of Art. 28(3)."""
        if not self.party_agreements:
            return
        objects: dict[tuple, list] = defaultdict(list)
        for x in self.triples:
            objects[(x.subject, x.predicate.value)].append(x.object)
        processing = {s for (s, p), values in objects.items() if p == ROPA + "role"
                      and ox.NamedNode(self.layout.roles["processor"]) in values}
        processors = {o for s in processing for o in objects.get((s, ROPA + "recordedBy"), [])}
        sub_processors = {x.object for x in self.triples if x.predicate.value == ROPA + "hasSubProcessor"}
        for (engagement, p), providers in list(objects.items()):
            if p != ROPA + "provider":
                continue
            scopes = {o.value for o in objects.get((engagement, ROPA + "engagementScope"), [])}
            serves = set(objects.get((engagement, ROPA + "serves"), []))
            by = set(objects.get((engagement, ROPA + "engagedBy"), []))
            # an entry of a processor's sub-processor list: for its processor services (Art. 28(2))
            if (serves & processing or self.layout.scopes["processor"] in scopes
                    or (self.layout.scopes["all"] in scopes and by & processors)):
                sub_processors.update(providers)
        for party, agreement in self.party_agreements:
            kind = "SubProcessorAgreement" if party in sub_processors else "ControllerProcessorAgreement"
            self.add(agreement, TYPE, ox.NamedNode(DPV + kind))

    def _authorising_agreements(self) -> None:
        """A sub-processor authorised by an agreement (Art. 28(2): a general written authorisation): the agreement of
        those words a row of the workbook names, else an agreement of its own."""
        for party, words, source in self.authorising:
            nodes = self.agreements.get(_normal(words))
            if not nodes:
                node = ox.NamedNode(f"{party.value}-authorisation-{slugify(words)}")
                self._named_once(node, DPV + "ControllerProcessorAgreement", words, source)
                nodes = [node]
            for node in nodes:
                self.fact(party, ROPA + "authorisedBy", node, source)

    def _cell(self, sheet: RawSheet, where: str, column: Column, node, text: str, source, raw) -> None:
        problem = lambda message: self.problems.append(Problem(sheet.name, where, message))  # noqa: E731
        values = self._values(text, column)
        if column.single and len(values) > 1 and column.type not in ("label", "text"):
            problem(self.say("one_value", count=len(values), text=text))
            return
        kind = column.type
        if kind == "label":
            self.fact(node, column.property, ox.Literal(text, language=self.lang), source)
        elif kind in ("text", "note"):
            for value in values:
                self.fact(node, column.property, ox.Literal(value), source)
        elif kind == "terms":
            for value in values:
                iri = self.choices.resolve(value, column)
                if iri is None and column.property == DPV + "hasAuthority":
                    iri = self._authority_in_country(value, node)
                if iri is None:
                    problem(self._unknown(value, column))
                else:
                    self.fact(node, column.writes or column.property, ox.NamedNode(iri), source)
        elif kind == "party":
            for value in values:
                target = self._party(value, column, sheet, where)
                if target is not None:
                    self.fact(node, column.property, target, source)
        elif kind == "joint":
            members = [m for m in (self._party(v, column, sheet, where) for v in values) if m is not None]
            if members:
                group = self._joint_group(node, source)
                for member in members:
                    self.fact(group, DPV + "hasDataController", member, source)
        elif kind == "role":
            iri = self._chosen(text, self.roles)
            if iri is None:
                problem(self.say("unknown_role", text=text, choices=self._choices('role', self.layout.roles)))
            else:
                self.fact(node, column.property, ox.NamedNode(iri), source)
        elif kind == "types":
            types = self.types
            for value in values:
                iri = types.get(_normal(value))
                if iri is None:
                    near = difflib.get_close_matches(value, [self.t(f"type.{k}") for k in self.layout.types], n=3, cutoff=0.5)
                    problem(self.say("unknown_type", value=value, hint=self._did_you_mean(near)))
                else:
                    self.fact(node, TYPE, ox.NamedNode(iri), source)
        elif kind == "bool":
            truth = self.truth
            if isinstance(raw, bool):
                value = raw
            elif _normal(text) in truth:
                value = truth[_normal(text)]
            else:
                problem(self.say("not_yes_no", text=text, yes=self.t("value.yes"), no=self.t("value.no")))
                return
            self.fact(node, column.property, ox.Literal("true" if value else "false", datatype=ox.NamedNode(XSD + "boolean")), source)
        elif kind == "date":
            if isinstance(raw, (dt.date, dt.datetime)):
                day = raw.date() if isinstance(raw, dt.datetime) else raw
            else:
                day = read_date(text)
                if day is None:
                    problem(self.say("bad_date", text=text))
                    return
            self.fact(node, column.property, ox.Literal(day.isoformat(), datatype=ox.NamedNode(XSD + "date")), source)
        elif kind == "duration":
            value = duration_of(text)
            if value is None:
                examples = self._either([format_duration_words(p, self.t) for p in ("P1M", "P30D")])
                problem(self.say("bad_duration", text=text, examples=examples))
                return
            self.fact(node, column.property, ox.Literal(value, datatype=ox.NamedNode(XSD + "duration")), source)
        elif kind in ("agreement", "joint_agreement"):
            holder, agreement_type = node, DPV + "ControllerProcessorAgreement"
            if kind == "joint_agreement":
                holder, agreement_type = self._joint_group(node, source), DPV + "JointDataControllersAgreement"
            for value in values:
                agreement = ox.NamedNode(f"{holder.value}-agreement-{slugify(value)}")
                if kind == "agreement" and sheet.name != self.activities_sheet:
                    self.party_agreements.append((holder, agreement))   # typed once the sub-processors are known
                else:
                    self.add(agreement, TYPE, ox.NamedNode(agreement_type))
                self.add(agreement, LABEL, ox.Literal(value, language=self.lang))
                self.add(agreement, ROPA + "source", source)
                self.fact(holder, column.property, agreement, source)
                if agreement not in self.agreements[_normal(value)]:
                    self.agreements[_normal(value)].append(agreement)
        elif kind == "activity":
            for value in values:
                iri = self.activity_names.get(value.casefold()) or self.activity_names.get(self._mint(value).casefold())
                if iri is None:
                    sheet_name = sheet_title(self.t("sheet.activities"))
                    twice = value.casefold() in self.activity_names
                    near = difflib.get_close_matches(value, self.activity_labels, n=3, cutoff=0.6)
                    problem(self.say("activity_twice", sheet=sheet_name, value=value) if twice
                            else self.say("unknown_activity", value=value, sheet=sheet_name, hint=self._did_you_mean(near)))
                else:
                    self.fact(node, column.property, ox.NamedNode(iri), source)
        elif kind == "scope":
            iri = self._chosen(text, self.scopes)
            if iri is None:
                problem(self.say("unknown_scope", text=text, choices=self._choices('scope', self.layout.scopes)))
            else:
                self.fact(node, column.property, ox.NamedNode(iri), source)
        elif kind == "authorisation":
            for value in values:
                words = self._agreement_words(value)
                if words is not None:
                    self.authorising.append((node, words, source))
                    continue
                target = self._party(value, column, sheet, where)
                if target is not None:
                    self.fact(node, column.property, target, source)
        elif kind == "group":
            for value in values:
                group = ox.NamedNode(f"{self.namespace}group-{slugify(value)}")
                self._named_once(group, ROPA + "CorporateGroup", value, source)
                self.fact(node, column.property, group, source)
        elif kind == "assessment":
            kind_name = slugify(column.node_type.rsplit("#", 1)[-1])
            for value in values:
                assessment = ox.NamedNode(f"{node.value}-{kind_name}-{slugify(value)}")
                self.add(assessment, TYPE, ox.NamedNode(column.node_type))
                self.add(assessment, LABEL, ox.Literal(value, language=self.lang))
                self.add(assessment, ROPA + "source", source)
                self.fact(node, column.property, assessment, source)
        elif kind == "retention":
            for value in values:
                self._retention(node, column, value, source, problem)
        elif kind == "transfers":
            for value in values:
                self._transfer(node, column, value, source, problem)
        else:
            raise RopaError(f"unknown column type '{kind}' in reports/workbook/layouts.json")

    def _joint_group(self, node: ox.NamedNode, source) -> ox.NamedNode:
        """The activity's dpv:JointDataControllers node (Art. 26): its members and arrangement come from two cells."""
        group = ox.NamedNode(f"{node.value}-joint-controllers")
        if group.value not in self.groups:
            self.groups.add(group.value)
            self.add(group, TYPE, ox.NamedNode(DPV + "JointDataControllers"))
            self.add(group, ROPA + "source", source)
            self.fact(node, DPV + "hasJointDataControllers", group, source)
        return group

    def _unknown(self, value: str, column: Column) -> str:
        near = self.choices.suggest(value, column, self.lang)
        return self.say("unknown_term", value=value, what=self.t(column.header), hint=self._did_you_mean(near))

    def _resolved(self, value: str, column: Column, what: str, problem) -> str | None:
        """The IRI of the term the value names in the column, or None after reporting the value as unknown."""
        iri = self.choices.resolve(value, column)
        if iri is None:
            problem(self.say(f"unknown_{what}", value=value, hint=self._did_you_mean(self.choices.suggest(value, column, self.lang))))
        return iri

    def _party(self, value: str, column: Column, sheet: RawSheet, where: str, quiet: bool = False):
        entity = self.by_name.get(value.casefold()) or self.by_key.get(value.casefold()) or self.by_key.get(self._mint(value))
        if entity is not None:
            return ox.NamedNode(entity.iri)
        if column.kind or column.list:
            iri = self.choices.resolve(value, column)
            if iri is not None:
                return ox.NamedNode(iri)
        if quiet:
            return None
        names = [e.name for e in self.by_name.values()]
        near = difflib.get_close_matches(value, names, n=3, cutoff=0.6)
        if column.kind or column.list:
            near += self.choices.suggest(value, column, self.lang)
        parties = sheet_title(self.t("sheet.parties"))
        self.problems.append(Problem(sheet.name, where, self.say("unknown_party", value=value, organisations=sheet_title(self.t('sheet.organisations')),
                                                                 parties=parties, hint=self._did_you_mean(near[:3]))))
        return None

    def _retention(self, node, column: Column, text: str, source, problem) -> None:
        data: list[str] = []
        period_text = text
        head, separator, tail = _colon(text)
        if separator and _normal(head) not in self.period_prefixes and tail.strip():
            period_text = tail.strip()
            for item in (part.strip() for part in head.split(",")):
                iri = self.choices.resolve(item, Column("", "", "terms", kind="data")) or \
                    self.choices.resolve(item, Column("", "", "terms", kind="purpose"))
                if iri is None:
                    problem(self._unknown(item, Column("data", "col.personal_data", "terms", kind="data")))
                    return
                data.append(iri)
        try:
            if period_text not in self.periods:
                self.periods[period_text] = parse_period(period_text, self.choices.event, list(_catalogues().values()))
            period = self.periods[period_text]
        except PeriodError as error:
            events = ""
            if error.key == "unknown_event":
                names = sorted({t.label(self.lang) for t in self.choices.vocabulary.terms("event")}, key=str.casefold)
                events = self.say("events", names=", ".join(self._quoted(n) for n in names))
            problem(self.say("write_for_example", problem=self.say(error.key, text=error.text) + events,
                             examples=self.t("import.retention_examples")))
            return
        key = _normal(text)
        storage = ox.NamedNode(f"{self.namespace}retention-{hashlib.sha1(repr(key).encode()).hexdigest()[:12]}")
        if key not in self.storage:
            self.storage[key] = storage
            self.add(storage, TYPE, ox.NamedNode(DPV + "StorageDuration"))
            self.add(storage, ROPA + "source", source)
            duration = ox.BlankNode()
            self.add(storage, DPV + "hasDuration", duration)
            for iri in data:
                vocabulary_term = self.choices.vocabulary.get(iri)
                prop = ROPA + ("appliesToPurpose" if vocabulary_term and "purpose" in self.choices.vocabulary._kinds.get(iri, ()) and
                               self.choices.resolve(iri, Column("", "", "terms", kind="data")) is None else "appliesToData")
                self.add(storage, prop, ox.NamedNode(iri))
            self._duration(duration, period)
        self.fact(node, column.property, storage, source)

    def _duration(self, node, period: Period) -> None:
        duration = lambda text: ox.Literal(text, datatype=ox.NamedNode(XSD + "duration"))  # noqa: E731
        if period.kind == "fixed":
            self.add(node, TYPE, ox.NamedNode(DPV + "TemporalDuration"))
            self.add(node, RDF + "value", duration(period.duration))
        elif period.kind == "range":
            self.add(node, TYPE, ox.NamedNode(DPV + "TemporalDuration"))
            self.add(node, ROPA + "minimumDuration", duration(period.low))
            self.add(node, ROPA + "maximumDuration", duration(period.high))
        elif period.kind == "event":
            self.add(node, TYPE, ox.NamedNode(DPV + "UntilEventDuration"))
            self.add(node, ROPA + "untilEvent", ox.NamedNode(period.event))
            # "until the event" is erasure at the event: a period of zero after it (an event alone states no limit)
            self.add(node, ROPA + "afterEvent", duration(period.duration or "P0D"))
        else:
            self.add(node, TYPE, ox.NamedNode(DPV + "IndeterminateDuration" if period.kind == "indeterminate" else ROPA + "StatutoryDuration"))
            self.add(node, ROPA + "statedAs", ox.Literal(period.text))

    def _transfer(self, node, column: Column, text: str, source, problem) -> None:
        place_text, separator, bases_text = _colon(text)
        if not separator:
            place_text, bases_text = text, ""
        countries, regions, bases = [], [], []
        outside = {lang: t("transfer.outside", region="\x00").split("\x00") for lang, t in _catalogues().items()}
        access = {lang: t("transfer.access", country="\x00").split("\x00") for lang, t in _catalogues().items()}
        accessed = []
        country_column = Column("country", "col.country", "terms", kind="country")
        for place in (p.strip() for p in place_text.split(",") if p.strip()):
            reached = _between(place, access.values())
            if reached is not None:   # "India (remote access)": the importer reaches the data from there
                iri = self._resolved(reached, country_column, "country", problem)
                if iri is not None:
                    countries.append(iri)
                    accessed.append(iri)
                continue
            region = None
            for before, after in outside.values():
                if place.casefold().startswith(before.strip().casefold()) and place.casefold().endswith(after.strip().casefold()):
                    region = place[len(before.strip()):len(place) - len(after.strip()) if after.strip() else None].strip()
            if region is not None:
                term = self.choices.vocabulary.resolve(region)
                if term is None:
                    problem(self.say("unknown_region", region=region))
                else:
                    regions.append(term.iri)
                continue
            iri = self._resolved(place, country_column, "country", problem)
            if iri is not None:
                countries.append(iri)
        basis_column = Column("basis", "list.transfer-basis", "terms", kind="transfer-basis")
        for basis in (b.strip() for b in re.split(r"\s*,\s*(?![^()]*\))", bases_text) if b.strip()):
            iri = self._resolved(basis, basis_column, "transfer_basis", problem)
            if iri is not None:
                bases.append(iri)
        transfer = ox.NamedNode(f"{self.namespace}transfer-{hashlib.sha1(_normal(text).encode()).hexdigest()[:12]}")
        self.fact(node, column.property, transfer, source)
        if transfer.value in self.transfers:
            return
        self.transfers.add(transfer.value)
        self.add(transfer, TYPE, ox.NamedNode(DPV + "CrossBorderTransfer"))
        self.add(transfer, LABEL, ox.Literal(" ".join(text.split()), language=self.lang))   # the words of the cell
        self.add(transfer, ROPA + "source", source)
        for iri in countries:
            self.add(transfer, DPV + "hasThirdCountry", ox.NamedNode(iri))
        for iri in accessed:
            self.add(transfer, ROPA + "accessedFrom", ox.NamedNode(iri))
        for iri in regions:
            self.add(transfer, ROPA + "outsideRegion", ox.NamedNode(iri))
        for iri in bases:
            self.add(transfer, DPV + "hasLegalBasis", ox.NamedNode(iri))


def _between(text: str, frames) -> str | None:
    """The words a phrase of the catalogues frames ("{country} (remote access)" in any language), or None."""
    for before, after in frames:
        before, after = before.strip().casefold(), after.strip().casefold()
        folded = text.casefold()
        if (before or after) and folded.startswith(before) and folded.endswith(after):
            inner = text[len(before):len(text) - len(after)].strip()
            if inner:
                return inner
    return None


def _colon(text: str) -> tuple[str, str, str]:
    """Split "before: after" at the first colon followed by a space (a prefixed name's colon has none)."""
    parts = re.split(r"\s*:\s+", text, maxsplit=1)
    return (parts[0], ":", parts[1]) if len(parts) == 2 else (text, "", "")


def import_workbook(path: Path, *, layout_name: str = "ropa", namespace: str | None = None,
                    graph: RecordGraph | None = None, found: dict | None = None) -> tuple[list[ox.Triple], str]:
    """The triples of a workbook's record (with the cell of every fact) and its namespace; WorkbookErrors lists every
    problem of the file. ``found`` (when given) receives the workbook's language as "lang", for the status line.

    The cyclic garbage collector is paused while the triples are made: they are many small objects without cycles,
    and the collector's repeated passes over them cost a third of the import of a large workbook."""
    spec = layout(layout_name)
    titles = [s.title for s in spec.sheets] + ["sheet.instructions"]
    wanted = {_normal(sheet_title(p)) for key in titles for p in _all_phrases(key).values()}
    sheets = read_workbook(Path(path), wanted | {s.key for s in spec.sheets})
    importer = Importer(sheets, Path(path).name, layout_name=layout_name, namespace=namespace, graph=graph)
    if found is not None:
        found["lang"] = importer.lang
    collecting = gc.isenabled()
    gc.disable()
    try:
        return importer.run(), importer.namespace
    finally:
        if collecting:
            gc.enable()


def turtle(triples: Sequence[ox.Triple], namespace: str) -> bytes:
    """The triples as Turtle with the ropa prefixes they use and ``rec:`` for the record's own namespace (a record's
    file declares no other organisation's namespace)."""
    prefixes = dict(PREFIXES)
    if namespace not in prefixes.values():
        prefixes["rec"] = namespace
    used = set()
    for triple in triples:
        for term in (triple.subject, triple.predicate, triple.object):
            iri = term.datatype.value if isinstance(term, ox.Literal) else term.value if isinstance(term, ox.NamedNode) else ""
            used.add(iri[:max(iri.rfind("#"), iri.rfind("/")) + 1])
    prefixes = {prefix: ns for prefix, ns in prefixes.items() if ns in used}
    return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes)


def write_import(path: Path, output: Path, *, layout_name: str = "ropa", namespace: str | None = None,
                 found: dict | None = None) -> Path:
    """Import a workbook into ``output/<workbook name>.ttl``; nothing is written when the file has a problem."""
    from ropa.export import write_atomically

    triples, ns = import_workbook(path, layout_name=layout_name, namespace=namespace, found=found)
    content = turtle(triples, ns)
    output.mkdir(parents=True, exist_ok=True)
    target = output / (slugify(Path(path).stem) + ".ttl")
    write_atomically(target, content)
    return target


def left_out_note(left_out: Counter, lang: str = "en") -> str:
    """The export's note on what no column holds, in plain words of the workbook's language: each property by its
    label (the catalogue's words for the few that are not ropa or DPV terms) and how many values stay in Turtle."""
    from ropa.terms import vocabulary

    t = Messages(lang)
    terms = vocabulary()
    items = []
    for prop, count in sorted(left_out.items(), key=lambda item: (-item[1], item[0])):
        term = terms.get(prop)
        key = f"property.{shorten(prop)}"
        if t.has(key):
            name = t(key)
        elif term is not None:
            name = term.label(lang)
        else:   # a property of no vocabulary ropa knows: its local name in words
            local = re.split(r"[#/]", prop)[-1]
            name = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", local).lower()
        items.append(t("export.left_out_item", name=name, count=count))
    return t("export.left_out", what=", ".join(items))


def export_workbook(graph: RecordGraph, path: Path, *, lang: str = "en", layout_name: str = "ropa",
                    left_out: Counter | None = None) -> Path:
    """Write a record as a workbook that ``import_workbook`` reads back to the same Art. 30 facts; ``left_out``
    (if given) counts per property the values the workbook's columns do not carry."""
    rows, namespace = tables(graph, lang, layout_name, left_out)
    return write_workbook(path, rows, lang=lang, layout_name=layout_name, namespace=namespace, graph=graph)


def write_template(path: Path, *, lang: str = "en", layout_name: str = "ropa", namespace: str = DEFAULT_NAMESPACE) -> Path:
    """An empty workbook to fill in."""
    return write_workbook(path, None, lang=lang, layout_name=layout_name, namespace=namespace)


# --- Comparing records -------------------------------------------------------------------------------------------

_PUBLIC_KINDS = frozenset({DPV + "GovernmentalOrganisation", DPV + "PublicSectorBody"})


def carried_types(spec: Layout, column: Column, objects: list, choices: Choices) -> list[str]:
    """The type keys a types column shows for a node's rdf:types. A column limited to some types (the organisation's
    kind) shows every kind of public body (dpv:PublicSectorBody, dpv:GovernmentalOrganisation and narrower) as
    "authority", the one such type the workbook names."""
    by_iri = {iri: key for key, iri in spec.types.items() if not column.types or key in column.types}
    keys = [by_iri[o.value] for o in objects if o.value in by_iri]
    if "authority" in column.types and any(isinstance(o, ox.NamedNode) and ({o.value} | choices._ancestors(o.value)) & _PUBLIC_KINDS
                                           for o in objects):
        keys.append("authority")
    return list(dict.fromkeys(keys))


def article30_facts(graph: RecordGraph, lang: str = "en"):
    """The facts the ropa layout carries, as an rdflib Graph: activities, their organisations and the parties they
    name, with every property of a layout column; retention, transfer, agreement and joint-controller nodes become
    blank nodes described by their content. A name is its label in ``lang`` (else English), without language tag, as
    a workbook in that language holds it. Provenance is left out."""
    import rdflib

    from ropa.load import _to_rdflib

    spec = layout("ropa")
    exporter = Exporter(graph, spec, lang)
    exporter.run()
    result = rdflib.Graph()
    facts = exporter.facts
    nested_ids: dict[str, rdflib.URIRef] = {}

    def nested(term) -> rdflib.URIRef:
        """A nested node named by a hash of its content, so that equal content gives equal names in both records."""
        key = _key(term)
        if key not in nested_ids:
            pairs = _content(facts, term)
            name = rdflib.URIRef("urn:ropa:content:" + hashlib.sha1(repr(sorted(pairs)).encode()).hexdigest())
            for prop, value in pairs:
                result.add((name, rdflib.URIRef(prop), value))
            nested_ids[key] = name
        return nested_ids[key]

    def titled(term, kind: str) -> rdflib.URIRef:
        """A node a cell names by its words (a group, an assessment, an authorising agreement): its kind and words."""
        key = ("titled", kind, exporter._title(term))
        name = rdflib.URIRef("urn:ropa:content:" + hashlib.sha1(repr(key).encode()).hexdigest())
        result.add((name, rdflib.RDF.type, rdflib.URIRef(kind)))
        result.add((name, rdflib.RDFS.label, rdflib.Literal(key[2])))
        return name

    sheets = {"organisations": sorted(exporter.organisations),
              "parties": sorted(set(exporter.names) - exporter.organisations)}
    sheets["activities"] = sorted(r["a"] for r in graph.select("SELECT ?a WHERE { ?a a dpv:Process ; ropa:recordedBy ?o }"))
    sheets["engagements"] = exporter.engagements
    keep_types = set(spec.types.values()) | {DPV + "Process"}
    for sheet_key, nodes in sheets.items():
        for iri in nodes:
            values = facts.values[iri]
            subject = rdflib.URIRef(iri)
            for column in spec.sheet(sheet_key).columns:
                if column.type in ("key", "none", "joint_agreement"):
                    continue
                objects = values.get(column.property, [])
                if column.type == "label":
                    objects = [ox.Literal(text) for text in best_literals(objects, lang)[:1]]
                if column.type == "types" and column.types:
                    objects = [ox.NamedNode(spec.types[key]) for key in carried_types(spec, column, objects, exporter.choices)]
                elif column.type == "types":
                    objects = [o for o in objects if o.value in keep_types]
                if column.type in ("text", "note"):
                    objects = [ox.Literal(o.value) for o in objects if isinstance(o, ox.Literal)]
                if column.type == "terms" and column.list:   # a list's column carries the terms of its list only
                    allowed = exporter.choices.allowed(column)
                    objects = [o for o in objects if isinstance(o, ox.NamedNode) and o.value in allowed]
                if column.type == "assessment":
                    objects = [o for o in objects if not isinstance(o, ox.Literal) and o.value not in exporter.choices.vocabulary
                               and column.node_type in {k.value for k in facts.of(o).get(TYPE, [])}]
                for obj in objects:
                    if column.type == "assessment":
                        result.add((subject, rdflib.URIRef(column.property), titled(obj, column.node_type)))
                    elif column.type == "group":
                        result.add((subject, rdflib.URIRef(column.property), titled(obj, ROPA + "CorporateGroup")))
                    elif column.type == "authorisation" and obj.value not in exporter.names:
                        if exporter._is_agreement(obj):
                            result.add((subject, rdflib.URIRef(column.property), titled(obj, DPV + "DataProcessingAgreement")))
                    elif column.type in ("retention", "transfers", "agreement", "joint"):
                        result.add((subject, rdflib.URIRef(column.property), nested(obj)))
                    else:
                        result.add((subject, rdflib.URIRef(column.property), _to_rdflib(obj)))
            if sheet_key == "activities":
                result.add((subject, rdflib.RDF.type, rdflib.URIRef(DPV + "Process")))
            elif spec.sheet(sheet_key).column("legal_name") and (subject, rdflib.URIRef(DPV + "hasName"), None) not in result:
                # a party without a registered name goes by the name it is listed under, as import reads it
                for text in best_literals(values.get(LABEL, []), lang)[:1]:
                    result.add((subject, rdflib.URIRef(DPV + "hasName"), _to_rdflib(ox.Literal(text))))
    return result


_NESTED_PROPERTIES = {
    DPV + "StorageDuration": (ROPA + "appliesToData", ROPA + "appliesToPurpose", DPV + "hasDuration"),
    DPV + "CrossBorderTransfer": (DPV + "hasThirdCountry", ROPA + "accessedFrom", ROPA + "outsideRegion", DPV + "hasLegalBasis"),
    DPV + "JointDataControllers": (DPV + "hasDataController", ROPA + "hasAgreement"),
    DPV + "ControllerProcessorAgreement": (),
    DPV + "JointDataControllersAgreement": (),
}


def _content(facts: _Facts, node) -> list[tuple]:
    """The (property, value) pairs that describe a retention, transfer, agreement or joint-controller node."""
    import rdflib

    from ropa.load import _to_rdflib

    values = facts.of(node)
    types = {t.value for t in values.get(TYPE, [])}
    pairs: list[tuple] = []
    for type_iri, properties in _NESTED_PROPERTIES.items():
        if type_iri not in types:
            continue
        pairs.append((TYPE, rdflib.URIRef(type_iri)))
        for prop in properties:
            for obj in values.get(prop, []):
                if prop == ROPA + "hasAgreement":
                    kinds = sorted(t.value for t in facts.of(obj).get(TYPE, []))
                    pairs.append((prop, rdflib.Literal(" ".join(kinds))))
                elif prop == DPV + "hasDuration":
                    period = period_of(facts.of(obj))
                    if period is not None:
                        pairs.append((prop, rdflib.Literal(repr(period))))
                else:
                    pairs.append((prop, _to_rdflib(obj)))
    return pairs


def _own_concept(text: str) -> str | None:
    """A concept of the record's own namespace, as ``ropa export`` writes one (``<https://...>``): the workbook cannot
    know it, the record's Turtle defines it. DPV and ropa IRIs are not taken this way: they must be shipped terms."""
    iri = expand(text) if text.strip().startswith("<") else None
    return iri if iri and not iri.startswith(CHECKED_NAMESPACES) else None
