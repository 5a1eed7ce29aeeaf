"""Change tracking: what changed in the register between two versions, and the Art. 28(2) sub-processor notice.

Each side is a file or folder, or a git revision of one (``REV:path``), which is exported with ``git archive``
into a temporary folder: the working tree is never touched. Both sides are loaded like any register and compared
by IRI, aspect by aspect, with SPARQL reading each side:

* activities added or removed, and changed fields (purposes, data subjects, personal data, recipients, ...);
* processors and sub-processors: links added or removed;
* transfers: added, removed, or changed (destination, importer, bases);
* retention: storage conditions linked or unlinked, and periods changed;
* legal bases of activities: added or removed.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import subprocess
import tarfile
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from ropa.errors import RopaError
import pyoxigraph as ox

from ropa.flows import contacts, flow_graph, label_map, resolve_party
from ropa.load import RecordGraph, load
from ropa.namespaces import PREFIXES, ROPA, shorten
from ropa.periods import format_date
from ropa.register import Labels, Messages, format_duration
from ropa.tabular import NOT_DOCUMENTED, Section

DPV = PREFIXES["dpv"]
ASPECTS = ("activity", "processor", "sub-processor", "transfer", "retention", "legal basis")

ACTIVITY_FIELDS = {
    DPV + "hasPurpose": "purpose", DPV + "hasDataSubject": "data subject", DPV + "hasPersonalData": "personal data",
    DPV + "hasRecipient": "recipient", DPV + "hasDataController": "controller", ROPA + "actsOnBehalfOf": "acts on behalf of",
    ROPA + "role": "role", ROPA + "recordedBy": "recorded by", DPV + "hasTechnicalOrganisationalMeasure": "security measure",
    ROPA + "validFrom": "valid from", ROPA + "validUntil": "valid until", ROPA + "conditional": "conditional",
}
TRANSFER_FIELDS = {
    DPV + "hasThirdCountry": "third country", ROPA + "outsideRegion": "outside region", DPV + "hasDataImporter": "importer",
    DPV + "hasDataExporter": "exporter", DPV + "hasLegalBasis": "basis", ROPA + "conditional": "conditional",
    ROPA + "accessedFrom": "accessed from",
}


def _values(fields: dict[str, str]) -> str:
    return " ".join(f"<{p}>" for p in fields)


_NODES = {
    "activities": "SELECT DISTINCT ?s WHERE { ?s a dpv:Process }",
    "transfers": "SELECT DISTINCT ?s WHERE { ?s a dpv:CrossBorderTransfer }",
}
_LINKS = {
    "activity fields": f"""SELECT DISTINCT ?s ?p ?o WHERE {{
        VALUES ?p {{ {_values(ACTIVITY_FIELDS)} }} ?s a dpv:Process ; ?p ?o . FILTER(!isBlank(?o)) }}""",
    "processor": """SELECT DISTINCT ?s ?p ?o WHERE {
        VALUES ?p { dpv:hasDataProcessor ropa:usesServiceProvider ropa:engagesProcessor } ?s ?p ?o
        FILTER(?p != dpv:hasDataProcessor || EXISTS { ?s a dpv:Process } || EXISTS { ?kept ropa:recordedBy ?s }) }""",
    # a processor's own processors: ropa:hasSubProcessor, or DPV's dpv:hasDataProcessor on the processor
    "sub-processor": """SELECT DISTINCT ?s ?p ?o WHERE {
        { ?s ropa:hasSubProcessor ?o BIND(ropa:hasSubProcessor AS ?p) }
        UNION { ?s dpv:hasDataProcessor ?o BIND(dpv:hasDataProcessor AS ?p)
                FILTER NOT EXISTS { ?s a dpv:Process } FILTER NOT EXISTS { ?kept ropa:recordedBy ?s } } }""",
    "transfer fields": f"""SELECT DISTINCT ?s ?p ?o WHERE {{
        VALUES ?p {{ {_values(TRANSFER_FIELDS)} }} ?s a dpv:CrossBorderTransfer ; ?p ?o . FILTER(!isBlank(?o)) }}""",
    "retention": "SELECT DISTINCT ?s ?p ?o WHERE { VALUES ?p { dpv:hasStorageCondition } ?s ?p ?o }",
    "legal basis": "SELECT DISTINCT ?s ?p ?o WHERE { VALUES ?p { dpv:hasLegalBasis } ?s a dpv:Process ; ?p ?o }",
}

_DURATIONS = """
    SELECT ?condition ?duration ?kind ?value ?event ?after ?minimum ?maximum ?stated WHERE {
      ?condition dpv:hasDuration ?duration .
      OPTIONAL { ?duration a ?kind FILTER(?kind IN (dpv:TemporalDuration, dpv:UntilEventDuration,
                                                    dpv:IndeterminateDuration, ropa:StatutoryDuration)) }
      OPTIONAL { ?duration rdf:value ?value }
      OPTIONAL { ?duration ropa:untilEvent ?event }
      OPTIONAL { ?duration ropa:afterEvent ?after }
      OPTIONAL { ?duration ropa:minimumDuration ?minimum }
      OPTIONAL { ?duration ropa:maximumDuration ?maximum }
      OPTIONAL { ?duration ropa:statedAs ?stated }
    }"""

_LABELLED_CONDITIONS = "SELECT DISTINCT ?s WHERE { ?s dpv:hasDuration ?d ; rdfs:label|skos:prefLabel ?l }"


# --- Versions -------------------------------------------------------------------------------------------------

def load_version(spec: str | Path) -> RecordGraph:
    """Load one side: an existing file or folder, or ``REV:path`` from git (path relative to the working folder)."""
    path = Path(spec)
    if path.exists():
        return load([path])
    text = str(spec)
    revision, colon, inside = text.partition(":")
    if not colon or not revision:
        raise RopaError("no such file or folder, and not a git revision REV:path", path=text)
    with tempfile.TemporaryDirectory(prefix="ropa-diff-") as folder:
        return load([export_revision(revision, Path(inside or "."), Path(folder))])


def export_revision(revision: str, path: Path, into: Path) -> Path:
    """Write ``path`` as it was at ``revision`` into the folder ``into`` with git archive; return where it went."""
    target = path if path.is_absolute() else Path.cwd() / path
    existing = next(p for p in [target, *target.parents] if p.exists())
    top = Path(_git(existing if existing.is_dir() else existing.parent, "rev-parse", "--show-toplevel").decode().strip())
    try:
        inside = target.resolve().relative_to(top.resolve()).as_posix() or "."
    except ValueError:
        raise RopaError(f"{target} is not inside the git repository {top}") from None
    commit = verify_revision(top, revision)
    archive = _git(top, "archive", "--format=tar", commit, "--", inside)
    try:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(into, filter="data")
    except (tarfile.TarError, OSError) as error:
        raise RopaError(f"cannot unpack {inside} at {revision}: {error}") from None
    return into / inside


def verify_revision(repository: Path, revision: str) -> str:
    """The commit a revision names, as a full hash, or a RopaError: a revision is checked by git as a revision
    (never read as an option such as --output=FILE) before anything else is done with it."""
    if not revision.strip():
        raise RopaError("an empty git revision: give a commit, branch or tag, e.g. HEAD~1")
    try:
        found = _git(repository, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}")
    except RopaError:
        found = b""
    commit = found.decode("ascii", "replace").strip()
    if not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", commit):
        raise RopaError(f"'{revision}' is not a commit in the git repository {repository}")
    return commit


def _git(folder: Path, *args: str) -> bytes:
    try:
        run = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, timeout=120,
                             env={**os.environ, "GIT_LITERAL_PATHSPECS": "1"})
    except FileNotFoundError:
        raise RopaError("git is not installed: give both sides as files or folders") from None
    except subprocess.TimeoutExpired:
        raise RopaError(f"git {args[0]} did not finish within 120 seconds") from None
    if run.returncode != 0:
        lines = run.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RopaError(f"git {args[0]} failed: {lines[-1] if lines else f'exit code {run.returncode}'}")
    return run.stdout


# --- Comparing ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Change:
    """One difference: an item added to, removed from, or changed on a subject (activity, party, transfer, ...)."""

    aspect: str
    kind: str
    subject: str
    subject_label: str
    item: str = ""
    item_label: str = ""
    old: str = ""
    new: str = ""

    def as_dict(self) -> dict:
        return {"aspect": self.aspect, "change": self.kind, "subject": shorten(self.subject),
                "subject_label": self.subject_label, "item": shorten(self.item) if self.item else None,
                "item_label": self.item_label, "old": self.old or None, "new": self.new or None}


@dataclass
class Diff:
    """The changes between two versions. ``changes`` name things in English, for JSON (the same in every
    language); ``shown`` are the same changes named in ``lang``, for the tables and Markdown a person reads."""

    old: str
    new: str
    changes: list[Change]
    lang: str = "en"
    shown: list[Change] | None = None

    def of(self, aspect: str, changes: list[Change] | None = None) -> list[Change]:
        return [c for c in (self.changes if changes is None else changes) if c.aspect == aspect]

    def title(self) -> str:
        return Messages(self.lang)("diff.title")

    def sections(self) -> list[Section]:
        t = Messages(self.lang)
        shown = self.changes if self.shown is None else self.shown
        aspect_words = {a: t(f"diff.aspect.{_slug(a)}") for a in ASPECTS}
        counts = ", ".join(t("diff.count", aspect=aspect_words[a], count=len(self.of(a, shown)))
                           for a in ASPECTS if self.of(a, shown)) or t("diff.no_change")
        result = [Section(t("diff.heading"), text=t("diff.summary", old=self.old, new=self.new, counts=counts))]
        columns = [t(f"diff.col.{c}") for c in ("change", "of", "what", "before", "after")]
        for aspect in ASPECTS:
            rows = [[t(f"diff.kind.{c.kind}"), c.subject_label, c.item_label, c.old, c.new] for c in self.of(aspect, shown)]
            result.append(Section(t(f"diff.heading.{_slug(aspect)}"), columns, rows, empty=t("diff.empty")))
        return result

    def as_dict(self) -> dict:
        return {"old": self.old, "new": self.new, "changes": [c.as_dict() for c in self.changes]}


def diff(old: str | Path, new: str | Path, lang: str = "en") -> Diff:
    """Compare two versions of the register (paths or REV:path); the tables in ``lang``."""
    return compare(load_version(old), load_version(new), str(old), str(new), lang=lang)


def _slug(words: str) -> str:
    """A field's or aspect's name as a catalogue key's last part ("legal basis" -> "legal_basis")."""
    return re.sub(r"[^a-z]+", "_", words.lower()).strip("_")


