"""Dereferenceable IRIs (W3C "Cool URIs for the Semantic Web", 303 pattern) and the entity descriptions in RDF."""

from __future__ import annotations

import json

import pytest
from rdflib import RDF, RDFS, BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import OWL

from tests.fixtures_web import BASE

JINPU = URIRef(BASE + "id/jinpu")
JP = BASE + "def#"
FORMATS = {
    "ttl": ("text/turtle", "turtle"),
    "jsonld": ("application/ld+json", "json-ld"),
    "nt": ("application/n-triples", "nt"),
    "rdf": ("application/rdf+xml", "xml"),
}


@pytest.mark.parametrize(
    "accept,location",
    [
        ("text/html", "/page/jinpu"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "/page/jinpu"),  # a browser
        ("*/*", "/page/jinpu"),
        ("text/turtle", "/data/jinpu.ttl"),
        ("application/ld+json", "/data/jinpu.jsonld"),
        ("application/n-triples", "/data/jinpu.nt"),
        ("application/rdf+xml", "/data/jinpu.rdf"),
        ("application/rdf+xml, */*;q=0.1", "/data/jinpu.rdf"),
        ("text/turtle;q=0.5, application/ld+json", "/data/jinpu.jsonld"),
    ],
)
def test_entity_iri_answers_303_by_accept(web_client, accept, location):
    resp = web_client.get("/id/jinpu", headers={"Accept": accept})
    assert resp.status_code == 303
    assert resp.headers["Location"] == location
    assert "Accept" in resp.headers["Vary"]


def test_no_acceptable_format_is_406(web_client):
    resp = web_client.get("/id/jinpu", headers={"Accept": "image/png"})
    assert resp.status_code == 406


def test_iri_with_extension_redirects_to_the_document(web_client):
    resp = web_client.get("/id/jinpu.ttl")
    assert resp.status_code == 303 and resp.headers["Location"] == "/data/jinpu.ttl"
    assert web_client.get("/page/jinpu.jsonld").headers["Location"] == "/data/jinpu.jsonld"


@pytest.mark.parametrize("ext", list(FORMATS))
def test_description_in_every_format(web_client, ext):
    mimetype, rdflib_format = FORMATS[ext]
    resp = web_client.get(f"/data/jinpu.{ext}")
    assert resp.status_code == 200 and resp.mimetype == mimetype
    g = Graph().parse(data=resp.data, format=rdflib_format)
    assert (JINPU, RDFS.label, Literal("金普新区", lang="zh")) in g
    assert (JINPU, RDFS.label, Literal("Jinpu New District", lang="en")) in g
    assert (JINPU, RDF.type, URIRef(JP + "District")) in g
    dalian = URIRef(BASE + "id/dalian")
    assert (JINPU, URIRef(JP + "locatedIn"), dalian) in g
    assert (dalian, RDFS.label, Literal("大连市", lang="zh")) in g  # labels of what it links to
    assert "/page/jinpu" in resp.headers["Link"]


def test_data_without_extension_negotiates(web_client):
    resp = web_client.get("/data/jinpu", headers={"Accept": "application/ld+json"})
    assert resp.mimetype == "application/ld+json" and "Accept" in resp.headers["Vary"]
    assert resp.headers["Content-Location"] == "/data/jinpu.jsonld"
    json.loads(resp.data)


def test_description_includes_blank_node_closure(web_client):
    g = Graph().parse(data=web_client.get("/data/figures-structure.ttl").data, format="turtle")
    qb = "http://purl.org/linked-data/cube#"
    components = list(g.objects(URIRef(BASE + "id/figures-structure"), URIRef(qb + "component")))
    assert components and all(isinstance(c, BNode) for c in components)
    dims = {o for c in components for o in g.objects(c, URIRef(qb + "dimension"))}
    assert URIRef(JP + "indicator") in dims


def test_passage_description_includes_its_hash_selectors(web_client):
    g = Graph().parse(data=web_client.get("/data/p-core-headline.ttl").data, format="turtle")
    passage = URIRef(BASE + "id/p-core-headline")
    quote_sel = URIRef(str(passage) + "#quote")
    assert (passage, URIRef("http://www.w3.org/ns/oa#hasSelector"), quote_sel) in g
    assert (quote_sel, URIRef("http://www.w3.org/ns/oa#exact"), None) in g


def test_ontology_hash_iris_resolve_to_the_ontology_document(web_client):
    assert web_client.get("/def", headers={"Accept": "text/html"}).headers["Location"] == "/page/def"
    resp = web_client.get("/def", headers={"Accept": "text/turtle"})
    assert resp.status_code == 303 and resp.headers["Location"] == "/data/def.ttl"
    g = Graph().parse(data=web_client.get("/data/def.ttl").data, format="turtle")
    assert (URIRef(JP + "District"), RDF.type, OWL.Class) in g
    assert (URIRef(JP + "District"), RDFS.label, Literal("District", lang="en")) in g


def test_unknown_entity_is_404_in_every_form(web_client):
    assert web_client.get("/id/no-such-thing", headers={"Accept": "text/turtle"}).status_code == 404
    assert web_client.get("/data/no-such-thing.ttl").status_code == 404
    assert web_client.get("/page/no-such-thing").status_code == 404


def test_term_and_class_descriptions(web_client):
    g = Graph().parse(data=web_client.get("/term/Signed.ttl").data, format="turtle")
    assert (URIRef(JP + "Signed"), RDF.type, URIRef(JP + "Status")) in g
    g = Graph().parse(data=web_client.get("/class/Project.jsonld").data, format="json-ld")
    assert (URIRef(JP + "Project"), RDF.type, OWL.Class) in g


def test_html_page_advertises_its_rdf_twins(web_client):
    resp = web_client.get("/page/jinpu")
    body = resp.get_data(as_text=True)
    assert '<link rel="alternate" type="text/turtle" href="/data/jinpu.ttl"' in body
    assert 'rel="alternate"; type="application/ld+json"' in resp.headers["Link"]


def test_void_and_named_graph_iris_resolve(web_client):
    assert web_client.get("/void", headers={"Accept": "text/html"}).headers["Location"] == "/downloads"
    assert "void:Dataset" in web_client.get("/void", headers={"Accept": "text/turtle"}).get_data(as_text=True)
    resp = web_client.get("/graph/inferred", headers={"Accept": "text/html"})
    assert resp.status_code == 303 and resp.headers["Location"] == "/downloads#graphs"
    resp = web_client.get("/graph/asserted", headers={"Accept": "application/trig, text/turtle;q=0.9"})
    assert resp.status_code == 200 and resp.mimetype == "application/trig"
    ds = Dataset()
    ds.parse(data=resp.data, format="trig")
    assert {str(c.identifier) for c in ds.graphs() if len(c)} == {BASE + "graph/asserted"}
    assert web_client.get("/graph/other").status_code == 404


def test_the_ontology_document_is_not_an_entity_name(web_client):
    assert web_client.get("/id/def").status_code == 404
    assert web_client.get("/page/def").status_code == 200
