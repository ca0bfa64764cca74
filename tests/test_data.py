"""Data correctness: the source is the published text, `kg build` (the judge of every figure) passes, every quote
stands in the source verbatim, every number of the report is a figure, labels are as written."""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal

import pytest
from rdflib import RDF, Graph, Literal, Namespace
from rdflib.namespace import RDFS, SKOS

from kg.build import run
from kg.config import DEFAULT_BASE_IRI, PROJECT_ROOT, Settings

SOURCE = PROJECT_ROOT / "data" / "source" / "jinpu-2021-report.txt"
SOURCE_SHA256 = "ab727830033bec770b23b062ede9339e45b8f5fff21b12c6c1b3ebcf25b2415a"
JP = Namespace(DEFAULT_BASE_IRI + "def#")
JPR = Namespace(DEFAULT_BASE_IRI + "id/")
PROV = Namespace("http://www.w3.org/ns/prov#")
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def text() -> str:
    return SOURCE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def data() -> Graph:
    g = Graph()
    for path in sorted((PROJECT_ROOT / "data").rglob("*.ttl")):
        g.parse(path, format="turtle", publicID=DEFAULT_BASE_IRI)
    return g


def observations(data: Graph) -> list:
    return sorted(set(data.subjects(RDF.type, JP.Observation)))


def quotes_of(data: Graph, node) -> list[str]:
    return [str(q) for p in data.objects(node, PROV.wasDerivedFrom) for q in data.objects(p, JP.exact)]


def test_source_is_the_published_text() -> None:
    assert hashlib.sha256(SOURCE.read_bytes()).hexdigest() == SOURCE_SHA256
    shared = PROJECT_ROOT.parent / "shared" / "source" / "jinpu-2021-report.txt"
    if shared.exists():
        assert shared.read_bytes() == SOURCE.read_bytes()
    note = PROJECT_ROOT / "data" / "source" / "README.md"
    assert "January 2022" in note.read_text(encoding="utf-8")


def test_every_quote_occurs_verbatim_in_the_source(data: Graph, text: str) -> None:
    passages = set(data.subjects(RDF.type, JP.Passage))
    assert len(passages) >= 50
    missing = [(str(p), str(q)) for p in passages for q in data.objects(p, JP.exact) if str(q) not in text]
    assert not missing


def test_the_build_finds_no_problem_with_the_data() -> None:
    """`kg build` is the judge of the figures (every number of the report is one; each as written in its quote, its
    qualifier; no figure twice), of the passages (each quote once in the source, no two on one span) and of the
    shapes; tests/test_build.py shows that each of these checks fails on data that breaks it."""
    result = run(Settings())
    assert result.conforms, result.report_text


def test_figures_are_complete(data: Graph) -> None:
    obs = observations(data)
    assert len(obs) >= 94, len(obs)  # every number of the report (the build checks each is a figure)
    for o in obs:
        for prop in (JP.indicator, JP.refArea, JP.refPeriod, JP.value, JP.unitAsWritten, JP.kind):
            assert data.value(o, prop) is not None, (o, prop)


@pytest.mark.parametrize(
    ("indicator", "kind", "value", "unit", "normalized"),
    [
        ("ind-gdp", "Level", "2529", "亿元", "252900000000"),
        ("ind-gdp", "YearOnYearGrowth", "9", "%", "0.09"),
        ("ind-fixed-asset-investment", "Level", "400", "亿元", "40000000000"),
        ("ind-industrial-output", "Level", "3570", "亿元", "357000000000"),
        ("ind-industrial-output", "YearOnYearGrowth", "14.5", "%", "0.145"),
        ("ind-foreign-capital", "Level", "11.42", "亿美元", "1142000000"),
        ("ind-foreign-capital", "Multiple", "6.5", "倍", "6.5"),
        ("ind-foreign-trade", "Level", "2570", "亿元", "257000000000"),
        ("ind-disposable-income", "Level", "5.2", "万元", "52000"),
        ("ind-disposable-income", "YearOnYearGrowth", "7.3", "%", "0.073"),
        ("ind-budget-revenue", "Level", "210.32", "亿元", "21032000000"),
        ("ind-tax-revenue", "Level", "598.37", "亿元", "59837000000"),
    ],
)
def test_headline_figures(data: Graph, indicator: str, kind: str, value: str, unit: str, normalized: str) -> None:
    """The district's headline 2021 figures, as the report's second paragraph states them."""
    found = [
        o
        for o in data.subjects(JP.indicator, JPR[indicator])
        if data.value(o, JP.kind) == JP[kind]
        and data.value(o, JP.refArea) == JPR.jinpu
        and Decimal(str(data.value(o, JP.value))) == Decimal(value)
    ]
    assert len(found) == 1, found
    o = found[0]
    assert str(data.value(o, JP.unitAsWritten)) == unit
    assert Decimal(str(data.value(o, JP.normalizedValue))) == Decimal(normalized)
    assert str(data.value(o, JP.refPeriod)) == "2021"


