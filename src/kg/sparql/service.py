"""The endpoint's work in one server process: answers to checked requests, the response cache, user queries.

ProtocolRequest -> response cache (the data is read-only: a repeated request is answered from memory, ETag / 304)
                -> negotiate (Accept with q-values, or the format parameter; 406)
                -> a query worker process (kg.sparql.workers): kg.sparql.policy checks (SERVICE 403, FROM 400,
                   malformed 400), the backend's execute, results written by pyoxigraph and cut at max_rows; a
                   query over the time limit is stopped (503)
"""

from __future__ import annotations

import atexit
import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox
from flask import Response, current_app
from rdflib import Graph
from rdflib.term import Node

from kg.config import Settings
from kg.rdf.formats import best_offer
from kg.rdf.terms import graph_from_triples, to_rdflib
from kg.rdf.vocab import prefixes_for
from kg.sparql.description import graph_sizes, service_description
from kg.sparql.fairshare import FairShare, TooBusy
from kg.sparql.graph_store import GraphStore
from kg.sparql.policy import QueryError, check_size
from kg.sparql.protocol import ProtocolRequest
from kg.sparql.results import BY_NAME, FORMATS, convert_ntriples, negotiate, not_acceptable
from kg.sparql.workers import Job, QueryTimedOut, QueryWorkerPool, Reply
from kg.store.base import DataVersion

log = logging.getLogger("kg.sparql")

EXTENSION = "kg_sparql"
ALLOWED_METHODS = "GET, POST, OPTIONS"
# Headers a script on another origin may read (beside the CORS-safelisted ones).
EXPOSED_HEADERS = "ETag, Link, Content-Location, Location, Vary, X-KG-Truncated, X-KG-Max-Rows, X-KG-Rows"
CORS_HEADERS = [
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Expose-Headers", EXPOSED_HEADERS),
]
TRUNCATED_NOTE = "/sparql/truncated"  # says that a result was cut, and at how many rows
CACHE_CONTROL = "public, max-age=60"
CACHE_MAX_BYTES = 64 * 2**20  # response cache per server process
CACHE_MAX_ENTRY_BYTES = 4 * 2**20
CACHE_MAX_ENTRIES = 4096
CACHED_STATUSES = {200, 400, 403, 406}
DESCRIPTION_PREFIXES = ("sd", "void", "dcterms", "ep", "rdf", "xsd")
INTERNAL_PLAN = {"select": "internal", "ask": "internal", "graph": "internal"}


