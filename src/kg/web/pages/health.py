"""Readiness for load balancers and orchestrators: GET /healthz is 200 only when this process can answer from the
data its settings name, 503 with the reason otherwise. Cheap: one ASK on the store, nothing rendered."""

from __future__ import annotations

from flask import Response, current_app, jsonify

from kg.artifacts import BuildArtifacts
from kg.sparql.errors import message_of
from kg.store.base import ExecutionError
from kg.web.dataset_index import VERSION_KEY

ANY_TRIPLE = "ASK { ?s ?p ?o }"


def readiness() -> tuple[bool, dict]:
    """(ready, what a balancer and an operator want to know)."""
    app = current_app
    settings = app.config["KG_SETTINGS"]
    store = app.extensions["kg_store"]
    version = app.extensions[VERSION_KEY].get()
    info: dict = {"version": version, "base_iri": settings.base_iri, "store": type(store).__name__}
    if settings.store == "embedded":
        built_for = BuildArtifacts(settings.build_dir).base_iri
        if built_for and built_for != settings.base_iri:
            return False, {**info, "reason": f"the build is for the base {built_for}, not {settings.base_iri}"}
    if not version:
        return False, {**info, "reason": "the store holds no loaded build (run kg load)"}
    try:
        if not store.ask(ANY_TRIPLE):
            return False, {**info, "reason": "the store's graph is empty"}
    except ExecutionError as exc:
        return False, {**info, "reason": f"the store does not answer: {message_of(exc)}"}
    return True, info


def healthz() -> Response:
    ready, info = readiness()
    resp = jsonify({"status": "ready" if ready else "not ready", **info})
    resp.status_code = 200 if ready else 503
    resp.headers["Cache-Control"] = "no-store"
    return resp
