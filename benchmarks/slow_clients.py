"""Slow-client benchmark: 1,000 connections that never finish their request, then normal requests beside them.

Starts `python server.py` and an Oxigraph server (`oxigraph serve-read-only`) on the same build, opens `--slow`
connections to each (the classic "slowloris": a request line, then one header byte per connection every second,
never the blank line that ends the headers), spread over the loopback addresses 127.0.1.1-127.0.1.N
(`--slow-per-address` each), reopening each one the server drops; while they trickle, a normal visitor on 127.0.0.1
loads pages and sends cheap SPARQL queries, each on a new connection. Prints, side by side, how many slow
connections were open at once, and the visitor's p50 / p99 latency and errors (no answer within
`--request-timeout`, or not HTTP 200).

    python benchmarks/slow_clients.py [--slow 1000] [--seconds 20] [--build-dir DIR]

Target: with 1,000 slow connections open, normal requests answer with p99 under 100 ms.
The figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import http.client
import os
import resource
import selectors
import socket
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from endpoint import start_ours, start_oxigraph, stop_processes

from kg.testing import built_settings

CHEAP_QUERY = "PREFIX jp: <https://w3id.org/jinpu-kg/def#>\nASK { ?o jp:refArea ?a } # request NNN"


def raise_open_files(wanted: int) -> int:
    """Raise this process's open-file limit towards `wanted` (as far as the hard limit allows); the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            return soft
        return target
    return soft


