"""The entity page as data: its statements grouped by property, inbound links, figures as rows, sections and
charts, each value with the quotes that state it. Pure functions of (dataset index, formatter), no request."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlencode

from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.namespace import SKOS
from rdflib.term import Node

from kg.rdf import sparql_text as sparql_terms
from kg.rdf import vocab
from kg.web import charts
from kg.web.dataset_index import Site
from kg.web.dataset_index.figures import Figure
from kg.web.dataset_index.passages import Passage
from kg.web.html import Formatter, number
from kg.web.i18n import translate

HEADER_PROPERTIES = {
    str(RDF.type),
    str(RDFS.label),
    str(SKOS.altLabel),
    str(RDFS.comment),
    str(SKOS.definition),
    str(SKOS.prefLabel),
}


# Shown in this order first; everything else follows by label, provenance last.
ORDER = [
    "indicator",
    "refArea",
    "refPeriod",
    "periodAsWritten",
    "asOf",
    "kind",
    "value",
    "valueAsWritten",
    "unitAsWritten",
    "qualifier",
    "qualifierAsWritten",
    "citationQuote",
    "normalizedValue",
    "normalizedUnit",
    "growthOf",
    "hasGrowth",
    "shareOf",
    "shareOfIndicator",
    "parentArea",
    "rankScope",
    "about",
    "planned",
    "exact",
    "translation",
    "section",
    "startOffset",
    "endOffset",
    "status",
    "investor",
    "operatedBy",
    "inIndustry",
    "country",
    "locatedIn",
    "contains",
]


LAST = [vocab.PROV + "wasDerivedFrom", vocab.PROV + "wasQuotedFrom", vocab.QB + "dataSet"]


INBOUND_CAP = 40


def description(s: Site, iri: URIRef) -> Graph:
    """The entity's own triples, the blank nodes (two deep) and hash IRIs under it, and labels of what it links to."""
    g = Graph()
    for row in s.queries.select("entity_out", x=iri):
        g.add((iri, row["p"], row["o"]))
    for row in s.queries.select("entity_bnodes", x=iri):
        g.add((row["b"], row["p"], row["o"]))
    prefix = str(iri) + "#"
    for o in list(g.objects(iri, None)):
        if isinstance(o, URIRef) and str(o).startswith(prefix):
            for row in s.queries.select("entity_out", x=o):
                g.add((o, row["p"], row["o"]))
    linked = {o for o in g.objects() if isinstance(o, URIRef)} | {p for p in g.predicates()}
    for o in linked:
        if o == iri:
            continue
        for lang_, text in (s.names.labels.get(str(o)) or {}).items():
            g.add((o, RDFS.label, Literal(text, lang=lang_ if lang_ != "und" else None)))
    return g


@dataclass
class Value:
    node: Node
    inferred: bool = False
    refs: list[int] = field(default_factory=list)
    nested: list[tuple[str, list[Node]]] = field(default_factory=list)  # a blank node's own statements
    anchor: str = ""  # fragment of a hash IRI shown in place


@dataclass
class Group:
    prop: str
    values: list[Value]
    also: list[str] = field(default_factory=list)  # superproperties restating the same values (inferred)

    @property
    def all_inferred(self) -> bool:
        return all(v.inferred for v in self.values)


@dataclass
class InboundGroup:
    prop: str
    subjects: list[tuple[str, bool]]  # (subject IRI, inferred)
    total: int
    more_query: str = ""


@dataclass
class FigureRow:
    fig: Figure
    growth: list[Figure]
    passage: Passage | None


def listing_query(s: Site, iri: URIRef) -> str:
    """A SPARQL query listing everything said about the entity, for the query page."""
    name = " ".join(s.names.label(str(iri), "en").split())
    return (
        f"# Everything the dataset says about {name}\n"
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "SELECT ?property ?value ?valueLabel WHERE {\n"
        f"  {sparql_terms.iri(str(iri))} ?property ?value .\n"
        '  OPTIONAL { ?value rdfs:label ?valueLabel FILTER(LANG(?valueLabel) = "en") }\n'
        "}\nORDER BY ?property ?value"
    )


def _sort_key(s: Site, prop: str, lang_: str) -> tuple:
    local = s.iris.local(prop)
    if prop == str(RDF.type):
        return (-1, 0, "")
    if prop in LAST:
        return (3, LAST.index(prop), "")
    if local in ORDER:
        return (0, ORDER.index(local), "")
    if local:
        return (1, 0, s.names.label(prop, lang_).lower())
    return (2, 0, s.names.label(prop, lang_).lower())


