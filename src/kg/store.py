"""The store: where the built dataset lives and how queries run on it. One interface, several backends.

Interface used by the web views (keep it stable):
    store.select(query, bindings=None) -> list[dict[str, rdflib term]]
    store.ask(query, bindings=None) -> bool
    store.construct(query, bindings=None) -> rdflib.Graph
`bindings` maps variable names (without '?') to rdflib terms; they are bound by a trailing VALUES clause written by
kg.sparql_terms (never by string formatting of user input), so a query file must not end with its own VALUES. The default graph of every query is the union of the ontology, asserted and inferred graphs.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from kg.config import Settings
from kg.sparql_terms import values_clause


def to_rdflib(term) -> Node | None:
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


def to_oxigraph(term: Node):
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


class EmbeddedStore:
    """The built dataset in an in-memory Oxigraph store (the data is read-only once built)."""

    def __init__(self, settings: Settings, dataset_file: Path | None = None):
        self.settings = settings
        self._store = ox.Store()
        path = dataset_file or settings.build_dir / "dataset.nq"
        with open(path, "rb") as f:
            self._store.bulk_load(f, ox.RdfFormat.N_QUADS)

    def _run(self, query: str, bindings: dict | None):
        return self._store.query(query + values_clause(bindings or {}), use_default_graph_as_union=True)

    def select(self, query: str, bindings: dict | None = None) -> list[dict[str, Node]]:
        results = self._run(query, bindings)
        names = [v.value for v in results.variables]
        return [{n: to_rdflib(sol[n]) for n in names if sol[n] is not None} for sol in results]

    def ask(self, query: str, bindings: dict | None = None) -> bool:
        return bool(self._run(query, bindings))

    def construct(self, query: str, bindings: dict | None = None) -> Graph:
        g = Graph()
        for t in self._run(query, bindings):
            g.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
        return g

    def close(self) -> None:
        pass


def open_store(settings: Settings):
    """The store the settings name: 'embedded' (the default) or a remote SPARQL endpoint URL."""
    if settings.store == "embedded":
        return EmbeddedStore(settings)
    raise ValueError(f"unknown store {settings.store!r}")
