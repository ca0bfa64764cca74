"""The endpoint's state in one server process, and the one way a user query runs: `execute`.

    execute(query, dataset, plan, client)   (a coroutine, on the event loop of the HTTP front end, or of the service's
                                             own thread when there is none)
        -> the client's fair share (kg.sparql.fairshare: 429 with Retry-After beyond it)
        -> a query worker process (kg.sparql.workers, kg.sparql.jobs): kg.sparql.policy checks (SERVICE 403,
           FROM 400, malformed 400), the backend's execute, results written by pyoxigraph and cut at max_rows; a
           query over the time limit is stopped (503)
        -> the worker's Reply

/sparql answers are made from it by kg.sparql.endpoint; the query page and the assistants' tools, which run on
threads, call `run_user_query`, which waits for `execute` on the loop and gives the result as rdflib terms.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import Graph
from rdflib.term import Node

from kg.config import Settings
from kg.rdf.terms import graph_from_triples, to_rdflib
from kg.rdf.vocab import prefixes_for
from kg.sparql.answers import ResponseCache
from kg.sparql.description import graph_sizes
from kg.sparql.fairshare import FairShare, TooBusy
from kg.sparql.graph_store import GraphStore
from kg.sparql.jobs import Job, QueryTimedOut, Reply
from kg.sparql.policy import QueryError, check_size
from kg.sparql.workers import QueryWorkerPool
from kg.store.base import DataVersion

log = logging.getLogger("kg.sparql")

EXTENSION = "kg_sparql"
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
        self._sizes: dict[str, int] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_lock = threading.Lock()
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
        if self._pool is not None:
            return self._pool
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

    # the loop queries are awaited on

    def serve_on(self, loop: asyncio.AbstractEventLoop) -> None:
        """Await queries on the HTTP front end's event loop (kg.frontend), in this process."""
        with self._loop_lock:
            self._loop = loop

    def call(self, function, *args):
        """Run the coroutine function(*args) on the service's loop and wait for its result, from a thread that is not
        that loop's (a page's, a tool's); without a front end, the loop runs on a thread of the service's own."""
        with self._loop_lock:
            if self._loop is None or self._loop.is_closed():
                self._loop = asyncio.new_event_loop()
                threading.Thread(target=self._loop.run_forever, name="kg-query-loop", daemon=True).start()
            loop = self._loop
        try:
            on_the_loop = asyncio.get_running_loop() is loop
        except RuntimeError:  # no loop runs on this thread
            on_the_loop = False
        if on_the_loop:
            raise RuntimeError("SparqlService.call on the thread of the loop it waits for would wait for ever: await")
        return asyncio.run_coroutine_threadsafe(function(*args), loop).result()

    # running queries

    async def execute(
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
        try:
            light = self.fairshare.admit(client, query)
        except TooBusy as exc:
            return Reply(False, exc.status, exc.message, retry_after=exc.retry_after)
        job = Job(
            query,
            tuple(default_graph_uris),
            tuple(named_graph_uris),
            plan,
            self.settings.max_rows,
            self.settings.timeout,
        )
        timing: dict[str, float] = {}
        reply = None
        try:
            reply = await self.pool.run(
                job,
                self.settings.timeout,
                light=light,
                enter_slow=lambda: self.fairshare.enter_slow(client),
                leave_slow=lambda: self.fairshare.leave_slow(client),
                timing=timing,
            )
        except QueryError as exc:
            reply = _failed(exc)
        finally:
            self._charge(client, query, timing, reply)
        return reply

    def _charge(self, client: str, query: str, timing: dict[str, float], reply: Reply | None) -> None:
        """The query's wall time (from when a worker took it) to the client's budget; a text that ran out of time
        is remembered."""
        now = time.monotonic()
        timed_out = query if reply is not None and reply.timed_out else None
        self.fairshare.finish(client, now - timing.get("started", now), timed_out_text=timed_out)

    def graph_sizes(self) -> dict[str, int]:
        """The triples in each graph (for the service description), asked of the store until it answers once."""
        if not self._sizes:
            self._sizes = graph_sizes(self.store)
        return self._sizes

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
            reply = self.call(self.execute, query, default_graph_uris, named_graph_uris, INTERNAL_PLAN, client)
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
