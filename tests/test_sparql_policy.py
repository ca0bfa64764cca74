"""The protocol layer's rules and formats, without a server: query checks, escapes, negotiation, row limits."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kg.config import Settings
from kg.rdf.vocab import prefixes_for
from kg.sparql.policy import QueryCheck, QueryError, check_query, resolve_dataset, spec_unescape, views
from kg.sparql.results import negotiate, render

SETTINGS = Settings()
OWN = tuple(SETTINGS.graph_iri(n) for n in ("ontology", "asserted", "inferred"))


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://example.org/> { ?s ?p ?o } }",
        "SELECT * WHERE { \\u0053ERVICE <http://example.org/> { ?s ?p ?o } }",
        "SELECT * WHERE { \\u+053ERVICE <http://example.org/> { ?s ?p ?o } }",  # Rust's hex parser takes a '+'
        "SELECT * WHERE { \\U00000053ERVICE <http://example.org/> { ?s ?p ?o } }",
        "SELECT * WHERE { # a comment that ends at a carriage return\rSERVICE <http://example.org/> {} ?s ?p ?o }",
        "SELECT * WHERE { ?s ?p ?o MINUS { SERVICE SILENT <http://example.org/> { ?s ?p ?o } } }",
    ],
)
def test_service_is_found_however_it_is_written(query: str) -> None:
    with pytest.raises(QueryError) as err:
        check_query(query)
    assert err.value.status == 403


def test_words_in_names_and_strings_are_not_clauses() -> None:
    assert check_query("SELECT ?o WHERE { ?o <http://www.w3.org/ns/prov#wasDerivedFrom> ?p }") == QueryCheck()
    assert check_query('SELECT ?service WHERE { ?service ?p "from a SERVICE" }') == QueryCheck()


def test_whole_line_comments_do_not_call_for_the_full_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    from kg.sparql import policy

    def no_parse(*args, **kwargs):
        raise AssertionError("the full parse ran")

    commented = "# each figure and the passage it was derived from\n  # (no SERVICE here)\nSELECT * WHERE { ?s ?p ?o }"
    monkeypatch.setattr(policy, "parse", no_parse)
    assert check_query(commented) == QueryCheck()
    with pytest.raises(AssertionError):  # a comment after code still counts as a mention: parsed
        check_query("SELECT * WHERE { ?s ?p ?o } # from")


@pytest.mark.parametrize(
    "query",
    [
        # a long string ends on a line that begins with '#', and code follows it on that line
        'SELECT * WHERE { ?s ?p """\n# """ . SERVICE <http://example.org/> { ?s ?p ?o } }',
        "SELECT * WHERE { ?s ?p '''\n# ''' . SERVICE <http://example.org/> { ?s ?p ?o } }",
        # a comment line ended by a carriage return: the next line is code
        "# a comment\rSELECT * WHERE { SERVICE <http://example.org/> { ?s ?p ?o } }",
        # an escaped '#' is a comment only where the escape is expanded: the clause is found in every other view
        "SELECT * WHERE {\n\\u0023 x SERVICE <http://example.org/> { ?s ?p ?o } }",
    ],
)
def test_lines_that_only_look_like_comments_are_still_checked(query: str) -> None:
    with pytest.raises(QueryError) as err:
        check_query(query)
    assert err.value.status in (400, 403)


def test_escapes_are_expanded_as_the_specification_says() -> None:
    assert spec_unescape("\\u0041\\U0001F600") == "A😀"
    assert spec_unescape("\\\\u0041") == "\\\\u0041"  # an escaped backslash is not the start of an escape
    assert spec_unescape("\\uD800") == "\\uD800"  # not a code point: kept as written
    assert any("SERVICE" in v for v in views("\\u0053ERVICE"))


def test_dataset_clauses_and_protocol_parameters() -> None:
    ontology, asserted = OWN[0], OWN[1]
    check = check_query(f"PREFIX g: <{SETTINGS.base_iri}graph/> SELECT * FROM g:ontology FROM NAMED <{asserted}> {{}}")
    assert check == QueryCheck((ontology,), (asserted,))
    assert resolve_dataset(check, SETTINGS).default_graphs == (ontology,)
    assert resolve_dataset(check, SETTINGS).named_graphs == (asserted,)
    assert resolve_dataset(check, SETTINGS, (asserted,)).default_graphs == (asserted,)  # the protocol wins
    assert resolve_dataset(check, SETTINGS, (asserted,)).named_graphs == ()
    assert resolve_dataset(QueryCheck(), SETTINGS).default_graphs == OWN
    with pytest.raises(QueryError) as err:
        resolve_dataset(check_query("SELECT * FROM <http://example.org/g> {}"), SETTINGS)
    assert err.value.status == 400


def test_negotiation() -> None:
    assert negotiate(None)["select"] == "json" and negotiate(None)["graph"] == "turtle"
    plan = negotiate("application/sparql-results+xml, application/rdf+xml")  # rdflib's SPARQLStore
    assert plan == {"select": "xml", "ask": "xml", "graph": "rdfxml"}
    assert negotiate("text/csv;q=0.1, application/sparql-results+json")["select"] == "json"
    assert negotiate("", ("json-ld", "application/ld+json,application/x-json+ld"))["graph"] == "jsonld"
    assert negotiate("image/png") == {"select": None, "ask": None, "graph": None}
    with pytest.raises(QueryError) as err:
        negotiate(None, ("docx",))
    assert err.value.status == 406


@pytest.fixture(scope="module")
def store() -> ox.Store:
    s = ox.Store()
    for i in range(30):
        s.add(
            ox.Quad(
                ox.NamedNode(f"http://example.org/s{i}"),
                ox.NamedNode("http://example.org/p"),
                ox.Literal(f"line\nbreak {i}", language="en"),
            )
        )
    return s


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv", "internal"])
def test_select_results_are_cut_at_max_rows(store: ox.Store, fmt: str) -> None:
    out = render(store.query("SELECT * WHERE { ?s ?p ?o }"), fmt, 10, prefixes_for("http://x/#", "http://x/"))
    assert out.truncated and out.rows == 10
    back = out.body if fmt in ("tsv", "internal") else None
    if back is not None:
        assert len(list(ox.parse_query_results(back, ox.QueryResultsFormat.TSV))) == 10
    full = render(store.query("SELECT * WHERE { ?s ?p ?o }"), fmt, 30, {})
    assert not full.truncated and full.rows == 30


def test_graph_results_are_cut_at_max_rows(store: ox.Store) -> None:
    out = render(store.query("CONSTRUCT WHERE { ?s ?p ?o }"), "turtle", 10, {})
    assert out.truncated and out.rows == 10
    assert len(list(ox.parse(out.body, ox.RdfFormat.TURTLE))) == 10
