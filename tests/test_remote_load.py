"""`kg load` against a real Oxigraph server: graphs intact, staged and switched, idempotent, safe when it fails."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from rdflib import Graph
from rdflib.compare import isomorphic

from kg.cli import main
from kg.config import Settings
from kg.rdf.terms import to_rdflib as ox_term
from kg.store import loader as kgload
from kg.store.loader import LoadError, load, read_build, stored_hash
from kg.store.remote import RemoteStore, StoreUnavailable

GRAPHS = ("ontology", "asserted", "inferred")


def server_graph(server, graph: str) -> Graph:
    r = requests.get(
        server.base + "/store", params={"graph": graph}, headers={"Accept": "application/n-triples"}, timeout=10
    )
    r.raise_for_status()
    graph = Graph()
    for t in ox.parse(r.content, format=ox.RdfFormat.N_TRIPLES):
        graph.add((ox_term(t.subject), ox_term(t.predicate), ox_term(t.object)))
    return graph


def build_graphs(settings: Settings) -> dict[str, Graph]:
    """The build's graphs as Oxigraph holds them (it stores e.g. xsd:nonNegativeInteger values as xsd:integer)."""
    store = ox.Store()
    with open(settings.build_dir / "dataset.nq", "rb") as f:
        store.bulk_load(f, ox.RdfFormat.N_QUADS)
    graphs = {}
    for name in GRAPHS:
        graph = graphs[settings.graph_iri(name)] = Graph()
        for q in store.quads_for_pattern(None, None, None, ox.NamedNode(settings.graph_iri(name))):
            graph.add((ox_term(q.subject), ox_term(q.predicate), ox_term(q.object)))
    return graphs


def named_graphs(server) -> set[str]:
    r = requests.post(
        server.query_url,
        data={"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g {} }"},
        headers={"Accept": "application/sparql-results+json"},
        timeout=10,
    )
    return {b["g"]["value"] for b in r.json()["results"]["bindings"]}


def changed_build(settings: Settings, tmp_path: Path, drop: int = 5) -> Settings:
    """A copy of the build with a few asserted triples fewer (the manifest's counts updated to match)."""
    out = tmp_path / "build-changed"
    shutil.copytree(settings.build_dir, out)
    asserted = f"<{settings.graph_iri('asserted')}>"
    lines = (out / "dataset.nq").read_text(encoding="utf-8").splitlines(keepends=True)
    dropped = [i for i, line in enumerate(lines) if line.rstrip().endswith(asserted + " .") and "_:" not in line]
    keep = [line for i, line in enumerate(lines) if i not in set(dropped[:drop])]
    (out / "dataset.nq").write_text("".join(keep), encoding="utf-8")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    manifest["triples"]["asserted"] -= drop
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return replace(settings, build_dir=out)


@pytest.mark.parametrize(
    "gsp, chunk",
    [("", kgload.GSP_CHUNK), ("", 300), ("none", kgload.GSP_CHUNK)],
    ids=["graph-store-protocol", "graph-store-protocol-in-small-requests", "sparql-update"],
)
def test_remote_load_puts_every_graph_intact(
    oxigraph_servers, build_settings: Settings, gsp: str, chunk: int, monkeypatch
) -> None:
    # Small requests: each graph goes in many PUT/POST requests, blank-node groups whole within one.
    monkeypatch.setattr(kgload, "GSP_CHUNK", chunk)
    server = oxigraph_servers()
    report = load(server.settings(build_settings, store_gsp=gsp))
    expected = build_graphs(build_settings)
    assert report.changed
    assert report.method == ("SPARQL Update" if gsp else "the Graph Store Protocol")
    assert report.graphs == {g: len(graph) for g, graph in expected.items()}
    for graph_iri, graph in expected.items():
        assert isomorphic(server_graph(server, graph_iri), graph), graph_iri
    # Only the three graphs and the load record remain: no staging graph is left behind.
    assert named_graphs(server) == set(expected) | {kgload.record_graph(build_settings)}


def test_remote_second_load_of_the_same_build_changes_nothing(oxigraph_servers, build_settings: Settings) -> None:
    server = oxigraph_servers()
    settings = server.settings(build_settings)
    first = load(settings)
    before = server.dump()
    second = load(settings)
    assert first.changed and not second.changed
    assert second.method == "nothing to do"
    assert server.dump() == before  # not a byte changed: not even the load record's time
    assert stored_hash(RemoteStore(settings), settings) == read_build(settings).content_hash


def test_remote_load_of_a_changed_build_replaces_the_graphs(
    oxigraph_servers, build_settings: Settings, tmp_path: Path
) -> None:
    server = oxigraph_servers()
    load(server.settings(build_settings))
    changed = server.settings(changed_build(build_settings, tmp_path))
    report = load(changed)
    assert report.changed
    asserted = build_settings.graph_iri("asserted")
    assert len(server_graph(server, asserted)) == len(build_graphs(build_settings)[asserted]) - 5
    assert load(server.settings(build_settings)).changed  # and back