def compare(old: RecordGraph, new: RecordGraph, old_name: str = "old", new_name: str = "new", lang: str = "en") -> Diff:
    before, after = _facts(old), _facts(new)
    labels = label_map(old, _iris(before))
    labels.update(label_map(new, _iris(after)))
    english = _changes(old, new, before, after, lambda value: labels.get(value, value), Messages("en"), lambda f: f)
    t = Messages(lang)
    named = {side: Labels(graph, lang) for side, graph in (("old", old), ("new", new))}
    newer = _iris(after)
    for side, facts in (("old", before), ("new", after)):
        named[side].fetch(i for i in _iris(facts) if "://" in i)

    def label(value: str) -> str:
        """A node by its label in the language (the new version's, else the old's); a date in words; yes or no."""
        if "://" in value:
            return named["new" if value in newer else "old"][value]
        if value in ("true", "false"):
            return t("value.yes" if value == "true" else "value.no")
        return format_date(value, t)

    shown = _changes(old, new, before, after, label, t, lambda f: t(f"diff.field.{_slug(f)}"))
    return Diff(old=old_name, new=new_name, changes=english, lang=lang, shown=shown)


def _changes(old: RecordGraph, new: RecordGraph, before: dict, after: dict, label, t: Messages, field) -> list[Change]:
    """Every change, its things named by ``label``, its periods in ``t``'s words and its fields named by ``field``."""
    changes: list[Change] = []
    changes += _nodes("activity", before["activities"], after["activities"], label)
    changes += _fields("activity", before["activity fields"], after["activity fields"],
                       after["activities"] & before["activities"], ACTIVITY_FIELDS, label, field)
    for aspect in ("processor", "sub-processor", "legal basis"):
        changes += _links(aspect, before[aspect], after[aspect], label)
    changes += _nodes("transfer", before["transfers"], after["transfers"], label)
    changes += _fields("transfer", before["transfer fields"], after["transfer fields"],
                       after["transfers"] & before["transfers"], TRANSFER_FIELDS, label, field)
    durations_before, durations_after = _durations(old, t), _durations(new, t)
    changes += _links("retention", before["retention"], after["retention"], label,
                      describe=lambda sc: durations_after.get(sc) or durations_before.get(sc, ""))
    holders = defaultdict(set)   # an unlabelled storage condition is named by what keeps data under it
    for s, _, o in before["retention"] | after["retention"]:
        holders[o].add(label(s))
    labelled = {r["s"] for graph in (old, new) for r in graph.select(_LABELLED_CONDITIONS)}
    for condition in sorted(set(durations_before) & set(durations_after), key=label):
        if durations_before[condition] != durations_after[condition]:
            name = label(condition) if condition in labelled else ", ".join(sorted(holders[condition])) or label(condition)
            changes.append(Change("retention", "changed", condition, name,
                                  "", field("period"), durations_before[condition], durations_after[condition]))
    return changes


