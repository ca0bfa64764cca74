"""The SPARQL 1.1 Service Description of the endpoint (GET /sparql without a query), limits included.

The limits have no standard terms, so they are stated twice: in prose (dcterms:description, for people) and with
properties of the endpoint's own small vocabulary `<BASE>def/endpoint#` (for programs).
"""

from __future__ import annotations

from pathlib import Path

from rdflib import RDF, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, VOID

from kg.config import Settings
from kg.rdf.vocab import GRAPH_NAMES
from kg.sparql.results import FORMATS

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
QUERIES = Path(__file__).parent / "queries"


def endpoint_vocabulary(settings: Settings) -> Namespace:
    return Namespace(settings.base_iri + "def/endpoint#")


def limits_text(settings: Settings, workers: int, web_processes: int) -> str:
    return (
        "Read-only SPARQL 1.1 query endpoint. SPARQL Update, SERVICE and LOAD are refused; FROM, FROM NAMED, "
        "default-graph-uri and named-graph-uri may only name this dataset's graphs. The default graph is the union "
        "of the ontology, asserted and inferred graphs. "
        f"Limits: a query may be at most {settings.max_query_bytes} bytes (HTTP 413 above); a query may run "
        f"{settings.timeout:g} s (then it is stopped and the answer is HTTP 503); results are cut after "
        f"{settings.max_rows} rows or triples (the response then has the header X-KG-Truncated: true and "
        f"X-KG-Max-Rows); queries run in {workers} worker process(es) per server process "
        f"({web_processes} server process(es))."
    )


def graph_sizes(store) -> dict[str, int]:
    """Triples per named graph, from the store (empty if the store cannot say)."""
    query = (QUERIES / "graph_sizes.rq").read_text(encoding="utf-8")
    try:
        return {str(row["graph"]): int(row["triples"]) for row in store.select(query)}
    except Exception:  # noqa: BLE001 - the description is still useful without counts (e.g. a remote store down)
        return {}


def service_description(
    settings: Settings, endpoint_url: str, sizes: dict[str, int], workers: int, web_processes: int
) -> Graph:
    g = Graph()
    ep = endpoint_vocabulary(settings)
    g.bind("sd", SD)
    g.bind("void", VOID)
    g.bind("dcterms", DCTERMS)
    g.bind("ep", ep)
    service = URIRef(endpoint_url + "#service")
    g.add((service, RDF.type, SD.Service))
    g.add((service, SD.endpoint, URIRef(endpoint_url)))
    g.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    g.add((service, SD.feature, SD.UnionDefaultGraph))
    for f in FORMATS:
        if f.w3c:
            g.add((service, SD.resultFormat, URIRef(f.w3c)))
    g.add((service, DCTERMS.title, Literal("Jinpu KG SPARQL endpoint", lang="en")))
    g.add((service, DCTERMS.description, Literal(limits_text(settings, workers, web_processes), lang="en")))
    g.add((service, ep.queryTimeout, Literal(settings.timeout, datatype=XSD.decimal)))
    g.add((service, ep.maxResultRows, Literal(settings.max_rows, datatype=XSD.integer)))
    g.add((service, ep.maxQueryBytes, Literal(settings.max_query_bytes, datatype=XSD.integer)))
    g.add((service, ep.queryWorkers, Literal(workers, datatype=XSD.integer)))
    g.add((service, ep.serverProcesses, Literal(web_processes, datatype=XSD.integer)))
    g.add((service, ep.readOnly, Literal(True)))
    g.add((service, ep.truncationHeader, Literal("X-KG-Truncated")))

    dataset = BNode("dataset")
    g.add((service, SD.defaultDataset, dataset))
    g.add((dataset, RDF.type, SD.Dataset))
    g.add((dataset, DCTERMS.source, URIRef(settings.base_iri + "void#dataset")))
    default = BNode("defaultGraph")
    g.add((dataset, SD.defaultGraph, default))
    g.add((default, RDF.type, SD.Graph))
    union = "The union of the ontology, asserted and inferred graphs."
    g.add((default, DCTERMS.description, Literal(union, lang="en")))
    if sizes:
        g.add((default, VOID.triples, Literal(sum(sizes.values()), datatype=XSD.integer)))
    for name in GRAPH_NAMES:
        iri = settings.graph_iri(name)
        named, graph = BNode(f"named-{name}"), BNode(f"graph-{name}")
        g.add((dataset, SD.namedGraph, named))
        g.add((named, RDF.type, SD.NamedGraph))
        g.add((named, SD.name, URIRef(iri)))
        g.add((named, SD.graph, graph))
        g.add((graph, RDF.type, SD.Graph))
        if iri in sizes:
            g.add((graph, VOID.triples, Literal(sizes[iri], datatype=XSD.integer)))
    return g
