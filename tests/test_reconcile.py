"""The reconciliation service (Reconciliation Service API 0.2) in-process: the manifest, scoring and `match`, type
and property constraints, suggest, preview, and a 400 with a message for every kind of bad input.

The manifest and every answer are also read with the data models of a reconciliation client from PyPI
(py-reconciliation-service-api), which validate them as that client does; test_reconcile_client.py drives the
client itself against a live server."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient
from py_reconciliation_service_api.models.manifest import Manifest
from py_reconciliation_service_api.models.reconciliation import BatchReconciliationResult

from kg.sparql import EXTENSION
from kg.sparql.fairshare import TooBusy

pytestmark = pytest.mark.usefixtures("web_app")


def reconcile(client: FlaskClient, queries: dict) -> dict:
    resp = client.post("/reconcile", data={"queries": json.dumps(queries, ensure_ascii=False)})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    BatchReconciliationResult.model_validate(resp.json)  # the client's schema of a batch result
    return resp.json


def top(answer: dict) -> dict:
    return answer["result"][0]


def test_manifest(web_client: FlaskClient) -> None:
    resp = web_client.get("/reconcile")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    m = Manifest.model_validate(resp.json)
    assert "0.2" in m.versions
    assert m.identifier_space.endswith("/id/") and m.schema_space.endswith("/def#")
    assert "{{id}}" in m.view.url and "{{id}}" in m.preview.url
    assert {t.id for t in m.default_types} >= {"Organization", "Enterprise", "Place", "Project", "Program"}
    for kind in ("entity", "type", "property"):
        entry = getattr(m.suggest, kind)
        assert entry.service_url.endswith("/reconcile") and entry.service_path == f"/suggest/{kind}"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("金普新区", "jinpu"),  # Chinese name
        ("Jinpu New District", "jinpu"),  # English name
        ("jinpu  new   DISTRICT", "jinpu"),  # case and spacing aside
        ("大连", "dalian"),  # an alternative name (大连市 is the name)
        ("Port of Dalian", "dalian-port"),
    ],
)
def test_an_exact_name_scores_highest_and_matches(web_client: FlaskClient, query: str, expected: str) -> None:
    result = reconcile(web_client, {"q0": {"query": query}})["q0"]["result"]
    assert result[0]["id"] == expected
    assert result[0]["score"] == 100 and result[0]["match"] is True
    assert all(c["score"] < 100 and c["match"] is False for c in result[1:])
    assert result == sorted(result, key=lambda c: -c["score"])


def test_a_name_in_chinese_is_answered_in_chinese(web_client: FlaskClient) -> None:
    zh = top(reconcile(web_client, {"q": {"query": "金普新区"}})["q"])
    en = top(reconcile(web_client, {"q": {"query": "Jinpu New District"}})["q"])
    assert (zh["name"], zh["description"]) == ("金普新区", "Jinpu New District")
    assert (en["name"], en["description"]) == ("Jinpu New District", "金普新区")
    assert {"id": "District", "name": "District"} in en["type"]


def test_a_partial_name_is_a_candidate_but_no_match(web_client: FlaskClient) -> None:
    result = reconcile(web_client, {"q": {"query": "Dalian Digital"}})["q"]["result"]
    assert result[0]["id"] == "proj-dalian-digital-valley"
    assert 0 < result[0]["score"] < 100 and not any(c["match"] for c in result)


def test_two_things_of_one_name_are_no_match_until_a_type_tells_them_apart(web_client: FlaskClient) -> None:
    answer = reconcile(
        web_client,
        {
            "any": {"query": "特来电"},
            "company": {"query": "特来电", "type": "Enterprise"},
            "project": {"query": "特来电", "type": ["Project"]},
        },
    )
    exact = [c for c in answer["any"]["result"] if c["score"] == 100]
    assert {c["id"] for c in exact} == {"teld", "proj-teld-charging-network"}
    assert not any(c["match"] for c in answer["any"]["result"])  # ambiguous
    assert [(c["id"], c["match"]) for c in answer["company"]["result"]] == [("teld", True)]
    assert (top(answer["project"])["id"], top(answer["project"])["match"]) == ("proj-teld-charging-network", True)


def test_a_type_includes_its_subclasses(web_client: FlaskClient) -> None:
    answer = reconcile(web_client, {"q": {"query": "大连", "type": "Place", "limit": 3}})["q"]
    assert top(answer)["id"] == "dalian"  # a City, a kind of Place
    assert len(answer["result"]) <= 3
    types = {t["id"] for c in answer["result"] for t in c["type"]}
    assert not types & {"Organization", "Enterprise", "Indicator", "Observation"}


def test_property_constraints_keep_or_lower_a_candidate(web_client: FlaskClient) -> None:
    answer = reconcile(
        web_client,
        {
            "by_id": {"query": "大连港", "properties": [{"pid": "locatedIn", "v": {"id": "dalian"}}]},
            "by_name": {"query": "Port of Dalian", "properties": [{"pid": "locatedIn", "v": "大连市"}]},
            "wrong": {"query": "大连港", "properties": [{"pid": "locatedIn", "v": "Shenyang"}]},
        },
    )
    for key in ("by_id", "by_name"):
        assert (top(answer[key])["id"], top(answer[key])["score"], top(answer[key])["match"]) == (
            "dalian-port",
            100,
            True,
        )
    wrong = top(answer["wrong"])
    assert wrong["id"] == "dalian-port" and wrong["score"] == 50 and wrong["match"] is False


def test_queries_by_get_too(web_client: FlaskClient) -> None:
    resp = web_client.get("/reconcile", query_string={"queries": json.dumps({"q": {"query": "Dalian"}})})
    assert resp.status_code == 200 and top(resp.json["q"])["id"] == "dalian"


@pytest.mark.parametrize(
    ("queries", "says"),
    [
        ("{", "not JSON"),
        ("[]", "JSON object of queries"),
        ("{}", "JSON object of queries"),
        ('{"q": 1}', "must be a JSON object"),
        ('{"q": {"query": ""}}', "no query text"),
        ('{"q": {"query": 5}}', "no query text"),
        ('{"q": {"query": "x", "limit": 0}}', "limit"),
        ('{"q": {"query": "x", "limit": "3"}}', "limit"),
        ('{"q": {"query": "x", "type": "NoSuchClass"}}', "Unknown type"),
        ('{"q": {"query": "x", "type": 3}}', "type must be given"),
        ('{"q": {"query": "x", "properties": {}}}', "properties must be a list"),
        ('{"q": {"query": "x", "properties": [{"pid": "noSuchProperty", "v": "a"}]}}', "Unknown property"),
        ('{"q": {"query": "x", "properties": [{"pid": "locatedIn"}]}}', "'pid' and 'v'"),
        ('{"q": {"query": "x", "properties": [{"pid": "locatedIn", "v": [null]}]}}', "a property value"),
        (json.dumps({"q": {"query": "x" * 201}}), "too long"),
        (json.dumps({f"q{i}": {"query": "x"} for i in range(101)}), "Too many queries"),
    ],
)
def test_bad_queries_are_400_with_a_message(web_client: FlaskClient, queries: str, says: str) -> None:
    resp = web_client.post("/reconcile", data={"queries": queries})
    assert resp.status_code == 400 and resp.mimetype == "application/json"
    assert says in resp.json["message"]
    assert resp.headers["Access-Control-Allow-Origin"] == "*"


def test_a_post_without_queries_is_400(web_client: FlaskClient) -> None:
    resp = web_client.post("/reconcile", data={"query": "x"})
    assert resp.status_code == 400 and "queries" in resp.json["message"]


def test_suggest_entities_types_and_properties(web_client: FlaskClient) -> None:
    entities = web_client.get("/reconcile/suggest/entity", query_string={"prefix": "大连"}).json["result"]
    assert entities[0]["id"] == "dalian" and all({"id", "name", "notable"} <= set(e) for e in entities)
    ports = web_client.get("/reconcile/suggest/entity", query_string={"prefix": "dalian", "type": "Enterprise"})
    assert ports.status_code == 200
    assert all(any(t["id"] == "Enterprise" for t in e["notable"]) for e in ports.json["result"])
    assert ports.json["result"]  # Dalian companies exist
    second = web_client.get("/reconcile/suggest/entity", query_string={"prefix": "大连", "cursor": "1"}).json
    assert second["result"][0] == entities[1]
    types = web_client.get("/reconcile/suggest/type", query_string={"prefix": "enterprise"}).json["result"]
    assert [t["id"] for t in types] == ["Enterprise"]
    props = web_client.get("/reconcile/suggest/property", query_string={"prefix": "located"}).json["result"]
    assert "locatedIn" in [p["id"] for p in props]


@pytest.mark.parametrize(
    "path",
    [
        "/reconcile/suggest/entity",
        "/reconcile/suggest/entity?prefix=",
        "/reconcile/suggest/entity?prefix=a&type=Nope",
        "/reconcile/suggest/type?prefix=a&cursor=-1",
        "/reconcile/suggest/property?prefix=a&cursor=x",
        "/reconcile/suggest/entity?prefix=%01",
        "/reconcile/preview",
        "/reconcile/preview?id=no-such-thing",
        "/reconcile/preview?id=../etc",
    ],
)
def test_bad_suggest_and_preview_requests_are_400(web_client: FlaskClient, path: str) -> None:
    resp = web_client.get(path)
    assert resp.status_code == 400 and resp.json["message"]


def test_preview_is_an_html_snippet_in_both_languages(web_client: FlaskClient) -> None:
    resp = web_client.get("/reconcile/preview?id=dalian-port")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    assert "大连港" in html and "Port of Dalian" in html and "/page/dalian-port" in html
    figure = web_client.get("/reconcile/preview?id=obs-gdp-2021").get_data(as_text=True)
    assert "2529" in figure


def test_a_batch_counts_against_the_fair_share_of_sparql(web_client: FlaskClient, web_app, monkeypatch) -> None:
    share = web_app.extensions[EXTENSION].fairshare
    charged: list[tuple[str, float]] = []
    monkeypatch.setattr(share, "finish", lambda client, seconds, **_: charged.append((client, seconds)))
    reconcile(web_client, {"q": {"query": "Dalian"}})
    assert len(charged) == 1 and charged[0][1] > 0

    def over_share(client: str, text: str) -> None:
        raise TooBusy(429, "Your queries used 30.0 s of query time", 7)

    monkeypatch.setattr(share, "admit", over_share)
    resp = web_client.post("/reconcile", data={"queries": json.dumps({"q": {"query": "Dalian"}})})
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "7"
    assert "query time" in resp.json["message"] and len(charged) == 1
