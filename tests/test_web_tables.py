"""Tables for people, through the app on the real build: the compare view (2-8 figures side by side, a chart per
comparable group, the reason when they cannot share an axis, the selection in the URL with CSV/Excel twins), the
SPARQL each class table shows (run on /sparql, it gives that table's rows), the choice of columns and the pages,
the tabular downloads and the home page's tasks."""

from __future__ import annotations

import csv
import html
import io
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from kg.web.models.class_table import PAGE_SIZE

BASE = "https://w3id.org/jinpu-kg/"


def text(resp) -> str:
    return resp.get_data(as_text=True)


def compare_url(*names: str, ext: str = "") -> str:
    return f"/compare{ext}?" + urlencode([("f", n) for n in names]) + "&lang=en"


# ---- compare ---------------------------------------------------------------------------------------------------


def test_comparable_figures_share_one_chart_with_values_as_written_and_quotes(web_client):
    body = text(
        web_client.get(compare_url("obs-gdp-2021", "obs-foreign-trade-2021", "obs-fixed-asset-investment-2021"))
    )
    assert body.count('<figure class="chart"') == 1  # three levels in 亿元 of 2021: one axis
    chart = body[body.index('<figure class="chart"') : body.index("</figure>")]
    assert chart.count('<g class="bar') == 3 and "2529" in chart and "2570" in chart
    assert 'id="compare-why"' not in body
    table = body[body.index('id="compare-table"') :]
    assert table.count("<tr>") == 4  # a header and three figures
    assert "地区生产总值2529亿元" in table  # the quote
    assert (
        'href="/compare.csv?f=obs-gdp-2021&amp;f=obs-foreign-trade-2021&amp;f=obs-fixed-asset-investment-2021"' in body
    )


def test_figures_that_do_not_compare_get_a_chart_each_and_the_page_says_why(web_client):
    names = ("obs-gdp-2021", "obs-foreign-trade-2021", "obs-gdp-growth-2021", "obs-fixed-asset-investment-growth-2021")
    body = text(web_client.get(compare_url(*names)))
    assert body.count('<figure class="chart"') == 2  # levels in 亿元, growth rates in %
    why = body[body.index('id="compare-why"') :]
    why = why[: why.index("</p>")]
    assert "different kinds" in why and "different units" in why and "periods" not in why
    lone = text(web_client.get(compare_url("obs-gdp-2021", "obs-gdp-growth-2021")))
    assert '<figure class="chart"' not in lone  # a figure alone is in the table only
    assert "different kinds" in lone


def test_a_qualified_figure_is_compared_in_words_and_as_written(web_client):
    about = web_client.get("/class/Observation.json?qualifier=About").get_json()["rows"][0]["iri"]
    name = about.rsplit("/", 1)[-1]
    body = text(web_client.get(compare_url(name, "obs-gdp-2021")))
    row = body[body.index(f'href="/page/{name}"') :]
    row = row[: row.index("</tr>")]
    assert "about" in row and "the report says" in row and "约" in row


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("f=obs-gdp-2021&f=no-such-figure", "names no figure"),
        ("f=obs-gdp-2021&f=jinpu", "names no figure"),  # an entity, not a figure
        ("f=obs-gdp-2021&f=%3Cscript%3E", "names no figure"),
        ("f=obs-gdp-2021", "at least 2"),
        ("f=obs-gdp-2021&f=obs-gdp-2021", "at least 2"),
    ],
)
def test_bad_selections_are_a_400_with_a_message(web_client, query, message):
    for path in ("/compare", "/compare.csv", "/compare.xlsx"):
        resp = web_client.get(f"{path}?{query}&lang=en")
        assert resp.status_code == 400
        if path == "/compare":
            assert message in text(resp) and "<script>" not in text(resp)


def test_more_than_eight_figures_are_a_400(web_client):
    names = [r["iri"].rsplit("/", 1)[-1] for r in web_client.get("/class/Observation.json").get_json()["rows"][:9]]
    resp = web_client.get(compare_url(*names))
    assert resp.status_code == 400 and "At most 8" in text(resp)
    assert web_client.get(compare_url(*names[:8])).status_code == 200


