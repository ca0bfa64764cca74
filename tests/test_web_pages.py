"""The browsing UI's HTML pages on the real build (Flask test client): home, entity, class, search, report, ontology,
downloads and validation pages, the language switch, and how bad input is answered."""

from __future__ import annotations

import html
import re

import pytest
from rdflib import URIRef

from kg.web.dataset_index import site
from kg.web.models.class_table import PAGE_SIZE
from tests.fixtures_web import BASE

JINPU = BASE + "id/jinpu"


def text(resp) -> str:
    return resp.get_data(as_text=True)


def hrefs(body: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"]*)"', body)]


# ---- home ---------------------------------------------------------------------------------------------------------


def test_home_says_what_the_dataset_is_with_headline_figures_tasks_and_downloads(web_client):
    resp = web_client.get("/?lang=en")
    body = text(resp)
    assert resp.status_code == 200
    assert "Jinpu KG" in body and "verbatim quote" in body
    assert "2529亿元" in body and "+9%" in body  # GDP and its growth, as the report writes them
    links = hrefs(body)
    for task in ("/class/Observation", "/compare", "/class/Project", "/class/Enterprise", "/report", "/query"):
        assert task in links  # the tasks people come for
    assert "/class/" in links and "/downloads" in links  # the classes one click away
    assert "/class/District" not in links and not any(h.startswith("/query?name=") for h in links)  # no walls
    for ext in ("ttl", "nt", "jsonld", "trig", "nq"):
        assert f"/download/dataset.{ext}" in links
    assert 'action="/search"' in body
    assert "/index.json" in resp.headers["Link"]


def test_home_json_twin(web_client):
    data = web_client.get("/index.json").get_json()
    assert data["district"] == JINPU
    assert any(c["iri"].endswith("#District") and c["members"] >= 1 for c in data["classes"])
    assert data["headline"] and data["headline"][0]["growth"]
    assert len(data["queries"]) >= 10


# ---- entity pages -------------------------------------------------------------------------------------------------


def test_entity_page_of_the_district(web_client):
    resp = web_client.get("/page/jinpu?lang=en")
    body = text(resp)
    assert resp.status_code == 200
    assert "<h1>Jinpu New District</h1>" in body
    assert "金普新区" in body  # the other language's label
    links = hrefs(body)
    assert "/class/District" in links  # type linked to its class page
    assert "/page/dalian" in links  # linked entity, shown by label
    assert ">Dalian<" in body
    assert "badge inferred" in body  # e.g. located in Liaoning, by transitivity
    assert any(h.startswith("/report#p-") for h in links)  # every fact's source passage in the reader
    assert "<svg" in body and '<table class="figures' in body  # its figures as a chart and a table
    assert "2529亿元" in body
    for ext in ("ttl", "jsonld", "nt", "rdf"):
        assert f"/data/jinpu.{ext}" in links
        assert f"</data/jinpu.{ext}>" in resp.headers["Link"]
    assert any(h.startswith("/query?query=") for h in links)  # the SPARQL query that lists it
    # charts are drawn on the server; the scripts only enable the citation's copy buttons and the search suggestions
    scripts = sorted(re.findall(r"<script[^>]*>", body))
    assert [re.sub(r"\?v=[0-9a-f]+", "", s) for s in scripts] == [
        '<script src="/static/cite.js" defer>',
        '<script src="/static/search-suggest.js" defer>',
    ]


def test_entity_page_shows_no_raw_iri_where_a_label_exists(web_client):
    body = text(web_client.get("/page/jinpu?lang=en"))
    shown = re.findall(r">\s*(https://w3id\.org/jinpu-kg/[^<\s]*)\s*<", body)
    assert shown == [JINPU]  # only the entity's own IRI, in its IRI line


def test_inferred_statements_come_from_the_inferred_graph(web_app, web_client):
    with web_app.app_context():
        s = site()
        rows = s.store.select(
            f"SELECT ?o WHERE {{ GRAPH <{s.settings.graph_iri('inferred')}> {{ ?x <{s.iris.def_ns}locatedIn> ?o }} }}",
            {"x": URIRef(JINPU)},
        )
        inferred = {str(r["o"]) for r in rows}
        label = s.names.label(BASE + "id/liaoning", "en")
    assert BASE + "id/liaoning" in inferred
    body = text(web_client.get("/page/jinpu?lang=en"))
    assert re.search(r'<li class="inferred">\s*<a href="/page/liaoning"[^>]*>' + re.escape(label), body)
    assert not re.search(r'<li class="inferred">\s*<a href="/page/dalian"', body)  # asserted, not inferred


@pytest.mark.parametrize(
    ("name", "english", "chinese"),
    [
        ("obs-tech-contract-turnover-2021", "more than 80亿元", "突破80亿元"),
        ("obs-multimodal-transport-time-saved-2021", "more than 50%", "50%以上"),
        ("obs-central-soes-current", "more than 30家", "30余家"),
        ("obs-news-bay-geopark-scenic-spots", "nearly 百处", "近百处"),
        ("obs-started-projects-investment-2021", "about 565亿元", "约565亿元"),
        ("obs-new-rd-institutions-per-year", "about 20家", "20家左右"),
        ("obs-detdz-asia-top-100-rank", "top 10", "前10位"),
        ("obs-auto-parts-scale-rank", "2nd", "第二位"),
        ("obs-life-football-schools-rank-2021", "first", "首位"),
        ("obs-gazelle-enterprises-rank-northeast", "1st", "第一区"),
    ],
)
def test_figure_page_says_the_qualifier_and_rank_in_words(web_client, name, english, chinese):
    """Bounds, approximations and ranks in words of the page's language, never as "≈" or "10th"."""
    en = text(web_client.get(f"/page/{name}?lang=en"))
    zh = text(web_client.get(f"/page/{name}?lang=zh"))
    for body, words in ((en, english), (zh, chinese)):
        big = re.search(r'<p class="big">(<span class="figure-value.*?)</p>', body)
        assert big and re.sub(r"<[^>]+>", "", big.group(1)) == html.escape(words), big and big.group(1)
    assert "≈" not in en + zh and "10th" not in en


def test_a_figure_page_quotes_the_figure_first_with_its_number(web_app, web_client):
    """The 565亿元 figure: the layout cut 投资总额约 / 565亿元 in two; the page quotes both as one run of words."""
    body = text(web_client.get("/page/obs-started-projects-investment-2021?lang=en"))
    card = body[body.index('class="figure-card"') :]
    first = re.search(r'<blockquote class="quote[^"]*"[^>]*>\s*<p lang="zh">([^<]*)</p>', card)
    assert first and "投资总额约565亿元" in first.group(1)


def test_passage_page_links_back_to_the_reader_and_lists_what_it_produced(web_app, web_client):
    with web_app.app_context():
        s = site()
        passage = next(p for p in s.passages.values() if s.passages.derived.get(p.iri))
        produced = s.passages.derived[passage.iri][0]
    body = text(web_client.get(f"/page/{passage.name}"))
    assert f'href="/report#{passage.name}"' in body
    assert f'href="{s.urls.page(produced)}"' in body


def test_indicator_and_industry_group_pages_have_figures(web_client):
    body = text(web_client.get("/page/ind-gdp"))
    assert '<table class="figures' in body
    assert "<svg" not in body  # two figures of GDP: too few to chart (a chart needs three comparable values)
    assert "<svg" in text(web_client.get("/page/jinpu"))


def test_term_pages_for_statuses_and_properties(web_client):
    resp = web_client.get("/term/Signed?lang=en")
    assert resp.status_code == 200 and "Signed" in text(resp)
    assert web_client.get("/term/District").status_code == 301  # classes have class pages
    assert web_client.get("/term/locatedIn").status_code == 200


# ---- language -----------------------------------------------------------------------------------------------------


def test_language_switch_persists_in_a_cookie(web_app):
    client = web_app.test_client()
    resp = client.get("/page/jinpu?lang=zh")
    assert "<h1>金普新区</h1>" in text(resp)
    assert "lang=zh" in resp.headers["Set-Cookie"]
    assert "<h1>金普新区</h1>" in text(client.get("/page/jinpu"))  # no parameter: the cookie decides
    assert "<h1>Jinpu New District</h1>" in text(client.get("/page/jinpu?lang=en"))
    assert "<h1>Jinpu New District</h1>" in text(client.get("/page/jinpu"))


def test_accept_language_chooses_when_nothing_else_does(web_app):
    client = web_app.test_client()
    body = text(client.get("/page/jinpu", headers={"Accept-Language": "zh-CN,zh;q=0.9"}))
    assert "<h1>金普新区</h1>" in body


def test_pages_vary_on_language_inputs(web_client):
    vary = web_client.get("/page/jinpu").headers["Vary"]
    assert "Cookie" in vary and "Accept-Language" in vary


# ---- class pages --------------------------------------------------------------------------------------------------


def test_class_index_lists_classes_with_counts(web_client):
    body = text(web_client.get("/class/?lang=en"))
    for local in ("District", "Industry", "Project", "Enterprise", "Indicator", "Observation"):
        assert f'href="/class/{local}"' in body


@pytest.mark.parametrize(
    "local", ["District", "Industry", "Project", "Enterprise", "Indicator", "Observation", "Passage", "Award"]
)
def test_class_page_lists_members_with_key_attributes(web_app, web_client, local):
    resp = web_client.get(f"/class/{local}?lang=en")
    body = text(resp)
    assert resp.status_code == 200
    with web_app.app_context():
        members = site().ontology.class_counts.get(BASE + "def#" + local, 0)
    assert members > 0
    assert body.count("<tr>") >= min(members, PAGE_SIZE)
    assert "sort=label" in body
    assert f"</class/{local}.json>" in resp.headers["Link"]


def test_class_page_sorts_by_any_column(web_client):
    asc = web_client.get("/class/Observation.json?sort=value&order=asc").get_json()
    desc = web_client.get("/class/Observation.json?sort=value&order=desc").get_json()
    assert [r["iri"] for r in asc["rows"]] == [r["iri"] for r in reversed(desc["rows"])]
    values = [r["value"][0] for r in asc["rows"] if r["value"]]
    assert values == sorted(values)
    body = text(web_client.get("/class/Observation?sort=value&order=desc"))
    assert 'aria-sort="descending"' in body


def test_class_page_twins(web_client):
    data = web_client.get("/class/District.json").get_json()
    assert any(r["iri"] == JINPU for r in data["rows"])
    csv_resp = web_client.get("/class/District.csv")
    assert csv_resp.mimetype == "text/csv" and JINPU in text(csv_resp)
    ttl = web_client.get("/class/District.ttl")
    assert ttl.mimetype == "text/turtle" and "District" in text(ttl)


# ---- search -------------------------------------------------------------------------------------------------------


def test_search_finds_chinese_substrings(web_client):
    body = text(web_client.get("/search?q=金普&lang=en"))
    assert 'href="/page/jinpu"' in body


def test_search_finds_english_case_insensitively_and_full_width(web_client):
    data = web_client.get("/search.json?q=jinpu NEW").get_json()
    assert data["results"][0]["iri"] == JINPU  # exact and prefix matches first
    data = web_client.get("/search.json?q=ＤＡＬＩＡＮ").get_json()  # full-width Latin letters
    assert any(r["iri"] == BASE + "id/dalian" for r in data["results"])


def test_search_json_by_format_parameter_and_type_filter(web_client):
    data = web_client.get("/search?q=大连&format=json&type=City").get_json()
    assert data["results"] and all(any(t["iri"].endswith("#City") for t in r["types"]) for r in data["results"])


def test_search_reflects_the_query_escaped(web_client):
    evil = '<script>alert("x")</script>'
    body = text(web_client.get("/search", query_string={"q": evil}))
    assert evil not in body and "&lt;script&gt;" in body


@pytest.mark.parametrize("q,status", [("x" * 201, 400), ("a\x00b", 400), ("", 200), ("   ", 200), ("%%%", 200)])
def test_search_bad_input_is_a_clear_4xx(web_client, q, status):
    assert web_client.get("/search", query_string={"q": q}).status_code == status


def test_search_unknown_type_filter_is_400(web_client):
    assert web_client.get("/search?q=a&type=Nope").status_code == 400


# ---- report reader ------------------------------------------------------------------------------------------------


def test_report_highlights_every_passage_and_links_what_it_produced(web_app, web_client):
    body = text(web_client.get("/report?lang=en"))
    with web_app.app_context():
        s = site()
        passages = list(s.passages.values())
        some = next(p for p in passages if s.passages.derived.get(p.iri))
        produced = s.passages.derived[some.iri][0]
    for p in passages:
        assert f'id="{p.name}"' in body
    assert body.count('<mark class="hl') >= len(passages) // 2
    note = body[body.index(f'id="n-{some.name}"') :]
    note = note[: note.index("</li>")]
    assert f'href="{s.urls.page(produced)}"' in note


def test_report_text_is_the_source_verbatim(web_app, web_client):
    with web_app.app_context():
        s = site()
        source = (s.settings.build_dir / "source.txt").read_text(encoding="utf-8")
    body = text(web_client.get("/report"))
    article = body[body.index('<article class="report"') : body.index("</article>")]
    article = re.sub(r'<ul class="notes".*?</ul>', "", article, flags=re.DOTALL)
    shown = html.unescape(re.sub(r"<[^>]+>", "", article))
    assert "".join(shown.split()) == "".join(source.replace("**", "").replace("#", "").split())


def test_report_json(web_client):
    data = web_client.get("/report.json").get_json()
    first = data["passages"][0]
    assert first["anchor"].startswith("/report#") and first["end"] > first["start"]


# ---- ontology, downloads, validation ------------------------------------------------------------------------------


def test_ontology_documentation_page(web_client):
    body = text(web_client.get("/page/def?lang=en"))
    assert 'id="District"' in body and 'id="locatedIn"' in body
    assert "Domain" in body and "Range" in body
    assert "A district-level area" in body  # a definition


@pytest.mark.parametrize(
    "name,mimetype",
    [
        ("dataset.ttl", "text/turtle"),
        ("dataset.nt", "application/n-triples"),
        ("dataset.jsonld", "application/ld+json"),
        ("dataset.trig", "application/trig"),
        ("dataset.nq", "application/n-quads"),
        ("ontology.ttl", "text/turtle"),
        ("shapes.ttl", "text/turtle"),
        ("void.ttl", "text/turtle"),
        ("validation.ttl", "text/turtle"),
    ],
)
def test_downloads(web_client, name, mimetype):
    resp = web_client.get(f"/download/{name}")
    assert resp.status_code == 200 and resp.mimetype == mimetype and resp.data
    assert resp.headers.get("ETag")


def test_trig_and_nquads_keep_the_named_graphs(web_client):
    nq = text(web_client.get("/download/dataset.nq"))
    for graph in ("ontology", "asserted", "inferred"):
        assert f"<{BASE}graph/{graph}> ." in nq
    assert f"{BASE}graph/inferred" in text(web_client.get("/download/dataset.trig"))


def test_void_and_source_text(web_client):
    void = web_client.get("/.well-known/void")
    assert void.mimetype == "text/turtle" and "void:Dataset" in text(void)
    src = web_client.get("/source/jinpu-2021-report.txt")
    assert src.mimetype == "text/plain" and "金普新区" in text(src) and "utf-8" in src.content_type


def test_validation_page(web_client):
    body = text(web_client.get("/validation?lang=en"))
    assert "Conforms to the shapes" in body and "Validation Report" in body
    assert "Data Cube integrity constraints (W3C RDF Data Cube, section 11): 21 of 21 passed" in body
    assert "IC-12 No duplicate observations: passed" in body and "IC-21 Codes from hierarchy (inverse): passed" in body


def test_downloads_page_lists_every_file(web_client):
    body = text(web_client.get("/downloads"))
    for name in (
        "dataset.ttl",
        "dataset.nt",
        "dataset.jsonld",
        "dataset.trig",
        "dataset.nq",
        "ontology.ttl",
        "shapes.ttl",
    ):
        assert f'href="/download/{name}"' in body


# ---- bad input ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/page/nope",
        "/id/nope",
        "/data/nope.ttl",
        "/page/%3Cscript%3E",
        "/page/a%00b",
        "/page/" + "x" * 3000,
        "/page/../../etc/passwd",
        "/class/Nope",
        "/class/..%2F",
        "/term/Nope",
        "/download/../pyproject.toml",
        "/download/nope.ttl",
        "/source/other.txt",
        "/page/金普",
        "/id/jinpu/extra",
        "/page/jinpu.exe",
        "/nothing/here",
    ],
)
def test_unknown_paths_get_a_real_404_page(web_client, path):
    resp = web_client.get(path, headers={"Accept": "text/html"})
    assert resp.status_code == 404
    assert "<h1>" in text(resp) and 'action="/search"' in text(resp)


