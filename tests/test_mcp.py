"""The MCP server for assistants, in-process, through the official SDK's own client (mcp.Client connected to the
server object): every tool and resource, the filters, and the SPARQL tool's refusals, which are the endpoint's
own (kg.sparql.service: policy, fair share). test_mcp_live.py drives `kg mcp` over stdio and /mcp over HTTP."""

from __future__ import annotations

import asyncio
import json

import pytest
from flask import Flask
from mcp import Client
from rdflib import OWL, RDF, Graph, URIRef

from kg.mcp_server import build_server
from kg.sparql import EXTENSION
from kg.sparql.fairshare import TooBusy

TOOLS = {"search", "get_entity", "list_figures", "sparql_query"}


def call(app: Flask, tool: str, **arguments) -> tuple[bool, object]:
    """(is_error, the tool's answer: JSON when it succeeded, the message when it failed)."""

    async def run():
        async with Client(build_server(app)) as client:
            return await client.call_tool(tool, arguments)

    result = asyncio.run(run())
    text = result.content[0].text if result.content else ""
    return bool(result.is_error), (text if result.is_error else json.loads(text))


def ok(app: Flask, tool: str, **arguments):
    is_error, answer = call(app, tool, **arguments)
    assert not is_error, answer
    return answer


def refused(app: Flask, tool: str, **arguments) -> str:
    is_error, message = call(app, tool, **arguments)
    assert is_error, message
    return str(message)


def test_tools_and_resources_are_listed_with_descriptions(web_app: Flask) -> None:
    async def run():
        async with Client(build_server(web_app)) as client:
            return await client.list_tools(), await client.list_resources()

    tools, resources = asyncio.run(run())
    assert {t.name for t in tools.tools} == TOOLS
    assert all(t.description and t.input_schema["properties"] for t in tools.tools)
    assert {r.name: r.mime_type for r in resources.resources} == {"ontology": "text/turtle", "report": "text/plain"}


def test_search_in_both_languages_and_by_type(web_app: Flask) -> None:
    zh = ok(web_app, "search", text="大连港", limit=3)["results"]
    en = ok(web_app, "search", text="Port of Dalian", limit=3)["results"]
    assert zh[0]["id"] == en[0]["id"] == "dalian-port"
    assert zh[0]["name"] == {"zh": "大连港", "en": "Port of Dalian"}
    assert len(zh) <= 3
    companies = ok(web_app, "search", text="dalian", type="Organization")["results"]
    assert companies and all(set(c["types"]) & {"Organization", "Enterprise", "GovernmentBody"} for c in companies)
    assert "Unknown type" in refused(web_app, "search", text="dalian", type="NoSuchClass")
    assert "1 to 200 characters" in refused(web_app, "search", text=" ")
    assert refused(web_app, "search", text="x", limit=0)  # the SDK checks the schema's bounds


def test_get_entity_with_its_quotes(web_app: Flask) -> None:
    port = ok(web_app, "get_entity", id="dalian-port")
    assert port["name"] == {"zh": "大连港", "en": "Port of Dalian"} and port["page"] == "/page/dalian-port"
    assert port["quotes"] and all(q["text"] for q in port["quotes"])
    assert {"property": "jp:locatedIn", "value": {"id": "dalian", "name": "Dalian"}} in port["statements"]
    assert ok(web_app, "get_entity", id="Port of Dalian")["id"] == "dalian-port"  # an exact name will do
    gdp = ok(web_app, "get_entity", id="obs-gdp-2021")
    assert gdp["figures"][0]["as_written"] == "2529" and "2529" in gdp["figures"][0]["quote"]
    assert "search tool" in refused(web_app, "get_entity", id="no-such-thing")
    assert "search tool" in refused(web_app, "get_entity", id="特来电")  # two things bear the name


