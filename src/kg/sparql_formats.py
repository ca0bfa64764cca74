"""Result formats of the SPARQL endpoint: which exist, which one a request asks for, and writing results in it.

Results are written by pyoxigraph (Rust), never term by term in Python. Row limits are applied while writing: the
result is written as TSV (SELECT) or N-Triples (graphs), one row or triple a line, into a buffer that stops the
query after max_rows + 1 lines, so a huge result is neither computed nor held in full. A result asked for in
another format is then converted from that buffer, again by pyoxigraph.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from kg.sparql_policy import QueryError

KINDS = ("select", "ask", "graph")
MAX_RESULT_BYTES = 64 * 2**20  # a result is also cut here, however few its rows (huge literals)
RF = ox.QueryResultsFormat
RDF = ox.RdfFormat


@dataclass(frozen=True)
class Format:
    """One result format: its short name, media type, the query kinds it serves and its pyoxigraph format."""

    name: str
    media_type: str
    kinds: tuple[str, ...]
    results: ox.QueryResultsFormat | None = None
    rdf: ox.RdfFormat | None = None
    aliases: tuple[str, ...] = ()  # other media types a client may ask for it by
    w3c: str = ""  # its IRI in http://www.w3.org/ns/formats/ (for the service description)

    @property
    def content_type(self) -> str:
        return f"{self.media_type}; charset=utf-8"


_F = "http://www.w3.org/ns/formats/"
FORMATS = (
    # Results of SELECT and ASK, in the server's order of preference.
    Format("json", "application/sparql-results+json", ("select", "ask"), results=RF.JSON,
           aliases=("application/json", "text/javascript", "application/javascript"), w3c=_F + "SPARQL_Results_JSON"),
    Format("xml", "application/sparql-results+xml", ("select", "ask"), results=RF.XML,
           aliases=("application/xml", "text/xml"), w3c=_F + "SPARQL_Results_XML"),
    Format("csv", "text/csv", ("select", "ask"), results=RF.CSV, w3c=_F + "SPARQL_Results_CSV"),
    Format("tsv", "text/tab-separated-values", ("select", "ask"), results=RF.TSV, w3c=_F + "SPARQL_Results_TSV"),
    # Graphs (CONSTRUCT, DESCRIBE and the service description).
    Format("turtle", "text/turtle", ("graph",), rdf=RDF.TURTLE, aliases=("application/turtle", "application/x-turtle"),
           w3c=_F + "Turtle"),
    Format("ntriples", "application/n-triples", ("graph",), rdf=RDF.N_TRIPLES, aliases=("text/plain",),
           w3c=_F + "N-Triples"),
    Format("jsonld", "application/ld+json", ("graph",), rdf=RDF.JSON_LD,
           aliases=("application/x-json+ld", "application/json"), w3c=_F + "JSON-LD"),
    Format("rdfxml", "application/rdf+xml", ("graph",), rdf=RDF.RDF_XML, aliases=("application/xml", "text/xml"),
           w3c=_F + "RDF_XML"),
    Format("n3", "text/n3", ("graph",), rdf=RDF.N3, aliases=("text/rdf+n3", "application/n3"), w3c=_F + "N3"),
    Format("trig", "application/trig", ("graph",), rdf=RDF.TRIG, aliases=("application/x-trig",), w3c=_F + "TriG"),
    Format("nquads", "application/n-quads", ("graph",), rdf=RDF.N_QUADS, aliases=("text/x-nquads",),
           w3c=_F + "N-Quads"),
)
BY_NAME = {f.name: f for f in FORMATS}

# Values of the `format` parameter (also what SPARQLWrapper sends), per query kind.
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
    fs = [f for f in FORMATS if _kind in f.kinds]
    _OFFERS[_kind] = [(f.media_type, f.name) for f in fs] + [(a, f.name) for f in fs for a in f.aliases]

# Prefixes written into Turtle, TriG, N3 and RDF/XML results.
STANDARD_PREFIXES = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "qb": "http://purl.org/linked-data/cube#",
    "oa": "http://www.w3.org/ns/oa#",
    "schema": "https://schema.org/",
    "org": "http://www.w3.org/ns/org#",
    "void": "http://rdfs.org/ns/void#",
    "sd": "http://www.w3.org/ns/sparql-service-description#",
}


def prefixes_for(def_ns: str, id_ns: str) -> dict[str, str]:
    return {"jp": def_ns, "jpr": id_ns, **STANDARD_PREFIXES}


def negotiate(accept: str | None, format_values: Sequence[str] = ()) -> dict[str, str | None]:
    """The format name to answer each query kind with (None: nothing the client accepts). Raises QueryError(406)
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
        raise QueryError(406, f"Unknown format {', '.join(format_values)!r}; use one of {known} or a media type.")
    if not accept or not accept.strip():
        return {kind: _OFFERS[kind][0][1] for kind in KINDS}
    from werkzeug.datastructures import MIMEAccept
    from werkzeug.http import parse_accept_header

    parsed = parse_accept_header(accept, MIMEAccept)
    plan: dict[str, str | None] = {}
    for kind in KINDS:
        offers = _OFFERS[kind]
        best = parsed.best_match([mt for mt, _ in offers])
        plan[kind] = dict(offers)[best] if best else None
    return plan


