"""The one reading of query text: the remote store's (the form, and VALUES bound inside the WHERE group meaning what
the trailing VALUES clause means, checked by running both on pyoxigraph) and the query page's (the prefixes a query
uses undeclared, the order of `SELECT *` columns)."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import Literal, URIRef

from kg.rdf.query_text import (
    declare_prefixes,
    empty_absent_graphs,
    missing_prefixes,
    query_form,
    star_order,
    visible,
    where_group_end,
    with_values,
)
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


KNOWN = {"ex": "http://example.org/", "jp": "https://w3id.org/jinpu-kg/def#", "": "https://w3id.org/jinpu-kg/id/"}


@pytest.mark.parametrize(
    ("query", "missing"),
    [
        ("SELECT * WHERE { ?s a jp:Project ; ex:p ?o }", ["jp", "ex"]),
        ("PREFIX jp: <x:> SELECT * WHERE { ?s a jp:Project ; ex:p ?o }", ["ex"]),
        ("prefix ex: <x:> prefix jp: <y:> ASK { ?s jp:p ex:o }", []),
        ("SELECT * WHERE { :jinpu ?p ?o }", [""]),
        ("SELECT * WHERE { ?s foaf:name ?o }", []),  # not a known prefix: left to the endpoint's error
        # inside comments, strings and IRIs nothing is a prefixed name
        ('SELECT * WHERE { ?s ?p "jp:x" . ?s <ex:y> ?o } # ex:z', []),
        ('SELECT * WHERE { ?s ?p """a \\""" jp:x""" . ?s ex:y ?o }', ["ex"]),  # an escaped quote in a long string
        ("SELECT * WHERE { ?s ?p ex:a.b }", ["ex"]),
        ("SELECT * WHERE { ?s ?p 1.5e3 . ?s ?jp ?o }", []),  # a variable is not a prefix
    ],
)
def test_prefixes_a_query_uses_undeclared(query: str, missing: list[str]) -> None:
    assert list(missing_prefixes(query, KNOWN)) == missing


def test_declared_prefixes_go_first() -> None:
    text, added = declare_prefixes("SELECT * WHERE { ?s a jp:Project }", KNOWN)
    assert added == ["jp"] and text.startswith("PREFIX jp: <https://w3id.org/jinpu-kg/def#>\nSELECT")
    assert declare_prefixes("ASK { }", KNOWN) == ("ASK { }", [])


@pytest.mark.parametrize(
    ("query", "variables", "order"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", ["o", "p", "s"], ["s", "p", "o"]),
        ("SELECT DISTINCT * WHERE { $b ?a ?c }", ["a", "b", "c"], ["b", "a", "c"]),
        ("SELECT ?o ?s WHERE { ?s ?p ?o }", ["o", "s"], ["o", "s"]),  # a projection keeps its own order
        ('SELECT * WHERE { ?z ?p "?a" . ?a ?p ?y } # ?y', ["a", "p", "y", "z"], ["z", "p", "a", "y"]),
        ("SELECT * WHERE { ?s ?p ?o }", ["s", "extra", "o"], ["s", "o", "extra"]),
    ],
)
def test_select_star_columns_in_the_order_of_the_query(query: str, variables: list[str], order: list[str]) -> None:
    assert star_order(query, variables) == order


@pytest.mark.parametrize(
    ("query", "seen"),
    [
        ('ASK { ?s ?p "a # b" } # c', "ASK { ?s ?p         }    "),
        ("SELECT <x:y> '''q\n''' ?z", "SELECT                ?z"),
        ('"open', '"open'),  # an unterminated string hides nothing
    ],
)
def test_comments_strings_and_iris_are_blanked_in_place(query: str, seen: str) -> None:
    assert visible(query) == seen


# --- GRAPH clauses naming a graph outside the dataset (the remote store's rewrite) ------------------------------------

