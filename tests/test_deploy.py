"""Replicas behind a real HAProxy (kg.deploy, deploy/haproxy.cfg.template), on free loopback ports.

One deployment (two replicas of the session's build, one balancer) serves the whole module; the tests that kill or
replace replicas leave it as they found it. Loads are bounded in requests and seconds and go to 127.0.0.1 only.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from kg.build import build
from kg.config import DEFAULT_BASE_IRI, PROJECT_ROOT, Settings
from kg.deploy import Balancer, DeployError, Deployment, Replica, haproxy_command, render
from kg.testing import Call, free_port, run_load, stop_process, wait_until

NEXT_BASE = "https://example.org/jinpu-next/"  # the second build: the same data under another base, other answers
WRONG_BASE = "https://example.org/not-this-build/"
REPLICA_ENV = {"KG_WORKERS": "1", "KG_THREADS": "4"}
LABEL_QUERY = 'SELECT ?s WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> "金普新区"@zh }'
JSON_RESULTS = {"Accept": "application/sparql-results+json"}
MIX = [
    Call("sparql get", "GET", "/sparql", {"params": {"query": LABEL_QUERY}, "headers": JSON_RESULTS}),
    Call("page", "GET", "/page/jinpu"),
    Call("sparql post", "POST", "/sparql", {"data": {"query": LABEL_QUERY}, "headers": JSON_RESULTS}),
    Call("readiness", "GET", "/healthz"),
    Call("search", "GET", "/search", {"params": {"q": "金普"}}),
    Call("iri", "GET", "/id/jinpu", {"headers": {"Accept": "text/html"}}),
]
EXPECTED_STATUS = {"iri": 303}

pytestmark = pytest.mark.skipif(haproxy_command() is None, reason="haproxy is not installed (.ci/run installs it)")


@pytest.fixture(scope="module")
def next_build(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A second build of the same sources under another base IRI: a new build whose every answer differs."""
    settings = Settings(base_iri=NEXT_BASE, build_dir=tmp_path_factory.mktemp("kg-next") / "build")
    build(settings)
    return settings


@pytest.fixture(scope="module")
def versions(built: Path, next_build: Settings) -> dict[str, str]:
    """base IRI -> content hash of the build for it."""
    return {
        DEFAULT_BASE_IRI: json.loads((built / "manifest.json").read_text())["content_hash"],
        NEXT_BASE: json.loads((next_build.build_dir / "manifest.json").read_text())["content_hash"],
    }


def env_for(build_dir: Path, base_iri: str = DEFAULT_BASE_IRI) -> dict[str, str]:
    return {**REPLICA_ENV, "KG_BUILD_DIR": str(build_dir), "KG_BASE_IRI": base_iri}


@pytest.fixture(scope="module")
def deployment(built: Path, tmp_path_factory: pytest.TempPathFactory):
    d = Deployment(
        tmp_path_factory.mktemp("deploy"), 2, port=free_port(), env=env_for(built), flags=["--processes", "1"]
    ).start()
    yield d
    d.stop()


def which_build(call: Call, resp: requests.Response, versions: dict[str, str]):
    """(problem or None, the base IRI of the build that answered). A response must be all of one build."""
    expected = EXPECTED_STATUS.get(call.kind, 200)
    if resp.status_code != expected:
        return f"{call.kind}: {resp.status_code} instead of {expected}: {resp.text[:200]}", None
    if call.kind.startswith("sparql"):
        iris = [b["s"]["value"] for b in resp.json()["results"]["bindings"]]
        bases = {base for base in versions if any(iri.startswith(base) for iri in iris)}
        tagged = {base for base, version in versions.items() if version in resp.headers.get("ETag", "")}
        if len(bases) != 1 or bases != tagged:
            return f"sparql: answer of {bases}, ETag of {tagged}", None
        return None, bases.pop()
    if call.kind == "readiness":
        info = resp.json()
        if versions.get(info["base_iri"]) != info["version"]:
            return f"readiness: version {info['version']} is not the build of {info['base_iri']}", None
        return None, info["base_iri"]
    if call.kind == "page":
        bases = {base for base in versions if base + "id/jinpu" in resp.text}
        if len(bases) != 1:
            return f"page: shows IRIs of {bases or 'no build'}", None
        return None, bases.pop()
    return None, None


