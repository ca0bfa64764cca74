"""The build: validation catches broken data with a readable report, a failed build leaves the last good one alone,
and a good build writes the dataset with separate asserted and inferred graphs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import RDF, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, RDFS, VOID

from kg.build import BuildError, build, run
from kg.config import DEFAULT_BASE_IRI, PROJECT_ROOT, Settings

JP = Namespace(DEFAULT_BASE_IRI + "def#")
JPR = Namespace(DEFAULT_BASE_IRI + "id/")
SCHEMA = Namespace("https://schema.org/")

HEADER = """@prefix jp: <def#> . @prefix jpr: <id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
"""

GOOD_FIGURE = (
    HEADER
    + """
jpr:p-test a jp:Passage ; jp:exact "全口径税收598.37亿元" ;
    jp:translation "total tax revenue (all categories) of 59.837 billion yuan"@en .
jpr:obs-test a jp:Observation ;
    rdfs:label "测试"@zh , "Test"@en ;
    jp:indicator jpr:ind-tax-revenue ; jp:refArea jpr:jinpu ; jp:refPeriod "2020"^^xsd:gYear ;
    jp:kind jp:Level ; jp:value 598.37 ; jp:valueAsWritten "598.37" ; jp:unitAsWritten "亿元" ;
    jp:normalizedValue 59837000000.0 ; jp:normalizedUnit jpr:unit-cny ;
    prov:wasDerivedFrom jpr:p-test .
"""
)


@pytest.fixture()
def project(tmp_path: Path) -> Settings:
    """A copy of the project's sources (ontology, shapes, data, the source text) in a scratch folder: a test adds a
    file of its own to the data. The figures of the tests are of 2020, so that none states what a real one states."""
    root = tmp_path / "project"
    for name in ("ontology", "shapes", "data"):
        shutil.copytree(PROJECT_ROOT / name, root / name)
    return Settings(root=root, build_dir=root / "build")


def write_data(settings: Settings, text: str, name: str = "test.ttl") -> Path:
    path = settings.data_dir / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_correct_figure_validates(project: Settings) -> None:
    write_data(project, GOOD_FIGURE)
    result = run(project)
    assert result.conforms, result.report_text


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            ('jp:unitAsWritten "亿元" ;', ""),
            ["obs-test", "unitAsWritten", "MinCount", "unit as written"],
            id="missing-unit",
        ),
        pytest.param(
            ('"Test"@en', '"Test"@de'),
            ["obs-test", "label", "Chinese (@zh) and one in English"],
            id="label-not-english",
        ),
        pytest.param(
            ('598.37亿元" ;', '598.38亿元" ;'),
            ["p-test", "does not occur verbatim in the source"],
            id="quote-not-in-source",
        ),
        pytest.param(
            ('jp:valueAsWritten "598.37"', 'jp:valueAsWritten "598.3"'),
            ["obs-test", "does not match the value as written"],
            id="value-not-as-written",
        ),
        pytest.param(
            ("59837000000.0", "5983700000.0"),
            ["obs-test", "normalized value does not match"],
            id="normalization-off-by-ten",
        ),
        pytest.param(
            ("jp:kind jp:Level ;", "jp:kind jp:Level ; jp:qualifier jp:About ;"),
            ["obs-test", "qualifier as written"],
            id="qualifier-without-its-word",
        ),
        pytest.param(
            ("jp:kind jp:Level", "jp:kind jp:YearOnYearGrowth"), ["obs-test", "jp:growthOf"], id="growth-without-level"
        ),
        pytest.param(
            ("jp:refArea jpr:jinpu ;", "jp:refArea jpr:jinpu , jpr:dalian ;"),
            ["obs-test", "refArea", "MaxCount", "exactly one reference area"],
            id="two-areas",
        ),
        pytest.param(
            ("prov:wasDerivedFrom jpr:p-test .", "."), ["obs-test", "wasDerivedFrom", "jp:Passage"], id="no-provenance"
        ),
        pytest.param(
            ('jp:translation "total tax revenue (all categories) of 59.837 billion yuan"@en', 'jp:section "x"'),
            ["p-test", "translation", "English translation of its quote"],
            id="passage-without-translation",
        ),
        pytest.param(('billion yuan"@en', 'billion yuan"@zh'), ["p-test", "translation"], id="translation-not-english"),
    ],
)
def test_broken_figure_fails_with_a_report_naming_node_constraint_and_message(
    project: Settings, change: tuple[str, str], expected: list[str]
) -> None:
    old, new = change
    assert old in GOOD_FIGURE
    write_data(project, GOOD_FIGURE.replace(old, new, 1))
    result = run(project)
    assert not result.conforms
    for text in expected:
        assert text in result.report_text, result.report_text


def test_share_over_100_percent_fails(project: Settings) -> None:
    write_data(
        project,
        HEADER
        + """