def _facts(graph: RecordGraph) -> dict:
    facts = {name: {r["s"] for r in graph.select(query)} for name, query in _NODES.items()}
    facts.update({name: {(r["s"], r["p"], r["o"]) for r in graph.select(query)} for name, query in _LINKS.items()})
    return facts


def _iris(facts: dict) -> set[str]:
    found = set()
    for values in facts.values():
        for value in values:
            found.update(value if isinstance(value, tuple) else (value,))
    return found


def _nodes(aspect: str, before: set[str], after: set[str], label) -> list[Change]:
    return [*(Change(aspect, "added", n, label(n)) for n in sorted(after - before, key=label)),
            *(Change(aspect, "removed", n, label(n)) for n in sorted(before - after, key=label))]


def _fields(aspect: str, before: set, after: set, common: set[str], fields: dict[str, str], label,
            field=lambda name: name) -> list[Change]:
    """Per subject present on both sides, per field: the values removed (before) and added (after)."""
    removed, added = defaultdict(list), defaultdict(list)
    for s, p, o in before - after:
        if s in common:
            removed[s, p].append(label(o))
    for s, p, o in after - before:
        if s in common:
            added[s, p].append(label(o))
    return [Change(aspect, "changed", s, label(s), p, field(fields[p]), ", ".join(sorted(removed[s, p])),
                   ", ".join(sorted(added[s, p])))
            for s, p in sorted(set(removed) | set(added), key=lambda k: (label(k[0]), fields[k[1]]))]


