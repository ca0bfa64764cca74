"""The endpoint inside the app: `run_user_query` for the query page, the store interfaces, the query workers'
confinement (the second line of defence), and the limits being documented where users read them."""

from __future__ import annotations

import os
import platform
import signal
import socket
from collections.abc import Iterator
from dataclasses import fields, replace
from pathlib import Path

import pyoxigraph as ox
import pytest
from flask import Flask, current_app
from rdflib import RDFS, Literal, URIRef

from kg.app import create_app
from kg.config import Settings
from kg.sparql import EXTENSION, QueryError
from kg.store import QueryExecutor, Store
from kg.store.embedded import EmbeddedStore

ROOT = Path(__file__).resolve().parents[1]
JINPU = URIRef("https://w3id.org/jinpu-kg/id/jinpu")


def run_user_query(query: str, **dataset):
    """A user query through the current app's SPARQL service, as the query page runs it."""
    return current_app.extensions[EXTENSION].run_user_query(query, **dataset)


@pytest.fixture(scope="module")
def app(build_settings: Settings) -> Iterator[Flask]:
    app = create_app(replace(build_settings, max_rows=5, workers=1))
    yield app
    app.extensions[EXTENSION].close()


def test_run_user_query_select_ask_graph(app: Flask) -> None:
    with app.app_context():
        result = run_user_query(f"SELECT ?label WHERE {{ <{JINPU}> <{RDFS.label}> ?label }}")
        assert result.kind == "select" and result.variables == ["label"]
        assert {"label": Literal("金普新区", lang="zh")} in result.rows
        assert not result.truncated and result.max_rows == 5
        assert run_user_query(f"ASK {{ <{JINPU}> ?p ?o }}").boolean is True
        graph = run_user_query(f"CONSTRUCT WHERE {{ <{JINPU}> <{RDFS.label}> ?label }}").graph
        assert graph is not None and (JINPU, RDFS.label, Literal("Jinpu New District", lang="en")) in graph
        described = run_user_query(f"DESCRIBE <{JINPU}>")  # more triples than max_rows
        assert described.kind == "graph" and described.truncated and len(described.graph) == 5


def test_run_user_query_applies_the_endpoint_rules(app: Flask) -> None:
    with app.app_context():
        cut = run_user_query("SELECT * WHERE { ?s ?p ?o }")
        assert cut.truncated and len(cut.rows) == 5
        expected = {
            "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }": 403,
            "INSERT DATA { <urn:x:a> <urn:x:b> <urn:x:c> }": 403,
            "SELECT * FROM <http://example.org/> WHERE { ?s ?p ?o }": 400,
            "SELECT * WHERE { ?s ?p }": 400,
            "SELECT * WHERE { ?s ?p ?o } #" + "x" * 70000: 413,
        }
        for query, status in expected.items():
            with pytest.raises(QueryError) as err:
                run_user_query(query)
            assert err.value.status == status and err.value.message, query[:40]


def test_a_worker_that_dies_is_replaced(app: Flask) -> None:
    pool = app.extensions[EXTENSION].pool
    with app.app_context():
        assert run_user_query("ASK { ?s ?p ?o } # before").boolean
        for worker in list(pool._workers):
            os.kill(worker.pid, signal.SIGKILL)
        answers = []
        for i in range(3):  # the first may meet the dead worker; none is lost for good
            try:
                answers.append(run_user_query(f"ASK {{ ?s ?p ?o }} # after {i}").boolean)
            except QueryError as err:
                assert err.status == 503
        assert answers and all(answers)


def test_the_store_implements_both_interfaces(build_settings: Settings) -> None:
    store = EmbeddedStore(build_settings)
    assert isinstance(store, Store) and isinstance(store, QueryExecutor)
    assert Literal("金普新区", lang="zh") in {
        r["label"]
        for r in store.select(
            "SELECT ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label }", {"s": JINPU}
        )
    }
    graphs = [build_settings.graph_iri("asserted")]
    result = store.execute(
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", default_graphs=graphs, named_graphs=[], timeout=5
    )
    assert isinstance(result, ox.QuerySolutions)
    assert 0 < int(next(iter(result))["n"].value) < len(store.select("SELECT * WHERE { ?s ?p ?o }"))


