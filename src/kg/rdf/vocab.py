"""Namespaces, the one prefix table, and the dataset's named graphs."""

from __future__ import annotations

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
SCHEMA = "https://schema.org/"
QB = "http://purl.org/linked-data/cube#"
OA = "http://www.w3.org/ns/oa#"
ORG = "http://www.w3.org/ns/org#"
VOID = "http://rdfs.org/ns/void#"
SD = "http://www.w3.org/ns/sparql-service-description#"
SH = "http://www.w3.org/ns/shacl#"
SDMX_DIMENSION = "http://purl.org/linked-data/sdmx/2009/dimension#"
SDMX_MEASURE = "http://purl.org/linked-data/sdmx/2009/measure#"
SDMX_ATTRIBUTE = "http://purl.org/linked-data/sdmx/2009/attribute#"

# prefix -> namespace: written into Turtle, TriG and RDF/XML, used for compact IRIs on pages and in the query editor.
# The dataset's own two (jp: the ontology, jpr: the resources) depend on the base IRI: see prefixes_for().
PREFIXES: dict[str, str] = {
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "skos": SKOS,
    "dcterms": DCTERMS,
    "prov": PROV,
    "schema": SCHEMA,
    "qb": QB,
    "oa": OA,
    "org": ORG,
    "void": VOID,
    "sd": SD,
    "vann": "http://purl.org/vocab/vann/",
    "sdmx-dimension": SDMX_DIMENSION,
    "sdmx-measure": SDMX_MEASURE,
    "sdmx-attribute": SDMX_ATTRIBUTE,
    "sh": SH,
    "qudt-unit": "http://qudt.org/vocab/unit/",
    "qudt-currency": "http://qudt.org/vocab/currency/",
}

# The dataset's named graphs, by short name: the ontology, the asserted facts, the OWL 2 RL inferences.
GRAPH_NAMES = ("ontology", "asserted", "inferred")


def prefixes_for(def_ns: str, id_ns: str) -> dict[str, str]:
    """The prefix table of a dataset: jp: and jpr: for its base, then the shared vocabularies."""
    return {"jp": def_ns, "jpr": id_ns, **PREFIXES}
