"""The endpoint's work in one server process: answers to checked requests, the response cache, user queries.

ProtocolRequest -> response cache (the data is read-only: a repeated request is answered from memory, ETag / 304)
                -> negotiate (Accept with q-values, or the format parameter; 406)
                -> the client's fair share (kg.sparql.fairshare: 429 with Retry-After beyond it)
                -> a query worker process (kg.sparql.workers, kg.sparql.jobs): kg.sparql.policy checks (SERVICE 403,
                   FROM 400, malformed 400), the backend's execute, results written by pyoxigraph and cut at
                   max_rows; a query over the time limit is stopped (503)
                -> an Answer (kg.sparql.answers) with its ETag, kept in the response cache

`answer` runs on a thread; `answer_async` on the event loop of the HTTP front end, which awaits the worker's reply
without a thread in between.
"""

from __future__ import annotations

import asyncio
import atexit
import hashlib
import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import Graph
from rdflib.term import Node

from kg.config import Settings
from kg.rdf.terms import graph_from_triples, to_rdflib
from kg.rdf.vocab import prefixes_for
from kg.sparql.answers import (
    CACHE_CONTROL,
    CORS_HEADERS,
    TRUNCATED_NOTE,
    Answer,
    ResponseCache,
    error_answer,
    link_truncation_note,
)
from kg.sparql.description import graph_sizes, service_description
from kg.sparql.fairshare import FairShare, TooBusy
from kg.sparql.graph_store import GraphStore
from kg.sparql.jobs import Job, QueryTimedOut, Reply
from kg.sparql.policy import QueryError, check_size
from kg.sparql.protocol import ProtocolRequest
from kg.sparql.results import BY_NAME, FORMATS, convert_ntriples, negotiate, not_acceptable
from kg.sparql.workers import QueryWorkerPool
from kg.store.base import DataVersion

log = logging.getLogger("kg.sparql")

EXTENSION = "kg_sparql"
CACHED_STATUSES = {200, 400, 403, 406}
DESCRIPTION_PREFIXES = ("sd", "void", "dcterms", "ep", "rdf", "xsd")
INTERNAL_PLAN = {"select": "internal", "ask": "internal", "graph": "internal"}


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
        job = self._admit(query, default_graph_uris, named_graph_uris, plan, client)
        if isinstance(job, Reply):
            return job
        timing: dict[str, float] = {}
        reply = None
        try:
            reply = self.pool.run(job, self.settings.timeout, timing=timing, **self._lanes(client))
        except QueryError as exc:
            reply = _failed(exc)
        finally:
            self._charge(client, query, timing, reply)
        return reply

    async def execute_async(
        self,
        query: str,
        default_graph_uris: Sequence[str],
        named_graph_uris: Sequence[str],
        plan: dict[str, str | None],
        client: str,
        threads: Executor,
    ) -> Reply:
        """`execute` from the event loop of the HTTP front end (kg.sparql.workers.QueryWorkerPool.run_async)."""
        job = self._admit(query, default_graph_uris, named_graph_uris, plan, client)
        if isinstance(job, Reply):
            return job
        timing: dict[str, float] = {}
        reply = None
        try:
            reply = await self.pool.run_async(job, self.settings.timeout, threads, timing=timing, **self._lanes(client))
        except QueryError as exc:
            reply = _failed(exc)
        finally:
            self._charge(client, query, timing, reply)
        return reply

    def _admit(self, query, default_graph_uris, named_graph_uris, plan, client: str) -> Job | Reply:
        """The job for a query, or the refusal of a client over its share (or of a store that runs no queries)."""
        if not self.supports_user_queries:
            return Reply(False, 501, f"The store backend ({type(self.store).__name__}) does not run user queries.")
        try:
            self.fairshare.admit(client, query)
        except TooBusy as exc:
            return Reply(False, exc.status, exc.message, retry_after=exc.retry_after)
        return Job(
            query,
            tuple(default_graph_uris),
            tuple(named_graph_uris),
            plan,
            self.settings.max_rows,
            self.settings.timeout,
        )

    def _lanes(self, client: str) -> dict:
        share = self.fairshare
        return {"enter_slow": lambda: share.enter_slow(client), "leave_slow": lambda: share.leave_slow(client)}

    def _charge(self, client: str, query: str, timing: dict[str, float], reply: Reply | None) -> None:
        """The query's wall time (from when a worker took it) to the client's budget; a text that ran out of time
        is remembered."""
        now = time.monotonic()
        timed_out = query if reply is not None and reply.timed_out else None
        self.fairshare.finish(client, now - timing.get("started", now), timed_out_text=timed_out)

    def answer(self, req: ProtocolRequest, url: str, client: str = "") -> Answer:
        """The full answer to a checked protocol request (cached when it can be)."""
        version = self.version
        key = req.cache_key(url, version)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        try:
            plan = self._plan(req)
            if req.query is None:
                answer = self._description(plan, url)
            else:
                reply = self.execute(req.query, req.default_graph_uris, req.named_graph_uris, plan, client)
                answer = self._query_answer(req, plan, reply)
        except QueryError as exc:
            answer = error_answer(exc.status, exc.message, req.accept)
        return self._keep(key, version, answer)

    async def answer_async(self, req: ProtocolRequest, url: str, client: str, threads: Executor) -> Answer:
        """`answer` from the event loop: a query's reply is awaited there; the service description is made on a
        thread of `threads` (it may ask the store)."""
        if req.query is None:
            return await asyncio.get_running_loop().run_in_executor(threads, self.answer, req, url, client)
        version = self.version
        key = req.cache_key(url, version)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        try:
            plan = self._plan(req)
            reply = await self.execute_async(
                req.query, req.default_graph_uris, req.named_graph_uris, plan, client, threads
            )
            answer = self._query_answer(req, plan, reply)
        except QueryError as exc:
            answer = error_answer(exc.status, exc.message, req.accept)
        return self._keep(key, version, answer)

    @staticmethod
    def _plan(req: ProtocolRequest) -> dict[str, str | None]:
        plan = negotiate(req.accept, req.formats)
        if req.query is None:
            if req.method == "POST":
                raise QueryError(400, "No query: send query=... (SPARQL Update is not accepted here).")
        elif not any(plan.values()):
            raise QueryError(
                406,
                "None of the accepted media types is a format of this endpoint: "
                + ", ".join(f.media_type for f in FORMATS),
            )
        return plan

    def _keep(self, key: tuple, version: str, answer: Answer) -> Answer:
        """Validators for a cacheable answer, which the response cache then keeps."""
        if answer.status in CACHED_STATUSES and answer.cacheable:
            answer.etag = f'W/"{version}-{hashlib.blake2b(repr(key).encode(), digest_size=8).hexdigest()}"'
            answer.headers.append(("ETag", answer.etag))
            if answer.status == 200:
                answer.headers.append(("Cache-Control", CACHE_CONTROL))
            self.cache.put(key, answer, len(answer.body))
        return answer

    def _query_answer(self, req: ProtocolRequest, plan: dict[str, str | None], reply: Reply) -> Answer:
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
        """Run a query typed by a user (the query page, an assistant's tool) with exactly the checks, limits, time-out
        and fair share of /sparql. Raises QueryError (.status 400/403/406/413/503..., .message) when it is refused or
        fails."""
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


def _failed(exc: QueryError) -> Reply:
    return Reply(
        False,
        exc.status,
        exc.message,
        retry_after=getattr(exc, "retry_after", 0),
        timed_out=isinstance(exc, QueryTimedOut),
    )