def test_the_comparison_downloads_hold_the_figures_picked(web_client):
    names = ("obs-gdp-2021", "obs-gdp-growth-2021", "obs-foreign-trade-2021")
    resp = web_client.get(compare_url(*names, ext=".csv"))
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert (
        'filename="jinpu-kg-compare-obs-gdp-2021-obs-gdp-growth-2021-obs-foreign-trade-2021.csv"'
        in (resp.headers["Content-Disposition"])
    )
    rows = list(csv.DictReader(io.StringIO(text(resp).lstrip("\ufeff"))))
    assert [r["figure"] for r in rows] == [BASE + "id/" + n for n in names]
    assert rows[0]["value_as_written"] == "2529" and rows[0]["unit_as_written"] == "亿元"
    xlsx = web_client.get(compare_url(*names, ext=".xlsx"))
    assert xlsx.status_code == 200 and xlsx.mimetype.endswith("spreadsheetml.sheet")


def test_the_empty_compare_page_is_a_form_that_works_without_javascript(web_client):
    body = text(web_client.get("/compare?lang=en"))
    form = body[body.index('id="compare-form"') :]
    assert 'action="/compare" method="get"' in body
    assert form.count('type="checkbox" name="f"') == web_client.get("/class/Observation.json").get_json()["total"]
    links = [html.unescape(h) for h in re.findall(r'href="(/compare\?f=[^"]*)"', body)]
    assert len(links) >= 2
    for link in links:  # every ready-made comparison is one the page can show
        assert web_client.get(link).status_code == 200


def test_the_figures_tables_and_the_home_page_lead_to_the_compare_view(web_client):
    table = text(web_client.get("/class/Observation?lang=en"))
    form = table[table.index('id="compare-pick"') - 60 :]
    assert 'action="/compare"' in form[:200]
    assert form.count('type="checkbox" name="f" value="obs-') == PAGE_SIZE
    entity = text(web_client.get("/page/jinpu?lang=en"))  # an entity page's figures table is such a form too
    pick = entity[entity.index('class="figures-pick"') - 40 :]
    assert 'action="/compare"' in pick[:120] and 'name="f" value="obs-gdp-2021"' in pick
    home = text(web_client.get("/?lang=en"))
    assert 'href="/compare"' in home
    headline = html.unescape(re.search(r'href="(/compare\?f=[^"]*)" id="compare-headline"', home).group(1))
    assert web_client.get(headline).status_code == 200


def test_figures_found_by_search_can_be_compared(web_client):
    """Search for 增长 (growth): the growth figures it finds are ticked and compared, one chart for the rates."""
    found = text(web_client.get("/search?q=%E5%A2%9E%E9%95%BF&lang=en"))
    form = found[found.index('class="figures-pick"') - 60 :]
    assert 'action="/compare"' in form[:200]
    picked = re.findall(r'name="f" value="(obs-[^"]+-growth-2021)"', form)[:3]
    assert len(picked) == 3
    compared = text(web_client.get("/compare?" + "&".join(f"f={name}" for name in picked) + "&lang=en"))
    assert compared.count('<figure class="chart"') == 1 and all(name in compared for name in picked)


# ---- the SPARQL for a table -----------------------------------------------------------------------------------

TABLES = [
    "/class/Observation",
    "/class/Observation?kind=Share&area=jinpu",
    "/class/Observation?unit=亿元&theme=group-economy",
    "/class/Observation?qualifier=About&qualifier=MoreThan",
    "/class/Observation?of=jinpu",
    "/class/Project?status=Signed&status=Started",
    "/class/Project?of=jinpu&cols=status",
    "/class/Organization?kind=Enterprise",
    "/class/Project?industry=industry-digital-economy&place=jinpu",
    "/class/Organization?kind=GovernmentBody&kind=Enterprise",
    "/class/Passage",
    "/class/District",
    "/class/Indicator",
]


def table_sparql(body: str) -> str:
    href = html.unescape(re.search(r'<a href="([^"]+)" id="open-sparql">', body).group(1))
    assert urlsplit(href).path == "/query"
    return parse_qs(urlsplit(href).query)["query"][0]


