"""The SPARQL 1.1 Protocol at /sparql, spoken by real clients (requests, SPARQLWrapper, rdflib's SPARQLStore) to a
real server (`python server.py`): every query form, every result format, the dataset, negotiation, CORS, the service
description, caching headers and the row limit."""

from __future__ import annotations

import csv
import io
import json
import xml.dom.minidom

import pytest
import requests
from rdflib import RDFS, Graph, Literal, Namespace, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import (
    CSV,
    GET,
    JSON,
    JSONLD,
    N3,
    POST,
    POSTDIRECTLY,
    RDFXML,
    TSV,
    TURTLE,
    URLENCODED,
    XML,
    SPARQLWrapper,
)

BASE = "https://w3id.org/jinpu-kg/"
JINPU = URIRef(BASE + "id/jinpu")
GRAPHS = {name: BASE + "graph/" + name for name in ("ontology", "asserted", "inferred")}
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
SELECT_LABELS = f"SELECT ?label WHERE {{ <{JINPU}> <{RDFS.label}> ?label }} ORDER BY ?label"
ASK_JINPU = f"ASK {{ <{JINPU}> ?p ?o }}"
CONSTRUCT_JINPU = f"CONSTRUCT {{ <{JINPU}> ?p ?o }} WHERE {{ <{JINPU}> ?p ?o }}"
DESCRIBE_JINPU = f"DESCRIBE <{JINPU}>"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
JSON_ACCEPT = {"Accept": "application/sparql-results+json"}


@pytest.fixture(scope="module")
def endpoint(live_server: str) -> str:
    return live_server + "/sparql"


def json_rows(response: requests.Response) -> list[dict]:
    assert response.status_code == 200, response.text
    return response.json()["results"]["bindings"]


def count(endpoint: str, **params) -> int:
    rows = json_rows(requests.get(endpoint, params={"query": COUNT, **params}, headers=JSON_ACCEPT))
    return int(rows[0]["n"]["value"])


# --- the three ways to send a query --------------------------------------------------------------------------------


def test_get_form_post_and_direct_post_give_the_same_answer(endpoint: str) -> None:
    by_get = requests.get(endpoint, params={"query": SELECT_LABELS}, headers=JSON_ACCEPT)
    by_form = requests.post(endpoint, data={"query": SELECT_LABELS}, headers=JSON_ACCEPT)
    by_body = requests.post(
        endpoint,
        data=SELECT_LABELS.encode(),
        headers={**JSON_ACCEPT, "Content-Type": "application/sparql-query; charset=utf-8"},
    )
    labels = {(r["label"]["value"], r["label"].get("xml:lang")) for r in json_rows(by_get)}
    assert ("金普新区", "zh") in labels and ("Jinpu New District", "en") in labels
    assert json_rows(by_form) == json_rows(by_get) == json_rows(by_body)


# --- the dataset -----------------------------------------------------------------------------------------------------


def test_default_graph_is_the_union_of_the_three_named_graphs(endpoint: str) -> None:
    per_graph = {name: count(endpoint, **{"default-graph-uri": iri}) for name, iri in GRAPHS.items()}
    assert all(n > 0 for n in per_graph.values())
    assert count(endpoint) == sum(per_graph.values())
    rows = json_rows(
        requests.get(endpoint, params={"query": "SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } }"}, headers=JSON_ACCEPT)
    )
    assert {r["g"]["value"] for r in rows} == set(GRAPHS.values())


def test_from_and_protocol_graph_parameters_choose_the_dataset(endpoint: str) -> None:
    asserted = count(endpoint, **{"default-graph-uri": GRAPHS["asserted"]})
    from_query = f"SELECT (COUNT(*) AS ?n) FROM <{GRAPHS['asserted']}> WHERE {{ ?s ?p ?o }}"
    rows = json_rows(requests.get(endpoint, params={"query": from_query}, headers=JSON_ACCEPT))
    assert int(rows[0]["n"]["value"]) == asserted
    named = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    rows = json_rows(
        requests.get(endpoint, params={"query": named, "named-graph-uri": GRAPHS["inferred"]}, headers=JSON_ACCEPT)
    )
    assert [r["g"]["value"] for r in rows] == [GRAPHS["inferred"]]
    only_named = f"SELECT (COUNT(*) AS ?n) FROM NAMED <{GRAPHS['ontology']}> WHERE {{ ?s ?p ?o }}"
    assert json_rows(requests.get(endpoint, params={"query": only_named}, headers=JSON_ACCEPT))[0]["n"]["value"] == "0"