def test_shares_of_dalian(data: Graph) -> None:
    shares = {
        Decimal(str(data.value(o, JP.value)))
        for o in data.subjects(JP.parentArea, JPR.dalian)
        if data.value(o, JP.kind) == JP.Share
    }
    assert {Decimal(45), Decimal(57), Decimal("26.8"), Decimal("46.6"), Decimal("23.7"), Decimal("26.7")} <= shares


@pytest.mark.parametrize(
    ("value", "indicator", "words"),
    [
        ("46.6", "ind-foreign-capital-utilized", "实际利用外资"),
        ("23.7", "ind-domestic-capital-outside-province", "引进省外内资"),
        ("26.7", "ind-domestic-capital-within-province", "省内到位内资"),
    ],
)
def test_capital_shares_name_the_measure_the_report_names(data: Graph, value: str, indicator: str, words: str) -> None:
    """实际利用外资 (utilized) is not 实际到位外资 (received, the headline 11.42亿美元): each share of Dalian's capital
    counts in the measure its sentence names, as numerator and as denominator."""
    [o] = [
        o for o in data.subjects(JP.parentArea, JPR.dalian) if Decimal(str(data.value(o, JP.value))) == Decimal(value)
    ]
    assert data.value(o, JP.indicator) == JPR[indicator]
    assert data.value(o, JP.shareOfIndicator) == JPR[indicator]
    assert [str(lbl) for lbl in data.objects(JPR[indicator], RDFS.label) if lbl.language == "zh"] == [words]
    [zh] = [str(lbl) for lbl in data.objects(o, RDFS.label) if lbl.language == "zh"]
    assert words in zh, zh
    received = [str(lbl) for p in (RDFS.label, SKOS.altLabel) for lbl in data.objects(JPR["ind-foreign-capital"], p)]
    assert "实际利用外资" not in received


ENTITY_CLASSES = (
    "Place",
    "District",
    "City",
    "Province",
    "Country",
    "Region",
    "NaturalPlace",
    "Park",
    "Facility",
    "Industry",
    "IndustrialChain",
    "Organization",
    "GovernmentBody",
    "Enterprise",
    "Platform",
    "Product",
    "Event",
    "Program",
    "Project",
    "Designation",
    "Person",
    "Layout",
    "IndustryGroup",
)


def test_every_node_has_chinese_and_english_labels(data: Graph) -> None:
    problems = []
    for s in set(data.subjects(RDF.type, None)):
        if not str(s).startswith(DEFAULT_BASE_IRI):
            continue
        labels = list(data.objects(s, RDFS.label))
        zh = [lbl for lbl in labels if isinstance(lbl, Literal) and lbl.language == "zh"]
        en = [lbl for lbl in labels if isinstance(lbl, Literal) and lbl.language == "en"]
        if any(t in (JP.Passage,) for t in data.objects(s, RDF.type)):
            continue  # passage labels are written by the build
        if len(zh) != 1 or len(en) != 1:
            problems.append(f"{s}: zh={zh} en={en}")
        elif CJK.search(str(en[0])):
            problems.append(f"{s}: English label has Chinese characters: {en[0]!r}")
    assert not problems, "\n".join(problems)


def test_entity_chinese_names_are_as_written(data: Graph, text: str) -> None:
    """Named entities carry the report's own wording as their Chinese label or an alternative label (the layout's
    line breaks inside a name do not count)."""
    text = text.replace("\n", "")
    problems = []
    # Projects and designations are often described rather than named ("东北特钢工业互联网应用场景"), so not here.
    for cls in set(ENTITY_CLASSES) - {"Project", "Designation"}:
        for s in set(data.subjects(RDF.type, JP[cls])):
            names = [
                str(n)
                for p in (RDFS.label, SKOS.altLabel)
                for n in data.objects(s, p)
                if isinstance(n, Literal) and n.language == "zh"
            ]
            if not any(n in text for n in names):
                problems.append(f"{s}: none of {names} occurs in the report")
    assert not problems, "\n".join(problems)


def test_plans_stay_plans(data: Graph) -> None:
    actions = set(data.subjects(RDF.type, JP.PlannedAction))
    assert actions, "the 2022 work list is in the graph"
    for a in actions:
        assert data.value(a, JP.planned).toPython() is True
    for obs in observations(data):
        if data.value(obs, JP.planned) == Literal(True):
            assert str(data.value(obs, JP.refPeriod)) == "2022", obs


