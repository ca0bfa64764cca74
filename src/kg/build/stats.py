"""Counts per class of the current build, read from the built dataset."""

from __future__ import annotations

from rdflib import RDF, RDFS, Dataset, URIRef

from kg.artifacts import DATASET, BuildArtifacts
from kg.config import Settings


def class_counts(settings: Settings) -> list[tuple[str, str, int]]:
    """(English label, class IRI, instance count) for each class of the ontology, asserted and inferred types."""
    ds = Dataset()
    ds.parse(BuildArtifacts(settings.build_dir).path(DATASET), format="nquads")
    onto = ds.graph(URIRef(settings.graph_iri("ontology")))
    # all three graphs: the controlled terms (statuses, kinds of figure) are individuals of the ontology graph
    data = onto + ds.graph(URIRef(settings.graph_iri("asserted"))) + ds.graph(URIRef(settings.graph_iri("inferred")))
    rows = []
    for cls in set(onto.subjects(RDF.type, URIRef("http://www.w3.org/2002/07/owl#Class"))):
        n = len(set(data.subjects(RDF.type, cls)))
        label = next((str(lbl) for lbl in onto.objects(cls, RDFS.label) if lbl.language == "en"), str(cls))
        rows.append((label, str(cls), n))
    return sorted(rows, key=lambda r: (-r[2], r[0]))
