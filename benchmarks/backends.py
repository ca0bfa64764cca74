"""Backend benchmark: the same query mix through this app on the embedded store and on an Oxigraph server.

Builds the graph into a temporary folder (or uses --build-dir), starts `oxigraph serve` on a free loopback port,
pushes the build with `kg load`, then serves the app twice, once per backend (`python server.py` with KG_STORE, or
the Flask app in this process with --in-process), and sends both the same requests: the home page, entity pages,
class pages, searches and SPARQL queries (SELECT, ASK, CONSTRUCT; a new text each round, so that they reach the
store rather than the endpoint's response cache). Prints the median and 95th-percentile latency of each kind of
request on each backend and the ratio oxigraph / embedded. The home page and search answer from tables the app reads
once, so they differ little; entity pages and SPARQL queries go to the store every time.

    python benchmarks/backends.py [--rounds 10] [--warmup 5] [--in-process] [--build-dir DIR]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import requests

from kg.testing import OxigraphServer, oxigraph_command, start_app_server

SPARQL = {
    "sparql: count by class": "SELECT ?class (COUNT(?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class ORDER BY DESC(?n)",
    "sparql: labels": "SELECT ?s ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label } LIMIT 500",
    "sparql: ask": "ASK { ?s a ?class }",
    "sparql: construct": "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 1000",
}
SEARCHES = ["金普", "GDP", "港", "enterprise"]


def entity_names(settings, limit: int = 12) -> list[str]:
    """Names of entities with a label (the pages a visitor opens), read from the build."""
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


def request_mix(settings) -> list[tuple[str, str, dict, dict]]:
    """(kind, path, params, headers) of one round."""
    mix = [("home page", "/", {}, {}), ("class index", "/class/", {}, {})]
    mix += [("entity page", f"/page/{name}", {}, {}) for name in entity_names(settings)]
    mix += [("search", "/search", {"q": q}, {}) for q in SEARCHES]
    json_results = {"Accept": "application/sparql-results+json, application/n-triples;q=0.9"}
    mix += [(kind, "/sparql", {"query": q}, json_results) for kind, q in SPARQL.items()]
    return mix


class ServerClient:
    """The app as a user meets it: `python server.py` on a free port, asked over HTTP."""

    def __init__(self, build_dir: Path, store: str, log: Path):
        self.server = start_app_server(build_dir, log, env={"KG_STORE": store}, build=True)
        self.base = self.server.url
        self.session = requests.Session()

    def get(self, path: str, params: dict, headers: dict) -> int:
        return self.session.get(self.base + path, params=params, headers=headers, timeout=60).status_code

    def close(self) -> None:
        self.server.stop()


class InProcessClient:
    """The Flask app in this process (no HTTP server in between)."""

    def __init__(self, settings):
        from kg.app import create_app

        self.app = create_app(settings)
        self.client = self.app.test_client()

    def get(self, path: str, params: dict, headers: dict) -> int:
        return self.client.get(path, query_string=params, headers=headers).status_code

    def close(self) -> None:
        store = self.app.extensions.get("kg_store")
        if store is not None:
            store.close()


def measure(client, mix, rounds: int, warmup: float) -> dict[str, list[float]]:
    # Warm-up: the server's processes start their query workers and read their tables in the background for a few
    # seconds; repeat the mix until they are done, so both backends are measured in their steady state.
    deadline = time.monotonic() + warmup
    while True:
        for _, path, params, headers in mix:
            client.get(path, params, headers)
        if time.monotonic() > deadline:
            break
    times: dict[str, list[float]] = defaultdict(list)
    for n in range(rounds):
        for kind, path, params, headers in mix:
            if "query" in params:  # a new text each round: measure the store, not the endpoint's response cache
                params = {**params, "query": params["query"] + f"\n# round {n}"}
            t = time.perf_counter()
            status = client.get(path, params, headers)
            times[kind].append(time.perf_counter() - t)
            if status != 200:
                raise SystemExit(f"{path} {params} answered {status}")
    return times


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="rounds of the whole mix per backend (default 10)")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of warm-up per backend (default 5)")
    parser.add_argument("--in-process", action="store_true", help="call the Flask app in this process, not over HTTP")
    parser.add_argument("--build-dir", type=Path, help="use this build instead of building into a temporary folder")
    args = parser.parse_args()
    if oxigraph_command() is None:
        raise SystemExit("the `oxigraph` command is needed: pip install oxigraph")

    from kg.build import build, is_stale
    from kg.config import load_settings
    from kg.store.loader import load

    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(build_dir=args.build_dir or Path(tmp) / "build")
        if is_stale(settings):
            print(f"building into {settings.build_dir} ...", file=sys.stderr)
            build(settings)
        # at the app's CPU priority (the tests' store servers run at a lower one): both backends are measured alike
        server = OxigraphServer(Path(tmp) / "oxigraph", niceness=0).start()
        try:
            remote = server.settings(settings)
            report = load(remote)
            print(
                f"loaded {sum(report.graphs.values())} triples into Oxigraph in {report.seconds:.2f}s", file=sys.stderr
            )
            mix = request_mix(settings)
            results = {}
            for backend, backend_settings in (("embedded", settings), ("oxigraph", remote)):
                if args.in_process:
                    client = InProcessClient(backend_settings)
                else:
                    log = Path(tmp) / f"server-{backend}.log"
                    client = ServerClient(settings.build_dir, backend_settings.store, log)
                try:
                    results[backend] = measure(client, mix, args.rounds, args.warmup)
                finally:
                    client.close()
        finally:
            server.stop()

    how = "in process" if args.in_process else "over HTTP (python server.py)"
    print(f"{len(mix)} requests per round, {args.rounds} rounds, {how}; milliseconds")
    print(f"{'request':26}{'embedded p50':>13}{'p95':>8}{'oxigraph p50':>14}{'p95':>8}{'ratio p50':>11}")
    for kind in results["embedded"]:
        e, o = results["embedded"][kind], results["oxigraph"][kind]
        em, om = statistics.median(e) * 1000, statistics.median(o) * 1000
        print(f"{kind:26}{em:>13.1f}{p95(e) * 1000:>8.1f}{om:>14.1f}{p95(o) * 1000:>8.1f}{om / em:>10.2f}x")
    total_e = sum(sum(v) for v in results["embedded"].values())
    total_o = sum(sum(v) for v in results["oxigraph"].values())
    print(f"{'whole mix (total time)':26}{total_e:>12.2f}s{'':>8}{total_o:>13.2f}s{'':>8}{total_o / total_e:>10.2f}x")


if __name__ == "__main__":
    main()
