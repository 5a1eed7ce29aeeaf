"""``ropa serve``: the record in a browser, for the officers who keep it.

One Starlette application over one loaded record: the registers, processor lists and overview (the same templates
as the HTML documents), the findings with filters, every library question as a form, an ad-hoc SPARQL editor,
search by label, the data-flow diagrams and a vendor's impact, in each language ropa ships, and a read-only
SPARQL 1.1 Protocol endpoint at ``/sparql`` (ropa.endpoint).

The record is always current: each request compares the data files' sizes and modification times with those it
was loaded from, and reloads (and validates again) when a file changed, appeared or went away. A record that no
longer loads shows its error until it is fixed. One lock serialises the work on the store, so that a question
that adds findings to it for its run never meets another request halfway.

Safe by default: the CLI binds 127.0.0.1 and refuses another address without a token; with a token every request
needs it (``Authorization: Bearer``, or a cookie set once from ``?token=``). Every page is a Jinja template with
autoescape; responses carry a strict Content-Security-Policy (scripts only from the server's own file, nothing
framed), and the endpoint runs each query in a forked copy with a deadline and a row limit.
"""

from __future__ import annotations

import datetime as dt
import hmac
import os
import re
import threading
import time
import urllib.parse
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import pyoxigraph as ox
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from ropa import __version__, endpoint, resources, safe
from ropa import query as library
from ropa.resources import LANGUAGES
from ropa.errors import RopaError
from ropa.flows import FlowGraph, build_flow_graph, impact
from ropa.load import RecordGraph, expand_paths, load
from ropa.namespaces import PREFIXES
from ropa.periods import format_duration
from ropa.plain import PlainWords
from ropa.register import (Answers, Labels, Messages, Outline, Record, build_activity_diagram, build_page,
                           build_provider_overview,
                           build_record, finding_anchor, outline)
from ropa.render import Document, diagram_svg, documents, environment, file_stem, render_text
from ropa.tabular import to_xlsx
from ropa.timeline import as_of as record_as_of
from ropa.transfers import VERDICTS_GRAPH, verdict_triples
from ropa.validate import SEVERITIES, Finding, Report, validate, with_waivers
from ropa.waivers import NO_WAIVERS, load_waivers

PAGE_SIZE = 100
"""Rows per page of findings, answers and search results."""
MAX_OPTIONS = 400
"""A picker lists at most this many choices; a larger record gets a text field with suggestions instead."""
TOKEN_COOKIE = "ropa_token"
MAX_QUERY_BYTES = 1_000_000
"""The longest query the endpoint reads."""
ACTIVITY_DIAGRAMS_UP_TO = 60
"""A register page with more activities than this shows no per-activity diagram (the diagrams page has each)."""
REGISTER_PAGE_SIZE = 50
"""Activities per page of a register: a page is built from queries about its own activities only."""
REGISTER_DIAGRAM_UP_TO = 200
"""A diagram of a whole register is drawn up to this many activities; past it, the page explains why not and links
to the diagrams of single activities (a register of thousands would be unreadable, and take dot minutes)."""
FULL_OVERVIEW_UP_TO = 500
"""A record of up to this many activities gets the overview of `ropa build`, every row; a larger one a summary of
counts and the most used providers, with links (building every register at once takes minutes at a million triples)."""

PICKERS = {
    "controller": "organisation", "entity": "organisation", "organisation": "organisation", "exporter": "organisation",
    "processor": "vendor", "vendor": "vendor", "provider": "vendor", "importer": "vendor",
    "category": "category", "data": "category",
    "subject": "subject",
    "country": "country", "destination": "country",
    "purpose": "purpose",
    "basis": "basis", "legal_basis": "basis",
    "instrument": "instrument", "mechanism": "mechanism",
}
"""Which of the record's things an IRI parameter of a library question picks from, by the parameter's name."""

_DATA = "VALUES ?g {{ {graphs} }} GRAPH ?g"
_NODE_VALUES = re.compile(r"VALUES \?(?!g\b)\w+ \{\s*<")
"""A query about given nodes (a page's activities, their values, their labels), not only about the data's graphs."""
RECENT_ANSWERS = 2000
"""How many answers about given nodes a server keeps (those of the last pages read, some ten of them)."""
_CHOICES = {
    "organisation": """SELECT DISTINCT ?x WHERE {{ {data} {{
        {{ ?x a dpv:LegalEntity }} UNION {{ ?x a dpv:Organisation }} UNION {{ ?a dpv:hasDataController ?x }}
        UNION {{ ?a dpv:hasDataProcessor ?x }} UNION {{ ?a ropa:actsOnBehalfOf ?x }} }} FILTER(isIRI(?x)) }}""",
    "vendor": """SELECT DISTINCT ?x WHERE {{ {data} {{
        {{ VALUES ?link {{ dpv:hasDataProcessor ropa:usesServiceProvider ropa:engagesProcessor ropa:hasSubProcessor }}
           ?user ?link ?x FILTER(?user != ?x) }}
        UNION {{ ?engagement ropa:provider ?x }} }} FILTER(isIRI(?x)) }}""",
    "category": """SELECT DISTINCT ?x WHERE {{ {data} {{ ?a dpv:hasPersonalData ?x }} FILTER(isIRI(?x)) }}""",
    "subject": """SELECT DISTINCT ?x WHERE {{ {data} {{ ?a dpv:hasDataSubject ?x }} FILTER(isIRI(?x)) }}""",
    "country": """SELECT DISTINCT ?x WHERE {{ {data} {{
        VALUES ?link {{ dpv:hasCountry dpv:hasThirdCountry ropa:dataLocation ropa:headquarteredIn dpv:hasLocation }}
        ?s ?link ?x }} FILTER(isIRI(?x)) }}""",
    "purpose": """SELECT DISTINCT ?x WHERE {{ {data} {{ ?a dpv:hasPurpose ?x }} FILTER(isIRI(?x)) }}""",
    "basis": """SELECT DISTINCT ?x WHERE {{ {data} {{ ?a dpv:hasLegalBasis ?x }} FILTER(isIRI(?x)) }}""",
    # the transfer instruments the record's transfers and sub-processor list entries name, and those (adequacy
    # decisions, the EU-US framework) covering a country they reach, which count without being named
    "instrument": """SELECT DISTINCT ?x WHERE {{
        {{ {data} {{ {{ ?t a dpv:CrossBorderTransfer ; dpv:hasLegalBasis ?x }}
                    UNION {{ ?e a ropa:Engagement ; ropa:transferMechanism ?x }} }} }}
        UNION {{ {{ SELECT DISTINCT ?place WHERE {{ {data} {{ {{ ?t a dpv:CrossBorderTransfer ; dpv:hasThirdCountry ?place }}
                                                         UNION {{ ?e a ropa:Engagement ; ropa:dataLocation ?place }} }} }} }}
                ?x ropa:coversCountry ?place }}
        FILTER(isIRI(?x)) }}""",
    "mechanism": """SELECT DISTINCT ?x WHERE {{ ?x a ropa:TransferMechanismKind }}""",   # the vocabulary's kinds
}
_SEARCH = """SELECT DISTINCT ?x ?kind WHERE {{
    {{ SELECT DISTINCT ?x WHERE {{   # the labels first: the text narrows the record most
        VALUES ?p {{ rdfs:label skos:prefLabel dpv:hasName }}   # (a FILTER on ?p read every triple: 1.6 s at 1M)
        ?x ?p ?label
        FILTER(isIRI(?x) && (LANG(?label) IN ("", {languages})) && CONTAINS(LCASE(STR(?label)), LCASE({text}))) }} }}
    {{ {data} {{ ?x a dpv:Process }} BIND("activity" AS ?kind) }}
    UNION {{ {data} {{ {{ ?x a dpv:LegalEntity }} UNION {{ ?x a dpv:Organisation }} UNION {{ ?a dpv:hasDataController ?x }} }}
            BIND("organisation" AS ?kind) }}
    UNION {{ {data} {{ {{ VALUES ?link {{ dpv:hasDataProcessor ropa:usesServiceProvider ropa:engagesProcessor ropa:hasSubProcessor }}
                        ?user ?link ?x FILTER(?user != ?x) }} UNION {{ ?engagement ropa:provider ?x }} }}
            BIND("vendor" AS ?kind) }}
    UNION {{ {data} {{ ?a dpv:hasPersonalData ?x }} BIND("category" AS ?kind) }}
}}"""


