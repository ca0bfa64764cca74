"""The UI in a real browser (Playwright driving Debian's Chromium, headless) against a live server: clicking through
home -> class page -> entity page -> source passage, running a canned query and following a result, the language
switch, phone width, no requests leaving the site, and content negotiation with a real RDF client (rdflib).

Screenshots of the home page, the district's page and the query page are written to $KG_SCREENSHOT_DIR when it is
set (`KG_SCREENSHOT_DIR=docs/screenshots python -m pytest tests/test_browser.py -k screenshots` refreshes the
committed ones), else to a temporary folder.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
import requests
from rdflib import RDFS, Graph, Literal, URIRef

from tests.fixtures_web import BASE

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

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US", base_url=live_server)
    context.set_default_timeout(15000)
    pg = context.new_page()
    yield pg
    context.close()


def test_home_to_class_to_entity_to_source_passage(page):
    page.goto("/")
    page.locator("#all-classes").click()  # the classes, one click from home
    page.wait_for_url(re.compile(r"/class/$"))
    page.locator('.tree a[href="/class/District"]').click()
    page.wait_for_url(re.compile(r"/class/District$"))
    assert page.locator("h1").inner_text() == "District"
    page.locator('table.members a[href="/page/jinpu"]').click()
    page.wait_for_url(re.compile(r"/page/jinpu$"))
    assert page.locator("h1").inner_text() == "Jinpu New District"
    assert page.locator("figure.chart svg").count() >= 1
    page.locator("#sources a", has_text="Read in the report").first.click()
    page.wait_for_url(re.compile(r"/report#p-"))
    anchor = urlparse(page.url).fragment
    target = page.locator(f'[id="{anchor}"] + mark')
    assert target.count() == 1
    assert page.evaluate("document.querySelector(':target') !== null")
    box = target.bounding_box()
    assert box is not None and 0 <= box["y"] < 900  # scrolled into view


def test_run_a_canned_query_and_follow_a_result_link(page):
    page.goto("/query")
    page.locator(".canned a", has_text="Projects with their enterprises").click()
    page.wait_for_url(re.compile(r"/query\?name=03-projects"))
    rows = page.locator("table.results-table tbody tr")
    assert rows.count() > 0
    first = page.locator("table.results-table tbody tr td a").first
    name = first.inner_text()
    first.click()
    page.wait_for_url(re.compile(r"/page/"))
    assert page.locator("h1").inner_text() == name


def _outside_requests(page, host: str) -> list[str]:
    """Abort and record every request that would leave the test server (the page must work offline)."""
    outside: list[str] = []

    def handle(route):
        url = route.request.url
        if urlparse(url).netloc in (host, "") or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    page.route("**/*", handle)
    return outside


def test_query_editor_is_yasgui_offline_with_local_completion_and_error_markers(page, live_server):
    outside = _outside_requests(page, urlparse(live_server).netloc)
    page.goto("/query")
    page.wait_for_selector(".yasqe .CodeMirror")
    assert page.locator(".yasqe .CodeMirror-linenumber").count() > 3  # line numbers
    assert page.locator("#query-text").is_hidden()  # the textarea is the form's input, under the editor
    page.evaluate("window.kgYasqe.setValue(''); window.kgYasqe.focus()")
    # typing a project prefix declares it; the class completes from the ontology, shown with its labels
    page.keyboard.type("SELECT * WHERE { ?d a jp:Distr", delay=15)
    hints = page.locator(".CodeMirror-hints li")
    hints.first.wait_for()
    assert "jp:District" in hints.first.inner_text() and "区" in hints.first.inner_text()
    page.keyboard.press("Enter")
    value = page.evaluate("window.kgYasqe.getValue()")
    assert value.startswith("PREFIX jp: <https://w3id.org/jinpu-kg/def#>") and "a jp:District" in value
    # entities complete by label from the data
    page.keyboard.type(" ; jp:locatedIn jpr:dalia", delay=15)
    hints.first.wait_for()
    assert any("Dalian" in h and "大连市" in h for h in hints.all_inner_texts())
    page.keyboard.press("Escape")
    page.evaluate("window.kgYasqe.setValue(window.kgYasqe.getValue().replace(/jpr:dalia.*$/, '?place }'))")
    # a syntax error is marked live, at its line
    page.evaluate("window.kgYasqe.setValue('SELECT * WHERE {\\n  ?s ?p\\n}')")
    page.wait_for_selector(".parseErrorIcon")
    # a pasted query using project prefixes without PREFIX lines gets them
    page.evaluate("window.kgYasqe.setValue('SELECT * WHERE { ?d a jp:District ; rdfs:label ?label }')")
    page.wait_for_function("window.kgYasqe.getValue().indexOf('PREFIX rdfs:') >= 0")
    page.wait_for_function("document.querySelectorAll('.parseErrorIcon').length === 0")
    page.locator(".CodeMirror textarea").focus()
    page.keyboard.press("Control+Enter")
    page.wait_for_url(re.compile(r"/query\?query="))
    page.wait_for_selector("table.results-table")
    assert page.locator("table.results-table td a", has_text="Jinpu New District").count() == 2  # zh and en label rows
    assert page.locator("table.results-table thead th").all_inner_texts()[:2] == ["?d", "?label"]  # query order
    assert outside == []


def test_query_editor_lets_the_keyboard_leave(page):
    page.goto("/query")
    page.wait_for_selector(".yasqe .CodeMirror")
    page.evaluate("window.kgYasqe.focus()")
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.type") == "submit"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('.CodeMirror') === null")


def test_results_table_sorts_filters_and_pages(page):
    page.goto(
        "/query?query="
        + requests.utils.quote(
            "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label "
            "FILTER(LANG(?label) = 'en') }"
        )
    )
    table = page.locator("table.results-table")
    table.wait_for()
    total = len(page.locator("table.results-table tbody tr").all())
    assert total > 100
    visible = page.locator("table.results-table tbody tr:visible")
    assert visible.count() == 100  # paged
    page.locator(".results-filter").fill("Big Data Industry")
    assert 1 <= visible.count() < 10
    assert all("big data industry" in t.lower() for t in visible.all_inner_texts())
    page.locator(".results-filter").fill("")
    page.locator(".pager .page-next").click()
    assert visible.count() == min(100, total - 100)
    # sorting by a numeric column sorts by number, both ways
    page.goto(
        "/query?query="
        + requests.utils.quote("PREFIX jp: <https://w3id.org/jinpu-kg/def#> SELECT ?o ?v WHERE { ?o jp:value ?v }")
    )
    button = page.locator("th .sort-button", has_text="?v")
    button.click()
    assert page.locator("th[aria-sort=ascending]").count() == 1

    def numbers() -> list[float]:
        return [
            float(t.replace(",", ""))
            for t in page.locator("table.results-table tbody tr:visible td:nth-child(2)").all_inner_texts()
        ]

    values = numbers()
    assert len(values) > 50 and values == sorted(values) and values[0] < values[-1]
    button.click()
    assert numbers() == sorted(values, reverse=True)


def test_search_box(page):
    page.goto("/")
    page.locator("header .search input").fill("金普")
    page.locator("header .search input").press("Enter")
    page.wait_for_url(re.compile(r"/search\?q="))
    assert page.locator('ol.hits a[href="/page/jinpu"]').count() == 1


def test_language_switch_persists(page):
    page.goto("/page/jinpu")
    assert page.locator("h1").inner_text() == "Jinpu New District"
    page.locator("a.lang-switch").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "金普新区"
    page.goto("/")
    assert "金普新区" in page.locator("h1").inner_text()
    page.goto("/page/dalian")
    assert page.locator("h1").inner_text() == "大连市"
    page.locator("a.lang-switch").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Dalian"


PHONE_PAGES = [
    "/",
    "/page/jinpu",
    "/page/obs-gdp-2021",
    "/page/p-innov-5g",
    "/query?name=03-projects",
    "/report",
    "/class/Observation",
    "/class/Project",
    "/class/",
    "/page/def",
    "/search?q=gdp",
    "/downloads",
    "/validation",
    "/compare",
    "/compare?f=obs-gdp-2021&f=obs-foreign-trade-2021&f=obs-gdp-growth-2021",
    "/class/Observation?page=2",
]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("path", PHONE_PAGES)
def test_phone_width_needs_no_sideways_scrolling(browser, live_server, path, lang):
    context = browser.new_context(viewport={"width": 360, "height": 780}, base_url=live_server, is_mobile=True)
    pg = context.new_page()
    pg.goto(path + ("&" if "?" in path else "?") + "lang=" + lang)
    width = pg.evaluate("document.documentElement.scrollWidth")
    header = pg.evaluate("document.querySelector('header.site').getBoundingClientRect().height")
    small = pg.evaluate("""() => [...document.querySelectorAll('main *, header *')].filter(e => e.childNodes.length
        && [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()) && e.getClientRects().length
        && !e.closest('svg') && parseFloat(getComputedStyle(e).fontSize) < 12)
        .map(e => e.tagName + '.' + e.className)""")
    context.close()
    assert width <= 360
    assert header <= 100  # a compact header: one line of brand, search and language, one of sections
    assert small == []  # 12 px minimum


def test_figure_tables_become_cards_on_a_phone(browser, live_server):
    context = browser.new_context(viewport={"width": 360, "height": 780}, base_url=live_server, is_mobile=True)
    pg = context.new_page()
    pg.goto("/page/jinpu?lang=en")
    table = pg.locator("table.figures")
    card = pg.locator("table.figures tbody tr:not(.group-row)").first
    box = card.bounding_box()
    assert table.evaluate("t => t.scrollWidth") <= 360
    assert box is not None and box["width"] <= 360
    value = card.locator("td[data-label=Value]")
    assert value.is_visible() and "亿元" in value.inner_text()
    assert card.locator("td[data-label=Source] a").is_visible()  # the quote is on screen, not off to the right
    label = value.evaluate("td => getComputedStyle(td, '::before').content")
    context.close()
    assert label == '"Value"'


def test_pages_load_nothing_from_elsewhere(page, live_server):
    host = urlparse(live_server).netloc
    outside = []
    page.on("request", lambda r: outside.append(r.url) if urlparse(r.url).netloc not in (host, "") else None)
    for path in ("/", "/page/jinpu", "/query?name=01-headline-figures", "/report", "/search?q=dalian"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
    assert outside == []


def test_rdflib_dereferences_the_entity_iri(live_server):
    g = Graph()
    g.parse(live_server + "/id/jinpu")  # rdflib asks for RDF and follows the 303
    jinpu = URIRef(BASE + "id/jinpu")
    assert (jinpu, RDFS.label, Literal("金普新区", lang="zh")) in g
    for fmt in ("turtle", "json-ld", "xml", "nt"):
        assert (jinpu, RDFS.label, Literal("Jinpu New District", lang="en")) in Graph().parse(
            live_server + "/id/jinpu", format=fmt
        )
    resp = requests.get(live_server + "/id/jinpu", headers={"Accept": "text/html"}, allow_redirects=False)
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/page/jinpu")


def test_screenshots(browser, live_server, tmp_path):
    out = Path(os.environ.get("KG_SCREENSHOT_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server, locale="en-US")
    pg = context.new_page()
    for path, name, full in (
        ("/?lang=en", "home.png", True),
        ("/page/jinpu?lang=en", "entity-jinpu.png", False),
        ("/query?name=03-projects&lang=en", "query.png", False),
        ("/page/obs-gdp-2021?lang=en", "cite.png", False),
        ("/class/Project?status=Signed&lang=en", "facets.png", False),
    ):
        pg.goto(path)
        pg.wait_for_load_state("networkidle")
        pg.screenshot(path=str(out / name), full_page=full)
        assert (out / name).stat().st_size > 20_000
    context.close()
    phone = browser.new_context(viewport={"width": 390, "height": 844}, base_url=live_server, is_mobile=True)
    pg = phone.new_page()
    pg.goto("/page/jinpu?lang=zh")
    pg.wait_for_load_state("networkidle")
    pg.locator("table.figures").scroll_into_view_if_needed()
    pg.screenshot(path=str(out / "phone-figures-zh.png"))
    assert (out / "phone-figures-zh.png").stat().st_size > 20_000
    phone.close()


AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"  # axe-core from npm, for the tests only
PAGE_KINDS = {
    "home": "/",
    "entity": "/page/jinpu",
    "figure": "/page/obs-gdp-2021",
    "passage": "/page/p-innov-5g",
    "classes": "/class/",
    "class-projects": "/class/Project",
    "class-figures": "/class/Observation",
    "term": "/term/Signed",
    "search": "/search?q=gdp",
    "query": "/query?name=03-projects",
    "report": "/report",
    "ontology": "/page/def",
    "downloads": "/downloads",
    "validation": "/validation",
    "compare-pick": "/compare",
    "compare": "/compare?f=obs-gdp-2021&f=obs-foreign-trade-2021&f=obs-gdp-growth-2021",
    "not-found": "/page/no-such-thing",
}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("kind", list(PAGE_KINDS))
def test_axe_finds_no_serious_accessibility_problem(page, kind, lang):
    path = PAGE_KINDS[kind]
    page.goto(path + ("&" if "?" in path else "?") + "lang=" + lang)
    page.wait_for_load_state("networkidle")
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']})).violations
        .filter(v => v.impact === 'serious' || v.impact === 'critical')
        .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))""")
    assert violations == []


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/page/jinpu",
        "/page/obs-gdp-2021",
        "/class/Observation",
        "/report",
        "/search?q=gdp",
        "/compare",
        "/compare?f=obs-gdp-2021&f=obs-gdp-growth-2021",
    ],
)
def test_chinese_text_on_english_pages_is_marked_as_chinese(page, path):
    page.goto(path + ("&" if "?" in path else "?") + "lang=en")
    unmarked = page.evaluate("""() => { const out = [];
        const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        let n;
        while ((n = walk.nextNode())) {
          if (!/[\\u3400-\\u9fff]/.test(n.textContent)) continue;
          const el = n.parentElement;
          if (el.closest('svg, script, style, template, textarea, .CodeMirror')) continue;
          if (!(el.closest('[lang]') || document.documentElement).getAttribute('lang').startsWith('zh'))
            out.push(n.textContent.trim().slice(0, 30));
        }
        return out; }""")
    assert unmarked == []


