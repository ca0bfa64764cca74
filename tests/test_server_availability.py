"""Staying up on the open internet, against real servers (`python server.py`) on loopback: slow and idle clients,
connection caps, fair share of query time (429 with Retry-After), readiness while shutting down, and a consistent
start (a build of another base, a wrong store URL, concurrent builds).

Clients are told apart by address, so the tests bind their sockets to distinct loopback addresses (127.0.0.x).
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

from kg.testing import SERVER_SCRIPT, ServerProcess, free_port, start_app_server

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
CHEAP = "ASK { ?s ?p ?o }"
JSON = "application/sparql-results+json"


@pytest.fixture()
def server(built: Path, tmp_path: Path) -> Iterator:
    """A factory of servers on the session's build (embedded store), stopped after the test."""
    started: list[ServerProcess] = []

    def start(*flags: str, **env: str) -> ServerProcess:
        port = free_port()
        s = start_app_server(
            built, tmp_path / f"server-{port}.log", *flags, port=port, env={"KG_STORE": "embedded", **env}
        )
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


def query(server: ServerProcess, text: str, source: str = "127.0.0.1", timeout: float = 60.0):
    """GET /sparql from the given source address; (status, headers, body text)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout, source_address=(source, 0))
    try:
        conn.request("GET", "/sparql?query=" + quote(text, safe=""), headers={"Accept": JSON})
        response = conn.getresponse()
        return response.status, response.headers, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def until_answered(ask: Callable[[int], int | tuple], deadline_s: float = 120.0) -> list:
    """Ask (ask(n), n = 0, 1, ...) until the answer is anything but a 503, and every answer up to it.

    A query's wall time is charged to its client only once a worker took it, and a 503 while a stopped query's
    worker is being replaced comes before that: so a client's first answer that is not a 503 shows whether its own
    share, untouched, was applied, however long the replacement takes on a busy machine. The deadline only stops a
    server that never recovers."""
    answers: list = []
    deadline = time.monotonic() + deadline_s
    while True:
        answer = ask(len(answers))
        answers.append(answer)
        status = answer if isinstance(answer, int) else answer[0]
        if status != 503 or time.monotonic() > deadline:
            return answers
        time.sleep(0.2)


def slow_connection(port: int, source: str = "127.0.0.1") -> socket.socket:
    """A connection that sent a request line and part of a header, and never the rest."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30, source_address=(source, 0))
    s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    return s


def test_slow_clients_do_not_block_a_normal_request(server) -> None:
    """Far more half-sent requests than the server has threads (16 in all): pages and queries still answer."""
    s = server("--processes", "1")
    slow = [slow_connection(s.port, f"127.0.2.{1 + i // 50}") for i in range(200)]
    try:
        for sock in slow[:50]:
            sock.sendall(b"a")  # still trickling
        assert (
            requests.get(s.url + "/sparql", params={"query": CHEAP}, headers={"Accept": JSON}, timeout=30).json()[
                "boolean"
            ]
            is True
        )
        assert requests.get(s.url + "/", timeout=30).status_code == 200
        assert s.alive()
    finally:
        for sock in slow:
            sock.close()


def test_a_request_that_does_not_arrive_in_time_is_answered_408_and_closed(server) -> None:
    s = server("--processes", "1", KG_HEADER_TIMEOUT="1")
    sock = slow_connection(s.port)
    received = b""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            sock.sendall(b"a")
        except OSError:
            break
        sock.settimeout(0.5)
        try:
            chunk = sock.recv(4096)
        except TimeoutError:
            continue
        except OSError:
            break
        if not chunk:
            break
        received += chunk
    sock.close()
    assert received.startswith(b"HTTP/1.1 408"), received[:200]


def test_connections_per_address_are_capped(server) -> None:
    s = server("--processes", "1", KG_MAX_CLIENT_CONNECTIONS="5", KG_HEADER_TIMEOUT="60")
    held = [slow_connection(s.port, "127.0.0.7") for _ in range(5)]
    try:
        extra = socket.create_connection(("127.0.0.1", s.port), timeout=30, source_address=("127.0.0.7", 0))
        answer = extra.recv(4096)
        extra.close()
        assert answer.startswith(b"HTTP/1.1 429"), answer[:200]
        assert b"Retry-After" in answer and b"per address" in answer
        # another address is not affected
        status, _, body = query(s, CHEAP, source="127.0.0.8")
        assert status == 200 and "true" in body
    finally:
        for sock in held:
            sock.close()


