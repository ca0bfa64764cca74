"""The SPARQL 1.1 Protocol endpoint (/sparql) and `run_user_query` for the query page: one protocol layer, the
same checks, limits and time-out for both, whatever the store backend.

    request -> read_request (size 413, UTF-8 400, method 405, content type 415, update 403)
            -> response cache (the data is read-only: a repeated request is answered from memory, ETag / 304)
            -> negotiate (Accept with q-values, or the format parameter; 406)
            -> a query worker process (kg.query_workers): kg.sparql_policy checks (SERVICE 403, FROM 400,
               malformed 400), the backend's execute, results written by pyoxigraph and cut at max_rows; a query
               over the time limit is stopped (503)

Repeated requests are the common case (the query page, dashboards, crawlers), so `SparqlFastPath` answers cache hits
as a plain WSGI app in front of Flask; everything else goes through the blueprint `bp`.
"""

from __future__ import annotations

import atexit
import hashlib
import inspect
import io
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote_to_bytes

import pyoxigraph as ox
from flask import Blueprint, Flask, Response, current_app, request
from rdflib import Graph
from rdflib.term import Node
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header, parse_options_header

from kg.config import Settings
from kg.query_workers import Job, QueryWorkerPool, Reply
from kg.sparql_description import graph_sizes, service_description
from kg.sparql_formats import BY_NAME, FORMATS, convert_ntriples, negotiate, not_acceptable, prefixes_for
from kg.sparql_policy import UPDATE_REFUSED, QueryError, check_size
from kg.store import to_rdflib

__all__ = ["QueryError", "UserQueryResult", "bp", "init_app", "run_user_query"]

log = logging.getLogger("kg.sparql")
bp = Blueprint("sparql", __name__)

EXTENSION = "kg_sparql"
ALLOWED_METHODS = "GET, POST, OPTIONS"
CORS_HEADERS = [
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Expose-Headers", "ETag, X-KG-Truncated, X-KG-Max-Rows, X-KG-Rows"),
]
CACHE_CONTROL = "public, max-age=60"
CACHE_MAX_BYTES = 64 * 2**20  # response cache per server process
CACHE_MAX_ENTRY_BYTES = 4 * 2**20
CACHE_MAX_ENTRIES = 4096
MAX_FIELDS = 200
CACHED_STATUSES = {200, 400, 403, 406}
VERSION_REFRESH_S = 5.0
DESCRIPTION_PREFIXES = ("sd", "void", "dcterms", "ep", "rdf", "xsd")
INTERNAL_PLAN = {"select": "internal", "ask": "internal", "graph": "internal"}


# ---------------------------------------------------------------------------------------------------------------
# What a request asks for


@dataclass(frozen=True)
class ProtocolRequest:
    """A SPARQL Protocol request, read and checked: the query (None: a service description request)."""

    method: str
    query: str | None
    default_graph_uris: tuple[str, ...] = ()
    named_graph_uris: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    accept: str = ""
    body: bytes | None = None

    def cache_key(self, endpoint_url: str, version: str) -> tuple:
        """The normalized request: the same answer for the same key (`version` names the data the store holds)."""
        if self.query is None:
            return ("description", version, endpoint_url, self.accept, self.formats)
        return ("query", version, self.query, self.default_graph_uris, self.named_graph_uris, self.accept,
                self.formats)


