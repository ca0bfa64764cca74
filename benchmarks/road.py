"""The road of a never-seen query, stage by stage: where the time of one /sparql request goes.

Runs the benchmark mix of benchmarks/endpoint.py with every query text new through the app's own code in this
process, timing each stage the server goes through: reading the HTTP request (kg.sparql.protocol), the policy
(parsing the query, the dataset it may see), the hand-off to a query worker process and back, the engine (the
embedded store's executor), writing the result (kg.sparql.results), and making the response (the Answer and its
body). Beside them: the in-process pyoxigraph ceiling (query and serialization only) and the whole request over HTTP
to a live `python server.py` at one client, measured in the same run.

    python benchmarks/road.py [--requests 500] [--build-dir DIR]

The stages are medians over the mix; their sum is not the HTTP median (the HTTP front end, the event loop and the
network are not stages here). Figures and ratios are printed, never asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import uvloop
from endpoint import distinct_requests, load, mix, sample_parameters, start_ours, stop_processes
from unique_queries import in_process, numbered
from werkzeug.test import EnvironBuilder

from kg.testing import built_settings

STAGES = ("http request", "policy", "engine", "result writing", "hand-off (worker round trip)", "response")


async def profile(settings, requests) -> dict[str, list[float]]:
    """Seconds per stage for each request, through the app's functions in this process (the hand-off awaited on an
    event loop, as the server's front end awaits it)."""
    from kg.sparql import policy
    from kg.sparql.endpoint import _query_answer
    from kg.sparql.jobs import Job
    from kg.sparql.protocol import read_request
    from kg.sparql.results import kind_of, negotiate, render
    from kg.sparql.service import SparqlService
    from kg.store import open_store

    store = open_store(settings)
    service = SparqlService(settings, store)
    service.start()
    executor = store.worker_factory()()
    times: dict[str, list[float]] = defaultdict(list)

    def timed(stage: str, call, *args, **kwargs):
        t = time.perf_counter()
        out = call(*args, **kwargs)
        times[stage].append(time.perf_counter() - t)
        return out

    try:
        for r in requests:
            environ = EnvironBuilder(path="/sparql", query_string={"query": r.query}, headers={"Accept": r.accept})
            req = timed("http request", read_request, environ.get_environ(), settings)
            plan = negotiate(req.accept, req.formats)
            check = timed("policy", policy.check_query, r.query)
            dataset = policy.resolve_dataset(check, settings, (), ())
            result = timed(
                "engine",
                executor.execute,
                r.query,
                default_graphs=dataset.default_graphs,
                named_graphs=dataset.named_graphs,
                timeout=settings.timeout,
            )
            timed("result writing", render, result, plan[kind_of(result)], settings.max_rows, service.prefixes)
            job = Job(r.query, (), (), plan, settings.max_rows, settings.timeout)
            t = time.perf_counter()
            reply = await service.pool.run(job, settings.timeout)
            times["hand-off (worker round trip)"].append(time.perf_counter() - t - reply.seconds)
            answer = timed("response", _query_answer, service, req, plan, reply)
            b"".join(answer.wsgi(lambda status, headers: None, None, None))
    finally:
        service.close()
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=500, help="requests per measurement (default 500)")
    parser.add_argument("--build-dir", type=Path, help="a build to serve (default: the project's, built if stale)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    settings = built_settings(args.build_dir)
    dataset = settings.build_dir / "dataset.nq"
    sequence = mix(distinct_requests(sample_parameters(dataset, args.seed)), args.requests, args.seed)
    times = uvloop.run(profile(settings, numbered(sequence, "stages")))
    ceiling = in_process(dataset, numbered(sequence, "ceiling"))
    with tempfile.TemporaryDirectory(prefix="kg-bench-") as tmp:
        server = start_ours(settings.build_dir, Path(tmp) / "server.log")
        try:
            load(server.port, "/sparql", numbered(sequence[:50], "warm-up"), 1)
            http = load(server.port, "/sparql", numbered(sequence, "http"), 1)
        finally:
            stop_processes(server.process)
    engine = statistics.median(times["engine"]) * 1000
    print(f"{len(sequence)} never-seen queries; medians in ms, and as a multiple of the engine's own median\n")
    print(f"{'stage':<32} {'p50 ms':>8} {'x engine':>9}")
    for stage in STAGES:
        p50 = statistics.median(times[stage]) * 1000
        print(f"{stage:<32} {p50:>8.3f} {p50 / engine:>9.2f}")
    print(f"{'pyoxigraph in-process ceiling':<32} {ceiling.p50_ms:>8.3f} {ceiling.p50_ms / engine:>9.2f}")
    print(f"{'whole request over HTTP, c=1':<32} {http.p50_ms:>8.3f} {http.p50_ms / engine:>9.2f}")
    print(
        f"\nthroughput at c=1: {http.throughput:.0f} req/s, {http.throughput / ceiling.throughput:.2f} of the "
        f"in-process ceiling ({ceiling.throughput:.0f} queries/s); aim: 0.45 or more, p50 at most 1.0 ms on a machine "
        "where the ceiling's p50 is 0.10 ms (the same multiple elsewhere)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