# ---- the personas' tasks, each at most two clicks from the home page, in both languages, on desktop and phone ----

VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(
    params=[(lang, device) for lang in ("en", "zh") for device in VIEWPORTS], ids=lambda p: f"{p[0]}-{p[1]}"
)
def persona(request, browser, live_server):
    lang, device = request.param
    context = browser.new_context(
        viewport=VIEWPORTS[device],
        base_url=live_server,
        is_mobile=device == "phone",
        locale="zh-CN" if lang == "zh" else "en-US",
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    context.set_default_timeout(15000)
    pg = context.new_page()
    pg.goto(f"/?lang={lang}")  # the language is remembered from here on
    yield pg, lang
    context.close()


def test_journalist_cites_a_figure_in_two_clicks(persona):
    page, _lang = persona
    page.locator("#headline .card a.big").first.click()  # 1: the GDP figure
    page.wait_for_url(re.compile(r"/page/obs-gdp-2021"))
    box = page.locator("#cite")
    assert box.is_visible()
    assert page.locator("#permalink").input_value() == BASE + "id/obs-gdp-2021"
    assert "2529亿元" in box.locator("q[lang=zh]").first.inner_text()
    assert "2022-01" in box.inner_text() and "大连金普新区2021年发展成就专题报道" in box.inner_text()
    page.locator("button.copy[data-copy='#permalink']").click()  # 2: copy the permalink
    assert page.evaluate("navigator.clipboard.readText()") == BASE + "id/obs-gdp-2021"
    bib = requests.get(page.url.split("/page/")[0] + "/cite/obs-gdp-2021.bib").text
    assert bib.startswith("@misc{jinpukg-obs-gdp-2021,")
    # the figure's page quotes its own sentence, whole
    assert "地区生产总值2529亿元" in page.locator(".figure-card blockquote").first.inner_text()


def test_economist_compares_shares_of_dalian_and_exports_them(persona):
    page, _lang = persona
    table = page.locator("#shares table.compare-table")  # on the home page itself
    assert table.is_visible()
    shares = [float(re.sub(r"[^\d.]", "", t)) for t in table.locator("td.num").all_inner_texts()]
    assert len(shares) >= 6 and shares == sorted(shares, reverse=True)
    assert page.locator("#chart-home-shares svg").count() == 1
    with page.expect_download() as download:
        page.locator("#shares a[href*='Observation.xlsx']").click()  # 1: the shares as a spreadsheet
    assert download.value.suggested_filename == "jinpu-kg-figures-area-jinpu-kind-Share.xlsx"


def test_analyst_filters_projects_in_two_clicks(persona):
    page, _lang = persona
    page.locator('#tasks a[href="/class/Project"]').click()  # 1: the projects
    page.wait_for_url(re.compile(r"/class/Project"))
    assert page.locator("#class-note").is_visible()  # these are the projects the report names, against 206 / 232
    signed = page.locator('#facets [data-facet=status] a[href*="status=Signed"]')
    if not signed.is_visible():
        page.locator("#facets [data-facet=status] summary").click()
    count = int(signed.locator(".count").inner_text()) if signed.locator(".count").count() else None
    signed.click()  # 2: only the signed ones
    page.wait_for_url(re.compile(r"status=Signed"))
    rows = page.locator("table.members tbody tr")
    assert rows.count() > 0 and (count is None or rows.count() == count)
    status_cells = page.locator("table.members tbody tr td:nth-child(2)").all_inner_texts()
    assert all(t.strip() in ("Signed", "已签约") for t in status_cells)
    assert page.locator("aside.machine a[href*='Project.csv?status=Signed']").count() == 1


def test_developer_runs_an_example_query_in_two_clicks(persona):
    page, _lang = persona
    page.locator("header.site nav a[href='/query']").click()  # 1: the query page
    page.wait_for_selector(".yasqe .CodeMirror")
    page.locator(".canned a[href='/query?name=05-shares-of-dalian']").click()  # 2: an example
    page.wait_for_selector("table.results-table")
    assert page.locator("table.results-table tbody tr").count() >= 6
    assert page.locator("table.results-table td a").first.inner_text().strip()  # labelled, linked cells
    assert page.locator(".results-filter").is_visible()


def test_analyst_compares_three_figures_in_three_clicks(persona):
    page, lang = persona
    page.locator("#tasks #task-compare").click()  # 1: the compare view
    page.wait_for_url(re.compile(r"/compare$"))
    page.locator("#compare-suggestions a").first.click()  # 2: the district's 2021 amounts in 亿元
    page.wait_for_url(re.compile(r"/compare\?f="))
    rows = page.locator("#compare-table tbody tr")
    assert rows.count() >= 3
    chart = page.locator("#compare-charts figure.chart").first
    assert chart.is_visible() and chart.locator("g.bar").count() == rows.count()  # one unit, one axis
    assert "亿元" in rows.first.inner_text()
    with page.expect_download() as download:
        page.locator("#compare-links a[href^='/compare.xlsx']").click()  # 3: the comparison as a spreadsheet
    assert download.value.suggested_filename.startswith("jinpu-kg-compare-obs-")
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_analyst_ticks_figures_on_an_entity_page_to_compare_them(page):
    page.goto("/page/jinpu?lang=zh")
    boxes = page.locator("form.figures-pick input[name=f]")
    for i in range(3):
        boxes.nth(i).check()
    page.locator("form.figures-pick button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/compare\?f="))
    assert page.locator("#compare-table tbody tr").count() == 3
    assert page.locator("h1").inner_text() == "比较数字"


