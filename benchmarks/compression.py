"""Compression benchmark: bytes on the wire for the district's page, the dumps and a large SPARQL result, plain,
gzip and brotli, from `python server.py` on the project's build.

    python benchmarks/compression.py [--build-dir DIR]

Target: compression cuts the bytes of the district's page and of the dumps by at least 80%.
The figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import requests
from endpoint import start_ours

from kg.testing import built_settings

BIG_SELECT = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 10000"
TARGETS = [
    ("district page", "/page/jinpu", None, "text/html"),
    ("district Turtle", "/data/jinpu.ttl", None, "text/turtle"),
    ("N-Quads dump", "/download/dataset.nq", None, "*/*"),
    ("Turtle dump", "/download/dataset.ttl", None, "*/*"),
    ("JSON-LD dump", "/download/dataset.jsonld", None, "*/*"),
    ("10,000-row JSON", "/sparql", {"query": BIG_SELECT}, "application/sparql-results+json"),
]


def wire_bytes(url: str, params, accept: str, encoding: str) -> tuple[int, str, float]:
    t = time.perf_counter()
    r = requests.get(
        url, params=params, headers={"Accept": accept, "Accept-Encoding": encoding}, stream=True, timeout=60
    )
    body = r.raw.read(decode_content=False)
    return len(body), r.headers.get("Content-Encoding", "-"), 1000 * (time.perf_counter() - t)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-dir", type=Path, help="a build to serve (default: the project's, built if stale)")
    args = parser.parse_args(argv)
    settings = built_settings(args.build_dir)
    with tempfile.TemporaryDirectory(prefix="kg-bench-") as tmp:
        server = start_ours(settings.build_dir, Path(tmp) / "server.log")
        try:
            base = server.url
            print(f"{'response':<17} {'plain':>10} {'gzip':>10} {'saved':>6} {'br':>10} {'saved':>6}")
            for name, path, params, accept in TARGETS:
                plain, _, _ = wire_bytes(base + path, params, accept, "identity")
                gz, gz_coding, _ = wire_bytes(base + path, params, accept, "gzip")
                br, br_coding, _ = wire_bytes(base + path, params, accept, "br, gzip;q=0.9")
                print(
                    f"{name:<17} {plain:>10,} {gz:>10,} {1 - gz / plain:>6.0%} {br:>10,} {1 - br / plain:>6.0%}"
                    f"   (sent as {gz_coding} / {br_coding})"
                )
        finally:
            server.stop()
    print("\ntarget: at least 80% fewer bytes for the district's page and the dumps")
    return 0


if __name__ == "__main__":
    sys.exit(main())
