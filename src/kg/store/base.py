"""The store's interfaces, known to every layer above it: where the built dataset lives and how queries run on it.

Two interfaces, both implemented by every backend (`kg.store.embedded.EmbeddedStore`, `kg.store.remote.RemoteStore`
for a remote SPARQL 1.1 server); `kg.store.open_store(settings)` picks the backend from `settings.store`. This module
knows no backend.

`Store`, used by the web views for the app's own queries (trusted .rq files; no worker isolation, must stay fast):
    store.select(query, bindings=None) -> list[dict[str, rdflib term]]
    store.ask(query, bindings=None) -> bool
    store.construct(query, bindings=None) -> rdflib.Graph
`bindings` maps variable names (without '?') to rdflib terms; they are bound by a trailing VALUES clause written by
kg.rdf.sparql_text (never by string formatting of user input), so a query file must not end with its own VALUES. The
default graph of every query is the union of the ontology, asserted and inferred graphs.

`QueryExecutor`, used by the SPARQL protocol layer (kg.sparql) for queries sent by users. The protocol layer does
every safety check before a query reaches `execute` (update rejection, SERVICE, FROM/FROM NAMED and protocol graph
checks, size limits) and enforces row limits and the time limit itself, by running `execute` in a query worker
process that it kills when the time is up. A backend only has to run the query on the dataset it is given.
"""

from __future__ import annotations

import inspect
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import pyoxigraph as ox

if TYPE_CHECKING:
    from rdflib import Graph
    from rdflib.term import Node

# What `QueryExecutor.execute` returns: the pyoxigraph result objects (a backend that receives results over HTTP
# builds them with pyoxigraph.parse_query_results / pyoxigraph.parse).
QueryResult = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples | Iterable[ox.Triple]


class ExecutionError(Exception):
    """A query could not be run on the store. Store errors say what happened, not how to answer it over HTTP:
    kg.sparql.errors maps them to status codes, for the endpoint and the pages alike."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class QueryRejected(ExecutionError):
    """The backend's parser found the query malformed (or not a query): the client's error."""


class BackendUnavailable(ExecutionError):
    """The backend cannot answer now (down, refusing, too slow): worth retrying later."""


class BadResponse(ExecutionError):
    """The backend answered with something this app cannot use."""


@runtime_checkable
class Store(Protocol):
    """The app's own queries (the web views). Trusted query text, rdflib terms out, default graph = union."""

    def select(self, query: str, bindings: dict | None = None) -> list[dict[str, Node]]: ...

    def ask(self, query: str, bindings: dict | None = None) -> bool: ...

    def construct(self, query: str, bindings: dict | None = None) -> Graph: ...

    def close(self) -> None: ...


@runtime_checkable
class QueryExecutor(Protocol):
    """User queries for the SPARQL endpoint, run inside a query worker process.

    The protocol layer calls `worker_factory()` once in the web process; the callable it returns is pickled into each
    query worker process and called there to open that process's own executor, which then runs `execute` for one
    query at a time. The protocol layer kills a worker whose query runs over the time limit and starts a new one.
    """

    #: False if `execute` never needs the network: the query worker is then cut off from it (defence in depth
    #: against SERVICE). A remote backend sets True.
    needs_network: bool

    def worker_factory(self) -> Callable[[], QueryExecutor]:
        """A picklable zero-argument callable that opens an equivalent executor in another process."""
        ...

    def execute(
        self, query: str, *, default_graphs: Sequence[str], named_graphs: Sequence[str], timeout: float
    ) -> QueryResult:
        """Run one SPARQL query (a SELECT, ASK, CONSTRUCT or DESCRIBE; the text exactly as the user sent it).

        default_graphs: IRIs of the graphs whose merge is the default graph (may be empty: an empty default graph).
        named_graphs: IRIs of the graphs GRAPH ?g may see (may be empty).
        These replace any FROM / FROM NAMED of the query (the protocol layer has already read and checked them).
        timeout: seconds left; the protocol layer enforces it anyway, a remote backend should pass it on.

        Returns pyoxigraph's QuerySolutions (SELECT), QueryBoolean (ASK), or QueryTriples or any iterable of
        pyoxigraph Triples (CONSTRUCT, DESCRIBE). Results may be lazy: the protocol layer reads at most
        max_rows + 1 solutions or triples. Raises QueryRejected when the query is malformed (the message should say
        where), BackendUnavailable when the store cannot answer.
        """
        ...


VERSION_REFRESH_S = 5.0
log = logging.getLogger("kg.store")


class DataVersion:
    """Which data a store holds (the build's content hash), for cache keys and page tables, never waited for.

    An embedded store knows its version; a remote store asks its load record, so that version is refreshed in a
    background thread at most every VERSION_REFRESH_S seconds and the last known value is answered meanwhile."""

    def __init__(self, store):
        self.store = store
        # a version the store computes (a property: a remote store asks its load record) is never waited for
        self._known = not isinstance(inspect.getattr_static(type(store), "version", None), property)
        self._value = str(getattr(store, "version", "") or "") if self._known else ""
        self._checked: float | None = None
        self._lock = threading.Lock()

    def get(self) -> str:
        if self._known:
            return self._value
        now = time.monotonic()
        with self._lock:
            due = self._checked is None or now - self._checked > VERSION_REFRESH_S
            if due:
                self._checked = now
        if due:
            threading.Thread(target=self._refresh, name="kg-store-version", daemon=True).start()
        return self._value

    def _refresh(self) -> None:
        try:
            self._value = str(self.store.version or "")
        except Exception:  # keep the last known version; the next refresh tries again
            log.warning("could not read the store's version", exc_info=True)
