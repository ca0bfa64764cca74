"""A real Oxigraph SPARQL server for the tests (`oxigraph serve` from the `oxigraph` package on PyPI).

- `oxigraph_servers`: a factory; each call starts a server on a free loopback port with its own data folder.
- `oxigraph_server`: the session's shared server, holding the session's build loaded by `kg load`.
- `kg_store`: parametrizes a test over both backends, "embedded" and "remote" (the Oxigraph server), with the KG_*
  settings that select each; live-server fixtures take it to run the same suite on both.

The server is started without --union-default-graph on purpose: the app must present the union itself.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest

from kg.config import Settings
from kg.testing import OxigraphServer, oxigraph_command

# oxigraph serve runs with a --timeout-s of its own (kg.testing.OxigraphServer), so a runaway query is stopped by
# the server too and cannot keep a core.


@pytest.fixture(scope="session")
def oxigraph_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """Start Oxigraph servers: `start()` gives a new, empty one; all are stopped at the end of the session."""
    servers: list[OxigraphServer] = []

    def start() -> OxigraphServer:
        if oxigraph_command() is None:
            pytest.skip("the `oxigraph` server command is not installed (pip install oxigraph)")
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
    from kg.store.loader import load

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
# those backends only. The "remote" and "virtuoso" tests are marked `backends` too (tests/conftest.py), so that
# `-m "not backends"` keeps the embedded ones without starting a store server.
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
