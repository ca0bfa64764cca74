"""Conversions between rdflib terms (the API the app's code uses) and pyoxigraph terms (what Oxigraph stores,
queries and serializes). rdflib is imported lazily: query worker processes start faster without it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

import pyoxigraph as ox

if TYPE_CHECKING:
    from rdflib import Graph
    from rdflib.term import Node


def to_rdflib(term) -> Node | None:
    from rdflib import BNode, Literal, URIRef

    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    raise TypeError(f"unsupported term {term!r}")


_BNODE_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


def json_term(binding: dict) -> Node:
    """A term of the SPARQL 1.1 JSON results format as the rdflib term `to_rdflib` gives for the same term.
    ValueError for a kind of term the app does not use (RDF-star triples)."""
    from rdflib import XSD, BNode, Literal, URIRef

    kind, value = binding["type"], binding["value"]
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        # Labels must be valid N-Triples labels for the app's serializers; Virtuoso writes "nodeID://b10001".
        # The mapping is fixed, so the same node keeps one label across queries.
        return BNode(_BNODE_UNSAFE.sub("_", value.removeprefix("nodeID://")))
    if kind in ("literal", "typed-literal"):
        if binding.get("xml:lang"):
            return Literal(value, lang=binding["xml:lang"])
        # A simple literal is an xsd:string (RDF 1.1), as Oxigraph gives it.
        return Literal(value, datatype=URIRef(binding.get("datatype") or XSD.string))
    raise ValueError(f"unsupported term type in results: {kind!r}")


def to_oxigraph(term: Node):
    from rdflib import BNode, Literal, URIRef

    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"unsupported term {term!r}")


def graph_from_triples(triples: Iterable) -> Graph:
    """An rdflib Graph of pyoxigraph triples (or quads: their graph names are dropped)."""
    from rdflib import Graph

    graph = Graph()
    for t in triples:
        graph.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
    return graph
