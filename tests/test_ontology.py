"""The ontology: documented in both languages, with domains and ranges, consistent, and loadable by other tools."""

from __future__ import annotations

import owlrl
import pytest
from pyshacl import validate
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDFS, SKOS

from kg.build import load_shapes, load_sources
from kg.config import DEFAULT_BASE_IRI, PROJECT_ROOT, Settings

DEF = DEFAULT_BASE_IRI + "def#"
# Properties meant to link anything to anything, so no domain or range is claimed for them.
OPEN_ENDED = {"cooperatesWith", "concerns", "date", "partner"}


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return load_sources(Settings()).ontology


def terms(g: Graph, *types: URIRef) -> list[URIRef]:
    return sorted({s for t in types for s in g.subjects(RDF.type, t) if str(s).startswith(DEF)})


def langs(g: Graph, s: URIRef, p: URIRef) -> list[str]:
    return sorted(o.language for o in g.objects(s, p) if isinstance(o, Literal))


def test_every_class_and_property_is_labelled_and_defined_in_both_languages(ontology: Graph) -> None:
    missing = []
    all_terms = terms(ontology, OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
    assert len(all_terms) > 60
    for t in all_terms:
        if langs(ontology, t, RDFS.label) != ["en", "zh"]:
            missing.append(f"{t} labels {langs(ontology, t, RDFS.label)}")
        if langs(ontology, t, SKOS.definition) != ["en", "zh"]:
            missing.append(f"{t} definitions {langs(ontology, t, SKOS.definition)}")
    assert not missing, "\n".join(missing)


def test_required_classes_exist(ontology: Graph) -> None:
    for name in (
        "District",
        "Industry",
        "Project",
        "Enterprise",
        "Indicator",
        "Observation",
        "Park",
        "Organization",
        "Platform",
        "Designation",
        "Award",
        "Plan",
        "Report",
        "Passage",
    ):
        assert (URIRef(DEF + name), RDF.type, OWL.Class) in ontology, name


def test_every_property_has_a_domain_or_range(ontology: Graph) -> None:
    bare = []
    for p in terms(ontology, OWL.ObjectProperty, OWL.DatatypeProperty):
        if p.removeprefix(DEF) in OPEN_ENDED:
            continue
        if ontology.value(p, RDFS.domain) is None and ontology.value(p, RDFS.range) is None:
            bare.append(str(p))
    assert not bare


def test_characteristics_where_they_hold(ontology: Graph) -> None:
    located, contains = URIRef(DEF + "locatedIn"), URIRef(DEF + "contains")
    assert (located, RDF.type, OWL.TransitiveProperty) in ontology
    assert (located, OWL.inverseOf, contains) in ontology
    assert (URIRef(DEF + "cooperatesWith"), RDF.type, OWL.SymmetricProperty) in ontology
    assert (
        URIRef(DEF + "Observation"),
        RDFS.subClassOf,
        URIRef("http://purl.org/linked-data/cube#Observation"),
    ) in ontology


def test_ontology_and_data_are_consistent_under_owl2_rl() -> None:
    """No individual falls into owl:Nothing, and functional properties never merge two distinct named things."""
    sources = load_sources(Settings())
    g = Graph()
    g += sources.ontology
    g += sources.data
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(g)
    assert not list(g.subjects(RDF.type, OWL.Nothing))
    merged = [(s, o) for s, o in g.subject_objects(OWL.sameAs) if s != o and isinstance(s, URIRef)]
    assert not merged, merged


def test_built_ontology_is_absolute_and_loads_in_other_tools(tmp_path) -> None:
    """build/ontology.ttl (what users download and open in Protégé) parses on its own with absolute IRIs."""
    from kg.build import build

    settings = Settings(build_dir=tmp_path / "build")
    build(settings)
    text = (tmp_path / "build" / "ontology.ttl").read_text(encoding="utf-8")
    g = Graph().parse(data=text, format="turtle")  # no base given: relative IRIs would fail or resolve oddly
    assert (URIRef(DEFAULT_BASE_IRI + "def"), RDF.type, OWL.Ontology) in g
    assert all(str(s).startswith(("http", "n")) or not isinstance(s, URIRef) for s in g.subjects())
    conforms, _, report = validate(
        Graph().parse(tmp_path / "build" / "dataset.ttl"), shacl_graph=load_shapes(settings), ont_graph=g, advanced=True
    )
    assert conforms, report
    assert (PROJECT_ROOT / "ontology" / "jinpu.ttl").exists()