@pytest.mark.parametrize("path", TABLES)
def test_the_sparql_for_a_table_gives_its_rows(web_client, path):
    base, _, args = path.partition("?")
    body = text(web_client.get(path))
    query = table_sparql(body)
    resp = web_client.get(
        "/sparql?" + urlencode({"query": query}), headers={"Accept": "application/sparql-results+json"}
    )
    assert resp.status_code == 200, text(resp)[:500]
    got = [b["item"]["value"] for b in resp.get_json()["results"]["bindings"]]
    table = web_client.get(f"{base}.json" + (f"?{args}" if args else "")).get_json()
    assert len(got) == len(set(got)) == table["total"] > 0
    assert set(got) == {r["iri"] for r in table["rows"]}
    count = re.search(r'id="member-count">(\d+)', body).group(1)
    assert int(count) == len(got)  # the count the page states


def test_the_sparql_selects_the_columns_chosen(web_client):
    body = text(web_client.get("/class/Project?cols=status&cols=investor&lang=en"))
    query = table_sparql(body)
    assert "AS ?status)" in query and "AS ?investor)" in query and "AS ?inIndustry)" not in query
    head = body[body.index("<thead>") : body.index("</thead>")]
    assert "sort=status" in head and "sort=investor" in head and "sort=inIndustry" not in head


# ---- columns, pages, facets -----------------------------------------------------------------------------------


def test_a_bad_column_is_a_400_naming_the_columns(web_client):
    for path in ("/class/Project?cols=nope", "/class/Project.csv?cols=nope"):
        resp = web_client.get(path + "&lang=en")
        assert resp.status_code == 400 and "status" in text(resp)


def test_the_csv_twin_keeps_the_columns_and_facets_chosen(web_client):
    resp = web_client.get("/class/Project.csv?status=Signed&cols=status")
    rows = list(csv.reader(io.StringIO(text(resp).lstrip("\ufeff"))))
    assert rows[0] == ["iri", "label_zh", "label_en", "status", "status_label"]
    signed = web_client.get("/class/Project.json?status=Signed").get_json()["total"]
    assert len(rows) - 1 == signed and all(r[3].endswith("#Signed") for r in rows[1:])


def test_long_tables_page_with_the_row_count_above_and_facets_kept(web_client):
    total = web_client.get("/class/Observation.json").get_json()["total"]
    assert total > PAGE_SIZE
    first = text(web_client.get("/class/Observation?lang=en"))
    assert f"Rows 1–{PAGE_SIZE} of {total}" in first
    assert first.index('id="row-range"') < first.index('<table class="members')
    second = text(web_client.get("/class/Observation?page=2&lang=en"))
    assert f"Rows {PAGE_SIZE + 1}–{total} of {total}" in second
    passages = web_client.get("/class/Passage.json").get_json()["total"]
    filtered = text(web_client.get("/class/Observation?kind=Count&page=1&lang=en"))
    counted = web_client.get("/class/Observation.json?kind=Count").get_json()["total"]
    assert f"of {counted}" in filtered and passages > PAGE_SIZE
    nxt = re.search(r'href="\?([^"]*)" class="page-next"', text(web_client.get("/class/Passage?sort=startOffset")))
    assert nxt and "sort=startOffset" in html.unescape(nxt.group(1)) and "page=2" in nxt.group(1)


# ---- downloads and home ---------------------------------------------------------------------------------------


def test_downloads_list_every_table_as_csv_and_excel_beside_the_rdf(web_client):
    body = text(web_client.get("/downloads?lang=en"))
    section = body[body.index('id="table-downloads"') : body.index('id="rdf"')]
    counts = web_client.get("/class/?format=json").get_json()
    with_members = [c for c in counts if c["members"] and c["page"].startswith("/class/")]
    for c in with_members:
        local = c["page"].removeprefix("/class/")
        assert f'href="/class/{local}.csv"' in section and f'href="/class/{local}.xlsx"' in section, local
    assert section.index("/class/Observation.csv") < section.index("/class/Project.csv")  # the figures first
    assert "/download/dataset.ttl" in body[body.index('id="rdf"') :]
    for local in ("Observation", "Project", "Passage"):
        resp = web_client.get(f"/class/{local}.xlsx")
        assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
