"""Real servers on free loopback ports, for the tests and the benchmarks: this app (`start_app_server`, which runs
`python server.py`), an Oxigraph server (`OxigraphServer`) and Virtuoso (`kg.testing.virtuoso.VirtuosoServer`), and a
bounded request load on them. The one home of the port, start-up, shut-down and load logic that both need: neither
tests/ nor benchmarks/ start these servers any other way."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from kg.config import PROJECT_ROOT, Settings

SERVER_SCRIPT = PROJECT_ROOT / "server.py"
# A store server stands in for a store on a machine of its own: it stops a runaway query itself after this long, and
# runs at a lower CPU priority, so work it goes on with after the app gave up cannot starve the app under test.
STORE_TIMEOUT_S = 10
STORE_NICENESS = 10


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on now (the OS picks it)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def stop_process(process: subprocess.Popen | None, timeout: float = 20.0) -> None:
    """SIGTERM, then SIGKILL if it does not exit within the timeout."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def stop_processes(*processes: subprocess.Popen | None, timeout: float = 15.0) -> None:
    """SIGTERM to all at once (they shut down side by side), then SIGKILL to any still running after the timeout."""
    for process in processes:
        if process is not None and process.poll() is None:
            process.terminate()
    for process in processes:
        stop_process(process, timeout)


def wait_until(
    ready: Callable[[], bool], process: subprocess.Popen, timeout: float, what: str, log: Callable[[], str] = lambda: ""
) -> float:
    """Poll `ready()` until it is true; seconds it took. RuntimeError if the process exits or time runs out."""
    started = time.monotonic()
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}:\n{log()[-3000:]}")
        try:
            if ready():
                return time.monotonic() - started
        except OSError:  # refused, reset, timed out: not up yet
            pass
        if time.monotonic() - started > timeout:
            stop_process(process)
            raise RuntimeError(f"{what} did not answer within {timeout:g} s:\n{log()[-3000:]}")
        time.sleep(0.05)


def answers(url: str, *, method: str = "GET", data: dict | None = None, timeout: float = 5.0) -> bool:
    """Whether a GET (or POST of a form) to the URL answers 200."""
    import requests

    try:
        return requests.request(method, url, data=data, timeout=timeout).status_code == 200
    except requests.RequestException:
        return False


@dataclass
class ServerProcess:
    """A `python server.py` subprocess."""

    process: subprocess.Popen
    port: int
    log_path: Path
    host: str = "127.0.0.1"
    started_in: float = 0.0  # seconds from the start of the process to its first answer

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        stop_process(self.process)


def built_settings(build_dir: Path | None = None):
    """The settings from the environment, on `build_dir` when given, with a fresh build there (built if missing or
    stale): what a benchmark serves and measures."""
    from dataclasses import replace

    from kg.config import load_settings
    from kg.server import ensure_build

    settings = load_settings()
    if build_dir is not None:
        settings = replace(settings, build_dir=Path(build_dir).resolve())
    ensure_build(settings)
    return settings


def start_app_server(
    build_dir: Path,
    log_path: Path,
    *flags: str,
    env: dict[str, str] | None = None,
    port: int | None = None,
    timeout: float = 90.0,
    build: bool = False,
) -> ServerProcess:
    """Start `python server.py` on the given build and wait until /sparql answers an ASK. `build=True` lets the
    server build first if the build is stale (without it, --no-build)."""
    port = port or free_port()
    environment = {**os.environ, "KG_BUILD_DIR": str(build_dir), **(env or {})}
    command = [sys.executable, str(SERVER_SCRIPT), "--port", str(port), *([] if build else ["--no-build"]), *flags]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    server = ServerProcess(process, port, log_path)
    server.started_in = wait_until(
        lambda: answers(server.url + "/sparql?query=ASK%20%7B%7D"), process, timeout, "server.py", server.log
    )
    return server


def oxigraph_command() -> str | None:
    return shutil.which("oxigraph")