# --- The record as served ----------------------------------------------------------------------------------------

@dataclass
class Snapshot:
    """The record as it was loaded at one moment, with its findings and what the pages build from it (per
    language, on first use)."""

    graph: RecordGraph
    report: Report
    signature: tuple
    loaded: float
    waivers: object = field(default_factory=lambda: NO_WAIVERS)
    records: dict[str, Record] = field(default_factory=dict)
    plain: dict[str, list[Finding]] = field(default_factory=dict)
    outlines: dict[str, Outline] = field(default_factory=dict)
    choice_lists: dict[tuple[str, str], list[tuple[str, str]]] = field(default_factory=dict)
    controllers_of: dict[tuple[str, str, str], list[tuple[str, str, str]]] = field(default_factory=dict)

    @property
    def as_of(self) -> dt.date:
        return self.report.as_of

    @cached_property
    def flows(self) -> FlowGraph:
        """The flow graph of the diagrams, built once for every language, when a register is first shown."""
        return build_flow_graph(self.graph, self.as_of)

    @cached_property
    def answers(self) -> Answers:
        """The answers to the queries about the whole record (its sources, engagements, kinds of concepts), kept
        for the next page; of those about one page's nodes (a VALUES block of IRIs) only the last RECENT_ANSWERS,
        so that reading a record of a million triples page after page does not copy it into memory."""
        return Answers(self.graph, keep=lambda sparql: not _NODE_VALUES.search(sparql), recent=RECENT_ANSWERS)

    def record(self, lang: str) -> Record:
        """Every document of the record (a small record's overview is the document of `ropa build`)."""
        if lang not in self.records:
            self.records[lang] = build_record(self.graph, lang=lang, findings=self.report.findings, as_of=self.as_of,
                                              flows=self.flows, answers=self.answers)
        return self.records[lang]

    def outline(self, lang: str) -> Outline:
        """The organisations and their activities by label: what registers are paged, counted and linked by."""
        if lang not in self.outlines:
            self.outlines[lang] = outline(self.graph, lang, self.answers)
        return self.outlines[lang]

    def activity_count(self, lang: str) -> int:
        return sum(len(rows) for rows in self.outline(lang).activities.values())

    def register(self, lang: str, entity: str, role: str, activities: Sequence[str], diagrams: bool = False):
        """A register of these activities of the organisation, built from queries about them only."""
        return build_page(self.graph, self.outline(lang).scope(entity, role, activities), role, lang=lang,
                          findings=self.report.findings, as_of=self.as_of, flows=lambda: self.flows,
                          answers=self.answers, diagrams=diagrams)

    def controllers(self, lang: str, entity: str, role: str) -> list[tuple[str, str, str]]:
        """(activity, controller, its label) for the organisation's activities in the role: what a register is
        filtered by controller with."""
        key = (lang, entity, role)
        if key not in self.controllers_of:
            prop = "ropa:actsOnBehalfOf" if role == "processor" else "dpv:hasDataController"
            rows = self.graph.select(f"SELECT DISTINCT ?e ?a ?c WHERE {{ ?a ropa:recordedBy ?e ; {prop} ?c FILTER(isIRI(?c)) }}",
                                     {"e": ox.NamedNode(entity)})
            labels = Labels(self.graph, lang, self.answers)
            labels.fetch(row["c"] for row in rows)
            self.controllers_of[key] = [(row["a"], row["c"], labels[row["c"]]) for row in rows]
        return self.controllers_of[key]

    def findings(self, lang: str) -> list[Finding]:
        """Every finding (waived ones marked) in the language's plain words."""
        if lang not in self.plain:
            labels = Labels(self.graph, lang)
            labels.fetch({iri for f in self.report.findings for iri in (f.focus, f.entity, f.activity)
                          if iri and not iri.startswith("_:")})   # in bulk, not one query per finding
            self.plain[lang] = PlainWords(self.graph, lang, labels=labels).all(self.report.findings)
        return self.plain[lang]

    @cached_property
    def keepers(self) -> int:
        """How many organisations keep a record here (the overview is a group's when more than one)."""
        rows = self.graph.select(f"SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE {{ {_DATA.format(graphs=self.data_graphs)} "
                                 "{ ?a ropa:recordedBy ?o } }")
        return int(rows[0]["n"])

    @cached_property
    def judgements(self) -> list[ox.Quad]:
        """The open findings and the transfer verdicts at the record's date, in the named graphs ``ropa push``
        sends them in: the endpoint's queries see them as a pushed record's do, so every library question
        asked through ``ropa query --endpoint`` gets the answer it gets on the files."""
        findings = library.findings_triples(self.graph, report=self.report)
        verdicts = verdict_triples(self.graph, self.as_of)
        return [*(ox.Quad(t.subject, t.predicate, t.object, library.FINDINGS_GRAPH) for t in findings),
                *(ox.Quad(t.subject, t.predicate, t.object, VERDICTS_GRAPH) for t in verdicts)]

    @cached_property
    def data_graphs(self) -> str:
        return " ".join(f"<{g.value}>" for g in self.graph.graphs("data")) or "<urn:ropa:none>"