jpr:p-test a jp:Passage ; jp:exact "外贸进出口总额分别占大连市的45%和57%" .
jpr:obs-test a jp:Observation ; rdfs:label "测试"@zh , "Test"@en ;
    jp:indicator jpr:ind-foreign-trade ; jp:refArea jpr:jinpu ; jp:refPeriod "2020"^^xsd:gYear ;
    jp:kind jp:Share ; jp:shareOfIndicator jpr:ind-foreign-trade ; jp:parentArea jpr:dalian ;
    jp:value 570 ; jp:valueAsWritten "57" ; jp:unitAsWritten "%" ;
    jp:normalizedValue 5.7 ; jp:normalizedUnit jpr:unit-ratio ;
    prov:wasDerivedFrom jpr:p-test .
""",
    )
    result = run(project)
    assert not result.conforms
    assert "between 0 and 100" in result.report_text
    assert "obs-test" in result.report_text


def test_turtle_syntax_error_names_the_file(project: Settings) -> None:
    write_data(project, HEADER + 'jpr:x a jp:Place ; rdfs:label "未闭合 .\n', name="broken.ttl")
    with pytest.raises(BuildError, match=r"data/broken\.ttl: cannot parse Turtle"):
        run(project)


def test_plan_must_stay_a_plan(project: Settings) -> None:
    write_data(
        project,
        HEADER
        + """
jpr:p-test a jp:Passage ; jp:exact "推动泰星能源三期项目落地" .
jpr:plan a jp:Plan ; rdfs:label "计划"@zh , "Plan"@en ; prov:wasDerivedFrom jpr:p-test ; jp:planItem jpr:act .
jpr:act a jp:PlannedAction ; rdfs:label "任务"@zh , "Action"@en ; prov:wasDerivedFrom jpr:p-test ;
    jp:planned false .
