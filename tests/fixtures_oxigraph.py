"""A real Oxigraph SPARQL server for the tests (`oxigraph serve` from the `oxigraph` package on PyPI).

- `oxigraph_servers`: a factory; each call starts a server on a free loopback port with its own data folder.
- `oxigraph_server`: the session's shared server, holding the session's build loaded by `kg load`.
- `kg_store`: parametrizes a test over both backends, "embedded" and "remote" (the Oxigraph server), with the KG_*
  settings that select each; live-server fixtures take it to run the same suite on both.

The server is started without --union-default-graph on purpose: the app must present the union itself.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import requests

from kg.config import Settings

# A runaway query (a test of the app's own time limit, say) is stopped by the server too, so it cannot keep a core.
SERVER_TIMEOUT_S = 10
# The server stands in for a store on a machine of its own: at a lower CPU priority, work it goes on with after the
# app gave up (a runaway query, until SERVER_TIMEOUT_S) cannot starve the app under test on a small CI machine.
SERVER_NICENESS = 10


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def oxigraph_command() -> str | None:
    return shutil.which("oxigraph")


class OxigraphServer:
    """One `oxigraph serve` process; can be killed and started again on the same port and data folder."""

    def __init__(self, location: Path, port: int | None = None):
        self.location = location
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None
        self.log = location.parent / f"{location.name}.log"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def query_url(self) -> str:
        return self.base + "/query"

    def start(self, timeout: float = 15.0) -> OxigraphServer:
        command = oxigraph_command()
        if command is None:
            pytest.skip("the `oxigraph` server command is not installed (pip install oxigraph)")
        with open(self.log, "ab") as log:
            nice = ["nice", "-n", str(SERVER_NICENESS)] if shutil.which("nice") else []  # before exec: every thread
            self.process = subprocess.Popen(
                [
                    *nice,
                    command,
                    "serve",
                    "--location",
                    str(self.location),
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--timeout-s",
                    str(SERVER_TIMEOUT_S),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"oxigraph serve exited with {self.process.returncode}: {self.log.read_text()}")
            try:
                if requests.post(self.query_url, data={"query": "ASK {}"}, timeout=1).ok:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"oxigraph serve did not answer on port {self.port} within {timeout}s")

    def kill(self) -> None:
        """Stop the server at once, as a crash would (SIGKILL)."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None

    def restart(self) -> None:
        self.kill()
        self.start()

    def settings(self, base: Settings, **overrides) -> Settings:
        """The given settings pointed at this server."""
        return replace(base, store=self.query_url, **overrides)

    def dump(self) -> bytes:
        """Everything the server holds, as N-Quads (sorted lines, so two dumps compare)."""
        r = requests.get(self.base + "/store", headers={"Accept": "application/n-quads"}, timeout=30)
        r.raise_for_status()
        return b"\n".join(sorted(r.content.splitlines()))


@pytest.fixture(scope="session")
def oxigraph_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """Start Oxigraph servers: `start()` gives a new, empty one; all are stopped at the end of the session."""
    servers: list[OxigraphServer] = []

    def start() -> OxigraphServer:
        folder = tmp_path_factory.mktemp("oxigraph")
        server = OxigraphServer(folder / "db").start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def oxigraph_server(oxigraph_servers, build_settings: Settings) -> OxigraphServer:
    """The session's Oxigraph server, holding the session's build (loaded by `kg load`)."""
    from kg.load import load

    server = oxigraph_servers()
    load(server.settings(build_settings))
    return server


@pytest.fixture(scope="session")
def remote_settings(oxigraph_server: OxigraphServer, build_settings: Settings) -> Settings:
    """Settings of the session's build served by the shared Oxigraph server."""
    return oxigraph_server.settings(build_settings)


# Test ids: "embedded", "remote" (Oxigraph) and "virtuoso", so that `pytest -k remote` runs every suite on the
# Oxigraph server too and `-k virtuoso` on Virtuoso (tests/fixtures_virtuoso.py).
# KG_TEST_BACKENDS=embedded (or =remote, =virtuoso, a comma-separated list) runs the live-server and page suites on
# those backends only.
BACKENDS = [b for b in os.environ.get("KG_TEST_BACKENDS", "embedded,remote,virtuoso").split(",") if b.strip()]


@dataclass(frozen=True)
class StoreChoice:
    """A backend for the app: its name and its KG_STORE value."""

    backend: str
    store: str

    @property
    def environ(self) -> dict[str, str]:
        """The environment variables that select this backend for a server process."""
        return {"KG_STORE": self.store}

    def settings(self, base: Settings) -> Settings:
        return replace(base, store=self.store)


@pytest.fixture(scope="session", params=BACKENDS)
def kg_store(request: pytest.FixtureRequest) -> StoreChoice:
    """Each backend in turn: "embedded", "remote" (the shared Oxigraph server) and "virtuoso" (the shared Virtuoso
    server), the servers loaded with the session's build.

    The live-server fixtures (tests/conftest.py) and the web app fixture (tests/fixtures_web.py) take this one, so
    every test that uses them runs once per backend."""
    if request.param == "embedded":
        return StoreChoice("embedded", "embedded")
    if request.param == "virtuoso":
        virtuoso = request.getfixturevalue("virtuoso_server")
        return StoreChoice("virtuoso", virtuoso.query_url)
    if request.param != "remote":
        raise ValueError(f"KG_TEST_BACKENDS: unknown backend {request.param!r} (embedded, remote, virtuoso)")
    server: OxigraphServer = request.getfixturevalue("oxigraph_server")
    return StoreChoice("remote", server.query_url)