def test_list_figures_filters(web_app: Flask) -> None:
    every = ok(web_app, "list_figures", limit=200)
    assert every["total"] == len(every["figures"]) > 50
    gdp = ok(web_app, "list_figures", indicator="ind-gdp")
    assert gdp["total"] >= 1 and {f["indicator"]["id"] for f in gdp["figures"]} == {"ind-gdp"}
    for qualifier in ("About", "MoreThan", "Nearly"):
        some = ok(web_app, "list_figures", qualifier=qualifier)["figures"]
        assert some and {f["qualifier"] for f in some} == {qualifier}
    exact = ok(web_app, "list_figures", qualifier="none")["figures"]
    assert exact and all(f["qualifier"] is None for f in exact)
    growth = ok(web_app, "list_figures", kind="YearOnYearGrowth")["figures"]
    assert growth and {f["kind"] for f in growth} == {"YearOnYearGrowth"}
    dalian = ok(web_app, "list_figures", area="dalian")
    assert dalian["total"] >= 1 and dalian["total"] < every["total"]
    text = every["figures"][0]["text"]
    assert text["zh"] and text["en"]
    assert "one of:" in refused(web_app, "list_figures", kind="Nope")
    assert "one of:" in refused(web_app, "list_figures", qualifier="Roughly")


def test_sparql_select_ask_and_construct(web_app: Flask) -> None:
    select = ok(web_app, "sparql_query", query="SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert select["kind"] == "select" and select["variables"] == ["n"]
    assert int(select["rows"][0]["n"]["value"]) > 1000
    assert select["rows"][0]["n"]["datatype"] == "http://www.w3.org/2001/XMLSchema#integer"
    query = "SELECT ?s ?l WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l FILTER(lang(?l) = 'zh') } LIMIT 1"
    labels = ok(web_app, "sparql_query", query=query)
    row = labels["rows"][0]
    assert row["s"]["type"] == "uri" and row["l"]["type"] == "literal" and row["l"]["xml:lang"] == "zh"
    assert ok(web_app, "sparql_query", query="ASK { ?s ?p ?o }")["boolean"] is True
    graph = ok(web_app, "sparql_query", query="CONSTRUCT { ?s a ?t } WHERE { ?s a ?t } LIMIT 3")
    assert len(Graph().parse(data=graph["turtle"], format="turtle")) == 3


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", "read-only"),
        ("DELETE WHERE { ?s ?p ?o }", "read-only"),
        ("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", "SERVICE"),
        ("SELECT * FROM <http://example.org/x> WHERE { ?s ?p ?o }", "FROM"),
        ("SELECT * WHERE { ?s ?p }", "400"),
        ("", "empty"),
    ],
)
def test_sparql_refuses_what_the_endpoint_refuses(web_app: Flask, query: str, says: str) -> None:
    assert says in refused(web_app, "sparql_query", query=query)


def test_sparql_counts_against_the_fair_share(web_app: Flask, monkeypatch) -> None:
    service = web_app.extensions[EXTENSION]

    def over_share(client: str, query: str) -> None:
        raise TooBusy(429, f"{client} is over its share", 3)

    monkeypatch.setattr(service.fairshare, "admit", over_share)
    message = refused(web_app, "sparql_query", query="ASK { ?s ?p ?o . FILTER(1) }")
    assert "(429): mcp-stdio is over its share" in message


def test_resources_are_the_ontology_and_the_report(web_app: Flask) -> None:
    async def run():
        async with Client(build_server(web_app)) as client:
            listed = {r.name: str(r.uri) for r in (await client.list_resources()).resources}
            return {name: (await client.read_resource(uri)).contents[0].text for name, uri in listed.items()}, listed

    texts, uris = asyncio.run(run())
    ontology = Graph().parse(data=texts["ontology"], format="turtle")
    assert (URIRef(uris["ontology"]), RDF.type, OWL.Ontology) in ontology
    assert "金普新区" in texts["report"] and uris["report"].endswith("/source/jinpu-2021-report.txt")
