"""The one registry of formats (SPARQL results and RDF serializations) and content negotiation over it.

The SPARQL endpoint offers every format for the query kinds it serves; documents (an entity's description, a class,
the ontology, a named graph) are offered in the RDF formats that have a file extension (`DOCUMENT_FORMATS`).

Negotiation follows RFC 9110 (12.5.1) in one implementation for the endpoint, the documents and the pages
(`best_offer`): q-values, wildcards, and media-type parameters, which are matched where they say something about the
answer and ignored where they do not. Every text this server writes is UTF-8, so `charset` matches when it names
UTF-8 and rules its media range out otherwise; JSON-LD is written in expanded form, so a `profile` on
application/ld+json matches when it lists the expanded profile (or no profile is given) and rules the range out when
it asks only for another form; other parameters are ignored. The most specific matching range gives an offer its
quality; ties go to the offer named exactly, then to the server's order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

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
    Format(
        "json",
        "application/sparql-results+json",
        ("select", "ask"),
        results=RF.JSON,
        aliases=("application/json", "text/javascript", "application/javascript"),
        w3c=_W3C + "SPARQL_Results_JSON",
        ext="srj",
        title="SPARQL Results JSON",
    ),
    Format(
        "xml",
        "application/sparql-results+xml",
        ("select", "ask"),
        results=RF.XML,
        aliases=("application/xml", "text/xml"),
        w3c=_W3C + "SPARQL_Results_XML",
        ext="srx",
        title="SPARQL Results XML",
    ),
    Format(
        "csv", "text/csv", ("select", "ask"), results=RF.CSV, w3c=_W3C + "SPARQL_Results_CSV", ext="csv", title="CSV"
    ),
    Format(
        "tsv",
        "text/tab-separated-values",
        ("select", "ask"),
        results=RF.TSV,
        w3c=_W3C + "SPARQL_Results_TSV",
        ext="tsv",
        title="TSV",
    ),
    # Graphs (CONSTRUCT, DESCRIBE, the service description and documents).
    Format(
        "turtle",
        "text/turtle",
        ("graph",),
        rdf=RDF.TURTLE,
        aliases=("application/turtle", "application/x-turtle"),
        w3c=_W3C + "Turtle",
        ext="ttl",
        title="Turtle",
    ),
    Format(
        "ntriples",
        "application/n-triples",
        ("graph",),
        rdf=RDF.N_TRIPLES,
        aliases=("text/plain",),
        w3c=_W3C + "N-Triples",
        ext="nt",
        title="N-Triples",
    ),
    Format(
        "jsonld",
        "application/ld+json",
        ("graph",),
        rdf=RDF.JSON_LD,
        aliases=("application/x-json+ld", "application/json"),
        w3c=_W3C + "JSON-LD",
        ext="jsonld",
        title="JSON-LD",
    ),
    Format(
        "rdfxml",
        "application/rdf+xml",
        ("graph",),
        rdf=RDF.RDF_XML,
        aliases=("application/xml", "text/xml"),
        w3c=_W3C + "RDF_XML",
        ext="rdf",
        title="RDF/XML",
    ),
    Format(
        "n3",
        "text/n3",
        ("graph",),
        rdf=RDF.N3,
        aliases=("text/rdf+n3", "application/n3"),
        w3c=_W3C + "N3",
        ext="n3",
        title="N3",
    ),
    Format(
        "trig",
        "application/trig",
        ("graph",),
        rdf=RDF.TRIG,
        aliases=("application/x-trig",),
        w3c=_W3C + "TriG",
        ext="trig",
        title="TriG",
    ),
    Format(
        "nquads",
        "application/n-quads",
        ("graph",),
        rdf=RDF.N_QUADS,
        aliases=("text/x-nquads",),
        w3c=_W3C + "N-Quads",
        ext="nq",
        title="N-Quads",
    ),
)
BY_NAME = {f.name: f for f in FORMATS}
BY_EXT = {f.ext: f for f in FORMATS}

# The formats of a document, by extension, in the order pages list them (TriG and N-Quads keep the named graph of
# each statement).
DOCUMENT_FORMATS: dict[str, Format] = {ext: BY_EXT[ext] for ext in ("ttl", "jsonld", "nt", "rdf", "trig", "nq")}
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
    "turtle": {"graph": "turtle"},
    "ttl": {"graph": "turtle"},
    "n3": {"graph": "n3"},
    "nt": {"graph": "ntriples"},
    "ntriples": {"graph": "ntriples"},
    "n-triples": {"graph": "ntriples"},
    "jsonld": {"graph": "jsonld"},
    "json-ld": {"graph": "jsonld"},
    "rdf": {"graph": "rdfxml"},
    "rdfxml": {"graph": "rdfxml"},
    "rdf+xml": {"graph": "rdfxml"},
    "rdf/xml": {"graph": "rdfxml"},
    "owl": {"graph": "rdfxml"},
    "trig": {"graph": "trig"},
    "nquads": {"graph": "nquads"},
    "nq": {"graph": "nquads"},
    "n-quads": {"graph": "nquads"},
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


JSONLD_EXPANDED = "http://www.w3.org/ns/json-ld#expanded"
_UTF8 = {"utf-8", "utf8"}


@dataclass(frozen=True)
class MediaRange:
    """One entry of an Accept header: type/subtype, its parameters (lower-case names, values unquoted), its q."""

    type: str
    subtype: str
    params: tuple[tuple[str, str], ...]
    q: float

    def specificity(self) -> int:
        return 0 if self.type == "*" else 1 if self.subtype == "*" else 2

    def matches(self, media_type: str) -> bool:
        kind, _, sub = media_type.partition("/")
        return self.type == "*" or (self.type == kind and self.subtype in ("*", sub))

    def params_match(self, media_type: str) -> bool:
        """Whether the range's parameters allow an answer in this media type as this server writes it."""
        for name, value in self.params:
            if name == "charset" and value.lower() not in _UTF8:
                return False
            if name == "profile" and media_type == "application/ld+json" and JSONLD_EXPANDED not in value.split():
                return False
        return True


