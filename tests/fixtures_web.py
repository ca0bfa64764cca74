"""Fixtures for the browsing UI's tests: the app on the session's fresh build and a test client.

The browser tests use the shared `live_server` fixture of tests/conftest.py (a real `python server.py`).
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kg.config import Settings

BASE = "https://w3id.org/jinpu-kg/"  # the default dataset base the tests' build uses


@pytest.fixture(scope="session")
def web_app(build_settings: Settings, kg_store) -> Flask:
    """The app on the session's build, once per backend (`kg_store`: the embedded store, then an Oxigraph server)."""
    from kg.app import create_app

    app = create_app(kg_store.settings(build_settings))
    app.config["TESTING"] = True
    return app


@pytest.fixture()
def web_client(web_app: Flask) -> FlaskClient:
    return web_app.test_client()
