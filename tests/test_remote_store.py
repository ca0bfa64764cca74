"""RemoteStore against a real Oxigraph server: the embedded store's answers, its dataset, and its failures."""

from __future__ import annotations

import base64
import pickle
import threading
import time
from collections import Counter
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pyoxigraph as ox
import pytest
import requests
from rdflib import XSD, BNode, Literal, URIRef
from rdflib.compare import isomorphic

from kg.config import Settings
from kg.sparql.errors import status_of
from kg.store import BackendUnavailable, QueryRejected
from kg.store.embedded import EmbeddedStore
from kg.store.endpoints import Endpoints, redact
from kg.store.remote import RemoteStore, StoreQueryError, StoreTimeout, StoreUnavailable
from kg.testing import free_port

PREFIXES = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX jp: <https://w3id.org/jinpu-kg/def#>
PREFIX jpr: <https://w3id.org/jinpu-kg/id/>
"""


@pytest.fixture(scope="module")
def embedded(build_settings: Settings) -> EmbeddedStore:
    return EmbeddedStore(build_settings)


@pytest.fixture(scope="module")
def remote(remote_settings: Settings) -> RemoteStore:
    store = RemoteStore(remote_settings)
    yield store
    store.close()


def rows(result: list[dict]) -> Counter:
    """Rows as a multiset, blank nodes made anonymous (their labels differ between stores)."""
    return Counter(tuple(sorted((k, "_:" if isinstance(v, BNode) else v) for k, v in row.items())) for row in result)


SELECTS = {
    "labels in both languages": "SELECT ?s ?label WHERE { ?s rdfs:label ?label }",
    "typed literals": "SELECT ?s ?p ?v WHERE { ?s ?p ?v FILTER(isLiteral(?v) && lang(?v) = '' && datatype(?v) != <"
    + str(XSD.string)
    + ">) }",
    "every triple of the union": "SELECT ?s ?p ?o WHERE { ?s ?p ?o }",
    "union counted once": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "inferred types": "SELECT ?s ?type WHERE { ?s a ?type }",
    "named graphs": "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    "blank nodes": "SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER(isBlank(?s) || isBlank(?o)) }",
    "plain literals": "SELECT ?s ?o WHERE { ?s ?p ?o FILTER(isLiteral(?o) && datatype(?o) = <"
    + str(XSD.string)
    + ">) }",
}


@pytest.mark.parametrize("query", SELECTS.values(), ids=SELECTS.keys())
def test_remote_select_answers_as_the_embedded_store(embedded: EmbeddedStore, remote: RemoteStore, query: str) -> None:
    expected = embedded.select(PREFIXES + query)
    assert expected, "the query should find something in the build"
    assert rows(remote.select(PREFIXES + query)) == rows(expected)


def test_remote_terms_are_the_embedded_store_terms(embedded: EmbeddedStore, remote: RemoteStore) -> None:
    query = PREFIXES + "SELECT ?label WHERE { jpr:jinpu rdfs:label ?label }"
    assert {r["label"] for r in remote.select(query)} == {r["label"] for r in embedded.select(query)}
    plain = PREFIXES + 'SELECT ?x WHERE { BIND("text" AS ?x) }'
    assert remote.select(plain) == embedded.select(plain) == [{"x": Literal("text", datatype=XSD.string)}]


def test_remote_bindings_are_applied(embedded: EmbeddedStore, remote: RemoteStore) -> None:
    query = PREFIXES + "SELECT ?label WHERE { ?x rdfs:label ?label }"
    bindings = {"x": URIRef("https://w3id.org/jinpu-kg/id/jinpu")}
    assert rows(remote.select(query, bindings)) == rows(embedded.select(query, bindings))
    assert len(remote.select(query, bindings)) >= 2


def test_remote_ask(remote: RemoteStore) -> None:
    assert remote.ask(PREFIXES + "ASK { ?x rdfs:label ?l }", {"x": URIRef("https://w3id.org/jinpu-kg/id/jinpu")})
    assert not remote.ask(PREFIXES + "ASK { ?x rdfs:label ?l }", {"x": URIRef("https://w3id.org/jinpu-kg/id/nope")})


def test_remote_construct_is_isomorphic_to_the_embedded_one(embedded: EmbeddedStore, remote: RemoteStore) -> None:
    query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    got, expected = remote.construct(query), embedded.construct(query)
    assert len(got) == len(expected) > 1000
    assert isomorphic(got, expected)
    one = remote.construct(
        "CONSTRUCT { ?x ?p ?o } WHERE { ?x ?p ?o }", {"x": URIRef("https://w3id.org/jinpu-kg/id/jinpu")}
    )
    assert 0 < len(one) < len(got)


def test_remote_default_graph_is_the_union_although_the_server_default_graph_is_empty(
    oxigraph_server, remote: RemoteStore
) -> None:
    # Oxigraph server is started without --union-default-graph: its own default graph is empty.
    raw = requests.post(
        oxigraph_server.query_url,
        data={"query": "ASK { ?s ?p ?o }"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=5,
    )
    assert raw.json()["boolean"] is False
    assert remote.ask("ASK { ?s ?p ?o }")


def test_remote_graph_variable_sees_only_the_dataset_graphs(remote: RemoteStore, build_settings: Settings) -> None:
    graphs = {str(r["g"]) for r in remote.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")}
    assert graphs == {build_settings.graph_iri(n) for n in ("ontology", "asserted", "inferred")}
    # The load record is in the store but not in the dataset the app presents.
    assert len(remote.select_all_graphs("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")) == 4


def test_remote_query_error_is_a_query_error(remote: RemoteStore) -> None:
    with pytest.raises(StoreQueryError):
        remote.select("SELEC nonsense")


# --- URLs and credentials ---


def test_endpoints_derived_for_oxigraph_and_explicit_for_others() -> None:
    ox = Endpoints.from_settings(Settings(store="http://h:7878/query"))
    assert (ox.query, ox.update, ox.gsp) == ("http://h:7878/query", "http://h:7878/update", "http://h:7878/store")
    fuseki = Endpoints.from_settings(Settings(store="http://h:3030/ds/query", store_gsp="http://h:3030/ds/data"))
    assert (fuseki.update, fuseki.gsp) == ("http://h:3030/ds/update", "http://h:3030/ds/data")
    virtuoso = Endpoints.from_settings(Settings(store="http://h:8890/sparql"))
    assert (virtuoso.update, virtuoso.gsp) == ("http://h:8890/sparql-auth", "http://h:8890/sparql-graph-crud-auth")
    neptune = Endpoints.from_settings(
        Settings(store="https://h:8182/sparql", store_update="https://h:8182/sparql", store_gsp="none")
    )
    assert (neptune.update, neptune.gsp) == ("https://h:8182/sparql", None)
    other = Endpoints.from_settings(Settings(store="http://h:9999/repositories/jinpu"))
    assert (other.update, other.gsp) == ("http://h:9999/repositories/jinpu", None)
    no_gsp = Endpoints.from_settings(Settings(store="http://h:7878/query", store_gsp="none"))
    assert no_gsp.gsp is None
    with pytest.raises(ValueError):
        Endpoints.from_settings(Settings(store="file:///etc/passwd"))


def test_remote_credentials_never_appear_in_settings_or_messages() -> None:
    settings = Settings(store="http://user:pw-in-url@127.0.0.1:9/query", store_user="u", store_password="s3cret")
    assert "s3cret" not in repr(settings)
    assert redact(settings.store) == "http://127.0.0.1:9/query"
    with pytest.raises(StoreUnavailable) as info:
        RemoteStore(settings).ping()
    assert "s3cret" not in str(info.value) and "pw-in-url" not in str(info.value)


# --- failures: a fake store that misbehaves in one chosen way ---


class FakeStore:
    """A loopback HTTP server whose every answer is given by `handle(handler)`."""

    def __init__(self, handle):
        outer = self
        self.requests: list[tuple[str, str, dict, bytes]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                outer.requests.append((self.command, self.path, dict(self.headers), body))
                handle(self)

            do_GET = do_POST

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/query"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_store():
    stores = []

    def make(handle) -> FakeStore:
        stores.append(FakeStore(handle))
        return stores[-1]

    yield make
    for s in stores:
        s.close()


def _answer(status: int, body: bytes, content_type: str = "text/plain", headers: dict | None = None):
    def handle(h):
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)

    return handle


def test_remote_down_store_is_unavailable_at_once() -> None:
    store = RemoteStore(Settings(store=f"http://127.0.0.1:{free_port()}/query"))
    t = time.monotonic()
    with pytest.raises(StoreUnavailable, match="not reachable"):
        store.select("SELECT * WHERE { ?s ?p ?o }")
    assert time.monotonic() - t < 2


def test_remote_slow_store_times_out_within_the_limit(fake_store) -> None:
    fake = fake_store(lambda h: time.sleep(3))
    store = RemoteStore(Settings(store=fake.url, timeout=0.5))
    t = time.monotonic()
    with pytest.raises(StoreTimeout):
        store.select("SELECT * WHERE { ?s ?p ?o }")
    assert time.monotonic() - t < 1.5


def test_remote_trickling_store_times_out_within_the_limit(fake_store) -> None:
    def trickle(h):
        h.send_response(200)
        h.send_header("Content-Type", "application/sparql-results+json")
        h.end_headers()
        h.wfile.write(b'{"head":{"vars":["s"]},"results":{"bindings":[')
        for _ in range(40):
            h.wfile.write(b" " * 20000)
            h.wfile.flush()
            time.sleep(0.1)

    store = RemoteStore(Settings(store=fake_store(trickle).url, timeout=0.5))
    t = time.monotonic()
    with pytest.raises(StoreTimeout):
        store.select("SELECT * WHERE { ?s ?p ?o }")
    assert time.monotonic() - t < 1.5


@pytest.mark.parametrize("status", [500, 502, 503])
def test_remote_failing_store_is_unavailable_with_its_message(fake_store, status: int) -> None:
    store = RemoteStore(Settings(store=fake_store(_answer(status, b"disk full")).url))
    with pytest.raises(StoreUnavailable, match=f"HTTP {status}.*disk full"):
        store.select("SELECT * WHERE { ?s ?p ?o }")


def test_remote_broken_results_are_unavailable(fake_store) -> None:
    fake = fake_store(_answer(200, b'{"head":{"vars":["s"]},"results":{"bind', "application/sparql-results+json"))
    with pytest.raises(StoreUnavailable, match="broken results"):
        RemoteStore(Settings(store=fake.url)).select("SELECT * WHERE { ?s ?p ?o }")


def test_remote_redirects_are_not_followed(fake_store) -> None:
    elsewhere = fake_store(_answer(200, b'{"boolean": true}', "application/sparql-results+json"))
    fake = fake_store(_answer(302, b"", headers={"Location": elsewhere.url}))
    with pytest.raises(StoreUnavailable, match="redirects"):
        RemoteStore(Settings(store=fake.url)).ask("ASK {}")
    assert elsewhere.requests == []


def test_remote_credentials_are_sent_and_refusal_explained(fake_store) -> None:
    fake = fake_store(_answer(401, b"who are you", headers={"WWW-Authenticate": 'Basic realm="kg"'}))
    store = RemoteStore(Settings(store=fake.url, store_user="reader", store_password="s3cret"))
    with pytest.raises(StoreUnavailable, match="refused access") as info:
        store.ask("ASK {}")
    assert "s3cret" not in str(info.value)
    sent = fake.requests[0][2]["Authorization"]
    assert base64.b64decode(sent.split()[1]) == b"reader:s3cret"


def test_remote_sends_this_dataset_with_every_query(fake_store, build_settings: Settings) -> None:
    fake = fake_store(_answer(200, b'{"boolean": true}', "application/sparql-results+json"))
    RemoteStore(replace(build_settings, store=fake.url)).ask("ASK {}")
    method, path, _, body = fake.requests[0]
    assert method == "POST" and path == "/query"
    params = parse_qsl(body.decode())
    graphs = [build_settings.graph_iri(n) for n in ("ontology", "asserted", "inferred")]
    assert [v for k, v in params if k == "default-graph-uri"] == graphs
    assert [v for k, v in params if k == "named-graph-uri"] == graphs
    assert ("query", "ASK {}") in params


def test_remote_store_recovers_when_the_server_comes_back(oxigraph_servers, build_settings: Settings) -> None:
    from kg.store.loader import load

    server = oxigraph_servers()
    settings = server.settings(build_settings, timeout=5.0)
    load(settings)
    store = RemoteStore(settings)
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    before = store.select(query)
    server.kill()
    with pytest.raises(StoreUnavailable):
        store.select(query)
    server.start()
    assert store.select(query) == before  # same store object, same pooled session: no restart of the app


# --- QueryExecutor: user queries on a resolved dataset ---


def solutions(result) -> Counter:
    if isinstance(result, ox.QueryBoolean):
        return Counter([bool(result)])
    if isinstance(result, ox.QuerySolutions):
        names = [v.value for v in result.variables]
        return Counter(
            tuple("_:" if isinstance(s[n], ox.BlankNode) else str(s[n]) if s[n] is not None else None for n in names)
            for s in result
        )
    return Counter("_:" if "_:" in str(t) else str(t) for t in result)


def graphs(settings: Settings, *names: str) -> list[str]:
    return [settings.graph_iri(n) for n in names]


DATASETS = {
    "union": (("ontology", "asserted", "inferred"), ("ontology", "asserted", "inferred")),
    "asserted only": (("asserted",), ()),
    "empty default graph": ((), ("ontology", "inferred")),
    "nothing at all": ((), ()),
}
USER_QUERIES = {
    "select": "SELECT ?s ?p ?o WHERE { ?s ?p ?o }",
    "graphs": "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    "ask": "ASK { ?s a ?type }",
    "construct": "CONSTRUCT { ?s a ?type } WHERE { ?s a ?type }",
    "describe": "DESCRIBE <https://w3id.org/jinpu-kg/id/jinpu>",
}


@pytest.mark.parametrize("dataset", DATASETS.values(), ids=DATASETS.keys())
@pytest.mark.parametrize("query", USER_QUERIES.values(), ids=USER_QUERIES.keys())
def test_remote_execute_answers_as_the_embedded_store(
    embedded: EmbeddedStore, remote: RemoteStore, build_settings: Settings, query: str, dataset
) -> None:
    default, named = graphs(build_settings, *dataset[0]), graphs(build_settings, *dataset[1])
    expected = solutions(embedded.execute(query, default_graphs=default, named_graphs=named, timeout=10))
    got = solutions(remote.execute(query, default_graphs=default, named_graphs=named, timeout=10))
    assert got == expected


def test_remote_execute_reads_only_what_is_consumed(remote: RemoteStore) -> None:
    # Millions of rows; the protocol layer reads max_rows + 1 and drops the rest, so must we.
    t = time.monotonic()
    result = remote.execute(
        "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }", default_graphs=remote.graphs, named_graphs=(), timeout=10
    )
    first = [row for _, row in zip(range(11), result, strict=False)]
    assert len(first) == 11
    del result
    assert time.monotonic() - t < 3


def test_remote_execute_errors_are_execution_errors(remote: RemoteStore) -> None:
    with pytest.raises(QueryRejected) as info:
        remote.execute("SELECT ?x WHERE { ?x }", default_graphs=remote.graphs, named_graphs=(), timeout=5)
    assert status_of(info.value) == 400
    down = RemoteStore(Settings(store=f"http://127.0.0.1:{free_port()}/query"))
    with pytest.raises(BackendUnavailable) as info:
        down.execute("ASK {}", default_graphs=(), named_graphs=(), timeout=5)
    assert status_of(info.value) == 503 and "not reachable" in info.value.message


def test_remote_execute_opens_in_a_worker_process(remote: RemoteStore) -> None:
    factory = pickle.loads(pickle.dumps(remote.worker_factory()))
    worker = factory()
    assert worker.needs_network and worker.session is not remote.session
    assert bool(worker.execute("ASK { ?s ?p ?o }", default_graphs=remote.graphs, named_graphs=(), timeout=5))


def test_remote_store_settings_are_documented() -> None:
    from dataclasses import fields
    from pathlib import Path

    guide = (Path(__file__).resolve().parents[1] / "docs" / "remote-store.md").read_text(encoding="utf-8")
    names = [f.name for f in fields(Settings) if f.name == "store" or f.name.startswith("store_")]
    assert len(names) >= 6
    for name in names:
        assert f"KG_{name.upper()}" in guide, name
    for word in ("kg load", "--union-default-graph", "default-graph-uri", "503", "Fuseki", "KG_STORE_GSP=none"):
        assert word in guide, word
