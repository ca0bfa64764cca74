"""The Data Cube integrity constraints the build runs (kg.build.cube): for each of IC-1 to IC-21 a small cube that
breaks it and nothing else, a cube that keeps them all, and the real figures through the whole build."""

from __future__ import annotations

import pytest
from rdflib import Graph

from kg.build import cube

PREFIXES = """@prefix ex: <http://example.org/> . @prefix qb: <http://purl.org/linked-data/cube#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
"""

# A cube that keeps every constraint: one data set with a coded dimension, one with a measure dimension, and two whose
# dimension takes its codes from a hierarchy (one by a parent-child property, one by its inverse). Abbreviated as the
# recommendation allows: the types of observations and components are left to the normalization.
GOOD_CUBE = (
    PREFIXES
    + """
ex:ds qb:structure ex:dsd .
ex:dsd a qb:DataStructureDefinition ;
    qb:component [ qb:dimension ex:area ] , [ qb:measure ex:value ] ,
                 [ qb:attribute ex:unit ; qb:componentRequired true ] .
ex:area rdfs:range skos:Concept ; qb:codeList ex:areas .
ex:areas a skos:ConceptScheme .
ex:a1 a skos:Concept ; skos:inScheme ex:areas .
ex:a2 a skos:Concept ; skos:inScheme ex:areas .
ex:a3 a skos:Concept ; skos:inScheme ex:areas .
ex:o1 qb:dataSet ex:ds ; ex:area ex:a1 ; ex:value 1 ; ex:unit "t" .
ex:o2 qb:dataSet ex:ds ; ex:area ex:a2 ; ex:value 2 ; ex:unit "t" .

ex:mds qb:structure ex:mdsd .
ex:mdsd a qb:DataStructureDefinition ;
    qb:component [ qb:dimension ex:area ] , [ qb:dimension qb:measureType ] , [ qb:measure ex:count ] ,
                 [ qb:measure ex:total ] .
qb:measureType rdfs:range qb:MeasureProperty .
ex:m1 qb:dataSet ex:mds ; ex:area ex:a1 ; qb:measureType ex:count ; ex:count 5 .
ex:m2 qb:dataSet ex:mds ; ex:area ex:a1 ; qb:measureType ex:total ; ex:total 9 .

ex:hds qb:structure ex:hdsd .
ex:hdsd a qb:DataStructureDefinition ; qb:component [ qb:dimension ex:place ] , [ qb:measure ex:value ] .
ex:place rdfs:range skos:Concept ; qb:codeList ex:tree .
ex:tree a qb:HierarchicalCodeList ; qb:hierarchyRoot ex:china ; qb:parentChildProperty ex:contains .
ex:china ex:contains ex:dalian .
ex:h1 qb:dataSet ex:hds ; ex:place ex:dalian ; ex:value 1 .

ex:ids qb:structure ex:idsd .
ex:idsd a qb:DataStructureDefinition ; qb:component [ qb:dimension ex:seat ] , [ qb:measure ex:value ] .
ex:seat rdfs:range skos:Concept ; qb:codeList ex:upwards .
ex:upwards a qb:HierarchicalCodeList ; qb:hierarchyRoot ex:china ; qb:parentChildProperty [ owl:inverseOf ex:within ] .
ex:dalian ex:within ex:china .
ex:i1 qb:dataSet ex:ids ; ex:seat ex:dalian ; ex:value 1 .
"""
)

SLICE_KEY = "ex:dsd qb:sliceKey ex:key . ex:key a qb:SliceKey ; qb:componentProperty ex:area ."

