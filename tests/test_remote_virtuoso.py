"""`kg load` and the store client against a real Virtuoso (tests/fixtures_virtuoso.py): digest authentication on
/sparql-auth, the Graph Store Protocol on /sparql-graph-crud-auth, staged and switched graphs, the credentials kept
out of every message, and the app's own queries answered as on the embedded store."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from rdflib import XSD, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from kg.cli import main
from kg.config import Settings
from kg.rdf.terms import to_rdflib
from kg.store import loader as kgload
from kg.store.endpoints import Endpoints, auth_scheme
from kg.store.loader import LoadError, graph_counts, load, read_build, stored_hash
from kg.store.remote import RemoteStore, StoreQueryError
from tests.test_remote_load import GRAPHS, changed_build


def canonical(term):
    """Virtuoso keeps an xsd:decimal by value and writes it back in its shortest form ("1800.0" -> "1800")."""
    if isinstance(term, Literal) and term.datatype == XSD.decimal:
        return Literal(format(Decimal(str(term)).normalize(), "f"), datatype=XSD.decimal)
    return term


def canonical_graph(triples) -> Graph:
    g = Graph()
    for s, p, o in triples:
        g.add((s, p, canonical(o)))
    return g


def build_graphs(settings: Settings) -> dict[str, Graph]:
    """The build's graphs as written in build/dataset.nq (Virtuoso keeps each literal's datatype as loaded)."""
    graphs = {settings.graph_iri(name): [] for name in GRAPHS}
    with open(settings.build_dir / "dataset.nq", "rb") as f:
        for q in ox.parse(f, format=ox.RdfFormat.N_QUADS):
            graphs[q.graph_name.value].append((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
    return {g: canonical_graph(triples) for g, triples in graphs.items()}


def server_graph(server, graph: str) -> Graph:
    r = requests.post(
        server.query_url,
        data={"query": "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "default-graph-uri": graph},
        headers={"Accept": "application/n-triples"},
        timeout=30,
    )
    r.raise_for_status()
    return canonical_graph(
        (to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object))
        for t in ox.parse(r.content, format=ox.RdfFormat.N_TRIPLES)
    )


def named_graphs(server, prefix: str) -> set[str]:
    r = requests.post(
        server.query_url,
        data={"query": f'SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{}} FILTER(STRSTARTS(STR(?g), "{prefix}")) }}'},
        headers={"Accept": "application/sparql-results+json"},
        timeout=10,
    )
    r.raise_for_status()
    return {b["g"]["value"] for b in r.json()["results"]["bindings"]}


@pytest.fixture(scope="module")
def virtuoso(virtuoso_servers):
    """A Virtuoso of this module's own (its tests load and reload it)."""
    return virtuoso_servers()


def test_virtuoso_layout_and_digest_are_derived_from_the_query_url() -> None:
    settings = Settings(store="http://h:8890/sparql", store_user="u", store_password="p")
    endpoints = Endpoints.from_settings(settings)
    assert (endpoints.update, endpoints.gsp) == ("http://h:8890/sparql-auth", "http://h:8890/sparql-graph-crud-auth")
    assert auth_scheme(settings) == "digest"
    assert auth_scheme(Settings(store="http://h:7878/query")) == "basic"
    assert auth_scheme(replace(settings, store_auth="basic")) == "basic"
    with pytest.raises(ValueError, match="KG_STORE_AUTH"):
        auth_scheme(replace(settings, store_auth="ntlm"))


@pytest.mark.parametrize(
    "gsp, chunk",
    [("", kgload.GSP_CHUNK), ("", 300), ("none", kgload.GSP_CHUNK)],
    ids=["graph-store-protocol", "graph-store-protocol-in-small-requests", "sparql-update"],
)
def test_virtuoso_load_puts_every_graph_intact(
    virtuoso, build_settings: Settings, gsp: str, chunk: int, monkeypatch
) -> None:
    # Small requests: each graph goes in many PUT/POST requests, blank-node groups whole within one.
    monkeypatch.setattr(kgload, "GSP_CHUNK", chunk)
    settings = virtuoso.settings(build_settings, store_gsp=gsp)
    report = load(settings, force=True)
    assert report.changed
    assert report.method == ("SPARQL Update" if gsp else "the Graph Store Protocol")
    expected = build_graphs(build_settings)
    assert report.graphs == {g: len(graph) for g, graph in expected.items()}
    for graph_iri, graph in expected.items():
        assert isomorphic(server_graph(virtuoso, graph_iri), graph), graph_iri
    # No staging graph is left behind.
    assert named_graphs(virtuoso, kgload.staging_prefix(build_settings)) == set()


