"""The endpoint is read-only, never reaches out, stops runaway queries and refuses bad input without falling over.

A listener on a loopback port counts connections: SERVICE, FROM, FROM NAMED, the protocol's graph parameters and LOAD
pointed at it (also with \\u-escaped keywords, comments ended by a carriage return, and SERVICE deep inside a query)
must never reach it. Time bounds here only prove liveness; they are generous on purpose.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests

BASE = "https://w3id.org/jinpu-kg/"
JINPU = BASE + "id/jinpu"
JSON = {"Accept": "application/sparql-results+json"}
KNOWN = f"ASK {{ <{JINPU}> ?p ?o }}"
PLANTED = "ASK { <urn:x:planted> ?p ?o }"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


class Listener:
    """A TCP listener on a loopback port that records every connection it is offered."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sparql"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture()
def listener() -> Iterator[Listener]:
    probe = Listener()
    yield probe
    probe.close()


@pytest.fixture(scope="module")
def endpoint(live_server: str) -> str:
    return live_server + "/sparql"


def ask(endpoint: str, query: str) -> bool:
    r = requests.get(endpoint, params={"query": query}, headers=JSON, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()["boolean"]


def outbound_queries(url: str) -> dict[str, str]:
    """Queries that would make a careless endpoint connect to `url`."""
    esc_service = "\\u0053ERVICE"  # \u escapes stand for any character, keywords included
    port = url.split(":")[2].split("/")[0]
    return {
        "service": f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        "service silent": f"SELECT * WHERE {{ ?x ?y ?z OPTIONAL {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }} }} LIMIT 1",
        "service lower case": f"select * where {{ service <{url}> {{ ?s ?p ?o }} }}",
        "service escaped": f"SELECT * WHERE {{ {esc_service} <{url}> {{ ?s ?p ?o }} }}",
        "service escaped 8 digits": f"SELECT * WHERE {{ \\U00000053ERVICE <{url}> {{ ?s ?p ?o }} }}",
        "service escaped iri": f"SELECT * WHERE {{ SERVICE <http\\u003A//127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
        "service after cr comment": f"SELECT * WHERE {{ # note\rSERVICE <{url}> {{ ?a ?b ?c }}\n ?s ?p ?o }} LIMIT 1",
        "service in exists": f"SELECT * WHERE {{ ?s ?p ?o FILTER EXISTS {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }}",
        "service in subquery": f"SELECT * WHERE {{ {{ SELECT ?s WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }} }}",
        "service variable": f"SELECT * WHERE {{ BIND(<{url}> AS ?u) SERVICE ?u {{ ?s ?p ?o }} }}",
        "from": f"SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}",
        "from named": f"SELECT * FROM NAMED <{url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        "from escaped": f"SELECT * \\u0046ROM <{url}> WHERE {{ ?s ?p ?o }}",
        "from glued to ask": f"ASKFROM <{url}> {{ ?s ?p ?o }}",
        "from local file": "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }",
        "load as query": f"LOAD <{url}>",
        "load escaped": f"\\u004COAD <{url}> INTO GRAPH <urn:x:g>",
    }


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_nothing_reaches_out(endpoint: str, listener: Listener, method: str) -> None:
    for name, query in outbound_queries(listener.url).items():
        if method == "GET":
            r = requests.get(endpoint, params={"query": query}, headers=JSON, timeout=60)
        else:
            r = requests.post(
                endpoint, data=query.encode(), timeout=60, headers={**JSON, "Content-Type": "application/sparql-query"}
            )
        assert 400 <= r.status_code < 500, f"{name}: HTTP {r.status_code} {r.text}"
        assert r.text.strip(), name
    for params in ({"default-graph-uri": listener.url}, {"named-graph-uri": listener.url}):
        r = requests.get(endpoint, params={"query": "ASK { ?s ?p ?o }", **params}, timeout=60)
        assert r.status_code == 400 and "graph" in r.text
    r = requests.post(endpoint, data={"update": f"LOAD <{listener.url}>"}, timeout=60)
    assert r.status_code == 403
    time.sleep(0.5)  # a connection attempt would have been accepted by now
    assert listener.connections == 0


def test_refusals_say_why(endpoint: str) -> None:
    r = requests.get(endpoint, params={"query": "SELECT * WHERE { SERVICE <http://example.org/> { ?s ?p ?o } }"})
    assert r.status_code == 403 and "SERVICE" in r.text
    r = requests.get(endpoint, params={"query": "SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }"})
    assert r.status_code == 400 and BASE + "graph/asserted" in r.text


UPDATES = [
    "INSERT DATA { <urn:x:planted> <urn:x:p> <urn:x:o> }",
    "INSERT { <urn:x:planted> <urn:x:p> ?o } WHERE { ?s ?p ?o }",
    f"DELETE WHERE {{ <{JINPU}> ?p ?o }}",
    "DROP ALL",
    "CLEAR DEFAULT",
    f"WITH <{BASE}graph/asserted> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}",
    "\\u0049NSERT DATA { <urn:x:planted> <urn:x:p> <urn:x:o> }",
]


def test_updates_change_nothing(endpoint: str) -> None:
    before = (ask(endpoint, KNOWN), ask(endpoint, PLANTED), ask(endpoint, "ASK { ?s ?p ?o }"))
    assert before == (True, False, True)
    for update in UPDATES:
        attempts = [
            requests.post(endpoint, data={"update": update}),
            requests.post(endpoint, data=update.encode(), headers={"Content-Type": "application/sparql-update"}),
            requests.post(endpoint, data={"query": update}),
            requests.get(endpoint, params={"query": update}),
            requests.post(endpoint, data=update.encode(), headers={"Content-Type": "application/sparql-query"}),
        ]
        for r in attempts:
            assert r.status_code in (400, 403), (update, r.status_code, r.text)
            assert r.text.strip()
    after = (ask(endpoint, KNOWN), ask(endpoint, PLANTED), ask(endpoint, "ASK { ?s ?p ?o }"))
    assert after == before
    r = requests.post(endpoint, data={"query": UPDATES[0]})
    assert r.status_code == 403 and "read-only" in r.text


def test_runaway_query_is_stopped_while_others_are_answered(start_server, kg_store) -> None:
    if kg_store.backend != "embedded":
        pytest.skip(
            "a remote store runs the query itself: the endpoint stops waiting at the time limit "
            "(tests/test_remote_app.py) but cannot free that store's CPU, so a runaway there would only "
            "slow down the rest of the suite"
        )
    server = start_server("--timeout", "3", "--processes", "1")
    url = server.url + "/sparql"
    outcome: dict = {}

    def runaway() -> None:
        started = time.monotonic()
        outcome["response"] = requests.get(url, params={"query": RUNAWAY}, headers=JSON, timeout=120)
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.5)
    answered = []
    while thread.is_alive():
        started = time.monotonic()
        assert ask(url, f"ASK {{ <{JINPU}> ?p ?o }} # {len(answered)}")  # a new text: not from the cache
        answered.append(time.monotonic() - started)
        time.sleep(0.1)
    thread.join()
    response = outcome["response"]
    assert response.status_code == 503, response.text
    assert "3 s" in response.text  # the time limit is named (the endpoint's, or a remote store's own)
    assert outcome["seconds"] < 60  # stopped, not left to run to the end
    assert answered and max(answered) < 10  # other clients were answered meanwhile
    assert ask(url, "ASK { ?s ?p ?o } # after")  # and the replaced worker answers
    assert server.alive()


