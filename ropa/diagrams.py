"""Data-flow diagrams per controller or per activity: Graphviz SVG for documents, Mermaid text for Markdown.

A diagram is drawn from the flow graph (ropa.flows) left to right: data subjects, the activities clustered by the
organisation keeping them, controllers, processors, and places. To stay readable at the size of the Dstny graph
(sixteen activities, fourteen sub-processors) providers engaged by the same party are grouped in one cluster,
sub-grouped by where they are; the party gets one edge to the cluster and each sub-group one edge to its place,
instead of an edge per provider.

An edge into a place a party reaches the data from while they are held elsewhere (remote access, ropa:accessedFrom)
is dotted and labelled as access, in the diagram's language, when every activity drawn reaches it so; grouped
providers that reach a place by access form a sub-group of their own.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import textwrap
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from ropa import safe
from ropa.errors import RopaError
from ropa.flows import ACTIVITY, ORGANISATION, PLACE, SUBJECT, FlowGraph, flow_graph, resolve_activity, resolve_party, \
    weakest
from ropa.load import RecordGraph

DOT = "dot"
"""The Graphviz executable (Debian package graphviz)."""

DOT_TIMEOUT = 60
"""Seconds before a dot run is abandoned."""

STATUS_COLOURS = {"valid": "#2e7d32", "invalid": "#c62828", "unknown": "#ef6c00", "not required": "#607d8b"}
_WRAP = 28
_LONGEST = 500   # characters of a name a diagram shows; Graphviz refuses a quoted string over 16,384

PHRASES = {
    "diagram.title": "Data flows of {name}",
    "diagram.subjects": "Data subjects",
    "diagram.activities": "Activities",
    "diagram.places": "Places",
    "diagram.no_location": "Location not documented",
    "diagram.outside": "Outside {region} (country not named)",
    "diagram.more": "+{count} more",
    "diagram.group.processor": "Processors of {name}",
    "diagram.group.sub_processor": "Sub-processors of {name}",
    "diagram.group.service_provider": "Service providers of {name}",
    "diagram.group.transfer": "Transfers of {name}",
    "diagram.status.valid": "valid",
    "diagram.status.invalid": "invalid",
    "diagram.status.unknown": "unknown",
    "diagram.status.not_required": "not required",
    "diagram.access": "remote access: {status}",
    "place.remote_access": "{place} (remote access)",
}
"""The fixed words of a diagram, in English. Their keys are those of reports/messages, so that a document can pass
its own catalogue and draw the diagram in its language."""

Phrase = Callable[..., str]
"""phrase(key, **values) -> text, as ropa.register.Messages is called."""


def english(key: str, **values) -> str:
    """The phrase in English: diagrams drawn outside a document (``ropa diagram``)."""
    return PHRASES[key].format(**values)


@dataclass
class Cluster:
    id: str
    label: str
    members: list[str] = field(default_factory=list)
    children: list["Cluster"] = field(default_factory=list)

    def anchor(self) -> str:
        """A node inside the cluster, for edges drawn to or from the cluster as a whole."""
        return self.members[0] if self.members else self.children[0].anchor()


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str = ""
    status: str | None = None
    dashed: bool = False
    source_cluster: str | None = None
    target_cluster: str | None = None
    access: bool = False
    """Into a place the party reaches the data from, held elsewhere (remote access): dotted, and said in the label."""


@dataclass
class Diagram:
    """Nodes (id → label, kind), clusters and edges, independent of the drawing language."""

    title: str
    nodes: dict[str, tuple[str, str]]
    clusters: list[Cluster]
    edges: list[Edge]
    layout_edges: list[tuple[str, str]] = field(default_factory=list)
    """Invisible edges that only keep ranks in order (Graphviz): grouped providers after their party."""
    same_rank: list[list[str]] = field(default_factory=list)
    """Nodes drawn in one column (Graphviz): the data subjects, the activities."""
    details: dict[str, str] = field(default_factory=dict)
    """A second line for some nodes: the data categories an activity carries."""

    def node_labels(self) -> list[str]:
        return [label for label, _ in self.nodes.values()]

    def node_text(self, node: str) -> str:
        """What the node shows: its label, and for an activity the data categories it carries."""
        label, _ = self.nodes[node]
        extra = self.details.get(node)
        return f"{label}\n[{extra}]" if extra else label


def diagram(graph: RecordGraph, controller: str | None = None, activity: str | None = None,
            as_of: dt.date | None = None, flows: FlowGraph | None = None, lang: str = "en") -> Diagram:
    """The data-flow diagram of one party's activities (those it keeps, as controller or processor, and those it
    controls), or of one activity, with labels and fixed words in ``lang``. Pass ``flows`` to draw many diagrams
    from one flow graph."""
    if controller is not None and activity is not None:
        raise RopaError("name either a controller (--controller) or an activity (--activity)")
    fg = flows or flow_graph(graph, as_of)
    if controller is None and activity is None:  # a record kept by one organisation: its diagram
        keepers = sorted({info.recorder for info in fg.activities.values() if info.recorder})
        if not keepers:
            raise RopaError("the record has no activity that names the organisation keeping it (ropa:recordedBy): "
                            "there is nothing to draw")
        if len(keepers) > 1:
            raise RopaError("the record is kept by several organisations: name either a controller (--controller) "
                            "or an activity (--activity)")
        controller = keepers[0]
    label, phrase, definite = fg.label, english, None
    if lang != "en":
        from ropa.register import Labels, Messages

        phrase, labels = Messages(lang), Labels(graph, lang)
        label = lambda node: labels[node] if "://" in node else fg.label(node)  # noqa: E731
        definite = lambda iri: labels.definite(iri, phrase("grammar.article"))  # noqa: E731
    if activity:
        iri = resolve_activity(graph, activity)
        if iri not in fg.activities:
            raise RopaError(f"activity '{activity}' is not in the register on {fg.as_of.isoformat()}")
        return build_diagram(fg, [iri], phrase("diagram.title", name=label(iri)), label, phrase, definite)
    party = resolve_party(graph, controller, "controller")
    chosen = [a for a, info in fg.activities.items() if info.recorder == party or party in info.controllers]
    if not chosen:
        raise RopaError(f"'{controller}' keeps no activity and controls none in the register")
    return build_diagram(fg, chosen, phrase("diagram.title", name=label(party)), label, phrase, definite)


def build_diagram(fg: FlowGraph, activities: list[str], title: str, label: Callable[[str], str] | None = None,
                  phrase: Phrase = english, definite: Callable[[str], str] | None = None) -> Diagram:
    """Lay out the chains of the given activities: clusters by organisation, grouped providers, one edge per group.

    ``label`` names an IRI and ``phrase`` gives the fixed words, so that documents can draw the diagram in their
    language; both default to English.
    """
    label = label or fg.label
    definite = definite or (lambda iri: "the " + label(iri))   # a region with its article ("the EEA")

    def name(node: str) -> str:
        data = fg.graph.nodes[node] if node in fg.graph else {}
        if data.get("outside"):
            return phrase("diagram.outside", region=definite(data["region"]))
        return label(node)

    edges = set().union(*(fg.edges_of.get(a, set()) for a in activities))
    sub = fg.graph.edge_subgraph(edges)
    kinds = {n: fg.graph.nodes[n]["kind"] for n in sub}
    kinds.update({a: ACTIVITY for a in activities})  # an activity with no documented link still shows
    names = {n: name(n) for n in kinds}
    ids = {n: f"n{i}" for i, n in enumerate(sorted(kinds, key=lambda n: (_order(kinds[n]), names[n], n)))}
    clusters: list[Cluster] = []
    numbers = iter(range(1_000_000))

    def cluster(text: str, members, top: bool = True) -> Cluster:
        made = Cluster(f"cluster_{next(numbers)}", text, [ids[m] for m in sorted(members, key=names.get)])
        if top:
            clusters.append(made)
        return made

    def summary(iris) -> str:
        return _summary(sorted(label(i) for i in iris), phrase)

    def accessed(party: str, place: str) -> bool:
        """Every activity of the diagram that reaches the place through the party does so by remote access (a party
        that also receives some activity's data there is drawn as holding them)."""
        uses = [a for a in activities if a in fg.graph.edges[party, place]["access_of"]]
        return bool(uses) and all(fg.graph.edges[party, place]["access_of"][a] for a in uses)

    subjects = [n for n in kinds if kinds[n] == SUBJECT]
    if subjects:
        cluster(phrase("diagram.subjects"), subjects)
    kept_by = defaultdict(list)
    for a in activities:
        kept_by[fg.activities[a].recorder].append(a)
    placed = set(subjects) | set(activities)
    for keeper, kept in sorted(kept_by.items(), key=lambda item: label(item[0]) if item[0] else ""):
        keeper_cluster = cluster(label(keeper) if keeper else phrase("diagram.activities"), kept)
        if keeper in kinds:
            keeper_cluster.members.append(ids[keeper])
            placed.add(keeper)

    # Providers engaged by one and the same party: one cluster, sub-clustered by the places they are linked to.
    engaged: dict[tuple[str, str], list[str]] = defaultdict(list)
    for node in kinds:
        parents = [u for u in sub.predecessors(node) if kinds[u] == ORGANISATION] if node in sub else []
        if kinds[node] == ORGANISATION and node not in placed and len(parents) == 1:
            engaged[parents[0], sub.edges[parents[0], node]["relation"]].append(node)
    group_of: dict[str, tuple[str, Cluster]] = {}   # provider -> (the party that engaged it, its place sub-cluster)
    group_cluster: dict[str, Cluster] = {}          # party -> the cluster of its providers
    for (parent, relation), members in sorted(engaged.items(), key=lambda item: (names[item[0][0]], item[0][1])):
        if len(members) < 2 or parent in group_cluster:
            continue
        group = cluster(phrase("diagram.group." + _key(relation), name=names[parent]), [])
        group_cluster[parent] = group
        by_places: dict[tuple, list[str]] = defaultdict(list)
        for member in members:   # (place, reached by remote access) pairs: access is not grouped with storage
            by_places[tuple(sorted((p, accessed(member, p)) for p in sub.successors(member) if kinds[p] == PLACE))
                      ].append(member)
        for places, located in sorted(by_places.items(), key=lambda item: [(names[p], a) for p, a in item[0]]):
            child = cluster(", ".join(phrase("place.remote_access", place=names[p]) if a else names[p]
                                      for p, a in places) or phrase("diagram.no_location"), located, top=False)
            group.children.append(child)
            group_of.update({m: (parent, child) for m in located})
    places = [n for n in kinds if kinds[n] == PLACE]
    if places:
        cluster(phrase("diagram.places"), places)

    own_categories = set().union(*(fg.activities[a].categories for a in activities))
    drawn: dict[tuple, dict] = {}
    for u, v in sorted(edges):
        data = fg.graph.edges[u, v]
        if kinds[v] == PLACE:
            shared = u in group_of and len(group_of[u][1].members) > 1
            child = group_of[u][1] if shared else None
            edge = drawn.setdefault((child.id if child else u, v), {
                "source": child.anchor() if child else ids[u], "target": ids[v], "statuses": [], "dashed": False,
                "source_cluster": child.id if child else None, "access": True})
            edge["statuses"].append(data["status"])
            edge["dashed"] |= data["evidence"] == ["headquarters"] or data["conditional"]
            edge["access"] &= accessed(u, v)   # of every provider of a sub-group, which are grouped by it
        else:
            into = group_cluster[u] if group_of.get(v, (None,))[0] == u else None
            edge = drawn.setdefault((u, into.id if into else v), {
                "source": ids[u], "target": into.anchor() if into else ids[v], "categories": set(), "dashed": False,
                "target_cluster": into.id if into else None})
            if kinds[u] == ORGANISATION:
                edge["categories"].update(data["categories"] & own_categories)
            edge["dashed"] |= data["conditional"]
    final = []
    for edge in drawn.values():
        status = weakest(edge["statuses"]) if edge.get("statuses") else None
        text = phrase("diagram.status." + _key(status)) if status else summary(edge.get("categories", ()))
        access = edge.get("access", False)
        if access:
            text = phrase("diagram.access", status=text)
        final.append(Edge(edge["source"], edge["target"], text, status, edge["dashed"],
                          edge.get("source_cluster"), edge.get("target_cluster"), access))
    nodes = {ids[n]: (names[n], kinds[n]) for n in sorted(kinds, key=ids.get)}
    details = {ids[a]: summary(fg.activities[a].categories) for a in activities if fg.activities[a].categories}
    layout = [(ids[parent], ids[m]) for m, (parent, _) in group_of.items()]
    if subjects:  # activities without data subjects stay in the activities' column
        first = ids[sorted(subjects, key=names.get)[0]]
        layout += [(first, ids[a]) for a in activities if not fg.activities[a].subjects]
    columns = [sorted(ids[n] for n in subjects), sorted(ids[a] for a in activities)]
    return Diagram(title=title, nodes=nodes, clusters=clusters, edges=final, layout_edges=sorted(layout),
                   same_rank=[c for c in columns if len(c) > 1], details=details)


def _order(kind: str) -> int:
    return [SUBJECT, ACTIVITY, ORGANISATION, PLACE].index(kind)


def _summary(labels: list[str], phrase: Phrase = english, shown: int = 3) -> str:
    if len(labels) <= shown:
        return ", ".join(labels)
    return ", ".join(labels[:shown]) + " " + phrase("diagram.more", count=len(labels) - shown)


def _key(words: str) -> str:
    """A relation or status as part of a phrase key: "sub-processor" → "sub_processor"."""
    return re.sub(r"[^a-z]+", "_", words.lower())


@lru_cache(maxsize=4096)
def _wrap(text: str) -> str:
    """Lines of at most _WRAP characters; cached, as a document draws the same names in many diagrams."""
    return "\n".join(textwrap.wrap(text, _WRAP, break_long_words=False, break_on_hyphens=False)) or text


# --- Graphviz -------------------------------------------------------------------------------------------------

_DOT_SHAPES = {
    SUBJECT: 'shape=ellipse, style=filled, fillcolor="#fff8e1"',
    ACTIVITY: 'shape=box, style="rounded,filled", fillcolor="#e3f2fd"',
    ORGANISATION: 'shape=box, style=filled, fillcolor="#f3e5f5"',
    PLACE: 'shape=box, style="filled,bold", fillcolor="#e8f5e9"',
}


def dot_string(text: str) -> str:
    """A DOT double-quoted string: backslashes and quotes escaped, line breaks as centred \\n, and & as &amp;
    (dot reads "&lt;" in a label as an entity, so a name that contains it would otherwise print as "<")."""
    text = safe.visible(text)
    if len(text) > _LONGEST:
        text = text[:_LONGEST - 1] + "…"
    escaped = text.replace("&", "&amp;").replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def to_dot(d: Diagram) -> str:
    lines = [
        f"digraph {dot_string(d.title)} {{",
        f'  graph [rankdir=LR, compound=true, newrank=true, nodesep=0.2, ranksep=0.8, fontname="Helvetica", '
        f'fontsize=12, labelloc=t, label={dot_string(d.title)}];',
        '  node [fontname="Helvetica", fontsize=10, margin="0.12,0.05"];',
        '  edge [fontname="Helvetica", fontsize=9, color="#546e7a", arrowsize=0.7];',
    ]
    lines += _grouped_nodes(
        d,
        lambda cluster: [f"subgraph {cluster.id} {{",
                         f'  label={dot_string(_wrap(cluster.label))}; style="rounded"; color="#90a4ae";'],
        lambda node: f"{_dot_node(d, node)};",
        "}",
    )
    for source, target in d.layout_edges:
        lines.append(f"  {source} -> {target} [style=invis];")
    for column in d.same_rank:
        lines.append(f"  {{ rank=same; {'; '.join(column)}; }}")
    for edge in d.edges:
        attributes = []
        if edge.label:
            attributes.append(f"label={dot_string(_wrap(edge.label))}")
        if edge.status:
            attributes.append(f'color="{STATUS_COLOURS[edge.status]}", fontcolor="{STATUS_COLOURS[edge.status]}"')
        if edge.access:
            attributes.append("style=dotted, penwidth=1.6")
        elif edge.dashed:
            attributes.append("style=dashed")
        if edge.source_cluster:
            attributes.append(f"ltail={edge.source_cluster}")
        if edge.target_cluster:
            attributes.append(f"lhead={edge.target_cluster}")
        suffix = f" [{', '.join(attributes)}]" if attributes else ""
        lines.append(f"  {edge.source} -> {edge.target}{suffix};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _grouped_nodes(d: Diagram, opening: Callable[[Cluster], list[str]], node_line: Callable[[str], str],
                   closing: str) -> list[str]:
    """The clusters, nested, with their member nodes, then the nodes in no cluster: the part of a diagram that DOT
    and Mermaid write alike, but for the words that open and close a cluster and write a node."""
    lines: list[str] = []
    in_cluster = set()

    def emit(cluster: Cluster, indent: str) -> None:
        lines.extend(indent + line for line in opening(cluster))
        for member in cluster.members:
            in_cluster.add(member)
            lines.append(f"{indent}  {node_line(member)}")
        for child in cluster.children:
            emit(child, indent + "  ")
        lines.append(indent + closing)

    for cluster in d.clusters:
        emit(cluster, "  ")
    lines.extend(f"  {node_line(node)}" for node in d.nodes if node not in in_cluster)
    return lines


def _dot_node(d: Diagram, node: str) -> str:
    return f"{node} [label={dot_string(_wrap_lines(d.node_text(node)))}, {_DOT_SHAPES[d.nodes[node][1]]}]"


def _wrap_lines(text: str) -> str:
    return "\n".join(_wrap(line) for line in text.split("\n"))


def to_svg(d: Diagram) -> str:
    """Render with Graphviz dot; a missing dot or a failed run is a RopaError, not a traceback."""
    return draw_svg([to_dot(d)])[0]


_SVG_DOCUMENT = re.compile(r"<\?xml.*?</svg>", re.DOTALL)


def draw_svg(sources: list[str]) -> list[str]:
    """One SVG document per DOT source, from a single dot run: starting dot costs more than laying out a diagram
    of a register, so a document with twenty diagrams would otherwise spend most of its time starting dot."""
    if not sources:
        return []
    try:
        run = subprocess.run([DOT, "-Tsvg"], input="".join(sources).encode("utf-8"), capture_output=True,
                             timeout=DOT_TIMEOUT)
    except FileNotFoundError:
        raise RopaError(f"Graphviz '{DOT}' is not installed: install it (Debian: apt-get install graphviz) to draw "
                        "data-flow diagrams as SVG; Mermaid and Markdown output need no Graphviz") from None
    except subprocess.TimeoutExpired:
        raise RopaError(f"Graphviz '{DOT}' did not finish within {DOT_TIMEOUT} seconds") from None
    message = run.stderr.decode("utf-8", "replace").strip().splitlines()
    if run.returncode != 0:
        raise RopaError(f"Graphviz '{DOT}' failed: {message[0] if message else f'exit code {run.returncode}'}")
    # Text in dot's output is escaped, so "</svg>" only ever closes a document.
    documents = _SVG_DOCUMENT.findall(run.stdout.decode("utf-8"))
    if len(documents) != len(sources):
        raise RopaError(f"Graphviz '{DOT}' drew {len(documents)} of {len(sources)} diagrams"
                        + (f": {message[0]}" if message else ""))
    return documents


def inline_svg(document: str) -> str:
    """An SVG document as an element to place inside HTML: without the XML prolog, DOCTYPE and comments, and without
    dot's ids and titles, which repeat in every diagram of a page ("graph0", "node1") and name nodes by their ids."""
    svg = document[document.index("<svg"):]
    svg = re.sub(r"<!--.*?-->\n?", "", svg, flags=re.DOTALL)
    svg = re.sub(r"<title>[^<]*</title>\n?", "", svg)
    return re.sub(r' id="[^"]*"', "", svg).strip() + "\n"


# --- Mermaid --------------------------------------------------------------------------------------------------

_MERMAID_SHAPES = {SUBJECT: ('(["', '"])'), ACTIVITY: ('("', '")'), ORGANISATION: ('["', '"]'), PLACE: ('[["', '"]]')}


mermaid_string = safe.mermaid
"""Text for inside Mermaid's double quotes (see ropa.safe.mermaid): no label can end a line, close the fenced
block of a Markdown document or form a %%{init}%% directive."""


def to_mermaid(d: Diagram) -> str:
    title = mermaid_string(d.title).replace("'", "''")  # a YAML single-quoted string: a colon cannot start a mapping
    lines = ["---", f"title: '{title}'", "---", "flowchart LR"]

    def node_line(node: str) -> str:
        opening, closing = _MERMAID_SHAPES[d.nodes[node][1]]
        return f"{node}{opening}{mermaid_string(_wrap_lines(d.node_text(node)))}{closing}"

    lines += _grouped_nodes(d, lambda cluster: [f'subgraph {cluster.id}["{mermaid_string(cluster.label)}"]'],
                            node_line, "end")
    for index, edge in enumerate(d.edges):
        source = edge.source_cluster or edge.source
        target = edge.target_cluster or edge.target
        arrow = "-.->" if edge.dashed or edge.access else "-->"
        label = f'|"{mermaid_string(edge.label)}"|' if edge.label else ""
        lines.append(f"  {source} {arrow}{label} {target}")
        styles = [f"stroke:{STATUS_COLOURS[edge.status]}"] if edge.status else []
        if edge.access:   # dotted finer than a possible or conditional flow's dashes
            styles.append("stroke-dasharray:2 3")
        if styles:
            lines.append(f"  linkStyle {index} {','.join(styles)}")
    return "\n".join(lines) + "\n"