class Served:
    """The record behind the application: loaded from ``paths`` (the bundled data when None), reloaded when one
    of its files (or the waiver file) changes on disk."""

    def __init__(self, paths: Sequence[str | Path] | None = None, *, as_of: dt.date | None = None,
                 waivers: str | Path | None = None):
        self.paths = [Path(p) for p in paths] if paths else None
        self.as_of = as_of
        self.waivers = Path(waivers) if waivers else None
        self.lock = threading.RLock()
        self.snapshot: Snapshot | None = None
        self.error: RopaError | None = None
        self.error_signature: tuple | None = None

    def files(self) -> list[Path]:
        found = resources.bundled_data_files() if self.paths is None else expand_paths(self.paths)
        return [*found, *([self.waivers] if self.waivers else [])]

    def signature(self) -> tuple:
        """What a change on disk changes: each file's path, size and modification time."""
        marks = []
        for path in self.files():
            try:
                stat = path.stat()
            except OSError:
                marks.append((str(path), None, None))
                continue
            marks.append((str(path), stat.st_size, stat.st_mtime_ns))
        return tuple(marks)

    def current(self) -> Snapshot:
        """The record as the files now are: loaded again when they changed. A RopaError when it does not load."""
        with self.lock:
            try:
                signature = self.signature()
            except RopaError as error:
                self.error, self.error_signature = error, None
                raise
            if self.snapshot is not None and self.snapshot.signature == signature:
                return self.snapshot
            if self.error is not None and self.error_signature == signature:
                raise self.error
            try:
                self.snapshot = self._load(signature)
                self.error = None
            except RopaError as error:
                self.error, self.error_signature = error, signature
                raise
            return self.snapshot

    def _load(self, signature: tuple) -> Snapshot:
        graph = load(self.paths)
        if self.as_of is not None:
            graph = record_as_of(graph, self.as_of)
        accepted = load_waivers(self.waivers) if self.waivers else NO_WAIVERS
        report = with_waivers(validate(graph, as_of=self.as_of), accepted)
        return Snapshot(graph=graph, report=report, signature=signature, loaded=time.time(), waivers=accepted)


# --- Pages -----------------------------------------------------------------------------------------------------

@dataclass
class Page:
    """The web bar every page shows (navigation, search, language switch) and what the layout needs besides."""

    lang: str
    path: str
    query: str
    section: str
    script: bool = False

    def switch(self, lang: str) -> str:
        """This page in another language."""
        rest = self.path.split("/", 2)[2] if self.path.count("/") >= 2 else ""
        return f"/{lang}/{rest}" + (f"?{self.query}" if self.query else "")

    def link(self, where: str = "") -> str:
        return f"/{self.lang}/{where}"

    @property
    def languages(self) -> Sequence[str]:
        return LANGUAGES

    @staticmethod
    def native(lang: str) -> str:
        """A language's name in that language, for the switch."""
        return _t(lang)(f"web.language.{lang}")


def _page_context(snapshot: Snapshot, page: Page, title: str) -> dict:
    """What common/layout.html.j2 reads, for a page of the application (links are absolute)."""
    t = _t(page.lang)
    return {
        "lang": page.lang, "t": t, "as_of": snapshot.as_of, "version": __version__, "current": page.section,
        "organisation": None, "documents_of": lambda organisation: [],
        "index_title": t("doc.group_overview" if snapshot.keepers > 1 else "doc.record_overview"),
        "href": lambda kind, slug="": page.link(_stem(kind, slug) + ".html"),
        "stylesheet": "/static/style.css", "web": page, "title": title, "severities": SEVERITIES,
        "diagram_svg": diagram_svg,
    }


_stem = file_stem


@lru_cache(maxsize=None)
def _t(lang: str) -> Messages:
    """The catalogue of a language, read once (each page uses several)."""
    return Messages(lang)


def _html(name: str, context: dict, status: int = 200) -> HTMLResponse:
    return HTMLResponse(environment().get_template(f"web/{name}.html.j2").render(context), status_code=status)