def _needles(s: Site, node: Node) -> list[str]:
    """Strings whose presence in a quote shows the quote states this value."""
    if isinstance(node, URIRef):
        out = [v for k, v in (s.names.labels.get(str(node)) or {}).items() if k == "zh"]
        out += [str(a) for a in s.names.alt_labels.get(str(node), []) if a.language == "zh"]
        return [n for n in out if len(n) >= 2]
    if isinstance(node, Literal):
        if node.datatype and str(node.datatype).endswith(("#decimal", "#double", "#integer", "#float")):
            return [number(node.toPython())]
        text = str(node)
        return [text] if 2 <= len(text) <= 60 and not text.startswith("http") else []
    return []


@dataclass
class Statements:
    """What the entity says about itself, sorted into what the page header, the statement rows and the inbound
    links each need."""

    types_asserted: list[str] = field(default_factory=list)
    types_inferred: list[str] = field(default_factory=list)
    comments: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # language -> texts
    values: dict[str, dict[Node, Value]] = field(default_factory=lambda: defaultdict(dict))  # property -> values
    outgoing: set[tuple[str, str]] = field(default_factory=set)  # (property, object) as strings


def _outgoing(s: Site, iri: URIRef) -> tuple[list[dict[str, Node]], dict[Node, list[tuple[Node, Node]]]]:
    """The entity's own statements (with the graph each stands in), and its blank nodes' statements."""
    out_rows = s.queries.select("entity_out", x=iri)
    bnode_rows = s.queries.select("entity_bnodes", x=iri) if any(isinstance(r["o"], BNode) for r in out_rows) else []
    bnodes: dict[Node, list[tuple[Node, Node]]] = defaultdict(list)
    for row in bnode_rows:
        bnodes[row["b"]].append((row["p"], row["o"]))
    return out_rows, bnodes


def _statements(
    s: Site,
    key: str,
    out_rows: list[dict[str, Node]],
    bnodes,
    sources: list[Passage],
    figure_iris: set[str],
    lang_: str,
) -> Statements:
    """Sort the entity's statements: types, comments, header properties, and the values shown in rows (minus the
    links to figures an inference added: the figures table shows them)."""
    inferred_graph = s.settings.graph_iri("inferred")
    st = Statements()
    for row in out_rows:
        p, o, graph = str(row["p"]), row["o"], str(row["g"])
        inferred = graph == inferred_graph
        st.outgoing.add((p, str(o)))
        if p == str(RDF.type):
            (st.types_inferred if inferred else st.types_asserted).append(str(o))
            continue
        if p in (str(RDFS.comment), str(SKOS.definition)) and isinstance(o, Literal):
            st.comments[o.language or "und"].append(str(o))
            continue
        if p in HEADER_PROPERTIES:
            continue
        if inferred and str(o) in figure_iris:  # jp:hasFigure and the like: the figures table shows them
            continue
        existing = st.values[p].get(o)
        if existing is not None:
            existing.inferred = existing.inferred and inferred
            continue
        st.values[p][o] = _value(s, key, o, inferred, bnodes, sources, lang_)
    return st


def _value(s: Site, key: str, o: Node, inferred: bool, bnodes, sources: list[Passage], lang_: str) -> Value:
    """One value of a statement, with the statements of a blank node or hash IRI under the entity shown inside it,
    and (for an asserted value) the numbers of the quotes that state it."""
    value = Value(o, inferred)
    if isinstance(o, BNode) or (isinstance(o, URIRef) and str(o).startswith(key + "#")):
        # blank nodes and hash IRIs under this one (a passage's selectors) are shown inside the statement
        pairs = (
            bnodes.get(o, [])
            if isinstance(o, BNode)
            else [(r["p"], r["o"]) for r in s.queries.select("entity_out", x=o)]
        )
        nested: dict[str, list[Node]] = defaultdict(list)
        for bp, bo in pairs:
            nested[str(bp)].append(bo)
        value.nested = sorted(nested.items(), key=lambda kv: _sort_key(s, kv[0], lang_))
        if isinstance(o, URIRef):
            value.anchor = str(o).split("#", 1)[1]
    if not inferred:
        for needle in _needles(s, o):
            value.refs += [i for i, passage in enumerate(sources, 1) if needle in passage.exact and i not in value.refs]
    return value


def _statement_groups(s: Site, values: dict[str, dict[Node, Value]], lang_: str) -> list[Group]:
    """The statement rows in page order, each property's values sorted (asserted first)."""

    def value_key(v: Value) -> tuple:
        if isinstance(v.node, URIRef):
            return (v.inferred, 0, s.names.label(str(v.node), lang_).lower())
        return (v.inferred, 1, str(v.node))

    statement_groups = {p: Group(p, sorted(vals.values(), key=value_key)) for p, vals in values.items()}
    # an inferred superproperty that only restates a subproperty's values (schema:containedInPlace beside
    # jp:locatedIn) is folded into that row as "also"
    supers = s.ontology.superproperties
    for p, grp in list(statement_groups.items()):
        if not grp.all_inferred:
            continue
        mine = {v.node for v in grp.values}
        for q, other in statement_groups.items():
            if q != p and p in supers.get(q, ()) and mine <= {v.node for v in other.values}:
                other.also.append(p)
                del statement_groups[p]
                break
    return sorted(statement_groups.values(), key=lambda grp: _sort_key(s, grp.prop, lang_))


