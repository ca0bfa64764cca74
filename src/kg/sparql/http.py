"""The /sparql view: the blueprint, CORS preflight, error answers; the Graph Store Protocol's read side at /store (and
on /sparql for a request that names a graph and sends no query); the note a cut result links to (/sparql/truncated).

In the server, the HTTP front end (kg.frontend) answers /sparql queries itself, on its event loop, and hands this view
only what needs it: requests it cannot read, Graph Store requests, and browsers, which asking for HTML first are sent
to the query page (with the query if there is one). Without the front end (the test client, `flask run`) this view
answers everything. A query takes the same road either way: kg.sparql.endpoint.answer.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, current_app, redirect, request

from kg.config import Settings
from kg.rdf.formats import DOCUMENT_FORMATS, FORMATS, HTML, negotiate_document, prefers_html
from kg.rdf.vocab import PREFIXES
from kg.sparql import endpoint, graph_store
from kg.sparql.answers import ALLOWED_METHODS, CORS_HEADERS, TRUNCATED_NOTE, error_answer, truncation_text
from kg.sparql.description import endpoint_vocabulary, endpoint_vocabulary_graph
from kg.sparql.policy import QueryError
from kg.sparql.protocol import ProtocolRequest, endpoint_url, read_request
from kg.sparql.results import convert_ntriples
from kg.sparql.service import EXTENSION, SparqlService

log = logging.getLogger("kg.sparql")
bp = Blueprint("sparql", __name__)


def wants_the_view(environ: dict, req: ProtocolRequest | None = None) -> bool:
    """Whether a /sparql request needs the full view rather than the front end, which only answers queries: a Graph
    Store request (?graph= / ?default), or a browser asking for HTML (sent on to the query page)."""
    if graph_store.names_a_graph(environ.get("QUERY_STRING", "")):
        return True
    return (
        req is not None
        and req.method == "GET"
        and not req.formats
        and prefers_html(req.accept, [f.media_type for f in FORMATS])
    )


@bp.route("/sparql", methods=["GET", "POST", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"])
def sparql_endpoint() -> Response:
    service: SparqlService = current_app.extensions[EXTENSION]
    environ = request.environ
    if request.method == "OPTIONS":
        return _preflight()
    try:
        graph_request = graph_store.target(environ.get("QUERY_STRING", ""))
    except QueryError as exc:
        return error_answer(exc.status, exc.message, request.headers.get("Accept")).flask()
    if graph_request is not None:
        return _graph_store_answer(service, graph_request)
    try:
        req = read_request(environ, service.settings)
    except QueryError as exc:
        return error_answer(exc.status, exc.message, request.headers.get("Accept")).flask()
    if wants_the_view(environ, req):
        return _to_query_page(req)
    answer = service.call(endpoint.answer, service, req, endpoint_url(environ), environ.get("REMOTE_ADDR") or "")
    return answer.flask(request.headers.get("If-None-Match"), request.headers.get("Accept-Encoding"))


def _to_query_page(req: ProtocolRequest) -> Response:
    """A browser opened /sparql (a link, the address bar): the query page, with the query filled in and run."""
    resp = redirect("/query" + ("?" + urlencode({"query": req.query}) if req.query else ""), code=303)
    resp.headers["Vary"] = "Accept"
    for name, value in CORS_HEADERS:
        resp.headers[name] = value
    return resp


def _graph_store_answer(service: SparqlService, graph_request: graph_store.GraphRequest) -> Response:
    accept = request.headers.get("Accept")
    try:
        answer = service.graph_store.answer(
            request.method, graph_request, accept, request.headers.get("If-None-Match"), CORS_HEADERS
        )
    except QueryError as exc:
        return error_answer(exc.status, exc.message, accept, allow=graph_store.ALLOWED).flask()
    return Response(answer.body, status=answer.status, headers=answer.headers)


@bp.route("/store", methods=["GET", "HEAD", "OPTIONS", "POST", "PUT", "DELETE", "PATCH"])
def graph_store_endpoint() -> Response:
    """GET /store?graph=<IRI> | /store?default: the SPARQL 1.1 Graph Store HTTP Protocol, read-only."""
    if request.method == "OPTIONS":
        return _preflight(graph_store.ALLOWED)
    accept = request.headers.get("Accept")
    try:
        graph_request = graph_store.target(request.environ.get("QUERY_STRING", ""))
        if graph_request is None:
            if request.method not in graph_store.READ_METHODS:
                raise QueryError(405, graph_store.READ_ONLY.format(method=request.method))
            raise QueryError(
                400,
                "Name a graph: /store?graph=<IRI> for a named graph, /store?default for the default "
                "graph (the union of the named graphs). Graphs: "
                + ", ".join(f"<{g}>" for g in current_app.extensions[EXTENSION].graph_store.graph_iris)
                + ".",
            )
    except QueryError as exc:
        return error_answer(exc.status, exc.message, accept, allow=graph_store.ALLOWED).flask()
    return _graph_store_answer(current_app.extensions[EXTENSION], graph_request)


@bp.route("/def/endpoint", methods=["GET", "HEAD"])
def endpoint_vocabulary_document() -> Response:
    """GET /def/endpoint: the terms of the service description's own vocabulary (ep:maxResultRows ...), in the
    document format Accept asks for (Turtle by default, and as text for a browser)."""
    service: SparqlService = current_app.extensions[EXTENSION]
    accept = request.headers.get("Accept")
    ext = negotiate_document(accept, html=True)
    if ext is None:
        return error_answer(
            406, "Available as " + ", ".join(f.media_type for f in DOCUMENT_FORMATS.values()) + ".", accept
        ).flask()
    fmt = DOCUMENT_FORMATS["ttl" if ext == HTML else ext]
    graph = endpoint_vocabulary_graph(service.settings)
    prefixes = {"ep": str(endpoint_vocabulary(service.settings)), **PREFIXES}
    body = convert_ntriples(graph.serialize(format="nt", encoding="utf-8"), fmt, prefixes)
    ctype = "text/plain; charset=utf-8" if ext == HTML else fmt.content_type
    return Response(
        body,
        headers=[("Content-Type", ctype), ("Vary", "Accept"), *CORS_HEADERS, ("Cache-Control", "public, max-age=300")],
    )


@bp.route(TRUNCATED_NOTE, methods=["GET", "HEAD"])
def truncated_note() -> Response:
    """The note a cut result links to in its head: that it was cut, and at how many rows."""
    service: SparqlService = current_app.extensions[EXTENSION]
    body = truncation_text(service.settings.max_rows).encode("utf-8")
    return Response(
        body,
        headers=[
            ("Content-Type", "text/plain; charset=utf-8"),
            *CORS_HEADERS,
            ("Cache-Control", "public, max-age=300"),
        ],
    )


def _preflight(methods: str = ALLOWED_METHODS) -> Response:
    requested = request.headers.get("Access-Control-Request-Headers", "")
    allowed = requested or "Accept, Content-Type, If-None-Match, Cache-Control, X-Requested-With"
    return Response(
        status=204,
        headers=[
            ("Access-Control-Allow-Origin", "*"),
            ("Access-Control-Allow-Methods", methods),
            ("Access-Control-Allow-Headers", allowed),
            ("Access-Control-Max-Age", "86400"),
            ("Allow", methods),
            ("Vary", "Access-Control-Request-Headers"),
        ],
    )


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
    """Register the endpoint on an app: the blueprint and the service."""
    service = SparqlService(settings, store, web_processes)
    app.extensions[EXTENSION] = service
    app.register_blueprint(bp)
    return service