def test_remote_load_records_what_it_loaded(oxigraph_servers, build_settings: Settings) -> None:
    server = oxigraph_servers()
    settings = server.settings(build_settings)
    report = load(settings)
    record = server_graph(server, kgload.record_graph(settings))
    text = record.serialize(format="nt")
    assert report.content_hash in text
    for graph, count in report.graphs.items():
        assert f'<{graph}> <http://rdfs.org/ns/void#triples> "{count}"' in text


def test_remote_failed_load_leaves_the_previous_data_queryable(
    oxigraph_servers, build_settings: Settings, tmp_path: Path, monkeypatch
) -> None:
    server = oxigraph_servers()
    load(server.settings(build_settings))
    before = server.dump()
    calls = []

    def put_then_fail(self, graph, body, **options):
        calls.append(graph)
        if len(calls) == 2:
            raise StoreUnavailable("the store went away mid-load")
        return original(self, graph, body, **options)

    original = RemoteStore.put_graph
    monkeypatch.setattr(RemoteStore, "put_graph", put_then_fail)
    with pytest.raises(LoadError, match="previous data is unchanged"):
        load(server.settings(changed_build(build_settings, tmp_path)))
    assert len(calls) == 2
    assert server.dump() == before  # staging graphs dropped, live graphs untouched


def test_remote_interrupted_load_is_invisible_and_cleaned_by_the_next(
    oxigraph_servers, build_settings: Settings, tmp_path: Path, monkeypatch
) -> None:
    server = oxigraph_servers()
    settings = server.settings(build_settings)
    load(settings)
    store = RemoteStore(settings)
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    expected = store.select(count)

    # The process dies during the upload: nothing gets to clean up after it.
    def die(*args, **kwargs):
        raise KeyboardInterrupt

    original_upload = kgload.upload

    def upload_then_die(store_, dump, staging, timeout):
        original_upload(store_, dump, staging, timeout)
        die()

    monkeypatch.setattr(kgload, "upload", upload_then_die)
    monkeypatch.setattr(kgload, "_drop_quietly", lambda *a, **k: None)
    with pytest.raises(KeyboardInterrupt):
        load(server.settings(changed_build(build_settings, tmp_path)))
    monkeypatch.undo()
    leftovers = [g for g in named_graphs(server) if g.startswith(kgload.staging_prefix(settings))]
    assert len(leftovers) == 3
    assert store.select(count) == expected  # the app's dataset does not see staging graphs
    report = load(server.settings(changed_build(build_settings, tmp_path / "again")))
    assert report.changed
    assert not [g for g in named_graphs(server) if g.startswith(kgload.staging_prefix(settings))]


def test_remote_staging_mismatch_aborts_before_the_switch(
    oxigraph_servers, build_settings: Settings, tmp_path: Path, monkeypatch
) -> None:
    server = oxigraph_servers()
    load(server.settings(build_settings))
    before = server.dump()
    original = kgload.graph_counts

    def short_counts(store, graphs, timeout=None):
        counts = original(store, graphs, timeout)
        return {g: (n - 1 if "/staging/" in g else n) for g, n in counts.items()}

    monkeypatch.setattr(kgload, "graph_counts", short_counts)
    with pytest.raises(LoadError, match="staging graphs do not hold the build"):
        load(server.settings(changed_build(build_settings, tmp_path)))
    assert server.dump() == before


def test_remote_switch_is_atomic_on_oxigraph(
    oxigraph_servers, build_settings: Settings, tmp_path: Path, monkeypatch
) -> None:
    # A switch request that fails part-way (here: its last operation) must leave the live graphs as they were.
    server = oxigraph_servers()
    load(server.settings(build_settings))
    before = server.dump()
    original = kgload.switch_update
    monkeypatch.setattr(
        kgload,
        "switch_update",
        lambda *a: original(*a) + " ;\nMOVE GRAPH <urn:kg:test:missing> TO GRAPH <urn:kg:test:x>",
    )
    with pytest.raises(LoadError, match="switch failed"):
        load(server.settings(changed_build(build_settings, tmp_path)))
    assert server.dump() == before


