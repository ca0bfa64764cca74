"""Browser clients on another origin than the server (Chromium, driven by Playwright): YASGUI, vendored from npm and
served by a second loopback server, queries the endpoint; a script's fetch() dereferences an IRI across origins and
follows the 303, with and without a CORS preflight, and reads dumps and graphs. What the browser shows or reads is
checked against the build's counts and values."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlparse

import pytest

from tests.fixtures_clients import DATASET_BASE as BASE

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ID = BASE + "id/"
GRAPHS = {name: BASE + "graph/" + name for name in ("ontology", "asserted", "inferred")}

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def counts(built: Path) -> dict[str, int]:
    return json.loads((built / "manifest.json").read_text(encoding="utf-8"))["triples"]


@pytest.fixture()
def page(browser, live_server, other_origin):
    """A page on the other origin; requests to anything but the two loopback servers are refused and listed."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    context.set_default_timeout(30000)
    allowed = {urlparse(live_server).netloc, urlparse(other_origin).netloc}
    refused: list[str] = []

    def route(r):
        if urlparse(r.request.url).netloc in allowed:
            r.continue_()
        else:
            refused.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    pg = context.new_page()
    pg.refused = refused
    pg.goto(other_origin + "/blank.html")
    yield pg
    context.close()


def browser_fetch(page, url: str, headers: dict[str, str] | None = None, body: str = "text") -> dict:
    """fetch() from the page's origin; what the script can see of the answer."""
    return page.evaluate(
        """async ([url, headers, body]) => {
        try {
            const r = await fetch(url, { headers });
            const text = await r.text();
            return { ok: r.ok, status: r.status, url: r.url, redirected: r.redirected, text: body === "text" ?
                     text : null, lines: text.split("\\n").filter((l) => l.trim()).length,
                     headers: Object.fromEntries([...r.headers]) };
        } catch (e) {
            return { error: String(e) };
        }
    }""",
        [url, headers or {}, body],
    )


# --- YASGUI -----------------------------------------------------------------------------------------------------------


def run_in_yasgui(page, other_origin: str, endpoint: str, query: str) -> None:
    page.goto(other_origin + "/yasgui.html?endpoint=" + quote(endpoint, safe=""))
    page.wait_for_function("window.yasgui && window.yasgui.getTab()")
    page.evaluate("q => { const tab = window.yasgui.getTab(); tab.setQuery(q); tab.query(); }", query)
    page.wait_for_function("window.responses.length > 0")


def test_yasgui_on_another_origin_shows_select_results(page, live_server, other_origin):
    query = (
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        f"SELECT ?label WHERE {{ <{ID}jinpu> rdfs:label ?label }} ORDER BY ?label"
    )
    run_in_yasgui(page, other_origin, live_server + "/sparql", query)
    assert page.evaluate("window.responses[0].ok")
    page.wait_for_selector(".yasr table.dataTable tbody tr")
    cells = page.locator(".yasr table.dataTable tbody td").all_inner_texts()
    assert any("Jinpu New District" in c for c in cells) and any("金普新区" in c for c in cells)
    bindings = page.evaluate("window.yasgui.getTab().getYasr().results.getBindings()")
    assert {(b["label"]["value"], b["label"]["xml:lang"]) for b in bindings} == {
        ("Jinpu New District", "en"),
        ("金普新区", "zh"),
    }
    assert page.refused == []


def test_yasgui_counts_the_union_and_each_named_graph(page, live_server, other_origin, counts):
    run_in_yasgui(
        page,
        other_origin,
        live_server + "/sparql",
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    )
    bindings = page.evaluate("window.yasgui.getTab().getYasr().results.getBindings()")
    assert {b["g"]["value"]: int(b["n"]["value"]) for b in bindings} == {
        iri: counts[name] for name, iri in GRAPHS.items()
    }


def test_yasgui_shows_a_construct_result(page, live_server, other_origin):
    run_in_yasgui(
        page, other_origin, live_server + "/sparql", f"CONSTRUCT {{ <{ID}jinpu> ?p ?o }} WHERE {{ <{ID}jinpu> ?p ?o }}"
    )
    assert page.evaluate("window.responses[0].ok")
    text = page.evaluate("window.yasgui.getTab().getYasr().results.getOriginalResponseAsString()")
    assert "金普新区" in text and "locatedIn" in text