# --- result formats and negotiation ---------------------------------------------------------------------------------

SELECT_TYPES = {
    "application/sparql-results+json": "application/sparql-results+json",
    "application/json": "application/sparql-results+json",
    "application/sparql-results+xml": "application/sparql-results+xml",
    "text/csv": "text/csv",
    "text/tab-separated-values": "text/tab-separated-values",
}
GRAPH_TYPES = {
    "text/turtle": ("text/turtle", "turtle"),
    "application/n-triples": ("application/n-triples", "nt"),
    "application/ld+json": ("application/ld+json", "json-ld"),
    "application/rdf+xml": ("application/rdf+xml", "xml"),
    "application/trig": ("application/trig", "trig"),
    "application/n-quads": ("application/n-quads", "nquads"),
    "text/n3": ("text/n3", "n3"),
}


@pytest.mark.parametrize("accept", SELECT_TYPES)
def test_select_result_formats(endpoint: str, accept: str) -> None:
    r = requests.get(endpoint, params={"query": SELECT_LABELS}, headers={"Accept": accept})
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == f"{SELECT_TYPES[accept]}; charset=utf-8"
    assert "金普新区" in r.content.decode("utf-8")


@pytest.mark.parametrize("query", [CONSTRUCT_JINPU, DESCRIBE_JINPU], ids=["construct", "describe"])
@pytest.mark.parametrize("accept", GRAPH_TYPES)
def test_graph_result_formats(endpoint: str, accept: str, query: str) -> None:
    r = requests.get(endpoint, params={"query": query}, headers={"Accept": accept})
    assert r.status_code == 200, r.text
    media_type, rdflib_format = GRAPH_TYPES[accept]
    assert r.headers["Content-Type"] == f"{media_type}; charset=utf-8"
    if rdflib_format in ("trig", "nquads"):
        from rdflib import Dataset

        g = Dataset()
        g.parse(data=r.content, format=rdflib_format)
    else:
        g = Graph().parse(data=r.content, format=rdflib_format)
    assert (JINPU, RDFS.label, Literal("金普新区", lang="zh")) in g


def test_ask_formats(endpoint: str) -> None:
    assert requests.get(endpoint, params={"query": ASK_JINPU}, headers=JSON_ACCEPT).json()["boolean"] is True
    r = requests.get(
        endpoint,
        params={"query": "ASK { <urn:x:nothing> ?p ?o }"},
        headers={"Accept": "application/sparql-results+xml"},
    )
    assert r.headers["Content-Type"].startswith("application/sparql-results+xml")
    assert "<boolean>false</boolean>" in r.text


def test_accept_q_values_are_honoured(endpoint: str) -> None:
    accept = "application/sparql-results+json;q=0.4, text/csv;q=0.9, application/sparql-results+xml;q=0.5"
    r = requests.get(endpoint, params={"query": SELECT_LABELS}, headers={"Accept": accept})
    assert r.headers["Content-Type"].startswith("text/csv")
    accept = "text/turtle;q=0.2, application/n-triples"
    r = requests.get(endpoint, params={"query": CONSTRUCT_JINPU}, headers={"Accept": accept})
    assert r.headers["Content-Type"].startswith("application/n-triples")
    r = requests.get(endpoint, params={"query": SELECT_LABELS}, headers={"Accept": "*/*"})
    assert r.headers["Content-Type"].startswith("application/sparql-results+json")
    r = requests.get(endpoint, params={"query": CONSTRUCT_JINPU}, headers={"Accept": "text/*"})
    assert r.headers["Content-Type"].startswith("text/turtle")


