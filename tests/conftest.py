"""Shared server fixtures: the session's build, and real servers (`python server.py`) on free loopback ports.

- `built`: the folder of the session's fresh build (the `build_settings` fixture of tests/fixtures_build.py).
- `start_server(*flags, env={...})`: starts `python server.py --port <free> --no-build <flags>` on that build and
  returns a `ServerProcess` (`.url`, `.port`, `.log()`); every server is stopped at the end of the session.
- `live_server`: base URL (no trailing slash) of the session's shared server with the default settings.

Note: pytest only honours `pytest_plugins` in the top-level conftest.py; register fixture modules
(tests/fixtures_*.py) in the list there, not here.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from kg.config import Settings

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 90  # generous: CI machines are slow and busy; this only proves the server comes up


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ServerProcess:
    """A `python server.py` subprocess."""

    process: subprocess.Popen
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


@pytest.fixture(scope="session")
def built(build_settings: Settings) -> Path:
    """The session's build folder (dataset.nq, manifest.json ...), built once from the project's sources."""
    return build_settings.build_dir


@pytest.fixture(scope="session")
def start_server(
    built: Path, tmp_path_factory: pytest.TempPathFactory, kg_store
) -> Iterator[Callable[..., ServerProcess]]:
    """A factory: start_server("--timeout", "2", env={"KG_MAX_ROWS": "5"}) -> a running ServerProcess.

    Servers use the store of `kg_store` (tests/fixtures_oxigraph.py): every test that starts one, or uses
    `live_server`, runs once on the embedded store and once on an Oxigraph server."""
    servers: list[ServerProcess] = []
    logs = tmp_path_factory.mktemp("server-logs")

    def start(*flags: str, env: dict[str, str] | None = None) -> ServerProcess:
        port = free_port()
        log_path = logs / f"server-{port}.log"
        environment = {**os.environ, "KG_BUILD_DIR": str(built), **kg_store.environ, **(env or {})}
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [sys.executable, str(ROOT / "server.py"), "--port", str(port), "--no-build", *flags],
                cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
        server = ServerProcess(process, port, log_path)
        servers.append(server)
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server.py exited with {process.returncode}:\n{server.log()[-3000:]}")
            try:
                if requests.get(server.url + "/sparql", params={"query": "ASK {}"}, timeout=5).status_code == 200:
                    return server
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"server.py did not answer within {START_TIMEOUT_S} s:\n{server.log()[-3000:]}")
            time.sleep(0.05)

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def live_server(start_server: Callable[..., ServerProcess]) -> str:
    """Base URL of the session's shared server (default settings, the session's build)."""
    return start_server().url