def test_oversized_input_is_refused(endpoint: str) -> None:
    big = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 70000
    assert requests.post(endpoint, data={"query": big}).status_code == 413
    assert (
        requests.post(endpoint, data=big.encode(), headers={"Content-Type": "application/sparql-query"}).status_code
        == 413
    )
    r = requests.get(endpoint, params={"query": big})
    assert r.status_code == 413 and "65536" in r.text
    assert (
        requests.post(
            endpoint, data=b"query=" + b"%41" * 300000, headers={"Content-Type": "application/x-www-form-urlencoded"}
        ).status_code
        == 413
    )
    assert ask(endpoint, KNOWN)


def _send_all_then_read(url: str, body: bytes, chunked: bool) -> bytes:
    """A client that sends its whole request before it reads a byte, as simple clients do."""
    host, port = urlsplit(url).hostname, urlsplit(url).port
    head = f"POST /sparql HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    if chunked:
        head += "Transfer-Encoding: chunked\r\n\r\n"
        pieces = [body[i : i + 65536] for i in range(0, len(body), 65536)]
        body = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in pieces) + b"0\r\n\r\n"
    else:
        head += f"Content-Length: {len(body)}\r\n\r\n"
    with socket.create_connection((host, port), timeout=60) as s:
        s.sendall(head.encode() + body)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
        return answer