def test_format_parameter_overrides_accept(endpoint: str) -> None:
    r = requests.get(endpoint, params={"query": SELECT_LABELS, "format": "tsv"}, headers=JSON_ACCEPT)
    assert r.headers["Content-Type"].startswith("text/tab-separated-values")
    r = requests.get(endpoint, params={"query": CONSTRUCT_JINPU, "format": "json"}, headers={"Accept": "text/turtle"})
    assert r.headers["Content-Type"].startswith("application/ld+json")
    r = requests.get(endpoint, params={"query": SELECT_LABELS, "format": "application/sparql-results+xml"})
    assert r.headers["Content-Type"].startswith("application/sparql-results+xml")


def test_unknown_or_impossible_formats_are_406(endpoint: str) -> None:
    r = requests.get(endpoint, params={"query": SELECT_LABELS, "format": "pdf"})
    assert r.status_code == 406 and "pdf" in r.text
    r = requests.get(endpoint, params={"query": SELECT_LABELS}, headers={"Accept": "image/png"})
    assert r.status_code == 406
    r = requests.get(endpoint, params={"query": CONSTRUCT_JINPU}, headers={"Accept": "text/csv"})
    assert r.status_code == 406 and "text/turtle" in r.text


# --- service description, CORS, caching ------------------------------------------------------------------------------


def test_service_description_on_get_without_query(endpoint: str) -> None:
    r = requests.get(endpoint, headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/turtle; charset=utf-8"
    g = Graph().parse(data=r.text, format="turtle")
    service = g.value(predicate=SD.endpoint, object=URIRef(endpoint))
    assert service is not None
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in g
    assert (service, SD.feature, SD.UnionDefaultGraph) in g
    names = {str(o) for o in g.objects(None, SD.name)}
    assert names == set(GRAPHS.values())
    ep = Namespace(BASE + "def/endpoint#")
    assert g.value(service, ep.maxResultRows).toPython() == 10000
    assert g.value(service, ep.queryTimeout).toPython() == 10
    assert g.value(service, ep.maxQueryBytes).toPython() == 65536
    r = requests.get(endpoint, headers={"Accept": "application/ld+json"})
    assert r.headers["Content-Type"].startswith("application/ld+json")
    json.loads(r.text)


def test_cors_on_get_post_and_preflight(endpoint: str) -> None:
    origin = {"Origin": "https://yasgui.example"}
    assert (
        requests.get(endpoint, params={"query": ASK_JINPU}, headers=origin).headers["Access-Control-Allow-Origin"]
        == "*"
    )
    assert (
        requests.post(endpoint, data={"query": ASK_JINPU}, headers=origin).headers["Access-Control-Allow-Origin"] == "*"
    )
    r = requests.options(
        endpoint,
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, accept",
        },
    )
    assert r.status_code in (200, 204)
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in r.headers["Access-Control-Allow-Methods"]
    assert "content-type" in r.headers["Access-Control-Allow-Headers"].lower()
    assert (
        "x-kg-truncated"
        in requests.get(endpoint, params={"query": ASK_JINPU}).headers["Access-Control-Expose-Headers"].lower()
    )