def failures(outcomes) -> list[str]:
    return [f"{o.call.kind}: {o.status} {o.error or ''} {o.problem or ''}" for o in outcomes if o.failed]


def test_balancer_answers_from_replicas_with_compression_and_access_log(deployment: Deployment) -> None:
    resp = requests.get(deployment.url + "/page/jinpu", headers={"Accept-Encoding": "gzip"}, timeout=30, stream=True)
    assert resp.status_code == 200
    assert resp.headers["Content-Encoding"] == "gzip"
    html = gzip.decompress(resp.raw.read()).decode()
    assert DEFAULT_BASE_IRI + "id/jinpu" in html
    plain = requests.get(deployment.url + "/page/jinpu", headers={"Accept-Encoding": "identity"}, timeout=30)
    assert "Content-Encoding" not in plain.headers and plain.text == html
    servers = deployment.balancer.servers()
    assert [servers[s.server]["status"] for s in deployment.slots] == ["UP", "UP", "MAINT"]
    log = deployment.balancer.access_log.read_text()
    assert re.search(r'replicas/r[12] \S+ 200 .*"GET /page/jinpu HTTP/1.1"', log), log[-2000:]


def test_responses_with_validators_are_cached_and_revalidated(deployment: Deployment) -> None:
    url = deployment.url + "/download/manifest.json"
    first = requests.get(url, timeout=30)
    assert first.status_code == 200 and first.headers["ETag"]
    again = requests.get(url, timeout=30)
    assert again.content == first.content and "Age" in again.headers  # the balancer's copy
    unchanged = requests.get(url, headers={"If-None-Match": first.headers["ETag"]}, timeout=30)
    assert unchanged.status_code == 304 and not unchanged.content
    log = deployment.balancer.access_log.read_text()
    assert re.search(r'replicas/<CACHE> \S+ 200 .*"GET /download/manifest.json', log), log[-2000:]
    # an answer that varies on Accept is never given to a request for another format
    for media_type in [
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "application/sparql-results+json",
    ]:
        resp = requests.get(
            deployment.url + "/sparql", params={"query": LABEL_QUERY}, headers={"Accept": media_type}, timeout=30
        )
        assert resp.status_code == 200 and resp.headers["Content-Type"].startswith(media_type)


class Echo(BaseHTTPRequestHandler):
    """A stand-in replica that answers every request with the headers it got (and 200 on /healthz)."""

    def do_GET(self) -> None:
        body = json.dumps({k.lower(): v for k, v in self.headers.items()} | {"peer": self.client_address[0]})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args) -> None:
        pass


def test_replicas_get_the_clients_address_in_x_forwarded_for(tmp_path: Path) -> None:
    echo = ThreadingHTTPServer(("127.0.0.1", free_port()), Echo)
    threading.Thread(target=echo.serve_forever, daemon=True).start()
    balancer = Balancer(tmp_path, free_port())
    try:
        balancer.start([("r1", "127.0.0.1", echo.server_address[1], True), ("r2", "127.0.0.1", 1, False)])
        balancer.wait_for("r1", lambda row: row["status"] == "UP", 30, "UP")
        seen = requests.get(balancer.url + "/page/x", headers={"X-Forwarded-For": "203.0.113.9"}, timeout=10).json()
    finally:
        balancer.stop()
        echo.shutdown()
    assert seen["x-forwarded-for"] == "127.0.0.1"  # the address the balancer saw; the client's own claim dropped
    assert seen["x-forwarded-proto"] == "http"


def test_template_is_filled_for_replicas_on_other_machines() -> None:
    text = render(
        [("r1", "10.0.0.11", 8000, True), ("r2", "10.0.0.12", 8000, True), ("r3", "10.0.0.11", 1, False)],
        bind="0.0.0.0:80",
        admin_socket="/run/haproxy/admin.sock",
        server_maxconn=8,
    )
    assert "{{" not in text
    assert "    server r1 10.0.0.11:8000\n    server r2 10.0.0.12:8000\n    server r3 10.0.0.11:1 disabled" in text
    assert "maxconn 8 " in text or "maxconn 8\n" in text
    with pytest.raises(KeyError, match="nothing_like_this"):
        render([], bind="x", admin_socket="y", template="{{nothing_like_this}}")


