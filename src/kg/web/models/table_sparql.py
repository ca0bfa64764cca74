"""The SPARQL for a class table: the query that gives the rows the page lists (every page of them), narrowed by the
same facets and ?of=, with the columns the reader chose. The page shows it and opens it in the query editor, so
that a table is a starting point to adapt (Datasette's "View and edit SQL"); tests run it on /sparql and compare
its rows with the page's.

Rows are the class's members that are IRIs (asserted or inferred, as the table reads them); cells are the asserted
values of each column's property, several joined by "; "; the label is one in the page's language.
"""

from __future__ import annotations

from kg.rdf import sparql_text
from kg.web.dataset_index import Site
from kg.web.models import facets
from kg.web.models.class_table import Column, Table

# Besides its cells, a figure belongs to the entity that is its indicator, area or subject (figures.of()).
FIGURE_LINKS = "jp:indicator|jp:refArea|jp:about"


def _term(s: Site, iri: str) -> str:
    """jp:Local for the ontology's own terms (the query reads like the ontology), else <iri>."""
    local = iri[len(s.iris.def_ns) :] if iri.startswith(s.iris.def_ns) else ""
    return f"jp:{local}" if local.isidentifier() else sparql_text.iri(iri)


def _var(column: Column) -> str:
    return "".join(c if c.isalnum() else "_" for c in column.key)


def _facet_filters(s: Site, cls: str, facet_list: list[facets.Facet]) -> list[str]:
    """One FILTER EXISTS per facet with values chosen: the values of one facet are alternatives."""
    specs = {spec.key: spec for spec in facets.specs_for(s, cls)}
    asserted = s.settings.graph_iri("asserted")
    out = []
    for fc in facet_list:
        chosen = fc.selected
        spec = specs.get(fc.key)
        if not chosen or spec is None or not spec.sparql:
            continue
        terms = " ".join(_term(s, v.iri) if v.iri else sparql_text.string(v.text) for v in chosen)
        pattern = spec.sparql.format(asserted=asserted)
        out.append(f"  FILTER EXISTS {{ {pattern} VALUES ?v {{ {terms} }} }}  # {fc.key}")
    return out


def _of_filter(s: Site, table: Table, of_iri: str) -> str:
    """Rows that are the entity, name it in a cell, or (figures) have it as indicator, area or subject."""
    entity = sparql_text.iri(of_iri)
    props = " ".join(_term(s, c.prop) for c in table.columns)
    asserted = sparql_text.iri(s.settings.graph_iri("asserted"))
    tests = [f"?item = {entity}"]
    if props:
        tests.append(f"EXISTS {{ GRAPH {asserted} {{ ?item ?p {entity} }} VALUES ?p {{ {props} }} }}")
    if s.iris.local(table.cls) == "Observation":
        tests.append(f"EXISTS {{ ?item {FIGURE_LINKS} {entity} }}")
    return "  FILTER(" + "\n         || ".join(tests) + ")  # of"


def table_query(s: Site, table: Table, columns: list[Column], facet_list: list, of_iri: str | None, lang: str) -> str:
    """The SELECT that yields the table: one row per member, a label, one column per chosen column."""
    asserted = sparql_text.iri(s.settings.graph_iri("asserted"))
    heads = ["?item", "(SAMPLE(?name) AS ?label)"]
    body = [
        f"  ?item a {_term(s, table.cls)} .",
        "  FILTER(isIRI(?item))",
        *_facet_filters(s, table.cls, facet_list),
    ]
    if of_iri:
        body.append(_of_filter(s, table, of_iri))
    body.append(f'  OPTIONAL {{ ?item rdfs:label ?name FILTER(langMatches(lang(?name), "{lang}")) }}')
    for c in columns:
        v = _var(c)
        heads.append(f'(GROUP_CONCAT(DISTINCT STR(?{v}_); separator="; ") AS ?{v})')
        body.append(f"  OPTIONAL {{ GRAPH {asserted} {{ ?item {_term(s, c.prop)} ?{v}_ }} }}")
    prefixes = {"jp": s.iris.def_ns, "rdfs": "http://www.w3.org/2000/01/rdf-schema#"}
    lines = [f"PREFIX {p}: <{ns}>" for p, ns in prefixes.items()]
    lines += ["SELECT " + "\n       ".join(heads), "WHERE {", *body, "}", "GROUP BY ?item", "ORDER BY ?label ?item"]
    return "\n".join(lines) + "\n"
