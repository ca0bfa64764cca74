"""OWL 2 RL inference with owlrl, on the part of the data rules can act on, in parallel where it can be."""

from __future__ import annotations

import hashlib
import multiprocessing
import os

import owlrl
from rdflib import RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, SKOS

# Properties whose literal values say nothing OWL 2 RL can reason about (labels, text, quotes): left out of the
# reasoner's input, which makes the closure fast without losing an inference about the data.
TEXT_PROPERTIES = {
    RDFS.label,
    RDFS.comment,
    SKOS.prefLabel,
    SKOS.altLabel,
    SKOS.definition,
    SKOS.notation,
    SKOS.note,
    DCTERMS.title,
    DCTERMS.description,
}


# Namespaces whose own terms are not worth restating as inferences (e.g. rdf:type rdf:type rdf:Property).
VOCAB_NAMESPACES = (str(RDF), str(RDFS), str(OWL), str(XSD))


TRIVIAL_TYPES = {OWL.Thing, RDFS.Resource, OWL.NamedIndividual, RDFS.Class, OWL.Class, RDF.Property}


def _reasoner_input(ontology: Graph, data: Graph) -> Graph:
    """What OWL 2 RL rules can act on: the ontology's axioms, rdf:type statements, and data triples whose property
    the ontology says something about (sub-property, domain, range, inverse, characteristics). The ontology has no
    class restrictions or owl:sameAs, so a triple whose property carries no axiom, or a type whose class has no
    superclass, cannot take part in an inference; leaving those (and every label and text) out makes the closure
    several times faster with the same result (tests/test_build.py compares it with the closure of everything)."""
    axiom_properties = {RDFS.subPropertyOf, RDFS.domain, RDFS.range, OWL.inverseOf, OWL.equivalentProperty}
    described = {s for s, p, _ in ontology if p in axiom_properties} | {o for _, p, o in ontology if p == OWL.inverseOf}
    described |= {
        s
        for s, o in ontology.subject_objects(RDF.type)
        if o in (OWL.TransitiveProperty, OWL.SymmetricProperty, OWL.FunctionalProperty)
    }
    literal_ok = _literal_axioms(ontology)
    # rdf:type matters only for classes the ontology places under another class (cax-sco, cax-eqc).
    typed = set(ontology.subjects(RDFS.subClassOf, None)) | set(ontology.subjects(OWL.equivalentClass, None))
    g = Graph()
    for s, p, o in ontology:
        if p not in TEXT_PROPERTIES and not isinstance(o, Literal):
            g.add((s, p, o))
    for s, p, o in data:
        if (p == RDF.type and o in typed) or (p in described and (not isinstance(o, Literal) or p in literal_ok)):
            g.add((s, p, o))
    return g


def _literal_axioms(ontology: Graph) -> set:
    """Datatype properties with a super-property, whose literal values are restated under it."""
    return set(ontology.subjects(RDFS.subPropertyOf, None))


def _trivial(s, p, o) -> bool:
    if isinstance(s, Literal):
        return True
    if str(s).startswith(VOCAB_NAMESPACES):
        return True
    if p == RDF.type and o in TRIVIAL_TYPES:
        return True
    if p in (OWL.sameAs, OWL.equivalentClass, OWL.equivalentProperty, RDFS.subClassOf, RDFS.subPropertyOf) and s == o:
        return True
    if p in (RDFS.subClassOf, RDFS.subPropertyOf) and o in (OWL.Thing, RDFS.Resource):
        return True
    if p in (OWL.differentFrom, OWL.AllDifferent, RDFS.domain, RDFS.range):
        return True
    # types from the RDF/OWL vocabulary restate the vocabulary, except the property characteristics
    return (
        p == RDF.type
        and isinstance(o, URIRef)
        and str(o).startswith(VOCAB_NAMESPACES)
        and o not in (OWL.TransitiveProperty, OWL.SymmetricProperty, OWL.ObjectProperty, OWL.DatatypeProperty)
    )


def _chain_properties(ontology: Graph) -> set:
    """Transitive properties and every property tied to one by inverse, sub- or equivalent-property axioms: their
    triples form chains that only a reasoner seeing all of them can close."""
    links = (OWL.inverseOf, RDFS.subPropertyOf, OWL.equivalentProperty)
    chain = set(ontology.subjects(RDF.type, OWL.TransitiveProperty))
    while True:
        more = {o for p in chain for link in links for o in ontology.objects(p, link)}
        more |= {s for p in chain for link in links for s in ontology.subjects(link, p)}
        if more <= chain:
            return chain
        chain |= more


def _close(triples: list) -> list:
    """The OWL 2 RL closure of one part (runs in a worker process)."""
    graph = Graph(store="SimpleMemory")  # no named-graph bookkeeping: faster for owlrl's many lookups
    for t in triples:
        graph.add(t)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(graph)
    return list(graph)


def infer(ontology: Graph, data: Graph, parts: int | None = None) -> Graph:
    """OWL 2 RL closure (owlrl) of ontology + data, minus what was asserted and minus trivial triples.

    The ontology has no class restrictions, no owl:sameAs and no inverse-functional properties, so every rule it
    triggers looks at one data triple, or at the triples of one subject (functional properties), or along chains of
    transitive properties, and only chain triples yield chain triples. So the chains are closed in one job and the
    rest of the data, split by subject, in others, each with the closed ontology, on every core; the union of the
    closures is the closure of the whole (tests/test_build.py checks this against one closure of everything)."""
    reasoner_input = _reasoner_input(ontology, data)
    chain = _chain_properties(ontology)
    schema = _close([t for t in reasoner_input if t in ontology])  # small; every job starts from it closed
    chains = [t for t in reasoner_input if t[1] in chain and t not in ontology]
    rest = [t for t in reasoner_input if t[1] not in chain and t not in ontology]
    parts = parts or max(1, min(4, os.cpu_count() or 1))
    buckets: list[list] = [[] for _ in range(parts)]
    for t in rest:
        buckets[int(hashlib.md5(str(t[0]).encode()).hexdigest(), 16) % parts].append(t)
    jobs = [schema + chains] + [schema + bucket for bucket in buckets]
    if parts == 1:
        closures = [_close(job) for job in jobs]
    else:
        with multiprocessing.get_context("fork").Pool(parts) as pool:
            closures = pool.map(_close, jobs, chunksize=1)
    inferred = Graph()
    for closure in closures:
        for t in closure:
            if t in data or t in ontology or _trivial(*t):
                continue
            inferred.add(t)
    return inferred
