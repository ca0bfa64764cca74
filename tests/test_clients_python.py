"""Python clients against a live server: SPARQLWrapper in every return format (truncation read from the results
themselves), rdflib's SPARQLStore over the dataset and its named graphs, rdflib's `Graph().parse` on entity IRIs,
graph IRIs and the Graph Store Protocol, and pyld dereferencing an entity IRI with its own document loader."""

from __future__ import annotations

import csv
import io
import json
import xml.dom.minidom
from pathlib import Path
from urllib.parse import quote, urljoin

import pytest
import requests
from pyld import jsonld
from rdflib import RDF, RDFS, Dataset, Graph, Literal, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, JSONLD, N3, RDFXML, TSV, TURTLE, XML, SPARQLWrapper

from tests.fixtures_clients import DATASET_BASE as BASE

JP = BASE + "def#"
JINPU = URIRef(BASE + "id/jinpu")
GRAPHS = {name: BASE + "graph/" + name for name in ("ontology", "asserted", "inferred")}
LABELS = f"SELECT ?label WHERE {{ <{JINPU}> <{RDFS.label}> ?label }} ORDER BY ?label"
PER_GRAPH = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
CONSTRUCT = f"CONSTRUCT {{ <{JINPU}> ?p ?o }} WHERE {{ <{JINPU}> ?p ?o }}"
DESCRIBE = f"DESCRIBE <{JINPU}>"


@pytest.fixture(scope="module")
def counts(built: Path) -> dict[str, int]:
    return json.loads((built / "manifest.json").read_text(encoding="utf-8"))["triples"]


def sparqlwrapper(endpoint: str, query: str, fmt: str):
    sw = SPARQLWrapper(endpoint)
    sw.setQuery(query)
    sw.setReturnFormat(fmt)
    return sw.query().convert()


# --- SPARQLWrapper ------------------------------------------------------------------------------------------------


def test_sparqlwrapper_select_in_every_results_format(live_server, counts):
    endpoint = live_server + "/sparql"
    per_graph = {iri: counts[name] for name, iri in GRAPHS.items()}
    doc = sparqlwrapper(endpoint, PER_GRAPH, JSON)
    assert {b["g"]["value"]: int(b["n"]["value"]) for b in doc["results"]["bindings"]} == per_graph
    dom = sparqlwrapper(endpoint, PER_GRAPH, XML)
    assert isinstance(dom, xml.dom.minidom.Document)
    uris = [n.firstChild.data for n in dom.getElementsByTagName("uri")]
    numbers = [int(n.firstChild.data) for n in dom.getElementsByTagName("literal")]
    assert dict(zip(uris, numbers, strict=True)) == per_graph
    table = list(csv.DictReader(io.StringIO(sparqlwrapper(endpoint, PER_GRAPH, CSV).decode("utf-8"))))
    assert {row["g"]: int(row["n"]) for row in table} == per_graph
    tsv = sparqlwrapper(endpoint, LABELS, TSV).decode("utf-8").splitlines()
    assert tsv == ["?label", '"Jinpu New District"@en', '"金普新区"@zh']


def test_sparqlwrapper_ask_in_every_results_format(live_server):
    endpoint = live_server + "/sparql"
    assert sparqlwrapper(endpoint, f"ASK {{ <{JINPU}> a <{JP}District> }}", JSON)["boolean"] is True
    dom = sparqlwrapper(endpoint, f"ASK {{ <{JINPU}> a <{JP}City> }}", XML)
    assert dom.getElementsByTagName("boolean")[0].firstChild.data == "false"
    assert sparqlwrapper(endpoint, "ASK { ?s ?p ?o }", CSV).decode().split()[-1] == "true"
    assert sparqlwrapper(endpoint, f"ASK {{ <{JINPU}> a <{JP}City> }}", TSV).decode().split()[-1] == "false"


@pytest.mark.parametrize("query", [CONSTRUCT, DESCRIBE], ids=["construct", "describe"])
def test_sparqlwrapper_graphs_in_every_rdf_format(live_server, query):
    endpoint = live_server + "/sparql"
    expected = Graph().parse(
        data=requests.get(endpoint, params={"query": query}, headers={"Accept": "application/n-triples"}).text,
        format="nt",
    )
    assert (JINPU, URIRef(JP + "locatedIn"), URIRef(BASE + "id/dalian")) in expected
    for fmt in (XML, RDFXML, JSONLD):  # parsed by SPARQLWrapper
        g = sparqlwrapper(endpoint, query, fmt)
        assert len(g) == len(expected) and (JINPU, RDFS.label, Literal("金普新区", lang="zh")) in g, fmt
    for fmt, rdflib_format in ((TURTLE, "turtle"), (N3, "n3")):
        g = Graph().parse(data=sparqlwrapper(endpoint, query, fmt), format=rdflib_format)
        assert len(g) == len(expected), fmt


def test_sparqlwrapper_sees_that_a_result_was_cut(start_server):
    """The row limit is stated inside the results (a `link` in the head) and the note it names says at how many."""
    server = start_server("--processes", "1", env={"KG_MAX_ROWS": "7", "KG_WORKERS": "1"})
    endpoint = server.url + "/sparql"
    doc = sparqlwrapper(endpoint, "SELECT * WHERE { ?s ?p ?o }", JSON)
    assert len(doc["results"]["bindings"]) == 7
    [note] = doc["head"]["link"]
    text = requests.get(urljoin(endpoint, note), headers={"Accept": "text/plain"})
    assert text.status_code == 200 and "7" in text.text and "cut" in text.text.lower()
    dom = sparqlwrapper(endpoint, "SELECT * WHERE { ?s ?p ?o }", XML)
    [link] = [n for n in dom.getElementsByTagName("head")[0].childNodes if n.nodeName == "link"]
    assert link.getAttribute("href") == note
    assert len(dom.getElementsByTagName("result")) == 7
    complete = sparqlwrapper(endpoint, "SELECT * WHERE { ?s ?p ?o } LIMIT 7", JSON)
    assert "link" not in complete["head"]


