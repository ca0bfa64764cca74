"""The app on a remote store that dies mid-run: 503 with a message while it is down, recovery without a restart."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from kg.app import create_app
from kg.config import Settings
from kg.store.loader import load


@pytest.fixture(params=["oxigraph", "virtuoso"])
def fragile_store(request: pytest.FixtureRequest, build_settings: Settings):
    """A server of its own (this test kills it), Oxigraph or Virtuoso, loaded with the build."""
    server = request.getfixturevalue(f"{request.param}_servers")()
    settings = server.settings(build_settings, timeout=5.0)
    load(settings)
    return server, settings


# Pages that ask the store on every request (search and the home page answer from tables the site read at start).
PAGES = ["/page/jinpu", "/data/jinpu.ttl"]


def test_remote_pages_answer_503_while_the_store_is_down_and_recover(fragile_store) -> None:
    server, settings = fragile_store
    app = create_app(settings)
    client = app.test_client()
    for path in PAGES:
        assert client.get(path).status_code == 200, path
    server.kill()
    for path in PAGES:
        t = time.monotonic()
        response = client.get(path, headers={"Accept": "text/plain"})
        assert response.status_code == 503, path
        assert "not reachable" in response.get_data(as_text=True), path
        assert time.monotonic() - t < 3, path
    server.start()
    for path in PAGES:
        assert client.get(path).status_code == 200, path


def test_remote_app_started_while_the_store_is_down_recovers(fragile_store) -> None:
    server, settings = fragile_store
    server.kill()
    app = create_app(settings)  # starting the app does not need the store
    client = app.test_client()
    response = client.get("/page/jinpu")
    assert response.status_code == 503
    assert "not reachable" in response.get_data(as_text=True)
    server.start()
    assert client.get("/page/jinpu").status_code == 200


def test_remote_sparql_answers_503_while_the_store_is_down_and_recovers(fragile_store) -> None:
    from kg.sparql import EXTENSION

    server, settings = fragile_store
    app = create_app(settings)
    client = app.test_client()
    try:
        # A different query each time, so that no answer comes from the endpoint's response cache.
        def ask(n: int):
            return client.get(
                "/sparql",
                query_string={"query": f"SELECT (COUNT(*) + {n} AS ?n) WHERE {{ ?s ?p ?o }}"},
                headers={"Accept": "application/sparql-results+json"},
            )

        assert ask(1).status_code == 200
        server.kill()
        t = time.monotonic()
        down = ask(2)
        assert down.status_code == 503
        assert "not reachable" in down.get_data(as_text=True)
        assert time.monotonic() - t < 5
        server.start()
        up = ask(3)
        assert up.status_code == 200, up.get_data(as_text=True)
        assert up.get_json()["results"]["bindings"]
    finally:
        app.extensions[EXTENSION].close()


def test_remote_live_server_survives_the_store_dying_mid_run(fragile_store, build_settings: Settings) -> None:
    """End to end: `python server.py --store URL` (gunicorn, query workers); the store is killed and restarted."""
    import os
    import subprocess
    import sys

    import requests

    from kg.testing import free_port

    server, _ = fragile_store
    port = free_port()
    env = dict(os.environ, KG_STORE=server.query_url, KG_TIMEOUT="5", KG_BUILD_DIR=str(build_settings.build_dir))
    app = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).resolve().parents[1] / "server.py"),
            "--port",
            str(port),
            "--processes",
            "1",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(base + "/page/jinpu", timeout=10).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert app.poll() is None and time.monotonic() < deadline, "server.py did not come up"
            time.sleep(0.2)

        def sparql(n: int) -> requests.Response:
            query = f"SELECT (COUNT(*) + {n} AS ?n) WHERE {{ ?s ?p ?o }}"
            return requests.get(
                base + "/sparql",
                params={"query": query},
                timeout=20,
                headers={"Accept": "application/sparql-results+json"},
            )

        assert sparql(1).status_code == 200
        server.kill()
        t = time.monotonic()
        page, answer = requests.get(base + "/page/jinpu", headers={"Accept": "text/plain"}, timeout=20), sparql(2)
        assert time.monotonic() - t < 8
        for response in (page, answer):
            assert response.status_code == 503
            assert "not reachable" in response.text
        server.start()
        assert requests.get(base + "/page/jinpu", timeout=20).status_code == 200
        assert sparql(3).status_code == 200
    finally:
        app.terminate()
        app.wait(15)