def _split(header: str, sep: str) -> list[str]:
    """Split on `sep` outside quoted strings."""
    parts, current, quoted, escaped = [], [], False, False
    for ch in header:
        if escaped:
            escaped = False
        elif ch == "\\" and quoted:
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == sep and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return parts


def parse_accept(accept: str | None) -> list[MediaRange]:
    """The media ranges of an Accept header; malformed entries are skipped (as if not sent)."""
    ranges = []
    for entry in _split(accept or "", ","):
        fields = _split(entry, ";")
        kind, _, sub = fields[0].strip().lower().partition("/")
        if not kind or not sub or (kind == "*" and sub != "*"):
            continue
        params: list[tuple[str, str]] = []
        q = 1.0
        for field_ in fields[1:]:
            name, _, value = field_.partition("=")
            name, value = name.strip().lower(), value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = -1.0
                break  # what follows q are accept extensions, not media-type parameters
            if name:
                params.append((name, value))
        if 0.0 <= q <= 1.0:
            ranges.append(MediaRange(kind, sub, tuple(params), q))
    return ranges


def quality(ranges: Sequence[MediaRange], media_type: str) -> tuple[float, int]:
    """(q, specificity) of a media type: from the most specific range that matches it, parameters included."""
    best: MediaRange | None = None
    for r in ranges:
        more_specific = best is None or (r.specificity(), len(r.params)) > (best.specificity(), len(best.params))
        if more_specific and r.matches(media_type) and r.params_match(media_type):
            best = r
    return (best.q, best.specificity()) if best is not None else (0.0, -1)


def best_offer(accept: str | None, offers: Sequence[tuple[str, str]], default: str | None = None) -> str | None:
    """The value of the offer (media type, value) the Accept header prefers; `default` without a header (or the
    first offer), None when it accepts none of them. Offers come in the server's order of preference."""
    ranges = parse_accept(accept)
    if not ranges:
        return default if default is not None else (offers[0][1] if offers else None)
    best, best_key = None, (0.0, -1)
    for media_type, value in offers:
        key = quality(ranges, media_type)
        if key[0] > 0 and key > best_key:
            best, best_key = value, key
    return best


def negotiate(accept: str | None, format_values: Sequence[str] = ()) -> dict[str, str | None]:
    """The format name to answer each query kind with (None: nothing the client accepts). Raises UnknownFormat
    for an unknown `format` value. `format` overrides Accept.

    Several `format` values, or comma-separated ones (SPARQLWrapper sends e.g. format=json-ld and
    format=application/ld+json,application/x-json+ld), are alternatives: the first known one wins."""
    return dict(_negotiated(accept, tuple(format_values)))


@lru_cache(maxsize=1024)  # clients send few distinct Accept headers; parsing one costs more than a cheap query
def _negotiated(accept: str | None, format_values: tuple[str, ...]) -> tuple[tuple[str, str | None], ...]:
    return tuple(_negotiate(accept, format_values).items())


def _negotiate(accept: str | None, format_values: tuple[str, ...]) -> dict[str, str | None]:
    if format_values:
        for value in format_values:
            for candidate in value.split(","):
                choice = _FORMAT_PARAM.get(candidate.split(";")[0].strip().lower())
                if choice is not None:
                    return {kind: choice.get(kind) for kind in KINDS}
        known = ", ".join(sorted(k for k in _FORMAT_PARAM if "/" not in k))
        raise UnknownFormat(f"Unknown format {', '.join(format_values)!r}; use one of {known} or a media type.")
    return {kind: best_offer(accept, _OFFERS[kind]) for kind in KINDS}


def document_offers(html: bool = True, exts: Sequence[str] | None = None) -> list[tuple[str, str]]:
    """(media type, 'html' or extension) of a document's representations, in the server's order of preference."""
    chosen = [(ext, DOCUMENT_FORMATS[ext]) for ext in (exts or DOCUMENT_FORMATS)]
    offers = [("text/html", HTML), ("application/xhtml+xml", HTML)] if html else []
    offers += [(f.media_type, ext) for ext, f in chosen]
    offers += [(a, ext) for ext, f in chosen for a in f.aliases]
    offers += [(a, ext) for a, ext in _DOCUMENT_ALIASES.items() if ext in dict(chosen)]
    return offers


def negotiate_document(accept: str | None, html: bool = True, exts: Sequence[str] | None = None) -> str | None:
    """'html' or a document extension for an Accept header; None when nothing it accepts is on offer.

    HTML wins ties (browsers send */*); no Accept header at all means HTML (or Turtle, where HTML is not offered)."""
    return best_offer(accept, document_offers(html, exts), default=HTML if html else "ttl")


def prefers_html(accept: str | None, machine_types: Sequence[str]) -> bool:
    """Whether a client asks for HTML (text/html or XHTML named in Accept) at least as much as for any of the
    machine formats: a browser, not a program that accepts anything."""
    ranges = parse_accept(accept)
    html = max(
        quality([r for r in ranges if r.specificity() == 2], t)[0] for t in ("text/html", "application/xhtml+xml")
    )
    return html > 0 and all(quality(ranges, t)[0] <= html for t in machine_types)
