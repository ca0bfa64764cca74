"""The Flask app factory: one store opened at start-up, the SPARQL protocol and the browsing views as blueprints."""

from __future__ import annotations

from flask import Flask

from kg.config import Settings, load_settings
from kg.store import open_store


def create_app(settings: Settings | None = None, store=None) -> Flask:
    settings = settings or load_settings()
    app = Flask(__name__, template_folder="web/templates", static_folder="web/static")
    app.config["KG_SETTINGS"] = settings
    app.extensions["kg_store"] = store = store if store is not None else open_store(settings)

    from kg import sparql
    from kg.web import views

    sparql.init_app(app, settings, store)
    app.register_blueprint(views.bp)
    return app