def test_virtuoso_second_load_changes_nothing_and_a_changed_build_replaces(
    virtuoso, build_settings: Settings, tmp_path: Path
) -> None:
    settings = virtuoso.settings(build_settings)
    load(settings)
    again = load(settings)
    assert not again.changed and again.method == "nothing to do"
    assert stored_hash(RemoteStore(settings), settings) == read_build(settings).content_hash
    changed = virtuoso.settings(changed_build(build_settings, tmp_path))
    report = load(changed)
    assert report.changed
    asserted = build_settings.graph_iri("asserted")
    assert len(server_graph(virtuoso, asserted)) == len(build_graphs(build_settings)[asserted]) - 5
    assert stored_hash(RemoteStore(changed), changed) == report.content_hash
    assert load(settings).changed  # and back


def test_virtuoso_refuses_updates_without_the_right_credentials(virtuoso, build_settings: Settings) -> None:
    wrong = replace(virtuoso.settings(build_settings), store_password="not-the-password")
    with pytest.raises(LoadError) as info:
        load(wrong, force=True)
    message = str(info.value)
    assert "refused access (HTTP 401)" in message and "KG_STORE_PASSWORD" in message
    assert "not-the-password" not in message and virtuoso.password not in message
    anonymous = virtuoso.read_settings(build_settings)
    with pytest.raises(LoadError, match="refused access"):
        load(anonymous, force=True)
    # Anonymous /sparql reads but cannot write: the loader's rights are needed for that.
    r = requests.post(
        virtuoso.query_url,
        data={"query": "INSERT DATA { GRAPH <urn:x-test:g> { <urn:x-test:s> <urn:x-test:p> 1 } }"},
        timeout=10,
    )
    assert r.status_code >= 400
    assert graph_counts(RemoteStore(anonymous), ["urn:x-test:g"]) == {"urn:x-test:g": 0}


