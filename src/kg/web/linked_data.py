"""One description, many formats: RDF documents written by pyoxigraph, and Link headers to the machine twins.

The formats and their negotiation live in kg.rdf.formats, shared with the SPARQL endpoint."""

from __future__ import annotations

import pyoxigraph as ox
from flask import Request, Response
from markupsafe import Markup
from rdflib import BNode, Graph

from kg.rdf.formats import DOCUMENT_FORMATS, HTML, negotiate_document
from kg.rdf.terms import to_oxigraph

__all__ = ["DOCUMENT_FORMATS", "HTML", "alternates", "head_links", "link_header", "negotiate", "rdf_response",
           "serialize"]


def negotiate(request: Request, html: bool = True) -> str | None:
    """'html' or a document extension for the request's Accept header (None: nothing it accepts is on offer)."""
    return negotiate_document(request.headers.get("Accept"), html=html)


def serialize(graph: Graph, ext: str, prefixes: dict[str, str], subject: str | None = None) -> bytes:
    """The graph in one document format, written by pyoxigraph; the described entity's triples first, then each
    subject's together, so that Turtle groups them. Only the prefixes the triples use are declared."""
    triples = sorted(graph, key=lambda t: (str(t[0]) != subject, isinstance(t[0], BNode), str(t[0]), str(t[1]),
                                           str(t[2])))
    fmt = DOCUMENT_FORMATS[ext]
    used = None
    if fmt.rdf in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML, ox.RdfFormat.TRIG):
        used = {p: ns for p, ns in prefixes.items() if any(str(x).startswith(ns) for t in triples for x in t)}
    ox_triples = [ox.Triple(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o)) for s, p, o in triples]
    return ox.serialize(ox_triples, format=fmt.rdf, prefixes=used)


def rdf_response(graph: Graph, ext: str, prefixes: dict[str, str], subject: str | None = None,
                 status: int = 200) -> Response:
    fmt = DOCUMENT_FORMATS[ext]
    resp = Response(serialize(graph, ext, prefixes, subject), status=status, mimetype=fmt.media_type)
    resp.charset = "utf-8"
    return resp


def alternates(path_without_ext: str) -> list[tuple[str, str, str]]:
    """(url, media type, title) of each RDF twin of a page."""
    return [(f"{path_without_ext}.{ext}", f.media_type, f.title) for ext, f in DOCUMENT_FORMATS.items()]


def link_header(links: list[tuple[str, str, str]], rel: str = "alternate") -> str:
    return ", ".join(f'<{url}>; rel="{rel}"; type="{mime}"; title="{title}"' for url, mime, title in links)


def head_links(links: list[tuple[str, str, str]]) -> Markup:
    return Markup("\n").join(
        Markup('<link rel="alternate" type="{}" href="{}" title="{}">').format(mime, url, title)
        for url, mime, title in links)
