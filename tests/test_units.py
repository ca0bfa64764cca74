"""Table-driven tests of the pure functions, beside the end-to-end suites: written numbers, number formatting, IRI
mapping, form parsing, negotiation and the query policy's verdicts. Each row is a case a real input produced."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from kg.build.checks import parse_written_number
from kg.build.sources import section_at, section_starts, shorten
from kg.rdf.formats import UnknownFormat, negotiate, negotiate_document
from kg.rdf.sparql_text import UnsafeTerm, iri, string
from kg.sparql.errors import status_of
from kg.sparql.policy import QueryError, check_query, with_base
from kg.sparql.protocol import parse_form
from kg.store.base import BackendUnavailable, BadResponse, ExecutionError, QueryRejected
from kg.web.html import number
from kg.web.i18n import markup, translate
from kg.web.iris import IriMap
from kg.web.models.class_table import PAGE_SIZE, TableError, page_of

BASE = "https://w3id.org/jinpu-kg/"


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("2529", Decimal("2529")),
        ("1.4", Decimal("1.4")),
        ("1,000", Decimal("1000")),
        ("第二", Decimal(2)),
        ("十四", Decimal(14)),
        ("二十", Decimal(20)),
        ("一百", Decimal(100)),
        ("两", Decimal(2)),
        ("万", Decimal(10000)),
        ("十", Decimal(10)),
        ("五", Decimal(5)),
        ("", None),
        ("约", None),
        ("2529亿", None),
    ],
)
def test_written_numbers(written: str, value: Decimal | None) -> None:
    assert parse_written_number(written) == value


@pytest.mark.parametrize(
    ("value", "group", "text"),
    [
        (2529.0, False, "2529"),
        (Decimal("11.420"), False, "11.42"),
        (252900000000.0, True, "252,900,000,000"),
        (Decimal("0.09"), False, "0.09"),
        (None, False, ""),
        ("n/a", False, "n/a"),
        (-3, False, "-3"),
        (Decimal("1234.5"), True, "1,234.5"),
    ],
)
def test_number_formatting(value, group: bool, text: str) -> None:
    assert number(value, group=group) == text


@pytest.mark.parametrize(
    ("rows", "page", "shown", "pages"),
    [
        (0, 1, 0, 1),  # an empty table still has its first page
        (PAGE_SIZE, 1, PAGE_SIZE, 1),
        (PAGE_SIZE + 1, 1, PAGE_SIZE, 2),
        (PAGE_SIZE + 1, 2, 1, 2),
        (2 * PAGE_SIZE + 7, 3, 7, 3),
    ],
)
def test_class_table_paging(rows: int, page: int, shown: int, pages: int) -> None:
    on_page, count = page_of(list(range(rows)), page)
    assert (len(on_page), count) == (shown, pages)
    assert on_page[:1] == [(page - 1) * PAGE_SIZE][: len(on_page)]


@pytest.mark.parametrize(("rows", "page"), [(0, 2), (PAGE_SIZE, 2), (2 * PAGE_SIZE + 1, 4)])
def test_class_table_paging_past_the_end(rows: int, page: int) -> None:
    with pytest.raises(TableError) as info:
        page_of(list(range(rows)), page)
    assert info.value.status == 404 and "only" in str(info.value)


IRIS = IriMap(BASE)


@pytest.mark.parametrize(
    ("iri_", "name", "local", "fragment", "path"),
    [
        (BASE + "id/jinpu", "jinpu", None, None, "/id/jinpu"),
        (BASE + "def#District", None, "District", None, "/def#District"),
        (BASE + "id/p-1#quote", None, None, ("p-1", "quote"), "/id/p-1#quote"),
        (BASE + "def", "def", None, None, "/def"),
        (BASE + "graph/asserted", None, None, None, "/graph/asserted"),
        ("http://example.org/x", None, None, None, None),
        (BASE + "id/../etc", None, None, None, "/id/../etc"),
    ],
)
def test_iri_mapping(iri_: str, name, local, fragment, path) -> None:
    assert IRIS.name(iri_) == name
    assert IRIS.local(iri_) == local
    assert IRIS.fragment_owner(iri_) == fragment
    assert IRIS.path(iri_) == path


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("jinpu", True),
        ("ind-gdp", True),
        ("a.b_c~d", True),
        ("", False),
        ("-x", False),
        ("a/b", False),
        ("x" * 201, False),
        ("中文", False),
    ],
)
def test_entity_names(name: str, ok: bool) -> None:
    assert (IRIS.entity_iri(name) is not None) is ok


@pytest.mark.parametrize(
    ("body", "pairs"),
    [
        (b"query=ASK+%7B%7D", [("query", "ASK {}")]),
        (b"a=1&&b=2", [("a", "1"), ("b", "2")]),
        (b"q=%E9%87%91", [("q", "金")]),
        (b"flag", [("flag", "")]),
        (b"", []),
    ],
)
def test_form_parsing(body: bytes, pairs) -> None:
    assert parse_form(body) == pairs


@pytest.mark.parametrize(("body", "status"), [(b"q=%FF", 400), (b"&".join([b"a=1"] * 201), 400)])
def test_form_parsing_refuses(body: bytes, status: int) -> None:
    with pytest.raises(QueryError) as info:
        parse_form(body)
    assert info.value.status == status


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("SELECT * WHERE { SERVICE <http://example.org/> { ?s ?p ?o } }", 403),
        ("SELECT * WHERE { SeRvIcE <http://example.org/> { ?s ?p ?o } }", 403),
        ("SELECT * WHERE { \\u0053ERVICE <http://example.org/> { ?s ?p ?o } }", 403),
        ("SELECT * WHERE " + "{" * 500 + "}" * 500, 400),
    ],
)
def test_policy_refuses(query: str, status: int) -> None:
    with pytest.raises(QueryError) as info:
        check_query(query)
    assert info.value.status == status


@pytest.mark.parametrize(
    ("query", "from_graphs"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", None),
        ("SELECT * FROM <urn:a> WHERE { ?s ?p ?o }", ("urn:a",)),
        ("SELECT ?service WHERE { ?s <urn:p> ?service }", None),  # a variable named service is no SERVICE
        ('SELECT * WHERE { ?s ?p "FROM <urn:x>" }', None),  # nor is FROM inside a string
    ],
)
def test_policy_allows(query: str, from_graphs) -> None:
    assert check_query(query).from_graphs == from_graphs


@pytest.mark.parametrize(
    ("accept", "formats", "kind", "name"),
    [
        ("", (), "select", "json"),
        ("", (), "graph", "turtle"),
        ("text/csv", (), "select", "csv"),
        ("application/sparql-results+xml", (), "ask", "xml"),
        ("application/ld+json", (), "graph", "jsonld"),
        ("text/csv", (), "graph", None),
        ("*/*", (), "graph", "turtle"),
        ("text/html", (), "select", None),
        ("", ("json",), "graph", "jsonld"),
        ("", ("xml",), "graph", "rdfxml"),
        ("text/csv", ("tsv",), "select", "tsv"),
        ("", ("nope", "csv"), "select", "csv"),
    ],
)
def test_endpoint_negotiation(accept: str, formats: tuple, kind: str, name) -> None:
    assert negotiate(accept, formats)[kind] == name


def test_unknown_format_parameter() -> None:
    with pytest.raises(UnknownFormat):
        negotiate("", ("nope",))


@pytest.mark.parametrize(
    ("accept", "html", "choice"),
    [
        (None, True, "html"),
        ("", False, "ttl"),
        ("text/html,*/*;q=0.8", True, "html"),
        ("*/*", True, "html"),
        ("text/turtle", True, "ttl"),
        ("application/ld+json", True, "jsonld"),
        ("application/n-triples", True, "nt"),
        ("application/rdf+xml", True, "rdf"),
        ("text/n3", True, "ttl"),
        ("application/json", True, "jsonld"),
        ("text/turtle;q=0.5, application/ld+json", True, "jsonld"),
        ("image/png", True, None),
        ("text/html", False, None),
    ],
)
def test_document_negotiation(accept, html: bool, choice) -> None:
    assert negotiate_document(accept, html=html) == choice


@pytest.mark.parametrize(
    ("value", "ok"),
    [("http://x/a", True), ("http://x/a b", False), ("http://x/<a>", False), ('http://x/"', False), ("urn:a", True)],
)
def test_iris_into_sparql(value: str, ok: bool) -> None:
    if ok:
        assert iri(value) == f"<{value}>"
    else:
        with pytest.raises(UnsafeTerm):
            iri(value)


@pytest.mark.parametrize(("value", "written"), [('a"b', '"a\\"b"'), ("a\nb", '"a\\nb"'), ("a\\b", '"a\\\\b"')])
def test_strings_into_sparql(value: str, written: str) -> None:
    assert string(value) == written


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (QueryError(413, "too big"), 413),
        (QueryRejected("bad"), 400),
        (BackendUnavailable("down"), 503),
        (BadResponse("nonsense"), 502),
        (ExecutionError("?"), 500),
        (ValueError("bug"), 500),
    ],
)
def test_error_statuses(error: BaseException, status: int) -> None:
    assert status_of(error) == status


def test_translations_and_markup() -> None:
    assert translate("Home", "zh") == "首页" and translate("Home", "en") == "Home"
    assert translate("Not in the table", "zh") == "Not in the table"
    assert str(markup("{x} and <code>y</code>", "en", x="<b>")) == "&lt;b&gt; and <code>y</code>"


TEMPLATES = Path(__file__).resolve().parents[1] / "src" / "kg" / "web" / "templates"


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_templates_have_no_language_conditionals(template: str) -> None:
    """Interface text goes through the i18n table, never `"…" if lang == "zh" else "…"` in a template."""
    text = (TEMPLATES / template).read_text(encoding="utf-8")
    assert 'lang == "zh"' not in text and "lang == 'zh'" not in text and 'lang == "en"' not in text


def test_every_setting_is_documented() -> None:
    """Each Settings field is read from KG_<NAME>; the README or docs/ must say what it does."""
    from dataclasses import fields

    from kg.config import PROJECT_ROOT, Settings

    docs = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8") + "".join(
        p.read_text(encoding="utf-8") for p in sorted((PROJECT_ROOT / "docs").glob("*.md"))
    )
    missing = [f"KG_{f.name.upper()}" for f in fields(Settings) if f"KG_{f.name.upper()}" not in docs]
    assert not missing, f"settings nobody documented: {missing}"


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("短句", "短句"),
        ("全区高新技术企业总数达到495家，同比增长30%", "全区高新技术企业总数达到495…"),
        ("地区生产总值2529亿元", "地区生产总值2529…"),
        ("增长11.42%以上的好成绩", "增长11.42%…"),
        ("增长1,234元", "增长1,234…"),
        ("abcdef", "abcdef"),
    ],
)
def test_labels_are_never_cut_inside_a_number(text: str, label: str) -> None:
    limit = {"全": 13, "地": 8, "增": 4, "a": 6, "短": 5}[text[0]]
    assert shorten(text, limit) == label


# A report in the source's layout: an opening without a heading, a "##" section, a part without a heading (declared
# in the data by its first words and a name the report uses), a "###" column title, and a news item.
REPORT = (
    "核心提示 产业高地、开放高地\n\n## 产业\n\n产业句。\n\n作为前沿，开放句\n\n"
    "### 快讯 DUANXUN\n\n## 新闻\n\n新闻句。\n"
)
OPEN = [("作为前沿", "开放高地")]


@pytest.mark.parametrize(
    ("declared", "quote", "section"),
    [
        ([], "核心提示", None),  # the opening: no made-up section
        ([], "产业句", "产业"),
        ([], "开放句", "产业"),  # without the declaration the part falls under the heading above it
        (OPEN, "开放句", "开放高地"),
        (OPEN, "作为前沿", "开放高地"),  # a section's first words are in it
        (OPEN, "产业句", "产业"),
        (OPEN, "快讯", "开放高地"),  # a "###" column title starts no section
        (OPEN, "新闻", "新闻"),
        (OPEN, "新闻句", "新闻"),
    ],
)
def test_passages_get_the_section_they_stand_in(declared, quote: str, section: str | None) -> None:
    starts, problems = section_starts(REPORT, declared)
    assert not problems
    assert section_at(starts, REPORT.index(quote)) == section


@pytest.mark.parametrize(
    ("declared", "problem"),
    [
        ([("作为后方", "开放高地")], "must open a line"),  # not in the text
        ([("开放句", "开放高地")], "must open a line"),  # in the text, but inside a line
        ([("产业", "开放高地")], "must open a line"),  # more than once
        ([("作为前沿", "对外开放")], "not the report's own words"),
    ],
)
def test_declared_sections_are_checked_against_the_text(declared, problem: str) -> None:
    starts, problems = section_starts(REPORT, declared)
    assert len(problems) == 1 and problem in problems[0], problems
    assert [name for _, name in starts] == ["产业", "新闻"]


def test_stop_processes_ends_every_process() -> None:
    import subprocess
    import sys

    from kg.testing import stop_processes

    stubborn = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); time.sleep(60)"
    )
    polite = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    deaf = subprocess.Popen([sys.executable, "-c", stubborn], stdout=subprocess.PIPE)
    assert deaf.stdout.readline() == b"up\n"  # its SIGTERM handler is in place
    stop_processes(polite, deaf, None, timeout=1)
    assert polite.poll() is not None and deaf.poll() is not None


BASE = "https://w3id.org/jinpu-kg/sparql"


@pytest.mark.parametrize(
    ("query", "based"),
    [
        ("SELECT * WHERE { <id/jinpu> ?p ?o }", True),  # relative, no BASE: the endpoint's URL is declared
        ("ASK { ?s <def#kind> <def#Level> }", True),
        ("SELECT * FROM <graph/asserted> WHERE { ?s ?p ?o }", True),
        ("SELECT * WHERE { <https://w3id.org/jinpu-kg/id/jinpu> ?p ?o }", False),  # absolute: unchanged
        ("BASE <http://example.org/> SELECT * WHERE { <a> ?p ?o }", False),  # its own BASE is kept
        ("SELECT * WHERE { <id/jinpu> ?p }", False),  # malformed anyway: refused as sent, positions as sent
        # a function Oxigraph does not provide: a query all the same (running it says so), with or without the BASE
        ("SELECT (<http://example.org/f>(?x) AS ?y) WHERE {}", False),
        ("SELECT * WHERE { <id/jinpu> ?p ?o FILTER(<f>(?o)) }", True),
        ("SELECT * WHERE { ?s ?p ?o ", False),
    ],
)
def test_with_base_declares_the_endpoint_url_only_for_queries_that_need_it(query: str, based: bool) -> None:
    assert with_base(query, BASE) == (f"BASE <{BASE}>\n{query}" if based else query)
