"""The store: where the built dataset lives and how queries run on it. One interface, several backends.

Two interfaces, both implemented by every backend (`EmbeddedStore` here, `kg.remote.RemoteStore` for a remote
SPARQL 1.1 server); `open_store(settings)` picks the backend from `settings.store`.

`Store`, used by the web views for the app's own queries (trusted .rq files; no worker isolation, must stay fast):
    store.select(query, bindings=None) -> list[dict[str, rdflib term]]
    store.ask(query, bindings=None) -> bool
    store.construct(query, bindings=None) -> rdflib.Graph
`bindings` maps variable names (without '?') to rdflib terms; they are bound by a trailing VALUES clause written by
kg.sparql_terms (never by string formatting of user input), so a query file must not end with its own VALUES. The
default graph of every query is the union of the ontology, asserted and inferred graphs.

`QueryExecutor`, used by the SPARQL protocol layer (kg.sparql) for queries sent by users. The protocol layer does
every safety check before a query reaches `execute` (update rejection, SERVICE, FROM/FROM NAMED and protocol graph
checks, size limits) and enforces row limits and the time limit itself, by running `execute` in a query worker
process that it kills when the time is up. A backend only has to run the query on the dataset it is given.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import pyoxigraph as ox

from kg.config import Settings
from kg.rdfterms import to_oxigraph, to_rdflib  # noqa: F401 - re-exported for the protocol and page layers

if TYPE_CHECKING:
    from rdflib import Graph
    from rdflib.term import Node

# rdflib is imported where it is used: query worker processes, which load this module, start faster without it.

DATASET_GRAPHS = ("ontology", "asserted", "inferred")

# What `QueryExecutor.execute` returns: the pyoxigraph result objects (a backend that receives results over HTTP
# builds them with pyoxigraph.parse_query_results / pyoxigraph.parse).
QueryResult = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples | Iterable[ox.Triple]


class ExecutionError(Exception):
    """A user query could not be run. `status` is the HTTP status the protocol layer answers with."""

    status = 500

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class QueryRejected(ExecutionError):
    """The backend's parser found the query malformed (or not a query): a client error."""

    status = 400


class BackendUnavailable(ExecutionError):
    """The backend cannot answer now (down, refusing, too slow): worth retrying later."""

    status = 503


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


class EmbeddedStore:
    """The built dataset in an in-memory Oxigraph store (the data is read-only once built)."""

    needs_network = False

    def __init__(self, settings: Settings, dataset_file: Path | None = None, *, data: bytes | None = None):
        self.settings = settings
        if data is None:
            data = (dataset_file or settings.build_dir / "dataset.nq").read_bytes()
        self._data = data  # kept so query workers load exactly this snapshot, whatever happens to build/ meanwhile
        self.version = hashlib.blake2b(data, digest_size=8).hexdigest()
        self._store = ox.Store()
        self._store.bulk_load(data, ox.RdfFormat.N_QUADS)
        self._union = [ox.NamedNode(settings.graph_iri(name)) for name in DATASET_GRAPHS]

    def _run(self, query: str, bindings: dict | None):
        from kg.sparql_terms import values_clause

        return self._store.query(query + values_clause(bindings or {}), use_default_graph_as_union=True)

    def select(self, query: str, bindings: dict | None = None) -> list[dict[str, Node]]:
        results = self._run(query, bindings)
        names = [v.value for v in results.variables]
        return [{n: to_rdflib(sol[n]) for n in names if sol[n] is not None} for sol in results]

    def ask(self, query: str, bindings: dict | None = None) -> bool:
        return bool(self._run(query, bindings))

    def construct(self, query: str, bindings: dict | None = None) -> Graph:
        from rdflib import Graph

        g = Graph()
        for t in self._run(query, bindings):
            g.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
        return g

    def close(self) -> None:
        pass

    # --- QueryExecutor ---

    def worker_factory(self) -> Callable[[], EmbeddedStore]:
        return functools.partial(EmbeddedStore, self.settings, data=self._data)

    def execute(
        self, query: str, *, default_graphs: Sequence[str], named_graphs: Sequence[str], timeout: float
    ) -> QueryResult:
        try:
            return self._store.query(
                query,
                default_graph=[ox.NamedNode(g) for g in default_graphs],
                named_graphs=[ox.NamedNode(g) for g in named_graphs],
            )
        except SyntaxError as exc:
            raise QueryRejected(str(exc)) from None
        except OSError as exc:  # a SERVICE call that got through the checks and failed, or a read error
            raise BackendUnavailable(f"the query could not be evaluated: {exc}") from None


def open_store(settings: Settings):
    """The store the settings name: 'embedded' (the default) or a remote SPARQL endpoint URL (kg.remote)."""
    if settings.store == "embedded":
        return EmbeddedStore(settings)
    from kg.remote import RemoteStore

    return RemoteStore(settings)
