"""One description, many formats: RDF serializations, content negotiation, and Link headers to the machine twins."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pyoxigraph as ox
from flask import Request, Response
from markupsafe import Markup
from rdflib import RDF, XSD, BNode, Graph, Literal, URIRef

from kg.store import to_oxigraph


@dataclass(frozen=True)
class RdfFormat:
    ext: str
    mimetype: str
    rdflib_name: str
    title: str


RDF_FORMATS: dict[str, RdfFormat] = {
    f.ext: f
    for f in (
        RdfFormat("ttl", "text/turtle", "turtle", "Turtle"),
        RdfFormat("jsonld", "application/ld+json", "json-ld", "JSON-LD"),
        RdfFormat("nt", "application/n-triples", "nt", "N-Triples"),
        RdfFormat("rdf", "application/rdf+xml", "xml", "RDF/XML"),
    )
}
# Media types clients send for the same formats.
_ALIASES = {
    "application/x-turtle": "ttl",
    "text/n3": "ttl",
    "application/json": "jsonld",
    "text/plain": "nt",
    "application/xml": "rdf",
    "text/xml": "rdf",
}
HTML = "html"


def negotiate(request: Request, html: bool = True) -> str | None:
    """'html' or an RDF extension for the request's Accept header; None when nothing it accepts is on offer.

    HTML wins ties (browsers send */*); no Accept header at all means HTML as well.
    """
    offers = ([("text/html", HTML), ("application/xhtml+xml", HTML)] if html else [])
    offers += [(f.mimetype, f.ext) for f in RDF_FORMATS.values()]
    offers += list(_ALIASES.items())
    accept = request.accept_mimetypes
    if not accept:
        return HTML if html else "ttl"
    best, best_q = None, 0.0
    for mimetype, ext in offers:
        q = accept[mimetype]  # quality of the best matching Accept entry, wildcards included
        if q > best_q or (q == best_q and q > 0 and _more_specific(accept, mimetype, best)):
            best, best_q = (mimetype, ext), q
    return best[1] if best else None


def _more_specific(accept, mimetype: str, current) -> bool:
    """Between equal qualities, an exact mention in Accept beats a wildcard match."""
    if current is None:
        return True
    exact = {v for v, _ in accept}
    return mimetype in exact and current[0] not in exact


def serialize(graph: Graph, ext: str, prefixes: dict[str, str], subject: str | None = None) -> bytes:
    """The graph in one format, written by pyoxigraph (fast); JSON-LD compacted with our prefixes as its context.

    Triples are written subject by subject, the described entity first, so Turtle groups them."""
    triples = sorted(graph, key=lambda t: (str(t[0]) != subject, isinstance(t[0], BNode), str(t[0]), str(t[1]),
                                           str(t[2])))
    used = {p: ns for p, ns in prefixes.items() if any(str(x).startswith(ns) for t in triples for x in t)}
    if ext == "jsonld":
        return json.dumps(_jsonld(triples, used), ensure_ascii=False, indent=2).encode("utf-8")
    ox_triples = [ox.Triple(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o)) for s, p, o in triples]
    fmt = {"ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "rdf": ox.RdfFormat.RDF_XML}[ext]
    return ox.serialize(ox_triples, format=fmt, prefixes=used if ext != "nt" else None)


def _compact(iri: str, prefixes: dict[str, str]) -> str:
    for p, ns in prefixes.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            local = iri[len(ns):]
            if "/" not in local and "#" not in local and ":" not in local:
                return f"{p}:{local}"
    return iri


def _jsonld(triples: list, prefixes: dict[str, str]) -> dict:
    """Compacted JSON-LD: one node object per subject, prefixed names from the context, values as arrays."""
    nodes: dict[str, dict] = {}
    for s, p, o in triples:
        sid = f"_:{s}" if isinstance(s, BNode) else _compact(str(s), prefixes)
        node = nodes.setdefault(sid, {"@id": sid})
        key = "@type" if p == RDF.type else _compact(str(p), prefixes)
        if key == "@type":
            value: object = _compact(str(o), prefixes)
        elif isinstance(o, BNode):
            value = {"@id": f"_:{o}"}
        elif isinstance(o, URIRef):
            value = {"@id": _compact(str(o), prefixes)}
        elif isinstance(o, Literal):
            value = {"@value": str(o)}
            if o.language:
                value["@language"] = o.language
            elif o.datatype and o.datatype != XSD.string:
                value["@type"] = _compact(str(o.datatype), prefixes)
        else:
            continue
        node.setdefault(key, []).append(value)
    return {"@context": dict(sorted(prefixes.items())), "@graph": list(nodes.values())}


def rdf_response(graph: Graph, ext: str, prefixes: dict[str, str], subject: str | None = None,
                 status: int = 200) -> Response:
    fmt = RDF_FORMATS[ext]
    resp = Response(serialize(graph, ext, prefixes, subject), status=status, mimetype=fmt.mimetype)
    if fmt.mimetype.startswith("text/") or ext in ("nt", "jsonld"):
        resp.charset = "utf-8"
    return resp


def alternates(path_without_ext: str) -> list[tuple[str, str, str]]:
    """(url, media type, title) of each RDF twin of a page."""
    return [(f"{path_without_ext}.{f.ext}", f.mimetype, f.title) for f in RDF_FORMATS.values()]


def link_header(links: list[tuple[str, str, str]], rel: str = "alternate") -> str:
    return ", ".join(f'<{url}>; rel="{rel}"; type="{mime}"; title="{title}"' for url, mime, title in links)


def head_links(links: list[tuple[str, str, str]]) -> Markup:
    return Markup("\n").join(
        Markup('<link rel="alternate" type="{}" href="{}" title="{}">').format(mime, url, title)
        for url, mime, title in links)
