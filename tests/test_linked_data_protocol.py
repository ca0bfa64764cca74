"""The linked-data side over HTTP on a live server, as clients of other ecosystems need it: CORS on every answer
(303s, errors and preflights included), negotiation with media-type parameters (RFC 9110), the read-only Graph Store
Protocol, the truncation note, the query page for browsers at /sparql, the endpoint vocabulary, VoID, Fuseki's
format parameters, readable errors and a time-out answer that does not invite a retry."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from rdflib import RDF, RDFS, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from tests.fixtures_clients import DATASET_BASE as BASE

JINPU = URIRef(BASE + "id/jinpu")
GRAPHS = {name: BASE + "graph/" + name for name in ("ontology", "asserted", "inferred")}
VOID = Namespace("http://rdfs.org/ns/void#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
ORIGIN = {"Origin": "http://elsewhere.example"}
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
EXPANDED = 'application/ld+json; profile="http://www.w3.org/ns/json-ld#expanded"'
LABELS = f"SELECT ?label WHERE {{ <{JINPU}> <{RDFS.label}> ?label }} ORDER BY ?label"
CONSTRUCT = f"CONSTRUCT {{ <{JINPU}> ?p ?o }} WHERE {{ <{JINPU}> ?p ?o }}"


@pytest.fixture(scope="module")
def counts(built: Path) -> dict[str, int]:
    return json.loads((built / "manifest.json").read_text(encoding="utf-8"))["triples"]


def get(url: str, accept: str | None = None, headers: dict | None = None, **kwargs) -> requests.Response:
    headers = {**ORIGIN, **({"Accept": accept} if accept else {}), **(headers or {})}
    return requests.get(url, headers=headers, allow_redirects=False, timeout=60, **kwargs)


# --- CORS ----------------------------------------------------------------------------------------------------------

CORS_PATHS = [
    ("/id/jinpu", "text/turtle", 303),
    ("/id/jinpu", "text/html", 303),
    ("/data/jinpu.ttl", None, 200),
    ("/data/jinpu", "application/ld+json", 200),
    ("/def", "text/turtle", 303),
    ("/data/def.ttl", None, 200),
    ("/.well-known/void", None, 200),
    ("/void", None, 303),
    ("/download/dataset.nt", None, 200),
    ("/graph/asserted", "text/turtle", 200),
    ("/graph/asserted", "text/html", 303),
    ("/store?default", "application/n-triples", 200),
    ("/def/endpoint", "text/turtle", 200),
    ("/id/no-such-thing", "text/turtle", 404),
    ("/data/no-such-thing.ttl", None, 404),
    ("/nowhere", None, 404),
    ("/id/jinpu", "image/png", 406),
    ("/page/jinpu", None, 200),
    ("/sparql", "text/turtle", 200),
]


@pytest.mark.parametrize(("path", "accept", "status"), CORS_PATHS, ids=[f"{p} {a}" for p, a, _ in CORS_PATHS])
def test_every_answer_may_be_read_from_another_origin(live_server, path, accept, status):
    r = get(live_server + path, accept)
    assert r.status_code == status, r.text[:300]
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    exposed = {h.strip().lower() for h in r.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"etag", "link", "content-location", "x-kg-truncated"} <= exposed


@pytest.mark.parametrize("path", ["/id/jinpu", "/data/jinpu", "/graph/inferred", "/store", "/download/dataset.ttl"])
def test_preflight_on_linked_data_urls(live_server, path):
    r = requests.options(
        live_server + path,
        headers={
            **ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "accept, if-none-match",
        },
    )
    assert r.status_code in (200, 204), r.text
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in r.headers["Access-Control-Allow-Methods"]
    assert "if-none-match" in r.headers["Access-Control-Allow-Headers"].lower()


# --- negotiation with parameters -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "location"),
    [
        ("text/turtle; charset=utf-8", "/data/jinpu.ttl"),
        ("text/turtle; charset=utf-8, */*;q=0.1", "/data/jinpu.ttl"),
        ("text/turtle;charset=UTF-8;q=0.9, text/html;q=0.5", "/data/jinpu.ttl"),
        (EXPANDED, "/data/jinpu.jsonld"),
        ("application/n-quads", "/data/jinpu.nq"),
        ("application/trig", "/data/jinpu.trig"),
        ("text/turtle; charset=iso-8859-1, text/html;q=0.1", "/page/jinpu"),  # that charset rules Turtle out
    ],
)
def test_entity_iri_negotiates_with_media_type_parameters(live_server, accept, location):
    r = get(live_server + "/id/jinpu", accept)
    assert r.status_code == 303 and r.headers["Location"] == location


def test_json_ld_profiles(live_server):
    r = get(live_server + "/data/jinpu", EXPANDED)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/ld+json")
    doc = r.json()
    assert isinstance(doc, list) and all("@context" not in node for node in doc)
    compacted = 'application/ld+json; profile="http://www.w3.org/ns/json-ld#compacted"'
    assert get(live_server + "/data/jinpu", compacted).status_code == 406  # only the expanded form is written
    assert (
        get(live_server + "/data/jinpu", compacted + ", text/turtle;q=0.5")
        .headers["Content-Type"]
        .startswith("text/turtle")
    )


@pytest.mark.parametrize(
    ("query", "accept", "media_type"),
    [
        (CONSTRUCT, "text/turtle; charset=utf-8", "text/turtle"),
        (CONSTRUCT, "application/n-triples;charset=utf-8", "application/n-triples"),
        (CONSTRUCT, EXPANDED, "application/ld+json"),
        (LABELS, "text/csv;charset=utf-8", "text/csv"),
        (LABELS, "application/sparql-results+json; charset=utf-8", "application/sparql-results+json"),
        (
            LABELS,
            "application/sparql-results+xml;charset=utf-8;q=0.8, text/csv;q=0.2",
            "application/sparql-results+xml",
        ),
    ],
)
def test_endpoint_negotiates_with_media_type_parameters(live_server, query, accept, media_type):
    r = get(live_server + "/sparql", accept, params={"query": query})
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == media_type + "; charset=utf-8"
    assert "金普新区" in r.content.decode("utf-8")


def test_a_charset_this_server_does_not_write_is_406(live_server):
    r = get(live_server + "/sparql", "text/csv; charset=iso-8859-1", params={"query": LABELS})
    assert r.status_code == 406


# --- graph IRIs and the Graph Store Protocol ----------------------------------------------------------------------

GRAPH_FORMATS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
    "application/trig": "trig",
    "application/n-quads": "nquads",
}


def parse(r: requests.Response, accept: str) -> Dataset:
    assert r.status_code == 200, r.text[:300]
    assert r.headers["Content-Type"] == accept + "; charset=utf-8"
    ds = Dataset()
    ds.parse(data=r.content, format=GRAPH_FORMATS[accept])
    return ds


def sizes(ds: Dataset) -> dict[str, int]:
    """Triples per graph ("default": the default graph)."""
    return {
        "default" if c.identifier == DATASET_DEFAULT_GRAPH_ID else str(c.identifier): len(c)
        for c in ds.graphs()
        if len(c)
    }


@pytest.mark.parametrize("accept", GRAPH_FORMATS)
def test_graph_iris_and_the_graph_store_give_each_graph_alone(live_server, counts, accept):
    for name, iri in GRAPHS.items():
        at_iri = sizes(parse(get(live_server + f"/graph/{name}", accept), accept))
        at_store = sizes(parse(get(live_server + "/store?graph=" + quote(iri, safe=""), accept), accept))
        on_sparql = sizes(parse(get(live_server + "/sparql?graph=" + quote(iri, safe=""), accept), accept))
        expected = (
            {iri: counts[name]} if accept in ("application/trig", "application/n-quads") else {"default": counts[name]}
        )
        assert at_iri == at_store == on_sparql == expected, name
    default = sizes(parse(get(live_server + "/store?default", accept), accept))
    assert default == {"default": counts["union"]}


def test_graph_store_head_conditional_and_refusals(live_server, counts):
    url = live_server + "/store?graph=" + quote(GRAPHS["ontology"], safe="")
    identity = {"Accept-Encoding": "identity"}  # lengths as sent, not compressed (compression has its own tests)
    full = get(url, "application/n-triples", headers=identity)
    head = requests.head(url, headers={"Accept": "application/n-triples", **identity})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["Content-Length"] == full.headers["Content-Length"] == str(len(full.content))
    squeezed = requests.head(url, headers={"Accept": "application/n-triples", "Accept-Encoding": "gzip"})
    assert squeezed.headers["Content-Encoding"] == "gzip"
    assert int(squeezed.headers["Content-Length"]) < int(full.headers["Content-Length"])
    assert len(full.text.splitlines()) == counts["ontology"]
    again = get(url, "application/n-triples", headers={"If-None-Match": full.headers["ETag"]})
    assert again.status_code == 304
    for method in ("PUT", "POST", "DELETE", "PATCH"):
        for target in (url, live_server + "/sparql?graph=" + quote(GRAPHS["ontology"], safe="")):
            r = requests.request(
                method, target, data=b"<urn:a> <urn:b> <urn:c> .", headers={"Content-Type": "application/n-triples"}
            )
            assert r.status_code == 405, (method, target, r.text)
            assert "read-only" in r.text and "GET" in r.headers["Allow"]
    unknown = get(live_server + "/store?graph=" + quote(BASE + "graph/other", safe=""), "text/turtle")
    assert unknown.status_code == 404 and GRAPHS["asserted"] in unknown.text
    unknown = get(live_server + "/sparql?graph=" + quote(BASE + "graph/other", safe=""), "text/turtle")
    assert unknown.status_code == 404  # never the service description
    assert get(live_server + "/store?default&graph=" + quote(GRAPHS["asserted"]), "text/turtle").status_code == 400
    assert get(live_server + "/store", "text/turtle").status_code == 400
    assert get(live_server + "/store?default", "image/png").status_code == 406


def test_service_description_names_the_graph_store_and_every_term_resolves(live_server):
    r = get(live_server + "/sparql", "text/turtle")
    g = Graph().parse(data=r.text, format="turtle")
    service = g.value(predicate=SD.endpoint, object=URIRef(live_server + "/sparql"))
    ep = Namespace(BASE + "def/endpoint#")
    assert g.value(service, ep.graphStore) == URIRef(live_server + "/store")
    used = {p for p in g.predicates() if str(p).startswith(str(ep))}
    assert {ep.maxResultRows, ep.queryTimeout, ep.graphStore} <= used
    vocabulary = Graph().parse(data=get(live_server + "/def/endpoint", "text/turtle").text, format="turtle")
    for term in used:
        assert (term, RDF.type, RDF.Property) in vocabulary, term
        assert vocabulary.value(term, RDFS.comment) is not None, term


# --- truncation ------------------------------------------------------------------------------------------------------


def test_a_cut_result_says_so_in_its_head_its_headers_and_on_the_query_page(start_server):
    server = start_server("--processes", "1", env={"KG_MAX_ROWS": "7", "KG_WORKERS": "1"})
    url = server.url + "/sparql"
    r = get(url, "application/sparql-results+json", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    doc = r.json()
    assert len(doc["results"]["bindings"]) == 7 and doc["head"]["link"] == ["/sparql/truncated"]
    assert r.headers["X-KG-Truncated"] == "true" and "/sparql/truncated" in r.headers["Link"]
    r = get(url, "application/sparql-results+xml", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert '<link href="/sparql/truncated"/></head>' in r.text
    note = get(server.url + "/sparql/truncated")
    assert note.status_code == 200 and "at most 7 rows" in note.text
    page = requests.get(server.url + "/query", params={"query": "SELECT * WHERE { ?s ?p ?o }", "lang": "en"})
    assert "Results were cut at 7 rows" in page.text and 'href="/sparql/truncated"' in page.text
    whole = get(url, "application/sparql-results+json", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 7"})
    assert "link" not in whole.json()["head"] and "X-KG-Truncated" not in whole.headers


# --- /sparql in a browser ---------------------------------------------------------------------------------------------


def test_a_browser_on_sparql_gets_the_query_page_with_the_query(live_server):
    r = requests.get(live_server + "/sparql", headers={"Accept": BROWSER})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    assert 'id="query-text"' in r.text
    r = requests.get(live_server + "/sparql", params={"query": LABELS}, headers={"Accept": BROWSER, "Cookie": ""})
    assert r.status_code == 200 and r.url.startswith(live_server + "/query?query=")
    assert "Jinpu New District" in r.text and "金普新区" in r.text  # run, with the results on the page
    for accept in (None, "*/*", "text/turtle", "application/sparql-results+json,*/*;q=0.9"):
        r = get(live_server + "/sparql", accept)
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/turtle"), accept
    r = get(live_server + "/sparql", BROWSER, params={"query": LABELS, "format": "json"})
    assert r.status_code == 200 and r.json()["results"]["bindings"]  # the download links stay downloads


# --- VoID -------------------------------------------------------------------------------------------------------------


def test_void_is_complete_and_binds_its_prefixes(live_server):
    r = get(live_server + "/.well-known/void")
    assert "ns1:" not in r.text and "@prefix sd:" in r.text
    g = Graph().parse(data=r.text, format="turtle")
    ds = URIRef(BASE + "void#dataset")
    assert g.value(ds, VOID.uriSpace) == Literal(BASE + "id/")
    assert JINPU in set(g.objects(ds, VOID.exampleResource))
    vocabularies = {str(v) for v in g.objects(ds, VOID.vocabulary)}
    assert {BASE + "def#", "https://schema.org/", "http://www.w3.org/ns/prov#"} <= vocabularies
    for example in g.objects(ds, VOID.exampleResource):  # each one dereferences
        assert get(live_server + str(example).removeprefix(BASE[:-1]), "text/turtle").status_code == 303


# --- format parameters, errors, time-out -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "query", "media_type"),
    [
        ("output", "csv", LABELS, "text/csv"),
        ("output", "json", LABELS, "application/sparql-results+json"),
        ("results", "xml", LABELS, "application/sparql-results+xml"),
        ("output", "tsv", LABELS, "text/tab-separated-values"),
        ("output", "json", CONSTRUCT, "application/ld+json"),
        ("output", "ttl", CONSTRUCT, "text/turtle"),
    ],
)
def test_fuseki_format_parameters(live_server, name, value, query, media_type):
    r = get(live_server + "/sparql", "text/turtle", params={"query": query, name: value})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith(media_type)


def test_errors_are_readable_for_what_the_client_shows(live_server):
    yasgui = "application/sparql-results+json,*/*;q=0.9"
    r = get(live_server + "/sparql", yasgui, params={"query": "SELECT * WHERE { ?s ?p }"})
    assert r.status_code == 400 and r.headers["Content-Type"].startswith("text/plain")
    assert r.text.startswith("400 Bad Request\n\nMalformed query")
    r = get(live_server + "/sparql", "application/json", params={"query": "SELECT * WHERE { ?s ?p }"})
    assert r.json()["error"]["status"] == 400 and "\n" in r.text.strip()  # indented, one field a line


def test_a_query_out_of_time_is_not_invited_back(start_server, kg_store):
    if kg_store.backend != "embedded":
        pytest.skip("a remote store runs the query itself and has its own time limit (tests/test_remote_app.py)")
    server = start_server("--timeout", "1", "--processes", "1", env={"KG_WORKERS": "1"})
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    r = requests.get(server.url + "/sparql", params={"query": runaway}, timeout=120)
    assert r.status_code == 503 and "1 s" in r.text
    assert "Retry-After" not in r.headers and r.headers["Cache-Control"] == "no-store"
