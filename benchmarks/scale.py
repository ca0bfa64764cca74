"""Growth benchmark: the pipeline on 1x, 10x, 100x ... the report's data, phase by phase.

For each size N it writes a project root in a temporary folder (the ontology, shapes and source text as they are;
data/ holds the report's data files once as they are plus N-1 copies with new IRIs, `id/NAME` -> `id/NAME-cK`),
builds it in a fresh process, loads the build into the embedded store, into an Oxigraph server and into Virtuoso
(when `virtuoso-t` is installed), then serves it (`python server.py`, embedded store) and times a query mix and the
entity pages. Controlled terms stay shared by every copy, so the build validates: the ontology's own terms, and the
report, its figure dataset and structure, the indicator groups and the units (the data's vocabularies).

Prints for each size: triples, build time by phase and peak memory, load times, p50/p99 of the query mix
(benchmarks/queries/*.rq, every text new so that no cache answers) and of entity pages, and each figure's growth
against the 1x one (per copy of the data: 1.0 is linear).

    python benchmarks/scale.py [--sizes 1,10,100] [--requests 300] [--pages 200] [--no-servers]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import endpoint
import pyoxigraph as ox
import requests

from kg.config import DEFAULT_BASE_IRI
from kg.testing import OxigraphServer, oxigraph_command, start_app_server
from kg.testing.virtuoso import VirtuosoServer, virtuoso_command

ROOT = Path(__file__).resolve().parents[1]

ID = DEFAULT_BASE_IRI + "id/"
DEF = DEFAULT_BASE_IRI + "def#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
PROV_DERIVED = "http://www.w3.org/ns/prov#wasDerivedFrom"
EXACT = DEF + "exact"
# Queries of the mix that read the whole dataset (counts, per-group figures, label search): linear in the data.
WHOLE = {"class_counts", "figures", "figures_per_group", "search", "quotes"}
# Instances of these classes are the data's controlled vocabularies: one set, shared by every copy.
SHARED_CLASSES = {
    DEF + "Report",
    DEF + "IndicatorGroup",
    DEF + "Unit",
    "http://purl.org/linked-data/cube#DataSet",
    "http://purl.org/linked-data/cube#DataStructureDefinition",
}

BUILD = """
import json, resource, sys, time
from kg.config import load_settings
from kg.build import build
t = time.perf_counter()
r = build(load_settings())
wall = time.perf_counter() - t
print(json.dumps({"wall": wall, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "asserted": len(r.asserted) if hasattr(r, "asserted") else len(r.data),
                  "inferred": len(r.inferred), "timings": r.timings}))