def test_a_replica_killed_under_load_fails_no_request(deployment: Deployment, versions: dict[str, str]) -> None:
    victim = deployment.slots[0]
    killed = threading.Event()

    def kill_after(done: int) -> None:
        if done == 60 and not killed.is_set():
            killed.set()
            victim.replica.kill()  # SIGKILL to its whole process group, in-flight requests and all

    outcomes = run_load(
        deployment.url,
        MIX,
        concurrency=6,
        max_requests=400,
        max_seconds=120,
        until=killed,
        after=240,
        on_outcome=kill_after,
        check=lambda c, r: which_build(c, r, versions),
    )
    assert killed.is_set() and not victim.replica.alive()
    assert not failures(outcomes), failures(outcomes)[:10]
    assert len(outcomes) >= 300
    deployment.balancer.wait_for(victim.server, lambda row: row["status"].startswith("DOWN"), 30, "DOWN")
    # replaced through the spare slot, as `deploy/run.py` does with a replica that died
    new = deployment.replace(victim)
    assert new.alive() and sum(1 for s in deployment.slots if s.replica) == 2


def test_a_new_build_rolled_out_under_load_fails_no_request(
    deployment: Deployment, next_build: Settings, versions: dict[str, str], built: Path
) -> None:
    rolled = threading.Event()
    finished: list[float] = []
    errors: list[BaseException] = []

    def roll() -> None:
        try:
            deployment.roll(env=env_for(next_build.build_dir, NEXT_BASE))
            finished.append(time.monotonic())
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)
        finally:
            rolled.set()

    roller = threading.Thread(target=roll)
    outcomes_box: list = []
    loader = threading.Thread(
        target=lambda: outcomes_box.append(
            run_load(
                deployment.url,
                MIX,
                concurrency=4,
                max_requests=4000,
                max_seconds=180,
                until=rolled,
                after=120,
                check=lambda c, r: which_build(c, r, versions),
            )
        )
    )
    loader.start()
    roller.start()
    roller.join(240)
    loader.join(240)
    assert not errors, errors
    outcomes = outcomes_box[0]
    assert not failures(outcomes), failures(outcomes)[:10]
    answered_by = Counter(o.note for o in outcomes if o.note)
    assert answered_by[DEFAULT_BASE_IRI] > 0 and answered_by[NEXT_BASE] > 0, answered_by
    after_roll = [o for o in outcomes if o.note and o.started > finished[0]]
    assert after_roll and {o.note for o in after_roll} == {NEXT_BASE}
    for replica in deployment.replicas:
        assert replica.env["KG_BASE_IRI"] == NEXT_BASE
    deployment.roll(env=env_for(built))  # back to the session's build for the tests after this one
    assert requests.get(deployment.url + "/healthz", timeout=10).json()["base_iri"] == DEFAULT_BASE_IRI


