"""Node.js clients against a live server: Comunica 5 over the SPARQL endpoint, Comunica's link-traversal engine from
an entity IRI, jsonld.js on entity documents and the JSON-LD dump (no remote context), N3.js on every dump, the entity
documents and the graph IRIs. Each checks values and counts against the build, not only that a request worked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from rdflib import Graph

from tests.fixtures_clients import DATASET_BASE as BASE

JP = BASE + "def#"
ID = BASE + "id/"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
GRAPHS = {name: BASE + "graph/" + name for name in ("ontology", "asserted", "inferred")}


@pytest.fixture(scope="module")
def counts(built: Path) -> dict[str, int]:
    """Triples per graph and of the union, as the build wrote them."""
    return json.loads((built / "manifest.json").read_text(encoding="utf-8"))["triples"]


def comunica(node_client, live_server: str, query: str) -> dict:
    return node_client("comunica.mjs", "sparql", live_server, BASE, query)


def literals(rows: list[dict], var: str) -> set[tuple[str, str | None]]:
    return {(r[var]["value"], r[var].get("lang")) for r in rows}


# --- Comunica over the SPARQL endpoint -----------------------------------------------------------------------------


def test_comunica_select(node_client, live_server):
    out = comunica(node_client, live_server, f"SELECT ?label WHERE {{ <{ID}jinpu> <{RDFS_LABEL}> ?label }}")
    assert out["kind"] == "bindings" and out["variables"] == ["label"]
    assert literals(out["rows"], "label") == {("金普新区", "zh"), ("Jinpu New District", "en")}
    assert all(url.startswith(live_server + "/sparql") for url in out["fetched"])


def test_comunica_counts_every_named_graph(node_client, live_server, counts):
    query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    rows = comunica(node_client, live_server, query)["rows"]
    assert {r["g"]["value"]: int(r["n"]["value"]) for r in rows} == {iri: counts[name] for name, iri in GRAPHS.items()}
    total = comunica(node_client, live_server, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")["rows"]
    assert int(total[0]["n"]["value"]) == counts["union"]


def test_comunica_ask_and_construct(node_client, live_server):
    assert comunica(node_client, live_server, f"ASK {{ <{ID}jinpu> a <{JP}District> }}")["boolean"] is True
    assert comunica(node_client, live_server, f"ASK {{ <{ID}jinpu> a <{JP}City> }}")["boolean"] is False
    query = f"CONSTRUCT {{ <{ID}jinpu> ?p ?o }} WHERE {{ <{ID}jinpu> ?p ?o }}"
    quads = comunica(node_client, live_server, query)["quads"]
    expected = Graph().parse(
        data=requests.get(
            live_server + "/sparql", params={"query": query}, headers={"Accept": "application/n-triples"}
        ).text,
        format="nt",
    )
    assert len(quads) == len(expected) > 20
    assert [{"type": "NamedNode", "value": JP + "locatedIn"}, {"type": "NamedNode", "value": ID + "dalian"}] in [
        q[1:] for q in quads
    ]


# --- Comunica's link traversal from an entity IRI ------------------------------------------------------------------


def test_comunica_link_traversal_from_an_entity_iri(node_client, live_server):
    """What Jinpu is located in that is a city: only Dalian's own document says that Dalian is a city, so the engine
    has to dereference the entity IRI (303 to its data) and then follow its links."""
    query = (
        f"SELECT DISTINCT ?place ?name WHERE {{ <{ID}jinpu> <{JP}locatedIn> ?place . ?place a <{JP}City> ; "
        f"<{RDFS_LABEL}> ?name FILTER(lang(?name) = 'zh') }}"
    )
    out = node_client("comunica.mjs", "traverse", live_server, BASE, query, live_server + "/id/jinpu")
    assert [(r["place"]["value"], r["name"]["value"]) for r in out["rows"]] == [(ID + "dalian", "大连市")]
    assert ID + "dalian" in out["fetched"]  # the dataset's IRI, dereferenced (the fetch maps the base to the server)


# --- jsonld.js --------------------------------------------------------------------------------------------------------


def test_jsonld_js_expands_an_entity_document_without_a_remote_context(node_client, live_server):
    out = node_client("jsonld-expand.mjs", live_server, live_server + "/id/jinpu")
    assert out["status"] == 200 and out["finalUrl"] == live_server + "/data/jinpu.jsonld"
    assert out["loads"] == []  # nothing but the document itself was loaded
    assert sorted(map(tuple, out["labels"][ID + "jinpu"])) == [("Jinpu New District", "en"), ("金普新区", "zh")]
    assert out["labels"][ID + "dalian"]
    turtle = Graph().parse(data=requests.get(live_server + "/data/jinpu.ttl").text, format="turtle")
    assert out["quads"] == len(turtle)


def test_jsonld_js_reads_the_expanded_profile(node_client, live_server):
    accept = 'application/ld+json; profile="http://www.w3.org/ns/json-ld#expanded"'
    out = node_client("jsonld-expand.mjs", live_server, live_server + "/id/jinpu", accept)
    assert out["status"] == 200 and out["contentType"].startswith("application/ld+json")
    assert out["loads"] == [] and out["labels"][ID + "jinpu"]
    doc = requests.get(live_server + "/data/jinpu", headers={"Accept": accept}).json()
    assert isinstance(doc, list) and all("@context" not in node for node in doc)  # expanded form: no context


def test_jsonld_js_reads_the_named_graphs_of_the_json_ld_dump(node_client, live_server, counts):
    out = node_client("jsonld-expand.mjs", live_server, live_server + "/download/dataset.jsonld")
    assert out["loads"] == []
    assert out["quads"] == counts["union"]
    assert sorted(out["graphs"]) == sorted(GRAPHS.values())


# --- N3.js ------------------------------------------------------------------------------------------------------------


def n3(node_client, live_server: str, *paths: str) -> list[dict]:
    return node_client("n3-parse.mjs", live_server, *(live_server + p for p in paths))["documents"]


def test_n3_parses_every_dump(node_client, live_server, counts):
    per_graph = {iri: counts[name] for name, iri in GRAPHS.items()}
    docs = {
        d["url"].rsplit("/", 1)[-1]: d
        for d in n3(
            node_client,
            live_server,
            "/download/dataset.ttl",
            "/download/dataset.nt",
            "/download/dataset.trig",
            "/download/dataset.nq",
            "/download/ontology.ttl",
            "/download/void.ttl",
            "/download/shapes.ttl",
            "/download/validation.ttl",
        )
    }
    assert all("error" not in d for d in docs.values()), docs
    assert docs["dataset.ttl"]["graphs"] == {"": counts["union"]}
    assert docs["dataset.nt"]["graphs"] == {"": counts["union"]}
    assert docs["dataset.trig"]["graphs"] == per_graph
    assert docs["dataset.nq"]["graphs"] == per_graph
    assert docs["ontology.ttl"]["quads"] == counts["ontology"]
    assert docs["dataset.ttl"]["labels"][ID + "jinpu"] == {"zh": "金普新区", "en": "Jinpu New District"}
    assert docs["void.ttl"]["quads"] > 50 and docs["shapes.ttl"]["quads"] > 50 and docs["validation.ttl"]["quads"]


@pytest.mark.parametrize("ext", ["ttl", "nt", "trig", "nq"])
def test_n3_parses_entity_documents_in_every_format(node_client, live_server, ext):
    [doc] = n3(node_client, live_server, f"/data/jinpu.{ext}")
    assert "error" not in doc, doc
    assert doc["labels"][ID + "jinpu"] == {"zh": "金普新区", "en": "Jinpu New District"}
    assert doc["labels"][ID + "dalian"]["zh"] == "大连市"
    turtle = Graph().parse(data=requests.get(live_server + "/data/jinpu.ttl").text, format="turtle")
    assert doc["quads"] == len(turtle)


def test_n3_dereferences_the_graph_iris(node_client, live_server, counts):
    """N3.js asks for any of its formats; each graph IRI gives that graph alone (not the whole dataset)."""
    docs = n3(node_client, live_server, *(f"/graph/{name}" for name in GRAPHS))
    for doc, (name, iri) in zip(docs, GRAPHS.items(), strict=True):
        assert "error" not in doc, doc
        assert doc["quads"] == counts[name], name
        assert set(doc["graphs"]) <= {"", iri}, name