class OxigraphServer:
    """One `oxigraph serve` process; can be killed and started again on the same port and data folder.

    `niceness` lowers its CPU priority: a store on a machine of its own is what it stands in for, and work it goes on
    with after the app gave up (a runaway query) must not starve the app under test on a small machine."""

    def __init__(
        self,
        location: Path,
        port: int | None = None,
        *,
        timeout_s: int = STORE_TIMEOUT_S,
        niceness: int = STORE_NICENESS,
        read_only: bool = False,
        union_default_graph: bool = False,
    ):
        self.location = location
        self.port = port or free_port()
        self.timeout_s, self.niceness = timeout_s, niceness
        self.read_only, self.union_default_graph = read_only, union_default_graph
        self.process: subprocess.Popen | None = None
        self.log = location.parent / f"{location.name}.log"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def query_url(self) -> str:
        return self.base + "/query"

    def load(self, nquads: Path) -> OxigraphServer:
        """Bulk-load a file into the data folder (the server must not be running)."""
        subprocess.run(
            [self._command(), "load", "--location", str(self.location), "--file", str(nquads)],
            check=True,
            capture_output=True,
        )
        return self

    def _command(self) -> str:
        command = oxigraph_command()
        if command is None:
            raise RuntimeError("the `oxigraph` server command is not installed (pip install oxigraph)")
        return command

    def start(self, timeout: float = 15.0) -> OxigraphServer:
        command = self._command()
        nice = ["nice", "-n", str(self.niceness)] if self.niceness and shutil.which("nice") else []
        args = [
            *nice,
            command,
            "serve-read-only" if self.read_only else "serve",
            "--location",
            str(self.location),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--timeout-s",
            str(self.timeout_s),
        ]
        if self.union_default_graph:
            args.append("--union-default-graph")
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        wait_until(
            lambda: answers(self.query_url, method="POST", data={"query": "ASK {}"}, timeout=1),
            self.process,
            timeout,
            "oxigraph serve",
            lambda: self.log.read_text(errors="replace"),
        )
        return self

    def kill(self) -> None:
        """Stop the server at once, as a crash would (SIGKILL)."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def stop(self) -> None:
        stop_process(self.process, 10)
        self.process = None

    def settings(self, base: Settings, **overrides) -> Settings:
        """The given settings pointed at this server."""
        return replace(base, store=self.query_url, **overrides)

    def dump(self) -> bytes:
        """Everything the server holds, as N-Quads (sorted lines, so two dumps compare)."""
        import requests

        r = requests.get(self.base + "/store", headers={"Accept": "application/n-quads"}, timeout=30)
        r.raise_for_status()
        return b"\n".join(sorted(r.content.splitlines()))


# --- bounded load on loopback, for the deployment tests and benchmarks/replicas.py


@dataclass(frozen=True)
class Call:
    """One request of a load mix: `requests.request(method, base + path, **options)`."""

    kind: str
    method: str
    path: str
    options: dict = field(default_factory=dict)


@dataclass
class Outcome:
    """What one request of a load gave: its status (None if no answer), the error, and what `check` objected to."""

    call: Call
    started: float
    ended: float
    status: int | None = None
    error: str | None = None
    problem: str | None = None
    note: object = None  # what `check` returned besides a problem (e.g. which build answered)

    @property
    def failed(self) -> bool:
        return self.status is None or self.status >= 500 or self.error is not None or self.problem is not None


def _retrying_session():
    """A keep-alive session that sends a request once more on a new connection when the kept-alive one had been
    closed by the other side (no byte of an answer came back), as browsers and urllib3 do for safe requests; every
    request of a load mix is safe (the endpoint is read-only). A wrong answer, an error status or a response cut in
    the middle is never retried: those are failures."""
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    retry = Retry(
        total=1,
        connect=1,
        read=1,
        status=0,
        redirect=0,
        other=0,
        allowed_methods=frozenset({"GET", "HEAD", "POST", "OPTIONS"}),
        raise_on_status=False,
    )
    session = requests.Session()
    session.mount("http://", HTTPAdapter(max_retries=retry))
    return session


def run_load(
    base_url: str,
    mix: list[Call],
    *,
    concurrency: int = 4,
    max_requests: int = 1000,
    max_seconds: float = 120.0,
    until: threading.Event | None = None,
    after: int = 0,
    check: Callable | None = None,
    on_outcome: Callable[[int], None] | None = None,
    request_timeout: float = 30.0,
) -> list[Outcome]:
    """Send the mix round-robin from `concurrency` threads (one keep-alive session each) until `max_requests` are done
    or `max_seconds` have passed, or, with `until`, once it is set and `after` more requests are done. Loopback only.

    `check(call, response)` returns None, a problem (str), or (problem, note); `on_outcome(n)` is told the count."""
    import requests

    if not base_url.startswith(("http://127.0.0.1:", "http://[::1]:", "http://localhost:")):
        raise ValueError(f"load is for loopback addresses only, not {base_url}")
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    counter = iter(range(max_requests))
    deadline = time.monotonic() + max_seconds
    stop_at: list[int] = []

    def take() -> int | None:
        with lock:
            if until is not None and until.is_set() and not stop_at:
                stop_at.append(len(outcomes) + after)
            if (stop_at and len(outcomes) >= stop_at[0]) or time.monotonic() > deadline:
                return None
            return next(counter, None)

    def worker() -> None:
        with _retrying_session() as session:
            while (n := take()) is not None:
                call = mix[n % len(mix)]
                outcome = Outcome(call, time.monotonic(), 0.0)
                try:
                    resp = session.request(
                        call.method,
                        base_url + call.path,
                        timeout=request_timeout,
                        allow_redirects=False,
                        **call.options,
                    )
                    outcome.status = resp.status_code
                    verdict = check(call, resp) if check else None
                    outcome.problem, outcome.note = verdict if isinstance(verdict, tuple) else (verdict, None)
                except requests.RequestException as exc:
                    outcome.error = f"{type(exc).__name__}: {exc}"
                outcome.ended = time.monotonic()
                with lock:
                    outcomes.append(outcome)
                    done = len(outcomes)
                if on_outcome:
                    on_outcome(done)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes
