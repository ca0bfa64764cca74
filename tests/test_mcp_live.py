"""The MCP server as an assistant meets it, through the official SDK's own client: `kg mcp` over stdio (the client
starts it, as an assistant's configuration does) and /mcp of a live `kg serve` over streamable HTTP. Each lists the
tools, calls every one, reads the resources, and has an update and a SERVICE query refused with the endpoint's
message."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest
import requests
from mcp import Client, StdioServerParameters

ROOT = Path(__file__).resolve().parents[1]
TOOLS = {"search", "get_entity", "list_figures", "sparql_query"}


async def session_checks(server) -> dict:
    """What an assistant's first session does, and what it got back."""
    async with Client(server, read_timeout_seconds=60) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        calls = {
            "search": await client.call_tool("search", {"text": "金普新区", "limit": 3}),
            "get_entity": await client.call_tool("get_entity", {"id": "jinpu"}),
            "list_figures": await client.call_tool("list_figures", {"indicator": "ind-gdp", "area": "jinpu"}),
            "sparql_query": await client.call_tool("sparql_query", {"query": "ASK { ?s ?p ?o }"}),
            "update": await client.call_tool("sparql_query", {"query": "CLEAR ALL"}),
            "service": await client.call_tool(
                "sparql_query", {"query": "SELECT * WHERE { SERVICE <http://example.org/q> { ?s ?p ?o } }"}
            ),
        }
        resources = (await client.list_resources()).resources
        report = await client.read_resource(next(str(r.uri) for r in resources if r.name == "report"))
    return {"tools": tools, "calls": calls, "report": report.contents[0].text}


def check(seen: dict) -> None:
    assert seen["tools"] == TOOLS
    calls = seen["calls"]
    for name in TOOLS:
        assert not calls[name].is_error, calls[name].content[0].text
    answer = {name: json.loads(calls[name].content[0].text) for name in TOOLS}
    assert answer["search"]["results"][0]["id"] == "jinpu"
    assert answer["get_entity"]["name"] == {"zh": "金普新区", "en": "Jinpu New District"}
    assert answer["get_entity"]["quotes"]
    assert any(f["as_written"] == "2529" for f in answer["list_figures"]["figures"])
    assert answer["sparql_query"]["boolean"] is True
    assert calls["update"].is_error and "read-only" in calls["update"].content[0].text
    assert calls["service"].is_error and "SERVICE" in calls["service"].content[0].text
    assert "金普新区" in seen["report"]


def test_kg_mcp_over_stdio(built: Path, kg_store) -> None:
    env = {**os.environ, "KG_BUILD_DIR": str(built), **kg_store.environ}
    command = ["-m", "kg.cli", "mcp", "--no-build"]
    params = StdioServerParameters(command=sys.executable, args=command, env=env, cwd=ROOT)
    check(asyncio.run(session_checks(params)))


def test_kg_serve_answers_mcp_over_http(live_server: str) -> None:
    check(asyncio.run(session_checks(live_server + "/mcp")))


@pytest.mark.parametrize(
    ("method", "body", "headers"),
    [
        ("POST", b"not json", {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}),
        ("POST", b'{"jsonrpc": "2.0"}', {"Content-Type": "application/json", "Accept": "application/json"}),
        ("POST", b"{}", {"Content-Type": "text/plain", "Accept": "application/json, text/event-stream"}),
    ],
)
def test_bad_mcp_requests_are_4xx(live_server: str, method: str, body: bytes, headers: dict) -> None:
    resp = requests.request(method, live_server + "/mcp", data=body, headers=headers, timeout=30)
    assert 400 <= resp.status_code < 500, (resp.status_code, resp.text)


def test_mcp_over_http_is_post_only_and_readable_from_any_origin(live_server: str) -> None:
    url = live_server + "/mcp"
    for method in ("GET", "DELETE"):
        resp = requests.request(method, url, headers={"Accept": "text/event-stream"}, timeout=30)
        assert resp.status_code == 405 and resp.headers["Allow"] == "POST, OPTIONS" and "POST" in resp.text
    preflight = requests.options(
        url,
        headers={
            "Origin": "https://assistant.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, mcp-protocol-version",
        },
        timeout=30,
    )
    assert preflight.status_code == 200 and preflight.headers["Access-Control-Allow-Origin"] == "*"
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    headers = {"Origin": "https://assistant.example", "Accept": "application/json, text/event-stream"}
    resp = requests.post(url, json=ping, headers=headers, timeout=30)
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
