"""The vocabulary a record may use, as plain Term objects: look terms up by label or prefixed name, list them by kind.

One lookup serves `ropa terms`, the loader's "did you mean", the scaffold and the workbook import. It is built from
the loaded vocabulary graph (the DPV 2.3 subset, the ropa extension, translated labels and the reference data), so
a term is known exactly when the loader accepts it. The kind of a term comes from where it hangs in that graph
(skos:broader* or rdf:type under a DPV top concept); the article and the validity dates come from reference data.
All SPARQL of this module is in _TERMS_QUERY and KIND_PATTERNS.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
import unicodedata
from dataclasses import dataclass

from ropa.namespaces import PREFIXES, expand, shorten
from ropa.resources import LANGUAGES

KIND_PATTERNS: dict[str, str] = {
    "legal-basis": '?t a dpv:LegalBasis . FILTER(REGEX(STR(?t), "^https://w3id.org/dpv/legal/eu/gdpr#A(6-1|9-2)"))',
    "transfer-basis": """{ ?t skos:broader+ dpv:DataTransferLegalBasis }
        UNION { ?t skos:broader* eu-gdpr:DataTransferTool }
        UNION { ?t skos:broader* eu-gdpr:AdequacyDecision }
        UNION { ?t a/rdfs:subClassOf* ropa:TransferInstrument }""",
    "country": "?t a dpv:Country",
    "event": "?t a ropa:RetentionEvent",
    "purpose": "?t skos:broader* dpv:Purpose",
    "data": "{ ?t skos:broader* dpv:PersonalData } UNION { ?t a dpv:PersonalData }",
    "subject": "{ ?t skos:broader* dpv:HumanSubject } UNION { ?t a dpv:HumanSubject }",
    "recipient": "VALUES ?top { dpv:Recipient dpv:ThirdParty dpv:Authority } ?t skos:broader* ?top",
    "measure": """{ ?t skos:broader* dpv:TechnicalOrganisationalMeasure }
        UNION { VALUES ?m { dpv:TechnicalMeasure dpv:OrganisationalMeasure dpv:LegalMeasure dpv:PhysicalMeasure } ?t a ?m }""",
    "right": "{ ?t skos:broader* dpv:Right } UNION { ?t a dpv:Right }",
    "provision": "?t a ropa:LegalProvision",
    "entity": "?t skos:broader* dpv:LegalEntity",
    "property": "VALUES ?pt { rdf:Property owl:ObjectProperty owl:DatatypeProperty } ?t a ?pt",
}
"""Kind name -> the SPARQL pattern binding ?t to the terms of that kind. A term's kind is the first that matches."""

KINDS: tuple[str, ...] = (*KIND_PATTERNS, "other")
"""Every kind, in the order used to pick a term's one kind ("other": a class or concept of no kind above)."""

_TERMS_QUERY = """
SELECT ?t ?kind ?p ?o WHERE {
  { SELECT DISTINCT ?t WHERE {
      { VALUES ?g { %s } GRAPH ?g { ?t ?anyp ?anyo } }
      UNION { VALUES ?c { skos:Concept rdfs:Class rdf:Property } ?t a ?c }
      FILTER(isIRI(?t)) } }
  { ?t ?p ?o FILTER(?p IN (rdf:type, rdfs:label, skos:prefLabel, skos:altLabel, skos:broader, ropa:usesGdprArticle,
                            ropa:validFrom, ropa:validUntil)) }
  UNION { %s }
}"""

_KIND_ROWS = " UNION ".join(f'{{ {pattern} BIND("{kind}" AS ?kind) }}' for kind, pattern in KIND_PATTERNS.items())
"""One UNION arm per kind, binding ?kind (placed into _TERMS_QUERY)."""

