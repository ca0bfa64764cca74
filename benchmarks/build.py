"""Build benchmark: `kg build` end to end, beside a naive OWL 2 RL closure of the same graph as the peer.

Prints wall time, peak memory and triple counts of each, and the ratios. Target: a full build under 10 s on a
2-core machine. Each run is a fresh process so import and parse costs are counted, as a user sees them.

    python benchmarks/build.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

OURS = """
import json, resource, sys, time
from kg.config import load_settings
from kg.build import build
t = time.perf_counter()
r = build(load_settings())
wall = time.perf_counter() - t
print(json.dumps({"wall": wall, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "inferred": len(r.inferred), "asserted": len(r.asserted), "timings": r.timings}))
"""

# The peer: what a straightforward pipeline does: validate the same data, then run owlrl over everything.
NAIVE = """
import json, resource, time
import owlrl
from rdflib import Graph
from kg.config import load_settings
from kg.build import load_sources, load_shapes, enrich_passages, read_source_text, validate
s = load_settings()
t = time.perf_counter()
src = load_sources(s)
enrich_passages(src.data, read_source_text(s), s)
validate(src.ontology, src.data, load_shapes(s))
g = Graph()
g += src.ontology
g += src.data
before = len(g)
owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(g)
wall = time.perf_counter() - t
print(json.dumps({"wall": wall, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "inferred": len(g) - before, "asserted": before}))
"""


def run(code: str, env: dict) -> dict:
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, KG_BUILD_DIR=os.path.join(tmp, "build"))
        ours = [run(OURS, env) for _ in range(args.runs)]
        naive = [run(NAIVE, env) for _ in range(args.runs)]
    ow = statistics.median(r["wall"] for r in ours)
    nw = statistics.median(r["wall"] for r in naive)
    print(f"{'':24}{'median wall':>12}{'peak RSS':>11}{'asserted':>10}{'inferred':>10}")
    print(
        f"{'kg build (ours)':24}{ow:>11.2f}s{max(r['rss_mb'] for r in ours):>9.0f}MB"
        f"{ours[0]['asserted']:>10}{ours[0]['inferred']:>10}"
    )
    print(
        f"{'naive owlrl closure':24}{nw:>11.2f}s{max(r['rss_mb'] for r in naive):>9.0f}MB"
        f"{naive[0]['asserted']:>10}{naive[0]['inferred']:>10}"
    )
    stages = {k: statistics.median(r["timings"][k] for r in ours) for k in ours[0]["timings"]}
    print("our stages (median): " + ", ".join(f"{k} {v:.2f}s" for k, v in stages.items()))
    print(
        f"ratio ours/naive wall: {ow / nw:.2f}x   target: full build under 10 s -> "
        f"{'met' if ow < 10 else 'NOT met'} ({ow:.2f}s over {args.runs} runs)"
    )


if __name__ == "__main__":
    main()
