"""The canned queries (each answers a real question about the report, and returns rows on the real build) and the
query page that runs them."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlparse

import pytest
from flask import current_app

from kg.sparql import EXTENSION
from kg.web import examples

QUERIES = examples.load_all()


def run_user_query(query: str, **dataset):
    """A user query through the current app's SPARQL service, as the query page runs it."""
    return current_app.extensions[EXTENSION].run_user_query(query, **dataset)


def test_there_are_at_least_ten_canned_queries_with_titles_and_descriptions():
    assert len(QUERIES) >= 10
    for q in QUERIES:
        assert q.title and q.description and q.title_zh and q.description_zh, q.name


def test_the_pages_own_queries_say_what_they_answer_and_take_bindings():
    """Bindings are appended as a VALUES clause, so no query file may end with its own."""
    from kg.web.dataset_index import QUERIES_DIR

    files = sorted(QUERIES_DIR.glob("*.rq"))
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert text.startswith("# "), path.name
        assert not re.search(r"VALUES\s*(\([^)]*\)|\?\w+)\s*\{[^}]*\}\s*$", text, re.IGNORECASE), path.name


@pytest.mark.parametrize("query", QUERIES, ids=[q.name for q in QUERIES])
def test_canned_query_returns_rows_on_the_real_build(web_app, query):
    with web_app.app_context():
        result = run_user_query(query.text)
    assert result.kind == "select"
    assert result.rows, f"{query.name} returned no rows"


def test_canned_queries_follow_the_configured_base():
    q = examples.load_all("http://example.org/kg/")[0]
    assert "http://example.org/kg/def#" in q.text and "w3id.org/jinpu-kg" not in q.text


def test_query_page_runs_a_canned_query_and_shows_labels_and_links(web_client):
    resp = web_client.get("/query?name=03-projects&lang=en")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Projects with their enterprises" in body
    assert '<table class="results-table" data-results>' in body
    assert re.search(r'<td><a href="/page/[^"]+" title="https://w3id.org/jinpu-kg/id/[^"]+">[^<]+</a>', body)
    assert ">https://w3id.org/jinpu-kg/id/" not in body  # labels, not raw IRIs


def test_query_page_offers_every_download_format_and_a_share_link(web_client):
    body = web_client.get("/query?name=05-shares-of-dalian").get_data(as_text=True)
    links = [html.unescape(h) for h in re.findall(r'href="([^"]*)"', body)]
    formats = {parse_qs(urlparse(h).query)["format"][0] for h in links if h.startswith("/sparql?")}
    assert formats == {"json", "xml", "csv", "tsv"}
    share = next(h for h in links if h.startswith("/query?query="))
    assert "jp:parentArea" in parse_qs(urlparse(share).query)["query"][0]


def test_download_links_work_against_the_endpoint(web_client):
    body = web_client.get("/query?name=05-shares-of-dalian").get_data(as_text=True)
    link = next(html.unescape(h) for h in re.findall(r'href="(/sparql\?[^"]*)"', body) if "format=csv" in h)
    resp = web_client.get(link)
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "figure" in resp.get_data(as_text=True).splitlines()[0]


def test_graph_queries_offer_rdf_downloads(web_client):
    body = web_client.get(
        "/query", query_string={"query": "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 5"}
    ).get_data(as_text=True)
    assert "format=ttl" in html.unescape(body) and "format=jsonld" in html.unescape(body)


def test_ask_query(web_client):
    body = web_client.get("/query", query_string={"query": "ASK { ?s ?p ?o }"}).get_data(as_text=True)
    assert '<p class="big">true</p>' in body


def test_query_errors_are_shown_with_their_status(web_client):
    resp = web_client.get("/query", query_string={"query": "SELECT nonsense {"})
    assert resp.status_code == 400 and "Query error" in resp.get_data(as_text=True)
    resp = web_client.get("/query", query_string={"query": "INSERT DATA { <a:a> <a:b> <a:c> }"})
    assert 400 <= resp.status_code < 500


def test_query_text_is_reflected_escaped(web_client):
    evil = 'SELECT * WHERE { ?s ?p "</textarea><script>alert(1)</script>" }'
    body = web_client.get("/query", query_string={"query": evil}).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body and "&lt;/textarea&gt;&lt;script&gt;" in body