def _decode(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise QueryError(400, f"The {what} is not valid UTF-8 (byte {exc.start}).") from None


def parse_form(data: bytes) -> list[tuple[str, str]]:
    """application/x-www-form-urlencoded, strictly: percent-escapes must decode to UTF-8."""
    pairs = []
    for i, part in enumerate(p for p in data.split(b"&") if p):
        if i >= MAX_FIELDS:
            raise QueryError(400, f"Too many parameters (at most {MAX_FIELDS}).")
        name, _, value = part.partition(b"=")
        pairs.append((_decode(unquote_to_bytes(name.replace(b"+", b" ")), "parameter name"),
                      _decode(unquote_to_bytes(value.replace(b"+", b" ")), "request")))
    return pairs


def _read_body(environ: dict, limit: int) -> bytes:
    stream = environ.get("wsgi.input")
    length = environ.get("CONTENT_LENGTH") or ""
    if length:
        try:
            n = int(length)
        except ValueError:
            raise QueryError(400, "Invalid Content-Length.") from None
        if n > limit:
            raise QueryError(413, f"The request body is {n} bytes; this endpoint accepts at most {limit}.")
        return stream.read(n) if stream is not None and n else b""
    if stream is None:
        return b""
    data = stream.read(limit + 1)  # chunked or unknown length
    if len(data) > limit:
        raise QueryError(413, f"The request body is larger than {limit} bytes.")
    return data


def read_request(environ: dict, settings: Settings) -> ProtocolRequest:
    """The protocol request in a WSGI environ (reads the body). Raises QueryError for what cannot be served."""
    method = environ.get("REQUEST_METHOD", "GET")
    if method not in ("GET", "POST", "HEAD"):
        raise QueryError(405, f"Method {method} is not allowed here; use GET or POST (SPARQL 1.1 Protocol).")
    form_limit = settings.max_query_bytes * 3 + 16384  # percent-encoding may triple a query's size
    query_string = environ.get("QUERY_STRING", "")
    if len(query_string) > form_limit:
        raise QueryError(413, f"The query is larger than this endpoint accepts ({settings.max_query_bytes} bytes).")
    try:
        raw_query_string = query_string.encode("latin-1")  # PEP 3333: the URL's bytes, one character each
    except UnicodeEncodeError:
        raw_query_string = query_string.encode("utf-8", "surrogateescape")
    params = parse_form(raw_query_string)
    body: bytes | None = None
    direct_query: str | None = None
    if method == "POST":
        mimetype, options = parse_options_header(environ.get("CONTENT_TYPE", ""))
        mimetype = mimetype.lower()
        if mimetype == "application/sparql-update":
            raise QueryError(403, UPDATE_REFUSED)
        if mimetype == "application/x-www-form-urlencoded":
            body = _read_body(environ, form_limit)
            params += parse_form(body)
        elif mimetype == "application/sparql-query":
            body = _read_body(environ, settings.max_query_bytes)
            charset = options.get("charset", "utf-8").lower()
            if charset not in ("utf-8", "utf8", "us-ascii", "ascii"):
                raise QueryError(415, f"Queries must be sent in UTF-8, not {charset}.")
            direct_query = _decode(body, "query")
        else:
            raise QueryError(415, "POST a query as application/x-www-form-urlencoded (query=...) or as "
                                  f"application/sparql-query, not {mimetype or 'without a Content-Type'}.")
    names = [name for name, _ in params]
    if "update" in names or "using-graph-uri" in names or "using-named-graph-uri" in names:
        raise QueryError(403, UPDATE_REFUSED)
    queries = [value for name, value in params if name == "query"]
    if direct_query is not None:
        queries.append(direct_query)
    if len(queries) > 1:
        raise QueryError(400, "Send exactly one query (several query parameters were given).")
    query = queries[0] if queries else None
    if query is not None:
        check_size(query, settings)
        if not query.strip():
            raise QueryError(400, "The query is empty.")
    return ProtocolRequest(
        method=method,
        query=query,
        default_graph_uris=tuple(v for n, v in params if n == "default-graph-uri"),
        named_graph_uris=tuple(v for n, v in params if n == "named-graph-uri"),
        formats=tuple(value for name, value in params if name == "format" and value),
        accept=" ".join(environ.get("HTTP_ACCEPT", "").split()),
        body=body,
    )


def endpoint_url(environ: dict) -> str:
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '80')}"
    return f"{scheme}://{host}{environ.get('SCRIPT_NAME', '')}/sparql"


# ---------------------------------------------------------------------------------------------------------------
# Answers