G = {name: f"{EX}graph/{name}" for name in ("a", "b")}
STAND_IN = "urn:x-test:no-graph"  # what the remote store sends as the only named graph when there is none
GRAPH_DATA = f"""
<{EX}a> <{EX}p> <{EX}b> <{G["a"]}> .
<{EX}b> <{EX}p> <{EX}c> <{G["b"]}> .
<{EX}c> <{EX}label> "c" <{G["b"]}> .
"""
PREFIXES = f"PREFIX ex: <{EX}> PREFIX : <{EX}graph/> BASE <{EX}graph/> "
# Each query names graph b (outside the named graphs [a]) or another absent graph in a way the reader must resolve.
GRAPH_QUERIES = [
    "ASK { GRAPH <http://example.org/other> { ?s ?p ?o } }",
    "SELECT (COUNT(*) AS ?n) WHERE { GRAPH :b { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ex:p ?o OPTIONAL { GRAPH <b> { ?o ?q ?r } } }",
    "SELECT * WHERE { ?s ex:p ?o MINUS { GRAPH :b { ?s ?q ?r } } }",
    "SELECT * WHERE { ?s ex:p ?o FILTER NOT EXISTS { GRAPH <http://example.org/graph/b> { ?s ?q ?r } } }",
    "SELECT * WHERE { GRAPH :b { BIND(1 AS ?one) } }",  # a group with a solution on any graph, even an empty one
    "SELECT * WHERE { GRAPH :b { SELECT ?s WHERE { ?s ?p ?o } } }",
    "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } GRAPH :b { ?x ?y ?z GRAPH :b { ?x ?y ?z } } }",
]
# Left as written when graph a is named: a variable, graph a itself, GRAPH in a string and a comment, and a GRAPH
# clause holding another (engines differ on it: Oxigraph answers the inner clause whatever the outer graph).
KEPT_WHEN_NAMED = [
    "SELECT * WHERE { GRAPH ?g { } }",
    'SELECT * WHERE { GRAPH :a { ?s ?p ?o FILTER(?o != "GRAPH :b { }") } } # GRAPH :b { }',
    "SELECT * WHERE { GRAPH :b { GRAPH :a { ?x ?y ?z } } }",
]


@pytest.fixture(scope="module")
def graph_store() -> ox.Store:
    s = ox.Store()
    s.load(GRAPH_DATA.encode(), ox.RdfFormat.N_QUADS)
    return s


def dataset_answers(store: ox.Store, query: str, named: list[str]):
    result = store.query(
        query, default_graph=[ox.NamedNode(g) for g in G.values()], named_graphs=[ox.NamedNode(g) for g in named]
    )
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    return [v.value for v in result.variables], sorted(str([s[v] for v in result.variables]) for s in result)


@pytest.mark.parametrize("query", GRAPH_QUERIES + KEPT_WHEN_NAMED)
@pytest.mark.parametrize("named", [[G["a"]], []], ids=["named a", "no named graph"])
def test_a_graph_outside_the_dataset_is_given_a_group_without_solutions(graph_store, query: str, named) -> None:
    query = PREFIXES + query
    stand_in = named[0] if named else STAND_IN
    rewritten = empty_absent_graphs(query, named, stand_in)
    # On the stand-in, as the remote store sends it: the same variables and rows as the standard answer.
    assert dataset_answers(graph_store, rewritten, named or [STAND_IN]) == dataset_answers(graph_store, query, named)
    assert (rewritten == query) == (bool(named) and query.removeprefix(PREFIXES) in KEPT_WHEN_NAMED)


def test_graphs_of_the_dataset_and_unresolvable_ones_are_left_alone() -> None:
    named = [G["a"]]
    for query in (
        f"SELECT * WHERE {{ GRAPH <{G['a']}> {{ ?s ?p ?o }} GRAPH ?g {{ ?s ?p ?o }} }}",
        "SELECT * WHERE { GRAPH <relative> { ?s ?p ?o } }",  # no BASE: the server resolves it, not this reader
        "SELECT * WHERE { GRAPH <http://example.org/\\u0067> { ?s ?p ?o } }",  # an escape this reader leaves be
        "SELECT * WHERE { ?graph ex:GRAPH ?o }",
    ):
        assert empty_absent_graphs(query, named, G["a"]) == query
