"""Loading the validated build into a remote SPARQL 1.1 store, safely and idempotently.

1. Read build/dataset.nq (a conforming, up-to-date build) and hash its content.
2. If the store's load record carries that hash and its graphs hold the expected counts, stop: nothing changes.
3. Upload each graph into a fresh staging graph (Graph Store Protocol PUT and POST in bounded requests, or SPARQL
   INSERT DATA where the store has no GSP), then count the staging graphs against the build.
4. Switch with one SPARQL Update request: replace each live graph by its staging graph (DROP, then ADD) and rewrite
   the load record; the staging graphs are dropped afterwards, in a request of their own (the switch does not need
   to wait for it: MOVE would drop them inside the switch's transaction, which grows faster than the data).
   Servers apply one update request atomically (Oxigraph, Fuseki and GraphDB do), so until the switch every query
   sees the previous data, complete, and after it the new data, complete. A load that fails or is interrupted
   before the switch changes nothing live; its staging graphs are dropped then, or by the next load.

Blank nodes are scoped to one document or one request: blank-node groups that span graphs are sent together in one
INSERT DATA request so that they stay one node in the store.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

import pyoxigraph as ox
from rdflib import Literal

from kg.artifacts import DATASET, ArtifactError, BuildArtifacts, content_hash, is_stale, read_quads
from kg.config import Settings
from kg.rdf.sparql_text import iri, string, term
from kg.rdf.vocab import GRAPH_NAMES
from kg.store.remote import RemoteStore, RemoteStoreError, record_graph

DCTERMS = "http://purl.org/dc/terms/"
VOID = "http://rdfs.org/ns/void#"
XSD = "http://www.w3.org/2001/XMLSchema#"
# An INSERT DATA request holds at most this many triples (when loading without the Graph Store Protocol). Virtuoso
# compiles each request to SQL and refuses one of 5,000 triples ("generated SQL text has exceeded 10000 lines").
UPDATE_CHUNK = 1000
# A Graph Store Protocol request holds at most this many triples: the first one PUT, the rest POSTed (merged) into the
# staging graph. Virtuoso parses one request's body in one transaction, in time that grows faster than its size: one
# PUT of 770,000 triples did not end within 600 s, while requests of this size take about a second each.
GSP_CHUNK = 50_000

T = TypeVar("T")


class LoadError(Exception):
    """The load did not happen (or could not be confirmed); the message says why and what the store now holds."""


@dataclass
class BuildDump:
    """The build's quads by live graph, with the content hash that identifies them."""

    content_hash: str
    quads: dict[str, list[ox.Quad]]  # live graph IRI -> its quads
    manifest: dict

    @property
    def counts(self) -> dict[str, int]:
        return {graph: len(quads) for graph, quads in self.quads.items()}


@dataclass
class LoadReport:
    """What a load did: the store, the build's hash, whether anything changed, the graphs and their triple counts."""

    store: str
    content_hash: str
    changed: bool
    method: str
    graphs: dict[str, int]
    seconds: float
    built_at: str = ""
    steps: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "store": self.store,
            "content_hash": self.content_hash,
            "changed": self.changed,
            "method": self.method,
            "graphs": self.graphs,
            "triples": sum(self.graphs.values()),
            "seconds": round(self.seconds, 3),
            "built_at": self.built_at,
            "steps_s": {k: round(v, 3) for k, v in self.steps.items()},
        }

    def text(self) -> str:
        if self.changed:
            head = f"loaded the build ({self.content_hash[:19]}) into {self.store} via {self.method}"
        else:
            head = f"{self.store} already holds this build ({self.content_hash[:19]}): nothing changed"
        width = max(len(g) for g in self.graphs)
        lines = [head] + [f"  {g:<{width}}  {n:>8} triples" for g, n in self.graphs.items()]
        lines.append(f"  {'total':<{width}}  {sum(self.graphs.values()):>8} triples in {self.seconds:.2f}s")
        if self.steps:
            lines.append("  steps: " + ", ".join(f"{k} {v:.2f}s" for k, v in self.steps.items()))
        return "\n".join(lines)


