"""A real Virtuoso server for the tests (`virtuoso-t` of Debian's `virtuoso-opensource`, installed by .ci/run).

- `virtuoso_servers`: a factory; each call starts a server on free loopback ports with its own ini and database
  folder (never the system service's ports or files), with a loader account that may write (digest authentication
  on /sparql-auth) and anonymous read-only /sparql.
- `virtuoso_server`: the session's shared server, holding the session's build loaded by `kg load`. Started once per
  test session; the "virtuoso" backend of `kg_store` (tests/fixtures_oxigraph.py) uses it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kg.config import Settings
from kg.testing.virtuoso import VirtuosoServer, virtuoso_command


@pytest.fixture(scope="session")
def virtuoso_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """Start Virtuoso servers: `start()` gives a new, empty one; all are stopped at the end of the session."""
    servers: list[VirtuosoServer] = []

    def start() -> VirtuosoServer:
        if virtuoso_command() is None:
            pytest.skip("Virtuoso is not installed (apt-get install virtuoso-opensource)")
        server = VirtuosoServer(tmp_path_factory.mktemp("virtuoso"))
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def virtuoso_server(virtuoso_servers, build_settings: Settings) -> VirtuosoServer:
    """The session's Virtuoso server, holding the session's build (loaded by `kg load`)."""
    from kg.store.loader import load

    server = virtuoso_servers()
    load(server.settings(build_settings))
    return server