@dataclass
class Answer:
    """A complete HTTP answer of the endpoint (what the response cache holds)."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    etag: str | None = None
    cacheable: bool = True
    _encodings: dict[str, bytes] = field(default_factory=dict, repr=False)

    def not_modified(self, if_none_match: str | None) -> bool:
        if not if_none_match or not self.etag:
            return False
        tags = {t.strip() for t in if_none_match.split(",")}
        return "*" in tags or self.etag in tags or self.etag.removeprefix("W/") in tags

    def encoded(self, accept_encoding: str | None) -> tuple[list[tuple[str, str]], bytes]:
        """Headers and body for a client that accepts these encodings: brotli or gzip for a text answer over
        COMPRESS_MIN_BYTES (each encoding made once per answer and kept with it), else as it is."""
        coding = choose_encoding(accept_encoding) if len(self.body) >= COMPRESS_MIN_BYTES else None
        if coding is None:
            return self.headers, self.body
        body = self._encodings.get(coding)
        if body is None:
            body = self._encodings[coding] = compress(self.body, coding)
        headers = [(k, str(len(body)) if k == "Content-Length" else v) for k, v in self.headers]
        return headers + [("Content-Encoding", coding)], body

    def wsgi(
        self, start_response, if_none_match: str | None = None, accept_encoding: str | None = None
    ) -> Iterable[bytes]:
        if self.not_modified(if_none_match):
            headers = [(k, v) for k, v in self.headers if k not in ("Content-Type", "Content-Length")]
            start_response("304 Not Modified", headers)
            return [b""]
        headers, body = self.encoded(accept_encoding)
        start_response(f"{self.status} {_REASONS.get(self.status, 'OK')}", headers)
        return [body]

    def flask(self, if_none_match: str | None = None, accept_encoding: str | None = None) -> Response:
        if self.not_modified(if_none_match):
            headers = [(k, v) for k, v in self.headers if k not in ("Content-Type", "Content-Length")]
            return Response(status=304, headers=headers)
        headers, body = self.encoded(accept_encoding)
        return Response(body, status=self.status, headers=headers)


COMPRESS_MIN_BYTES = 1024


def choose_encoding(accept_encoding: str | None) -> str | None:
    """'br' or 'gzip', whichever the client accepts with the higher q-value (br when equal); None for neither."""
    if not accept_encoding:
        return None
    q = {}
    for part in accept_encoding.lower().split(","):
        name, _, params = part.strip().partition(";")
        value = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                value = float(params[2:])
            except ValueError:
                value = 0.0
        q[name.strip()] = value
    star = q.get("*", 0.0)
    best = max(("br", "gzip"), key=lambda c: (q.get(c, star), c == "br"))
    return best if q.get(best, star) > 0 else None


def compress(data: bytes, coding: str) -> bytes:
    if coding == "br":
        import brotli

        return brotli.compress(data, quality=5)
    import gzip

    return gzip.compress(data, compresslevel=6, mtime=0)


_REASONS = {
    200: "OK",
    204: "No Content",
    304: "Not Modified",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
}


def wants_json(accept: str | None) -> bool:
    """Whether an error should be JSON: the client asks for application/json rather than text. A client that asks
    for SPARQL results and anything else (YASGUI: application/sparql-results+json,*/*;q=0.9) gets the message as
    text, which it shows as it is."""
    return best_offer(accept, [("text/plain", "text"), ("application/json", "json")], default="text") == "json"


def error_answer(
    status: int, message: str, accept: str | None, retry_after: int = 0, allow: str = ALLOWED_METHODS
) -> Answer:
    """An error with its message, as text (or JSON when asked for). Retry-After only where a rule says when to come
    back (a client over its share); a query that ran out of time would run out of time again, so its 503 has none."""
    if wants_json(accept):
        body = (
            json.dumps({"error": {"status": status, "message": message}}, ensure_ascii=False, indent=2).encode() + b"\n"
        )
        ctype = "application/json; charset=utf-8"
    else:
        body = f"{status} {_REASONS.get(status, 'Error')}\n\n{message}\n".encode()
        ctype = "text/plain; charset=utf-8"
    headers = [
        ("Content-Type", ctype),
        ("Content-Length", str(len(body))),
        *CORS_HEADERS,
        ("Vary", "Accept, Accept-Encoding"),
    ]
    if status == 405:
        headers.append(("Allow", allow))
    if retry_after:
        headers.append(("Retry-After", str(retry_after)))
    if status >= 500:
        headers.append(("Cache-Control", "no-store"))
    return Answer(status, headers, body)


def link_truncation_note(body: bytes, fmt_name: str | None) -> bytes:
    """A result cut at the row limit says so in its head, where the format has one (SPARQL JSON and XML `link`)."""
    if fmt_name == "json" and body.startswith(b'{"head":{'):
        return b'{"head":{"link":["' + TRUNCATED_NOTE.encode() + b'"],' + body[len(b'{"head":{') :]
    if fmt_name == "xml":
        at = body.find(b"</head>")
        if at >= 0:
            return body[:at] + b'<link href="' + TRUNCATED_NOTE.encode() + b'"/>' + body[at:]
        at = body.find(b"<head/>")
        if at >= 0:
            return body[:at] + b'<head><link href="' + TRUNCATED_NOTE.encode() + b'"/></head>' + body[at + 7 :]
    return body


def truncation_text(max_rows: int) -> str:
    return (
        f"This result was cut: the endpoint returns at most {max_rows} rows (SELECT) or triples (CONSTRUCT, "
        f"DESCRIBE) per query, and the query had more. The first {max_rows} are in the result; the rest were "
        "not sent. To get everything, page through it with ORDER BY, LIMIT and OFFSET, or download the whole "
        "dataset from /downloads.\n"
    )


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
        self.data_version = DataVersion(store)
        self.fairshare = FairShare(settings)
        self.graph_store = GraphStore(settings)

    @property
    def version(self) -> str:
        """What the store holds (the build's content hash): part of every cache key and ETag."""
        return self.data_version.get()

    @property
    def supports_user_queries(self) -> bool:
        return hasattr(self.store, "execute") and hasattr(self.store, "worker_factory")

    @property
    def pool(self) -> QueryWorkerPool:
        with self._pool_lock:
            if self._pool is None:
                self._pool = QueryWorkerPool(
                    self.store.worker_factory(),
                    needs_network=bool(getattr(self.store, "needs_network", True)),
                    settings=self.settings,
                    prefixes=self.prefixes,
                    size=self.settings.workers,
                    slow_lane=self.settings.slow_lane,
                    fast_slice=self.settings.fast_slice,
                )
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

    def execute(
        self,
        query: str,
        default_graph_uris: Sequence[str],
        named_graph_uris: Sequence[str],
        plan: dict[str, str | None],
        client: str = "",
    ) -> Reply:
        """Run a user query for `client` (its address) within its fair share of query time (kg.sparql.fairshare)."""
        if not self.supports_user_queries:
            return Reply(False, 501, f"The store backend ({type(self.store).__name__}) does not run user queries.")
        job = Job(
            query,
            tuple(default_graph_uris),
            tuple(named_graph_uris),
            plan,
            self.settings.max_rows,
            self.settings.timeout,
        )
        share = self.fairshare
        try:
            share.admit(client, query)
        except TooBusy as exc:
            return Reply(False, exc.status, exc.message, retry_after=exc.retry_after)
        timing: dict[str, float] = {}
        timed_out = None
        try:
            return self.pool.run(
                job,
                self.settings.timeout,
                enter_slow=lambda: share.enter_slow(client),
                leave_slow=lambda: share.leave_slow(client),
                timing=timing,
            )
        except QueryTimedOut as exc:
            timed_out = query
            return Reply(False, exc.status, exc.message)
        except QueryError as exc:
            return Reply(False, exc.status, exc.message, retry_after=getattr(exc, "retry_after", 0))
        finally:
            now = time.monotonic()
            share.finish(client, now - timing.get("started", now), timed_out_text=timed_out)

    def answer(self, req: ProtocolRequest, url: str, client: str = "") -> Answer:
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
                    raise QueryError(
                        406,
                        "None of the accepted media types is a format of this endpoint: "
                        + ", ".join(f.media_type for f in FORMATS),
                    )
                answer = self._query_answer(req, plan, client)
        except QueryError as exc:
            answer = error_answer(exc.status, exc.message, req.accept)
        if answer.status in CACHED_STATUSES and answer.cacheable:
            answer.etag = f'W/"{version}-{hashlib.blake2b(repr(key).encode(), digest_size=8).hexdigest()}"'
            answer.headers.append(("ETag", answer.etag))
            if answer.status == 200:
                answer.headers.append(("Cache-Control", CACHE_CONTROL))
            self.cache.put(key, answer, len(answer.body))
        return answer

    def _query_answer(self, req: ProtocolRequest, plan: dict[str, str | None], client: str) -> Answer:
        reply = self.execute(req.query, req.default_graph_uris, req.named_graph_uris, plan, client)
        if not reply.ok:
            return error_answer(reply.status, reply.message, req.accept, reply.retry_after)
        body = reply.body
        extra = []
        if reply.truncated:
            body = link_truncation_note(body, plan.get(reply.kind))
            extra = [
                ("X-KG-Truncated", "true"),
                ("X-KG-Max-Rows", str(self.settings.max_rows)),
                ("Link", f'<{TRUNCATED_NOTE}>; rel="describedby"; title="This result was cut"'),
            ]
        headers = [
            ("Content-Type", reply.media_type),
            ("Content-Length", str(len(body))),
            *CORS_HEADERS,
            ("Vary", "Accept, Accept-Encoding"),
            *extra,
        ]
        if reply.rows is not None:
            headers.append(("X-KG-Rows", str(reply.rows)))
        return Answer(200, headers, body)

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
        headers = [
            ("Content-Type", fmt.content_type),
            ("Content-Length", str(len(body))),
            *CORS_HEADERS,
            ("Vary", "Accept, Accept-Encoding"),
        ]
        return Answer(200, headers, body, cacheable=bool(sizes))  # without counts (store down?): ask again later

    def run_user_query(
        self, query: str, default_graph_uris: Sequence[str] = (), named_graph_uris: Sequence[str] = (), client: str = ""
    ) -> UserQueryResult:
        check_size(query, self.settings)
        if not query.strip():
            raise QueryError(400, "The query is empty.")
        key = ("user", self.version, query, tuple(default_graph_uris), tuple(named_graph_uris))
        reply = self.cache.get(key)
        if reply is None:
            reply = self.execute(query, default_graph_uris, named_graph_uris, INTERNAL_PLAN, client)
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
        result.graph = graph_from_triples(ox.parse(reply.body, ox.RdfFormat.N_TRIPLES))
    return result


def run_user_query(
    query: str, *, default_graph_uris: Sequence[str] = (), named_graph_uris: Sequence[str] = ()
) -> UserQueryResult:
    """Run a query typed by a user (the query page) with exactly the checks, limits and time-out of /sparql.

    Raises QueryError (.status 400/403/406/413/503..., .message) when the query is refused or fails."""
    from flask import has_request_context, request

    service: SparqlService = current_app.extensions[EXTENSION]
    client = (request.remote_addr or "") if has_request_context() else ""
    return service.run_user_query(query, default_graph_uris, named_graph_uris, client)
