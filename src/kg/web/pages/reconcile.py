"""The reconciliation service (Reconciliation Service API 0.2), for OpenRefine and other reconciliation clients:

    GET  /reconcile                      the service manifest (JSON)
    POST /reconcile  queries={...}       a batch of reconciliation queries (GET with queries=... works too)
    GET  /reconcile/suggest/entity       prefix=, type=, cursor=: entities by name, for auto-completion
    GET  /reconcile/suggest/type         prefix=, cursor=: classes of the ontology
    GET  /reconcile/suggest/property     prefix=, cursor=: properties of the ontology
    GET  /reconcile/preview?id=          an HTML snippet about an entity, for a client's preview pane

The matching and scoring are kg.web.models.reconcile's. A batch's time counts against the client's fair share of
query time, as a /sparql query's does. Bad input is a 400 with a JSON message; every answer may be read from any
origin (CORS), as everywhere on the site.
"""

from __future__ import annotations

import time
import unicodedata

from flask import Response, current_app, jsonify, request
from markupsafe import Markup

from kg.sparql.fairshare import TooBusy
from kg.sparql.service import EXTENSION
from kg.web.dataset_index import site
from kg.web.html import Formatter
from kg.web.models import reconcile as model
from kg.web.rendering import lang

SERVICE_NAME = "Jinpu KG (金普新区 2021)"
MAX_FIELD = 200_000
MAX_CURSOR = 10_000


def _bad(message: str, status: int = 400, retry_after: int = 0) -> Response:
    resp = jsonify({"status": status, "error": "Bad request" if status == 400 else "Too busy", "message": message})
    resp.status_code = status
    if retry_after:
        resp.headers["Retry-After"] = str(retry_after)
    return resp


def _answer_charged(s, batch: dict) -> Response:
    """The batch's answers, their time charged to the client's fair share of query time as /sparql charges a
    query's (kg.sparql.fairshare): a client over its share is refused (429) before anything runs."""
    share = current_app.extensions[EXTENSION].fairshare
    client = request.remote_addr or ""
    try:
        share.admit(client, "reconcile")
    except TooBusy as exc:
        return _bad(exc.message, exc.status, exc.retry_after)
    started = time.monotonic()
    try:
        return jsonify(model.answer_batch(s, batch))
    finally:
        share.finish(client, time.monotonic() - started)


def _root() -> str:
    return request.host_url.rstrip("/") + request.script_root


def _text_arg(name: str, required: bool = False) -> str:
    value = request.values.get(name, "")
    if required and not value.strip():
        raise model.ReconcileError(f"The {name} parameter is required.")
    if len(value) > (MAX_FIELD if name == "queries" else model.MAX_Q):
        raise model.ReconcileError(f"The {name} parameter is too long.")
    if any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in value):
        raise model.ReconcileError(f"The {name} parameter contains control characters.")
    return value


def _cursor() -> int:
    raw = request.args.get("cursor", "0")
    if not raw.isdigit() or int(raw) > MAX_CURSOR:
        raise model.ReconcileError(f"cursor must be a whole number from 0 to {MAX_CURSOR}.")
    return int(raw)


def service() -> Response:
    """The manifest, or the answers to a batch of queries."""
    try:
        s = site()
        if "queries" not in request.values:
            if request.method == "POST":
                raise model.ReconcileError("Send the queries as the form field queries={...} (JSON).")
            return jsonify(model.manifest(s, _root(), SERVICE_NAME))
        batch = model.parse_batch(s, _text_arg("queries", required=True))
        return _answer_charged(s, batch)
    except model.ReconcileError as exc:
        return _bad(str(exc))


def suggest(kind: str) -> Response:
    try:
        s = site()
        prefix = _text_arg("prefix", required=True)
        cursor = _cursor()
        if kind == "entity":
            return jsonify(model.suggest_entities(s, prefix, request.args.get("type") or None, cursor, lang()))
        known = s.ontology.classes if kind == "type" else s.ontology.properties
        return jsonify(model.suggest_terms(s, prefix, known, cursor, lang()))
    except model.ReconcileError as exc:
        return _bad(str(exc))


def suggest_entity() -> Response:
    return suggest("entity")


def suggest_type() -> Response:
    return suggest("type")


def suggest_property() -> Response:
    return suggest("property")


def preview() -> Response:
    """A small HTML document about the entity: its names in both languages, its types, the report's words."""
    s = site()
    ident = request.args.get("id", "")
    iri = model.resolve_entity(s, ident) if ident and len(ident) <= model.MAX_Q else None
    if iri is None:
        return _bad("Unknown entity id: give the id of a reconciliation candidate as id=...")
    f = Formatter(s, lang())
    zh, en = s.names.label_in(iri, "zh") or "", s.names.label_in(iri, "en") or ""
    types = ", ".join(s.names.label(t, lang()) for t in s.names.types.get(iri, []))
    quotes = [p.exact for p in s.passages.sources(iri)][:2]
    figure = s.figures.get(iri)
    body = Markup(
        '<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title></head>'
        '<body style="font:14px/1.4 sans-serif;margin:6px"><p><a href="{page}" target="_blank"><strong lang="zh">'
        '{zh}</strong></a> <span lang="en">{en}</span></p><p>{types}</p>{figure}{quotes}</body></html>'
    ).format(
        lang=lang(),
        title=s.names.label(iri, lang()),
        page=_root() + (s.urls.page(iri) or ""),
        zh=zh,
        en=en,
        types=types,
        figure=Markup("<p>{}</p>").format(f.figure_text(figure)) if figure else "",
        quotes=Markup("").join(Markup('<blockquote lang="zh">{}</blockquote>').format(q) for q in quotes),
    )
    return Response(str(body), mimetype="text/html")