""",
    )
    result = run(project)
    assert not result.conforms
    assert "plans stay plans" in result.report_text


def test_failed_build_leaves_the_last_good_build_untouched(project: Settings) -> None:
    write_data(project, GOOD_FIGURE)
    build(project)
    before = {p.name: p.read_bytes() for p in project.build_dir.iterdir()}
    write_data(project, GOOD_FIGURE.replace('jp:unitAsWritten "亿元" ;', ""))
    env = dict(os.environ, KG_ROOT=str(project.root))
    proc = subprocess.run(
        [sys.executable, "-m", "kg.cli", "build"], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 1
    assert "build failed" in proc.stderr and "unit as written" in proc.stderr
    assert "Traceback" not in proc.stderr
    after = {p.name: p.read_bytes() for p in project.build_dir.iterdir()}
    assert after == before
    assert not [p for p in project.build_dir.parent.iterdir() if p.name.startswith(".build-")]


def test_build_writes_named_graphs_exports_and_void(project: Settings) -> None:
    write_data(project, GOOD_FIGURE)
    result = build(project)
    out = project.build_dir
    for name in (
        "dataset.trig",
        "dataset.nq",
        "dataset.ttl",
        "dataset.nt",
        "dataset.jsonld",
        "ontology.ttl",
        "void.ttl",
        "validation.ttl",
        "manifest.json",
        "shapes.ttl",
        "source.txt",
    ):
        assert (out / name).stat().st_size > 0, name
    for fmt, name in (("trig", "dataset.trig"), ("json-ld", "dataset.jsonld")):  # both keep the named graphs
        ds = Dataset()
        ds.parse(out / name, format=fmt)
        graphs = {str(g.identifier): len(g) for g in ds.graphs() if len(g)}
        for graph_name, graph in (
            ("ontology", result.ontology),
            ("asserted", result.asserted),
            ("inferred", result.inferred),
        ):
            assert graphs[project.graph_iri(graph_name)] == len(graph) > 0, name
    for fmt, name in (("nt", "dataset.nt"), ("turtle", "dataset.ttl")):
        g = Graph().parse(out / name, format=fmt)
        assert len(g) == len(result.ontology + result.asserted + result.inferred), name
    void = Graph().parse(out / "void.ttl")
    ds_node = URIRef(DEFAULT_BASE_IRI + "void#dataset")
    assert int(void.value(ds_node, VOID.triples)) == len(result.ontology + result.asserted + result.inferred)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["conforms"] is True and manifest["triples"]["inferred"] == len(result.inferred)


def test_inferences_are_separate_useful_and_not_trivial(project: Settings) -> None:
    write_data(project, GOOD_FIGURE)
    result = build(project)
    inferred, asserted = result.inferred, result.asserted
    assert not set(inferred) & set(asserted)
    # transitive located-in, its inverse, and the schema.org alignment
    assert (JPR.jinpu, JP.locatedIn, JPR.liaoning) in inferred
    assert (JPR.china, JP.contains, JPR.jinpu) in inferred
    assert (JPR.jinpu, SCHEMA.containedInPlace, JPR.dalian) in inferred
    assert (JPR.jinpu, RDF.type, SCHEMA.Place) in inferred
    for s, p, o in inferred:
        assert not isinstance(s, Literal)
        assert o not in (OWL.Thing, RDFS.Resource), (s, p, o)
        assert not (p in (OWL.sameAs, RDFS.subClassOf) and s == o), (s, p, o)


def test_relative_iris_follow_the_base_setting(project: Settings) -> None:
    write_data(project, GOOD_FIGURE)
    other = Settings(root=project.root, build_dir=project.build_dir, base_iri="http://example.org/kg/")
    result = run(other)
    assert result.conforms, result.report_text
    assert (
        URIRef("http://example.org/kg/id/jinpu"),
        RDF.type,
        URIRef("http://example.org/kg/def#District"),
    ) in result.asserted
    assert not [t for t in result.asserted if DEFAULT_BASE_IRI in str(t[0])]


def test_kg_stats_prints_counts_per_class(project: Settings) -> None:
    write_data(project, GOOD_FIGURE)
    env = dict(os.environ, KG_ROOT=str(project.root))
    stale = subprocess.run(
        [sys.executable, "-m", "kg.cli", "stats"], env=env, capture_output=True, text=True, check=False
    )
    assert stale.returncode == 1 and "run `kg build` first" in stale.stderr
    subprocess.run([sys.executable, "-m", "kg.cli", "build"], env=env, check=True, capture_output=True, timeout=120)
    proc = subprocess.run(
        [sys.executable, "-m", "kg.cli", "stats"], env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    counts = {line.split()[-1]: int(line.split()[-2]) for line in proc.stdout.splitlines()}
    data = Graph()
    for path in (project.root / "data").glob("*.ttl"):
        data.parse(path, publicID=DEFAULT_BASE_IRI)
    assert counts[DEFAULT_BASE_IRI + "def#Observation"] == len(set(data.subjects(RDF.type, JP.Observation)))
    # inferred types count too: every district, city, province and country is an administrative area
    areas = {s for c in ("District", "City", "Province", "Country") for s in data.subjects(RDF.type, JP[c])}
    assert counts[DEFAULT_BASE_IRI + "def#District"] == len(set(data.subjects(RDF.type, JP.District)))
    assert counts[DEFAULT_BASE_IRI + "def#AdministrativeArea"] == len(areas)


def test_pruned_reasoning_infers_what_reasoning_over_everything_infers() -> None:
    """The reasoner sees only what OWL 2 RL rules can act on; over the project's real data that must change nothing
    but speed: the same inferred triples as a closure of the whole ontology and data."""
    import owlrl

    from kg.build import _trivial, enrich_passages, infer, load_sources, read_source_text

    settings = Settings()
    sources = load_sources(settings)
    enrich_passages(sources.data, read_source_text(settings), settings)
    ours = infer(sources.ontology, sources.data)
    everything = Graph()
    everything += sources.ontology
    everything += sources.data
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(everything)
    full = {t for t in everything if t not in sources.data and t not in sources.ontology and not _trivial(*t)}
    assert set(ours) == full


def test_two_passages_with_the_same_span_fail_the_build(project: Settings) -> None:
    """Two passages quoting the same characters would make pages cite the wrong one (the headline clause did)."""
    write_data(
        project,
        GOOD_FIGURE
        + """
