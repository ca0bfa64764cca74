"""Analysis on the pages (Flask test client): the query page's chart data and chart choice in the URL, the report's
sentences searched in both languages with anchors in the reader, headline figures first, and suggestions."""

from __future__ import annotations

import json
import re

import pytest

from tests.fixtures_web import BASE

SHARES = "/query?name=05-shares-of-dalian"


def _chart_data(body: str) -> dict:
    m = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', body, re.S)
    assert m, "no chart data on the page"
    return json.loads(m.group(1))


def test_chart_data_has_numbers_labels_and_units(web_client):
    data = _chart_data(web_client.get(SHARES + "&lang=zh").get_data(as_text=True))
    fields = {f["name"]: f["numeric"] for f in data["fields"]}
    assert fields["share"] and fields["fraction"] and not fields["figure"]
    assert data["units"] == {"unit": ["%"]} and data["mixed"] == []
    assert all(isinstance(r["share"], float) for r in data["rows"])
    assert any(re.search(r"[\u4e00-\u9fff]", r["figure"]) for r in data["rows"])  # IRIs by their Chinese label


def test_chart_data_flags_a_unit_column_with_several_units(web_client):
    data = _chart_data(web_client.get("/query?name=01-headline-figures").get_data(as_text=True))
    assert "unit" in data["mixed"] and len(data["units"]["unit"]) > 1


def test_label_columns_name_their_variable(web_client):
    q = 'SELECT ?x ?xLabel ?n WHERE { VALUES (?x ?xLabel ?n) { (jpr:jinpu "Jinpu" 3) (jpr:dalian "Dalian" 4) } }'
    data = _chart_data(web_client.get("/query", query_string={"query": q}).get_data(as_text=True))
    assert [f["name"] for f in data["fields"]] == ["x", "n"]
    assert [r["x"] for r in data["rows"]] == ["Jinpu", "Dalian"]


def test_no_chart_without_a_numeric_column(web_client):
    q = "SELECT ?s WHERE { ?s a jp:District }"
    body = web_client.get("/query", query_string={"query": q}).get_data(as_text=True)
    assert 'id="chart-data"' not in body


@pytest.mark.parametrize(
    "args,message",
    [
        ("&chart=pie", "Unknown chart type"),
        ("&chart=bar&x=a%3Bb", "variable name"),
        ("&chart=line&y=%3Cx%3E", "variable"),
    ],
)
def test_a_bad_chart_choice_is_a_400_that_says_why(web_client, args, message):
    resp = web_client.get(SHARES + args)
    assert resp.status_code == 400 and message in resp.get_data(as_text=True)


def test_the_share_link_keeps_the_chart(web_client):
    body = web_client.get(SHARES + "&chart=line&x=figure&y=share").get_data(as_text=True)
    assert re.search(r'id="share-link"[^>]*|href="/query\?query=[^"]*&amp;chart=line&amp;x=figure&amp;y=share"', body)
    assert "chart=line&amp;x=figure&amp;y=share" in body


@pytest.mark.parametrize("q,lang", [("隐形冠军", "zh"), ("little giants", "en")])
def test_every_sentence_of_the_report_is_searched(web_client, q, lang):
    data = web_client.get("/search.json", query_string={"q": q}).get_json()
    assert data["report"], q
    anchor = data["report"][0]["anchor"]
    report = web_client.get("/report").get_data(as_text=True)
    assert f'id="{anchor.removeprefix("/report#")}"' in report
    body = web_client.get("/search", query_string={"q": q, "lang": lang}).get_data(as_text=True)
    assert f'href="{anchor}"' in body and "<mark>" in body.split('id="report-hits"')[1]


def test_every_report_anchor_is_unique(web_client):
    ids = re.findall(r'id="(s-\d+)"', web_client.get("/report").get_data(as_text=True))
    assert len(ids) > 100 and len(ids) == len(set(ids))


@pytest.mark.parametrize("q", ["GDP", "gdp", "地区生产总值"])
def test_a_figures_own_name_finds_the_headline_figure_first(web_client, q):
    results = web_client.get("/search.json", query_string={"q": q}).get_json()["results"]
    assert [r["iri"] for r in results[:2]] == [BASE + "id/obs-gdp-2021", BASE + "id/ind-gdp"]


def test_suggestions_complete_names_in_both_languages(web_client):
    en = web_client.get("/search/suggest.json", query_string={"q": "dali"}).get_json()["suggestions"]
    assert en and all("dali" in s["label"].lower() for s in en) and len(en) <= 8
    zh = web_client.get("/search/suggest.json", query_string={"q": "大连"}).get_json()["suggestions"]
    assert zh and all("大连" in s["label"] for s in zh) and zh[0]["page"].startswith("/page/")
    assert web_client.get("/search/suggest.json", query_string={"q": "x" * 300}).status_code == 400