def test_a_replica_on_the_wrong_build_is_never_routed_to(
    deployment: Deployment, built: Path, versions: dict[str, str]
) -> None:
    wrong = deployment.new_replica(env=env_for(built, WRONG_BASE)).start()
    try:
        # a server refuses to start on a build of another base, with one line saying so: it is never ready
        assert wrong.process.wait(90) != 0
        assert "cannot serve: the build" in wrong.log() and f"not {WRONG_BASE}" in wrong.log()
        # handed to the balancer directly anyway, in the spare slot, and put in rotation: its checks keep it out
        spare = next(s for s in deployment.slots if s.replica is None)
        before = int(deployment.balancer.servers()[spare.server]["stot"])
        deployment.balancer.point(spare.server, wrong.host, wrong.port)
        # a new address resets the check state: a check result now is one of this replica's port
        row = deployment.balancer.wait_for(
            spare.server, lambda r: r["check_status"].startswith("L4") or r["check_status"] == "L7STS", 30, "checked"
        )
        assert row["status"].startswith("DOWN")
        deployment.balancer.ready(spare.server)
        assert deployment.balancer.status(spare.server).startswith("DOWN")
        outcomes = run_load(
            deployment.url,
            MIX,
            concurrency=4,
            max_requests=120,
            max_seconds=60,
            check=lambda c, r: which_build(c, r, versions),
        )
        assert not failures(outcomes), failures(outcomes)[:10]
        row = deployment.balancer.servers()[spare.server]
        assert row["status"].startswith("DOWN") and int(row["stot"]) == before, row
        deployment.balancer.disable(spare.server)
        # and a roll-out onto it stops before the balancer is told, leaving the serving replicas as they were
        serving = [s.replica for s in deployment.slots]
        with pytest.raises(DeployError, match="exited|not ready"):
            deployment.replace(deployment.slots[0], new=wrong, ready_timeout=2)
        assert [s.replica for s in deployment.slots] == serving
        assert not wrong.alive()
    finally:
        wrong.stop()
    assert requests.get(deployment.url + "/healthz", timeout=10).status_code == 200


def test_a_replica_that_cannot_start_is_reported(tmp_path: Path, built: Path) -> None:
    replica = Replica("broken", free_port(), tmp_path, env={"KG_BUILD_DIR": str(tmp_path / "no-build-here")}).start()
    with pytest.raises(DeployError, match="exited"):
        replica.wait_ready(60)


def test_the_documented_command_runs_rolls_and_stops_everything(built: Path, tmp_path: Path) -> None:
    """`python deploy/run.py`: replicas and balancer in the foreground, SIGHUP replaces the replicas, a replica that
    dies is replaced, SIGTERM stops every process it started."""
    folder, out, err = tmp_path / "run", tmp_path / "out.log", tmp_path / "err.log"
    command = [
        sys.executable,
        str(PROJECT_ROOT / "deploy" / "run.py"),
        "--replicas",
        "1",
        "--port",
        str(free_port()),
        "--dir",
        str(folder),
        "--no-build",
    ]
    with open(out, "wb") as stdout, open(err, "wb") as stderr:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env={**os.environ, **env_for(built)},
            stdout=stdout,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
        )
    try:
        wait_until(lambda: out.read_text().strip() != "", process, 120, "deploy/run.py", err.read_text)
        started = json.loads(out.read_text().splitlines()[0])
        assert requests.get(started["url"] + "/page/jinpu", timeout=30).status_code == 200
        first = sorted(folder.glob("replica-*.pid"))
        assert len(first) == 1 and (folder / "haproxy.pid").exists() and (folder / "haproxy.cfg").exists()
        first_pid = int(first[0].read_text())
        process.send_signal(signal.SIGHUP)
        wait_until(lambda: "rolled:" in err.read_text(), process, 120, "the roll", err.read_text)
        assert requests.get(started["url"] + "/healthz", timeout=30).json()["status"] == "ready"
        assert not pid_alive(first_pid)
        pids = {p.name: int(p.read_text()) for p in folder.glob("*.pid")}
        assert len(pids) == 2 and all(pid_alive(pid) for pid in pids.values())  # the new replica and the balancer
        # a replica that dies is replaced
        crashed = next(pid for name, pid in pids.items() if name.startswith("replica-"))
        os.killpg(crashed, signal.SIGKILL)
        wait_until(lambda: "replacing it" in err.read_text(), process, 60, "the replacement", err.read_text)
        wait_until(
            lambda: (
                len(list(folder.glob("replica-*.pid"))) == 1
                and requests.get(started["url"] + "/healthz", timeout=10).status_code == 200
            ),
            process,
            120,
            "the new replica",
            err.read_text,
        )
        pids = [int(p.read_text()) for p in folder.glob("*.pid")]
        assert crashed not in pids and len(pids) == 2
        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 0
    finally:
        stop_process(process)
    assert not any(pid_alive(pid) for pid in pids)
    assert not list(folder.glob("*.pid")) and (folder / "access.log").read_text()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").exists() and Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