def _links(aspect: str, before: set, after: set, label, describe=lambda item: "") -> list[Change]:
    changes = []
    for kind, links in (("added", after - before), ("removed", before - after)):
        for s, p, o in sorted(links, key=lambda link: (label(link[0]), label(link[2]))):
            text = describe(o)
            changes.append(Change(aspect, kind, s, label(s), o, label(o),
                                  old=text if kind == "removed" else "", new=text if kind == "added" else ""))
    return changes


def _durations(graph: RecordGraph, words: Messages) -> dict[str, str]:
    """Each storage condition's periods as one comparable text, in the catalogue's words and labels."""
    parts = defaultdict(set)
    rows = graph.select(_DURATIONS)
    events = Labels(graph, words.lang)
    events.fetch(r["event"] for r in rows if r["event"])
    kinds = {DPV + "IndeterminateDuration": "period.indeterminate", ROPA + "StatutoryDuration": "period.statutory"}

    def period(value: str | None) -> str:
        return format_duration(value, words) if value else "?"

    for row in rows:
        stated = row["stated"] and not row["value"]
        if row["value"]:
            text = period(row["value"])
        elif row["event"]:
            after = period(row["after"]) if row["after"] else ""
            text = words("period.after", period=after, event=events[row["event"]]) \
                if after and after != words("unit.zero") else words("period.until", event=events[row["event"]])
        elif row["minimum"] or row["maximum"]:
            text = words("period.range", low=period(row["minimum"]), high=period(row["maximum"]))
        elif row["kind"] in kinds:
            text, stated = words(kinds[row["kind"]], text=row["stated"] or "").strip(), False
        else:
            text = shorten(row["kind"]) if row["kind"] else row["duration"]
        if stated:
            text += f' ("{row["stated"]}")'
        parts[row["condition"]].add(text)
    return {condition: "; ".join(sorted(texts)) for condition, texts in parts.items()}


# --- The Art. 28(2) notice ------------------------------------------------------------------------------------

_CONTROLLERS_SERVED = """
    SELECT DISTINCT ?processor ?activity ?controller WHERE {
      {
        ?activity ropa:recordedBy ?processor ; ropa:role ropa:ProcessorRole .
        OPTIONAL { ?activity ropa:actsOnBehalfOf|dpv:hasDataController ?controller }
      } UNION {   # a processor named on a controller's activity, whose record it does not keep
        ?activity dpv:hasDataProcessor|ropa:engagesProcessor ?processor ; ropa:role ropa:ControllerRole .
        FILTER NOT EXISTS { ?activity ropa:recordedBy ?processor }
        OPTIONAL { ?activity dpv:hasDataController ?controller }
      }
    }"""

