"""A remote SPARQL 1.1 server as the store: the embedded store's two interfaces (kg.store), spoken over HTTP.

The app talks only to the URLs in the settings (KG_STORE, KG_STORE_UPDATE, KG_STORE_GSP): redirects are not
followed and no URL from a client ever reaches a request. A remote server's default graph need not be the union of
its graphs (Oxigraph server's is not, Fuseki's is configurable), so every query names its dataset explicitly with the
protocol's default-graph-uri and named-graph-uri parameters: for the views, the default graph is the union of the
ontology, asserted and inferred graphs and GRAPH ?g sees those three, as in the embedded store; for user queries, the
dataset the protocol layer resolved. Time limits are enforced here too, not left to the server: a store that is down,
refuses or is slow raises StoreUnavailable (503 for the app), and the next request tries again, so the app
recovers by itself when the store comes back.
"""

from __future__ import annotations

import functools
import io
import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence

import pyoxigraph as ox
import requests
import urllib3
from rdflib import Graph
from rdflib.term import Node

from kg.config import Settings
from kg.rdf import terms
from kg.rdf.query_text import empty_absent_graphs, query_form, with_values
from kg.rdf.sparql_text import iri
from kg.rdf.terms import graph_from_triples
from kg.rdf.vocab import GRAPH_NAMES
from kg.store.base import BackendUnavailable, BadResponse, QueryRejected, QueryResult
from kg.store.endpoints import Endpoints, make_session, redact
from kg.store.written_forms import StandardResults

SPARQL_JSON = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"
# User queries may be of any form: the store picks results or a graph from this list by the query's form.
ANY_RESULT = (
    "application/sparql-results+json, application/n-triples;q=0.9, application/sparql-results+xml;q=0.5, "
    "text/turtle;q=0.5, application/rdf+xml;q=0.2"
)
# Asked by the query's form: a server may answer a graph query in a results format when any format is accepted
# (Virtuoso writes CONSTRUCT results as an s/p/o table in SPARQL JSON).
RESULTS = "application/sparql-results+json, application/sparql-results+xml;q=0.5"
GRAPHS = "application/n-triples, text/turtle;q=0.5, application/rdf+xml;q=0.2"
ACCEPT_BY_FORM = {"SELECT": RESULTS, "ASK": RESULTS, "CONSTRUCT": GRAPHS, "DESCRIBE": GRAPHS}
# Stands for "no graph" in a protocol dataset: an empty default graph (or no named graphs) cannot be written with
# default-graph-uri / named-graph-uri, which a server reads as "use your own default dataset" when absent. A URN, so
# that no server could think of fetching it.
NO_GRAPH = "urn:x-jinpu-kg:no-graph"
READ_CHUNK = 16384
DCTERMS_IDENTIFIER = "http://purl.org/dc/terms/identifier"
VERSION_TTL = 5.0  # seconds the store's version (the loaded build's hash) is taken as known
# What reading a streamed body may raise: urllib3's ReadTimeoutError, ProtocolError, DecodeError..., socket errors.
_READ_ERRORS = (OSError, urllib3.exceptions.HTTPError, requests.RequestException)
# How much of a store's error message is passed on: enough to say what is wrong, not a whole HTML error page.
MESSAGE_CHARS = 500
LARGE_BODY = 1 << 20  # bytes of a request body (an upload) above which sending it may take the whole time limit


class RemoteStoreError(BadResponse):
    """The remote store sent something this app cannot use."""


class StoreUnavailable(RemoteStoreError, BackendUnavailable):
    """The store cannot answer now: down, unreachable, refusing, failing or too slow. Worth retrying later."""


class StoreTimeout(StoreUnavailable):
    """The store did not finish within the time limit."""


class StoreQueryError(RemoteStoreError, QueryRejected):
    """The store rejected a request as malformed: retrying will not help."""


def record_graph(settings: Settings) -> str:
    """The named graph where `kg load` records which build the store holds (not part of the app's dataset)."""
    return settings.base_iri + "graph/load"


def json_term(binding: dict) -> Node:
    """A term of the SPARQL 1.1 JSON results format as the rdflib term the embedded store would give."""
    try:
        return terms.json_term(binding)
    except ValueError as exc:
        raise RemoteStoreError(str(exc)) from None


