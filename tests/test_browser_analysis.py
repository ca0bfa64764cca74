"""Analysis in a real browser (Playwright driving Debian's Chromium against a live server, both languages, desk and
phone width): charting a query's result in at most two clicks, a shared link that draws the same chart, the Share
button copying the editor's current text, and a search for a phrase of the report landing on its sentence."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

from tests.test_browser import AXE, CHROMIUM, _outside_requests, browser  # noqa: F401 (fixture)

sync_api = pytest.importorskip("playwright.sync_api")

SHARES = "/query?name=05-shares-of-dalian"
HEADLINE = "/query?name=01-headline-figures"
WIDTHS = {"desk": (1280, 900), "phone": (390, 844)}


@pytest.fixture(params=[(w, lang) for w in WIDTHS for lang in ("en", "zh")], ids=lambda p: f"{p[0]}-{p[1]}")
def view(request, browser, live_server):  # noqa: F811
    width, lang = request.param
    w, h = WIDTHS[width]
    context = browser.new_context(
        viewport={"width": w, "height": h}, base_url=live_server, is_mobile=width == "phone", locale="en-US"
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    context.set_default_timeout(20000)
    pg = context.new_page()
    pg.lang = lang
    yield pg
    context.close()


def _no_sideways_scroll(pg) -> None:
    assert pg.evaluate("document.documentElement.scrollWidth") <= pg.viewport_size["width"]


def _texts(pg, selector: str) -> list[str]:
    return pg.eval_on_selector_all(selector, "els => els.map(e => e.textContent)")


def _serious_axe_violations(pg) -> list[str]:
    pg.add_script_tag(path=str(AXE))
    return pg.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']})).violations
        .filter(v => v.impact === 'serious' || v.impact === 'critical')
        .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))""")


def test_chart_a_result_in_one_click_and_share_it(view, live_server):
    host = urlparse(live_server).netloc
    outside = _outside_requests(view, host)
    view.goto(f"{SHARES}&lang={view.lang}")
    view.locator("#chart-open").click()  # one click from the result
    view.wait_for_selector("#chart-view[data-drawn] svg")
    assert view.locator("#chart-view svg .mark-rect path").count() > 0  # bars
    args = parse_qs(urlparse(view.url).query)
    assert args["chart"] == ["bar"] and args["y"] == ["share"] and args["x"] == ["figure"]
    axis_title = _texts(view, "#chart-view svg .role-axis-title text")
    assert "?share (%)" in axis_title  # the variable's name and its one unit
    if view.lang == "zh":  # categories by their label in the page's language
        assert re.search(r"[\u4e00-\u9fff]", " ".join(_texts(view, "#chart-view svg .role-axis-label text")))
    view.select_option("#chart-type", "line")
    view.wait_for_selector("#chart-view[data-drawn^='line'] svg")
    assert parse_qs(urlparse(view.url).query)["chart"] == ["line"]
    _no_sideways_scroll(view)
    assert _serious_axe_violations(view) == []

    view.locator("#share-button").click()
    link = view.locator("#share-url").input_value()
    view.wait_for_function("document.getElementById('share-status').textContent.trim() !== ''")
    shared = parse_qs(urlparse(link).query)
    assert shared["chart"] == ["line"] and "jp:kind jp:Share" in shared["query"][0]
    view.goto(link.replace(live_server, ""))  # the shared link draws the same chart
    view.wait_for_selector("#chart-view[data-drawn^='line:figure:share'] svg")
    assert view.locator("#chart-type").input_value() == "line"
    assert outside == []


def test_share_links_the_editors_current_text_and_copies_it(browser, live_server):  # noqa: F811
    context = browser.new_context(base_url=live_server)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    pg = context.new_page()
    pg.goto(SHARES)
    pg.wait_for_function("window.kgYasqe !== undefined")
    pg.evaluate("window.kgYasqe.setValue('SELECT ?s WHERE { ?s a jp:Project } LIMIT 3')")
    assert pg.locator("#share-link").is_hidden()  # the old link (last run query) gives way to the button
    pg.locator("#share-button").click()
    link = pg.locator("#share-url").input_value()
    assert parse_qs(urlparse(link).query)["query"] == ["SELECT ?s WHERE { ?s a jp:Project } LIMIT 3"]
    assert pg.evaluate("navigator.clipboard.readText()") == link
    pg.goto(link.replace(live_server, ""))
    assert pg.locator("table.results-table tbody tr").count() == 3
    context.close()


def test_a_result_mixing_units_gets_a_warning_not_a_chart(browser, live_server):  # noqa: F811
    context = browser.new_context(base_url=live_server)
    pg = context.new_page()
    pg.goto(HEADLINE + "&chart=bar&x=indicator&y=value")
    warning = pg.locator("#chart-warning")
    warning.wait_for()
    assert "several units" in warning.inner_text()
    assert pg.locator("#chart-view svg").count() == 0
    context.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("width", list(WIDTHS))
def test_find_a_phrase_of_the_report_and_land_on_its_sentence(browser, live_server, lang, width):  # noqa: F811
    w, h = WIDTHS[width]
    context = browser.new_context(viewport={"width": w, "height": h}, base_url=live_server, is_mobile=width == "phone")
    pg = context.new_page()
    pg.goto(f"/search?q=%E9%9A%90%E5%BD%A2%E5%86%A0%E5%86%9B&lang={lang}")  # 隐形冠军
    hit = pg.locator("#report-hits a.sentence-hit").first
    assert hit.locator("mark").inner_text() == "隐形冠军"
    _no_sideways_scroll(pg)
    assert _serious_axe_violations(pg) == []
    hit.click()
    pg.wait_for_url(re.compile(r"/report#s-\d+$"))
    anchor = urlparse(pg.url).fragment
    assert pg.evaluate("document.querySelector(':target') && document.querySelector(':target').id") == anchor
    sentence = pg.evaluate(f"document.getElementById('{anchor}').parentElement.textContent")
    assert "隐形冠军" in sentence
    box = pg.locator(f'[id="{anchor}"]').bounding_box()
    assert box is not None and 0 <= box["y"] < h  # scrolled into view
    context.close()


def test_suggestions_are_a_keyboard_combobox(browser, live_server):  # noqa: F811
    context = browser.new_context(base_url=live_server)
    pg = context.new_page()
    pg.goto("/?lang=zh")
    box = pg.locator("header form[role=search] input[name=q]")
    box.fill("大连")
    assert box.get_attribute("role") == "combobox" and box.get_attribute("aria-autocomplete") == "list"
    listbox = pg.locator("#" + box.get_attribute("aria-controls"))
    listbox.locator("li[role=option]").first.wait_for()
    assert box.get_attribute("aria-expanded") == "true"
    box.press("ArrowDown")
    first = listbox.locator("li[role=option]").first
    assert box.get_attribute("aria-activedescendant") == first.get_attribute("id")
    assert first.get_attribute("aria-selected") == "true"
    box.press("Escape")
    assert box.get_attribute("aria-expanded") == "false" and listbox.is_hidden()
    box.press("ArrowDown")  # opens again
    listbox.locator("li[role=option]").first.wait_for()
    box.press("ArrowDown")
    page_url = listbox.locator("li[aria-selected=true]").get_attribute("data-page")
    box.press("Enter")
    pg.wait_for_url(re.compile(re.escape(page_url) + "$"))
    context.close()