def test_etag_and_not_modified(endpoint: str) -> None:
    first = requests.get(endpoint, params={"query": SELECT_LABELS}, headers=JSON_ACCEPT)
    etag = first.headers["ETag"]
    again = requests.get(endpoint, params={"query": SELECT_LABELS}, headers={**JSON_ACCEPT, "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    other = requests.get(
        endpoint, params={"query": SELECT_LABELS}, headers={"Accept": "text/csv", "If-None-Match": etag}
    )
    assert other.status_code == 200 and other.headers["ETag"] != etag


# --- the row limit ---------------------------------------------------------------------------------------------------


def test_results_are_cut_at_the_row_limit_and_say_so(start_server) -> None:
    server = start_server("--processes", "1", env={"KG_MAX_ROWS": "7", "KG_WORKERS": "1"})
    url = server.url + "/sparql"
    r = requests.get(url, params={"query": "SELECT * WHERE { ?s ?p ?o }"}, headers=JSON_ACCEPT)
    assert len(json_rows(r)) == 7
    assert r.headers["X-KG-Truncated"] == "true" and r.headers["X-KG-Max-Rows"] == "7"
    r = requests.get(url, params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"}, headers={"Accept": "application/n-triples"})
    assert len(r.text.strip().splitlines()) == 7 and r.headers["X-KG-Truncated"] == "true"
    r = requests.get(url, params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 7"}, headers={"Accept": "text/csv"})
    assert len(list(csv.reader(io.StringIO(r.text)))) == 8 and "X-KG-Truncated" not in r.headers


# --- real clients ----------------------------------------------------------------------------------------------------


def wrapper(endpoint: str, query: str, fmt: str, method: str = GET, request_method: str = URLENCODED):
    sw = SPARQLWrapper(endpoint)
    sw.setQuery(query)
    sw.setReturnFormat(fmt)
    sw.setMethod(method)
    sw.setRequestMethod(request_method)
    return sw.query().convert()


SENDS = [(GET, URLENCODED), (POST, URLENCODED), (POST, POSTDIRECTLY)]


@pytest.mark.parametrize(("method", "request_method"), SENDS, ids=["get", "post-form", "post-direct"])
def test_sparqlwrapper_select_in_every_results_format(endpoint: str, method: str, request_method: str) -> None:
    doc = wrapper(endpoint, SELECT_LABELS, JSON, method, request_method)
    assert {b["label"]["value"] for b in doc["results"]["bindings"]} >= {"金普新区", "Jinpu New District"}
    dom = wrapper(endpoint, SELECT_LABELS, XML, method, request_method)
    assert isinstance(dom, xml.dom.minidom.Document)
    assert "金普新区" in [n.firstChild.data for n in dom.getElementsByTagName("literal")]
    table = list(csv.reader(io.StringIO(wrapper(endpoint, SELECT_LABELS, CSV, method, request_method).decode())))
    assert table[0] == ["label"] and ["金普新区"] in table
    tsv = wrapper(endpoint, SELECT_LABELS, TSV, method, request_method).decode()
    assert tsv.splitlines()[0] == "?label" and '"金普新区"@zh' in tsv


@pytest.mark.parametrize(("method", "request_method"), SENDS, ids=["get", "post-form", "post-direct"])
def test_sparqlwrapper_ask(endpoint: str, method: str, request_method: str) -> None:
    assert wrapper(endpoint, ASK_JINPU, JSON, method, request_method)["boolean"] is True
    dom = wrapper(endpoint, "ASK { <urn:x:nothing> ?p ?o }", XML, method, request_method)
    assert dom.getElementsByTagName("boolean")[0].firstChild.data == "false"


@pytest.mark.parametrize("query", [CONSTRUCT_JINPU, DESCRIBE_JINPU], ids=["construct", "describe"])
@pytest.mark.parametrize(("method", "request_method"), SENDS, ids=["get", "post-form", "post-direct"])
def test_sparqlwrapper_graphs_in_every_rdf_format(endpoint: str, query: str, method: str, request_method: str) -> None:
    label = (JINPU, RDFS.label, Literal("Jinpu New District", lang="en"))
    for fmt in (XML, RDFXML, JSONLD):  # SPARQLWrapper parses these into an rdflib Graph
        g = wrapper(endpoint, query, fmt, method, request_method)
        assert isinstance(g, Graph) and label in g, fmt
    for fmt, rdflib_format in ((TURTLE, "turtle"), (N3, "n3")):  # these come back as bytes
        g = Graph().parse(data=wrapper(endpoint, query, fmt, method, request_method), format=rdflib_format)
        assert label in g, fmt


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_rdflib_sparqlstore(endpoint: str, method: str) -> None:
    store = SPARQLStore(endpoint, method=method)
    g = Graph(store=store)
    labels = {row.label for row in g.query(SELECT_LABELS)}
    assert Literal("金普新区", lang="zh") in labels
    assert g.query(ASK_JINPU).askAnswer is True
    constructed = g.query(CONSTRUCT_JINPU).graph
    assert (JINPU, RDFS.label, Literal("Jinpu New District", lang="en")) in constructed
    assert Literal("金普新区", lang="zh") in set(g.objects(JINPU, RDFS.label))
    assert len(store) == count(endpoint)
