"""Fixtures for the real-clients suites (tests/test_clients_*.py): linked-data clients of other ecosystems.

- `node_client(script, *args)`: runs `node tests/clients/<script>` (Comunica, jsonld.js, N3.js, installed by
  `npm ci` in tests/clients, which .ci/run does) and returns what it printed as JSON; fails the test if the client
  tried to reach anything but the server under test.
- `rapper(*args)`: Redland's rapper (Debian's raptor2-utils) with --count; returns (triples or -1 on an error, the
  end of its log).
- `other_origin`: a second loopback server serving static pages (YASGUI vendored from tests/clients/node_modules),
  so that a browser runs them on another origin than the server under test.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

CLIENTS = Path(__file__).resolve().parent / "clients"
NODE_MODULES = CLIENTS / "node_modules"
CLIENT_TIMEOUT_S = 180  # generous: this only stops a client that hangs
DATASET_BASE = "https://w3id.org/jinpu-kg/"  # the base of the tests' build


def _need(path: Path, what: str) -> None:
    if not path.exists():
        pytest.fail(f"{what} is missing: run `bash .ci/run` (it runs `npm ci` in tests/clients)", pytrace=False)


@pytest.fixture(scope="session")
def node_client() -> Callable[..., dict]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed (Node.js 20 or newer)", pytrace=False)
    _need(NODE_MODULES, "tests/clients/node_modules")

    def run(script: str, *args: str) -> dict:
        done = subprocess.run(
            [node, str(CLIENTS / script), *args],
            check=False,
            cwd=CLIENTS,
            capture_output=True,
            text=True,
            timeout=CLIENT_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
        )
        assert done.returncode == 0, f"{script} failed ({done.returncode}):\n{done.stderr[-4000:]}"
        out = json.loads(done.stdout.strip().splitlines()[-1])
        assert out.pop("outside") == [], "the client tried to reach something other than the server under test"
        return out

    return run


@pytest.fixture(scope="session")
def rapper() -> Callable[..., tuple[int, str]]:
    command = shutil.which("rapper")
    if command is None:
        pytest.fail("rapper is not installed (Debian's raptor2-utils; .ci/run installs it)", pytrace=False)

    def run(*args: str) -> tuple[int, str]:
        done = subprocess.run(
            [command, "--count", *args],
            check=False,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=CLIENT_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
        )
        found = re.search(r"Parsing returned (\d+) triples", done.stderr)
        log = done.stderr[-1500:]
        if done.returncode != 0 or found is None:
            return -1, log
        return int(found.group(1)), log

    return run


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass  # the test output stays readable


@pytest.fixture(scope="session")
def other_origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a static loopback server on another port: yasgui.html with YASGUI's script and styles."""
    root = tmp_path_factory.mktemp("other-origin")
    yasgui = NODE_MODULES / "@zazuko" / "yasgui" / "build"
    _need(yasgui, "YASGUI (tests/clients/node_modules/@zazuko/yasgui)")
    for name in ("yasgui.min.js", "yasgui.min.css"):
        shutil.copy(yasgui / name, root / name)
    shutil.copy(CLIENTS / "yasgui.html", root / "yasgui.html")
    (root / "blank.html").write_text("<!doctype html><title>another origin</title>", encoding="utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, name="other-origin", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