_ENGAGED = """
    SELECT DISTINCT ?processor ?provider WHERE {
      { ?processor ropa:hasSubProcessor|ropa:engagesProcessor|ropa:usesServiceProvider ?provider }
      UNION { ?activity ropa:recordedBy ?processor ;
                        ropa:hasSubProcessor|ropa:engagesProcessor|ropa:usesServiceProvider|dpv:hasDataProcessor ?provider }
      UNION { ?engagement ropa:engagedBy ?processor ; ropa:provider ?provider }
      FILTER(?provider != ?processor)
    }"""
"""Every provider the processor engages, however the record links it (for itself, for one activity, by engagement)."""

_PROVIDER_FACTS = """
    SELECT ?party ?kind ?place WHERE {
      { ?party ropa:headquarteredIn ?place BIND("headquarters" AS ?kind) }
      UNION { ?party dpv:hasLocation|ropa:dataLocation ?place BIND("data location" AS ?kind) }
    }"""

OBJECTION_CONTACTS = ("privacy contact", "e-mail", "DPO e-mail", "address", "telephone")
_CONTACT_KEYS = dict(zip(OBJECTION_CONTACTS, ("privacy_contact", "email", "dpo_email", "address", "telephone")))


@dataclass
class Notice:
    """The notice a processor owes its controllers before adding or replacing a sub-processor (Art. 28(2)), in the
    language of the controllers it is sent to (phrases from the message catalogues)."""

    processor: str
    processor_label: str
    controllers: list[str]
    activities: list[str]
    rows: list[list[str]]
    changes: list[Change]
    effective: dt.date
    issued: dt.date
    contact: dict[str, list[str]]
    lang: str = "en"

    def sections(self) -> list[Section]:
        t = Messages(self.lang)
        missing = t("gap.not_documented")
        to = ", ".join(self.controllers) or missing
        contact = "\n".join(f"{t('notice.contact.' + _CONTACT_KEYS[key])}{t('punct.colon')} {', '.join(self.contact.get(key, [])) or missing}"
                            for key in OBJECTION_CONTACTS)
        return [
            Section(t("notice.title"), text=t("notice.intro", processor=self.processor_label, controllers=to,
                                              issued=format_date(self.issued, t))),
            Section(t("notice.changes"), [t("notice.col.change"), t("notice.col.sub_processor"), t("notice.col.engaged_by"),
                                          t("notice.col.headquarters"), t("notice.col.data_location"),
                                          t("notice.col.basis", date=format_date(self.effective, t))], self.rows,
                    empty=t("section.none")),
            Section(t("notice.processing"), text="\n".join(self.activities) or missing),
            Section(t("notice.from_when"), text=t("notice.from_when.text", date=format_date(self.effective, t))),
            Section(t("notice.objection"), text=t("notice.objection.text", date=format_date(self.effective, t),
                                                  processor=self.processor_label) + "\n\n" + contact),
        ]

    def as_dict(self) -> dict:
        return {
            "processor": {"id": shorten(self.processor), "label": self.processor_label},
            "to": self.controllers, "issued": self.issued.isoformat(), "effective": self.effective.isoformat(),
            "processing": self.activities,
            "changes": [dict(zip(["change", "sub_processor", "engaged_by", "headquarters", "data_location",
                                  "transfer_basis"], row)) for row in self.rows],
            "objection": {"before": self.effective.isoformat(),
                          **{k: self.contact.get(k) or NOT_DOCUMENTED for k in OBJECTION_CONTACTS}},
        }


def notice(old: str | Path, new: str | Path, processor: str, effective: dt.date | None = None, lang: str = "en") -> Notice:
    """The Art. 28(2) notice for the sub-processor changes of ``processor`` between two versions."""
    return make_notice(load_version(old), load_version(new), processor, effective, lang=lang)