def _inbound_groups(
    s: Site, iri: URIRef, figure_iris: set[str], outgoing: set[tuple[str, str]], lang_: str
) -> list[InboundGroup]:
    """Inbound links, minus what the page already shows another way (figures, inverses of its own statements, the
    passage a thing was derived from, its own hash IRIs); at most INBOUND_CAP per property, with a query for all."""
    key = str(iri)
    inferred_graph = s.settings.graph_iri("inferred")
    inverses = s.ontology.inverses
    inbound: dict[str, list[tuple[str, bool]]] = defaultdict(list)
    seen_in: set[tuple[str, str]] = set()
    is_passage = key in s.passages
    for row in s.queries.select("entity_in", x=iri):
        subj, p = str(row["s"]), str(row["p"])
        if (p, subj) in seen_in:
            continue
        seen_in.add((p, subj))
        if subj in figure_iris:  # shown in the figures table
            continue
        if any((inv, subj) in outgoing for inv in inverses.get(p, ())):
            continue
        if is_passage and p == vocab.PROV + "wasDerivedFrom":
            continue
        if subj.startswith(key + "#"):
            continue
        inbound[p].append((subj, str(row["g"]) == inferred_graph))
    inbound_groups = []
    for p, subjects in inbound.items():
        subjects.sort(key=lambda t: (t[1], s.names.label(t[0], lang_).lower()))
        grp = InboundGroup(p, subjects[:INBOUND_CAP], len(subjects))
        if len(subjects) > INBOUND_CAP:
            grp.more_query = _inbound_query(p, key, lang_)
        inbound_groups.append(grp)
    inbound_groups.sort(key=lambda grp: _sort_key(s, grp.prop, lang_))
    return inbound_groups


def _inbound_query(prop: str, key: str, lang_: str) -> str:
    """The query page's URL for every subject linking to the entity by the property."""
    return "/query?" + urlencode(
        {
            "query": (
                "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
                f"SELECT ?subject ?label WHERE {{\n  ?subject {sparql_terms.iri(prop)} {sparql_terms.iri(key)} .\n"
                f'  OPTIONAL {{ ?subject rdfs:label ?label FILTER(LANG(?label) = "{lang_}") }}\n}}\n'
                "ORDER BY ?label"
            )
        }
    )


def _header(s: Site, key: str, st: Statements, lang_: str, is_passage: bool) -> dict:
    """The page head: the name, the name in the other language, alternative names, the description and types."""
    names = s.names.labels.get(key, {})
    other = "zh" if lang_ == "en" else "en"
    comments = st.comments
    description_text = (comments.get(lang_) or comments.get("und") or comments.get(other) or [""])[0]
    alt = [a for a in s.names.alt_labels.get(key, [])]
    alt.sort(key=lambda a: (a.language != lang_, str(a)))
    title = s.names.label(key, lang_)
    return {
        "iri": key,
        "title": title,
        "other_name": names.get(other) if names.get(other) != title and not is_passage else None,
        "alt_labels": alt,
        "description": description_text,
        "types": sorted(set(st.types_asserted), key=lambda t: s.names.label(t, lang_)),
        "inferred_types": sorted(
            set(st.types_inferred) - set(st.types_asserted), key=lambda t: s.names.label(t, lang_)
        ),
    }


def entity_model(s: Site, f: Formatter, iri: URIRef) -> dict:
    """Everything the entity page shows, in the order a reader meets it."""
    lang_ = f.lang
    key = str(iri)
    out_rows, bnodes = _outgoing(s, iri)
    sources = s.passages.sources(key)
    figures = s.figures.of(key)
    figure_iris = {fig.iri for fig in figures}
    st = _statements(s, key, out_rows, bnodes, sources, figure_iris, lang_)
    is_passage = key in s.passages
    model = {
        **_header(s, key, st, lang_, is_passage),
        "groups": _statement_groups(s, st.values, lang_),
        "inbound": _inbound_groups(s, iri, figure_iris, st.outgoing, lang_),
        "sources": sources,
        "figure_rows": figure_rows(s, figures),
        "figure_count": len(figures),
        "show_indicator": any(fig.indicator != key for fig in figures),
        "show_area": any(fig.area != key for fig in figures),
        "charts": figure_charts(s, f, key, figures),
        "figure": s.figures.get(key),
        "passage": s.passages.get(key),
        "produced": s.passages.derived.get(key, []) if is_passage else [],
    }
    model["figure_sections"] = figure_sections(s, model["figure_rows"])
    if model["figure"] is not None:
        fig = model["figure"]
        model["figure_growth"] = s.figures.growth_of.get(fig.iri, [])
        model["figure_passages"] = sorted(
            (s.passages[p] for p in fig.passages if p in s.passages), key=lambda p: p.start
        )
    return model


