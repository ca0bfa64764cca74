#!/usr/bin/env python
"""Time each kind of page of the browsing UI against a running server and print the figures.

    python server.py --port 8000 &           # or any running instance
    python benchmarks/pages.py --url http://127.0.0.1:8000 --repeat 30

Server-side time comes from each response's Server-Timing header (time spent in the page's view, from the request
reaching the app to the response leaving it); the round trip as the client saw it is shown beside it. The first
requests warm the server's tables and are not counted. Pages over the budget (default 50 ms, median) are flagged.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from urllib.parse import quote

import requests


def server_ms(resp: requests.Response) -> float | None:
    m = re.search(r"dur=([0-9.]+)", resp.headers.get("Server-Timing", ""))
    return float(m.group(1)) if m else None


def discover(session: requests.Session, url: str) -> dict[str, str]:
    """Entity names of each kind, read from the server's own class tables."""

    def first(local: str) -> str | None:
        resp = session.get(f"{url}/class/{local}.json", timeout=30)
        if resp.status_code != 200:
            return None
        rows = resp.json()["rows"]
        return rows[0]["iri"].rsplit("/", 1)[-1] if rows else None

    home = session.get(f"{url}/index.json", timeout=30).json()
    names = {"district": home["district"].rsplit("/", 1)[-1]}
    for kind, local in (
        ("project", "Project"),
        ("indicator", "Indicator"),
        ("figure", "Observation"),
        ("passage", "Passage"),
        ("enterprise", "Enterprise"),
    ):
        name = first(local)
        if name:
            names[kind] = name
    names["query"] = home["queries"][0]["name"] if home["queries"] else ""
    return names


def pages(names: dict[str, str]) -> list[tuple[str, str, dict]]:
    d = names["district"]
    out = [
        ("home", "/", {}),
        ("entity: district", f"/page/{d}", {}),
        ("entity: district (zh)", f"/page/{d}?lang=zh", {}),
    ]
    for kind in ("project", "indicator", "figure", "passage", "enterprise"):
        if kind in names:
            out.append((f"entity: {kind}", f"/page/{names[kind]}", {}))
    out += [
        ("IRI -> 303", f"/id/{d}", {"allow_redirects": False}),
        ("data: Turtle", f"/data/{d}.ttl", {}),
        ("data: JSON-LD", f"/data/{d}.jsonld", {}),
        ("data: RDF/XML", f"/data/{d}.rdf", {}),
        ("class index", "/class/", {}),
        ("class: Project", "/class/Project", {}),
        ("class: Observation", "/class/Observation", {}),
        ("class: Observation sorted", "/class/Observation?sort=value&order=desc", {}),
        ("class twin: JSON", "/class/Observation.json", {}),
        ("search (zh)", "/search?q=" + quote("金普"), {}),
        ("search (en) JSON", "/search.json?q=dalian", {}),
        ("query page (canned)", f"/query?name={names['query']}", {}),
        ("report reader", "/report", {}),
        ("ontology documentation", "/page/def", {}),
        ("term page", "/term/Signed", {}),
        ("downloads", "/downloads", {}),
        ("validation", "/validation", {}),
        ("not found", "/page/no-such-entity", {}),
    ]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="base URL of the running server")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=2, help="untimed requests per page first")
    parser.add_argument("--budget", type=float, default=50.0, help="median server-side milliseconds allowed")
    args = parser.parse_args(argv)
    url = args.url.rstrip("/")
    session = requests.Session()
    names = discover(session, url)
    print(f"{'page':30} {'status':>6} {'server median':>14} {'server p95':>11} {'round trip':>11}  path")
    over = []
    for kind, path, opts in pages(names):
        for _ in range(args.warmup):
            session.get(url + path, timeout=60, **opts)
        server, trip, status = [], [], 0
        for _ in range(args.repeat):
            t = time.perf_counter()
            resp = session.get(url + path, timeout=60, **opts)
            trip.append((time.perf_counter() - t) * 1000)
            status = resp.status_code
            ms = server_ms(resp)
            if ms is not None:
                server.append(ms)
        med = statistics.median(server) if server else float("nan")
        p95 = sorted(server)[max(0, int(len(server) * 0.95) - 1)] if server else float("nan")
        flag = "  OVER BUDGET" if med > args.budget else ""
        if flag:
            over.append(kind)
        print(f"{kind:30} {status:>6} {med:>11.1f} ms {p95:>8.1f} ms {statistics.median(trip):>8.1f} ms  {path}{flag}")
    print(
        f"\n{len(pages(names))} page kinds, {args.repeat} requests each; budget {args.budget:.0f} ms median "
        f"server-side: {'all within' if not over else 'over: ' + ', '.join(over)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