_TYPE = PREFIXES["rdf"] + "type"
_TERM_TYPES = {PREFIXES["skos"] + "Concept", PREFIXES["rdfs"] + "Class"}
_RDFS_LABEL = PREFIXES["rdfs"] + "label"
_PREF_LABEL = PREFIXES["skos"] + "prefLabel"
_ALT_LABEL = PREFIXES["skos"] + "altLabel"
_BROADER = PREFIXES["skos"] + "broader"
_ARTICLE = PREFIXES["ropa"] + "usesGdprArticle"
_VALID_FROM = PREFIXES["ropa"] + "validFrom"
_VALID_UNTIL = PREFIXES["ropa"] + "validUntil"


@dataclass(frozen=True)
class Term:
    """A vocabulary term: its IRI and prefixed name, its kind, labels per language, broader concepts (IRIs), and for
    legal bases and transfer instruments the GDPR article and the validity dates the reference data gives."""

    iri: str
    curie: str
    kind: str
    labels: dict[str, str]
    broader: tuple[str, ...]
    article: str | None
    valid_from: dt.date | None
    valid_until: dt.date | None

    def label(self, lang: str = "en") -> str:
        """The label in ``lang``, else the English one, else the prefixed name."""
        return self.labels.get(lang) or self.labels.get("en") or self.curie

    def __hash__(self) -> int:
        return hash(self.iri)

    def as_dict(self) -> dict:
        """Plain values for JSON: prefixed names, ISO dates."""
        return {
            "curie": self.curie,
            "iri": self.iri,
            "kind": self.kind,
            "labels": dict(sorted(self.labels.items())),
            "broader": [shorten(b) for b in self.broader],
            "article": self.article,
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
        }