@pytest.mark.skipif(platform.system() != "Linux", reason="confinement is Linux only")
def test_confined_worker_cannot_connect_even_to_loopback() -> None:
    """Behind the query checks: a confined process cannot open a connection, so a SERVICE clause that slipped
    through would fail too."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    port = listener.getsockname()[1]
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: confine, then try both a plain socket and pyoxigraph's SERVICE client
        try:
            from kg.sparql.sandbox import confine

            report = confine(network=False, memory_bytes=2**30)
            outcome = "on" if any(line.endswith(": on") for line in report) else "off"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=2).close()
                outcome += " connected"
            except OSError:
                pass
            try:
                list(ox.Store().query(f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}"))
                outcome += " service-ran"
            except OSError:
                pass
            os.write(write, outcome.encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    outcome = os.read(read, 100).decode()
    os.close(read)
    listener.settimeout(0.5)
    try:
        listener.accept()[0].close()
        reached = True
    except TimeoutError:
        reached = False
    listener.close()
    if outcome.startswith("off"):
        pytest.skip("neither a network namespace nor seccomp is available here")
    assert outcome == "on" and not reached


def test_every_limit_is_documented() -> None:
    """The limits users meet are written down: in the endpoint's guide, with their environment variables."""
    guide = (ROOT / "docs" / "sparql-endpoint.md").read_text(encoding="utf-8")
    for name in ("timeout", "max_rows", "max_query_bytes", "workers"):
        assert f"KG_{name.upper()}" in guide, name
        assert any(f.name == name for f in fields(Settings))
    for word in ("X-KG-Truncated", "413", "503", "406", "SERVICE", "server.py"):
        assert word in guide, word


@pytest.mark.parametrize("relative", ["<id/jinpu>", "<./id/jinpu>", "<../jinpu-kg/id/jinpu>", "<sparql/../id/jinpu>"])
def test_relative_iris_resolve_against_the_endpoint_url(app: Flask, relative: str) -> None:
    """A query without BASE reads its relative IRIs against the endpoint's URL, <https://w3id.org/jinpu-kg/sparql>."""
    client = app.test_client()

    def labels(iri: str) -> list:
        query = f"SELECT ?label WHERE {{ {iri} <{RDFS.label}> ?label }} ORDER BY ?label"
        response = client.get("/sparql", query_string={"query": query}, headers={"Accept": "application/json"})
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()["results"]["bindings"]

    absolute = labels(f"<{JINPU}>")
    assert len(absolute) == 2
    assert labels(relative) == absolute
    with app.app_context():
        assert run_user_query(f"ASK {{ {relative} ?p ?o }}").boolean is True


def test_a_query_that_is_malformed_besides_its_relative_iris_is_still_refused(app: Flask) -> None:
    response = app.test_client().get("/sparql", query_string={"query": "SELECT * WHERE { <id/jinpu> ?p }"})
    assert response.status_code == 400 and "Traceback" not in response.get_data(as_text=True)


def test_a_relative_from_names_the_dataset_graph_it_resolves_to(app: Flask, build_settings: Settings) -> None:
    count = "SELECT (COUNT(*) AS ?n) FROM {} WHERE {{ ?s ?p ?o }}"
    with app.app_context():
        absolute = run_user_query(count.format(f"<{build_settings.graph_iri('asserted')}>")).rows
        assert run_user_query(count.format("<graph/asserted>")).rows == absolute
        with pytest.raises(QueryError) as err:
            run_user_query(count.format("<graph/elsewhere>"))
        assert err.value.status == 400 and "<https://w3id.org/jinpu-kg/graph/elsewhere>" in err.value.message