@dataclass
class Answer:
    """A complete HTTP answer of the endpoint (what the response cache holds)."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    etag: str | None = None
    cacheable: bool = True

    def not_modified(self, if_none_match: str | None) -> bool:
        if not if_none_match or not self.etag:
            return False
        tags = {t.strip() for t in if_none_match.split(",")}
        return "*" in tags or self.etag in tags or self.etag.removeprefix("W/") in tags

    def wsgi(self, start_response, if_none_match: str | None = None) -> Iterable[bytes]:
        if self.not_modified(if_none_match):
            headers = [(k, v) for k, v in self.headers if k not in ("Content-Type", "Content-Length")]
            start_response("304 Not Modified", headers)
            return [b""]
        start_response(f"{self.status} {_REASONS.get(self.status, 'OK')}", self.headers)
        return [self.body]

    def flask(self, if_none_match: str | None = None) -> Response:
        if self.not_modified(if_none_match):
            headers = [(k, v) for k, v in self.headers if k not in ("Content-Type", "Content-Length")]
            return Response(status=304, headers=headers)
        response = Response(self.body, status=self.status, headers=self.headers)
        return response


_REASONS = {200: "OK", 204: "No Content", 304: "Not Modified", 400: "Bad Request", 403: "Forbidden",
            405: "Method Not Allowed", 406: "Not Acceptable", 413: "Content Too Large", 415: "Unsupported Media Type",
            500: "Internal Server Error", 501: "Not Implemented", 503: "Service Unavailable"}


def wants_json(accept: str | None) -> bool:
    """Whether an error should be JSON: the client prefers JSON to plain text."""
    if not accept:
        return False
    best = parse_accept_header(accept, MIMEAccept).best_match(
        ["text/plain", "application/json", "application/sparql-results+json"])
    return best in ("application/json", "application/sparql-results+json")


def error_answer(status: int, message: str, accept: str | None) -> Answer:
    if wants_json(accept):
        body = json.dumps({"error": {"status": status, "message": message}}, ensure_ascii=False).encode()
        ctype = "application/json; charset=utf-8"
    else:
        body = (message + "\n").encode("utf-8")
        ctype = "text/plain; charset=utf-8"
    headers = [("Content-Type", ctype), ("Content-Length", str(len(body))), *CORS_HEADERS, ("Vary", "Accept")]
    if status == 405:
        headers.append(("Allow", ALLOWED_METHODS))
    if status == 503:
        headers.append(("Retry-After", "5"))
    return Answer(status, headers, body)


class ResponseCache:
    """Least-recently-used answers by normalized request, bounded in entries and bytes."""

    def __init__(self, max_bytes: int = CACHE_MAX_BYTES, max_entries: int = CACHE_MAX_ENTRIES):
        self.max_bytes, self.max_entries = max_bytes, max_entries
        self._items: OrderedDict[tuple, tuple[object, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple):
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item[0]

    def put(self, key: tuple, value, size: int) -> None:
        size += 200
        if self.max_bytes <= 0 or size > CACHE_MAX_ENTRY_BYTES:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._items[key] = (value, size)
            self._bytes += size
            while self._items and (self._bytes > self.max_bytes or len(self._items) > self.max_entries):
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped


@dataclass
class UserQueryResult:
    """A user query's result for the query page. kind: 'select' | 'ask' | 'graph'."""

    kind: str
    variables: list[str] = field(default_factory=list)
    rows: list[dict[str, Node]] = field(default_factory=list)
    boolean: bool | None = None
    graph: Graph | None = None
    truncated: bool = False
    max_rows: int = 0


