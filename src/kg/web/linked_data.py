"""One description, many formats: RDF documents written by pyoxigraph, and Link headers to the machine twins.

The formats and their negotiation live in kg.rdf.formats, shared with the SPARQL endpoint."""

from __future__ import annotations

import pyoxigraph as ox
from flask import Request, Response
from markupsafe import Markup
from rdflib import BNode, Graph

from kg.rdf.formats import DOCUMENT_FORMATS, HTML, negotiate_document
from kg.rdf.terms import to_oxigraph

__all__ = [
    "DOCUMENT_FORMATS",
    "HTML",
    "alternates",
    "document_links",
    "head_links",
    "link_header",
    "negotiate",
    "rdf_response",
    "serialize",
]


def negotiate(request: Request, html: bool = True) -> str | None:
    """'html' or a document extension for the request's Accept header (None: nothing it accepts is on offer)."""
    return negotiate_document(request.headers.get("Accept"), html=html)


def offered(html: bool = True) -> str:
    """The media types a document is available in, for a 406's message."""
    return ", ".join((["text/html"] if html else []) + [f.media_type for f in DOCUMENT_FORMATS.values()])


def serialize(graph: Graph, ext: str, prefixes: dict[str, str], subject: str | None = None) -> bytes:
    """The graph in one document format, written by pyoxigraph; the described entity's triples first, then each
    subject's together, so that Turtle groups them. Only the prefixes the triples use are declared.

    A document is one graph: in TriG and N-Quads its triples are in the default graph, so that a client that reads
    the document as a dataset (Comunica asks for N-Quads first) matches the same patterns as in Turtle."""
    triples = sorted(
        graph, key=lambda t: (str(t[0]) != subject, isinstance(t[0], BNode), str(t[0]), str(t[1]), str(t[2]))
    )
    fmt = DOCUMENT_FORMATS[ext]
    used = None
    if fmt.rdf in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML, ox.RdfFormat.TRIG):
        used = {p: ns for p, ns in prefixes.items() if any(str(x).startswith(ns) for t in triples for x in t)}
    if fmt.ext in ("trig", "nq"):
        quads = [ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o)) for s, p, o in triples]
        return ox.serialize(quads, format=fmt.rdf, prefixes=used)
    ox_triples = [ox.Triple(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o)) for s, p, o in triples]
    return ox.serialize(ox_triples, format=fmt.rdf, prefixes=used)


def rdf_response(
    graph: Graph, ext: str, prefixes: dict[str, str], subject: str | None = None, status: int = 200
) -> Response:
    fmt = DOCUMENT_FORMATS[ext]
    resp = Response(serialize(graph, ext, prefixes, subject), status=status, mimetype=fmt.media_type)
    resp.charset = "utf-8"
    return resp


def alternates(path_without_ext: str) -> list[tuple[str, str, str]]:
    """(url, media type, title) of each RDF twin of a page."""
    return [(f"{path_without_ext}.{ext}", f.media_type, f.title) for ext, f in DOCUMENT_FORMATS.items()]


def document_links(base: str, ext: str, page: str) -> str:
    """The Link header of a document: its other formats and its page (RFC 8288 alternates). A JSON-LD document
    names only its page: JSON-LD loaders read `alternate` links and some (pyld) fail on more than one."""
    if ext == "jsonld":
        return link_header([(page, "text/html", "HTML")])
    others = [a for a in alternates(base) if not a[0].endswith("." + ext)]
    return link_header(others + [(page, "text/html", "HTML")])


def link_header(links: list[tuple[str, str, str]], rel: str = "alternate") -> str:
    return ", ".join(f'<{url}>; rel="{rel}"; type="{mime}"; title="{title}"' for url, mime, title in links)


def head_links(links: list[tuple[str, str, str]]) -> Markup:
    return Markup("\n").join(
        Markup('<link rel="alternate" type="{}" href="{}" title="{}">').format(mime, url, title)
        for url, mime, title in links
    )
