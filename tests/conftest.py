"""Shared server fixtures: the session's build, and real servers (`python server.py`) on free loopback ports.

- `built`: the folder of the session's fresh build (the `build_settings` fixture of tests/fixtures_build.py).
- `start_server(*flags, env={...})`: starts `python server.py --port <free> --no-build <flags>` on that build and
  returns a `ServerProcess` (`.url`, `.port`, `.log()`); every server is stopped at the end of the session.
- `live_server`: base URL (no trailing slash) of the session's shared server with the default settings.

Note: pytest only honours `pytest_plugins` in the top-level conftest.py; register fixture modules
(tests/fixtures_*.py) in the list there, not here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kg.config import Settings
from kg.testing import ServerProcess, free_port, start_app_server

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 90  # generous: CI machines are slow and busy; this only proves the server comes up


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
        server = start_app_server(
            built,
            logs / f"server-{port}.log",
            *flags,
            port=port,
            env={**kg_store.environ, **(env or {})},
            timeout=START_TIMEOUT_S,
        )
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def live_server(start_server: Callable[..., ServerProcess]) -> str:
    """Base URL of the session's shared server (default settings, the session's build)."""
    return start_server().url
