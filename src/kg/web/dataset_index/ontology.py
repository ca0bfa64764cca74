"""The ontology as the pages use it: its classes and properties, how properties relate (inverses, superproperties),
class hierarchy and sizes, and the vocabularies the figures use (indicator groups, unit notations)."""

from __future__ import annotations

from collections import defaultdict
from functools import cached_property

from rdflib import RDF, RDFS, Graph, URIRef
from rdflib.namespace import OWL

from kg.rdf import vocab
from kg.web.dataset_index.runner import QueryRunner


class Ontology:
    def __init__(self, queries: QueryRunner):
        self.queries = queries

    def warm(self) -> None:
        for name in (
            "graph",
            "class_counts",
            "classes",
            "properties",
            "inverses",
            "superproperties",
            "notations",
            "indicator_groups",
        ):
            getattr(self, name)

    @cached_property
    def graph(self) -> Graph:
        return self.queries.construct("ontology")

    @cached_property
    def classes(self) -> set[str]:
        return {str(c) for c in self.graph.subjects(RDF.type, OWL.Class) if isinstance(c, URIRef)}

    @cached_property
    def properties(self) -> set[str]:
        kinds = (OWL.ObjectProperty, OWL.DatatypeProperty, RDF.Property, OWL.AnnotationProperty)
        return {str(p) for k in kinds for p in self.graph.subjects(RDF.type, k) if isinstance(p, URIRef)}

    @cached_property
    def inverses(self) -> dict[str, set[str]]:
        """property -> properties that state the same link the other way round (owl:inverseOf both ways, symmetry)."""
        out: dict[str, set[str]] = defaultdict(set)
        for a, b in self.graph.subject_objects(OWL.inverseOf):
            out[str(a)].add(str(b))
            out[str(b)].add(str(a))
        for p in self.graph.subjects(RDF.type, OWL.SymmetricProperty):
            out[str(p)].add(str(p))
        # schema.org place containment restates jp:locatedIn / jp:contains the other way round
        out[vocab.SCHEMA + "containedInPlace"].add(vocab.SCHEMA + "containsPlace")
        out[vocab.SCHEMA + "containsPlace"].add(vocab.SCHEMA + "containedInPlace")
        return dict(out)

    @cached_property
    def superproperties(self) -> dict[str, set[str]]:
        """property -> every property it is a subproperty of (transitively)."""
        direct: dict[str, set[str]] = defaultdict(set)
        for a, b in self.graph.subject_objects(RDFS.subPropertyOf):
            direct[str(a)].add(str(b))
        out: dict[str, set[str]] = {}
        for p, supers in direct.items():
            seen, todo = set(), list(supers)
            while todo:
                q = todo.pop()
                if q not in seen:
                    seen.add(q)
                    todo.extend(direct.get(q, ()))
            out[p] = seen
        return out

    def superclasses(self, cls: str) -> list[str]:
        return sorted(str(o) for o in self.graph.objects(URIRef(cls), RDFS.subClassOf) if isinstance(o, URIRef))

    def subclasses(self, cls: str) -> list[str]:
        return sorted(str(s) for s in self.graph.subjects(RDFS.subClassOf, URIRef(cls)) if isinstance(s, URIRef))

    @cached_property
    def class_counts(self) -> dict[str, int]:
        """class IRI -> how many members it has."""
        return {str(r["class"]): int(r["n"]) for r in self.queries.select("class_counts")}

    @cached_property
    def indicator_groups(self) -> dict[str, str]:
        """indicator IRI -> its thematic group."""
        return {str(r["indicator"]): str(r["group"]) for r in self.queries.select("indicator_groups")}

    @cached_property
    def notations(self) -> dict[str, str]:
        """unit IRI -> its notation (CNY, USD, m2 ...)."""
        return {str(r["unit"]): str(r["notation"]) for r in self.queries.select("units")}