class SparqlService:
    """The endpoint's state in one server process: store, query worker pool, response cache."""

    def __init__(self, settings: Settings, store, web_processes: int = 1):
        self.settings = settings
        self.store = store
        self.web_processes = web_processes
        self.prefixes = prefixes_for(settings.def_ns, settings.id_ns)
        self.cache = ResponseCache()
        self._pool: QueryWorkerPool | None = None
        self._pool_lock = threading.Lock()
        self._sizes: dict[str, int] | None = None
        self._version = ""
        self._version_checked: float | None = None

    @property
    def version(self) -> str:
        """What the store holds (the build's hash; a remote store asks its load record): part of every cache key.
        A version the store has to compute (a property) is refreshed in the background, never waited for."""
        if not isinstance(inspect.getattr_static(type(self.store), "version", None), property):
            return str(getattr(self.store, "version", "") or "")
        now = time.monotonic()
        if self._version_checked is None or now - self._version_checked > VERSION_REFRESH_S:
            self._version_checked = now
            threading.Thread(target=self._refresh_version, name="kg-store-version", daemon=True).start()
        return self._version

    def _refresh_version(self) -> None:
        try:
            self._version = str(self.store.version or "")
        except Exception:  # keep the last known version; the next refresh tries again
            log.warning("could not read the store's version", exc_info=True)

    @property
    def supports_user_queries(self) -> bool:
        return hasattr(self.store, "execute") and hasattr(self.store, "worker_factory")

    @property
    def pool(self) -> QueryWorkerPool:
        with self._pool_lock:
            if self._pool is None:
                self._pool = QueryWorkerPool(
                    self.store.worker_factory(), needs_network=bool(getattr(self.store, "needs_network", True)),
                    settings=self.settings, prefixes=self.prefixes, size=self.settings.workers)
                atexit.register(self._pool.close)
            return self._pool

    def start(self) -> None:
        """Start the query workers now (the server does this at start-up; otherwise on the first user query)."""
        if self.supports_user_queries:
            self.pool.start()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()

    # running queries

    def execute(self, query: str, default_graph_uris: Sequence[str], named_graph_uris: Sequence[str],
                plan: dict[str, str | None]) -> Reply:
        if not self.supports_user_queries:
            return Reply(False, 501, f"The store backend ({type(self.store).__name__}) does not run user queries.")
        job = Job(query, tuple(default_graph_uris), tuple(named_graph_uris), plan, self.settings.max_rows,
                  self.settings.timeout)
        try:
            return self.pool.run(job, self.settings.timeout)
        except QueryError as exc:
            return Reply(False, exc.status, exc.message)

    def answer(self, req: ProtocolRequest, url: str) -> Answer:
        """The full answer to a checked protocol request (cached when it can be)."""
        version = self.version
        key = req.cache_key(url, version)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        try:
            plan = negotiate(req.accept, req.formats)
            if req.query is None:
                if req.method == "POST":
                    raise QueryError(400, "No query: send query=... (SPARQL Update is not accepted here).")
                answer = self._description(plan, url)
            else:
                if not any(plan.values()):
                    raise QueryError(406, "None of the accepted media types is a format of this endpoint: "
                                          + ", ".join(f.media_type for f in FORMATS))
                answer = self._query_answer(req, plan)
        except QueryError as exc:
            answer = error_answer(exc.status, exc.message, req.accept)
        if answer.status in CACHED_STATUSES and answer.cacheable:
            answer.etag = f'W/"{version}-{hashlib.blake2b(repr(key).encode(), digest_size=8).hexdigest()}"'
            answer.headers.append(("ETag", answer.etag))
            if answer.status == 200:
                answer.headers.append(("Cache-Control", CACHE_CONTROL))
            self.cache.put(key, answer, len(answer.body))
        return answer

    def _query_answer(self, req: ProtocolRequest, plan: dict[str, str | None]) -> Answer:
        reply = self.execute(req.query, req.default_graph_uris, req.named_graph_uris, plan)
        if not reply.ok:
            return error_answer(reply.status, reply.message, req.accept)
        headers = [("Content-Type", reply.media_type), ("Content-Length", str(len(reply.body))), *CORS_HEADERS,
                   ("Vary", "Accept")]
        if reply.rows is not None:
            headers.append(("X-KG-Rows", str(reply.rows)))
        if reply.truncated:
            headers += [("X-KG-Truncated", "true"), ("X-KG-Max-Rows", str(self.settings.max_rows))]
        return Answer(200, headers, reply.body)

    def _description(self, plan: dict[str, str | None], url: str) -> Answer:
        name = plan.get("graph")
        if name is None:
            raise not_acceptable("graph")
        sizes = self._sizes if self._sizes is not None else graph_sizes(self.store)
        if sizes:
            self._sizes = sizes
        graph = service_description(self.settings, url, sizes, self.settings.workers, self.web_processes)
        fmt = BY_NAME[name]
        prefixes = {prefix: str(ns) for prefix, ns in graph.namespaces() if prefix in DESCRIPTION_PREFIXES}
        body = convert_ntriples(graph.serialize(format="nt", encoding="utf-8"), fmt, prefixes)
        headers = [("Content-Type", fmt.content_type), ("Content-Length", str(len(body))), *CORS_HEADERS,
                   ("Vary", "Accept")]
        return Answer(200, headers, body, cacheable=bool(sizes))  # without counts (store down?): ask again later

    def run_user_query(self, query: str, default_graph_uris: Sequence[str] = (),
                       named_graph_uris: Sequence[str] = ()) -> UserQueryResult:
        check_size(query, self.settings)
        if not query.strip():
            raise QueryError(400, "The query is empty.")
        key = ("user", self.version, query, tuple(default_graph_uris), tuple(named_graph_uris))
        reply = self.cache.get(key)
        if reply is None:
            reply = self.execute(query, default_graph_uris, named_graph_uris, INTERNAL_PLAN)
            if not reply.ok:
                raise QueryError(reply.status, reply.message)
            self.cache.put(key, reply, len(reply.body))
        return _user_result(reply, self.settings.max_rows)


