"""The /sparql view: the blueprint, CORS preflight, error answers, and the cache fast path in front of Flask.

Repeated requests are the common case (the query page, dashboards, crawlers), so `SparqlFastPath` answers cache hits
as a plain WSGI app in front of Flask; everything else goes through the blueprint `bp`.
"""

from __future__ import annotations

import io
import logging

from flask import Blueprint, Flask, Response, current_app, request

from kg.config import Settings
from kg.sparql.policy import QueryError
from kg.sparql.protocol import ProtocolRequest, endpoint_url, read_request
from kg.sparql.service import ALLOWED_METHODS, EXTENSION, SparqlService, error_answer

log = logging.getLogger("kg.sparql")
bp = Blueprint("sparql", __name__)


class SparqlFastPath:
    """WSGI middleware: answers /sparql requests that are in the response cache without entering Flask."""

    def __init__(self, app, service: SparqlService):
        self.app = app
        self.service = service

    def __call__(self, environ: dict, start_response):
        if environ.get("PATH_INFO") != "/sparql" or environ.get("REQUEST_METHOD") not in ("GET", "POST"):
            return self.app(environ, start_response)
        try:
            req = read_request(environ, self.service.settings)
        except QueryError as exc:
            environ["kg.sparql.error"] = exc
            return self.app(environ, start_response)
        environ["kg.sparql.request"] = req
        if req.body is not None:  # consumed: give Flask a fresh stream in case a handler wants it
            environ["wsgi.input"] = io.BytesIO(req.body)
        cached = self.service.cache.get(req.cache_key(endpoint_url(environ), self.service.version))
        if cached is None:
            return self.app(environ, start_response)
        return cached.wsgi(start_response, environ.get("HTTP_IF_NONE_MATCH"), environ.get("HTTP_ACCEPT_ENCODING"))


@bp.route("/sparql", methods=["GET", "POST", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"])
def sparql_endpoint() -> Response:
    service: SparqlService = current_app.extensions[EXTENSION]
    environ = request.environ
    if request.method == "OPTIONS":
        return _preflight()
    error: QueryError | None = environ.get("kg.sparql.error")
    req: ProtocolRequest | None = environ.get("kg.sparql.request")
    if error is None and req is None:
        try:
            req = read_request(environ, service.settings)
        except QueryError as exc:
            error = exc
    if error is not None:
        return error_answer(error.status, error.message, request.headers.get("Accept")).flask()
    answer = service.answer(req, endpoint_url(environ), environ.get("REMOTE_ADDR") or "")
    return answer.flask(request.headers.get("If-None-Match"), request.headers.get("Accept-Encoding"))


def _preflight() -> Response:
    requested = request.headers.get("Access-Control-Request-Headers", "")
    allowed = requested or "Accept, Content-Type, If-None-Match, Cache-Control, X-Requested-With"
    return Response(status=204, headers=[
        ("Access-Control-Allow-Origin", "*"),
        ("Access-Control-Allow-Methods", ALLOWED_METHODS),
        ("Access-Control-Allow-Headers", allowed),
        ("Access-Control-Max-Age", "86400"),
        ("Allow", ALLOWED_METHODS),
        ("Vary", "Access-Control-Request-Headers"),
    ])


@bp.errorhandler(QueryError)
def _query_error(exc: QueryError) -> Response:
    return error_answer(exc.status, exc.message, request.headers.get("Accept")).flask()


@bp.errorhandler(Exception)
def _unexpected(exc: Exception) -> Response:
    from werkzeug.exceptions import HTTPException

    if isinstance(exc, HTTPException):
        return error_answer(exc.code or 500, exc.description or exc.name, request.headers.get("Accept")).flask()
    log.exception("unexpected error on %s", request.path)
    return error_answer(500, "Internal error; it has been logged.", request.headers.get("Accept")).flask()


def init_app(app: Flask, settings: Settings, store, web_processes: int = 1) -> SparqlService:
    """Register the endpoint on an app: the blueprint, the service and the cache fast path."""
    service = SparqlService(settings, store, web_processes)
    app.extensions[EXTENSION] = service
    app.register_blueprint(bp)
    app.wsgi_app = SparqlFastPath(app.wsgi_app, service)
    return service