"""

EMBEDDED = """
import json, resource, time
from kg.config import load_settings
from kg.store.embedded import EmbeddedStore
t = time.perf_counter()
store = EmbeddedStore(load_settings())
store.ask("ASK { ?s ?p ?o }")
print(json.dumps({"wall": time.perf_counter() - t,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


# --- synthetic data ---


def read_data(root: Path) -> tuple[list[tuple], set[str], set[str]]:
    """The report's data triples (pyoxigraph terms), the shared IRIs, and the blank nodes only shared IRIs reach."""
    triples = []
    for path in sorted((root / "data").rglob("*.ttl")):
        with open(path, "rb") as f:
            for t in ox.parse(f, format=ox.RdfFormat.TURTLE, base_iri=DEFAULT_BASE_IRI):
                triples.append((t.subject, t.predicate, t.object))
    shared = {s.value for s, p, o in triples if p.value == RDF_TYPE and o.value in SHARED_CLASSES}
    reached: set[str] = set()
    frontier = {
        o.value
        for s, p, o in triples
        if isinstance(s, ox.NamedNode) and s.value in shared and isinstance(o, ox.BlankNode)
    }
    while frontier:
        reached |= frontier
        frontier = {
            o.value
            for s, p, o in triples
            if isinstance(s, ox.BlankNode) and s.value in frontier and isinstance(o, ox.BlankNode)
        } - reached
    return triples, shared, reached


def _renamed(term, k: int, shared: set[str]) -> str:
    if isinstance(term, ox.NamedNode):
        value = term.value
        if value.startswith(ID):
            name, hash_, rest = value[len(ID) :].partition("#")
            if ID + name not in shared:
                return f"<{ID}{name}-c{k}{hash_}{rest}>"
        return str(term)
    if isinstance(term, ox.BlankNode):
        return f"_:c{k}x{term.value}"
    return str(term)


def protected_strings(triples: list[tuple]) -> dict[str, set[str]]:
    """For each passage, the strings the build looks for in its quote (each figure's value and unit as written)."""
    derived: dict[str, set[str]] = {}
    written: dict[str, set[str]] = {}
    for s, p, o in triples:
        if p.value == PROV_DERIVED and isinstance(o, ox.NamedNode):
            derived.setdefault(s.value, set()).add(o.value)
        elif p.value in (DEF + "valueAsWritten", DEF + "unitAsWritten") and isinstance(o, ox.Literal):
            written.setdefault(s.value, set()).add(o.value)
    out: dict[str, set[str]] = {}
    for figure, passages in derived.items():
        for passage in passages:
            out.setdefault(passage, set()).update(written.get(figure, ()))
    return out


def _occurrences(text: str, part: str) -> list[int]:
    found, start = [], text.find(part)
    while start >= 0:
        found.append(start)
        start = text.find(part, start + 1)
    return found


def marked(quote: str, tag: str, protected: set[str], originals: list[str]) -> str:
    """The quote with the marker 〔tag〕 inserted so that it splits every occurrence of an original quote (this one
    included: quotes may contain one another) and none of the protected strings. The result still contains
    everything the build checks for, occurs once in the synthetic source (the tag is the copy's and the passage's),
    and contains no original quote."""
    cuts = {i for text in protected for start in _occurrences(quote, text) for i in range(start + 1, start + len(text))}
    spans = sorted(
        ((start, start + len(q)) for q in originals for start in _occurrences(quote, q)), key=lambda span: span[1]
    )
    at: list[int] = []
    for start, end in spans:
        if at and start < at[-1] < end:
            continue
        free = [i for i in range(end - 1, start, -1) if i not in cuts]
        at.append(free[0] if free else start + 1)
    out, last = [], 0
    for i in sorted(set(at)):
        out += [quote[last:i], f"〔{tag}〕"]
        last = i
    return "".join(out) + quote[last:]


def make_root(size: int, workdir: Path) -> Path:
    """A project root with the report's data and size-1 renamed copies of it. Each copy's passages quote a marked
    copy of their sentence, appended to the source text, so that every quote still occurs exactly once."""
    root = workdir / f"root-{size}x"
    if root.exists():
        shutil.rmtree(root)
    for folder in ("ontology", "shapes"):
        shutil.copytree(ROOT / folder, root / folder)
    shutil.copytree(ROOT / "data", root / "data")
    triples, shared, shared_bnodes = read_data(ROOT)
    copied = [
        t
        for t in triples
        if not (isinstance(t[0], ox.NamedNode) and t[0].value in shared)
        and not (isinstance(t[0], ox.BlankNode) and t[0].value in shared_bnodes)
    ]
    protected = protected_strings(triples)
    quotes = sorted({o.value for _, p, o in triples if p.value == EXACT and isinstance(o, ox.Literal)})
    number = {q: i for i, q in enumerate(quotes)}
    copies = root / "data" / "copies"
    copies.mkdir()
    source = next((root / "data" / "source").glob("*.txt"))
    appendix = []
    for k in range(1, size):
        lines = []
        for s, p, o in copied:
            if p.value == EXACT and isinstance(o, ox.Literal):
                quote = marked(o.value, f"{k}.{number[o.value]}", protected.get(s.value, set()), quotes)
                appendix.append(quote)
                o = ox.Literal(quote, language=o.language) if o.language else ox.Literal(quote, datatype=o.datatype)
            lines.append(f"{_renamed(s, k, shared)} {p} {_renamed(o, k, shared)} .\n")
        (copies / f"copy-{k:04d}.ttl").write_text("".join(lines), encoding="utf-8")
    if appendix:
        with open(source, "a", encoding="utf-8") as f:
            f.write("\n\n" + "\n".join(appendix) + "\n")
    return root


# --- timing helpers ---


def run_json(code: str, env: dict) -> dict:
    done = subprocess.run([sys.executable, "-c", code], check=False, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return p50 * 1000, p99 * 1000


def load_oxigraph(env: dict, workdir: Path) -> float | None:
    if oxigraph_command() is None:
        return None
    workdir.mkdir(parents=True, exist_ok=True)
    server = OxigraphServer(workdir / "oxigraph-db")
    server.start()
    try:
        return _timed_load(env, server.query_url, {})
    finally:
        server.stop()


def load_virtuoso(env: dict, workdir: Path) -> float | None:
    if virtuoso_command() is None:
        return None
    folder = workdir / "virtuoso"
    # Its limit covers updates too: the switch grows with the data. Its page cache (250,000 pages of 8 KB) lies
    # between the sizes its own ini suggests for 2 and 4 GB of free memory; its default (10,000) is for small data.
    server = VirtuosoServer(folder, timeout_s=3600, buffers=250_000)
    server.start()
    try:
        return _timed_load(env, server.query_url, {"KG_STORE_USER": server.user, "KG_STORE_PASSWORD": server.password})
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _timed_load(env: dict, url: str, extra: dict) -> float | None:
    t = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "kg.cli", "load", "--store", url, "--json"],
        check=False,
        env={**env, **extra},
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - t
    if done.returncode != 0:
        print(f"kg load into {url} failed: {done.stderr[-2000:]}", file=sys.stderr)
        return None
    steps = json.loads(done.stdout)["steps_s"]
    print(f"  kg load into {url}: {seconds:.1f} s, steps {steps}", file=sys.stderr, flush=True)
    return seconds


def serve_and_time(env: dict, build_dir: Path, workdir: Path, n_requests: int, n_pages: int, seed: int) -> dict:
    server = start_app_server(build_dir, workdir / f"server-{build_dir.name}.log", env=env, timeout=600)
    port = server.port
    try:
        entities = endpoint.sample_parameters(build_dir / "dataset.nq", seed)
        mix = endpoint.uniquely(endpoint.mix(endpoint.distinct_requests(entities), n_requests, seed))
        endpoint.load(port, "/sparql", mix[: max(10, n_requests // 10)], 1)  # warm-up
        stats = endpoint.load(port, "/sparql", endpoint.uniquely(mix), 1)
        # the same requests by kind: lookups of one entity (indexed) and whole-dataset aggregates and searches,
        # whose work, and answer, grow with the data by their nature
        by_kind = {
            kind: endpoint.load(port, "/sparql", endpoint.uniquely([r for r in mix if (r.name in WHOLE) == whole]), 1)
            for kind, whole in (("lookup", False), ("whole", True))
        }
        names = [e.rsplit("/", 1)[-1] for e in _page_entities(build_dir / "dataset.nq", n_pages, seed)]
        session = requests.Session()
        base = f"http://127.0.0.1:{port}"
        for name in names[:10]:
            session.get(f"{base}/page/{name}", timeout=60)
        times, failed = [], 0
        for name in names:
            t = time.perf_counter()
            r = session.get(f"{base}/page/{name}", timeout=60)
            times.append(time.perf_counter() - t)
            failed += r.status_code != 200
        q50, q99 = stats.p50_ms, stats.p99_ms
        p50, p99 = percentiles(times)
        return {
            "query_p50_ms": q50,
            "query_p99_ms": q99,
            "query_errors": stats.errors,
            **{f"{kind}_p{q}_ms": getattr(st, f"p{q}_ms") for kind, st in by_kind.items() for q in (50, 99)},
            "page_p50_ms": p50,
            "page_p99_ms": p99,
            "page_errors": failed,
        }
    finally:
        server.stop()


def _page_entities(dataset: Path, n: int, seed: int) -> list[str]:
    store = ox.Store()
    store.bulk_load(dataset.read_bytes(), ox.RdfFormat.N_QUADS)
    rows = store.query(
        "SELECT DISTINCT ?s WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l "
        f'FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{ID}") && !CONTAINS(STR(?s), "#")) }} '
        "ORDER BY ?s",
        use_default_graph_as_union=True,
    )
    entities = [row["s"].value for row in rows]
    random.Random(seed).shuffle(entities)
    return entities[:n]


# --- the run ---


def measure(size: int, workdir: Path, args) -> dict:
    t = time.perf_counter()
    root = make_root(size, workdir)
    generate = time.perf_counter() - t
    build_dir = workdir / f"build-{size}x"
    env = dict(
        os.environ,
        KG_ROOT=str(root),
        KG_BUILD_DIR=str(build_dir),
        PYTHONPATH=str(ROOT / "src"),  # the builds and loads run this checkout's code, as server.py does
    )
    env.pop("KG_STORE", None)
    built = run_json(BUILD, env)
    out = {
        "size": size,
        "generate_s": generate,
        "build_s": built["wall"],
        "build_rss_mb": built["rss_mb"],
        "phases": built["timings"],
        "asserted": built["asserted"],
        "inferred": built["inferred"],
    }
    embedded = run_json(EMBEDDED, env)
    out["load_embedded_s"], out["embedded_rss_mb"] = embedded["wall"], embedded["rss_mb"]
    if not args.no_servers:
        out["load_oxigraph_s"] = load_oxigraph(env, workdir / f"ox-{size}x")
        out["load_virtuoso_s"] = load_virtuoso(env, workdir / f"virt-{size}x")
    out.update(serve_and_time(env, build_dir, workdir, args.requests, args.pages, args.seed))
    shutil.rmtree(root, ignore_errors=True)
    return out


def fmt(value, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}{unit}" if value < 100 else f"{value:.0f}{unit}"
    return f"{value}{unit}"


def report(results: list[dict]) -> None:
    phases = sorted(
        {k for r in results for k in r["phases"]},
        key=["load", "validate", "infer", "write"].index
        if all(k in ("load", "validate", "infer", "write") for r in results for k in r["phases"])
        else str,
    )
    # "copy": growth per copy of the data (1.0 = linear); "ratio": the last size's figure over the first's.
    rows = [
        ("asserted triples", "asserted", "copy"),
        ("inferred triples", "inferred", "copy"),
        ("build (s)", "build_s", "copy"),
    ]
    rows += [(f"  {p} (s)", ("phases", p), "copy") for p in phases]
    rows += [
        ("build peak RSS (MB)", "build_rss_mb", "copy"),
        ("load embedded (s)", "load_embedded_s", "copy"),
        ("embedded RSS (MB)", "embedded_rss_mb", "copy"),
        ("load Oxigraph (s)", "load_oxigraph_s", "copy"),
        ("load Virtuoso (s)", "load_virtuoso_s", "copy"),
        ("query mix p50 (ms)", "query_p50_ms", "ratio"),
        ("query mix p99 (ms)", "query_p99_ms", "ratio"),
        ("  lookups p50 (ms)", "lookup_p50_ms", "ratio"),
        ("  lookups p99 (ms)", "lookup_p99_ms", "ratio"),
        ("  whole-data p50 (ms)", "whole_p50_ms", "ratio"),
        ("  whole-data p99 (ms)", "whole_p99_ms", "ratio"),
        ("entity page p50 (ms)", "page_p50_ms", "ratio"),
        ("entity page p99 (ms)", "page_p99_ms", "ratio"),
        ("failed requests", None, ""),
    ]

    def get(r, key):
        if key is None:
            return r["query_errors"] + r["page_errors"]
        if isinstance(key, tuple):
            return r[key[0]].get(key[1])
        return r.get(key)

    base = results[0]
    head = f"{'':<24}" + "".join(f"{str(r['size']) + 'x':>12}" for r in results)
    if len(results) > 1:
        head += "   last/first: per copy (1.0 = linear) | as is (x)"
    print(head)
    for label, key, kind in rows:
        line = f"{label:<24}" + "".join(f"{fmt(get(r, key)):>12}" for r in results)
        last = results[-1]
        first_value, last_value = get(base, key), get(last, key)
        if len(results) > 1 and kind and first_value and last_value:
            if kind == "copy":
                line += f"   {last_value / first_value / (last['size'] / base['size']):.2f} per copy"
            else:
                line += f"   {last_value / first_value:.2f}x"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10,100", help="copies of the report's data, comma-separated")
    parser.add_argument("--requests", type=int, default=300, help="queries of the mix per size")
    parser.add_argument("--pages", type=int, default=200, help="entity pages per size")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--no-servers", action="store_true", help="skip loading into Oxigraph and Virtuoso")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    results = []
    with tempfile.TemporaryDirectory(prefix="kg-scale-") as tmp:
        for size in sizes:
            started = time.perf_counter()
            results.append(measure(size, Path(tmp), args))
            print(
                f"[{size}x measured in {time.perf_counter() - started:.0f} s] {json.dumps(results[-1])}",
                file=sys.stderr,
                flush=True,
            )
    report(results)
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