def test_analyst_ticks_figures_in_the_figures_table_to_compare_them(page):
    page.goto("/class/Observation?lang=en")
    boxes = page.locator("#compare-pick input[name=f]")
    picked = [boxes.nth(i).get_attribute("value") for i in (0, 1, 3)]
    for i in (0, 1, 3):
        boxes.nth(i).check()
    page.locator("#compare-pick button[type=submit]").click()
    page.wait_for_url(re.compile(r"/compare\?f="))
    assert [p.split("=")[1] for p in page.url.split("?")[1].split("&")] == picked  # the selection is the link
    assert page.locator("#compare-table tbody tr").count() == 3
    assert page.locator("#compare-why").is_visible()  # a level and a growth rate do not share an axis


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_developer_opens_the_figures_tables_sparql_in_the_editor(page, lang):
    page.goto(f"/class/Observation?kind=Share&lang={lang}")
    count = int(page.locator("#member-count").inner_text().split("/")[0])
    page.locator("#table-sparql summary").click()
    assert "jp:Observation" in page.locator("#table-sparql pre").inner_text()
    page.locator("#open-sparql").click()  # one click
    page.wait_for_url(re.compile(r"/query\?query="))
    page.wait_for_selector(".yasqe .CodeMirror")
    text = page.evaluate("window.kgYasqe.getValue()")
    assert "?item a jp:Observation" in text and "jp:kind" in text
    page.wait_for_selector("table.results-table")
    assert page.locator("table.results-table tbody tr").count() == count
