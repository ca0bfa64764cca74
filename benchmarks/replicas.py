"""Replica benchmark: throughput of a query and page mix through HAProxy in front of 1, 2 and 3 replicas.

Builds the graph into a temporary folder (or uses --build-dir), then for each replica count starts a deployment
(kg.deploy: `python server.py` replicas of one server process and one query worker each, HAProxy on a configuration
rendered from deploy/haproxy.cfg.template), warms it up and sends the same bounded mix from `--concurrency` client
threads: SPARQL queries (a new text each time, so that they reach the store rather than a response cache), entity
pages, the home page and searches. Prints, side by side, requests per second, the speed-up over one replica, latency
percentiles, and the CPU seconds the replicas used (read from /proc), so that the figure per core is measured rather
than assumed. The load generator and the balancer run on the same machine and take their share of its cores. The
counts are measured in turn, `--rounds` times over (1, 2, 3, 1, 2, 3 ...), and the median round of each is printed,
so that a change in the machine's other load does not fall on one count alone.

    python benchmarks/replicas.py [--replicas 1 2 3] [--rounds 3] [--requests 1500] [--concurrency 8] [--build-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from kg.testing import Call, free_port, run_load

ROOT = Path(__file__).resolve().parents[1]

QUERIES = ROOT / "benchmarks" / "queries"
JSON_RESULTS = {"Accept": "application/sparql-results+json"}
SEARCHES = ["金普", "GDP", "港", "enterprise"]


def entity_names(settings, limit: int = 12) -> list[str]:
    import pyoxigraph as ox

    store = ox.Store()
    store.bulk_load(path=str(settings.build_dir / "dataset.nq"), format=ox.RdfFormat.N_QUADS)
    query = (
        "SELECT DISTINCT ?s WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l "
        f'FILTER(STRSTARTS(STR(?s), "{settings.id_ns}")) }} ORDER BY ?s'
    )
    names = [sol["s"].value[len(settings.id_ns) :] for sol in store.query(query, use_default_graph_as_union=True)]
    step = max(1, len(names) // limit)
    return [n for n in names[::step] if "#" not in n][:limit]


def request_mix(settings, count: int) -> list[Call]:
    """`count` calls: per round of 10, four SPARQL queries and six pages."""
    names = entity_names(settings)
    iri = f"<{settings.id_ns}{names[0]}>"
    texts = {
        "figures": (QUERIES / "figures.rq").read_text(),
        "class counts": (QUERIES / "class_counts.rq").read_text(),
        "labels": (QUERIES / "labels.rq").read_text().replace("$entity", iri),
        "ask": (QUERIES / "ask.rq").read_text(),
    }
    calls = []
    for n in range(count):
        kind = n % 10
        if kind < 4:
            name, text = list(texts.items())[kind]
            calls.append(
                Call(
                    f"sparql: {name}",
                    "GET",
                    "/sparql",
                    {"params": {"query": f"{text}\n# {n}"}, "headers": JSON_RESULTS},
                )
            )
        elif kind < 8:
            calls.append(Call("entity page", "GET", f"/page/{names[n % len(names)]}"))
        elif kind == 8:
            calls.append(Call("home page", "GET", "/"))
        else:
            calls.append(Call("search", "GET", "/search", {"params": {"q": SEARCHES[n % len(SEARCHES)]}}))
    return calls


def group_cpu_seconds(pgids: set[int]) -> float:
    """User + system CPU seconds of every live process in these process groups (the replicas and their workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) in pgids:  # fields after the name: state ppid pgrp ... utime(12) stime(13)
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(settings, replicas: int, requests: int, concurrency: int, warmup: int, folder: Path) -> dict:
    from kg.deploy import Deployment

    env = {"KG_BUILD_DIR": str(settings.build_dir), "KG_WORKERS": "1"}
    deployment = Deployment(
        folder / f"replicas-{replicas}", replicas, port=free_port(), env=env, flags=["--processes", "1"]
    ).start()
    try:
        mix = request_mix(settings, warmup + requests)
        bad = run_load(deployment.url, mix[:warmup], concurrency=concurrency, max_requests=warmup, max_seconds=300)
        pgids = {r.process.pid for r in deployment.replicas}
        cpu_before, own_before, started = (
            group_cpu_seconds(pgids),
            resource.getrusage(resource.RUSAGE_SELF),
            time.monotonic(),
        )
        outcomes = run_load(
            deployment.url, mix[warmup:], concurrency=concurrency, max_requests=requests, max_seconds=600
        )
        elapsed = time.monotonic() - started
        own = resource.getrusage(resource.RUSAGE_SELF)
        replica_cpu = group_cpu_seconds(pgids) - cpu_before
    finally:
        deployment.stop()
    failed = [o for o in bad + outcomes if o.failed or o.status != 200]
    if failed:
        raise SystemExit(
            f"{len(failed)} requests failed, e.g. {failed[0].call.path}: {failed[0].status} {failed[0].error or ''}"
        )
    latencies = [o.ended - o.started for o in outcomes]
    return {
        "replicas": replicas,
        "requests": len(outcomes),
        "seconds": elapsed,
        "rps": len(outcomes) / elapsed,
        "p50": statistics.median(latencies),
        "p99": percentile(latencies, 0.99),
        "replica_cpu": replica_cpu,
        "client_cpu": (own.ru_utime + own.ru_stime) - (own_before.ru_utime + own_before.ru_stime),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2, 3], help="replica counts (default 1 2 3)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over the replica counts (default 3)")
    parser.add_argument("--requests", type=int, default=1500, help="measured requests per count (default 1500)")
    parser.add_argument("--warmup", type=int, default=300, help="requests before measuring (default 300)")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads (default 8)")
    parser.add_argument("--build-dir", type=Path, help="use this build instead of building into a temporary folder")
    args = parser.parse_args()

    from kg.artifacts import is_stale
    from kg.config import load_settings
    from kg.deploy import haproxy_command

    if haproxy_command() is None:
        raise SystemExit("haproxy is needed (Debian: apt-get install haproxy)")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(build_dir=args.build_dir or Path(tmp) / "build")
        if is_stale(settings):
            from kg.build import build

            print(f"building into {settings.build_dir} ...", file=sys.stderr)
            build(settings)
        runs: dict[int, list[dict]] = {n: [] for n in args.replicas}
        for round_ in range(1, args.rounds + 1):
            for n in args.replicas:
                print(
                    f"round {round_}, {n} replica(s): {args.requests} requests from {args.concurrency} threads ...",
                    file=sys.stderr,
                )
                runs[n].append(
                    measure(settings, n, args.requests, args.concurrency, args.warmup, Path(tmp) / f"round-{round_}")
                )
    rows = [sorted(results, key=lambda row: row["rps"])[len(results) // 2] for results in runs.values()]
    base = rows[0]["rps"]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"{cores} cores (load average {load:.1f} at the end); mix: 4 SPARQL queries (new text each time) and 6 "
        f"pages per 10 requests; {args.concurrency} client threads; 1 server process and 1 query worker per "
        f"replica; median of {args.rounds} rounds"
    )
    header = (
        f"{'replicas':>8} {'req/s':>8} {'speed-up':>8} {'p50 ms':>7} {'p99 ms':>7} {'replica CPU s':>13} "
        f"{'req per CPU s':>13} {'client CPU s':>12} {'req/s per core used':>19}"
    )
    print(header)
    for row in rows:
        used = min(row["replicas"], cores)
        print(
            f"{row['replicas']:>8} {row['rps']:>8.1f} {row['rps'] / base:>7.2f}x {row['p50'] * 1000:>7.1f} "
            f"{row['p99'] * 1000:>7.1f} {row['replica_cpu']:>13.1f} {row['requests'] / row['replica_cpu']:>13.1f} "
            f"{row['client_cpu']:>12.1f} {row['rps'] / used:>19.1f}"
        )


if __name__ == "__main__":
    main()