def test_virtuoso_kg_load_command_keeps_the_password_out_of_its_output(
    virtuoso, build_settings: Settings, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("KG_BUILD_DIR", str(build_settings.build_dir))
    monkeypatch.setenv("KG_ROOT", str(build_settings.root))
    monkeypatch.setenv("KG_STORE_USER", virtuoso.user)
    monkeypatch.setenv("KG_STORE_PASSWORD", virtuoso.password)
    assert main(["load", "--store", virtuoso.query_url, "--force"]) == 0
    out = capsys.readouterr()
    assert "loaded the build" in out.out and "the Graph Store Protocol" in out.out
    assert virtuoso.password not in out.out + out.err
    assert main(["load", "--store", virtuoso.query_url, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["changed"] is False and set(report["graphs"]) == {build_settings.graph_iri(n) for n in GRAPHS}
    monkeypatch.setenv("KG_STORE_PASSWORD", "a-wrong-secret")
    assert main(["load", "--store", virtuoso.query_url, "--force"]) == 1
    out = capsys.readouterr()
    assert "refused access" in out.err and "a-wrong-secret" not in out.out + out.err


def test_virtuoso_failed_switch_leaves_the_live_graphs_as_they_were(
    virtuoso, build_settings: Settings, tmp_path: Path, monkeypatch
) -> None:
    settings = virtuoso.settings(build_settings)
    load(settings)
    before = {g: server_graph(virtuoso, g) for g in build_graphs(build_settings)}
    original = kgload.switch_update
    # The switch request fails at its last operation (a syntax error Virtuoso finds before it runs anything).
    monkeypatch.setattr(kgload, "switch_update", lambda *a: original(*a) + " ;\nMOVE GRAPH <urn:x:a> TO")
    with pytest.raises(LoadError, match="switch failed"):
        load(virtuoso.settings(changed_build(build_settings, tmp_path)))
    for graph, content in before.items():
        assert isomorphic(server_graph(virtuoso, graph), content), graph
    assert stored_hash(RemoteStore(settings), settings) == read_build(settings).content_hash


def test_virtuoso_switch_that_fails_part_way_is_reported_and_repaired_by_the_next_load(
    virtuoso, build_settings: Settings, tmp_path: Path, monkeypatch
) -> None:
    """Virtuoso keeps the operations of an update request that ran before a failing one (no rollback): kg load
    says so, and the next load finishes the job."""
    settings = virtuoso.settings(build_settings)
    load(settings)
    changed = virtuoso.settings(changed_build(build_settings, tmp_path))
    asserted = build_settings.graph_iri("asserted")
    original = kgload.switch_update
    record = f"DROP SILENT GRAPH <{kgload.record_graph(build_settings)}>"

    def failing_switch(*args) -> str:
        # Fails at run time, after the graphs are replaced and before the record: the graph exists, so CREATE fails.
        update = original(*args)
        assert record in update
        return update.replace(record, f"CREATE GRAPH <{asserted}> ;\n{record}")

    monkeypatch.setattr(kgload, "switch_update", failing_switch)
    with pytest.raises(LoadError, match="part-way") as info:
        load(changed)
    assert virtuoso.password not in str(info.value)
    monkeypatch.setattr(kgload, "switch_update", original)
    report = load(changed)  # not "nothing to do": the record was not rewritten
    assert report.changed
    counts = graph_counts(RemoteStore(changed), report.graphs)
    assert counts == report.graphs
    assert stored_hash(RemoteStore(changed), changed) == report.content_hash
    assert named_graphs(virtuoso, kgload.staging_prefix(build_settings)) == set()


def test_virtuoso_readers_are_answered_during_loads_and_see_the_new_build_after(
    virtuoso, build_settings: Settings, tmp_path: Path
) -> None:
    """Queries keep being answered while loads stage and switch; once a load returns, every query sees its build.
    (What a query sees while the switch runs is not asserted: Virtuoso reads at READ COMMITTED, without a snapshot.)"""
    settings = virtuoso.settings(build_settings)
    load(settings)
    changed = virtuoso.settings(changed_build(build_settings, tmp_path, drop=200))
    asserted = build_settings.graph_iri("asserted")
    full = len(build_graphs(build_settings)[asserted])
    store = RemoteStore(virtuoso.read_settings(build_settings))
    answered: list[int] = []
    errors: list[Exception] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            try:
                answered.append(graph_counts(store, [asserted])[asserted])
            except Exception as exc:  # noqa: BLE001 - any failure is what this test looks for
                errors.append(exc)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for _ in range(2):
            assert load(changed).changed
            assert graph_counts(store, [asserted])[asserted] == full - 200
            assert load(settings).changed
            assert graph_counts(store, [asserted])[asserted] == full
    finally:
        done.set()
        reader.join(30)
    assert answered and not errors, errors[:3]


def test_virtuoso_answers_the_app_s_query_shapes(virtuoso_server, build_settings: Settings) -> None:
    remote = RemoteStore(virtuoso_server.read_settings(build_settings))
    jinpu = build_settings.id_ns + "jinpu"
    # A binding of a variable that is not projected (Virtuoso joins a trailing VALUES after projection).
    rows = remote.select(
        "SELECT ?label WHERE { ?x <http://www.w3.org/2000/01/rdf-schema#label> ?label }", {"x": URIRef(jinpu)}
    )
    assert {str(r["label"]) for r in rows} >= {"金普新区"}
    # ASK with a binding (Virtuoso rejects a trailing VALUES after ASK).
    assert remote.ask("ASK { ?x ?p ?o }", {"x": URIRef(jinpu)})
    assert not remote.ask("ASK { ?x ?p ?o }", {"x": URIRef(jinpu + "-nothing")})
    # CONSTRUCT comes back as a graph, with a binding inside the WHERE group, not in the template.
    graph = remote.construct("CONSTRUCT { ?x ?p ?o } WHERE { ?x ?p ?o }", {"x": URIRef(jinpu)})
    assert len(graph) > 5 and set(graph.subjects()) == {URIRef(jinpu)}
    with pytest.raises(StoreQueryError):
        remote.select("SELECT ?x WHERE { ?x ?p }")