def not_acceptable(kind: str) -> QueryError:
    """406 for a result of this kind: what the client accepts cannot carry it."""
    names = {"select": "SELECT results", "ask": "ASK results", "graph": "CONSTRUCT/DESCRIBE graphs"}
    offered = ", ".join(f.media_type for f in FORMATS if kind in f.kinds)
    short = ", ".join(f.name for f in FORMATS if kind in f.kinds)
    return QueryError(406, f"None of the accepted formats can carry {names[kind]}; available: {offered} "
                           f"(or the format parameter: {short}).")


class _Full(Exception):
    """Raised into pyoxigraph's writer to stop a result at the row limit."""


class _CappedBuffer:
    """A binary sink that stops the writer (and so the lazy query) once it holds more than `lines` lines or
    `max_bytes` bytes."""

    def __init__(self, lines: int, max_bytes: int):
        self.limit = lines
        self.max_bytes = max_bytes
        self.lines = 0
        self.size = 0
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        self.lines += data.count(b"\n")
        self.size += len(data)
        if self.lines > self.limit or self.size > self.max_bytes:
            raise _Full
        return len(data)

    def flush(self) -> None:
        pass

    def head(self) -> tuple[bytes, bool]:
        """The first `limit` whole lines within `max_bytes`, and whether anything was cut."""
        data = b"".join(self.chunks)
        if self.lines <= self.limit and self.size <= self.max_bytes:
            return data, False
        end = -1
        for _ in range(self.limit):
            end = data.index(b"\n", end + 1)
        if end + 1 > self.max_bytes:
            end = data.rindex(b"\n", 0, self.max_bytes)
        return data[:end + 1], True


def _capped(write, lines: int) -> tuple[bytes, bool]:
    sink = _CappedBuffer(lines, MAX_RESULT_BYTES)
    try:
        write(sink)
    except _Full:
        pass
    except OSError as exc:
        if isinstance(exc.__context__, _Full) or "_Full" in repr(exc):
            pass
        else:
            raise
    return sink.head()


@dataclass
class Rendered:
    kind: str  # select | ask | graph
    body: bytes  # in the requested format, or TSV / N-Triples for "internal"
    media_type: str
    truncated: bool
    rows: int | None = None


def kind_of(result) -> str:
    if isinstance(result, ox.QuerySolutions):
        return "select"
    if isinstance(result, ox.QueryBoolean):
        return "ask"
    return "graph"


def render(result, fmt_name: str, max_rows: int, prefixes: dict[str, str]) -> Rendered:
    """Write a query result in a format ('internal': TSV for SELECT, N-Triples for graphs), cut at max_rows."""
    kind = kind_of(result)
    if kind == "ask":
        fmt = BY_NAME["json" if fmt_name == "internal" else fmt_name]
        return Rendered(kind, result.serialize(format=fmt.results), fmt.content_type, False, None)
    if kind == "select":
        tsv, truncated = _capped(lambda sink: result.serialize(sink, RF.TSV), max_rows + 1)
        rows = max(tsv.count(b"\n") - 1, 0)
        if fmt_name in ("internal", "tsv"):
            body = tsv
        else:
            body = ox.parse_query_results(tsv, RF.TSV).serialize(format=BY_NAME[fmt_name].results)
        media = "text/tab-separated-values; charset=utf-8" if fmt_name == "internal" else BY_NAME[fmt_name].content_type
        return Rendered(kind, body, media, truncated, rows)

    def write(sink) -> None:
        if isinstance(result, ox.QueryTriples):
            result.serialize(sink, RDF.N_TRIPLES)
        else:
            ox.serialize(_triples(result), sink, RDF.N_TRIPLES)

    nt, truncated = _capped(write, max_rows)
    rows = nt.count(b"\n")
    body = nt if fmt_name in ("internal", "ntriples") else convert_ntriples(nt, BY_NAME[fmt_name], prefixes)
    media = "application/n-triples; charset=utf-8" if fmt_name == "internal" else BY_NAME[fmt_name].content_type
    return Rendered(kind, body, media, truncated, rows)


def convert_ntriples(nt: bytes, fmt: Format, prefixes: dict[str, str]) -> bytes:
    """N-Triples in another RDF format; lines sorted first so that each subject's triples are written together."""
    nt = b"".join(sorted(nt.splitlines(keepends=True)))
    quads = ox.parse(nt, RDF.N_QUADS if fmt.rdf.supports_datasets else RDF.N_TRIPLES)
    return ox.serialize(quads, format=fmt.rdf, prefixes=prefixes)


def _triples(items: Iterable) -> Iterable:
    for t in items:
        yield t.triple if isinstance(t, ox.Quad) else t