def preferred_language(accept: str) -> str:
    """The shipped language the browser asks for first (Accept-Language, by quality), English when it asks for none
    of them: a French officer opening the address lands on the French pages."""
    ranked = []
    for position, item in enumerate(accept.split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        lang = tag.strip().lower().split("-")[0]
        if lang in LANGUAGES and quality > 0:
            ranked.append((-quality, position, lang))
    return min(ranked)[2] if ranked else "en"


def _lang(request: Request) -> str:
    lang = request.path_params.get("lang", "en")
    if lang not in LANGUAGES:
        raise _NotFound()
    return lang


class _NotFound(Exception):
    pass


def _page(request: Request, section: str, script: bool = False) -> Page:
    return Page(lang=_lang(request), path=request.url.path, query=request.url.query, section=section, script=script)


def _paginate(items: list, request: Request, size: int = PAGE_SIZE) -> tuple[list, dict]:
    """One page of a long list, and what the pager shows."""
    try:
        number = max(1, int(request.query_params.get("_page", "1")))
    except ValueError:
        number = 1
    pages = max(1, -(-len(items) // size))
    number = min(number, pages)
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "_page"]

    def href(n: int) -> str:
        return request.url.path + "?" + urllib.parse.urlencode([*query, ("_page", str(n))])

    start = (number - 1) * size
    return items[start:start + size], {"number": number, "pages": pages, "total": len(items), "href": href,
                                       "first": start + 1 if items else 0, "last": min(start + size, len(items))}


class Application:
    """The routes; each reads the current snapshot of the record under the lock."""

    def __init__(self, served: Served, *, timeout: float, max_rows: int):
        self.served = served
        self.timeout = timeout
        self.max_rows = max_rows

    # -- documents

    def home(self, request: Request) -> Response:
        return RedirectResponse(f"/{preferred_language(request.headers.get('accept-language', ''))}/", status_code=303)

    def document(self, request: Request) -> Response:
        lang = _lang(request)
        stem = request.path_params.get("stem", "index")
        with self.served.lock:
            snapshot = self.served.current()
            page = _page(request, "register")
            if stem == "index":
                if snapshot.activity_count(lang) > FULL_OVERVIEW_UP_TO:
                    return self._summary(snapshot, page)
                record = snapshot.record(lang)
                chosen = next(d for d in documents(record) if d.stem == "index")
                return HTMLResponse(render_text(record, chosen, "html", extra={"web": page}))
            kind, _, slug = stem.partition("-")
            outline = snapshot.outline(lang)
            entity = next((e for e in outline.entities if outline.slugs[e] == slug), None)
            if entity is None or kind not in ("controller", "processor", "processors") or \
                    (kind != "processors" and not outline.of(entity, kind)):
                raise _NotFound()
            if kind == "processors":
                return self._providers(snapshot, page, entity)
            return self._register(snapshot, page, request, entity, kind)

    def _register(self, snapshot: Snapshot, page: Page, request: Request, entity: str, kind: str) -> Response:
        """One page of a register: its activities filtered by name or controller, REGISTER_PAGE_SIZE at a time,
        built from queries about that page's activities only."""
        outline = snapshot.outline(page.lang)
        everything = outline.of(entity, kind)
        text = request.query_params.get("q", "").strip()[:200]
        controller = request.query_params.get("controller", "").strip()[:400]
        controllers = snapshot.controllers(page.lang, entity, kind)
        rows = everything
        if text:
            rows = [row for row in rows if text.casefold() in row[1].casefold()]
        if controller:
            wanted = {a for a, c, label in controllers if c == controller or controller.casefold() in label.casefold()}
            rows = [row for row in rows if row[0] in wanted]
        shown, pager = _paginate(rows, request, REGISTER_PAGE_SIZE)
        whole = len(rows) == len(everything) and pager["pages"] == 1
        register = snapshot.register(page.lang, entity, kind, [a for a, _ in shown], diagrams=whole)
        record = Record(lang=page.lang, as_of=snapshot.as_of, controller_registers=[register] if kind == "controller" else [],
                        processor_registers=[register] if kind == "processor" else [], overviews=[], group=None)
        document = Document(kind, _stem(kind, outline.slugs[entity]), f"{kind}-register",
                            {"register": register, "organisation": register.organisation})
        choices = sorted({(c, label) for _, c, label in controllers}, key=lambda c: (c[1].casefold(), c[0]))
        paging = {"pager": pager, "text": text, "controller": controller, "whole": whole, "total": len(everything),
                  "choices": choices if len(choices) <= MAX_OPTIONS else [],
                  "diagram_link": lambda entry: page.link(f"diagram/{kind}/{outline.slugs[entity]}?"
                                                          + urllib.parse.urlencode({"activity": entry.anchor}))}
        # a long register leaves each activity's diagram to the diagrams page, as paper does
        paper = len(everything) > ACTIVITY_DIAGRAMS_UP_TO
        return HTMLResponse(render_text(record, document, "html", paper=paper,
                                        extra={"web": page, "paging": paging, **_links(snapshot, page.lang)}))

    def _providers(self, snapshot: Snapshot, page: Page, entity: str) -> Response:
        """An organisation's processor overview, built from its own activities (and the record's flow graph)."""
        outline = snapshot.outline(page.lang)
        activities = [a for role in ("controller", "processor") for a, _ in outline.of(entity, role)]
        overview = build_provider_overview(snapshot.graph, outline.scope(entity, "controller", activities), lang=page.lang,
                                           findings=snapshot.report.findings, as_of=snapshot.as_of,
                                           flows=lambda: snapshot.flows, answers=snapshot.answers)
        record = Record(lang=page.lang, as_of=snapshot.as_of, controller_registers=[], processor_registers=[],
                        overviews=[overview], group=None)
        document = Document("overview", _stem("overview", outline.slugs[entity]), "processor-overview",
                            {"overview": overview, "organisation": overview.organisation})
        return HTMLResponse(render_text(record, document, "html", extra={"web": page, **_links(snapshot, page.lang)}))

    def _summary(self, snapshot: Snapshot, page: Page) -> Response:
        """The overview of a large record: each organisation with its counts and documents, the most used
        providers and the findings by severity, each linking on; no row per activity."""
        t = _t(page.lang)
        outline = snapshot.outline(page.lang)
        open_ = {e: {s: 0 for s in SEVERITIES} for e in outline.entities}
        totals = {s: 0 for s in SEVERITIES}
        for finding in snapshot.report.findings:
            if not finding.waived:
                totals[finding.severity] += 1
                if finding.entity in open_:
                    open_[finding.entity][finding.severity] += 1
        entities = [{"slug": outline.slugs[e], "name": outline.names[e], "iri": e,
                     "controller": len(outline.of(e, "controller")), "processor": len(outline.of(e, "processor")),
                     "open": open_[e]} for e in outline.order]
        providers, count = _top_providers(snapshot, page.lang)
        context = _page_context(snapshot, page, t("doc.group_overview" if snapshot.keepers > 1 else "doc.record_overview"))
        return _html("overview", {**context, "entities": entities, "providers": providers, "provider_count": count,
                                  "activities": snapshot.activity_count(page.lang), "totals": totals,
                                  "waived": sum(1 for f in snapshot.report.findings if f.waived),
                                  "quote": urllib.parse.quote})

    def go(self, request: Request) -> Response:
        """The register page of an activity or an organisation: links that need no register built until followed."""
        lang = _lang(request)
        with self.served.lock:
            outline = self.served.current().outline(lang)
            if "activity" in request.query_params:
                activity = request.query_params["activity"]
                found = outline.place(activity)
                place = None
                if found:
                    entity, role, number = found
                    page = f"?_page={number // REGISTER_PAGE_SIZE + 1}" if number >= REGISTER_PAGE_SIZE else ""
                    place = f"{_stem(role, outline.slugs[entity])}.html{page}#{outline.anchors[activity]}"
            else:
                slug = outline.slugs.get(request.query_params.get("organisation", ""))
                place = f"{_stem('overview', slug)}.html" if slug else None
        if place is None:
            raise _NotFound()
        return RedirectResponse(f"/{lang}/{place}", status_code=303)

    # -- findings

    def findings(self, request: Request) -> Response:
        page = _page(request, "findings")
        params = request.query_params
        with self.served.lock:
            snapshot = self.served.current()
            everything = snapshot.findings(page.lang)
            wanted = {key: params.get(key, "") for key in ("organisation", "severity", "article", "check", "status")}
            shown = [f for f in everything if _matches(f, wanted)]
            rows, pager = _paginate(shown, request)
            options = {
                "organisation": sorted({(f.entity, f.entity_label) for f in everything if f.entity}, key=lambda o: o[1].lower()),
                "article": sorted({f.article for f in everything if f.article}),
                "check": sorted({(f.check, f.field or f.check) for f in everything}, key=lambda o: o[1].lower()),
            }
            context = _page_context(snapshot, page, _t(page.lang)("web.findings.title"))
            return _html("findings", {**context, "rows": [(f, finding_anchor(f), _go("activity", f.activity)) for f in rows],
                                      "pager": pager, "wanted": wanted, "options": options,
                                      "counts": {s: sum(1 for f in shown if f.severity == s and not f.waived) for s in SEVERITIES},
                                      "waived": sum(1 for f in shown if f.waived)})

    # -- questions

    def questions(self, request: Request) -> Response:
        page = _page(request, "questions")
        with self.served.lock:
            snapshot = self.served.current()
            t = _t(page.lang)
            return _html("questions", {**_page_context(snapshot, page, t("web.questions.title")),
                                       "questions": [_Question(q, t) for q in library.library()]})

    def question(self, request: Request) -> Response:
        page = _page(request, "questions", script=True)
        # only a question of the library: a name is never read as a file (library.get would)
        chosen = next((q for q in library.library() if q.name == request.path_params["name"]), None)
        if chosen is None:
            raise _NotFound()
        params = request.query_params
        t = _t(page.lang)
        with self.served.lock:
            snapshot = self.served.current()
            question = _Question(chosen, t)
            inputs = [_Input.of(p, snapshot, page.lang, params, t) for p in chosen.params]
            given = {p.name: params[p.name] for p in chosen.params if params.get(p.name, "").strip()}
            if chosen.param("lang") is not None and "lang" not in given and page.lang in LANGUAGES:
                given["lang"] = page.lang   # the labels in the page's language, as the form proposes
            results, error, sparql = None, None, chosen.body
            if "_run" in params or "_download" in params:
                try:
                    bindings = library.bind(chosen, given, prefixes=snapshot.graph.prefixes, graph=snapshot.graph)
                    sparql = library.substitute(chosen.body, bindings)
                    results = library.run(chosen, snapshot.graph, params=given, waivers=snapshot.waivers,
                                          report=snapshot.report)
                except RopaError as problem:
                    error = _missing_words(problem, inputs, t) or problem.said(t)
            download = params.get("_download")
            if results is not None and download in ("csv", "xlsx"):
                return _download(results, chosen.name, download, t)
            return _html("question", {**_page_context(snapshot, page, question.title), "question": question,
                                      "inputs": inputs, "error": error, "sparql": sparql,
                                      **_answer(results, request, t)})

    def editor(self, request: Request) -> Response:
        page = _page(request, "sparql", script=True)
        t = _t(page.lang)
        text = request.query_params.get("query", "")
        with self.served.lock:
            snapshot = self.served.current()
            results, error = None, None
            if text.strip():
                try:
                    answer = endpoint.answer(snapshot.graph, text, accept=endpoint.SOLUTION_FORMATS["json"],
                                             timeout=self.timeout,
                                             max_rows=self.max_rows, extra=snapshot.judgements)
                    if answer.form != "solutions":
                        raise RopaError("only SELECT queries are answered as a table here", key="web.editor.select_only")
                    parsed = ox.parse_query_results(answer.body, format=ox.QueryResultsFormat.JSON)
                    results = library.Results([v.value for v in parsed.variables], [tuple(s) for s in parsed])
                    if answer.truncated:
                        error = t("web.editor.truncated", rows=self.max_rows)
                except RopaError as problem:   # in the page's language where the error has a catalogue phrase
                    error = problem.said(t)
            download = request.query_params.get("_download")
            if results is not None and download in ("csv", "xlsx"):
                return _download(results, "query", download, t)
            example = "SELECT ?activity ?label WHERE {\n  ?activity a dpv:Process ; rdfs:label ?label\n}\nORDER BY ?label"
            return _html("editor", {**_page_context(snapshot, page, t("web.editor.title")), "text": text or example,
                                    "error": error, "prefixes": PREFIXES, **_answer(results, request, t)})

    # -- search

    def search(self, request: Request) -> Response:
        page = _page(request, "search")
        t = _t(page.lang)
        text = request.query_params.get("q", "").strip()[:200]
        with self.served.lock:
            snapshot = self.served.current()
            hits = _search(snapshot, page.lang, text) if text else []
            rows, pager = _paginate(hits, request)
            return _html("search", {**_page_context(snapshot, page, t("web.search.title")), "text": text,
                                    "hits": rows, "pager": pager})

    # -- diagrams and impact

    def diagrams(self, request: Request) -> Response:
        page = _page(request, "diagrams")
        t = _t(page.lang)
        with self.served.lock:
            snapshot = self.served.current()
            outline = snapshot.outline(page.lang)
            registers = []
            for entity in outline.order:
                for kind in ("controller", "processor"):
                    rows = outline.of(entity, kind)
                    if rows:   # a long register's activities are linked from its pages, not listed here
                        registers.append({"kind": kind, "name": outline.names[entity], "slug": outline.slugs[entity],
                                          "count": len(rows), "whole": len(rows) <= REGISTER_DIAGRAM_UP_TO,
                                          "entries": [(outline.anchors[a], label) for a, label in rows]
                                          if len(rows) <= ACTIVITY_DIAGRAMS_UP_TO else []})
            labels = Labels(snapshot.graph, page.lang, snapshot.answers)
            vendors = _choices(snapshot, "vendor", labels)
            return _html("diagrams", {**_page_context(snapshot, page, t("web.diagrams.title")), "registers": registers,
                                      "vendors": vendors, "vendor": ""})

    def diagram(self, request: Request) -> Response:
        page = _page(request, "diagrams")
        kind, slug = request.path_params["kind"], request.path_params["slug"]
        anchor = request.query_params.get("activity")
        with self.served.lock:
            snapshot = self.served.current()
            outline = snapshot.outline(page.lang)
            entity = next((e for e in outline.entities if outline.slugs[e] == slug), None)
            rows = outline.of(entity, kind) if entity and kind in ("controller", "processor") else []
            if not rows:
                raise _NotFound()
            name, refused, image = outline.names[entity], 0, None
            if anchor:
                activity = next((a for a, _ in rows if outline.anchors[a] == anchor), None)
                if activity is None:
                    raise _NotFound()
                image = build_activity_diagram(snapshot.graph, outline.scope(entity, kind, [activity]), lang=page.lang,
                                               as_of=snapshot.as_of, flows=lambda: snapshot.flows, answers=snapshot.answers)
            if not anchor:
                if len(rows) > REGISTER_DIAGRAM_UP_TO:
                    refused = len(rows)   # thousands of activities: unreadable, and minutes of drawing
                else:
                    image = snapshot.register(page.lang, entity, kind, [a for a, _ in rows], diagrams=True).diagram
            title = image.title if image else name
            narrower = [(outline.anchors[a], label) for a, label in rows[:REGISTER_PAGE_SIZE]] if refused else []
            return _html("diagram", {**_page_context(snapshot, page, title), "name": name, "kind": kind,
                                     "slug": slug, "anchor": anchor or "", "image": image, "refused": refused,
                                     "narrower": narrower,
                                     "up_to": REGISTER_DIAGRAM_UP_TO, "document": _stem(kind, slug) + ".html"})

    def impact(self, request: Request) -> Response:
        page = _page(request, "diagrams")
        t = _t(page.lang)
        vendor = request.query_params.get("vendor", "").strip()
        with self.served.lock:
            snapshot = self.served.current()
            labels = Labels(snapshot.graph, page.lang)
            result, error = None, None
            if vendor:
                try:
                    result = impact(snapshot.graph, vendor, snapshot.as_of, lang=page.lang)
                except RopaError as problem:
                    error = problem.said(t)
            chosen = f"<{result.vendor}>" if result else vendor   # the picker shows the vendor however it was named
            return _html("impact", {**_page_context(snapshot, page, t("web.impact.title")), "vendor": chosen,
                                    "vendors": _choices(snapshot, "vendor", labels), "impact": result,
                                    "error": error, "label": labels.__getitem__, "go": _go})

    # -- the SPARQL endpoint

    async def sparql(self, request: Request) -> Response:
        """SPARQL 1.1 Protocol: query by GET (``query=``), POST form or POST ``application/sparql-query``."""
        params = dict(request.query_params.multi_items())
        defaults = request.query_params.getlist("default-graph-uri")
        named = request.query_params.getlist("named-graph-uri")
        text = params.get("query")
        if request.method == "POST":
            try:
                length = int(request.headers.get("content-length", "0"))
            except ValueError:
                length = MAX_QUERY_BYTES + 1
            if length > MAX_QUERY_BYTES:
                return _refuse(413, f"a query of more than {MAX_QUERY_BYTES} bytes is refused")
            kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if kind == "application/sparql-update":
                return _refuse(403, "the endpoint is read-only: updates are refused")
            if kind == "application/sparql-query":
                body = b""
                async for chunk in request.stream():
                    body += chunk
                    if len(body) > MAX_QUERY_BYTES:
                        return _refuse(413, f"a query of more than {MAX_QUERY_BYTES} bytes is refused")
                text = body.decode("utf-8", errors="replace")
            elif kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.form()
                if "update" in form:
                    return _refuse(403, "the endpoint is read-only: updates are refused")
                text = form.get("query", text)
                defaults += form.getlist("default-graph-uri")
                named += form.getlist("named-graph-uri")
            else:
                return _refuse(415, "send the query as application/sparql-query or as a form field 'query'")
        elif "update" in params:
            return _refuse(403, "the endpoint is read-only: updates are refused")
        if not text or not str(text).strip():
            return _refuse(400, "no query: give it as the 'query' parameter")
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(self._answer, str(text), params.get("format") or params.get("output"),
                                       request.headers.get("accept"), defaults, named)

    def _answer(self, text: str, fmt: str | None, accept: str | None, defaults, named) -> Response:
        try:
            with self.served.lock:
                snapshot = self.served.current()
                result = endpoint.answer(snapshot.graph, text, fmt=fmt, accept=accept, timeout=self.timeout,
                                         max_rows=self.max_rows, default_graphs=defaults, named_graphs=named,
                                         extra=snapshot.judgements)
        except endpoint.Refused as error:
            return _refuse(403 if "read-only" in str(error) or "SERVICE" in str(error) else 400, str(error))
        except endpoint.TimedOut as error:
            return _refuse(503, str(error))
        except RopaError as error:
            return _refuse(400, str(error))
        headers = {"X-Ropa-Truncated": "true"} if result.truncated else {}
        return Response(result.body, media_type=result.media_type, headers=headers)

    # -- files

    def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        files = {"style.css": resources.reports_dir() / "common" / "style.css",
                 "web.css": resources.reports_dir() / "web" / "web.css",
                 "app.js": resources.reports_dir() / "web" / "app.js"}
        if name not in files:
            raise _NotFound()
        media = "text/css" if name.endswith(".css") else "text/javascript"
        return FileResponse(files[name], media_type=media)


def _links(snapshot: Snapshot, lang: str) -> dict:
    """What a document page of the application links to, from the outline rather than from a record built whole:
    the index's title and the documents of an organisation."""
    outline = snapshot.outline(lang)

    def documents_of(organisation) -> list[str]:
        return [*(k for k in ("controller", "processor") if outline.of(organisation.iri, k)), "overview"]

    return {"index_title": _t(lang)("doc.group_overview" if len(outline.entities) > 1 else "doc.record_overview"),
            "documents_of": documents_of}


_PROVIDERS = """SELECT ?x (COUNT(DISTINCT ?e) AS ?organisations) (COUNT(DISTINCT ?a) AS ?activities) WHERE {{ {data} {{
    VALUES ?link {{ dpv:hasDataProcessor ropa:usesServiceProvider ropa:engagesProcessor ropa:hasSubProcessor }}
    {{ ?a ropa:recordedBy ?e ; ?link ?x }} UNION {{ ?e ?link ?x . ?e a ?kind FILTER(?kind IN (dpv:LegalEntity, dpv:Organisation)) }}
    FILTER(isIRI(?x) && ?x != ?e) }} }} GROUP BY ?x ORDER BY DESC(?activities) DESC(?organisations) ?x"""
TOP_PROVIDERS = 20
"""How many providers the overview of a large record names (the most used; the diagrams page picks any)."""


def _top_providers(snapshot: Snapshot, lang: str) -> tuple[list[dict], int]:
    """The providers most used in the record (by activities, then organisations), and how many there are."""
    rows = snapshot.answers.select(_PROVIDERS.format(data=_DATA.format(graphs=snapshot.data_graphs)))   # asked once
    labels = Labels(snapshot.graph, lang, snapshot.answers)
    top = rows[:TOP_PROVIDERS]
    labels.fetch(row["x"] for row in top)
    return [{"iri": row["x"], "name": labels[row["x"]], "organisations": int(row["organisations"]),
             "activities": int(row["activities"])} for row in top], len(rows)


def _refuse(status: int, message: str) -> Response:
    return PlainTextResponse(safe.one_line(message) + "\n", status_code=status)


def _go(kind: str, iri: str | None) -> str:
    """A link (relative to /<lang>/) to the register page of an activity or organisation, or "" without one."""
    return f"go?{urllib.parse.urlencode({kind: iri})}" if iri and not iri.startswith("_:") else ""


def _matches(finding: Finding, wanted: dict[str, str]) -> bool:
    if wanted["organisation"] and finding.entity != wanted["organisation"]:
        return False
    if wanted["severity"] and finding.severity != wanted["severity"]:
        return False
    if wanted["article"] and finding.article != wanted["article"]:
        return False
    if wanted["check"] and finding.check != wanted["check"]:
        return False
    if wanted["status"] == "open" and finding.waived:
        return False
    if wanted["status"] == "waived" and not finding.waived:
        return False
    return True


def _choices(snapshot: Snapshot, kind: str, labels: Labels) -> list[tuple[str, str]]:
    """The record's organisations, vendors, data categories or data subjects as (IRI, label), by label: asked once
    per record version and language (a million triples make each list a second's work)."""
    key = (kind, labels.lang)
    if key not in snapshot.choice_lists:
        rows = snapshot.graph.select(_CHOICES[kind].format(data=_DATA.format(graphs=snapshot.data_graphs)))
        iris = [row["x"] for row in rows]
        labels.fetch(iris)
        snapshot.choice_lists[key] = sorted(((iri, labels[iri]) for iri in iris), key=lambda c: (c[1].lower(), c[0]))
    return snapshot.choice_lists[key]


@dataclass
class _Question:
    """A library question as its form shows it: title and explanation in the language when the catalogue has
    them, the header's English words otherwise."""

    query: library.Query
    t: Messages

    @property
    def name(self) -> str:
        return self.query.name

    @property
    def title(self) -> str:
        return library.title(self.query, self.t.lang) or self.query.name

    @property
    def title_lang(self) -> str:
        return self.t.lang if f"query.{self.query.name}.title" in self.t.phrases else "en"

    @property
    def answers(self) -> str:
        """What the question answers, in the page's plain words (the header's English for a question the
        catalogues do not describe)."""
        return library.description(self.query, self.t.lang)

    @property
    def answers_lang(self) -> str:
        return library.words_lang(self.query, self.t.lang)

    @property
    def article(self) -> str:
        """The articles it serves, cited as the page's language cites them."""
        return library.article(self.query, self.t.lang)


@dataclass
class _Input:
    """One typed field of a question's form."""

    name: str
    label: str
    widget: str       # select, date, number, text
    value: str
    required: bool
    choices: list[tuple[str, str]] = field(default_factory=list)
    suggestions: list[tuple[str, str]] = field(default_factory=list)
    description: str = ""

    @classmethod
    def of(cls, param: library.Param, snapshot: Snapshot, lang: str, given, t: Messages) -> _Input:
        key = f"web.param.{param.name}"
        label = t(key) if t.has(key) else param.name.replace("_", " ")
        default = param.default or ""
        value = given.get(param.name, default if default not in ("any",) else "any")
        if param.type == "IRI":
            kind = PICKERS.get(param.name)
            choices = _choices(snapshot, kind, Labels(snapshot.graph, lang)) if kind else []
            anyone = [("any", t("web.any"))] if param.default == "any" or param.required else []
            if kind and len(choices) <= MAX_OPTIONS:
                return cls(param.name, label, "select", value, param.required,
                           anyone + [(f"<{iri}>", text) for iri, text in choices], description=param.description)
            return cls(param.name, label, "text", "" if value == "any" else value, param.required,
                       suggestions=[(f"<{iri}>", text) for iri, text in choices[:MAX_OPTIONS]],
                       description=param.description)
        if param.type == "language":
            return cls(param.name, label, "select", given.get(param.name, lang), param.required,
                       [(code, t(f"web.language.{code}")) for code in LANGUAGES], description=param.description)
        if param.type == "date":
            if value == "today":
                value = snapshot.as_of.isoformat()   # the date the record is shown at
            return cls(param.name, label, "date", value, param.required, description=param.description)
        if param.type == "integer":
            return cls(param.name, label, "number", value, param.required, description=param.description)
        if param.type == "duration" and param.name not in given:
            value = format_duration(value, t) if value else value   # the default in words: "5 jaar", not P5Y
        return cls(param.name, label, "text", value, param.required, description=param.description)


def _missing_words(problem: RopaError, inputs: list[_Input], t: Messages) -> str | None:
    """A required field left empty, in the page's words with a few of the record's own choices for it (its
    organisations, its data categories); None when the field offers none."""
    if problem.key != "error.param.missing":
        return None
    found = next((i for i in inputs if i.name == problem.values.get("name")), None)
    options = [text for value, text in (found.choices or found.suggestions) if value != "any"][:3] if found else []
    if not options:
        return None
    return t("error.param.missing_choose", param=found.label, examples=", ".join(options), any=t("web.any"))


def _answer(results: library.Results | None, request: Request, t: Messages) -> dict:
    """An answer as the pages show it: the columns (named in the language where the catalogue has them), a page
    of rows, the pager, and the download links."""
    if results is None:
        return {"results": None}
    columns = results.shown()
    records = results.records(lang=t.lang)
    rows, pager = _paginate(records, request)
    base = [(k, v) for k, v in request.query_params.multi_items() if k not in ("_page", "_download")]
    return {"results": results, "columns": [(c, _column(c, t)) for c in columns], "rows": rows, "pager": pager,
            "downloads": [(fmt, request.url.path + "?" + urllib.parse.urlencode([*base, ("_download", fmt)]))
                          for fmt in ("csv", "xlsx")]}


def _column(name: str, t: Messages) -> str:
    """The column's header as ``ropa query`` names it (ropa.query.header); an ad-hoc query's variable in words."""
    text = library.header(name, t.lang)
    if text != name:
        return text
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name.removesuffix("Label")).lower()


def _download(results: library.Results, name: str, fmt: str, t: Messages) -> Response:
    columns = results.shown()
    if fmt == "csv":
        return Response(results.render("csv", lang=t.lang).encode("utf-8"), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    body = to_xlsx([_column(c, t) for c in columns], [[r[c] for c in columns] for r in results.records(lang=t.lang)], name)
    return Response(body, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})


@dataclass
class _Hit:
    kind: str
    label: str
    link: str
    matched: str


def _search(snapshot: Snapshot, lang: str, text: str) -> list[_Hit]:
    """Activities, organisations, vendors and data categories whose label (in a language ropa ships) holds the text."""
    # the text is bound as an RDF literal that pyoxigraph writes (quotes escaped), never pasted as it came
    rows = snapshot.graph.query(_SEARCH.format(data=_DATA.format(graphs=snapshot.data_graphs), text=ox.Literal(text),
                                               languages=", ".join(f'"{lang}"' for lang in LANGUAGES)))
    found: OrderedDict[tuple[str, str], None] = OrderedDict()
    for row in rows:
        found.setdefault((row["x"].value, row["kind"].value), None)
    labels = Labels(snapshot.graph, lang)
    labels.fetch(iri for iri, _ in found)
    keepers = {row["o"] for row in snapshot.graph.select(
        f"SELECT DISTINCT ?o WHERE {{ {_DATA.format(graphs=snapshot.data_graphs)} {{ ?a ropa:recordedBy ?o }} }}")}
    hits = []
    for iri, kind in found:
        if kind == "activity":
            link = _go("activity", iri)
        elif kind == "organisation" and iri in keepers:
            link = _go("organisation", iri)
        elif kind in ("vendor",):
            link = "impact?" + urllib.parse.urlencode({"vendor": f"<{iri}>"})
        elif kind == "category":
            link = "question/recipients-of-data-category?" + urllib.parse.urlencode(
                {"category": f"<{iri}>", "lang": lang, "_run": "1"})
        else:
            link = "search?" + urllib.parse.urlencode({"q": labels[iri]})
        hits.append(_Hit(kind, labels[iri], link, text))
    order = {"activity": 0, "organisation": 1, "vendor": 2, "category": 3}
    return sorted(hits, key=lambda h: (order[h.kind], h.label.lower()))


# --- Security -----------------------------------------------------------------------------------------------

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class Guard:
    """ASGI middleware: the token on every request (when one is set), the security headers on every response,
    and a page for a record that no longer loads or a page that does not exist."""

    def __init__(self, app, token: str | None, origins: Sequence[str] = ()):
        self.app = app
        self.token = token
        self.origins = frozenset(origins)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request = Request(scope)
        # another site's page may read the endpoint only when the origin was named (--allow-origin)
        origin = request.headers.get("origin", "")
        cors = {"Access-Control-Allow-Origin": origin, "Vary": "Origin"} \
            if origin in self.origins and request.url.path == "/sparql" else {}
        if cors and request.method == "OPTIONS":   # the preflight carries no data and no token
            response = Response(status_code=204, headers={**cors, "Access-Control-Allow-Methods": "GET, POST",
                                                          "Access-Control-Allow-Headers": "Authorization, Content-Type, Accept",
                                                          "Access-Control-Max-Age": "600"})
            return await self._send(response, scope, receive, send)
        if self.token is not None:
            given = request.query_params.get("token")
            if given is not None and hmac.compare_digest(given.encode(), self.token.encode()):
                rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
                # one leading slash: "//host/..." would send the browser to another site
                target = "/" + request.url.path.lstrip("/\\") + ("?" + urllib.parse.urlencode(rest) if rest else "")
                response = RedirectResponse(target, status_code=303)
                response.set_cookie(TOKEN_COOKIE, self.token, httponly=True, samesite="strict", path="/")
                return await self._send(response, scope, receive, send)
            if not self._allowed(request):
                response = PlainTextResponse("a token is needed: Authorization: Bearer TOKEN, or open the page "
                                             "once with ?token=TOKEN\n", status_code=401,
                                             headers={"WWW-Authenticate": "Bearer"})
                return await self._send(response, scope, receive, send)

        async def secured(message):
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.decode("latin-1").lower() not in {h.lower() for h in SECURITY_HEADERS}]
                headers += [(k.lower().encode("latin-1"), v.encode("latin-1"))
                            for k, v in {**SECURITY_HEADERS, **cors}.items()]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, secured)

    def _allowed(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), self.token.encode()):
            return True
        cookie = request.cookies.get(TOKEN_COOKIE, "")
        return bool(cookie) and hmac.compare_digest(cookie.encode(), self.token.encode())

    async def _send(self, response: Response, scope, receive, send):
        for key, value in SECURITY_HEADERS.items():
            response.headers[key] = value
        await response(scope, receive, send)


