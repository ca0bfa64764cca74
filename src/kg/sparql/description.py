"""The SPARQL 1.1 Service Description of the endpoint (GET /sparql without a query), limits included.

The limits have no standard terms, so they are stated twice: in prose (dcterms:description, for people) and with
properties of the endpoint's own small vocabulary `<BASE>def/endpoint#` (for programs), which the server itself
describes at /def/endpoint (`endpoint_vocabulary_graph`), so that every term of the description resolves. The Graph
Store Protocol endpoint (read-only) is named with `ep:graphStore`.
"""

from __future__ import annotations

from pathlib import Path

from rdflib import OWL, RDF, RDFS, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, VOID

from kg.config import Settings
from kg.rdf.vocab import GRAPH_NAMES
from kg.sparql.results import FORMATS

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
QUERIES = Path(__file__).parent / "queries"


def endpoint_vocabulary(settings: Settings) -> Namespace:
    return Namespace(settings.base_iri + "def/endpoint#")


# term -> (kind, range, English label, comment)
TERMS = {
    "queryTimeout": (
        "datatype",
        XSD.decimal,
        "query timeout",
        "Seconds a query may run; a query that runs longer is stopped and answered with HTTP 503.",
    ),
    "maxResultRows": (
        "datatype",
        XSD.integer,
        "maximum result rows",
        (
            "Rows (SELECT) or triples (CONSTRUCT, DESCRIBE) a result has at most; a longer one is cut, "
            "its head links to the truncation note and the response has X-KG-Truncated: true."
        ),
    ),
    "maxQueryBytes": (
        "datatype",
        XSD.integer,
        "maximum query size",
        "Bytes a query may have; a longer one is refused with HTTP 413.",
    ),
    "queryWorkers": (
        "datatype",
        XSD.integer,
        "query workers",
        "Query worker processes per server process; further queries wait for a free one.",
    ),
    "serverProcesses": ("datatype", XSD.integer, "server processes", "Server processes answering requests."),
    "readOnly": ("datatype", XSD.boolean, "read-only", "True: SPARQL Update and Graph Store writes are refused."),
    "truncationHeader": (
        "datatype",
        XSD.string,
        "truncation header",
        "The response header that says a result was cut.",
    ),
    "truncationNote": (
        "object",
        RDFS.Resource,
        "truncation note",
        "The note a cut result links to from its head (SPARQL JSON and XML `link`).",
    ),
    "fastSlice": (
        "datatype",
        XSD.decimal,
        "first time slice",
        "Seconds every query runs at normal priority before a longer one moves to the slow lane.",
    ),
    "slowLane": (
        "datatype",
        XSD.integer,
        "slow lane",
        (
            "Queries that may run at once, per server process, after their first time slice (at the lowest CPU "
            "priority, one per client); more are refused with HTTP 429 or 503."
        ),
    ),
    "clientBudget": (
        "datatype",
        XSD.decimal,
        "client time budget",
        "Seconds of query time a client may use per budget window; over it, HTTP 429 with Retry-After.",
    ),
    "budgetWindow": ("datatype", XSD.decimal, "budget window", "Seconds over which a client's query time is counted."),
    "timedOutMemory": (
        "datatype",
        XSD.decimal,
        "timed-out query memory",
        "Seconds a query text that ran out of time is refused at once (HTTP 429).",
    ),
    "maxClientConnections": (
        "datatype",
        XSD.integer,
        "connections per client",
        "Open connections a client address may hold per server process; more get HTTP 429.",
    ),
    "graphStore": (
        "object",
        RDFS.Resource,
        "graph store",
        (
            "The SPARQL 1.1 Graph Store HTTP Protocol endpoint of the same dataset (read-only: GET and "
            "HEAD with ?graph=<IRI> or ?default)."
        ),
    ),
}


