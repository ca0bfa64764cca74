"""SPARQL endpoint benchmark: this server's /sparql against an Oxigraph server on the same build, over HTTP.

Starts `python server.py` (every safety measure on: query worker processes with time-out, sandbox, row and size
limits, the parsed-query checks) and `oxigraph serve-read-only --union-default-graph` (so that both have the union
default graph and the same three named graphs), checks that both give the same answers to the query mix, then sends
both the same sequence of realistic queries (benchmarks/queries/*.rq: lookups, joins, aggregates, CONSTRUCT,
DESCRIBE, label search with CONTAINS, ASK; entities and search words drawn from the data) at concurrency 1 and 8 and
prints throughput, p50 and p99 latency and the ratio ours / Oxigraph. Scenarios:

  repeated   the mix as a site sees it: the same few hundred query texts again and again (after one warm-up pass)
  runaway    the repeated mix at concurrency 8 while a runaway query (a triple cross-product cubed) keeps running
  unique     every query text new (a comment with a counter), so nothing can be answered from a cache

    python benchmarks/endpoint.py [--requests 2000] [--build-dir DIR] [--concurrency 1,8]

Targets (2-core machine): repeated mix at concurrency 8 at least 0.8x Oxigraph's throughput with p99 under 50 ms;
p99 of the mix under 100 ms while a runaway query runs. The figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Self
from urllib.parse import quote

import pyoxigraph as ox

from kg.rdf.sparql_text import iri, string
from kg.testing import OxigraphServer, ServerProcess, built_settings, oxigraph_command, start_app_server, stop_processes

QUERIES = Path(__file__).parent / "queries"
JSON = "application/sparql-results+json"
TURTLE = "text/turtle"
# How often each query of the mix is sent, relative to the others (a site's traffic: mostly lookups and searches).
WEIGHTS = {
    "lookup": 4,
    "labels": 3,
    "search": 3,
    "figures": 1,
    "quotes": 1,
    "class_counts": 1,
    "figures_per_group": 1,
    "construct": 2,
    "describe": 2,
    "ask": 2,
}
SEARCH_TERMS = [
    "港",
    "产业",
    "金普",
    "企业",
    "项目",
    "gdp",
    "port",
    "industry",
    "park",
    "trade",
    "zone",
    "新区",
    "investment",
    "大连",
    "innovation",
    "亿元",
]


@dataclass(frozen=True)
class Request:
    name: str
    query: str
    accept: str


@dataclass
class Stats:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def start_ours(build_dir: Path, log: Path) -> ServerProcess:
    """`python server.py` on the build (built first if stale), as it is served: every safety measure on."""
    return start_app_server(build_dir, log, build=True, timeout=120)


def start_oxigraph(build_dir: Path, workdir: Path, timeout_s: float) -> OxigraphServer:
    """The Oxigraph server the benchmarks compare with: the build loaded, read-only, the union as its default graph
    (as ours), the same time limit as ours, and at the same CPU priority as ours (the tests' store servers run at a
    lower one)."""
    if oxigraph_command() is None:
        raise SystemExit("the `oxigraph` command is needed (pip install oxigraph)")
    server = OxigraphServer(
        workdir / "oxigraph", timeout_s=int(timeout_s), niceness=0, read_only=True, union_default_graph=True
    )
    return server.load(build_dir / "dataset.nq").start(timeout=120)


def sample_parameters(dataset: Path, seed: int) -> list[str]:
    """IRIs of entities that have labels (the pages a site shows), from the build."""
    store = ox.Store()
    store.bulk_load(dataset.read_bytes(), ox.RdfFormat.N_QUADS)
    rows = store.query(
        "SELECT DISTINCT ?s WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l FILTER(isIRI(?s)) } ORDER BY ?s",
        use_default_graph_as_union=True,
    )
    entities = [row["s"].value for row in rows]
    random.Random(seed).shuffle(entities)
    return entities[:60]


def distinct_requests(entities: list[str]) -> list[Request]:
    templates = {path.stem: path.read_text(encoding="utf-8") for path in QUERIES.glob("*.rq")}
    out = []
    for name in WEIGHTS:
        text = templates[name]
        accept = TURTLE if name in ("construct", "describe") else JSON
        if "$entity" in text:
            out += [Request(name, text.replace("$entity", iri(e)), accept) for e in entities]
        elif "$term" in text:
            out += [Request(name, text.replace("$term", string(t)), accept) for t in SEARCH_TERMS]
        else:
            out.append(Request(name, text, accept))
    return out


def mix(distinct: list[Request], n: int, seed: int) -> list[Request]:
    by_name: dict[str, list[Request]] = {}
    for r in distinct:
        by_name.setdefault(r.name, []).append(r)
    rng = random.Random(seed)
    names = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()), k=n)
    return [rng.choice(by_name[name]) for name in names]


def uniquely(requests: list[Request]) -> list[Request]:
    return [Request(r.name, f"# request {i}\n{r.query}", r.accept) for i, r in enumerate(requests)]


def fetch(conn: http.client.HTTPConnection, path: str, req: Request) -> tuple[int, bytes]:
    conn.request("GET", path + "?query=" + quote(req.query, safe=""), headers={"Accept": req.accept})
    response = conn.getresponse()
    return response.status, response.read()


def load(port: int, path: str, requests: list[Request], concurrency: int) -> Stats:
    """Send the requests from `concurrency` threads, each on its own keep-alive connection."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    position = [0]

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine = []
        while True:
            with lock:
                i = position[0]
                position[0] += 1
            if i >= len(requests):
                break
            t = time.perf_counter()
            try:
                status, _ = fetch(conn, path, requests[i])
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                status = 0
            mine.append(time.perf_counter() - t)
            if status != 200:
                with lock:
                    errors[0] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    latencies.sort()
    return Stats(
        len(latencies),
        seconds,
        1000 * latencies[len(latencies) // 2],
        1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        errors[0],
    )


def answer_digest(body: bytes, accept: str) -> tuple:
    """What an answer says, independent of order and blank node labels."""
    if accept == JSON:
        doc = json.loads(body)
        if "boolean" in doc:
            return ("ask", doc["boolean"])
        rows = sorted(
            tuple(sorted((k, v["value"] if v["type"] != "bnode" else "_") for k, v in b.items()))
            for b in doc["results"]["bindings"]
        )
        return ("select", len(rows), hash(tuple(rows)))
    triples = list(ox.parse(body, ox.RdfFormat.TURTLE))
    return ("graph", len(triples))


def same_answers(ours: int, oxigraph: int, requests: list[Request]) -> list[str]:
    a = http.client.HTTPConnection("127.0.0.1", ours, timeout=60)
    b = http.client.HTTPConnection("127.0.0.1", oxigraph, timeout=60)
    problems = []
    for r in requests:
        (sa, ba), (sb, bb) = fetch(a, "/sparql", r), fetch(b, "/query", r)
        if sa != 200 or sb != 200:
            problems.append(f"{r.name}: HTTP {sa} vs {sb}")
        elif answer_digest(ba, r.accept) != answer_digest(bb, r.accept):
            problems.append(f"{r.name}: {answer_digest(ba, r.accept)} vs {answer_digest(bb, r.accept)}")
    return problems


class Runaway:
    """Keeps one runaway query running against a server until stopped; records how each one ended."""

    def __init__(self, port: int, path: str):
        self.port, self.path = port, path
        self.query = Request("runaway", (QUERIES / "runaway.rq").read_text(encoding="utf-8"), JSON)
        self.outcomes: list[tuple[int, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        n = 0
        while not self._stop.is_set():
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            req = Request("runaway", f"# runaway {n}\n{self.query.query}", JSON)  # never a cached answer
            n += 1
            t = time.perf_counter()
            try:
                status, _ = fetch(conn, self.path, req)
            except (OSError, http.client.HTTPException):
                status = 0
            self.outcomes.append((status, time.perf_counter() - t))
            conn.close()

    def __enter__(self) -> Self:
        self._thread.start()
        time.sleep(1.5)  # let it get going (and be given low priority) before measuring
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(120)  # the one running now ends (stopped by the server's time limit, or finished)


def row(scenario: str, server: str, concurrency: int, s: Stats) -> str:
    return (
        f"{scenario:<10} {server:<9} {concurrency:>4} {s.requests:>8} {s.throughput:>9.0f} {s.p50_ms:>8.2f} "
        f"{s.p99_ms:>8.2f} {s.errors:>6}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per measurement (default 2000)")
    parser.add_argument("--concurrency", default="1,8", help="comma-separated client concurrencies (default 1,8)")
    parser.add_argument("--build-dir", type=Path, help="a build to serve (default: the project's, built if stale)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    concurrencies = [int(c) for c in args.concurrency.split(",")]

    # fresh before the server starts, so that its start-up is measured with a build present
    settings = built_settings(args.build_dir)
    build_dir = settings.build_dir
    dataset = build_dir / "dataset.nq"
    triples = sum(1 for _ in dataset.open("rb"))

    with tempfile.TemporaryDirectory(prefix="kg-bench-") as tmp:
        work = Path(tmp)
        ours_server = start_ours(build_dir, work / "server.log")
        oxi_server = start_oxigraph(build_dir, work, settings.timeout)
        ours, oxi, startup = ours_server.port, oxi_server.port, ours_server.started_in
        try:
            distinct = distinct_requests(sample_parameters(dataset, args.seed))
            problems = same_answers(ours, oxi, distinct)
            print(
                f"dataset: {triples} quads; {len(distinct)} distinct queries in the mix; "
                f"{os.cpu_count()} CPUs; first answer {startup:.2f} s after `python server.py`"
            )
            print(f"same answers from both servers: {'yes' if not problems else 'NO'}")
            for p in problems[:10]:
                print("  " + p)
            sequence = mix(distinct, args.requests, args.seed)
            print(
                f"\n{'scenario':<10} {'server':<9} {'conc':>4} {'requests':>8} {'req/s':>9} {'p50 ms':>8} "
                f"{'p99 ms':>8} {'errors':>6}"
            )
            results: dict[tuple[str, int], dict[str, Stats]] = {}
            for c in concurrencies:
                for name, port, path in (("oxigraph", oxi, "/query"), ("ours", ours, "/sparql")):
                    load(port, path, distinct, 4)  # warm-up: every distinct query once
                    s = load(port, path, sequence, c)
                    results.setdefault(("repeated", c), {})[name] = s
                    print(row("repeated", name, c, s), flush=True)
            c = max(concurrencies)
            for name, port, path in (("oxigraph", oxi, "/query"), ("ours", ours, "/sparql")):
                with Runaway(port, path) as runaway:
                    s = load(port, path, sequence, c)
                results.setdefault(("runaway", c), {})[name] = s
                ended = ", ".join(f"HTTP {st} after {sec:.1f} s" for st, sec in runaway.outcomes)
                print(row("runaway", name, c, s) + f"   runaway: {ended}", flush=True)
            unique = uniquely(sequence)
            for name, port, path in (("oxigraph", oxi, "/query"), ("ours", ours, "/sparql")):
                s = load(port, path, unique, c)
                results.setdefault(("unique", c), {})[name] = s
                print(row("unique", name, c, s), flush=True)

            print("\nours / oxigraph:")
            for (scenario, c), pair in results.items():
                o, x = pair["ours"], pair["oxigraph"]
                print(
                    f"  {scenario:<9} c={c}: throughput {o.throughput / x.throughput:.2f}x, "
                    f"p99 {o.p99_ms:.1f} ms vs {x.p99_ms:.1f} ms"
                )
            top = results[("repeated", max(concurrencies))]
            print(
                f"\ntargets: repeated c={max(concurrencies)} throughput >= 0.8x: "
                f"{top['ours'].throughput / top['oxigraph'].throughput:.2f}x; p99 < 50 ms: "
                f"{top['ours'].p99_ms:.1f} ms; runaway p99 < 100 ms: "
                f"{results[('runaway', max(concurrencies))]['ours'].p99_ms:.1f} ms"
            )
        finally:
            stop_processes(ours_server.process, oxi_server.process)
    return 0


if __name__ == "__main__":
    sys.exit(main())
