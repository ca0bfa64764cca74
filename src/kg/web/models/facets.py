"""Facets of the class tables: the members of a class narrowed by the values of their key attributes (projects by
status, industry, investor, place; figures by kind, theme, unit, area and qualifier (about, more than, nearly,
top N); organizations by kind and country), with the count of members each value would leave.

Facets combine: values of one facet are alternatives (OR), different facets must all hold (AND). They live in the
URL (?status=Signed&status=Started&industry=ind-x), so a filtered table is a link, works without JavaScript, and the
.json and .csv twins take the same parameters. A value a facet does not have is a 400 with the values it does have.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from rdflib import Literal, URIRef
from rdflib.term import Node

from kg.web.dataset_index import Site

# The order of a project's life, for sorting statuses (alphabetical order means nothing here).
STATUS_ORDER = [
    "Planned",
    "InReserve",
    "UnderNegotiation",
    "Signed",
    "Approved",
    "Established",
    "Started",
    "UnderConstruction",
    "Completed",
    "InOperation",
]


@dataclass
class FacetValue:
    token: str  # as it appears in the URL
    iri: str | None  # the value's IRI, when it is one (its label is shown)
    text: str  # what to show when it is not an IRI
    count: int = 0
    selected: bool = False


@dataclass
class Facet:
    key: str  # the URL parameter
    label: str  # English; translated where shown
    values: list[FacetValue] = field(default_factory=list)

    @property
    def selected(self) -> list[FacetValue]:
        return [v for v in self.values if v.selected]


@dataclass
class FacetSpec:
    key: str
    label: str
    values: Callable[[Site, object], Iterable[tuple[str, str | None, str]]]  # row -> (token, iri, text)
    order: str = "count"  # count, status, label
    # The facet in SPARQL: a pattern binding ?v for ?item ({asserted}: the asserted graph's IRI), so that the table's
    # SPARQL (models/table_sparql.py) narrows its rows as the facet does.
    sparql: str = ""


def token(s: Site, node: Node | str) -> tuple[str, str | None, str]:
    """(URL token, IRI or None, text) of a value: dataset IRIs by name, ontology terms by local name."""
    if isinstance(node, Literal):
        v = node.toPython()
        if isinstance(v, bool):
            return ("yes" if v else "no", None, "yes" if v else "no")
        return (str(node), None, str(node))
    iri = str(node)
    name = s.iris.name(iri) or s.iris.local(iri)
    return (name or iri, iri, iri)


def _cells(key: str) -> Callable[[Site, object], Iterable[tuple[str, str | None, str]]]:
    def values(s: Site, row) -> Iterable[tuple[str, str | None, str]]:
        return [token(s, n) for n in row.cells.get(key, []) if isinstance(n, (URIRef, Literal))]

    return values


def _types(s: Site, row) -> Iterable[tuple[str, str | None, str]]:
    return [token(s, URIRef(t)) for t in s.names.types.get(row.iri, []) if s.iris.local(t)]


def _figure(get: Callable[[Site, object], Iterable[object]]) -> Callable[[Site, object], Iterable]:
    def values(s: Site, row) -> Iterable[tuple[str, str | None, str]]:
        fig = s.figures.get(row.iri)
        if fig is None:
            return []
        out = []
        for v in get(s, fig):
            if v is None or v == "":
                continue
            if isinstance(v, bool):
                out.append(("yes" if v else "no", None, "yes" if v else "no"))
            elif isinstance(v, str) and "://" in v:
                out.append(token(s, URIRef(v)))
            else:
                out.append((str(v), None, str(v)))
        return out

    return values


SPECS: dict[str, list[FacetSpec]] = {
    "Project": [
        FacetSpec(
            "status", "Status", _cells("status"), order="status", sparql="GRAPH <{asserted}> {{ ?item jp:status ?v }}"
        ),
        FacetSpec(
            "industry", "Industry", _cells("inIndustry"), sparql="GRAPH <{asserted}> {{ ?item jp:inIndustry ?v }}"
        ),
        FacetSpec("investor", "Investor", _cells("investor"), sparql="GRAPH <{asserted}> {{ ?item jp:investor ?v }}"),
        FacetSpec("place", "Place", _cells("locatedIn"), sparql="GRAPH <{asserted}> {{ ?item jp:locatedIn ?v }}"),
    ],
    "Observation": [
        FacetSpec("kind", "Kind", _cells("kind"), sparql="GRAPH <{asserted}> {{ ?item jp:kind ?v }}"),
        FacetSpec(
            "theme",
            "Theme",
            _figure(lambda s, f: [s.ontology.indicator_groups.get(f.indicator or "")]),
            sparql="?item jp:indicator/jp:inGroup ?v",
        ),
        FacetSpec("unit", "Unit", _figure(lambda s, f: [f.unit]), sparql="?item jp:unitAsWritten ?v"),
        FacetSpec("area", "Area", _cells("refArea"), sparql="GRAPH <{asserted}> {{ ?item jp:refArea ?v }}"),
        FacetSpec("qualifier", "Qualifier", _figure(lambda s, f: [f.qualifier]), sparql="?item jp:qualifier ?v"),
    ],
    "Organization": [
        FacetSpec("kind", "Kind", _types, sparql="GRAPH <{asserted}> {{ ?item a ?v }}"),
        FacetSpec("country", "Country", _cells("country"), sparql="GRAPH <{asserted}> {{ ?item jp:country ?v }}"),
    ],
    "Enterprise": [
        FacetSpec("country", "Country", _cells("country"), sparql="GRAPH <{asserted}> {{ ?item jp:country ?v }}"),
        FacetSpec(
            "industry", "Industry", _cells("inIndustry"), sparql="GRAPH <{asserted}> {{ ?item jp:inIndustry ?v }}"
        ),
    ],
}


class FacetError(ValueError):
    """A facet parameter names a value the facet does not have."""


def specs_for(s: Site, cls: str) -> list[FacetSpec]:
    return SPECS.get(s.iris.local(cls) or "", [])


def apply(s: Site, cls: str, rows: list, args: dict[str, list[str]], lang: str) -> tuple[list, list[Facet]]:
    """(the rows every selected facet value allows, the facets with their counts). Raises FacetError."""
    specs = specs_for(s, cls)
    row_values = [{spec.key: {t[0]: t for t in spec.values(s, row)} for spec in specs} for row in rows]
    chosen: dict[str, set[str]] = {}
    for spec in specs:
        wanted = [v for v in args.get(spec.key, []) if v != ""]
        if not wanted:
            continue
        known = {tok for values in row_values for tok in values[spec.key]}
        unknown = [v for v in wanted if v not in known]
        if unknown:
            raise FacetError(
                f"{spec.key}={unknown[0]!r} is not a value of this facet; it has: "
                + ", ".join(sorted(known)[:40])
                + "."
            )
        chosen[spec.key] = set(wanted)

    def allowed(values: dict[str, dict], skip: str | None = None) -> bool:
        return all(key == skip or values[key].keys() & wanted for key, wanted in chosen.items())

    kept = [row for row, values in zip(rows, row_values, strict=True) if allowed(values)]
    facets = []
    for spec in specs:
        counts: dict[str, int] = {}
        seen: dict[str, tuple] = {}
        for values in row_values:
            if not allowed(values, skip=spec.key):
                continue
            for tok, t in values[spec.key].items():
                counts[tok] = counts.get(tok, 0) + 1
                seen[tok] = t
        for tok in chosen.get(spec.key, ()):  # a chosen value stays listed even when the others leave none
            if tok not in seen:
                seen[tok] = next(values[spec.key][tok] for values in row_values if tok in values[spec.key])
                counts[tok] = 0
        values = [FacetValue(tok, t[1], t[2], counts[tok], tok in chosen.get(spec.key, ())) for tok, t in seen.items()]

        def name(v: FacetValue) -> str:
            return s.names.label(v.iri, lang).lower() if v.iri else v.text.lower()

        if spec.order == "status":
            order = {k: i for i, k in enumerate(STATUS_ORDER)}
            values.sort(key=lambda v: (order.get(v.token, len(order)), name(v)))
        else:
            values.sort(key=lambda v: (-v.count, name(v)))
        if len(values) > 1 or chosen.get(spec.key):
            facets.append(Facet(spec.key, spec.label, values))
    return kept, facets


def status_rank(s: Site, nodes: list[Node] | None) -> int | None:
    """A status's place in a project's life, for sorting the status column."""
    if not nodes:
        return None
    local = s.iris.local(str(nodes[0]))
    return STATUS_ORDER.index(local) if local in STATUS_ORDER else None