def figure_rows(s: Site, figures: list[Figure]) -> list[FigureRow]:
    """One row per figure; growth figures fold into the row of the level they are the growth of."""
    shown = {fig.iri for fig in figures}
    rows = []
    for fig in figures:
        if fig.growth_of and fig.growth_of in shown:
            continue
        passage = next((s.passages[p] for p in fig.passages if p in s.passages), None)
        rows.append(FigureRow(fig, s.figures.growth_of.get(fig.iri, []), passage))
    return rows


GROUP_ABOVE = 15  # rows before the figures table is split by theme


def figure_sections(s: Site, rows: list[FigureRow]) -> list[tuple[str | None, list[FigureRow]]]:
    """The rows split by the thematic group of their indicator (in report order) when there are many of them."""
    if len(rows) <= GROUP_ABOVE:
        return [(None, rows)]
    sections: dict[str | None, list[FigureRow]] = {}
    for row in rows:
        group = s.ontology.indicator_groups.get(row.fig.indicator or "")
        sections.setdefault(group, []).append(row)
    return list(sections.items())


def _kind(fig: Figure) -> str:
    return (fig.kind or "").rsplit("#", 1)[-1]


def figure_charts(s: Site, f: Formatter, iri: str, figures: list[Figure]) -> list[charts.Chart]:
    """Charts of figures a reader can compare, each with at least charts.MIN_BARS values: the year-on-year growth
    rates of one period, the shares of one whole in one period, and the values of one indicator in one unit (across
    areas or periods). Amounts of different indicators are never drawn side by side: a level beside a flow beside a
    pledged amount would read as comparable when it is not; the figures table lists them."""
    if not figures:
        return []
    lang_ = f.lang

    def bar_label(fig: Figure, prefer_indicator: bool) -> str:
        if prefer_indicator and fig.indicator and fig.indicator != iri:
            return s.names.label(fig.indicator, lang_)
        return s.names.label(fig.iri, lang_)

    def make(title: str, figs: list[Figure], prefer_indicator: bool, ident: str) -> charts.Chart | None:
        bars = []
        for fig in figs[:24]:
            v = charts.as_float(fig.value)
            if v is None:
                continue
            bars.append(
                charts.Bar(
                    label=bar_label(fig, prefer_indicator),
                    value=v,
                    text=f.figure_text(fig),
                    href=s.urls.page(fig.iri),
                    qualifier=(fig.qualifier or "").rsplit("#", 1)[-1] or None,
                    title=fig.quote or "",
                )
            )
        return charts.layout(charts.Chart(title=title, bars=bars, ident=ident)) if bars else None

    facts = [fig for fig in figures if not fig.planned]
    groups: dict[tuple, list[Figure]] = defaultdict(list)
    for fig in facts:
        kind, unit = _kind(fig), fig.unit or "%"
        if kind == "YearOnYearGrowth" and unit == "%":
            groups[("growth", fig.period)].append(fig)
        elif kind == "Share" and unit == "%" and fig.parent_area:
            groups[("shares", fig.parent_area, fig.period)].append(fig)
        elif kind in ("Level", "Count") and fig.unit and fig.indicator:
            groups[("indicator", fig.indicator, fig.unit)].append(fig)
    out = []
    for key, figs in sorted(groups.items(), key=lambda kv: (-len(kv[1]), str(kv[0]))):
        if len(figs) < charts.MIN_BARS:
            continue
        if key[0] == "growth":
            title = translate("Year-on-year growth", lang_) + translate(" (%)", lang_)
            prefer, ident = True, f"growth-{key[1]}" if key[1] else "growth"
        elif key[0] == "shares":
            title = translate("Share of {area}", lang_, area=s.names.label(key[1], lang_)) + translate(" (%)", lang_)
            prefer, ident = False, "shares-" + (s.iris.name(key[1]) or "area")
        else:
            title = s.names.label(key[1], lang_) + translate(" ({unit})", lang_, unit=key[2])
            prefer, ident = False, "indicator-" + (s.iris.name(key[1]) or "values")
        chart = make(title, figs, prefer, ident)
        if chart and len(chart.bars) >= charts.MIN_BARS:
            out.append(chart)
    return out