def _user_result(reply: Reply, max_rows: int) -> UserQueryResult:
    result = UserQueryResult(kind=reply.kind, truncated=reply.truncated, max_rows=max_rows)
    if reply.kind == "select":
        solutions = ox.parse_query_results(reply.body, ox.QueryResultsFormat.TSV)
        result.variables = [v.value for v in solutions.variables]
        result.rows = [{n: to_rdflib(s[n]) for n in result.variables if s[n] is not None} for s in solutions]
    elif reply.kind == "ask":
        result.boolean = bool(ox.parse_query_results(reply.body, ox.QueryResultsFormat.JSON))
    else:
        graph = Graph()
        for t in ox.parse(reply.body, ox.RdfFormat.N_TRIPLES):
            graph.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
        result.graph = graph
    return result


def run_user_query(query: str, *, default_graph_uris: Sequence[str] = (),
                   named_graph_uris: Sequence[str] = ()) -> UserQueryResult:
    """Run a query typed by a user (the query page) with exactly the checks, limits and time-out of /sparql.

    Raises QueryError (.status 400/403/406/413/503..., .message) when the query is refused or fails."""
    service: SparqlService = current_app.extensions[EXTENSION]
    return service.run_user_query(query, default_graph_uris, named_graph_uris)


# ---------------------------------------------------------------------------------------------------------------
# HTTP


class SparqlFastPath:
    """WSGI middleware: answers /sparql requests that are in the response cache without entering Flask."""

    def __init__(self, app, service: SparqlService):
        self.app = app
        self.service = service

    def __call__(self, environ: dict, start_response):
        if environ.get("PATH_INFO") != "/sparql" or environ.get("REQUEST_METHOD") not in ("GET", "POST"):
            return self.app(environ, start_response)
        try:
            req = read_request(environ, self.service.settings)
        except QueryError as exc:
            environ["kg.sparql.error"] = exc
            return self.app(environ, start_response)
        environ["kg.sparql.request"] = req
        if req.body is not None:  # consumed: give Flask a fresh stream in case a handler wants it
            environ["wsgi.input"] = io.BytesIO(req.body)
        cached = self.service.cache.get(req.cache_key(endpoint_url(environ), self.service.version))
        if cached is None:
            return self.app(environ, start_response)
        return cached.wsgi(start_response, environ.get("HTTP_IF_NONE_MATCH"))


@bp.route("/sparql", methods=["GET", "POST", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"])
def sparql_endpoint() -> Response:
    service: SparqlService = current_app.extensions[EXTENSION]
    environ = request.environ
    if request.method == "OPTIONS":
        return _preflight()
    error: QueryError | None = environ.get("kg.sparql.error")
    req: ProtocolRequest | None = environ.get("kg.sparql.request")
    if error is None and req is None:
        try:
            req = read_request(environ, service.settings)
        except QueryError as exc:
            error = exc
    if error is not None:
        return error_answer(error.status, error.message, request.headers.get("Accept")).flask()
    answer = service.answer(req, endpoint_url(environ))
    return answer.flask(request.headers.get("If-None-Match"))


def _preflight() -> Response:
    requested = request.headers.get("Access-Control-Request-Headers", "")
    allowed = requested or "Accept, Content-Type, If-None-Match, Cache-Control, X-Requested-With"
    return Response(status=204, headers=[
        ("Access-Control-Allow-Origin", "*"),
        ("Access-Control-Allow-Methods", ALLOWED_METHODS),
        ("Access-Control-Allow-Headers", allowed),
        ("Access-Control-Max-Age", "86400"),
        ("Allow", ALLOWED_METHODS),
        ("Vary", "Access-Control-Request-Headers"),
    ])


@bp.errorhandler(QueryError)
def _query_error(exc: QueryError) -> Response:
    return error_answer(exc.status, exc.message, request.headers.get("Accept")).flask()


@bp.errorhandler(Exception)
def _unexpected(exc: Exception) -> Response:
    from werkzeug.exceptions import HTTPException

    if isinstance(exc, HTTPException):
        return error_answer(exc.code or 500, exc.description or exc.name, request.headers.get("Accept")).flask()
    log.exception("unexpected error on %s", request.path)
    return error_answer(500, "Internal error; it has been logged.", request.headers.get("Accept")).flask()


def init_app(app: Flask, settings: Settings, store, web_processes: int = 1) -> SparqlService:
    """Register the endpoint on an app: the blueprint, the service and the cache fast path."""
    service = SparqlService(settings, store, web_processes)
    app.extensions[EXTENSION] = service
    app.register_blueprint(bp)
    app.wsgi_app = SparqlFastPath(app.wsgi_app, service)
    return service