def staging_prefix(settings: Settings) -> str:
    return settings.base_iri + "graph/staging/"


def read_build(settings: Settings) -> BuildDump:
    """The build's quads, checked: conforming, up to date, only the three graphs, counts as in the manifest."""
    artifacts = BuildArtifacts(settings.build_dir)
    try:
        manifest = artifacts.require_manifest()
        if not manifest.get("conforms"):
            raise LoadError("the build does not conform to the shapes; fix the data and run `kg build`")
        if is_stale(settings):
            raise LoadError("the build is stale (sources or base IRI changed since): run `kg build` first")
        live = {settings.graph_iri(name): name for name in GRAPH_NAMES}
        ordered = read_quads(artifacts.path(DATASET), live)
    except ArtifactError as exc:
        raise LoadError(str(exc)) from None
    for graph, name in live.items():
        expected = manifest.get("triples", {}).get(name)
        if expected != len(ordered[graph]):
            raise LoadError(
                f"build/dataset.nq has {len(ordered[graph])} triples in <{graph}> but manifest.json says "
                f"{expected}: run `kg build` again"
            )
    return BuildDump(content_hash=content_hash(ordered), quads=ordered, manifest=manifest)


# --- what the store holds ---


def graph_counts(store: RemoteStore, graphs: Iterable[str], timeout: float | None = None) -> dict[str, int]:
    """Triples in each of the given named graphs of the store (0 for a graph it does not have).

    Each call's text is new (a comment with a fresh token): Virtuoso keeps a query's plan by its text, and the plan
    made while the live graphs were empty, before a load, took over 300 s to count them after the switch of a
    million triples (0.2 s when planned anew)."""
    graphs = list(graphs)
    query = (
        f"# count {uuid.uuid4().hex}\n"
        "SELECT ?graph (COUNT(*) AS ?triples) WHERE {\n"
        f"  VALUES ?graph {{ {' '.join(iri(g) for g in graphs)} }}\n"
        "  GRAPH ?graph { ?s ?p ?o }\n} GROUP BY ?graph"
    )
    counts = dict.fromkeys(graphs, 0)
    for row in store.select_all_graphs(query, timeout=timeout):
        counts[str(row["graph"])] = int(row["triples"])
    return counts


def stored_hash(store: RemoteStore, settings: Settings, timeout: float | None = None) -> str | None:
    """The content hash of the build the store says it holds, or None."""
    record = iri(record_graph(settings))
    query = f"SELECT ?hash WHERE {{ GRAPH {record} {{ {record} {iri(DCTERMS + 'identifier')} ?hash }} }}"
    rows = store.select_all_graphs(query, timeout=timeout)
    return str(rows[0]["hash"]) if rows else None


def staging_graphs(store: RemoteStore, settings: Settings, timeout: float | None = None) -> list[str]:
    """Staging graphs left in the store (by a load that was interrupted)."""
    query = (
        "SELECT DISTINCT ?graph WHERE { GRAPH ?graph {} "
        f"FILTER(STRSTARTS(STR(?graph), {string(staging_prefix(settings))})) }}"
    )
    return [str(row["graph"]) for row in store.select_all_graphs(query, timeout=timeout)]


def drop_graphs(store: RemoteStore, graphs: Iterable[str], timeout: float | None = None) -> None:
    graphs = list(graphs)
    if graphs:
        store.update(" ;\n".join(f"DROP SILENT GRAPH {iri(g)}" for g in graphs), timeout=timeout)


# --- uploading ---