class Slowloris:
    """Opens slow connections and keeps each one trickling a header byte a second; counts the ones still open."""

    def __init__(self, port: int, count: int, per_address: int):
        self.port, self.count, self.per_address = port, count, per_address
        self.selector = selectors.DefaultSelector()
        self.socks: list[socket.socket] = []
        self.refused = 0
        self.closed_by_server = 0
        self.samples: list[int] = []  # connections open, once a second
        self._opened = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle, daemon=True)

    def open(self) -> None:
        self._connect(self.count)
        self._thread.start()

    def _connect(self, n: int) -> None:
        """Open n more slow connections (an attacker reconnects as soon as the server drops one)."""
        fresh = []
        for _ in range(n):
            source = f"127.0.1.{1 + self._opened % self.count // self.per_address}"
            self._opened += 1
            s = socket.socket()
            s.setblocking(False)
            try:
                s.bind((source, 0))
                s.connect_ex(("127.0.0.1", self.port))
            except OSError:
                self.refused += 1
                s.close()
                continue
            fresh.append(s)
        if fresh:
            time.sleep(0.2)
        for s in fresh:
            try:
                s.send(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                self.socks.append(s)
                self.selector.register(s, selectors.EVENT_READ)
            except OSError:
                self.refused += 1
                s.close()

    def _trickle(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            for key, _ in self.selector.select(timeout=0):  # readable: the server answered or closed
                self._drop(key.fileobj)
            for s in list(self.socks):
                try:
                    s.send(b"a")
                except OSError:
                    self._drop(s)
            self.samples.append(len(self.socks))
            self._connect(self.count - len(self.socks))
            self._stop.wait(max(0.0, 1.0 - (time.monotonic() - started)))

    def _drop(self, s) -> None:
        if s in self.socks:
            self.socks.remove(s)
            self.closed_by_server += 1
            try:
                self.selector.unregister(s)
            except (KeyError, ValueError):
                pass
            s.close()

    @property
    def open_now(self) -> int:
        return len(self.socks)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for s in self.socks:
            s.close()
        self.selector.close()


@dataclass
class Latencies:
    seconds: list[float] = field(default_factory=list)
    errors: int = 0

    def pct(self, p: float) -> float:
        if not self.seconds:
            return float("nan")
        ordered = sorted(self.seconds)
        return 1000 * ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def visit(port: int, paths: dict[str, str], seconds: float, timeout: float) -> dict[str, Latencies]:
    """One visitor on 127.0.0.1: each kind of request in turn, a new connection each, for `seconds`."""
    out = {kind: Latencies() for kind in paths}
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        for kind, path in paths.items():
            n += 1
            url = path.replace("NNN", str(n))  # a new query text each time: no cache can answer
            t = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=("127.0.0.1", 0))
                # a program's Accept on /sparql (a browser's, asking for HTML as much, is sent to the query page)
                accept = "application/sparql-results+json" if kind == "sparql" else "text/html"
                conn.request("GET", url, headers={"Accept": accept})
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
                conn.close()
            except (OSError, http.client.HTTPException):
                ok = False
            elapsed = time.perf_counter() - t
            if ok:
                out[kind].seconds.append(elapsed)
            else:
                out[kind].errors += 1
    return out


def measure(name: str, port: int, paths: dict[str, str], args) -> list[str]:
    rows = []
    base = visit(port, paths, min(3.0, args.seconds), args.request_timeout)
    slow = Slowloris(port, args.slow, args.slow_per_address)
    slow.open()
    try:
        time.sleep(2.0)  # the connections are held (or dropped) by now
        first = len(slow.samples)
        loaded = visit(port, paths, args.seconds, args.request_timeout)
        during = slow.samples[first:] or [slow.open_now]
        held = sorted(during)[len(during) // 2]
    finally:
        slow.close()
    for kind in paths:
        b, x = base[kind], loaded[kind]
        rows.append(
            f"{name:<9} {kind:<7} {held:>5}/{args.slow:<5} {b.pct(0.5):>8.2f} {b.pct(0.99):>8.2f} "
            f"{len(x.seconds) + x.errors:>6} {x.pct(0.5):>8.2f} {x.pct(0.99):>8.2f} {x.errors:>6}"
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slow", type=int, default=1000, help="slow connections (default 1000)")
    parser.add_argument("--slow-per-address", type=int, default=50, help="slow connections per source address")
    parser.add_argument("--seconds", type=float, default=20.0, help="measurement time per server (default 20)")
    parser.add_argument(
        "--request-timeout",
        type=float,
        default=5.0,
        help="a visitor request without an answer within this many seconds is an error",
    )
    parser.add_argument("--build-dir", type=Path, help="a build to serve (default: the project's, built if stale)")
    args = parser.parse_args(argv)
    limit = raise_open_files(2 * args.slow + 4096)

    settings = built_settings(args.build_dir)
    ask = "/sparql?query=" + quote(CHEAP_QUERY, safe="")
    print(
        f"{args.slow} slow connections over {-(-args.slow // args.slow_per_address)} loopback addresses; "
        f"open-file limit {limit}; {os.cpu_count()} CPUs; visitor requests time out after "
        f"{args.request_timeout:g} s"
    )
    print(
        f"\n{'server':<9} {'request':<7} {'slow open':>11} {'idle p50':>8} {'idle p99':>8} {'sent':>6} "
        f"{'p50 ms':>8} {'p99 ms':>8} {'errors':>6}"
    )
    with tempfile.TemporaryDirectory(prefix="kg-bench-") as tmp:
        work = Path(tmp)
        ours_server = start_ours(settings.build_dir, work / "server.log")
        oxi_server = start_oxigraph(settings.build_dir, work, settings.timeout)
        ours, oxi = ours_server.port, oxi_server.port
        try:
            for row in measure("oxigraph", oxi, {"page": "/", "sparql": ask.replace("/sparql", "/query")}, args):
                print(row, flush=True)
            for row in measure("ours", ours, {"page": "/", "entity": "/page/jinpu", "sparql": ask}, args):
                print(row, flush=True)
        finally:
            stop_processes(ours_server.process, oxi_server.process)
    print(
        "\nidle: before the slow connections were opened; p50/p99/errors: while they were open; slow open: how many "
        "were open at once during the measurement (median) (dropped ones are reopened every second)."
    )
    print("target: p99 under 100 ms for normal requests with the slow connections open")
    return 0


if __name__ == "__main__":
    sys.exit(main())
