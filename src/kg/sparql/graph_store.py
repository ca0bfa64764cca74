"""The read side of the SPARQL 1.1 Graph Store HTTP Protocol: `/store?graph=<IRI>` and `/store?default` (also on
`/sparql` when the request names a graph and sends no query), GET and HEAD, in every RDF format by Accept or the
`format` parameter; the named graph IRIs (`/graph/asserted` ...) give the same representations.

The graphs are read from the build the store was loaded from (`dataset.nq`), once per data version and server
process; each (graph, format) is written once by pyoxigraph and kept. The default graph is the union of the named
graphs, as at the query endpoint. Writing (PUT, POST, DELETE, PATCH) is refused with 405: the dataset is read-only.
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

import pyoxigraph as ox

from kg.artifacts import BuildArtifacts
from kg.config import Settings
from kg.rdf.formats import BY_NAME, FORMATS, Format, UnknownFormat, negotiate
from kg.rdf.vocab import GRAPH_NAMES, prefixes_for
from kg.sparql.policy import QueryError

READ_METHODS = ("GET", "HEAD")
ALLOWED = "GET, HEAD, OPTIONS"
READ_ONLY = (
    "This dataset is read-only: its Graph Store Protocol endpoint answers GET and HEAD "
    "(?graph=<IRI> or ?default), never {method}."
)
GRAPH_FORMATS = tuple(f for f in FORMATS if "graph" in f.kinds)
DEFAULT = None  # the default graph (the union)


@dataclass(frozen=True)
class GraphRequest:
    """What a Graph Store Protocol request names: a graph IRI, or the default graph (iri None)."""

    iri: str | None
    formats: tuple[str, ...] = ()


def _decode(raw: bytes) -> str:
    try:
        return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        raise QueryError(400, "The graph parameter is not valid UTF-8.") from None


_NAMES_A_GRAPH = re.compile(r"(?:^|&)(?:graph=|default(?:=|&|$))")


def names_a_graph(query_string: str) -> bool:
    """Whether a query string has a `graph` or `default` parameter (cheap: the front end asks on every request)."""
    return bool(_NAMES_A_GRAPH.search(query_string))


def target(query_string: str) -> GraphRequest | None:
    """The graph a query string names (?graph=<IRI> or ?default), None when it names none. A query string that
    also holds a query is a query, not a Graph Store request. Raises QueryError(400) for both or several graphs."""
    try:
        raw = query_string.encode("latin-1")
    except UnicodeEncodeError:
        raw = query_string.encode("utf-8", "surrogateescape")
    graphs, default, formats, query = [], False, [], False
    for part in raw.split(b"&"):
        name, _, value = part.partition(b"=")
        if name == b"graph":
            graphs.append(_decode(value))
        elif name == b"default":
            default = True
        elif name in (b"format", b"output") and value:
            formats.append(_decode(value))
        elif name in (b"query", b"update"):
            query = True
    if query or (not graphs and not default):
        return None
    if default and graphs:
        raise QueryError(400, "Name either ?graph=<IRI> or ?default, not both.")
    if len(graphs) > 1:
        raise QueryError(400, "Name one graph (several graph parameters were given).")
    return GraphRequest(graphs[0] if graphs else DEFAULT, tuple(formats))


@dataclass
class GraphAnswer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class GraphStore:
    """The dataset's graphs as documents, in one server process."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.prefixes = prefixes_for(settings.def_ns, settings.id_ns)
        self._lock = threading.Lock()
        self._version: str | None = None
        self._store: ox.Store | None = None
        self._bodies: dict[tuple[str | None, str], bytes] = {}

    @property
    def graph_iris(self) -> list[str]:
        return [self.settings.graph_iri(name) for name in GRAPH_NAMES]

    def _load(self) -> tuple[str, ox.Store]:
        artifacts = BuildArtifacts(self.settings.build_dir)
        version = artifacts.content_hash or str(artifacts.size("dataset.nq"))
        with self._lock:
            if self._store is None or version != self._version:
                store = ox.Store()
                store.bulk_load(artifacts.dataset_bytes(), ox.RdfFormat.N_QUADS)
                self._store, self._version, self._bodies = store, version, {}
            return self._version, self._store

    def body(self, iri: str | None, fmt: Format) -> tuple[str, bytes]:
        """(data version, the graph written in the format). `iri` None: the default graph (the union)."""
        version, store = self._load()
        key = (iri, fmt.name)
        body = self._bodies.get(key)
        if body is None:
            if iri is DEFAULT:
                triples = sorted({q.triple for q in store.quads_for_pattern(None, None, None)}, key=str)
                items = triples
                if fmt.rdf.supports_datasets:
                    items = [ox.Quad(t.subject, t.predicate, t.object) for t in triples]
            else:
                quads = sorted(store.quads_for_pattern(None, None, None, ox.NamedNode(iri)), key=str)
                items = quads if fmt.rdf.supports_datasets and fmt.name != "jsonld" else [q.triple for q in quads]
            prefixes = self.prefixes if fmt.name in ("turtle", "trig", "rdfxml", "n3") else None
            body = ox.serialize(items, format=fmt.rdf, prefixes=prefixes)
            with self._lock:
                self._bodies[key] = body
        return version, body

    def choose(self, accept: str | None, format_values: tuple[str, ...] = ()) -> Format:
        try:
            name = negotiate(accept, format_values)["graph"]
        except UnknownFormat as exc:
            raise QueryError(406, str(exc)) from None
        if name is None:
            raise QueryError(
                406,
                "None of the accepted media types is an RDF format of this graph; available: "
                + ", ".join(f.media_type for f in GRAPH_FORMATS)
                + ".",
            )
        return BY_NAME[name]

    def answer(
        self, method: str, req: GraphRequest, accept: str | None, if_none_match: str | None, cors: list[tuple[str, str]]
    ) -> GraphAnswer:
        """The answer to a Graph Store Protocol request (QueryError for what cannot be served)."""
        if method not in READ_METHODS:
            raise QueryError(405, READ_ONLY.format(method=method))
        if req.iri is not DEFAULT and req.iri not in self.graph_iris:
            raise QueryError(
                404,
                f"This dataset has no graph named <{req.iri}>; its graphs are "
                + ", ".join(f"<{g}>" for g in self.graph_iris)
                + " (and ?default, their union).",
            )
        fmt = self.choose(accept, req.formats)
        version, body = self.body(req.iri, fmt)
        digest = hashlib.blake2b(f"{version} {req.iri} {fmt.name}".encode(), digest_size=8).hexdigest()
        etag = f'W/"{digest}"'
        headers = [
            ("Content-Type", fmt.content_type),
            ("Vary", "Accept"),
            ("ETag", etag),
            ("Cache-Control", "public, max-age=300"),
            *cors,
        ]
        if if_none_match and (etag in {t.strip() for t in if_none_match.split(",")} or if_none_match == "*"):
            return GraphAnswer(304, headers, b"")
        return GraphAnswer(200, [*headers, ("Content-Length", str(len(body)))], body)