class _Body(io.RawIOBase):
    """A response body as a file, read within the request's deadline; errors become StoreUnavailable/StoreTimeout.

    Lets pyoxigraph parse results as they arrive: a caller that stops after max_rows rows never downloads the rest.
    """

    def __init__(self, response: requests.Response, deadline: float, limit: float, where: str):
        super().__init__()
        self._response = response
        self._deadline = deadline
        self._limit = limit
        self._where = where
        self._raw = response.raw
        self._raw.decode_content = True

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if time.monotonic() > self._deadline:
            self.close()
            raise StoreTimeout(f"the store at {self._where} did not finish within {self._limit:g} s")
        try:
            data = self._raw.read(min(len(buffer), READ_CHUNK))
        except _READ_ERRORS as exc:
            self.close()
            if "timed out" in str(exc).lower():
                raise StoreTimeout(f"the store at {self._where} did not finish within {self._limit:g} s") from exc
            raise StoreUnavailable(f"the store at {self._where} dropped the connection ({_reason(exc)})") from exc
        if not data:
            self.close()
            return 0
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._response.close()
        super().close()


class _Triples:
    """The triples of a graph answer, parsed as they arrive (pyoxigraph parses into quads of the default graph)."""

    def __init__(self, body: _Body, rdf_format: ox.RdfFormat):
        self._quads = ox.parse(body, format=rdf_format)

    def __iter__(self) -> Iterator[ox.Triple]:
        for quad in self._quads:
            yield quad.triple


