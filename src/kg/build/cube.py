"""The RDF Data Cube integrity constraints (IC-1 to IC-21, section 11 of the W3C recommendation) on the figures.

The constraints are the recommendation's ASK queries, one .rq file each in queries/; they hold of a cube once it is
normalized (section 10), which queries/normalize-1.ru and normalize-2.ru do, in that order, on a copy. Each ASK is
asked as SELECT DISTINCT * of the same pattern, so that a failed constraint names the nodes that break it. IC-20 and
IC-21 are templates over the parent-child properties of hierarchical code lists, found by their -properties.rq query.
pyoxigraph runs them all: it is the project's query engine, and it has SPARQL Update for the normalization.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from kg.rdf import sparql_text
from kg.rdf.terms import to_oxigraph

QUERIES = Path(__file__).parent / "queries"
CONSTRAINTS = tuple(f"ic-{n:02d}" for n in range(1, 22))
_ASK = re.compile(r"^ASK\s*\{", re.MULTILINE)
_TEMPLATE_PROPERTY = "$p"


@dataclass(frozen=True)
class ConstraintResult:
    """One integrity constraint and the solutions that break it (none when it holds)."""

    name: str
    title: str
    violations: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.violations

    def line(self) -> str:
        if self.passed:
            return f"  {self.title}: passed"
        return f"  {self.title}: failed ({len(self.violations)}): " + "; ".join(self.violations)


def normalized_store(graph: Graph) -> ox.Store:
    """The graph in an in-memory store, with the Data Cube normalization applied (phase 1, then phase 2)."""
    store = ox.Store()
    store.extend(ox.Quad(*(to_oxigraph(t) for t in triple)) for triple in graph)
    for phase in ("normalize-1.ru", "normalize-2.ru"):
        store.update((QUERIES / phase).read_text(encoding="utf-8"))
    return store


def check(graph: Graph) -> list[ConstraintResult]:
    """Every integrity constraint, in order, on the normalized graph."""
    store = normalized_store(graph)
    return [_check_one(store, name) for name in CONSTRAINTS]


def problems(results: list[ConstraintResult]) -> list[str]:
    """What a failed build says: each broken constraint and the nodes that break it."""
    return [f"Data Cube {r.line().strip()}" for r in results if not r.passed]


def report(results: list[ConstraintResult]) -> str:
    """The section of the validation report that lists every constraint's result."""
    passed = sum(r.passed for r in results)
    head = f"Data Cube integrity constraints (W3C RDF Data Cube, section 11): {passed} of {len(results)} passed"
    return "\n".join([head, *(r.line() for r in results)]) + "\n"


def _check_one(store: ox.Store, name: str) -> ConstraintResult:
    text = (QUERIES / f"{name}.rq").read_text(encoding="utf-8")
    title = text.splitlines()[0].removeprefix("# ").split(":", 1)[0].replace(".", "", 1)
    select = _ASK.sub("SELECT DISTINCT * {", text, count=1)
    if _TEMPLATE_PROPERTY in select:
        queries = [select.replace(_TEMPLATE_PROPERTY, sparql_text.iri(p)) for p in _template_properties(store, name)]
    else:
        queries = [select]
    violations = sorted({_row(solution) for query in queries for solution in store.query(query)})
    return ConstraintResult(name, title, tuple(violations))


def _template_properties(store: ox.Store, name: str) -> list[str]:
    text = (QUERIES / f"{name}-properties.rq").read_text(encoding="utf-8")
    return [solution["p"].value for solution in store.query(text)]


def _row(solution: ox.QuerySolution) -> str:
    """The nodes of one solution (literals such as counts and verdicts left out)."""
    return " ".join(str(term) for term in solution if term is not None and not isinstance(term, ox.Literal))
