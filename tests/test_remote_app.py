"""The app's SPARQL endpoint on a remote store: the same dataset and the same safety as on the embedded store."""

from __future__ import annotations

import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

import pytest

from kg.app import create_app
from kg.config import Settings

JSON = {"Accept": "application/sparql-results+json"}


@pytest.fixture(scope="module")
def client(remote_settings: Settings):
    from kg.sparql import EXTENSION

    app = create_app(remote_settings)
    yield app.test_client()
    app.extensions[EXTENSION].close()


def bindings(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["results"]["bindings"]


def test_remote_endpoint_default_graph_is_the_union(client, build_settings: Settings) -> None:
    rows = bindings(client.get("/sparql", query_string={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"}, headers=JSON))
    assert int(rows[0]["n"]["value"]) > 1000
    graphs = bindings(
        client.get("/sparql", query_string={"query": "SELECT DISTINCT ?g { GRAPH ?g { ?s ?p ?o } }"}, headers=JSON)
    )
    assert {r["g"]["value"] for r in graphs} == {
        build_settings.graph_iri(n) for n in ("ontology", "asserted", "inferred")
    }


def test_remote_endpoint_resolves_relative_iris_as_the_embedded_one(client, build_settings: Settings) -> None:
    """The remote store gets the query with the endpoint's BASE declared: <id/jinpu> is the district there too."""
    query = "SELECT ?label {{ {} <http://www.w3.org/2000/01/rdf-schema#label> ?label }} ORDER BY ?label"
    district = f"<{build_settings.base_iri}id/jinpu>"
    absolute = bindings(client.get("/sparql", query_string={"query": query.format(district)}, headers=JSON))
    assert len(absolute) == 2
    assert bindings(client.get("/sparql", query_string={"query": query.format("<id/jinpu>")}, headers=JSON)) == absolute


def test_remote_endpoint_named_dataset_is_respected(client, build_settings: Settings) -> None:
    asserted = build_settings.graph_iri("asserted")
    query = "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"
    only = bindings(client.get("/sparql", query_string={"query": query, "default-graph-uri": asserted}, headers=JSON))
    union = bindings(client.get("/sparql", query_string={"query": query}, headers=JSON))
    assert 0 < int(only[0]["n"]["value"]) < int(union[0]["n"]["value"])
    from_clause = bindings(
        client.get(
            "/sparql", query_string={"query": f"SELECT (COUNT(*) AS ?n) FROM <{asserted}> {{ ?s ?p ?o }}"}, headers=JSON
        )
    )
    assert from_clause == only


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", 403),
        ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", 403),
        ("SELECT * FROM <https://w3id.org/jinpu-kg/graph/load> WHERE { ?s ?p ?o }", 400),
        ("SELECT * WHERE { ?s ?p }", 400),
    ],
    ids=["service", "update", "load record graph", "malformed"],
)
def test_remote_endpoint_refuses_what_the_embedded_one_refuses(client, query: str, status: int) -> None:
    response = client.get("/sparql", query_string={"query": query}, headers=JSON)
    assert response.status_code == status, response.get_data(as_text=True)


def test_remote_endpoint_caps_rows(remote_settings: Settings) -> None:
    from dataclasses import replace

    from kg.sparql import EXTENSION

    app = create_app(replace(remote_settings, max_rows=7, workers=1))
    try:
        response = app.test_client().get("/sparql", query_string={"query": "SELECT * { ?s ?p ?o }"}, headers=JSON)
        assert len(bindings(response)) == 7
        assert response.headers["X-KG-Truncated"] == "true"
    finally:
        app.extensions[EXTENSION].close()


class _Silent(BaseHTTPRequestHandler):
    """A store that accepts the request and never answers."""

    def do_POST(self):
        time.sleep(10)

    def log_message(self, *args):
        pass


def test_remote_endpoint_slow_store_is_503_within_the_time_limit(build_settings: Settings) -> None:
    from dataclasses import replace

    from kg.sparql import EXTENSION

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Silent)
    server.daemon_threads = True
    Thread(target=server.serve_forever, daemon=True).start()
    settings = replace(
        build_settings, store=f"http://127.0.0.1:{server.server_address[1]}/query", timeout=1.0, workers=1
    )
    app = create_app(settings)
    try:
        client = app.test_client()
        client.get("/sparql", query_string={"query": "ASK {}"}, headers=JSON)  # workers up
        t = time.monotonic()
        response = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"}, headers=JSON)
        assert response.status_code == 503
        assert time.monotonic() - t < 3
        assert "1 s" in response.get_data(as_text=True)
    finally:
        app.extensions[EXTENSION].close()
        server.shutdown()
        server.server_close()