def make_notice(old: RecordGraph, new: RecordGraph, processor: str, effective: dt.date | None = None,
                issued: dt.date | None = None, lang: str = "en") -> Notice:
    issued = issued or dt.date.today()
    effective = effective or issued + dt.timedelta(days=30)
    if effective < issued:
        raise RopaError(f"the change takes effect on {effective.isoformat()}, before the notice is issued "
                        f"({issued.isoformat()}): Art. 28(2) asks for the notice before the change, so that "
                        f"controllers can object; give --effective a later date", key="notice.error.before_issued",
                        values={"effective": format_date(effective, Messages(lang)),
                                "issued": format_date(issued, Messages(lang))})
    try:
        party = resolve_party(new, processor, "processor")
    except RopaError:
        party = resolve_party(old, processor, "processor")
    served = new.select(_CONTROLLERS_SERVED, {"processor": ox.NamedNode(party)})
    own_activities = {r["activity"] for r in served}
    found = compare(old, new)
    engaged = {side: {r["provider"] for r in graph.select(_ENGAGED, {"processor": ox.NamedNode(party)})}
               for side, graph in (("old", old), ("new", new))}
    # A provider already engaged in the old version (for the organisation, another activity or by an engagement)
    # is not added; one still engaged in the new version is not removed: only the provider set changes a notice.
    changes = [c for c in found.changes if c.aspect in ("sub-processor", "processor") and c.kind in ("added", "removed")
               and (c.subject == party or c.subject in own_activities) and c.item != party
               and (c.item not in engaged["old"] if c.kind == "added" else c.item not in engaged["new"])]
    listed = {(c.kind, c.item) for c in changes}
    labels = {**label_map(old, engaged["old"] - engaged["new"]), **label_map(new, engaged["new"] - engaged["old"])}
    for kind, items in (("added", engaged["new"] - engaged["old"]), ("removed", engaged["old"] - engaged["new"])):
        for item in sorted(items):
            if (kind, item) not in listed:  # engaged through a sub-processor list entry (ropa:Engagement)
                changes.append(Change("sub-processor", kind, party, label_map(new, [party]).get(party, party),
                                      item, labels.get(item, item)))
    name = label_map(new, [party]).get(party, party)
    if not changes:
        raise RopaError(f"no sub-processor of {name} was added or removed between the two versions: no notice is owed",
                        key="notice.error.no_change", values={"name": name})
    t = Messages(lang)
    missing = t("gap.not_documented")
    rows = []
    for change in changes:
        graph = new if change.kind == "added" else old
        names = Labels(graph, lang)   # the sub-processor and what engages it, named in the notice's language
        names.fetch([change.item, change.subject])
        facts = defaultdict(list)
        places = graph.select(_PROVIDER_FACTS, {"party": ox.NamedNode(change.item)})
        place_labels = Labels(graph, lang)
        place_labels.fetch(r["place"] for r in places)
        for row in places:
            facts[row["kind"]].append(place_labels[row["place"]])
        basis = _basis_on(new, change.item, effective, lang) if change.kind == "added" else t("notice.no_longer_used")
        rows.append([t(f"notice.change.{change.kind}"), names[change.item], names[change.subject],
                     ", ".join(facts["headquarters"]) or missing, ", ".join(facts["data location"]) or missing, basis])
    served_labels = Labels(new, lang)
    served_labels.fetch([*own_activities, *(r["controller"] for r in served)])
    controllers = sorted({served_labels[r["controller"]] for r in served if r["controller"]})
    return Notice(processor=party, processor_label=name, controllers=controllers,
                  activities=sorted(served_labels[a] for a in own_activities), rows=rows, changes=changes, effective=effective,
                  issued=issued, contact=contacts(new, [party]).get(party, {}), lang=lang)


def _basis_on(graph: RecordGraph, provider: str, date: dt.date, lang: str = "en") -> str:
    """How the flows to the new sub-processor's places are founded on the date the change takes effect: per place,
    the verdict and the bases it rests on (Art. 44-49)."""
    t = Messages(lang)
    fg = flow_graph(graph, date)
    if provider not in fg.graph:
        return t("gap.not_documented")
    places = sorted(fg.destinations(provider))
    labels = Labels(graph, lang)
    edges = [fg.graph.edges[provider, p] for p in places]
    labels.fetch([*(p for p in places if "://" in p and not p.startswith("outside:")),
                  *(b.instrument for e in edges for b in e.get("bases") or [])])
    found = []
    for place, edge in zip(places, edges):
        status = edge["status"] or "unknown"
        name = labels[place] if place in labels.cache else fg.label(place)
        if any(edge.get("access_of", {}).values()):   # reached from there, the data held elsewhere
            name = t("place.remote_access", place=name)
        text = f"{name}: {t('diagram.status.' + status.replace(' ', '_'))}"
        bases = sorted({labels[b.instrument] for b in edge.get("bases") or [] if b.valid == (status == "valid")})
        found.append(text + (f" ({'; '.join(bases)})" if bases and status != "not required" else ""))
    return "; ".join(found) or t("notice.location_not_documented")
