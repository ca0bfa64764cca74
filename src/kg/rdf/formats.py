"""The one registry of formats (SPARQL results and RDF serializations) and content negotiation over it.

The SPARQL endpoint offers every format for the query kinds it serves; documents (an entity's description, a class,
the ontology) are offered in the RDF formats that have a file extension for a single graph (`DOCUMENT_FORMATS`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyoxigraph as ox

KINDS = ("select", "ask", "graph")
RF = ox.QueryResultsFormat
RDF = ox.RdfFormat
_W3C = "http://www.w3.org/ns/formats/"


@dataclass(frozen=True)
class Format:
    """One format: short name, media type, the query kinds it serves, its pyoxigraph format, file extension."""

    name: str
    media_type: str
    kinds: tuple[str, ...]
    results: ox.QueryResultsFormat | None = None
    rdf: ox.RdfFormat | None = None
    aliases: tuple[str, ...] = ()  # other media types a client may ask for it by
    w3c: str = ""  # its IRI in http://www.w3.org/ns/formats/ (for the service description)
    ext: str = ""  # file extension of a document in this format
    title: str = ""

    @property
    def content_type(self) -> str:
        return f"{self.media_type}; charset=utf-8"


FORMATS = (
    # Results of SELECT and ASK, in the server's order of preference.
    Format("json", "application/sparql-results+json", ("select", "ask"), results=RF.JSON,
           aliases=("application/json", "text/javascript", "application/javascript"), w3c=_W3C + "SPARQL_Results_JSON",
           ext="srj", title="SPARQL Results JSON"),
    Format("xml", "application/sparql-results+xml", ("select", "ask"), results=RF.XML,
           aliases=("application/xml", "text/xml"), w3c=_W3C + "SPARQL_Results_XML", ext="srx",
           title="SPARQL Results XML"),
    Format("csv", "text/csv", ("select", "ask"), results=RF.CSV, w3c=_W3C + "SPARQL_Results_CSV", ext="csv",
           title="CSV"),
    Format("tsv", "text/tab-separated-values", ("select", "ask"), results=RF.TSV, w3c=_W3C + "SPARQL_Results_TSV",
           ext="tsv", title="TSV"),
    # Graphs (CONSTRUCT, DESCRIBE, the service description and documents).
    Format("turtle", "text/turtle", ("graph",), rdf=RDF.TURTLE, aliases=("application/turtle", "application/x-turtle"),
           w3c=_W3C + "Turtle", ext="ttl", title="Turtle"),
    Format("ntriples", "application/n-triples", ("graph",), rdf=RDF.N_TRIPLES, aliases=("text/plain",),
           w3c=_W3C + "N-Triples", ext="nt", title="N-Triples"),
    Format("jsonld", "application/ld+json", ("graph",), rdf=RDF.JSON_LD,
           aliases=("application/x-json+ld", "application/json"), w3c=_W3C + "JSON-LD", ext="jsonld", title="JSON-LD"),
    Format("rdfxml", "application/rdf+xml", ("graph",), rdf=RDF.RDF_XML, aliases=("application/xml", "text/xml"),
           w3c=_W3C + "RDF_XML", ext="rdf", title="RDF/XML"),
    Format("n3", "text/n3", ("graph",), rdf=RDF.N3, aliases=("text/rdf+n3", "application/n3"), w3c=_W3C + "N3",
           ext="n3", title="N3"),
    Format("trig", "application/trig", ("graph",), rdf=RDF.TRIG, aliases=("application/x-trig",), w3c=_W3C + "TriG",
           ext="trig", title="TriG"),
    Format("nquads", "application/n-quads", ("graph",), rdf=RDF.N_QUADS, aliases=("text/x-nquads",),
           w3c=_W3C + "N-Quads", ext="nq", title="N-Quads"),
)
BY_NAME = {f.name: f for f in FORMATS}
BY_EXT = {f.ext: f for f in FORMATS}

# The formats of a document (one graph, one file): by extension, in the order pages list them.
DOCUMENT_FORMATS: dict[str, Format] = {ext: BY_EXT[ext] for ext in ("ttl", "jsonld", "nt", "rdf")}
# Media types that name no document format of their own but that clients send for one (Turtle is valid N3).
_DOCUMENT_ALIASES = {"text/n3": "ttl"}
HTML = "html"

# Values of the SPARQL endpoint's `format` parameter (also what SPARQLWrapper sends), per query kind.
_FORMAT_PARAM: dict[str, dict[str, str]] = {
    "json": {"select": "json", "ask": "json", "graph": "jsonld"},
    "srj": {"select": "json", "ask": "json"},
    "xml": {"select": "xml", "ask": "xml", "graph": "rdfxml"},
    "srx": {"select": "xml", "ask": "xml"},
    "csv": {"select": "csv", "ask": "csv"},
    "tsv": {"select": "tsv", "ask": "tsv"},
    "turtle": {"graph": "turtle"}, "ttl": {"graph": "turtle"},
    "n3": {"graph": "n3"},
    "nt": {"graph": "ntriples"}, "ntriples": {"graph": "ntriples"}, "n-triples": {"graph": "ntriples"},
    "jsonld": {"graph": "jsonld"}, "json-ld": {"graph": "jsonld"},
    "rdf": {"graph": "rdfxml"}, "rdfxml": {"graph": "rdfxml"}, "rdf+xml": {"graph": "rdfxml"},
    "rdf/xml": {"graph": "rdfxml"}, "owl": {"graph": "rdfxml"},
    "trig": {"graph": "trig"},
    "nquads": {"graph": "nquads"}, "nq": {"graph": "nquads"}, "n-quads": {"graph": "nquads"},
}
for _f in FORMATS:  # a media type works as a format value too
    for _mt in (_f.media_type, *_f.aliases):
        for _kind in _f.kinds:
            _FORMAT_PARAM.setdefault(_mt, {}).setdefault(_kind, _f.name)

# Media types offered per kind: canonical ones first (in order of preference), then aliases.
_OFFERS: dict[str, list[tuple[str, str]]] = {}
for _kind in KINDS:
    _fs = [f for f in FORMATS if _kind in f.kinds]
    _OFFERS[_kind] = [(f.media_type, f.name) for f in _fs] + [(a, f.name) for f in _fs for a in f.aliases]


class UnknownFormat(ValueError):
    """A `format` value that names no format of the registry."""


def _accept(accept: str):
    from werkzeug.datastructures import MIMEAccept
    from werkzeug.http import parse_accept_header

    return parse_accept_header(accept, MIMEAccept)


def negotiate(accept: str | None, format_values: Sequence[str] = ()) -> dict[str, str | None]:
    """The format name to answer each query kind with (None: nothing the client accepts). Raises UnknownFormat
    for an unknown `format` value. `format` overrides Accept; q-values and wildcards in Accept are honoured.

    Several `format` values, or comma-separated ones (SPARQLWrapper sends e.g. format=json-ld and
    format=application/ld+json,application/x-json+ld), are alternatives: the first known one wins."""
    if format_values:
        for value in format_values:
            for candidate in value.split(","):
                choice = _FORMAT_PARAM.get(candidate.strip().lower())
                if choice is not None:
                    return {kind: choice.get(kind) for kind in KINDS}
        known = ", ".join(sorted(k for k in _FORMAT_PARAM if "/" not in k))
        raise UnknownFormat(f"Unknown format {', '.join(format_values)!r}; use one of {known} or a media type.")
    if not accept or not accept.strip():
        return {kind: _OFFERS[kind][0][1] for kind in KINDS}
    parsed = _accept(accept)
    plan: dict[str, str | None] = {}
    for kind in KINDS:
        offers = _OFFERS[kind]
        best = parsed.best_match([mt for mt, _ in offers])
        plan[kind] = dict(offers)[best] if best else None
    return plan


def negotiate_document(accept: str | None, html: bool = True) -> str | None:
    """'html' or a document extension for an Accept header; None when nothing it accepts is on offer.

    HTML wins ties (browsers send */*); no Accept header at all means HTML (or Turtle, where HTML is not offered)."""
    offers = [("text/html", HTML), ("application/xhtml+xml", HTML)] if html else []
    offers += [(f.media_type, ext) for ext, f in DOCUMENT_FORMATS.items()]
    offers += [(a, ext) for ext, f in DOCUMENT_FORMATS.items() for a in f.aliases]
    offers += list(_DOCUMENT_ALIASES.items())
    if not accept or not accept.strip():
        return HTML if html else "ttl"
    parsed = _accept(accept)
    exact = {v for v, _ in parsed}
    best, best_q = None, 0.0
    for media_type, ext in offers:
        q = parsed[media_type]  # quality of the best matching Accept entry, wildcards included
        # between equal qualities, an exact mention in Accept beats a wildcard match
        if q > best_q or (q == best_q and q > 0 and media_type in exact and best[0] not in exact):
            best, best_q = (media_type, ext), q
    return best[1] if best else None
