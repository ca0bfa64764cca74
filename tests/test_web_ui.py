"""What the personas come for, on the real build through the app: citing a figure (permalink, quote, translation,
publication, accessed date; plain text, BibTeX, CSL-JSON), quotes never cut mid-number, charts only where values
compare. The browser tests (tests/test_browser.py) click through the same tasks."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date

import pytest

from kg.web import charts
from kg.web.charts import MIN_BARS
from kg.web.models.citation import citation
from kg.web.quotes import cut

BASE = "https://w3id.org/jinpu-kg/"
TODAY = date.today().isoformat()


# ---- cite this -------------------------------------------------------------------------------------------------


def test_a_figure_page_has_a_cite_box_with_permalink_quote_publication_and_date(web_client):
    body = web_client.get("/page/obs-gdp-2021?lang=en").get_data(as_text=True)
    box = body[body.index('id="cite"') :]
    box = box[: box.index("</section>")]
    assert f'value="{BASE}id/obs-gdp-2021"' in box
    assert "2021年，金普新区实现地区生产总值2529亿元，同比增长9%" in box
    assert "大连金普新区2021年发展成就专题报道" in box and "2022-01" in box
    assert f'datetime="{date.today().isoformat()}"' in box or "datetime=" in box
    for ext in ("txt", "bib", "json"):
        assert f'href="/cite/obs-gdp-2021.{ext}"' in box


@pytest.mark.parametrize("path", ["/page/jinpu", "/page/p-innov-5g", "/page/ind-gdp"])
def test_entity_and_passage_pages_can_be_cited_too(web_client, path):
    body = web_client.get(path).get_data(as_text=True)
    assert 'id="cite"' in body and f"/cite/{path.rsplit('/', 1)[1]}.bib" in body


def test_ontology_terms_have_no_cite_box(web_client):
    assert 'id="cite"' not in web_client.get("/term/Signed").get_data(as_text=True)


def test_citation_downloads(web_client):
    txt = web_client.get("/cite/obs-gdp-2021.txt?lang=en")
    assert txt.status_code == 200 and txt.mimetype == "text/plain"
    assert 'filename="jinpu-kg-obs-gdp-2021.txt"' in txt.headers["Content-Disposition"]
    text = txt.get_data(as_text=True)
    assert text.startswith("Jinpu New District GDP, 2021. “2021年，金普新区实现地区生产总值2529亿元，同比增长9%”")
    # the data's English rendering follows the quote, marked as a translation
    assert re.search(r"” \(English translation, not the report’s words: “[^”]+”\)\.", text)
    assert f"{BASE}id/obs-gdp-2021" in text and "2022-01" in text and re.search(r"Accessed \d{4}-\d\d-\d\d\.", text)

    zh = web_client.get("/cite/obs-gdp-2021.txt?lang=zh").get_data(as_text=True)
    assert zh.startswith("2021年金普新区地区生产总值。“") and "见：大连金普新区2021年发展成就专题报道，2022-01。" in zh
    assert ". " not in zh and ", " not in zh  # full-width punctuation

    bib = web_client.get("/cite/obs-gdp-2021.bib").get_data(as_text=True)
    assert bib.startswith("@misc{jinpukg-obs-gdp-2021,")
    assert f"url = {{{BASE}id/obs-gdp-2021}}" in bib and "urldate = {" in bib and "9\\%" in bib

    csl = json.loads(web_client.get("/cite/obs-gdp-2021.json").get_data(as_text=True))
    item, report = csl
    assert item["type"] == "dataset" and item["URL"] == f"{BASE}id/obs-gdp-2021"
    assert item["original-title"] == "2021年金普新区地区生产总值" and "2529亿元" in item["note"]
    assert len(item["accessed"]["date-parts"][0]) == 3
    assert report["type"] == "article-newspaper" and report["issued"] == {"date-parts": [[2022, 1]]}
    assert report["title"] == "大连金普新区2021年发展成就专题报道"


@pytest.mark.parametrize("path", ["/cite/obs-gdp-2021.pdf", "/cite/obs-gdp-2021", "/cite/no-such-thing.bib"])
def test_bad_citation_requests_are_404(web_client, path):
    assert web_client.get(path).status_code == 404


def test_a_translation_is_shown_marked_as_one_when_the_data_give_it(web_app, web_client):
    from kg.web.dataset_index import site

    with web_app.app_context():
        s = site()
        fig = s.figures[BASE + "id/obs-gdp-2021"]
        passage = s.passages[fig.passages[0]]
        assert passage.translation is None or passage.translation  # whatever the data hold
        saved = passage.translation
        passage.translation = "In 2021, Jinpu New District's GDP reached 252.9 billion yuan, up 9%."
        try:
            c = citation(s, fig.iri, "en", date(2026, 1, 2))
            assert "(English translation, not the report’s words: “In 2021" in c.plain()
            assert "English translation (not the report's words): In 2021" in c.bibtex()
            assert "English translation (not the report's words): In 2021" in c.csl()[0]["note"]
            assert c.quote == passage.exact  # the quote stays verbatim
        finally:
            passage.translation = saved
    # and on the page, beside the quote, marked as a translation
    with web_app.app_context():
        s = site()
        passage = s.passages[s.figures[BASE + "id/obs-gdp-2021"].passages[0]]
        saved = passage.translation
        passage.translation = "In 2021, Jinpu New District's GDP reached 252.9 billion yuan."
        try:
            body = web_client.get("/page/obs-gdp-2021?lang=en").get_data(as_text=True)
        finally:
            passage.translation = saved
    assert re.search(
        r'<p class="translation" lang="en"><span class="badge translation-badge"[^>]*>English translation'
        r"</span> In 2021, Jinpu",
        body,
    )


# ---- quotes are never cut mid-number -------------------------------------------------------------------------


def test_quote_cut_never_splits_a_number():
    assert cut("完成全口径税收598.37亿元，同比增长9%", 10) == "完成全口径税收598.37亿元…"
    assert cut("同比增长9%，增幅", 5) == "同比增长9%…"
    assert cut("short", 10) == "short"


def test_no_page_shows_a_quote_cut_inside_a_number(web_client):
    for path in ("/page/ind-tax-revenue", "/page/jinpu", "/class/Passage", "/report"):
        body = web_client.get(path).get_data(as_text=True)
        assert not re.search(r"\d…", body), path


# ---- charts -------------------------------------------------------------------------------------------------------


def test_charts_have_three_comparable_values_sorted_with_a_scale_and_a_table(web_client):
    body = web_client.get("/page/jinpu?lang=en").get_data(as_text=True)
    charts = re.findall(r'<figure class="chart".*?</figure>', body, re.DOTALL)
    assert charts
    for chart in charts:
        svg = re.search(r"<svg.*?</svg>", chart, re.DOTALL).group(0)
        assert 'aria-hidden="true"' in svg and "<a " not in svg  # a picture; the links are in the table
        values = re.findall(r'<td class="num">(?:<span lang="zh">)?([^<]+)(?:</span>)?</td>', chart)
        assert len(values) >= MIN_BARS
        numbers = [float(re.sub(r"[^\d.\-]", "", v)) for v in values]
        assert numbers == sorted(numbers, reverse=True)
        assert len(re.findall(r'class="tick"', svg)) >= 2
        assert "…" not in svg  # labels wrap, never cut
    shares = next(c for c in charts if "Share of Dalian" in c)
    assert "Share of Dalian (%)" in shares and "45%" in shares and "57%" in shares


def test_pages_with_fewer_than_three_comparable_values_have_no_chart(web_client):
    body = web_client.get("/page/ind-gdp?lang=en").get_data(as_text=True)
    for chart in re.findall(r'<figure class="chart".*?</figure>', body, re.DOTALL):
        assert len(re.findall(r'<td class="num">', chart)) >= MIN_BARS


def test_qualified_bars_are_drawn_apart_and_named_in_a_legend(web_app):
    """An approximation is hatched, a lower bound ends in an arrow, and the legend names each in words."""
    bars = [
        charts.Bar("exact", 10.0, "10"),
        charts.Bar("about", 8.0, "about 8", qualifier="About"),
        charts.Bar("more than", 6.0, "more than 6", qualifier="MoreThan"),
    ]
    chart = charts.layout(charts.Chart(title="t", bars=bars, ident="t"))
    with web_app.test_request_context("/?lang=en"):
        svg = web_app.jinja_env.get_template("_chart.html").render(chart=chart, _=lambda s, **kw: s.format(**kw))
    assert svg.count("is-approx") == 1 and svg.count("is-lower-bound") == 1 and svg.count('class="arrow"') == 1
    assert "about or nearly (the report says 约, 左右 or 近)" in svg
    assert "more than (the report says 超, 突破, 余 or 以上)" in svg
    plain = charts.layout(charts.Chart(title="t", bars=[charts.Bar("a", 1.0, "1")] * 3, ident="p"))
    with web_app.test_request_context("/?lang=en"):
        svg = web_app.jinja_env.get_template("_chart.html").render(chart=plain, _=lambda s, **kw: s.format(**kw))
    assert "legend" not in svg


def test_charts_put_only_comparable_figures_side_by_side(web_client):
    """Growth rates of one year, shares of one whole, values of one indicator; never unrelated amounts in 亿元."""
    body = web_client.get("/page/jinpu?lang=en").get_data(as_text=True)
    titles = re.findall(r'<figcaption id="chart-[^"]*-t">([^<]*)</figcaption>', body)
    assert titles and all(t.startswith(("Year-on-year growth", "Share of")) for t in titles), titles
    assert "Figures (亿元)" not in body


# ---- search -------------------------------------------------------------------------------------------------------


def _search(client, q: str) -> list[str]:
    data = client.get("/search.json", query_string={"q": q}).get_json()
    return [r["iri"].removeprefix(BASE + "id/") for r in data["results"]]


@pytest.mark.parametrize(
    "q,first",
    [
        ("GDP", "obs-gdp-2021"),  # an indicator's own name finds its headline figure first, then the indicator
        ("地区生产总值", "obs-gdp-2021"),
        ("2529", "obs-gdp-2021"),  # numbers as written
        ("2529亿元", "obs-gdp-2021"),
        ("45%", "obs-industrial-output-share-dalian-2021"),
        ("jinpu gdp", "obs-gdp-2021"),  # several words, each anywhere
        ("金普", "jinpu"),
        ("Dalian", "dalian"),
        ("tax", "ind-tax-revenue"),
    ],
)
def test_search_ranks_the_thing_named_first(web_client, q, first):
    assert _search(web_client, q)[0] == first


def test_search_several_words_must_all_match(web_client):
    hits = _search(web_client, "share dalian")
    assert len(hits) >= 5 and all("share-dalian" in h for h in hits[:5])
    assert _search(web_client, "gdp nonexistentword") == []


def test_search_finds_words_of_quotes_and_says_so(web_client):
    data = web_client.get("/search.json", query_string={"q": "招商活动"}).get_json()
    assert data["results"]
    body = web_client.get("/search", query_string={"q": "瞪羚企业18家", "lang": "en"}).get_data(as_text=True)
    assert "In the quote" in body and '<q lang="zh">' in body


# ---- facets ------------------------------------------------------------------------------------------------------


def _facets(data: dict) -> dict[str, dict[str, dict]]:
    return {fc["key"]: {v["value"]: v for v in fc["values"]} for fc in data["facets"]}


def test_project_facets_have_counts_and_combine(web_client):
    everything = web_client.get("/class/Project.json").get_json()
    facets = _facets(everything)
    assert {"status", "investor", "place"} <= facets.keys()
    assert sum(v["count"] for v in facets["status"].values()) >= everything["total"]  # every project has a status
    signed = web_client.get("/class/Project.json?status=Signed").get_json()
    assert signed["total"] == facets["status"]["Signed"]["count"] > 0
    assert all(any(c["iri"].endswith("#Signed") for c in r["status"]) for r in signed["rows"])
    both = web_client.get("/class/Project.json?status=Signed&status=Started").get_json()  # one facet: OR
    assert both["total"] == facets["status"]["Signed"]["count"] + facets["status"]["Started"]["count"]
    place = next(k for k, v in _facets(signed)["place"].items() if v["count"] > 0)
    narrowed = web_client.get(f"/class/Project.json?status=Signed&place={place}").get_json()  # two facets: AND
    assert 0 < narrowed["total"] <= signed["total"]
    assert _facets(narrowed)["status"]["Signed"]["selected"] is True


def test_statuses_are_listed_and_sorted_in_project_order(web_client):
    order = list(_facets(web_client.get("/class/Project.json").get_json())["status"])
    known = [s for s in ["Signed", "Started", "UnderConstruction", "Completed", "InOperation"] if s in order]
    assert [s for s in order if s in known] == known
    rows = web_client.get("/class/Project.json?sort=status").get_json()["rows"]
    ranks = [order.index(r["status"][0]["iri"].rsplit("#", 1)[1]) for r in rows if r["status"]]
    assert ranks == sorted(ranks)


def test_facets_work_without_javascript_as_links_and_the_page_says_what_it_shows(web_client):
    body = web_client.get("/class/Project?status=Signed&lang=en").get_data(as_text=True)
    assert 'aria-current="true"' in body and "Clear all filters" in body
    assert re.search(r'href="/class/Project\?[^"]*status=Signed[^"]*status=Started', body.replace("&amp;", "&"))
    assert re.search(r'id="member-count">\d+ / \d+<', body)
    assert "These are the projects the report names" in body and "206" in body and "232" in body
    assert 'href="/class/Project.csv?status=Signed' in body  # the twins keep the filter


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_projects_table_says_the_report_gives_no_investment_per_project(web_client, lang):
    """Where a journalist looks for 'the largest project by investment': the report has group totals only."""
    body = web_client.get(f"/class/Project?lang={lang}").get_data(as_text=True)
    note = body[body.index('id="no-project-investment"') :]
    note = re.sub(r"<[^>]+>", "", note[: note.index("</span></p>")])
    said = (
        "The report gives no investment amount for any single project"
        if lang == "en"
        else "报道没有给出任何单个项目的投资额"
    )
    assert said in note
    assert ("about 565亿元" if lang == "en" else "约565亿元") in note
    assert ("about 3260亿元" if lang == "en" else "约3260亿元") in note


def test_figure_facets_kind_theme_unit_area_qualifier(web_client):
    data = web_client.get("/class/Observation.json?kind=Share&area=jinpu").get_json()
    assert {"kind", "theme", "unit", "area", "qualifier"} <= _facets(
        web_client.get("/class/Observation.json").get_json()
    ).keys()
    assert data["total"] >= 6 and all(r["kind"][0]["iri"].endswith("#Share") for r in data["rows"])
    bounds = web_client.get("/class/Observation.json?qualifier=MoreThan").get_json()
    assert bounds["total"] == 7 and {r["iri"].rsplit("/", 1)[-1] for r in bounds["rows"]} >= {
        "obs-tech-contract-turnover-2021"
    }


@pytest.mark.parametrize(
    "url",
    [
        "/class/Project?status=Nope",
        "/class/Project.json?place=atlantis",
        "/class/Observation.csv?qualifier=maybe",
        "/class/Observation?of=no-such-thing",
    ],
)
def test_bad_facet_values_are_a_400_with_a_message(web_client, url):
    resp = web_client.get(url, headers={"Accept": "text/html"})
    assert resp.status_code == 400
    assert "is not a value of this facet" in resp.get_data(as_text=True) or "of=" in resp.get_data(as_text=True)


# ---- spreadsheet-ready downloads --------------------------------------------------------------------------------


def test_figures_csv_is_spreadsheet_ready(web_client):
    resp = web_client.get("/class/Observation.csv?kind=Share&area=jinpu")
    raw = resp.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark: Excel reads the Chinese right
    assert 'filename="jinpu-kg-figures-area-jinpu-kind-Share.csv"' in resp.headers["Content-Disposition"]
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert (
        rows
        and {
            "figure_label",
            "indicator_label",
            "area_label",
            "value_as_written",
            "unit_as_written",
            "normalized_value",
            "normalized_unit",
            "period",
            "quote",
            "source",
            "share_of_area_label",
        }
        <= rows[0].keys()
    )
    row = next(r for r in rows if r["value_as_written"] == "45")
    assert row["unit_as_written"] == "%" and row["share_of_area_label"] in ("Dalian", "大连市")
    assert "45%" in row["quote"] and row["source"].startswith("http") and "/report#p-" in row["source"]


def test_every_iri_column_has_a_label_beside_it(web_client):
    import csv
    import io

    text = web_client.get("/class/Project.csv?lang=zh").get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    for i, name in enumerate(header):
        if any(r[i].startswith("https://") for r in rows[1:]) and name not in ("iri",):
            assert header[i + 1] == name + "_label", name
    assert "label_zh" in header and any("已签约" in r[header.index("status_label")] for r in rows[1:])


def test_figures_xlsx(web_client):
    import io

    from openpyxl import load_workbook

    resp = web_client.get("/class/Observation.xlsx?of=jinpu")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    assert 'filename="jinpu-kg-figures-jinpu.xlsx"' in resp.headers["Content-Disposition"]
    ws = load_workbook(io.BytesIO(resp.get_data())).active
    header = [c.value for c in ws[1]]
    gdp = next(r for r in ws.iter_rows(min_row=2, values_only=True) if r[0].endswith("/obs-gdp-2021"))
    rec = dict(zip(header, gdp, strict=True))
    assert rec["value"] == 2529 and rec["unit_as_written"] == "亿元" and rec["normalized_value"] == 252900000000
    assert "2529亿元" in rec["quote"]
    assert web_client.get("/class/Project.xlsx").status_code == 200  # every class is offered as a spreadsheet


# ---- compare -----------------------------------------------------------------------------------------------------


def test_home_compares_the_districts_shares_of_dalian_in_one_table_and_chart(web_client):
    body = web_client.get("/?lang=en").get_data(as_text=True)
    section = re.search(r'<section class="compare" id="shares">.*?</section>', body, re.DOTALL).group(0)
    assert "Jinpu New District&#39;s share of Dalian" in section or "Jinpu New District's share of Dalian" in section
    table = re.search(r'<table class="compare-table">.*?</table>', section, re.DOTALL).group(0)
    shares = [float(x) for x in re.findall(r'class="figure-value">([\d.]+)%<', table)]
    assert len(shares) >= 6 and shares == sorted(shares, reverse=True) and {45.0, 57.0} <= set(shares)
    assert '<figure class="chart" id="chart-home-shares"' in section
    assert "/class/Observation.xlsx?kind=Share&amp;area=jinpu" in section


def test_chinese_pages_use_full_width_punctuation_in_labels(web_client):
    body = web_client.get("/?lang=zh").get_data(as_text=True)
    assert "全部占比数字：" in body and "全部占比数字:" not in body
    assert "占大连市比重（%）" in body


# ---- Chinese pages ------------------------------------------------------------------------------------------------

# names that stay as they are in Chinese text: formats, standards, abbreviations the report itself uses
TECHNICAL = {
    "SPARQL",
    "RDF",
    "JSON",
    "JSON-LD",
    "Turtle",
    "CSV",
    "OWL",
    "SHACL",
    "VoID",
    "DCAT",
    "GDP",
    "TriG",
    "N-Quads",
    "N-Triples",
    "RDF/XML",
    "HTML",
    "Excel",
    "BibTeX",
    "CSL-JSON",
    "PREFIX",
    "IRI",
    "Data",
    "Cube",
    "English",
    "Ctrl",
    "Enter",
    "Space",
    "PROV",
    "SKOS",
    "SDMX",
    "RCEP",
    "DUANXUN",
    "xlsx",
}


def english_words(html_text: str) -> list[str]:
    """Latin words of four letters or more in the visible text, outside code, IRIs and fragments marked English."""
    from html.parser import HTMLParser

    void = {"br", "img", "input", "meta", "link", "hr", "rect", "line", "source"}

    class Visible(HTMLParser):
        def __init__(self):
            super().__init__()
            self.stack: list[bool] = []
            self.words: list[str] = []

        def handle_starttag(self, tag, attrs):
            if tag in void:
                return
            a = dict(attrs)
            self.stack.append(
                tag in ("code", "pre", "script", "style", "kbd", "textarea", "title", "template")
                or (a.get("lang") or "").startswith("en")
            )

        def handle_endtag(self, tag):
            if tag not in void and self.stack:
                self.stack.pop()

        def handle_data(self, data):
            if any(self.stack):
                return
            data = re.sub(r"\S*(https?://|\w:\w|/|\.\w{2,4}\b)\S*", " ", data)  # IRIs, CURIEs, paths, files
            self.words += [w for w in re.findall(r"[A-Za-z][A-Za-z'-]{3,}", data) if w not in TECHNICAL]

    parser = Visible()
    parser.feed(html_text)
    return parser.words


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/page/jinpu",
        "/page/obs-gdp-2021",
        "/page/p-innov-5g",
        "/class/Project",
        "/class/Observation",
        "/term/Signed",
        "/search?q=gdp",
        "/report",
        "/downloads",
        "/validation",
        "/page/no-such-thing",
    ],
)
def test_chinese_pages_have_no_english_left(web_client, path):
    body = web_client.get(path + ("&" if "?" in path else "?") + "lang=zh").get_data(as_text=True)
    assert english_words(body) == []


def test_normalized_amounts_in_chinese_units(web_client):
    body = web_client.get("/page/obs-gdp-2021?lang=zh").get_data(as_text=True)
    assert "2529亿元" in body and "CNY" not in re.sub(r"<code.*?</code>|title=\"[^\"]*\"", "", body)


def test_query_results_as_csv_with_labels_beside_iris(web_client):
    import csv
    import io

    body = web_client.get("/query?name=03-projects&lang=en").get_data(as_text=True)
    link = next(h.replace("&amp;", "&") for h in re.findall(r'href="(/query\.csv\?[^"]+)"', body))
    resp = web_client.get(link + "&lang=zh")
    assert resp.status_code == 200 and resp.get_data().startswith(b"\xef\xbb\xbf")
    assert 'filename="jinpu-kg-query-03-projects.csv"' in resp.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(resp.get_data().decode("utf-8-sig"))))
    assert rows and "project_label" in rows[0] and rows[0]["project"].startswith(BASE)
    assert all(r["project_label"] for r in rows)
    assert web_client.get("/query.csv", query_string={"query": "SELECT nonsense {"}).status_code == 400
    assert web_client.get("/query.csv", query_string={"query": "ASK {}"}).status_code == 400


def test_entity_pages_offer_their_figures_as_csv_and_excel(web_client):
    body = web_client.get("/page/jinpu").get_data(as_text=True)
    assert 'href="/class/Observation.csv?of=jinpu"' in body and 'href="/class/Observation.xlsx?of=jinpu"' in body
    data = web_client.get("/class/Observation.json?of=jinpu").get_json()
    assert data["total"] >= 20 and any(r["iri"].endswith("/obs-gdp-2021") for r in data["rows"])


def test_search_finds_quotes_through_their_english_translation(web_app, web_client):
    from kg.web.dataset_index import site

    with web_app.app_context():
        s = site()
        passage = s.passages[s.figures[BASE + "id/obs-gdp-2021"].passages[0]]
        fig = s.figures[BASE + "id/obs-gdp-2021"]
        names = " ".join(
            " ".join(s.names.labels.get(i or "", {}).values()) for i in (fig.iri, fig.indicator, fig.area)
        ).lower()
    if not passage.translation:
        pytest.skip("the data give no translation of this passage")
    word = [w for w in re.findall(r"[A-Za-z]{5,}", passage.translation) if w.lower() not in names][0]
    # the word is in no name of the figure, only in its quote's translation; 2529 is its value
    hits = _search(web_client, f"{word} 2529")
    assert "obs-gdp-2021" in hits


# ---- figures as the report states them ---------------------------------------------------------------------------


def test_every_figure_citation_holds_the_figure_as_written(web_app, web_client):
    """Plain text in both languages, BibTeX and CSL-JSON: the quote holds the number as the report writes it
    (约565亿元, 突破80亿元, 前10位), also where the layout cut its sentence in two."""
    from kg.web.dataset_index import site
    from kg.web.html import Formatter

    with web_app.app_context():
        s = site()
        figures = [(s.iris.name(f.iri), Formatter(s, "zh").as_written(f)) for f in s.figures.values()]
    assert len(figures) >= 94
    missing = []
    for name, as_written in figures:
        for ext, lang in (("txt", "zh"), ("txt", "en"), ("bib", "en"), ("json", "en")):
            body = web_client.get(f"/cite/{name}.{ext}?lang={lang}").get_data(as_text=True)
            if (as_written.replace("%", "\\%") if ext == "bib" else as_written) not in body:
                missing.append(f"{name}.{ext} ({lang}): {as_written!r}")
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_figure_is_shown_as_an_approximation_sign_or_a_percentage_of_a_multiple(web_client, lang):
    pages = ["/", "/class/Observation", "/page/jinpu", "/page/obs-foreign-capital-2021", "/report"]
    for path in pages:
        body = web_client.get(f"{path}?lang={lang}").get_data(as_text=True)
        assert "≈" not in body, path
        assert "+650%" not in body and "12,600%" not in body and "12600%" not in body, path
    home = web_client.get(f"/?lang={lang}").get_data(as_text=True)
    said = "up 6.5 times (增长6.5倍)" if lang == "en" else "增长6.5倍"
    assert said in re.sub(r"<[^>]+>", "", home)
    assert 'class="note-ref" href="/term/Multiple"' in home  # how to read 增长N倍, one click away


def test_figures_csv_says_each_qualifier_in_words(web_client):
    body = web_client.get("/class/Observation.csv?lang=en").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body)))
    by_name = {r["figure"].rsplit("/", 1)[-1]: r for r in rows}
    tech = by_name["obs-tech-contract-turnover-2021"]
    assert tech["qualifier"].endswith("#MoreThan") and tech["qualifier_label"] == "more than"
    assert tech["qualifier_as_written"] == "突破" and tech["as_written"] == "突破80亿元"
    assert tech["in_words"] == "more than 80亿元"
    assert by_name["obs-detdz-asia-top-100-rank"]["in_words"] == "top 10"
    assert by_name["obs-gdp-2021"]["qualifier"] == "" and by_name["obs-gdp-2021"]["in_words"] == "2529亿元"
    assert "投资总额约565亿元" in by_name["obs-started-projects-investment-2021"]["quote"]