@pytest.mark.parametrize(
    "path,status",
    [
        ("/class/Project?page=abc", 400),
        ("/class/Project?page=999", 404),
        ("/query?name=nope", 404),
        ("/page/jinpu?x=" + "y" * 600, 400),
        ("/search?q=" + "z" * 9000, 414),
    ],
)
def test_bad_parameters_get_a_clear_4xx(web_client, path, status):
    assert web_client.get(path).status_code == status


def test_errors_answer_json_when_json_is_asked_for(web_client):
    resp = web_client.get("/page/nope", headers={"Accept": "application/json"})
    assert resp.status_code == 404 and resp.get_json()["status"] == 404


def test_post_to_a_page_is_405_not_500(web_client):
    assert web_client.post("/page/jinpu").status_code == 405


def test_every_route_is_documented_in_the_route_table():
    import kg.web

    for rule, _view in kg.web.ROUTES:
        assert rule.split("<")[0].rstrip("/") in kg.web.__doc__


def test_readiness_says_ready_with_the_build_version(web_client, build_settings) -> None:
    import json
    import time

    deadline = time.monotonic() + 30  # a remote store's version is read in the background: ready once it is known
    while (resp := web_client.get("/healthz")).status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    body = resp.get_json()
    manifest = json.loads((build_settings.build_dir / "manifest.json").read_text(encoding="utf-8"))
    assert body["status"] == "ready" and body["version"] == manifest["content_hash"].strip()
    assert body["version"].startswith("sha256:") and body["base_iri"] == build_settings.base_iri