def test_every_entity_and_figure_is_traceable(data: Graph) -> None:
    untraced = []
    for cls in ENTITY_CLASSES + (
        "Observation",
        "Indicator",
        "Relation",
        "Award",
        "Acquisition",
        "CooperationAgreement",
        "Plan",
        "PlannedAction",
    ):
        for s in set(data.subjects(RDF.type, JP[cls])):
            if not quotes_of(data, s):
                untraced.append(str(s))
    assert not untraced


def test_data_files_are_split_by_theme() -> None:
    names = {p.name for p in (PROJECT_ROOT / "data").glob("*.ttl")}
    assert {
        "core.ttl",
        "economy.ttl",
        "industry.ttl",
        "projects.ttl",
        "innovation.ttl",
        "opening-up.ttl",
        "livelihood.ttl",
        "news.ttl",
    } <= names
    for path in (PROJECT_ROOT / "data").glob("*.ttl"):
        # IRIs are relative to the one base setting, never spelled out in a data file
        assert DEFAULT_BASE_IRI not in path.read_text(encoding="utf-8"), path


# --- Data defects found in an audit, each as a check of its kind ----------------------------------------------------------

REPORT_YEAR, PUBLISHED = 2021, "2022-01"  # the year the report is about; its publication month


def test_no_period_later_than_the_report_unless_planned(data: Graph) -> None:
    """A figure of a year after the report's own is a plan, or a fact the report dates in its publication month."""
    problems = []
    for obs in observations(data):
        year = int(str(data.value(obs, JP.refPeriod)))
        planned = data.value(obs, JP.planned) == Literal(True)
        as_of = str(data.value(obs, JP.asOf) or "")
        if year > int(PUBLISHED[:4]) or (year > REPORT_YEAR and not planned and not as_of.startswith(PUBLISHED)):
            problems.append(f"{obs}: period {year}, planned={planned}, asOf={as_of!r}")
    assert not problems, "\n".join(problems)


def test_planned_figures_have_indicators_of_their_own(data: Graph) -> None:
    """A target never shares its indicator with achieved figures, so a query for an area's GDP never returns one."""
    planned = {o for o in observations(data) if data.value(o, JP.planned) == Literal(True)}
    achieved_indicators = {data.value(o, JP.indicator) for o in observations(data) if o not in planned}
    mixed = [
        f"{o}: {data.value(o, JP.indicator)}" for o in planned if data.value(o, JP.indicator) in achieved_indicators
    ]
    assert not mixed, "\n".join(mixed)


# The words of a quote that support each status; a status is checked against the quotes of the node that has it.
STATUS_WORDS = {
    "Signed": ("签约", "签署", "签订"),
    "Started": ("开工", "启动"),
    "UnderConstruction": ("建设", "推进"),
    "InOperation": ("运营", "投产", "投用", "上线", "运行", "开通", "运作", "推行", "推出"),
    "Completed": ("建成", "完成"),
    "BasicallyCompleted": ("基本建成",),
    "UnderNegotiation": ("在谈",),
    "InReserve": ("储备",),
    "Approved": ("获批", "批复", "批准"),
    "Established": ("成立", "组建", "建立", "搭建", "设立", "推出"),
    "MovedIn": ("入驻",),
    "BeingUpgraded": ("迭代升级",),
}


def test_statuses_match_the_words_of_the_quote(data: Graph) -> None:
    problems = []
    for s, status in data.subject_objects(JP.status):
        name = str(status).removeprefix(str(JP))
        quotes = quotes_of(data, s)
        if name == "Planned":
            if data.value(s, JP.planned) != Literal(True):
                problems.append(f"{s}: status Planned but not jp:planned true")
            continue
        words = STATUS_WORDS[name]
        if not any(w in q for q in quotes for w in words):
            problems.append(f"{s}: status {name} but none of {words} in {quotes}")
        if name == "Completed" and any("基本建成" in q for q in quotes):
            problems.append(f"{s}: 基本建成 (basically completed) is not Completed")
    assert not problems, "\n".join(problems)


