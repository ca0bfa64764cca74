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
    compress(app)
    return app


# Text responses over COMPRESS_MIN_SIZE bytes go out brotli- or gzip-compressed by Accept-Encoding (flask-compress);
# cached SPARQL answers are compressed by the endpoint itself (kg.sparql.answers.Answer.encoded), downloads come
# precompressed from the build.
COMPRESS_MIMETYPES = [
    "text/html",
    "text/plain",
    "text/css",
    "text/csv",
    "text/tab-separated-values",
    "text/turtle",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/ld+json",
    "application/n-triples",
    "application/n-quads",
    "application/trig",
    "application/rdf+xml",
    "application/xml",
    "image/svg+xml",
    "application/sparql-results+json",
    "application/sparql-results+xml",
]


def compress(app: Flask) -> None:
    from flask_compress import Compress

    app.config.update(
        COMPRESS_MIMETYPES=COMPRESS_MIMETYPES,
        COMPRESS_MIN_SIZE=1024,
        COMPRESS_ALGORITHM=["br", "gzip"],
        COMPRESS_BR_LEVEL=5,
        COMPRESS_LEVEL=6,
    )
    Compress(app)


__all__ = ["create_app"]
