"""What the pages know about the dataset: names, types, passages, figures and the ontology, read once from the store.

The built dataset is read-only while the server runs, so the small tables every page needs (labels of every IRI,
asserted types, passages, figures, the ontology) are read from the store once, on first use, and kept with the app.
Everything entity-specific is queried per request with the entity bound as a variable.

A `Site` is one version of the data as the pages see it, made of parts with one job each:

    queries   runner.py     the pages' named queries, run against the store
    memo      runner.py     values the pages derive, computed once per Site
    names     names.py      labels, alternative labels, asserted types
    passages  passages.py   the report's passages and what was derived from each
    figures   figures.py    the figures in report order, their growth figures, the figures of an entity
    ontology  ontology.py   classes, properties, inverses, superproperties, class sizes, indicator groups, units
    report    report.py     the report and the district it is about
    urls      urls.py       the page that shows an IRI
"""

from __future__ import annotations

from flask import current_app

from kg.config import Settings
from kg.rdf import vocab
from kg.web.dataset_index.figures import Figures
from kg.web.dataset_index.names import Names
from kg.web.dataset_index.ontology import Ontology
from kg.web.dataset_index.passages import Passages
from kg.web.dataset_index.report import Report
from kg.web.dataset_index.runner import QUERIES_DIR, Memo, QueryRunner
from kg.web.dataset_index.urls import PageUrls
from kg.web.iris import IriMap

__all__ = ["QUERIES_DIR", "VERSION_KEY", "Site", "site"]

EXTENSION_KEY = "kg_web_site"
VERSION_KEY = "kg_data_version"


class Site:
    """The dataset as the pages see it. One per app and data version; its tables are read lazily and thread-safely."""

    def __init__(self, settings: Settings, store, version: str = ""):
        self.settings = settings
        self.store = store
        self.version = version  # the store's data version these tables were read from
        self.iris = IriMap(settings.base_iri)
        self.prefixes = vocab.prefixes_for(self.iris.def_ns, self.iris.id_ns)
        self.queries = QueryRunner(store, settings.base_iri)
        self.memo = Memo()
        self.passages = Passages(self.queries, self.iris)
        self.names = Names(self.queries, self.iris, self.prefixes, self.passages)
        self.ontology = Ontology(self.queries)
        self.figures = Figures(self.queries, self.passages)
        self.report = Report(self.queries)
        self.urls = PageUrls(self.iris, self.ontology)
        self.link_cache: dict[tuple[str, str, str], object] = {}  # (iri, lang, css class) -> link markup

    def warm(self) -> None:
        """Read every table now (the first page otherwise pays for it)."""
        for part in (self.names, self.passages, self.ontology, self.figures, self.report):
            part.warm()


def site() -> Site:
    """The Site of the current app, created on first use and again whenever the store holds other data (a remote
    store after `kg load`): its tables are read from one version of the data."""
    app = current_app
    data_version = app.extensions.get(VERSION_KEY)
    version = data_version.get() if data_version is not None else ""  # refreshed in the background, never waited for
    s = app.extensions.get(EXTENSION_KEY)
    if s is None or s.store is not app.extensions["kg_store"] or s.version != version:
        s = Site(app.config["KG_SETTINGS"], app.extensions["kg_store"], version)
        app.extensions[EXTENSION_KEY] = s
    return s