def test_growth_in_bei_records_the_text_its_reading_and_a_note(data: Graph) -> None:
    """增长N倍: the text's N in 倍, normalized as growth N (the new value is N+1 times the old), with a note saying so."""
    found = 0
    for o in observations(data):
        if str(data.value(o, JP.unitAsWritten)) != "倍":
            continue
        found += 1
        value = Decimal(str(data.value(o, JP.value)))
        written = re.escape(str(data.value(o, JP.valueAsWritten)))
        assert any(re.search(f"增长(高达)?{written}倍", q) for q in quotes_of(data, o)), o
        assert data.value(o, JP.kind) == JP.Multiple, o
        assert Decimal(str(data.value(o, JP.normalizedValue))) == value, o
        assert data.value(o, JP.normalizedUnit) == JPR["unit-ratio"], o
        notes = [str(n) for n in data.objects(o, SKOS.note) if n.language == "en"]
        ratio = value + 1
        assert any(f"{ratio:f}".rstrip("0").rstrip(".") in n and "fold" in n for n in notes), (o, notes)
    assert found == 2


def test_preferred_chinese_labels_are_verbatim(data: Graph, text: str) -> None:
    """Industries, chains and designations: the report's own words are the preferred label; a constructed name
    may only be an alternative label."""
    text = text.replace("\n", "")
    problems = []
    for cls in ("Industry", "IndustrialChain", "Designation"):
        for s in set(data.subjects(RDF.type, JP[cls])):
            zh = [str(lbl) for lbl in data.objects(s, RDFS.label) if lbl.language == "zh"]
            if not any(z in text for z in zh):
                problems.append(f"{s}: preferred label {zh} is not the report's wording")
    assert not problems, "\n".join(problems)


def test_one_english_name_per_enterprise(data: Graph) -> None:
    """An enterprise's English alternative labels are forms of its one English name (Nidec / Nidec Corporation),
    never a second name (泰星能源 is Prime Planet Energy & Solutions, not also 'Taixing Energy')."""
    problems = []
    for e in set(data.subjects(RDF.type, JP.Enterprise)):
        name = next(str(lbl) for lbl in data.objects(e, RDFS.label) if lbl.language == "en")
        for alt in data.objects(e, SKOS.altLabel):
            if alt.language == "en" and name.split()[0].lower() not in str(alt).lower():
                problems.append(f"{e}: {alt!s} is another name than {name}")
    assert not problems, "\n".join(problems)
    assert not [s for s, o in data.subject_objects(RDFS.label) if "Taixing" in str(o)]


@pytest.mark.parametrize(
    ("node", "english"),
    [
        ("dalian-ftz-area", "China (Liaoning) Pilot Free Trade Zone Dalian Area"),  # the official word order
        ("taixing-energy", "Prime Planet Energy & Solutions"),
        ("mayi-island-marine-ranch", "Mayi Island"),  # no designation added to the name
        ("three-major-articles", "Three major tasks of structural adjustment"),  # 三篇大文章: tasks, not articles
    ],
)
def test_english_labels(data: Graph, node: str, english: str) -> None:
    assert [str(lbl) for lbl in data.objects(JPR[node], RDFS.label) if lbl.language == "en"] == [english]


# periodAsWritten -> (words of the Chinese label, words of the English label); a label never says a year these replace.
PERIOD_WORDS = {
    "目前": ("目前", ", currently"),
    "截至目前": ("截至目前", ", to date"),
    "近三年每年": ("近三年", "per year, last three years"),
    "2021年以来": ("2021年以来", ", since the start of 2021"),
    "累计": ("累计", "cumulative"),
}


def test_figure_labels_follow_one_pattern_per_kind(data: Graph) -> None:
    """docs/DATA-GUIDE.md "Figure labels": shares "<part>'s share of <whole>", growth "<measure>, year-on-year growth,
    <period>", ranks "<subject>'s rank <scope> by <measure>", the period as the report writes it."""
    problems = []
    for o in observations(data):
        [zh] = [str(lbl) for lbl in data.objects(o, RDFS.label) if lbl.language == "zh"]
        [en] = [str(lbl) for lbl in data.objects(o, RDFS.label) if lbl.language == "en"]
        kind, parent = data.value(o, JP.kind), data.value(o, JP.parentArea)
        if kind == JP.Share and parent is not None:
            area = next(str(lbl) for lbl in data.objects(data.value(o, JP.refArea), RDFS.label) if lbl.language == "en")
            whole = next(str(lbl) for lbl in data.objects(parent, RDFS.label) if lbl.language == "en")
            if not en.startswith(f"{area}'s share of {whole}'s "):
                problems.append(f"{o}: {en!r}")
        elif kind == JP.Share and "share of" not in en:
            problems.append(f"{o}: {en!r}")
        if kind == JP.YearOnYearGrowth and not (", year-on-year growth, " in en and "同比增长" in zh):
            problems.append(f"{o}: {en!r} / {zh!r}")
        if kind == JP.Rank and "'s rank " not in en:
            problems.append(f"{o}: {en!r}")
        period = str(data.value(o, JP.periodAsWritten) or "")
        if period in PERIOD_WORDS:
            words_zh, words_en = PERIOD_WORDS[period]
            if words_zh not in zh or words_en not in en:
                problems.append(f"{o}: {period} not in {zh!r} / {en!r}")
            if period in ("目前", "截至目前", "近三年每年") and ("2021" in zh or "2021" in en):
                problems.append(f"{o}: {period} but the label says 2021: {zh!r} / {en!r}")
    assert not problems, "\n".join(problems)