jpr:p-test-again a jp:Passage ; jp:exact "全口径税收598.37亿元" ; jp:translation "the same"@en .
""",
    )
    result = run(project)
    assert not result.conforms
    assert "same span" in result.report_text and "p-test-again" in result.report_text


def test_the_same_figure_twice_fails_the_build(project: Settings) -> None:
    twin = GOOD_FIGURE[GOOD_FIGURE.index("jpr:obs-test a") :].replace("jpr:obs-test a", "jpr:obs-test-again a")
    write_data(project, GOOD_FIGURE + twin)
    result = run(project)
    assert not result.conforms
    assert "obs-test-again: states the same as https://w3id.org/jinpu-kg/id/obs-test " in result.report_text


def test_a_unit_the_quote_does_not_have_fails_the_build(project: Settings) -> None:
    write_data(project, GOOD_FIGURE.replace('jp:unitAsWritten "亿元"', 'jp:unitAsWritten "亿美元"'))
    result = run(project)
    assert not result.conforms
    assert "does not contain the figure as written '598.37亿美元'" in result.report_text


def test_an_agent_must_be_an_organization_area_or_zone(project: Settings) -> None:
    write_data(
        project,
        GOOD_FIGURE
        + """
jpr:prog-test a jp:Program ; rdfs:label "测试"@zh , "Test"@en ; prov:wasDerivedFrom jpr:p-test ;
    jp:implementedBy jpr:ind-tax-revenue .
""",
    )
    result = run(project)
    assert not result.conforms
    assert "jp:AdministrativeArea (the district)" in result.report_text


QUALIFIED_FIGURE = (
    HEADER
    + """
jpr:p-test a jp:Passage ; jp:exact "技术合同成交额突破80亿元" ;
    jp:translation "technology contract turnover exceeded 8 billion yuan"@en .
jpr:p-test-top a jp:Passage ; jp:exact "并位列榜单前10位" ; jp:translation "and ranked in the top 10 of the list"@en .
jpr:obs-test a jp:Observation ;
    rdfs:label "测试"@zh , "Test"@en ;
    jp:indicator jpr:ind-tax-revenue ; jp:refArea jpr:jinpu ; jp:refPeriod "2020"^^xsd:gYear ;
    jp:kind jp:Level ; jp:value 80.0 ; jp:valueAsWritten "80" ; jp:unitAsWritten "亿元" ;
    jp:normalizedValue 8000000000.0 ; jp:normalizedUnit jpr:unit-cny ;
    jp:qualifier jp:MoreThan ; jp:qualifierAsWritten "突破" ;
    prov:wasDerivedFrom jpr:p-test .
jpr:obs-test-top a jp:Observation ;
    rdfs:label "测试前10位"@zh , "Test top 10"@en ;
    jp:indicator jpr:ind-gdp ; jp:refArea jpr:jinpu ; jp:refPeriod "2020"^^xsd:gYear ;
    jp:kind jp:TopN ; jp:value 10.0 ; jp:valueAsWritten "10" ; jp:unitAsWritten "位" ;
    jp:qualifier jp:WithinTop ; jp:qualifierAsWritten "前" ;
    prov:wasDerivedFrom jpr:p-test-top .