# --- rdflib -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_rdflib_sparqlstore_over_the_dataset_and_its_named_graphs(live_server, counts, method):
    store = SPARQLStore(live_server + "/sparql", method=method)
    assert len(store) == counts["union"]
    for name, iri in GRAPHS.items():
        assert len(Graph(store=store, identifier=URIRef(iri))) == counts[name], name
    # the graphs holding a pattern (rdflib's other form, `GRAPH ?name {}`, finds no graph on Virtuoso, whose
    # empty group patterns match nothing)
    assert {str(getattr(c, "identifier", c)) for c in store.contexts((None, RDF.type, None))} == set(GRAPHS.values())
    assert {str(getattr(c, "identifier", c)) for c in store.contexts((JINPU, RDFS.label, None))} == {GRAPHS["asserted"]}
    g = Graph(store=store)
    assert {row.label for row in g.query(LABELS)} == {
        Literal("金普新区", lang="zh"),
        Literal("Jinpu New District", lang="en"),
    }
    assert (JINPU, RDF.type, URIRef(JP + "District")) in g
    assert len(g.query(CONSTRUCT).graph) > 20


@pytest.mark.parametrize("fmt", [None, "turtle", "xml", "json-ld", "nt", "trig", "nquads"])
def test_rdflib_parses_the_entity_iri(live_server, fmt):
    if fmt in ("trig", "nquads"):  # rdflib asks for TriG by Accept, but not for N-Quads: that one by its extension
        g = Dataset()
        g.parse(live_server + ("/id/jinpu" if fmt == "trig" else "/id/jinpu.nq"), format=fmt)
    else:
        g = Graph().parse(live_server + "/id/jinpu", format=fmt)
    assert (JINPU, RDFS.label, Literal("金普新区", lang="zh")) in g
    assert (JINPU, URIRef(JP + "locatedIn"), URIRef(BASE + "id/dalian")) in g
    turtle = Graph().parse(data=requests.get(live_server + "/data/jinpu.ttl").text, format="turtle")
    assert len(g) == len(turtle)


@pytest.mark.parametrize("fmt", [None, "turtle", "nt", "json-ld", "xml"])
def test_rdflib_parses_each_graph_iri_as_that_graph(live_server, counts, fmt):
    for name in GRAPHS:
        g = Graph().parse(live_server + f"/graph/{name}", format=fmt)
        assert len(g) == counts[name], (name, fmt)
    asserted = Graph().parse(live_server + "/graph/asserted", format=fmt)
    assert (JINPU, RDFS.label, Literal("金普新区", lang="zh")) in asserted


@pytest.mark.parametrize("fmt", ["trig", "nquads"])
def test_rdflib_reads_a_graph_iri_as_a_dataset_with_that_one_graph(live_server, counts, fmt):
    ds = Dataset()  # rdflib asks for TriG by Accept; for N-Quads it sends no preference, so the test does
    data = requests.get(
        live_server + "/graph/inferred", headers={"Accept": "application/" + fmt.replace("nquads", "n-quads")}
    )
    assert data.headers["Content-Type"].startswith("application/" + fmt.replace("nquads", "n-quads"))
    ds.parse(data=data.content, format=fmt)
    named = {str(c.identifier): len(c) for c in ds.graphs() if len(c)}
    assert named == {GRAPHS["inferred"]: counts["inferred"]}


@pytest.mark.parametrize("path", ["/store", "/sparql"])
def test_rdflib_reads_the_graph_store_protocol(live_server, counts, path):
    for name, iri in GRAPHS.items():
        g = Graph().parse(f"{live_server}{path}?graph={quote(iri, safe='')}", format="turtle")
        assert len(g) == counts[name], name
    union = Graph().parse(f"{live_server}{path}?default", format="nt")
    assert len(union) == counts["union"]


# --- pyld -------------------------------------------------------------------------------------------------------------


def test_pyld_expands_an_entity_iri_with_its_own_document_loader(live_server):
    expanded = jsonld.expand(live_server + "/id/jinpu")  # pyld's requests loader: Accept JSON-LD, follows the 303
    [jinpu] = [node for node in expanded if node["@id"] == str(JINPU)]
    assert {"@value": "金普新区", "@language": "zh"} in jinpu[str(RDFS.label)]
    assert {"@id": BASE + "id/dalian"} in jinpu[JP + "locatedIn"]
    nquads = jsonld.to_rdf(live_server + "/data/jinpu.jsonld", {"format": "application/n-quads"})
    turtle = Graph().parse(data=requests.get(live_server + "/data/jinpu.ttl").text, format="turtle")
    assert len([line for line in nquads.splitlines() if line.strip()]) == len(turtle)
    compacted = jsonld.compact(live_server + "/id/jinpu", {"rdfs": str(RDFS), "jp": JP})
    assert any(node.get("@id") == str(JINPU) for node in compacted["@graph"])