def test_a_client_over_its_share_gets_429_with_retry_after(server) -> None:
    s = server("--processes", "1", KG_TIMEOUT="1", KG_CLIENT_BUDGET="0.5", KG_BUDGET_WINDOW="600", KG_FAST_SLICE="0.2")
    status, _, body = query(s, RUNAWAY, source="127.0.0.3")
    assert status == 503 and "limit" in body
    status, headers, body = query(s, CHEAP + " # another query", source="127.0.0.3")
    assert status == 429, body
    assert int(headers["Retry-After"]) >= 1
    assert "query time" in body and "0.5 s per 600 s" in body
    # another client keeps its own share: answered once the stopped query's worker is replaced (503 until then)
    answers = until_answered(lambda n: query(s, CHEAP + f" # {n}", source="127.0.0.1"))
    assert answers[-1][0] == 200 and "true" in answers[-1][2], answers


def test_a_query_that_recently_ran_out_of_time_is_refused_at_once(server) -> None:
    s = server("--processes", "1", KG_TIMEOUT="1", KG_FAST_SLICE="0.2")
    status, _, _ = query(s, RUNAWAY, source="127.0.0.4")
    assert status == 503
    # the same query, dressed differently, from another client: refused without running
    status, headers, body = query(s, "# again\n" + RUNAWAY.replace(" . ", " .\n  "), source="127.0.0.5")
    assert status == 429 and "ran longer than the limit" in body, body
    assert int(headers["Retry-After"]) >= 1


def test_a_second_clients_cheap_query_is_answered_while_the_first_floods(server) -> None:
    """One client keeps several expensive queries going; another's cheap query is answered while they run."""
    s = server("--processes", "1", KG_TIMEOUT="20", KG_FAST_SLICE="0.2", KG_WORKERS="2", KG_SLOW_LANE="1")
    flood_done = threading.Event()
    outcomes: list[int] = []

    def flood(n: int) -> None:
        status, _, _ = query(s, f"# flood {n}\n" + RUNAWAY.replace("?i", f"?i{n}"), source="127.0.0.6")
        outcomes.append(status)

    first = threading.Thread(target=lambda: (flood(0), flood_done.set()))
    first.start()
    others = [threading.Thread(target=flood, args=(n,)) for n in range(1, 4)]
    time.sleep(0.5)  # the first one is in the slow lane by now
    for t in others:
        t.start()
    for t in others:
        t.join(60)
    # the flooder's other queries were turned away (one long query per client), the first one still runs
    assert outcomes and all(o in (429, 503) for o in outcomes), outcomes
    status, _, body = query(s, CHEAP, source="127.0.0.1")
    answered_during_flood = not flood_done.is_set()
    assert status == 200 and "true" in body
    assert answered_during_flood
    first.join(60)


def test_sigterm_makes_healthz_not_ready_before_the_server_stops(server) -> None:
    s = server("--processes", "1", KG_DRAIN_SECONDS="3")
    assert requests.get(s.url + "/healthz", timeout=10).status_code == 200
    s.process.send_signal(signal.SIGTERM)
    statuses = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and s.process.poll() is None:
        try:
            r = requests.get(s.url + "/healthz", timeout=5)
            statuses.append(r.status_code)
            if r.status_code == 503:
                assert r.json()["status"] == "not ready"
                break
        except requests.RequestException:
            break
        time.sleep(0.1)
    assert 503 in statuses, statuses
    s.process.wait(30)
    assert s.process.returncode == 0


