"""Never-seen query texts: the query path itself, with no response cache to help, against an Oxigraph server.

Starts `python server.py` and an Oxigraph server (`oxigraph serve-read-only --union-default-graph`) on the same
build and sends both the realistic mix of benchmarks/endpoint.py with every query text new (a comment with a
counter) at concurrency 1 and 8; then runs the same queries in this process on a pyoxigraph store (query and result
serialization, no HTTP), the ceiling any server in Python can approach. Also sends the mix once more with repeated
texts (the cached path) so that a change to the query path shows whether cached answers kept their speed.

    python benchmarks/unique_queries.py [--requests 2000] [--build-dir DIR]

Targets: at least 2x an Oxigraph server's throughput at c=8 and 1.5x at c=1; p50 at c=1 under 1 ms.
The figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox
from endpoint import (
    JSON,
    Request,
    Stats,
    distinct_requests,
    load,
    mix,
    row,
    sample_parameters,
    start_ours,
    start_oxigraph,
    stop_processes,
)

from kg.testing import built_settings


def numbered(requests: list[Request], tag: str) -> list[Request]:
    return [Request(r.name, f"# {tag} {i}\n{r.query}", r.accept) for i, r in enumerate(requests)]


def in_process(dataset: Path, requests: list[Request]) -> Stats:
    """The same queries on a pyoxigraph store in this process, results serialized as the servers would send them."""
    store = ox.Store()
    store.bulk_load(dataset.read_bytes(), ox.RdfFormat.N_QUADS)
    latencies = []
    started = time.perf_counter()
    for r in requests:
        t = time.perf_counter()
        result = store.query(r.query, use_default_graph_as_union=True)
        if isinstance(result, ox.QueryTriples):
            result.serialize(format=ox.RdfFormat.TURTLE)
        elif r.accept == JSON:
            result.serialize(format=ox.QueryResultsFormat.JSON) if not isinstance(result, bool) else None
        latencies.append(time.perf_counter() - t)
    seconds = time.perf_counter() - started
    latencies.sort()
    return Stats(
        len(latencies),
        seconds,
        1000 * latencies[len(latencies) // 2],
        1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        0,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per measurement (default 2000)")
    parser.add_argument("--build-dir", type=Path, help="a build to serve (default: the project's, built if stale)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    settings = built_settings(args.build_dir)
    dataset = settings.build_dir / "dataset.nq"
    distinct = distinct_requests(sample_parameters(dataset, args.seed))
    sequence = mix(distinct, args.requests, args.seed)
    results: dict[tuple[str, int], dict[str, Stats]] = {}
    print(f"{len(sequence)} requests of a mix of {len(distinct)} queries; {os.cpu_count()} CPUs")
    print(
        f"\n{'scenario':<10} {'server':<10} {'conc':>4} {'requests':>8} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'errors':>6}"
    )
    with tempfile.TemporaryDirectory(prefix="kg-bench-") as tmp:
        work = Path(tmp)
        ours_server = start_ours(settings.build_dir, work / "server.log")
        oxi_server = start_oxigraph(settings.build_dir, work, settings.timeout)
        ours, oxi = ours_server.port, oxi_server.port
        try:
            for port, path in ((oxi, "/query"), (ours, "/sparql")):
                load(port, path, numbered(distinct, "warm-up"), 4)
            for c in (1, 8):
                for name, port, path in (("oxigraph", oxi, "/query"), ("ours", ours, "/sparql")):
                    s = load(port, path, numbered(sequence, f"c{c}"), c)
                    results.setdefault(("unique", c), {})[name] = s
                    print(row("unique", name, c, s), flush=True)
            s = in_process(dataset, numbered(sequence, "in-process"))
            results[("unique", 1)]["pyoxigraph"] = s
            print(row("unique", "pyoxigraph", 1, s) + "   (in this process, no HTTP: the ceiling)", flush=True)
            for c in (1, 8):
                load(ours, "/sparql", distinct, 4)
                s = load(ours, "/sparql", sequence, c)
                results.setdefault(("cached", c), {})["ours"] = s
                print(row("cached", "ours", c, s), flush=True)
        finally:
            stop_processes(ours_server.process, oxi_server.process)
    print("\nours / oxigraph, never-seen texts:")
    for c in (1, 8):
        o, x = results[("unique", c)]["ours"], results[("unique", c)]["oxigraph"]
        print(
            f"  c={c}: throughput {o.throughput / x.throughput:.2f}x, p50 {o.p50_ms:.2f} ms vs {x.p50_ms:.2f} ms, "
            f"p99 {o.p99_ms:.1f} ms vs {x.p99_ms:.1f} ms"
        )
    ceiling = results[("unique", 1)]["pyoxigraph"]
    o1 = results[("unique", 1)]["ours"]
    print(
        f"  in-process pyoxigraph: {ceiling.throughput:.0f} queries/s, p50 {ceiling.p50_ms:.3f} ms "
        f"(ours at c=1 is {o1.throughput / ceiling.throughput:.2f}x of it)"
    )
    u1, u8 = results[("unique", 1)], results[("unique", 8)]
    print(
        f"\ntargets: c=8 >= 2x: {u8['ours'].throughput / u8['oxigraph'].throughput:.2f}x; c=1 >= 1.5x: "
        f"{u1['ours'].throughput / u1['oxigraph'].throughput:.2f}x; p50 at c=1 < 1 ms: {u1['ours'].p50_ms:.2f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