# (constraint, what breaks it, a node the report must name)
BROKEN = [
    ("IC-1", "ex:o1 qb:dataSet ex:ds2 . ex:ds2 qb:structure ex:dsd .", "http://example.org/o1"),
    ("IC-2", "ex:ds3 a qb:DataSet .", "http://example.org/ds3"),
    (
        "IC-3",
        "ex:dsd3 a qb:DataStructureDefinition ; qb:component [ qb:dimension ex:area ] .",
        "http://example.org/dsd3",
    ),
    ("IC-4", "ex:period a qb:DimensionProperty .", "http://example.org/period"),
    ("IC-5", "ex:sector a qb:DimensionProperty ; rdfs:range skos:Concept .", "http://example.org/sector"),
    (
        "IC-6",
        "ex:dsd6 a qb:DataStructureDefinition ; qb:component [ qb:measure ex:value ] ,"
        " [ qb:dimension ex:area ; qb:componentRequired false ] .",
        "http://example.org/dsd6",
    ),
    ("IC-7", "ex:key a qb:SliceKey .", "http://example.org/key"),
    (
        "IC-8",
        "ex:dsd qb:sliceKey ex:key . ex:key a qb:SliceKey ; qb:componentProperty ex:other .",
        "http://example.org/other",
    ),
    ("IC-9", "ex:slice a qb:Slice .", "http://example.org/slice"),
    ("IC-10", SLICE_KEY + " ex:slice a qb:Slice ; qb:sliceStructure ex:key .", "http://example.org/slice"),
    ("IC-11", 'ex:o3 qb:dataSet ex:ds ; ex:value 3 ; ex:unit "t" .', "http://example.org/o3"),
    ("IC-12", 'ex:o3 qb:dataSet ex:ds ; ex:area ex:a1 ; ex:value 3 ; ex:unit "t" .', "http://example.org/o3"),
    ("IC-13", "ex:o3 qb:dataSet ex:ds ; ex:area ex:a3 ; ex:value 3 .", "http://example.org/o3"),
    ("IC-14", 'ex:o3 qb:dataSet ex:ds ; ex:area ex:a3 ; ex:unit "t" .', "http://example.org/o3"),
    (
        "IC-15",
        "ex:m3 qb:dataSet ex:mds ; ex:area ex:a2 ; qb:measureType ex:count ."
        " ex:m4 qb:dataSet ex:mds ; ex:area ex:a2 ; qb:measureType ex:total ; ex:total 1 .",
        "http://example.org/m3",
    ),
    ("IC-16", "ex:m1 ex:total 4 .", "http://example.org/m1"),
    (
        "IC-17",
        "ex:m3 qb:dataSet ex:mds ; ex:area ex:a2 ; qb:measureType ex:count ; ex:count 1 .",
        "http://example.org/m3",
    ),
    (
        "IC-18",
        SLICE_KEY + " ex:ds qb:slice ex:s . ex:s qb:sliceStructure ex:key ; ex:area ex:a1 ; qb:observation ex:m1 .",
        "http://example.org/m1",
    ),
    (
        "IC-19",
        'ex:o3 qb:dataSet ex:ds ; ex:area ex:elsewhere ; ex:value 3 ; ex:unit "t" .',
        "http://example.org/elsewhere",
    ),
    ("IC-20", "ex:h2 qb:dataSet ex:hds ; ex:place ex:paris ; ex:value 2 .", "http://example.org/paris"),
    ("IC-21", "ex:i2 qb:dataSet ex:ids ; ex:seat ex:paris ; ex:value 2 .", "http://example.org/paris"),
]


def results(turtle: str) -> dict[str, cube.ConstraintResult]:
    return {r.title.split()[0]: r for r in cube.check(Graph().parse(data=turtle, format="turtle"))}


def test_the_good_cube_keeps_every_constraint() -> None:
    checked = results(GOOD_CUBE)
    assert list(checked) == [f"IC-{n}" for n in range(1, 22)]
    assert [r.line() for r in checked.values() if not r.passed] == []


@pytest.mark.parametrize(("constraint", "change", "node"), BROKEN, ids=[row[0] for row in BROKEN])
def test_a_cube_that_breaks_one_constraint_fails_that_one_naming_the_node(
    constraint: str, change: str, node: str
) -> None:
    checked = results(GOOD_CUBE + change)
    assert [name for name, r in checked.items() if not r.passed] == [constraint]
    problems = cube.problems(list(checked.values()))
    assert len(problems) == 1 and problems[0].startswith(f"Data Cube {constraint} ")
    assert node in problems[0], problems[0]


def test_every_constraint_has_a_broken_example() -> None:
    assert sorted(row[0] for row in BROKEN) == sorted(f"IC-{n}" for n in range(1, 22))