class RemoteStore:
    """The built dataset on a SPARQL 1.1 server, queried over the SPARQL 1.1 Protocol."""

    #: A remote store is reached over the network: query workers must not be cut off from it.
    needs_network = True

    def __init__(self, settings: Settings, session: requests.Session | None = None):
        self.settings = settings
        self.endpoints = Endpoints.from_settings(settings)
        self.graphs = tuple(settings.graph_iri(name) for name in GRAPH_NAMES)
        self.session = session or make_session(settings)
        self.name = redact(self.endpoints.query)
        self._version: tuple[float, str] | None = None

    def __repr__(self) -> str:
        return f"RemoteStore({self.name})"

    @property
    def version(self) -> str:
        """The content hash of the build the store holds, as `kg load` recorded it: it changes when a new build is
        loaded, so caches keyed on it stay true. Asked of the store at most every VERSION_TTL seconds; "" when the
        store has no record, or cannot be asked and no version is known yet (never raises: the app starts without
        its store, and recovers when it comes)."""
        now = time.monotonic()
        if self._version is None or now - self._version[0] > VERSION_TTL:
            record = iri(record_graph(self.settings))
            query = f"SELECT ?hash WHERE {{ GRAPH {record} {{ {record} <{DCTERMS_IDENTIFIER}> ?hash }} }}"
            try:
                rows = self.select_all_graphs(query)
            except RemoteStoreError:
                return self._version[1] if self._version else ""
            self._version = (now, str(rows[0]["hash"]) if rows else "")
        return self._version[1]

    # --- Store: the app's own queries ---

    def select(self, query: str, bindings: dict | None = None) -> list[dict[str, Node]]:
        doc = self._json(with_values(query, bindings or {}))
        if not isinstance(doc.get("results"), dict):
            raise RemoteStoreError("the store answered a SELECT query without results")
        return [{name: json_term(value) for name, value in row.items()} for row in doc["results"]["bindings"]]

    def ask(self, query: str, bindings: dict | None = None) -> bool:
        doc = self._json(with_values(query, bindings or {}))
        if not isinstance(doc.get("boolean"), bool):
            raise RemoteStoreError("the store answered an ASK query without a boolean")
        return doc["boolean"]

    def construct(self, query: str, bindings: dict | None = None) -> Graph:
        body = self.query_bytes(with_values(query, bindings or {}), N_TRIPLES)
        try:
            return graph_from_triples(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
        except SyntaxError as exc:
            raise StoreUnavailable(f"the store at {self.name} sent a broken graph: {exc}") from None

    def close(self) -> None:
        self.session.close()

    # --- QueryExecutor: user queries, in a query worker process ---

    def worker_factory(self) -> Callable[[], RemoteStore]:
        """Opens an equivalent store (its own HTTP session) in a query worker process."""
        return functools.partial(RemoteStore, self.settings)

    def execute(
        self, query: str, *, default_graphs: Sequence[str], named_graphs: Sequence[str], timeout: float
    ) -> QueryResult:
        """Run a user query on the given dataset; results are parsed lazily as the store sends them. A GRAPH clause
        naming a graph outside the dataset is made one with no solution first (kg.rdf.query_text), as the standard
        says and not every server does."""
        named = list(named_graphs) or [NO_GRAPH]
        query = empty_absent_graphs(query, named_graphs, named[0])
        dataset = self.dataset_params(list(default_graphs) or [NO_GRAPH], named)
        response, deadline, limit = self._open(
            "POST",
            self.endpoints.query,
            data=[("query", query), *dataset],
            accept=ACCEPT_BY_FORM.get(query_form(query) or "", ANY_RESULT),
            timeout=timeout,
            retry=True,
        )
        body = _Body(response, deadline, limit, self.name)
        media = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        try:
            results_format = ox.QueryResultsFormat.from_media_type(media) if media else None
            rdf_format = None if results_format else ox.RdfFormat.from_media_type(media) if media else None
        except ValueError:
            results_format = rdf_format = None
        if results_format is not None:
            try:
                return ox.parse_query_results(StandardResults(body, results_format), results_format)
            except SyntaxError as exc:
                body.close()
                raise StoreUnavailable(f"the store at {self.name} sent broken results: {exc}") from None
        if rdf_format is not None:
            return _Triples(body, rdf_format)
        body.close()
        raise RemoteStoreError(f"the store at {self.name} answered in an unexpected format ({media or 'none'})")

    # --- the protocol ---

    def dataset_params(
        self, default_graphs: Sequence[str] | None = None, named_graphs: Sequence[str] | None = None
    ) -> list[tuple[str, str]]:
        """The protocol's dataset parameters: this dataset's three graphs unless others are given."""
        default_graphs = self.graphs if default_graphs is None else default_graphs
        named_graphs = self.graphs if named_graphs is None else named_graphs
        return [("default-graph-uri", g) for g in default_graphs] + [("named-graph-uri", g) for g in named_graphs]

    def query_bytes(
        self,
        query: str,
        accept: str,
        *,
        dataset: Iterable[tuple[str, str]] | None = None,
        timeout: float | None = None,
        max_bytes: int | None = None,
    ) -> bytes:
        """Run a query and return the body of the answer in the accepted format, within the time limit.

        `dataset` is the list of protocol dataset parameters (default: this dataset's graphs; [] for the store's
        own default dataset). A body longer than `max_bytes` raises RemoteStoreError; a store that takes longer
        than `timeout` seconds (default: the query time limit) raises StoreTimeout.
        """
        params = list(self.dataset_params() if dataset is None else dataset)
        return self._send(
            "POST",
            self.endpoints.query,
            data=[("query", query), *params],
            accept=accept,
            timeout=timeout,
            max_bytes=max_bytes,
            retry=True,
        )

    def update(self, update: str, *, timeout: float | None = None) -> None:
        """Run a SPARQL 1.1 Update request (one request: applied atomically by servers that honour the spec)."""
        self._send(
            "POST",
            self.endpoints.update,
            data=update.encode("utf-8"),
            timeout=timeout,
            content_type="application/sparql-update; charset=utf-8",
        )

    def put_graph(self, graph: str, ntriples: bytes, *, timeout: float | None = None, append: bool = False) -> None:
        """Replace one graph through the Graph Store Protocol (PUT ?graph=IRI) with an N-Triples body; with `append`,
        add the body's triples to it (POST)."""
        if self.endpoints.gsp is None:
            raise RemoteStoreError("no Graph Store Protocol URL is configured (KG_STORE_GSP)")
        self._send(
            "POST" if append else "PUT",
            self.endpoints.gsp,
            params={"graph": graph},
            data=ntriples,
            timeout=timeout,
            content_type=N_TRIPLES + "; charset=utf-8",
        )

    def ping(self, *, timeout: float | None = None) -> None:
        """Raise StoreUnavailable unless the store answers a trivial query."""
        self._json("ASK {}", dataset=[], timeout=timeout)

    def select_all_graphs(self, query: str, *, timeout: float | None = None) -> list[dict[str, Node]]:
        """A SELECT on the store's own default dataset (all its named graphs), for loading and housekeeping."""
        doc = self._json(query, dataset=[], timeout=timeout)
        return [{name: json_term(value) for name, value in row.items()} for row in doc["results"]["bindings"]]

    def _json(self, query: str, *, dataset=None, timeout: float | None = None) -> dict:
        body = self.query_bytes(query, SPARQL_JSON, dataset=dataset, timeout=timeout)
        try:
            return json.loads(body)
        except ValueError:
            # Oxigraph, for one, reports an error met while streaming results inside a 200 body.
            raise StoreUnavailable(f"the store at {self.name} sent broken results: {body[-200:]!r}") from None

    def _send(self, method: str, url: str, *, max_bytes: int | None = None, **request) -> bytes:
        """One request and its whole body, read within the time limit (in all, not per read)."""
        response, deadline, limit = self._open(method, url, **request)
        body = _Body(response, deadline, limit, redact(url))
        chunks, size = [], 0
        with body:
            while chunk := body.read(READ_CHUNK):
                chunks.append(chunk)
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise RemoteStoreError(f"the answer of the store is larger than {max_bytes} bytes")
        return b"".join(chunks)

    def _open(
        self,
        method: str,
        url: str,
        *,
        data=None,
        params=None,
        accept: str | None = None,
        content_type: str | None = None,
        timeout: float | None = None,
        retry: bool = False,
    ) -> tuple[requests.Response, float, float]:
        """Send a request; return the streaming response of a success with its deadline, or raise ours."""
        limit = self.settings.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        headers = {}
        if accept:
            headers["Accept"] = accept
        if content_type:
            headers["Content-Type"] = content_type
        where = redact(url)
        # requests' connect timeout also bounds each send of the body: a large upload to a busy store may wait
        # longer than that for the store to read on, so it gets the request's whole time limit.
        connect_timeout = self.settings.store_connect_timeout
        if isinstance(data, bytes) and len(data) > LARGE_BODY:
            connect_timeout = max(connect_timeout, limit)
        for attempt in (1, 2):
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    data=data,
                    headers=headers,
                    stream=True,
                    allow_redirects=False,
                    timeout=(connect_timeout, max(0.001, deadline - time.monotonic())),
                )
                break
            except requests.Timeout as exc:
                raise StoreTimeout(f"the store at {where} did not answer within {limit:g} s") from exc
            except requests.ConnectionError as exc:
                # A query is safe to send twice: one retry hides a pooled connection the store dropped on restart.
                if retry and attempt == 1 and "refused" not in str(exc).lower():
                    continue
                raise StoreUnavailable(
                    f"the store at {where} is not reachable ({_reason(exc)}); retry when it is up"
                ) from exc
            except requests.RequestException as exc:
                raise StoreUnavailable(f"request to the store at {where} failed ({type(exc).__name__})") from exc
        status = response.status_code
        if 200 <= status < 300:
            if response.headers.get("X-SQL-State"):
                # Virtuoso's "anytime" answer: what it found before its own time limit, as a 200. Not the answer.
                response.close()
                raise StoreTimeout(f"the store at {where} cut the query at its own time limit (partial answer)")
            return response, deadline, limit
        try:
            message = response.raw.read(MESSAGE_CHARS, decode_content=True).decode("utf-8", "replace").strip()
        except _READ_ERRORS:  # the message is a courtesy: the status says enough
            message = ""
        finally:
            response.close()
        if status == 400:
            raise StoreQueryError(f"the store rejected the query: {message}")
        if status in (401, 403):
            raise StoreUnavailable(
                f"the store at {where} refused access (HTTP {status}): check KG_STORE_USER and KG_STORE_PASSWORD"
            )
        if 300 <= status < 400:
            raise StoreUnavailable(f"the store at {where} redirects (HTTP {status}); set its exact URL")
        if status == 404:
            raise StoreUnavailable(
                f"nothing at {where} (HTTP 404): check the store URLs (KG_STORE, KG_STORE_UPDATE, KG_STORE_GSP)"
            )
        raise StoreUnavailable(f"the store at {where} failed (HTTP {status}): {message}")


_REASONS = (
    "Connection refused",
    "Name or service not known",
    "Connection reset",
    "timed out",
    "Remote end closed connection",
    "No route to host",
)


def _reason(exc: Exception) -> str:
    text = str(exc).lower()
    return next((known.lower() for known in _REASONS if known.lower() in text), type(exc).__name__)
