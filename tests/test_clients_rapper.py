"""Redland's rapper (C, Debian's raptor2-utils) on a live server: it dereferences entity IRIs and graph IRIs with its
own content negotiation and parses every dump, the VoID description and the service description; each count is
compared with the build's."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from rdflib import Graph

from tests.fixtures_clients import DATASET_BASE as BASE

GRAPHS = {name: BASE + "graph/" + name for name in ("ontology", "asserted", "inferred")}


@pytest.fixture(scope="module")
def counts(built: Path) -> dict[str, int]:
    return json.loads((built / "manifest.json").read_text(encoding="utf-8"))["triples"]


@pytest.mark.parametrize("parser", ["guess", "turtle", "rdfxml", "ntriples", "trig", "nquads"])
def test_rapper_dereferences_an_entity_iri(rapper, live_server, parser):
    expected = len(Graph().parse(data=requests.get(live_server + "/data/jinpu.ttl").text, format="turtle"))
    triples, log = rapper("-i", parser, live_server + "/id/jinpu")
    assert triples == expected, log


@pytest.mark.parametrize(
    ("dump", "parser"),
    [("dataset.ttl", "turtle"), ("dataset.nt", "ntriples"), ("dataset.trig", "trig"), ("dataset.nq", "nquads")],
)
def test_rapper_parses_every_dump(rapper, live_server, counts, dump, parser):
    triples, log = rapper("-i", parser, f"{live_server}/download/{dump}")
    assert triples == counts["union"], log


@pytest.mark.parametrize("parser", ["guess", "turtle", "ntriples", "rdfxml"])
def test_rapper_dereferences_each_graph_iri(rapper, live_server, counts, parser):
    for name in GRAPHS:
        triples, log = rapper("-i", parser, f"{live_server}/graph/{name}")
        assert triples == counts[name], (name, log)


def test_rapper_reads_the_graph_store_protocol_void_and_the_service_description(rapper, live_server, counts):
    triples, log = rapper("-i", "turtle", f"{live_server}/store?graph={quote(GRAPHS['asserted'], safe='')}")
    assert triples == counts["asserted"], log
    triples, log = rapper("-i", "ntriples", f"{live_server}/store?default")
    assert triples == counts["union"], log
    void = Graph().parse(data=requests.get(live_server + "/.well-known/void").text, format="turtle")
    triples, log = rapper("-i", "turtle", live_server + "/.well-known/void")
    assert triples == len(void) > 50, log
    triples, log = rapper("-i", "turtle", live_server + "/sparql")
    assert triples > 30, log