class Vocabulary:
    """The terms of one graph, indexed by IRI, kind and label."""

    def __init__(self, terms: list[Term], kinds: dict[str, frozenset[str]], names: dict[str, set[str]],
                 names_by_lang: dict[str, dict[str, set[str]]] | None = None):
        self._terms = sorted(terms, key=lambda t: t.curie.lower())
        self._by_iri = {t.iri: t for t in self._terms}
        self._kinds = kinds  # iri -> every kind the term belongs to (Term.kind is the first)
        self._names = names  # iri -> lower-cased labels in every language, alternative labels included
        self._names_by_lang = names_by_lang or {}  # iri -> language -> its lower-cased labels, alternative ones too

    def __len__(self) -> int:
        return len(self._terms)

    def __contains__(self, iri: str) -> bool:
        return iri in self._by_iri

    def get(self, iri: str) -> Term | None:
        return self._by_iri.get(iri)

    def terms(self, kind: str | None = None) -> list[Term]:
        """Every term (of one kind: any term that belongs to it, not only those whose first kind it is)."""
        _check_kind(kind)
        return [t for t in self._terms if kind is None or kind in self._kinds.get(t.iri, ())]

    def resolve(self, text: str, kind: str | None = None, lang: str | None = None) -> Term | None:
        """The term named exactly by a label (en, nl, fr or de, any case), a prefixed name or a full IRI.

        ``lang``: the language the text was written in; its labels come first, since one word may name different
        terms in two languages (French "Client" is dpv:Customer, English "Client" dpv:Client). A name written
        without its accents ("Etats-Unis") names the one term it then matches."""
        text = text.strip()
        if not text:
            return None
        iri = expand(text)
        if iri and iri in self._by_iri and (kind is None or kind in self._kinds[iri]):
            return self._by_iri[iri]
        wanted = text.casefold()
        terms = self.terms(kind)
        if lang is not None:
            for term in terms:
                if lang in term.labels and term.labels[lang].casefold() == wanted:
                    return term
        for term in terms:
            if wanted in self._names[term.iri]:
                return term
        # a label written without its abbreviation ("Standard Contractual Clauses (SCC)"), or the abbreviation
        # alone, names the term when no other term has that short name
        short = [t for t in terms if wanted in _short_names(self._names[t.iri])]
        if len(short) == 1:
            return short[0]
        if short:
            return None
        plain = unaccented(wanted)
        bare = [t for t in terms if plain in {unaccented(n) for n in self._names[t.iri]}]
        return bare[0] if len(bare) == 1 else None

    def named(self, text: str, kind: str | None = None) -> list[Term]:
        """Every term that a name or an abbreviation names exactly, e.g. both authorities called CNPD (for an error
        message that says which ones are meant, where resolve finds no single term)."""
        wanted = text.strip().casefold()
        return [t for t in self.terms(kind) if wanted and (wanted in self._names[t.iri]
                                                            or wanted in _short_names(self._names[t.iri]))]

    def search(self, text: str, kind: str | None = None, lang: str | None = None) -> list[Term]:
        """Terms whose prefixed name or label contains every word of ``text``, best first (all of the kind if empty).

        Exact names rank first, then names that start with the text, then those that hold it as a word, then the
        shortest. ``lang`` limits the labels searched to one language (prefixed names are always searched).
        """
        words = text.casefold().split()
        if not words:
            return self.terms(kind)
        phrase = " ".join(words)
        ranked = []
        for term in self.terms(kind):
            names = self._names_in(term, lang)
            if not any(all(w in name for w in words) for name in names):
                continue
            if phrase in names:
                rank = 0
            elif any(name.startswith(phrase) for name in names):
                rank = 1
            elif any(re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", name) for name in names):
                rank = 2   # the text as a word of the name: "leden" in "beheer van leden en partners"
            elif any(phrase in name for name in names):
                rank = 3   # inside a word: "leden" in "kredietverleden"
            else:
                rank = 4
            shortest = min(len(name) for name in names if all(w in name for w in words))
            ranked.append((rank, shortest, term.curie.lower(), term))
        return [entry[-1] for entry in sorted(ranked, key=lambda e: e[:3])]

    def suggest(self, text: str, kind: str | None = None, n: int = 3) -> list[Term]:
        """The ``n`` nearest terms to a misspelt or misplaced name (for "did you mean"), across all namespaces.

        ``text`` may be a full IRI, a prefixed name or a label; the local name is compared with every term's local
        name and labels, so ``pd:NationalIdentificationNumber`` finds ``ropa:NationalIdentificationNumber``.
        """
        iri = expand(text.strip()) or text.strip()
        local = _local_name(iri).casefold() or text.strip().casefold()
        scored = []
        for term in self.terms(kind):
            if term.iri == iri:
                continue
            candidates = {_local_name(term.iri).casefold(), *self._names[term.iri]}
            score = max(difflib.SequenceMatcher(None, local, c).ratio() for c in candidates if c)
            if len(local) >= 4 and any(local in c.split() for c in candidates):
                score = max(score, 0.75)  # a word of the name ("contract" for "Performance of a contract")
            if len(local) >= 4 and any(c.startswith(local) for c in candidates):
                score = max(score, 0.8)  # a name cut short (pd:Email for pd:EmailAddress)
            if score >= 0.6:
                same_namespace = term.iri[: len(term.iri) - len(_local_name(term.iri))] == iri[: len(iri) - len(_local_name(iri))]
                scored.append((-score, not same_namespace, term.curie, term))
        return [entry[-1] for entry in sorted(scored, key=lambda e: e[:3])[:n]]

    def _names_in(self, term: Term, lang: str | None) -> set[str]:
        names = {term.curie.casefold(), _local_name(term.iri).casefold()}
        if term.article:  # "Art. 9(2)(h)": a basis is found by its article too
            names.add(term.article.casefold())
        if lang is None:
            return names | self._names[term.iri]
        # the label and the alternative labels of that language: a French officer finds dpv:Student by "élève"
        in_lang = self._names_by_lang.get(term.iri, {}).get(lang, set())
        return names | in_lang | ({term.labels[lang].casefold()} if lang in term.labels else set())


def unaccented(text: str) -> str:
    """The text without its accents: "états-unis" -> "etats-unis"."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _short_names(names: set[str]) -> set[str]:
    """A name "label (abbreviation)" also goes by its label and by its abbreviation."""
    found = set()
    for name in names:
        match = re.fullmatch(r"(.+?)\s*\(([^()]+)\)", name)
        if match:
            found.update(part.strip() for part in match.groups())
    return found


def vocabulary(graph=None) -> Vocabulary:
    """The vocabulary of a loaded RecordGraph (its own concepts included), or of the shipped files when None (cached)."""
    if graph is None:
        return _shipped()
    return build(graph)


@functools.lru_cache(maxsize=1)
def _shipped() -> Vocabulary:
    from ropa.load import load

    return build(load([], check_terms=False))


def build(graph) -> Vocabulary:
    """Read every term of a RecordGraph with the one query of this module."""
    facts: dict[str, dict[str, list]] = {}
    kinds: dict[str, list[str]] = {}
    shipped = " ".join(f"<{g.value}>" for g in graph.graphs("vocabulary", "reference"))
    for solution in graph.query(_TERMS_QUERY % (shipped, _KIND_ROWS)):
        iri = solution["t"].value
        entry = facts.setdefault(iri, {})
        if solution["kind"] is not None:
            kinds.setdefault(iri, []).append(solution["kind"].value)
            continue
        if solution["p"] is not None:
            entry.setdefault(solution["p"].value, []).append(solution["o"])
    broader_of = {iri: tuple(sorted(o.value for o in f.get(_BROADER, []))) for iri, f in facts.items()}
    articles = {iri: f[_ARTICLE][0].value for iri, f in facts.items() if f.get(_ARTICLE)}
    terms, kind_sets, names, names_by_lang = [], {}, {}, {}
    for iri, entry in facts.items():
        found = kinds.get(iri, [])
        types = {o.value for o in entry.get(_TYPE, [])}
        if not found and not types & _TERM_TYPES:
            continue  # a source, a judgment, an individual of a record: not a term to write
        ordered = [k for k in KINDS if k in found] or ["other"]
        labels = _labels(entry)
        terms.append(
            Term(
                iri=iri,
                curie=shorten(iri),
                kind=ordered[0],
                labels=labels,
                broader=broader_of.get(iri, ()),
                article=_article(iri, broader_of, articles),
                valid_from=_date(entry.get(_VALID_FROM)),
                valid_until=_date(entry.get(_VALID_UNTIL)),
            )
        )
        kind_sets[iri] = frozenset(ordered)
        names[iri] = {
            o.value.casefold() for p in (_RDFS_LABEL, _PREF_LABEL, _ALT_LABEL) for o in entry.get(p, [])
        }
        for p in (_RDFS_LABEL, _PREF_LABEL, _ALT_LABEL):
            for o in entry.get(p, []):
                if getattr(o, "language", None):
                    names_by_lang.setdefault(iri, {}).setdefault(o.language, set()).add(o.value.casefold())
    return Vocabulary(terms, kind_sets, names, names_by_lang)


def _labels(entry: dict[str, list]) -> dict[str, str]:
    """One label per language: rdfs:label first (ropa's short wording), else skos:prefLabel."""
    labels: dict[str, str] = {}
    for predicate in (_RDFS_LABEL, _PREF_LABEL):
        for literal in sorted(entry.get(predicate, []), key=lambda o: o.value):
            lang = literal.language or "en"
            if lang in LANGUAGES:
                labels.setdefault(lang, literal.value)
    return labels


def _article(iri: str, broader_of: dict[str, tuple[str, ...]], articles: dict[str, str]) -> str | None:
    """The term's own GDPR article, else that of its nearest broader concept (breadth first)."""
    seen, frontier = {iri}, [iri]
    while frontier:
        for node in frontier:
            if node in articles:
                return articles[node]
        frontier = [b for node in frontier for b in broader_of.get(node, ()) if b not in seen]
        seen.update(frontier)
    return None


def _date(values) -> dt.date | None:
    if not values:
        return None
    try:
        return dt.date.fromisoformat(values[0].value)
    except ValueError:
        return None


def _local_name(iri: str) -> str:
    return iri[max(iri.rfind("#"), iri.rfind("/"), iri.rfind(":")) + 1 :]


def _check_kind(kind: str | None) -> None:
    if kind is not None and kind not in KINDS:
        from ropa.errors import RopaError

        raise RopaError(f"unknown kind '{kind}'; choose one of {', '.join(KINDS)}")