def test_oversized_query_is_413(web_app, web_client):
    limit = web_app.config["KG_SETTINGS"].max_query_bytes
    resp = web_client.post("/query", data={"query": "#" + "x" * limit})
    assert resp.status_code == 413


def test_query_page_without_a_query_shows_the_editor_and_the_list(web_client):
    body = web_client.get("/query").get_data(as_text=True)
    assert 'id="query-text"' in body and "/static/vendor/yasgui/yasgui.min.js" in body and "/static/query.js" in body
    assert body.count("/query?name=") >= 10


@pytest.mark.parametrize("query", QUERIES, ids=[q.name for q in QUERIES])
def test_canned_query_returns_no_duplicate_rows(web_app, query):
    with web_app.app_context():
        result = run_user_query(query.text)
    rows = [tuple(sorted((k, str(v)) for k, v in row.items())) for row in result.rows]
    assert len(rows) == len(set(rows)), f"{query.name} returns the same row twice"


def test_foreign_enterprises_are_enterprises(web_app):
    query = examples.by_name("07-foreign-enterprises")
    with web_app.app_context():
        result = run_user_query(query.text)
        types = {
            str(r["t"])
            for r in run_user_query(
                "SELECT DISTINCT ?t WHERE { VALUES ?e { "
                + " ".join(f"<{row['enterprise']}>" for row in result.rows)
                + " } ?e a ?t }"
            ).rows
        }
    assert "https://w3id.org/jinpu-kg/def#Enterprise" in types
    assert "https://w3id.org/jinpu-kg/def#Project" not in types


def test_undeclared_project_prefixes_are_declared_for_the_query(web_client):
    resp = web_client.get(
        "/query", query_string={"query": "SELECT ?d WHERE { ?d a jp:District ; rdfs:label ?l }", "lang": "en"}
    )
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200, body
    assert 'id="declared"' in body and "PREFIX jp: &lt;https://w3id.org/jinpu-kg/def#&gt;" in body
    assert "Jinpu New District" in body
    share = html.unescape(re.search(r'href="([^"]*)" class="share" id="share-link"', body).group(1))
    assert parse_qs(urlparse(share).query)["query"][0].startswith("PREFIX jp: <https://w3id.org/jinpu-kg/def#>")


def test_a_declared_prefix_is_left_alone(web_client):
    body = web_client.get(
        "/query",
        query_string={"query": "PREFIX jp: <https://w3id.org/jinpu-kg/def#>\nSELECT ?d WHERE { ?d a jp:District }"},
    ).get_data(as_text=True)
    assert 'id="declared"' not in body


def test_select_star_columns_follow_the_query(web_client):
    body = web_client.get(
        "/query",
        query_string={"query": "SELECT * WHERE { ?zebra a jp:District ; rdfs:label ?middle ; jp:locatedIn ?alpha }"},
    ).get_data(as_text=True)
    head = re.search(r"<thead><tr>(.*?)</tr></thead>", body).group(1)
    assert re.findall(r"\?(\w+)</th>", head) == ["zebra", "middle", "alpha"]


def test_the_table_says_when_it_shows_fewer_rows_than_the_result(web_client):
    resp = web_client.get(
        "/query", query_string={"query": "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 2500", "lang": "en"}
    )
    body = resp.get_data(as_text=True)
    assert 'id="shown-note"' in body and "first 2000 of 2500 rows" in body
    assert body.count("<tr>") - 1 == 2000


def test_editor_terms_are_served_from_the_dataset(web_client):
    terms = web_client.get("/query/terms.json").get_json()
    assert terms["endpoint"] == "/sparql"
    assert terms["prefixes"]["jp"] == "https://w3id.org/jinpu-kg/def#"
    assert {"iri": "https://w3id.org/jinpu-kg/def#District", "en": "District", "zh": "区"} in terms["classes"]
    assert any(p["iri"] == "https://w3id.org/jinpu-kg/def#refArea" for p in terms["properties"])
    jinpu = next(e for e in terms["entities"] if e["iri"] == "https://w3id.org/jinpu-kg/id/jinpu")
    assert jinpu == {"iri": "https://w3id.org/jinpu-kg/id/jinpu", "en": "Jinpu New District", "zh": "金普新区"}
    assert not any("/id/p-" in e["iri"] for e in terms["entities"])  # passages are not entities to complete