def endpoint_vocabulary_graph(settings: Settings) -> Graph:
    """The small vocabulary the service description uses for what SPARQL Service Description has no term for."""
    ep = endpoint_vocabulary(settings)
    doc = URIRef(str(ep).rstrip("#"))
    g = Graph()
    g.bind("ep", ep)
    g.bind("sd", SD)
    g.add((doc, RDF.type, OWL.Ontology))
    g.add((doc, RDFS.label, Literal("Jinpu KG endpoint vocabulary", lang="en")))
    g.add(
        (
            doc,
            RDFS.comment,
            Literal(
                "Limits and links of the Jinpu KG SPARQL endpoint, as stated in its service description.", lang="en"
            ),
        )
    )
    for name, (kind, range_, label, comment) in TERMS.items():
        term = ep[name]
        g.add((term, RDF.type, RDF.Property))
        g.add((term, RDF.type, OWL.DatatypeProperty if kind == "datatype" else OWL.ObjectProperty))
        g.add((term, RDFS.label, Literal(label, lang="en")))
        g.add((term, RDFS.comment, Literal(comment, lang="en")))
        g.add((term, RDFS.domain, SD.Service))
        g.add((term, RDFS.range, range_))
        g.add((term, RDFS.isDefinedBy, doc))
    return g


def limits_text(settings: Settings, workers: int, web_processes: int) -> str:
    return (
        "Read-only SPARQL 1.1 query endpoint. SPARQL Update, SERVICE and LOAD are refused; FROM, FROM NAMED, "
        "default-graph-uri and named-graph-uri may only name this dataset's graphs. The default graph is the union "
        "of the ontology, asserted and inferred graphs. "
        f"Limits: a query may be at most {settings.max_query_bytes} bytes (HTTP 413 above); a query may run "
        f"{settings.timeout:g} s (then it is stopped and the answer is HTTP 503); results are cut after "
        f"{settings.max_rows} rows or triples (the result's head then links to a note saying so, and the response "
        f"has the header X-KG-Truncated: true and X-KG-Max-Rows); queries run in {workers} worker process(es) per "
        f"server process ({web_processes} server process(es)). "
        f"Fair share, per client address and server process: every query first runs for {settings.fast_slice:g} s "
        f"at normal priority; a longer one continues in a slow lane at the lowest CPU priority, where "
        f"{settings.slow_lane} query(ies) may run at once and a client one at a time (HTTP 429, or 503 when the lane "
        f"is full); a client may use {settings.client_budget:g} s of query time per {settings.budget_window:g} s "
        f"(HTTP 429 above, with Retry-After saying when to come back); a query text that ran out of time is refused "
        f"at once for {settings.timed_out_memory:g} s (HTTP 429). Each client address may hold "
        f"{settings.max_client_connections} open connection(s) per server process; a request's headers must arrive "
        f"within {settings.header_timeout:g} s and its body within {settings.body_timeout:g} s (HTTP 408). "
        "The graphs can also be read whole through the SPARQL 1.1 Graph Store HTTP Protocol (read-only): "
        "GET /store?graph=<IRI> or /store?default."
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
    g.add((service, ep.fastSlice, Literal(settings.fast_slice, datatype=XSD.decimal)))
    g.add((service, ep.slowLane, Literal(settings.slow_lane, datatype=XSD.integer)))
    g.add((service, ep.clientBudget, Literal(settings.client_budget, datatype=XSD.decimal)))
    g.add((service, ep.budgetWindow, Literal(settings.budget_window, datatype=XSD.decimal)))
    g.add((service, ep.timedOutMemory, Literal(settings.timed_out_memory, datatype=XSD.decimal)))
    g.add((service, ep.maxClientConnections, Literal(settings.max_client_connections, datatype=XSD.integer)))
    g.add((service, ep.readOnly, Literal(True)))
    g.add((service, ep.truncationHeader, Literal("X-KG-Truncated")))
    root = endpoint_url.removesuffix("/sparql")
    g.add((service, ep.truncationNote, URIRef(endpoint_url + "/truncated")))
    g.add((service, ep.graphStore, URIRef(root + "/store")))

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
