"""Findings in plain words, in a person's language.

Each shape keeps its English engineering message and fix hint (with prefixed names, for JSON, SARIF and the
command line). People read the catalogue's words instead: ``check.<Shape>.field``, ``check.<Shape>.message`` and
``check.<Shape>.fix`` in ``reports/messages/<lang>.json``, with placeholders filled in the same language:

* ``{value}``: the label of the value the finding is about (a data category, a country);
* ``{value_kind}``: what that value is, in words ("a category of personal data", "a name the record does not
  define"), for a finding about a value of the wrong kind;
* ``{law}``: the national rule on identification numbers of the organisation's countries (Art. 87);
* ``{authority}``: the supervisory authority of the organisation's country.

A shape without catalogue entries (a user's own shapes) keeps its engineering words.
"""

from __future__ import annotations

from dataclasses import replace

from pyoxigraph import NamedNode

from ropa import national
from ropa.load import RecordGraph
from ropa.register import Labels, Messages, document_titles
from ropa.validate import Finding


def catalogue_key(finding: Finding) -> str:
    """``check.<ShapeLocalName>``: the catalogue prefix of a finding's shape."""
    local = finding.check.split(":", 1)[-1].strip("<>")
    local = local.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
    return f"check.{local}"


class PlainWords:
    """Rewrites findings into the catalogue's plain words of one language."""

    def __init__(self, graph: RecordGraph, lang: str, *, messages: Messages | None = None, labels: Labels | None = None):
        self.graph = graph
        self.t = messages or Messages(lang)
        self.labels = labels or Labels(graph, lang)
        self.lang = self.t.lang
        self._countries: dict[str, list[str]] = {}
        self._titles: dict[str, str] | None = None

    def __call__(self, finding: Finding) -> Finding:
        labels = self.labels
        source = finding.source
        if source is not None and self.title(source.file):
            source = replace(source, file=self.title(source.file))
        finding = replace(
            finding,
            source=source,
            focus_label=labels[finding.focus] if not finding.focus.startswith("_:") else finding.focus_label,
            entity_label=labels[finding.entity] if finding.entity else finding.entity_label,
            activity_label=labels[finding.activity] if finding.activity else finding.activity_label,
            article=self.t.cite(finding.article),
        )
        key = catalogue_key(finding)
        if not self.t.has(f"{key}.message"):
            return finding
        values = _Lazy(self, finding)
        return replace(
            finding,
            field=self.t(f"{key}.field"),
            message=self.t.contract(self.t(f"{key}.message").format_map(values)),
            fix=self.t.contract(self.t(f"{key}.fix").format_map(values)),
        )

    def all(self, findings):
        return [self(f) for f in findings]

    def title(self, file: str) -> str:
        """A source document's title in the language, for people (its file name is for engineers)."""
        if self._titles is None:
            self._titles = document_titles(self.graph, self.lang, self.labels.answers)
        return self._titles.get(file, "")

    # -- placeholders

    def countries(self, entity: str | None) -> list[str]:
        if not entity:
            return []
        if entity not in self._countries:
            self._countries[entity] = national.countries_of(self.graph, entity)
        return self._countries[entity]

    def value(self, finding: Finding) -> str:
        if not finding.value:
            return ""
        if finding.value.startswith(("http://", "https://", "urn:")):
            return self.labels[finding.value]
        return finding.value

    def value_kind(self, finding: Finding) -> str:
        """What the finding's value is: the kind of the shipped term (``value_kind.<kind>``), another kind of term
        for a concept the record defines, or a name nothing defines (most often a typing error)."""
        from ropa.terms import vocabulary

        term = vocabulary().get(finding.value) if finding.value else None
        if term is not None:
            key = f"value_kind.{term.kind}"
            return self.t(key if self.t.has(key) else "value_kind.term")
        if finding.value and self.graph.select("SELECT ?value ?p WHERE { ?value ?p ?o } LIMIT 1", {"value": NamedNode(finding.value)}):
            return self.t("value_kind.term")
        return self.t("value_kind.unknown")

    def law(self, finding: Finding) -> str:
        cited = []
        for country in self.countries(finding.entity):
            for rule in national.identification_rules(self.graph, country, self.lang):
                cited.append(self.t("national.rule", country=self.labels[country], summary=rule.summary, law=rule.law))
        return "; ".join(cited) if cited else self.t("national.no_rule")

    def authority(self, finding: Finding) -> str:
        named = []
        for country in self.countries(finding.entity):
            authority = national.authority_for(self.graph, country)
            if authority:
                named.append(self.t("national.authority", authority=self.labels[authority], country=self.labels[country]))
        return "; ".join(named) if named else self.t("national.authority_unknown")


class _Lazy(dict):
    """Placeholder values computed only when a phrase uses them."""

    def __init__(self, words: PlainWords, finding: Finding):
        super().__init__()
        self.words = words
        self.finding = finding

    def __missing__(self, name: str) -> str:
        method = {"value": self.words.value, "value_kind": self.words.value_kind, "law": self.words.law,
                  "authority": self.words.authority}.get(name)
        if method is None:
            return "{" + name + "}"
        self[name] = method(self.finding)
        return self[name]
