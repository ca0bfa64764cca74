"""What a build is made of and what it makes: the parsed sources, the result, the one error kind."""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import Graph


class BuildError(Exception):
    """The sources do not make a valid build; the message says what is wrong and where."""


@dataclass
class Sources:
    ontology: Graph
    data: Graph


@dataclass
class BuildResult:
    ontology: Graph
    asserted: Graph
    inferred: Graph
    conforms: bool
    report_text: str
    report_graph: Graph
    timings: dict[str, float]