def test_a_self_description_is_not_an_award(data: Graph) -> None:
    """成为“东北瞪羚企业第一区” is the report's description of the district, not a designation someone conferred."""
    for award in data.subjects(RDF.type, JP.Award):
        des = data.value(award, JP.designation)
        assert "东北瞪羚企业第一区" not in [str(lbl) for lbl in data.objects(des, RDFS.label)], award


def test_every_award_has_its_shortcut(data: Graph) -> None:
    missing = [
        f"{r} {d}"
        for a in data.subjects(RDF.type, JP.Award)
        for d in [data.value(a, JP.designation)]
        for r in data.objects(a, JP.recipient)
        if (r, JP.hasDesignation, d) not in data
    ]
    assert not missing, "\n".join(missing)


def test_no_investor_the_text_does_not_name(data: Graph) -> None:
    """A project the text names only by a company's name (利勃海尔, EX机器人) does not make the company its investor."""
    for project in ("proj-liebherr", "proj-ex-robots"):
        assert data.value(JPR[project], JP.investor) is None, project


def test_every_passage_has_one_english_translation(data: Graph) -> None:
    """jp:translation: exactly one, non-empty, @en, with no Chinese characters except a term it glosses in brackets
    or quotes, and never the quote itself."""
    problems = []
    passages = set(data.subjects(RDF.type, JP.Passage))
    assert len(passages) >= 170
    for p in sorted(passages):
        tr = list(data.objects(p, JP.translation))
        if len(tr) != 1 or tr[0].language != "en" or not str(tr[0]).strip():
            problems.append(f"{p}: {tr}")
            continue
        english = str(tr[0])
        if english == str(data.value(p, JP.exact)) or len(CJK.findall(english)) > len(re.findall(r"[A-Za-z]", english)):
            problems.append(f"{p}: {english!r} is not an English translation")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        (r"\bi\.\s?e\.|\bthat is\b|\bmeaning\b", "an explanation"),
        (r"增长|times the (earlier|previous)", "an explanation of 增长N倍 (a note on the figure says it)"),
        (r"\[(?!…\])[^\]]*\]", "a cut word completed in brackets: mark the cut with […]"),
        (r"the source writes|in the source", "a remark on the source (a skos:note on the passage)"),
    ],
)
def test_translations_say_only_what_the_quote_says(data: Graph, pattern: str, why: str) -> None:
    """A translation translates its quote and nothing else: a cut word is marked […], never completed, and
    explanations go in notes."""
    found = [
        f"{p}: {tr!s}"
        for p in data.subjects(RDF.type, JP.Passage)
        for tr in data.objects(p, JP.translation)
        if re.search(pattern, str(tr))
    ]
    assert not found, f"{why}:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "figure",
    [
        "obs-life-land-area",  # 2299平方公里土地上
        "obs-news-bay-sea-area",  # 环抱近50平方千米海域
        "obs-news-bay-coastline",  # 绵延20余千米的海岸线
        "obs-news-bay-geology-age-min",  # 诞生于6亿至9亿年前
        "obs-news-bay-geology-age-max",
        "obs-news-bay-geopark-scenic-spots",  # 近百处景点
        "obs-news-bay-water-quality",  # 水质优良率为100%
        "obs-news-bay-healthy-beaches",  # 原国家海洋局评定的16个“健康型”浴场
        "obs-news-bay-visitors",  # 年接待……约600万人次: a yearly figure, no year given
        "obs-news-talent-policies",  # the news item's present: 推出集聚人才十项重点政策
        "obs-news-talent-stations",  # 依托本地26个“鸿雁联盟”人才工作站(点)
    ],
)
def test_undated_statements_are_not_filed_under_the_report_year(data: Graph, figure: str) -> None:
    """A figure the report neither dates nor gives as a 2021 result holds as the report states it, in its publication
    month; it is not a 2021 figure."""
    assert str(data.value(JPR[figure], JP.refPeriod)) == PUBLISHED[:4], figure
    assert str(data.value(JPR[figure], JP.asOf)) == PUBLISHED, figure