def run_server(built: Path, *flags: str, **env: str) -> subprocess.CompletedProcess:
    """`python server.py` expected to refuse to start: its exit and output."""
    return subprocess.run(
        [sys.executable, str(SERVER_SCRIPT), "--port", str(free_port()), *flags],
        env={**os.environ, "KG_BUILD_DIR": str(built), **env},
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def test_a_server_refuses_to_start_on_a_build_of_another_base(built: Path) -> None:
    done = run_server(built, "--no-build", KG_BASE_IRI="http://example.org/other/")
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "http://example.org/other/" in lines[0] and "Traceback" not in done.stderr, lines


def test_a_wrong_store_url_fails_at_start_with_one_line(built: Path) -> None:
    done = run_server(built, "--store", "htp:/nowhere")
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "htp:/nowhere" in lines[0], lines


def test_two_concurrent_builds_of_one_checkout_leave_a_consistent_build(tmp_path: Path) -> None:
    """Two builds of one folder for two bases at once: the folder ends up as one whole build of one of them."""
    from kg.artifacts import BuildArtifacts, content_hash, read_quads
    from kg.config import load_settings
    from kg.rdf.vocab import GRAPH_NAMES

    out = tmp_path / "build"
    bases = ["http://example.org/a/", "http://example.org/b/"]
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "kg.cli", "--base-iri", base, "build"],
            env={**os.environ, "KG_BUILD_DIR": str(out)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for base in bases
    ]
    for r in runs:
        _, err = r.communicate(timeout=300)
        assert r.returncode == 0, err
    artifacts = BuildArtifacts(out)
    base = artifacts.base_iri
    assert base in bases
    other = next(b for b in bases if b != base)
    data = artifacts.dataset_bytes()
    assert other.encode() not in data and base.encode() in data
    settings = load_settings(base_iri=base, build_dir=out)
    assert content_hash(read_quads(data, [settings.graph_iri(n) for n in GRAPH_NAMES])) == artifacts.content_hash
    assert not list(tmp_path.glob(".build-*")), "a half-written build was left behind"


@pytest.mark.parametrize(
    "peer, forwarded, trusted, client",
    [
        ("203.0.113.5", "198.51.100.7", "", "203.0.113.5"),  # no trusted proxy: the header is ignored
        ("203.0.113.5", "198.51.100.7", "10.0.0.0/8", "203.0.113.5"),  # from an untrusted peer: ignored
        ("10.0.0.2", "198.51.100.7", "10.0.0.0/8", "198.51.100.7"),
        ("10.0.0.2", "6.6.6.6, 198.51.100.7", "10.0.0.0/8", "198.51.100.7"),  # a client cannot claim another address
        ("10.0.0.2", "198.51.100.7, 10.0.0.9", "10.0.0.0/8", "198.51.100.7"),  # through two trusted proxies
        ("10.0.0.2", "not-an-address", "10.0.0.0/8", "10.0.0.2"),
        ("10.0.0.2", None, "10.0.0.0/8", "10.0.0.2"),
    ],
)
def test_x_forwarded_for_counts_only_from_trusted_proxies(peer, forwarded, trusted, client) -> None:
    from kg.frontend import _networks, client_address

    assert client_address(peer, forwarded, _networks(trusted)) == client


def test_a_trusted_proxy_makes_clients_count_by_their_forwarded_address(server) -> None:
    """Behind a proxy on 127.0.0.9, two clients' shares are kept apart by X-Forwarded-For."""
    s = server(
        "--processes",
        "1",
        KG_TIMEOUT="1",
        KG_CLIENT_BUDGET="0.5",
        KG_BUDGET_WINDOW="600",
        KG_FAST_SLICE="0.2",
        KG_TRUSTED_PROXIES="127.0.0.9",
    )

    def via_proxy(text: str, client: str) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=60, source_address=("127.0.0.9", 0))
        conn.request(
            "GET", "/sparql?query=" + quote(text, safe=""), headers={"Accept": JSON, "X-Forwarded-For": client}
        )
        status = conn.getresponse().status
        conn.close()
        return status

    assert via_proxy(RUNAWAY, "198.51.100.1") == 503
    assert via_proxy(CHEAP + " # 1", "198.51.100.1") == 429  # that client is over its budget
    # another client behind the same proxy is not: answered once the stopped query's worker is replaced (503 until
    # then); counted as the proxy's address, it would be refused 429 at once
    statuses = until_answered(lambda n: via_proxy(CHEAP + f" # {n}", "198.51.100.2"))
    assert statuses[-1] == 200, statuses