def test_remote_blank_nodes_shared_by_two_graphs_stay_one_node(oxigraph_servers) -> None:
    server = oxigraph_servers()
    settings = Settings(store=server.query_url)
    store = RemoteStore(settings)
    g1, g2 = "urn:kg:test:g1", "urn:kg:test:g2"
    quads = list(
        ox.parse(
            b'<urn:a> <urn:p> _:x <urn:g1> .\n_:x <urn:q> _:y <urn:g1> .\n_:y <urn:r> "in g2" <urn:g2> .\n'
            b'_:z <urn:s> "alone" <urn:g2> .\n<urn:a> <urn:t> "plain" <urn:g2> .\n',
            format=ox.RdfFormat.N_QUADS,
        )
    )
    dump = kgload.BuildDump(
        "sha256:test",
        {
            "urn:g1": [q for q in quads if q.graph_name.value == "urn:g1"],
            "urn:g2": [q for q in quads if q.graph_name.value == "urn:g2"],
        },
        {},
    )
    for gsp in (True, False):
        if not gsp:
            store = RemoteStore(replace(settings, store_gsp="none"))
        store.update(f"DROP SILENT GRAPH <{g1}> ; DROP SILENT GRAPH <{g2}>")
        kgload.upload(store, dump, {"urn:g1": g1, "urn:g2": g2}, timeout=30)
        joined = store.select_all_graphs(
            f"SELECT ?label WHERE {{ GRAPH <{g1}> {{ <urn:a> <urn:p> ?x . ?x <urn:q> ?y }} "
            f"GRAPH <{g2}> {{ ?y <urn:r> ?label }} }}"
        )
        assert [str(r["label"]) for r in joined] == ["in g2"], f"gsp={gsp}"
        assert kgload.graph_counts(store, [g1, g2]) == {g1: 2, g2: 3}


def test_remote_load_refuses_a_missing_or_stale_build(
    oxigraph_servers, build_settings: Settings, tmp_path: Path
) -> None:
    server = oxigraph_servers()
    with pytest.raises(LoadError, match="run `kg build` first"):
        load(server.settings(replace(build_settings, build_dir=tmp_path / "nothing")))
    stale = tmp_path / "stale"
    shutil.copytree(build_settings.build_dir, stale)
    manifest = json.loads((stale / "manifest.json").read_text(encoding="utf-8"))
    manifest["sources"] = {"data/gone.ttl": "0" * 64}
    (stale / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(LoadError, match="stale"):
        load(server.settings(replace(build_settings, build_dir=stale)))
    assert named_graphs(server) == set()


def test_remote_load_to_a_store_that_is_down_fails_cleanly(build_settings: Settings) -> None:
    from kg.testing import free_port

    with pytest.raises(LoadError, match="nothing loaded.*not reachable"):
        load(replace(build_settings, store=f"http://127.0.0.1:{free_port()}/query"))


def test_remote_kg_load_command_reports_graphs_counts_and_time(
    oxigraph_servers, build_settings: Settings, monkeypatch, capsys
) -> None:
    server = oxigraph_servers()
    monkeypatch.setenv("KG_BUILD_DIR", str(build_settings.build_dir))
    monkeypatch.setenv("KG_ROOT", str(build_settings.root))
    assert main(["load", "--store", server.query_url]) == 0
    out = capsys.readouterr().out
    assert "loaded the build" in out and "triples in" in out
    for name in GRAPHS:
        assert build_settings.graph_iri(name) in out
    assert main(["load", "--store", server.query_url, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["changed"] is False
    assert set(report["graphs"]) == {build_settings.graph_iri(n) for n in GRAPHS}
    assert report["triples"] == sum(report["graphs"].values())
    monkeypatch.delenv("KG_STORE", raising=False)
    assert main(["load"]) == 2


def test_remote_store_version_follows_the_loaded_build(
    oxigraph_servers, build_settings: Settings, tmp_path: Path, monkeypatch
) -> None:
    import kg.store.remote

    monkeypatch.setattr(kg.store.remote, "VERSION_TTL", 0.0)
    server = oxigraph_servers()
    store = RemoteStore(server.settings(build_settings))
    assert store.version == ""
    first = load(server.settings(build_settings))
    assert store.version == first.content_hash
    second = load(server.settings(changed_build(build_settings, tmp_path)))
    assert store.version == second.content_hash != first.content_hash


def test_remote_switch_whose_answer_is_lost_is_confirmed_from_the_record(
    oxigraph_servers, build_settings: Settings, tmp_path: Path, monkeypatch
) -> None:
    from kg.store.remote import StoreTimeout

    server = oxigraph_servers()
    load(server.settings(build_settings))
    original = RemoteStore.update

    def applied_but_silent(self, update, timeout=None):
        original(self, update, timeout=timeout)
        if "ADD GRAPH" in update:  # the switch
            raise StoreTimeout("the store did not answer within 600 s")

    monkeypatch.setattr(RemoteStore, "update", applied_but_silent)
    changed = server.settings(changed_build(build_settings, tmp_path))
    report = load(changed)
    assert report.changed
    assert stored_hash(RemoteStore(changed), changed) == report.content_hash