def _problem_page(request: Request, status: int, lines: list[str]) -> HTMLResponse:
    lang = request.path_params.get("lang") if request.path_params.get("lang") in LANGUAGES else "en"
    t = _t(lang)
    return _html("problem", {"lang": lang, "t": t, "title": t(f"web.problem.{status}"), "lines": lines,
                             "status": status}, status=status)


def create_app(paths: Sequence[str | Path] | None = None, *, as_of: dt.date | None = None,
               waivers: str | Path | None = None, token: str | None = None, hosts: Sequence[str] | None = None,
               timeout: float = endpoint.DEFAULT_TIMEOUT, max_rows: int = endpoint.DEFAULT_MAX_ROWS,
               origins: Sequence[str] = (), preload: bool = True) -> Starlette:
    """The application over the record in ``paths`` (the bundled data when None).

    ``token``: every request must carry it. ``hosts``: the Host names requests may use (a page on another site
    that resolves its own name to 127.0.0.1 must not read the record); None accepts any. ``timeout`` and
    ``max_rows`` bound a query of the endpoint and the SPARQL editor. ``origins``: other sites whose pages may
    read the endpoint (a YASGUI page, say); no other page ever can. ``preload`` loads the record now, so that a
    record that does not load is a RopaError before the server starts.
    """
    served = Served(paths, as_of=as_of, waivers=waivers)
    if preload:
        served.current()
    app = Application(served, timeout=timeout, max_rows=max_rows)

    def handled(method):
        def endpoint_(request: Request) -> Response:
            try:
                return method(request)
            except _NotFound:
                return _problem_page(request, 404, [])
            except RopaError as error:   # in the page's language where the error has a catalogue phrase
                lang = request.path_params.get("lang")
                said = error.said_lines(_t(lang)) if lang in LANGUAGES else error.lines()
                return _problem_page(request, 500, said)
        return endpoint_

    routes = [
        Route("/", app.home),
        Route("/sparql", app.sparql, methods=["GET", "POST"]),
        Route("/static/{name}", handled(app.static)),
        Route("/{lang}/", handled(app.document)),
        Route("/{lang}/style.css", lambda request: FileResponse(resources.reports_dir() / "common" / "style.css",
                                                                media_type="text/css")),
        Route("/{lang}/findings", handled(app.findings)),
        Route("/{lang}/questions", handled(app.questions)),
        Route("/{lang}/question/{name}", handled(app.question)),
        Route("/{lang}/sparql", handled(app.editor)),
        Route("/{lang}/search", handled(app.search)),
        Route("/{lang}/diagrams", handled(app.diagrams)),
        Route("/{lang}/diagram/{kind}/{slug}", handled(app.diagram)),
        Route("/{lang}/impact", handled(app.impact)),
        Route("/{lang}/go", handled(app.go)),
        Route("/{lang}/{stem}.html", handled(app.document)),
    ]
    middleware = [Middleware(Guard, token=token, origins=origins)]
    if hosts:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=list(hosts)))
    application = Starlette(routes=routes, middleware=middleware)

    async def not_found(request: Request, exc) -> Response:
        return _problem_page(request, 404, [])

    application.add_exception_handler(404, not_found)
    application.state.served = served
    return application


LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def check_bind(host: str, token: str | None) -> None:
    """Binding anywhere but this machine needs a token: the record is not for the whole network to read."""
    if host not in LOCAL_HOSTS and not token:
        raise RopaError(f"--host {host} would let other machines read the record: give --token too (every "
                        "request must then carry it), or bind 127.0.0.1")
    if token is not None and len(token) < 16:
        raise RopaError("--token must be at least 16 characters long (e.g. from `python -c 'import secrets; "
                        "print(secrets.token_urlsafe())'`)")


def check_origins(origins: Sequence[str]) -> list[str]:
    """Origins as browsers send them: scheme, host and port, nothing more."""
    for origin in origins:
        parsed = urllib.parse.urlsplit(origin)
        if parsed.scheme not in ("http", "https") or not parsed.netloc or parsed.path or parsed.query or origin == "*":
            raise RopaError(f"--allow-origin '{origin}' is not an origin such as https://yasgui.example.org "
                            "(a scheme and a host, no path)")
    return list(origins)


def check_port(host: str, port: int) -> None:
    """A port another program already listens on is a one-line error before anything is printed."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise RopaError(f"cannot listen on {host} port {port}: {error.strerror}; choose another with --port") from None


def allowed_hosts(token: str | None) -> list[str] | None:
    """The Host names a local server answers (any, with a token)."""
    if token:
        return None
    return ["127.0.0.1", "localhost", "[::1]", "::1"]


def run(application: Starlette, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the application with uvicorn until interrupted."""
    import uvicorn

    uvicorn.run(application, host=host, port=port, log_level=os.environ.get("ROPA_LOG_LEVEL", "warning"),
                server_header=False, access_log=False)
