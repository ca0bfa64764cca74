"""The Flask app factory, composition only: open the store, mount the SPARQL protocol, mount the pages, warm up."""

from __future__ import annotations

from flask import Flask

from kg import sparql, web
from kg.config import Settings, load_settings
from kg.store import open_store
from kg.web.dataset_index import VERSION_KEY


def create_app(settings: Settings | None = None, store=None) -> Flask:
    settings = settings or load_settings()
    app = Flask(__name__, template_folder="web/templates", static_folder="web/static")
    app.config["KG_SETTINGS"] = settings
    app.extensions["kg_store"] = store = store if store is not None else open_store(settings)
    service = sparql.init_app(app, settings, store)
    app.extensions[VERSION_KEY] = service.data_version  # one version of the data for the endpoint and the pages
    web.init_app(app)
    return app


__all__ = ["create_app"]