"""
)


def test_qualified_figures_validate(project: Settings) -> None:
    write_data(project, QUALIFIED_FIGURE)
    result = run(project)
    assert result.conforms, result.report_text


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            ('    jp:qualifier jp:MoreThan ; jp:qualifierAsWritten "突破" ;\n', ""),
            ["obs-test:", "the quote qualifies the number with '突破': record it (jp:MoreThan)"],
            id="bound-not-recorded",
        ),
        pytest.param(
            ("jp:qualifier jp:MoreThan", "jp:qualifier jp:About"),
            ["obs-test:", "the report's '突破' is a jp:MoreThan qualifier, not jp:About"],
            id="bound-recorded-as-approximation",
        ),
        pytest.param(
            ('jp:qualifierAsWritten "突破"', 'jp:qualifierAsWritten "约"'),
            ["obs-test:", "its quote does not contain the figure as written '约80亿元'"],
            id="qualifier-word-not-in-the-quote",
        ),
        pytest.param(
            ("jp:kind jp:TopN", "jp:kind jp:Rank"),
            ["obs-test-top:", "never a rank of N"],
            id="top-n-as-a-rank",
        ),
        pytest.param(
            ('jp:qualifierAsWritten "前"', 'jp:qualifierAsWritten "第"'),
            ["obs-test-top:", "unknown qualifier as written '第'"],
            id="unknown-qualifier-word",
        ),
    ],
)
def test_a_qualifier_not_as_the_report_says_fails_the_build(
    project: Settings, change: tuple[str, str], expected: list[str]
) -> None:
    old, new = change
    assert old in QUALIFIED_FIGURE
    write_data(project, QUALIFIED_FIGURE.replace(old, new, 1))
    result = run(project)
    assert not result.conforms
    for text in expected:
        assert text in result.report_text, result.report_text


def test_a_figure_cut_by_a_line_break_is_cited_whole(project: Settings) -> None:
    """The layout cut 投资总额约 / 565亿元 in two: the figure's quote joins them, so it holds 约565亿元."""
    write_data(
        project,
        HEADER
        + """
jpr:p-a a jp:Passage ; jp:exact "特来电充电网等232个项目开工落地，投资总额约" ; jp:translation "a"@en .
jpr:p-b a jp:Passage ; jp:exact "565亿元；东方雨虹" ; jp:translation "b"@en .
jpr:obs-test a jp:Observation ;
    rdfs:label "测试"@zh , "Test"@en ;
    jp:indicator jpr:ind-gdp ; jp:refArea jpr:jinpu ; jp:refPeriod "2020"^^xsd:gYear ;
    jp:kind jp:Level ; jp:value 565.0 ; jp:valueAsWritten "565" ; jp:unitAsWritten "亿元" ;
    jp:normalizedValue 56500000000.0 ; jp:normalizedUnit jpr:unit-cny ;
    jp:qualifier jp:About ; jp:qualifierAsWritten "约" ;
    prov:wasDerivedFrom jpr:p-b , jpr:p-a .
""",
    )
    result = run(project)
    assert result.conforms, result.report_text
    quote = str(result.asserted.value(JPR["obs-test"], JP.citationQuote))
    assert quote == "特来电充电网等232个项目开工落地，投资总额约565亿元；东方雨虹"


@pytest.mark.parametrize(
    ("figure", "number"),
    [
        pytest.param("obs-gdp-2021", "'2529'", id="written-in-digits"),
        pytest.param("obs-layout-parks", "'十四'", id="written-in-chinese-numerals"),
    ],
)
def test_a_figure_deleted_from_the_data_fails_the_build(project: Settings, figure: str, number: str) -> None:
    """Completeness is the build's: a number of the report that no figure states is named with its context."""
    for path in project.data_dir.glob("*.ttl"):
        text = path.read_text(encoding="utf-8")
        start = text.find(f"jpr:{figure} a jp:Observation")
        if start >= 0:
            end = text.index(" .\n", start) + 3
            path.write_text(text[:start] + text[end:], encoding="utf-8")
    result = run(project)
    assert not result.conforms
    assert f"the report's number {number}" in result.report_text and "add the figure" in result.report_text


def test_the_figures_keep_every_data_cube_integrity_constraint(project: Settings) -> None:
    result = run(project)
    assert result.conforms, result.report_text
    assert "Data Cube integrity constraints (W3C RDF Data Cube, section 11): 21 of 21 passed" in result.report_text
    for n in range(1, 22):
        assert f"  IC-{n} " in result.report_text


def test_a_figure_in_a_second_data_set_fails_the_build_naming_ic_1(project: Settings) -> None:
    """The build puts every figure in jpr:figures; one that also claims another data set breaks IC-1."""
    figure = GOOD_FIGURE.replace(
        "jp:kind jp:Level ;", "jp:kind jp:Level ; <http://purl.org/linked-data/cube#dataSet> jpr:x ;"
    )
    write_data(project, figure)
    result = run(project)
    assert not result.conforms
    line = next(line for line in result.report_text.splitlines() if "Data Cube IC-1 Unique DataSet: failed" in line)
    assert str(JPR["obs-test"]) in line and str(JPR["x"]) in line


def test_the_kind_of_figure_is_a_dimension_else_figures_repeat_their_cell(project: Settings) -> None:
    """A level and its growth share indicator, area and period: without jp:kind among the dimensions they are
    duplicate observations (IC-12)."""
    core = project.data_dir / "core.ttl"
    structure = core.read_text(encoding="utf-8")
    assert "[ qb:dimension jp:kind ; qb:order 4 ] ," in structure
    core.write_text(structure.replace("[ qb:dimension jp:kind ; qb:order 4 ] ,", ""), "utf-8")
    result = run(project)
    assert not result.conforms
    assert "Data Cube IC-12 No duplicate observations: failed" in result.report_text
    assert str(JPR["obs-gdp-growth-2021"]) in result.report_text