def test_yasgui_shows_the_error_message_of_a_malformed_query(page, live_server, other_origin):
    run_in_yasgui(page, other_origin, live_server + "/sparql", "SELECT * WHERE { ?s ?p }")
    page.wait_for_selector(".yasr .errorResult")
    shown = page.locator(".yasr .errorResult").inner_text()
    assert "400" in shown
    assert "Malformed" in shown or "line 1" in shown or "1:" in shown
    assert '{"error"' not in shown  # the message itself, not a raw JSON line


def test_yasgui_says_when_a_result_was_cut(browser, start_server, other_origin):
    server = start_server("--processes", "1", env={"KG_MAX_ROWS": "7", "KG_WORKERS": "1"})
    context = browser.new_context()
    pg = context.new_page()
    try:
        run_in_yasgui(pg, other_origin, server.url + "/sparql", "SELECT * WHERE { ?s ?p ?o }")
        bindings = pg.evaluate("window.yasgui.getTab().getYasr().results.getBindings()")
        assert len(bindings) == 7
        raw = json.loads(pg.evaluate("window.yasgui.getTab().getYasr().results.getOriginalResponseAsString()"))
        [note] = raw["head"]["link"]
        answer = browser_fetch(pg, note if "://" in note else server.url + note)
        assert answer.get("ok"), answer
        assert "7" in answer["text"] and "cut" in answer["text"].lower()
    finally:
        context.close()


# --- fetch() across origins ------------------------------------------------------------------------------------------


def test_fetch_dereferences_an_iri_across_origins_and_follows_the_303(page, live_server):
    r = browser_fetch(page, live_server + "/id/jinpu", {"Accept": "text/turtle"})
    assert r.get("ok"), r
    assert r["redirected"] and r["url"] == live_server + "/data/jinpu.ttl"
    assert r["headers"]["content-type"].startswith("text/turtle")
    assert '"金普新区"@zh' in r["text"]
    assert "/page/jinpu" in r["headers"]["link"]  # exposed to the script


def test_fetch_with_a_preflight_negotiates_the_expanded_json_ld_profile(page, live_server):
    accept = 'application/ld+json; profile="http://www.w3.org/ns/json-ld#expanded"'  # not CORS-safelisted
    r = browser_fetch(page, live_server + "/id/jinpu", {"Accept": accept})
    assert r.get("ok"), r
    doc = json.loads(r["text"])
    assert isinstance(doc, list)
    [jinpu] = [node for node in doc if node.get("@id") == ID + "jinpu"]
    assert {"@value": "金普新区", "@language": "zh"} in jinpu["http://www.w3.org/2000/01/rdf-schema#label"]


def test_fetch_reads_the_dumps_void_and_graphs_across_origins(page, live_server, counts):
    r = browser_fetch(page, live_server + "/download/dataset.nq", body="count")
    assert r.get("ok"), r
    assert r["lines"] == counts["union"] and "etag" in r["headers"]
    for name in GRAPHS:
        r = browser_fetch(page, live_server + f"/graph/{name}", {"Accept": "application/n-triples"}, body="count")
        assert r.get("ok"), r
        assert r["lines"] == counts[name], name
    r = browser_fetch(page, live_server + "/.well-known/void", {"Accept": "text/turtle"})
    assert r.get("ok"), r
    assert "void:Dataset" in r["text"]
    r = browser_fetch(
        page,
        live_server + "/sparql?graph=" + quote(GRAPHS["ontology"], safe=""),
        {"Accept": "application/n-triples"},
        body="count",
    )
    assert r.get("ok"), r
    assert r["lines"] == counts["ontology"]


def test_fetch_sees_a_missing_entity_as_404_not_as_a_network_error(page, live_server):
    r = browser_fetch(page, live_server + "/id/no-such-thing", {"Accept": "text/turtle"})
    assert r.get("status") == 404, r