def _bnode_groups(quads: Iterable[ox.Quad]) -> dict[str, str]:
    """Blank node label -> the label of its group (blank nodes linked through a shared triple)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for quad in quads:
        labels = [t.value for t in (quad.subject, quad.object) if isinstance(t, ox.BlankNode)]
        for label in labels:
            find(label)
        if len(labels) == 2:
            parent[find(labels[0])] = find(labels[1])
    return {label: find(label) for label in parent}


def _group_of(quad: ox.Quad, groups: dict[str, str]) -> str | None:
    for t in (quad.subject, quad.object):
        if isinstance(t, ox.BlankNode):
            return groups[t.value]
    return None


class _SparqlWriter:
    """Quads as SPARQL INSERT DATA text; blank node labels renamed to safe ones, consistently within a request."""

    def __init__(self) -> None:
        self.labels: dict[str, str] = {}

    def term(self, t) -> str:
        if isinstance(t, ox.NamedNode):
            return iri(t.value)
        if isinstance(t, ox.BlankNode):
            return "_:" + self.labels.setdefault(t.value, f"b{len(self.labels)}")
        if isinstance(t, ox.Literal):
            if t.language:
                return term(Literal(t.value, lang=t.language))
            return string(t.value) + "^^" + iri(t.datatype.value)  # exact lexical form, no normalization
        raise LoadError(f"cannot write {t!r} into SPARQL")

    def insert_data(self, quads: list[tuple[str, ox.Quad]]) -> str:
        by_graph: dict[str, list[str]] = defaultdict(list)
        for graph, q in quads:
            by_graph[graph].append(f"{self.term(q.subject)} {self.term(q.predicate)} {self.term(q.object)} .")
        blocks = [f"GRAPH {iri(g)} {{\n" + "\n".join(lines) + "\n}" for g, lines in by_graph.items()]
        if self.labels:
            # The same as INSERT DATA (one solution: each blank node is one new node throughout), in the form
            # Virtuoso accepts: it refuses blank nodes in INSERT DATA ("not allowed in a constant clause").
            return "INSERT {\n" + "\n".join(blocks) + "\n} WHERE {}"
        return "INSERT DATA {\n" + "\n".join(blocks) + "\n}"


def _units(entries: Iterable[T], group_of: Callable[[T], str | None]) -> list[list[T]]:
    """The entries one per unit, in order, then the entries of each blank-node group as one unit (sent together)."""
    singles: list[list[T]] = []
    grouped: dict[str, list[T]] = defaultdict(list)
    for entry in entries:
        group = group_of(entry)
        if group is None:
            singles.append([entry])
        else:
            grouped[group].append(entry)
    return singles + list(grouped.values())


def _update_batches(units: list[list], size: int) -> list[list]:
    """The units (a quad, or a blank-node group's quads) in batches of at most `size` quads (a larger unit alone)."""
    batches: list[list] = [[]]
    for unit in units:
        if batches[-1] and len(batches[-1]) + len(unit) > size:
            batches.append([])
        batches[-1].extend(unit)
    return [b for b in batches if b]


def upload(store: RemoteStore, dump: BuildDump, staging: dict[str, str], timeout: float) -> str:
    """Put the build's graphs into the (empty) staging graphs. Returns the method used."""
    quads = [q for graph_quads in dump.quads.values() for q in graph_quads]
    groups = _bnode_groups(quads)
    graphs_of_group: dict[str, set[str]] = defaultdict(set)
    for graph, graph_quads in dump.quads.items():
        for q in graph_quads:
            group = _group_of(q, groups)
            if group is not None:
                graphs_of_group[group].add(graph)
    if store.endpoints.gsp is not None:
        together: list[tuple[str, ox.Quad]] = []  # blank-node groups spanning graphs: one request
        for graph, graph_quads in dump.quads.items():
            own: list[ox.Quad] = []
            for q in graph_quads:
                group = _group_of(q, groups)
                if group is not None and len(graphs_of_group[group]) > 1:
                    together.append((staging[graph], q))
                else:
                    own.append(q)
            # A request's body is one document, so each blank-node group is sent whole in one request.
            units = _units(own, lambda q: _group_of(q, groups))
            for i, batch in enumerate(_update_batches(units, GSP_CHUNK)):
                body = "".join(f"{q.subject} {q.predicate} {q.object} .\n" for q in batch).encode("utf-8")
                store.put_graph(staging[graph], body, timeout=timeout, append=i > 0)
        if together:
            store.update(_SparqlWriter().insert_data(together), timeout=timeout)
        return "the Graph Store Protocol"
    entries = [(staging[graph], q) for graph, graph_quads in dump.quads.items() for q in graph_quads]
    units = _units(entries, lambda entry: _group_of(entry[1], groups))
    for batch in _update_batches(units, UPDATE_CHUNK):
        store.update(_SparqlWriter().insert_data(batch), timeout=timeout)
    return "SPARQL Update"


def switch_update(settings: Settings, dump: BuildDump, staging: dict[str, str]) -> str:
    """The one update request that replaces the live graphs by the staging graphs and rewrites the load record."""
    record = iri(record_graph(settings))
    ops = []
    for graph, count in dump.counts.items():
        ops.append(f"DROP SILENT GRAPH {iri(graph)}")
        if count:
            ops.append(f"ADD GRAPH {iri(staging[graph])} TO GRAPH {iri(graph)}")
    now = datetime.now(UTC).isoformat(timespec="seconds")
    facts = [
        f"{record} {iri(DCTERMS + 'identifier')} {string(dump.content_hash)} ;",
        f"  {iri(DCTERMS + 'modified')} {string(now)}^^{iri(XSD + 'dateTime')} ;",
        f"  {iri(VOID + 'triples')} {sum(dump.counts.values())} .",
    ]
    if dump.manifest.get("built_at"):
        facts.append(f"{record} {iri(DCTERMS + 'created')} {string(dump.manifest['built_at'])} .")
    for graph, count in dump.counts.items():
        facts.append(
            f"{record} {iri(DCTERMS + 'hasPart')} {iri(graph)} . {iri(graph)} {iri(VOID + 'triples')} {count} ."
        )
    ops.append(f"DROP SILENT GRAPH {record}")
    ops.append(f"INSERT DATA {{ GRAPH {record} {{\n" + "\n".join(facts) + "\n} }")
    return " ;\n".join(ops)


def load(
    settings: Settings,
    store: RemoteStore | None = None,
    *,
    force: bool = False,
    timeout: float = 600.0,
    progress: Callable[[str], None] | None = None,
) -> LoadReport:
    """Push the build to the remote store the settings name. Raises LoadError; the previous data stays queryable."""
    say = progress or (lambda message: None)
    started = time.perf_counter()
    steps: dict[str, float] = {}
    with _timed(steps, "read"):
        dump = read_build(settings)
    own = store is None
    store = store or RemoteStore(settings)

    def report(loaded: bool, method: str) -> LoadReport:
        elapsed = time.perf_counter() - started
        built_at = dump.manifest.get("built_at", "")
        return LoadReport(store.name, dump.content_hash, loaded, method, dump.counts, elapsed, built_at, steps)

    try:
        with _timed(steps, "compare"):
            live_counts, previous = _live_state(store, settings, dump, timeout)
        if not force and previous == dump.content_hash and live_counts == dump.counts:
            return report(False, "nothing to do")
        load_id = f"{dump.content_hash[7:19]}-{uuid.uuid4().hex[:8]}"
        staging = {
            graph: f"{staging_prefix(settings)}{load_id}/{name}"
            for graph, name in zip(dump.quads, GRAPH_NAMES, strict=True)
        }
        method = _stage(store, settings, dump, staging, timeout, say, steps)
        say("switching the live graphs to the new build")
        with _timed(steps, "switch"):
            _switch(store, settings, dump, staging, previous, live_counts, timeout)
        _confirm(store, settings, dump, staging, timeout, steps)
        return report(True, method)
    finally:
        if own:
            store.close()


@contextlib.contextmanager
def _timed(steps: dict[str, float], name: str) -> Iterator[None]:
    """Record how long a step of the load took (in the load report)."""
    t = time.perf_counter()
    yield
    steps[name] = time.perf_counter() - t


def _live_state(store: RemoteStore, settings: Settings, dump: BuildDump, timeout: float) -> tuple[dict, str | None]:
    """The store's live graph sizes and the build it records, before anything is written."""
    try:
        store.ping(timeout=min(timeout, 30.0))
        return graph_counts(store, dump.quads, timeout), stored_hash(store, settings, timeout)
    except RemoteStoreError as exc:
        raise LoadError(f"nothing loaded: {exc}") from None


def _stage(store, settings, dump, staging: dict[str, str], timeout: float, say, steps: dict[str, float]) -> str:
    """Upload the build into fresh staging graphs and check they hold it; the upload method. On any failure the
    staging graphs are dropped and the live graphs are untouched."""
    try:
        with _timed(steps, "clean"):
            leftovers = staging_graphs(store, settings, timeout)
            if leftovers:
                say(f"dropping {len(leftovers)} staging graph(s) left by an earlier load")
                drop_graphs(store, leftovers, timeout)
        say(f"uploading {sum(dump.counts.values())} triples into staging graphs")
        with _timed(steps, "upload"):
            method = upload(store, dump, staging, timeout)
        with _timed(steps, "verify"):
            staged = graph_counts(store, staging.values(), timeout)
            wrong = {g: (staged[staging[g]], n) for g, n in dump.counts.items() if staged[staging[g]] != n}
            if wrong:
                raise LoadError(
                    "the staging graphs do not hold the build (store has, build has): "
                    + ", ".join(f"<{g}> {got} vs {n}" for g, (got, n) in wrong.items())
                )
        return method
    except BaseException as exc:
        _drop_quietly(store, staging.values())
        if isinstance(exc, RemoteStoreError):
            raise LoadError(f"load failed before the switch; the store's previous data is unchanged: {exc}") from None
        if isinstance(exc, LoadError):
            raise LoadError(f"{exc}; the store's previous data is unchanged") from None
        raise


def _switch(store, settings, dump, staging: dict[str, str], previous, live_counts, timeout: float) -> None:
    """Replace the live graphs by the staging graphs in one update request, and tell what a failure left."""
    try:
        store.update(switch_update(settings, dump, staging), timeout=timeout)
    except RemoteStoreError as exc:
        # The answer may be lost after the store applied the switch (a timeout): its record tells.
        if previous == dump.content_hash or not _switched(store, settings, dump.content_hash):
            _drop_quietly(store, staging.values())
            if _changed(store, dump, live_counts):
                # Virtuoso, for one, keeps the operations of a request that ran before the one that failed.
                raise LoadError(
                    "the switch failed part-way and the store kept part of it (it does not apply an update "
                    f"request as a whole): the live graphs may mix two builds; run `kg load` again: {exc}"
                ) from None
            raise LoadError(
                f"the switch failed; the store keeps its previous data if it applies updates atomically: {exc}"
            ) from None


def _confirm(store, settings, dump, staging: dict[str, str], timeout: float, steps: dict[str, float]) -> None:
    """Check that the live graphs now hold the build, then drop the staging graphs."""
    with _timed(steps, "confirm"):
        try:
            after = graph_counts(store, dump.quads, timeout)
            confirmed = stored_hash(store, settings, timeout) == dump.content_hash and after == dump.counts
        except RemoteStoreError as exc:
            raise LoadError(f"switched, but the result could not be checked: {exc}") from None
    with _timed(steps, "drop staging"):
        _drop_quietly(store, staging.values(), timeout)  # what is left, the next load drops
    if not confirmed:
        raise LoadError(
            f"after the switch the store's graphs hold {after}, expected {dump.counts}: "
            "another writer changed them, or the store does not apply updates atomically"
        )


def _switched(store: RemoteStore, settings: Settings, content_hash: str) -> bool:
    try:
        return stored_hash(store, settings, timeout=30.0) == content_hash
    except RemoteStoreError:
        return False


def _changed(store: RemoteStore, dump: BuildDump, before: dict[str, int]) -> bool:
    """Whether the live graphs' counts differ from those before the switch (True if they cannot be read)."""
    try:
        return graph_counts(store, dump.quads, timeout=30.0) != before
    except RemoteStoreError:
        return True


def _drop_quietly(store: RemoteStore, graphs: Iterable[str], timeout: float = 10.0) -> None:
    """Best effort: the store may be the reason the load failed; the next load drops what is left."""
    try:
        drop_graphs(store, graphs, timeout=timeout)
    except RemoteStoreError:
        pass