def test_readiness_is_503_without_a_loaded_build(web_client, monkeypatch) -> None:
    from kg.store.base import DataVersion

    monkeypatch.setattr(DataVersion, "get", lambda self: "")
    resp = web_client.get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json()["status"] == "not ready" and "no loaded build" in resp.get_json()["reason"]


def test_an_app_refuses_to_open_a_build_of_another_base(build_settings, tmp_path) -> None:
    """It does not start at all (the server then exits with this one line); were the build swapped under a running
    app, /healthz would say not ready with the same reason."""
    import json
    import shutil
    from dataclasses import replace

    from kg.app import create_app
    from kg.artifacts import ArtifactError

    build = tmp_path / "build"
    shutil.copytree(build_settings.build_dir, build)
    manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    manifest["base_iri"] = "http://example.org/other/"
    (build / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ArtifactError, match="http://example.org/other/") as refused:
        create_app(replace(build_settings, build_dir=build))
    assert "\n" not in str(refused.value)


def test_quotes_come_with_their_english_translation(web_client):
    """Beside every quote, the passage's English translation (jp:translation), marked as a translation."""
    body = web_client.get("/page/obs-gdp-2021?lang=en").get_data(as_text=True)
    assert "2021年，金普新区实现地区生产总值2529亿元，同比增长9%" in body
    assert 'class="translation" lang="en"' in body
    assert "gross regional product reached 252.9 billion yuan, up 9% year on year" in body
    report = web_client.get("/report?lang=en").get_data(as_text=True)
    assert "up 9% year on year" in report
    data = web_client.get("/report.json").get_json()
    assert all(p["translation"] for p in data["passages"])
    ttl = web_client.get("/data/p-core-headline.ttl").get_data(as_text=True)
    assert "translation" in ttl and "@en" in ttl
