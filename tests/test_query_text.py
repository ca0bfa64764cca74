"""The remote store's reading of query text: the form, and VALUES bound inside the WHERE group meaning what the
trailing VALUES clause means (checked by running both on pyoxigraph)."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import Literal, URIRef

from kg.rdf.query_text import query_form, where_group_end, with_values
from kg.rdf.sparql_text import values_clause

EX = "http://example.org/"
DATA = f"""
<{EX}a> <{EX}p> <{EX}b> . <{EX}a> <{EX}label> "a {{ # }}" . <{EX}b> <{EX}p> <{EX}c> .
<{EX}b> <{EX}label> "b"@en . <{EX}c> <{EX}label> "c" .
"""


@pytest.fixture(scope="module")
def store() -> ox.Store:
    s = ox.Store()
    s.load(DATA.encode(), ox.RdfFormat.TURTLE)
    return s


@pytest.mark.parametrize(
    ("query", "form"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", "SELECT"),
        ("PREFIX ex: <http://example.org/#x>\n# ASK { }\nBASE <http://b/> ask { }", "ASK"),
        ("prefix : <x:> construct { ?s ?p ?o } where { ?s ?p ?o }", "CONSTRUCT"),
        ("DESCRIBE <x:a>", "DESCRIBE"),
        ("INSERT DATA { <x:a> <x:b> <x:c> }", None),
        ("", None),
    ],
)
def test_query_form(query: str, form: str | None) -> None:
    assert query_form(query) == form


QUERIES = [
    # a variable bound but not projected; a string and a comment holding braces and hashes
    f'SELECT ?label WHERE {{ ?x <{EX}label> ?label . FILTER(?label != "}} {{ #") }} # }} {{',
    # ASK
    f"ASK {{ {{ ?x <{EX}p> ?o }} UNION {{ ?s <{EX}p> ?x }} }}",
    # CONSTRUCT with a template, then a WHERE group
    f"CONSTRUCT {{ ?x <{EX}q> ?o . }} WHERE {{ ?x <{EX}p> ?o }}",
    # CONSTRUCT WHERE: the template is the pattern
    f"CONSTRUCT WHERE {{ ?x <{EX}p> ?o }}",
    # a subquery and solution modifiers after the group
    f"SELECT ?o WHERE {{ {{ SELECT ?x ?o WHERE {{ ?x <{EX}p> ?o }} }} }} ORDER BY ?o LIMIT 5",
    # an IRI with a hash in the prologue, no WHERE keyword
    f"PREFIX ex: <{EX}#> SELECT ?o {{ ?x <{EX}p> ?o }}",
]


def answers(store: ox.Store, query: str):
    result = store.query(query)
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    if isinstance(result, ox.QuerySolutions):
        return sorted(str([s[v] for v in result.variables]) for s in result)
    return sorted(str(t) for t in result)


@pytest.mark.parametrize("query", QUERIES)
def test_values_inside_the_where_group_mean_the_trailing_values(store: ox.Store, query: str) -> None:
    for x in (URIRef(EX + "a"), URIRef(EX + "b"), URIRef(EX + "nothing")):
        bindings = {"x": x}
        inside = with_values(query, bindings)
        trailing = query + values_clause(bindings)
        # CONSTRUCT WHERE's pattern is its template, where VALUES cannot stand: the clause stays trailing there.
        assert (inside == trailing) == query.startswith("CONSTRUCT WHERE")
        assert answers(store, inside) == answers(store, trailing), inside


def test_values_go_right_after_the_where_brace() -> None:
    query = f"CONSTRUCT {{ ?x <{EX}q> ?o }} WHERE {{ ?x <{EX}p> ?o }}"
    at = where_group_end(query)
    assert query[:at].endswith("WHERE {")
    text = with_values(query, {"x": URIRef(EX + "a"), "o": Literal("v", lang="zh")})
    assert text.startswith(f'CONSTRUCT {{ ?x <{EX}q> ?o }} WHERE {{\nVALUES (?x ?o) {{ (<{EX}a> "v"@zh) }}')
    assert with_values(query, {}) == query