@pytest.mark.parametrize("megabytes", [3, 10])
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_client_that_sends_megabytes_reads_the_413(endpoint: str, megabytes: int, chunked: bool) -> None:
    """The server reads and drops the rest of an oversized body before it answers: closing while the client still
    sends would reset the connection (a broken pipe for this client), and it would never read why."""
    answer = _send_all_then_read(endpoint, b"query=" + b"x" * (megabytes << 20), chunked)
    assert answer.startswith(b"HTTP/1.1 413 ") and b"larger than this server accepts" in answer
    assert ask(endpoint, KNOWN)


MALFORMED = [
    "SELECT * WHERE { ?s ?p }",
    "SELEKT * WHERE { ?s ?p ?o }",
    "SELECT * WHERE { ?s ?p ?o } LIMIT -1",
    "PREFIX x: <http://x/> SELECT * WHERE { y:a ?p ?o }",
    'SELECT * WHERE { ?s ?p "unterminated }',
    "SELECT * WHERE " + "{" * 5000 + "}" * 5000,
    "SELECT (COUNT(*) AS ?n) ?s WHERE { ?s ?p ?o }",
    "\x00\x01\x02",
    "{}",
]


@pytest.mark.parametrize("query", MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_queries_are_400_with_a_position(endpoint: str, query: str) -> None:
    r = requests.get(endpoint, params={"query": query}, headers={"Accept": "application/json"})
    assert r.status_code == 400, r.text
    message = r.json()["error"]["message"]
    assert message.startswith(("Malformed", "The query failed")), message
    if query.startswith("SELECT * WHERE { ?s ?p }"):
        assert "1:" in message or "line 1" in message


def test_bad_requests_get_clear_4xx_and_never_a_500(endpoint: str) -> None:
    cases = [
        requests.get(endpoint + "?query=SELECT%20%FF%FE"),  # not UTF-8
        requests.post(endpoint, data=b"SELECT * { ?s ?p \xff }", headers={"Content-Type": "application/sparql-query"}),
        requests.post(endpoint, data=b"query=%C3%28", headers={"Content-Type": "application/x-www-form-urlencoded"}),
        requests.post(endpoint, data=b"query=SELECT", headers={"Content-Type": "text/plain"}),
        requests.post(endpoint, data=b"", headers={"Content-Type": "application/x-www-form-urlencoded"}),
        requests.get(endpoint, params=[("query", "ASK {}"), ("query", "ASK {}")]),
        requests.get(endpoint, params={"query": "   "}),
        requests.put(endpoint, data=b"x"),
        requests.delete(endpoint),
        requests.get(endpoint, params={"query": "ASK {}", "default-graph-uri": "not an iri"}),
        requests.get(endpoint, params={"query": "ASK {}", "format": "\x00"}),
        requests.get(endpoint, params={"query": "ASK {}"}, headers={"Accept": ";;;,,q=x"}),
        requests.post(endpoint, data=b"ASK {}", headers={"Content-Type": "application/sparql-query; charset=latin-1"}),
    ]
    statuses = [r.status_code for r in cases]
    assert all(400 <= s < 500 or s == 200 for s in statuses), statuses
    assert statuses[:4] == [400, 400, 400, 415]
    assert statuses[7:9] == [405, 405]
    for r in cases:
        assert "Traceback" not in r.text
    assert ask(endpoint, KNOWN)
