"""The browsing UI over a store: the route table (here), the dataset index the pages share (dataset_index), one module
per kind of page (pages/), rendering and formatting (rendering, html, linked_data, charts, labels, i18n), the .rq
files the pages run (queries/) and the example queries (examples/ with examples.py).

    /, /index.json                 pages/home.py       what the dataset is, headline figures, the tasks people come for
    /id/<name>, /def               pages/entity.py     the IRIs themselves: 303 to /page/<name> or /data/<name>.<ext>
    /page/<name>                   pages/entity.py     entity page (HTML); /page/def is the ontology documentation
    /data/<name>[.<ext>]           pages/entity.py     the entity's description: .ttl .jsonld .nt .rdf (or by Accept)
    /term/<Local>                  pages/entity.py     page of an ontology term that is not a class
    /class/, /class/<Local>        pages/classes.py    classes and their members (sortable; .json .csv twins)
    /search, /search.json          pages/search.py     search of names, figures and every sentence of the report
    /search/suggest.json           pages/search.py     suggestions while typing, from labels in both languages
    /compare                       pages/compare.py    2-8 figures side by side (?f=…), a chart per comparable group
    /compare.csv, /compare.xlsx    pages/compare.py    the compared figures as CSV and Excel
    /query                         pages/query.py      SPARQL editor (YASGUI), example queries, results with downloads
    /query.csv                     pages/query.py      a query's results as CSV with a label beside every IRI
    /query.csv-metadata.json       pages/query.py      its CSV on the Web metadata (models/csvw.py; class CSVs too)
    /query/terms.json              pages/query.py      what the editor completes (prefixes, terms, entities)
    /cite/<name>.txt|.bib|.json    pages/cite.py       how to cite it: plain text, BibTeX, CSL-JSON
    /report, /report.json          pages/report.py     the source report, every passage that produced a fact highlighted
    /ontology                      pages/ontology.py   redirects to /page/def
    /downloads, /download/<file>   pages/downloads.py  dataset dumps, ontology, shapes, VoID, validation report files
    /.well-known/void              pages/downloads.py  the VoID description
    /void, /graph/<name>           pages/downloads.py  the dataset's IRI (VoID and DCAT, by Accept) and named graphs
    /sitemap.xml, /robots.txt      pages/downloads.py  every entity and figure page; where the sitemap is (catalog.py)
    /source/<file>                 pages/downloads.py  the source text of the report
    /validation                    pages/downloads.py  the validation report of the current build, as a page
    /healthz                       pages/health.py     readiness: 200 when this process answers from its data, else 503
    /reconcile                     pages/reconcile.py  Reconciliation Service API 0.2: manifest (GET), queries (POST)
    /reconcile/suggest/entity      pages/reconcile.py  its suggest services: /reconcile/suggest/type and
                                                       /reconcile/suggest/property too
    /reconcile/preview             pages/reconcile.py  an entity's preview, an HTML snippet
"""

from __future__ import annotations

import threading

from flask import Blueprint, Flask, request
from werkzeug.exceptions import HTTPException

from kg.store.base import ExecutionError
from kg.web import quotes, rendering
from kg.web.dataset_index import site
from kg.web.pages import (
    cite,
    classes,
    compare,
    downloads,
    entity,
    health,
    home,
    ontology,
    query,
    reconcile,
    report,
    search,
)

bp = Blueprint("web", __name__)

bp.before_request(rendering.before_request)
bp.add_app_template_filter(rendering.ucfirst, "ucfirst")
bp.add_app_template_filter(quotes.cut, "quote_cut")
bp.after_request(rendering.after_request)
bp.after_app_request(rendering.cors)
bp.app_errorhandler(HTTPException)(rendering.error_page)
bp.app_errorhandler(ExecutionError)(rendering.store_error_page)

ROUTES = [
    ("/", home.home),
    ("/index.json", home.home_json),
    ("/id/<path:name>", entity.dereference),
    ("/def", entity.dereference_ontology),
    ("/page/<path:name>", entity.page),
    ("/data/<path:name>", entity.data),
    ("/term/<path:local>", entity.term_page),
    ("/class/", classes.index),
    ("/class/<path:local>", classes.class_page),
    ("/search", search.search),
    ("/search.json", search.search_json),
    ("/search/suggest.json", search.suggest_json),
    ("/compare", compare.compare),
    ("/compare.csv", compare.compare_csv),
    ("/compare.xlsx", compare.compare_xlsx),
    ("/query", query.query_page),  # also POST, for queries too long for a URL
    ("/query/terms.json", query.terms_json),
    ("/query.csv", query.labelled_csv),
    ("/query.csv-metadata.json", query.labelled_csv_metadata),
    ("/report", report.report),
    ("/cite/<path:name>", cite.cite),
    ("/report.json", report.report_json),
    ("/ontology", ontology.ontology_redirect),
    ("/downloads", downloads.index),
    ("/download/<path:filename>", downloads.download),
    ("/.well-known/void", downloads.void),
    ("/void", downloads.void_iri),
    ("/graph/<name>", downloads.graph),
    ("/source/<path:filename>", downloads.source),
    ("/validation", downloads.validation),
    ("/healthz", health.healthz),
    ("/sitemap.xml", downloads.sitemap),
    ("/robots.txt", downloads.robots),
    ("/reconcile", reconcile.service),  # also POST: a batch of queries
    ("/reconcile/suggest/entity", reconcile.suggest_entity),
    ("/reconcile/suggest/type", reconcile.suggest_type),
    ("/reconcile/suggest/property", reconcile.suggest_property),
    ("/reconcile/preview", reconcile.preview),
]
POST_VIEWS = (query.query_page, reconcile.service)

for rule, view in ROUTES:
    endpoint = f"{view.__module__.rsplit('.', 1)[-1]}_{view.__name__}"
    methods = ["GET", "HEAD", "POST"] if view in POST_VIEWS else ["GET", "HEAD"]
    bp.add_url_rule(rule, endpoint=endpoint, view_func=view, methods=methods)

# Pages whose derived tables are worth computing before the first visitor asks.
WARM_PAGES = (search, report, ontology, classes)


def warm(app: Flask) -> threading.Thread:
    """Read the tables the pages need in the background, so the first visitor does not wait for them."""

    def run() -> None:
        with app.app_context():
            try:
                s = site()
                s.warm()
                for name in app.jinja_env.list_templates(extensions=["html"]):
                    app.jinja_env.get_template(name)  # compiled once, here
                for page in WARM_PAGES:
                    page.warm(s)
            except Exception:  # a failed warm-up only means the first page reads the tables itself
                app.logger.warning("warming the page tables failed", exc_info=True)

    thread = threading.Thread(target=run, name="kg-web-warmup", daemon=True)
    thread.start()
    return thread


STATIC_CACHE_CONTROL = "public, max-age=31536000, immutable"


def static_version(app: Flask) -> str:
    """A digest of the static assets: part of their URLs (/static/style.css?v=...), so they can be cached for a
    year and still change with a new release."""
    import hashlib
    from pathlib import Path

    digest = hashlib.blake2b(digest_size=6)
    folder = Path(app.static_folder or "")
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    version = static_version(app)
    app.jinja_env.globals["static_version"] = version

    @app.after_request
    def cache_static(resp):
        if request.endpoint == "static" and request.args.get("v") == version and resp.status_code in (200, 304):
            resp.headers["Cache-Control"] = STATIC_CACHE_CONTROL
        return resp

    warm(app)
