"""The MCP server for assistants (Model Context Protocol, with the official `mcp` SDK): the dataset's search, its
entities with their quotes, its figures and the SPARQL endpoint as tools, the ontology and the report as resources.

    kg mcp                 over stdio, for an assistant that starts the server itself
    kg serve  ->  /mcp     over streamable HTTP (stateless, JSON responses), beside the pages and /sparql

Tools:
    search          names, figures as written and quotes, in Chinese or English (the site's search)
    get_entity      an entity's names, types, statements, the report's words it was derived from, its figures
    list_figures    the figures, filtered by indicator, kind, qualifier and area, each in words in both languages
    sparql_query    a read-only SPARQL query (rows as in SPARQL JSON results), run by the endpoint's own service
                    (kg.sparql.service.run_user_query): the same policy (no update, no SERVICE, no FROM), time
                    limit, row limit and fair share as /sparql

Everything is read from the app's dataset index inside a Flask app context; nothing an assistant sends opens an
outbound connection (the SPARQL policy refuses SERVICE before a query runs).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, Any

from flask import Flask
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.transport_security import TransportSecuritySettings
from pydantic import Field
from rdflib import Literal, URIRef

from kg.artifacts import SOURCE, BuildArtifacts
from kg.sparql import EXTENSION, QueryError, SparqlService
from kg.web.dataset_index import Site, site
from kg.web.dataset_index.figures import Figure
from kg.web.html import Formatter
from kg.web.models import reconcile
from kg.web.models.entity import description
from kg.web.pages.downloads import SOURCE_NAME
from kg.web.pages.search import MAX_Q, find

HTTP_PATH = "/mcp"
MAX_LIMIT = 200
MAX_STATEMENTS = 300
STDIO_CLIENT = "mcp-stdio"
INSTRUCTIONS = (
    "Jinpu KG: a bilingual (Chinese/English) knowledge graph of a newspaper report on Dalian Jinpu New District's "
    "2021 results. Find things with `search`, read one with `get_entity` (ids are short names like 'jinpu'), list "
    "figures with `list_figures`, and ask anything else with a read-only SPARQL query (`sparql_query`). Every "
    "fact carries the report's own words (quotes): cite them."
)


# the tools' work, as functions of the dataset index


def _label_pair(s: Site, iri: str) -> dict:
    return {"zh": s.names.label_in(iri, "zh"), "en": s.names.label_in(iri, "en")}


def _entity_iri(s: Site, ident: str, what: str = "entity") -> str:
    """The IRI of an entity given by id, IRI or (unambiguous) exact name."""
    if not ident or len(ident) > MAX_Q:
        raise ToolError(f"Give the {what} as an id (like 'jinpu'), an IRI or its exact name.")
    iri = reconcile.resolve_entity(s, ident)
    if iri is None:
        exact = [h.iri for h in find(s, ident) if reconcile.is_exact(s, h.iri, ident) and reconcile.is_entity(s, h.iri)]
        iri = exact[0] if len(exact) == 1 else None
    if iri is None:
        raise ToolError(f"No {what} has the id or the one exact name {ident!r}; use the search tool to find its id.")
    return iri


def search_tool(s: Site, text: str, type_id: str | None, limit: int) -> dict:
    if len(text) > MAX_Q or not text.strip():
        raise ToolError(f"The search text must be 1 to {MAX_Q} characters.")
    try:
        type_iri = reconcile.resolve_term(s, type_id, s.ontology.classes, "type") if type_id else None
    except reconcile.ReconcileError as exc:
        raise ToolError(str(exc))
    hits = [h for h in find(s, text) if reconcile.has_type(s, h.iri, (type_iri,) if type_iri else ())]
    results = [
        {
            "id": reconcile.entity_id(s, h.iri),
            "iri": h.iri,
            "name": _label_pair(s, h.iri),
            "types": [reconcile.term_id(s, t) for t in s.names.types.get(h.iri, [])],
            "matched": h.matched,
            "matched_in": h.field,
            "page": s.urls.page(h.iri),
        }
        for h in hits[:limit]
    ]
    return {"total": len(hits), "results": results}


def _term(s: Site, node: Any) -> Any:
    if isinstance(node, URIRef):
        return {"id": reconcile.entity_id(s, str(node)), "name": s.names.label(str(node), "en")}
    if isinstance(node, Literal):
        return {"value": str(node), "lang": node.language} if node.language else str(node)
    return str(node)


def figure_json(s: Site, fig: Figure) -> dict:
    local = s.iris.local
    return {
        "id": reconcile.entity_id(s, fig.iri),
        "indicator": {"id": reconcile.entity_id(s, fig.indicator or ""), **_label_pair(s, fig.indicator or "")},
        "area": {"id": reconcile.entity_id(s, fig.area or ""), **_label_pair(s, fig.area or "")},
        "period": fig.period,
        "kind": local(fig.kind or "") or fig.kind,
        "value": str(fig.value) if fig.value is not None else None,
        "as_written": fig.written,
        "unit": fig.unit,
        "qualifier": local(fig.qualifier or "") or None,
        "qualifier_as_written": fig.qualifier_written,
        "planned": fig.planned,
        "text": {"zh": Formatter(s, "zh").figure_text(fig), "en": Formatter(s, "en").figure_text(fig)},
        "quote": fig.quote,
    }


def entity_tool(s: Site, ident: str) -> dict:
    iri = _entity_iri(s, ident)
    g = description(s, URIRef(iri))
    statements = [
        {"property": s.names.curie(str(p)), "value": _term(s, o)}
        for p, o in sorted(g.predicate_objects(URIRef(iri)), key=lambda po: (str(po[0]), str(po[1])))
    ]
    return {
        "id": reconcile.entity_id(s, iri),
        "iri": iri,
        "name": _label_pair(s, iri),
        "alt_names": [str(a) for a in s.names.alt_labels.get(iri, [])],
        "types": [reconcile.term_id(s, t) for t in s.names.types.get(iri, [])],
        "page": s.urls.page(iri),
        "quotes": [{"text": p.exact, "translation": p.translation, "passage": p.name} for p in s.passages.sources(iri)],
        "figures": [figure_json(s, f) for f in ([s.figures[iri]] if iri in s.figures else s.figures.of(iri))],
        "statements": statements[:MAX_STATEMENTS],
        "statements_cut": len(statements) > MAX_STATEMENTS,
    }


def _local_choice(s: Site, value: str | None, choices: set[str], what: str) -> str | None:
    if not value:
        return None
    wanted = value if value in choices else s.iris.def_ns + value
    if wanted not in choices:
        names = ", ".join(sorted(s.iris.local(c) or c for c in choices))
        raise ToolError(f"Unknown {what} {value!r}; one of: {names}.")
    return wanted


def figures_tool(s: Site, indicator: str | None, kind: str | None, qualifier: str | None, area: str | None, limit: int):
    figures = list(s.figures.values())
    want_indicator = _entity_iri(s, indicator, "indicator") if indicator else None
    want_area = _entity_iri(s, area, "area") if area else None
    want_kind = _local_choice(s, kind, {f.kind for f in figures if f.kind}, "kind")
    exact = qualifier is not None and qualifier.lower() in ("none", "exact")
    want_qualifier = (
        None if exact else _local_choice(s, qualifier, {f.qualifier for f in figures if f.qualifier}, "qualifier")
    )
    chosen = [
        f
        for f in figures
        if (want_indicator is None or f.indicator == want_indicator)
        and (want_area is None or want_area in (f.area, f.parent_area))
        and (want_kind is None or f.kind == want_kind)
        and (not exact or f.qualifier is None)
        and (want_qualifier is None or f.qualifier == want_qualifier)
    ]
    return {"total": len(chosen), "figures": [figure_json(s, f) for f in chosen[:limit]]}


def _binding(term: Any) -> dict:
    """A solution's value as SPARQL 1.1 Query Results JSON writes it (type, value, xml:lang or datatype)."""
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, Literal):
        out = {"type": "literal", "value": str(term)}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype:
            out["datatype"] = str(term.datatype)
        return out
    return {"type": "bnode", "value": str(term)}


def sparql_tool(service: SparqlService, query: str, client: str) -> dict:
    """The query run by the endpoint's service, as the query page runs it; a refusal is the tool's error."""
    try:
        result = service.run_user_query(query, client=client)
    except QueryError as exc:
        raise ToolError(f"The query was refused ({exc.status}): {exc.message}")
    out: dict[str, Any] = {"kind": result.kind, "truncated": result.truncated, "max_rows": result.max_rows}
    if result.kind == "select":
        out["variables"] = result.variables
        out["rows"] = [{k: _binding(v) for k, v in row.items()} for row in result.rows]
    elif result.kind == "ask":
        out["boolean"] = result.boolean
    else:
        out["turtle"] = result.graph.serialize(format="turtle") if result.graph is not None else ""
    return out


# the server


def _client(ctx: Context | None) -> str:
    """The client's address over HTTP (what the fair share of /sparql counts by), else the stdio client."""
    request = getattr(getattr(ctx, "request_context", None), "request", None) if ctx is not None else None
    client = getattr(request, "client", None)
    return getattr(client, "host", None) or STDIO_CLIENT


def build_server(app: Flask) -> MCPServer:
    """The MCP server over the app's dataset and SPARQL service."""
    server = MCPServer("jinpu-kg", instructions=INSTRUCTIONS, version="1.0.0")
    _add_tools(server, app)
    _add_resources(server, app)
    return server


def _in_app(app: Flask, work: Callable[[Site], Any]) -> Any:
    with app.app_context():
        return work(site())


Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT, description="How many results at most")]


def _add_tools(server: MCPServer, app: Flask) -> None:
    @server.tool()
    def search(
        text: Annotated[str, Field(description="Words to find, in Chinese or English (names, figures, quotes)")],
        type: Annotated[str | None, Field(description="Only things of this class (e.g. Enterprise, Place)")] = None,
        limit: Limit = 20,
    ) -> dict:
        """Search the knowledge graph by name (Chinese or English), figure as written or quote: the site's search."""
        return _in_app(app, lambda s: search_tool(s, text, type, limit))

    @server.tool()
    def get_entity(
        id: Annotated[str, Field(description="The entity's id (e.g. 'jinpu'), IRI or exact name")],
    ) -> dict:
        """An entity with its names in both languages, types, statements, the report's quotes and its figures."""
        return _in_app(app, lambda s: entity_tool(s, id))

    @server.tool()
    def list_figures(
        indicator: Annotated[str | None, Field(description="Indicator id or exact name (e.g. 'ind-gdp')")] = None,
        kind: Annotated[str | None, Field(description="Level, Count, YearOnYearGrowth, Share, Rank, ...")] = None,
        qualifier: Annotated[str | None, Field(description="About, MoreThan, Nearly, WithinTop, or 'none'")] = None,
        area: Annotated[str | None, Field(description="Area id or exact name (e.g. 'jinpu', 'dalian')")] = None,
        limit: Limit = 50,
    ) -> dict:
        """The report's figures (statistical observations), filtered, each in words and with its quote."""
        return _in_app(app, lambda s: figures_tool(s, indicator, kind, qualifier, area, limit))

    @server.tool()
    def sparql_query(
        query: Annotated[str, Field(description="A SPARQL 1.1 SELECT, ASK, CONSTRUCT or DESCRIBE query")],
        ctx: Context,
    ) -> dict:
        """Run a read-only SPARQL query with the limits of the public endpoint (/sparql)."""
        return sparql_tool(app.extensions[EXTENSION], query, _client(ctx))


def _add_resources(server: MCPServer, app: Flask) -> None:
    settings = app.config["KG_SETTINGS"]

    @server.resource(settings.base_iri + "def", name="ontology", mime_type="text/turtle")
    def ontology() -> str:
        """The ontology (classes, properties, units, qualifiers, kinds of figure) in Turtle."""
        return _in_app(app, lambda s: s.ontology.graph.serialize(format="turtle"))

    @server.resource(settings.base_iri + "source/" + SOURCE_NAME, name="report", mime_type="text/plain")
    def report() -> str:
        """The text of the source report (Chinese), which every quote and passage offset refers to."""
        return BuildArtifacts(settings.build_dir).text(SOURCE) or ""


# transports


def serve_stdio(app: Flask) -> None:
    """`kg mcp`: serve over stdin/stdout until the client closes them."""
    service: SparqlService = app.extensions[EXTENSION]
    try:
        build_server(app).run("stdio")
    finally:
        service.close()


class HttpMount:
    """The streamable HTTP transport as an ASGI app for the front end (kg.frontend) to hand HTTP_PATH to. Stateless
    with JSON responses, so that any server process can answer any request; POST only (a server without a stream
    of its own answers GET with 405, as the transport allows), readable from any origin (CORS) as the rest of the
    site. The SDK's session manager is started on the first request, in the serving process's event loop, and runs
    until the process ends."""

    def __init__(self, app: Flask):
        from starlette.middleware.cors import CORSMiddleware

        server = build_server(app)
        transport = server.streamable_http_app(
            streamable_http_path=HTTP_PATH,
            stateless_http=True,
            json_response=True,
            # the data is public and read-only and nothing rides on cookies: any Host may ask, as for /sparql
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        self.asgi = CORSMiddleware(
            transport,
            allow_origins=["*"],
            allow_methods=["POST"],
            allow_headers=["*"],
            expose_headers=["Mcp-Session-Id", "Mcp-Protocol-Version"],
            max_age=86400,
        )
        self.manager = server.session_manager
        self._ready: asyncio.Event | None = None
        self._task: asyncio.Task | None = None

    async def _run(self, ready: asyncio.Event) -> None:
        try:
            async with self.manager.run():
                ready.set()
                await asyncio.Event().wait()
        finally:
            ready.set()  # a manager that failed to start: requests fail (500, logged) rather than wait for ever

    async def __call__(self, scope, receive, send) -> None:
        if scope["method"] not in ("POST", "OPTIONS"):
            await _not_allowed(send)
            return
        if self._ready is None:
            self._ready = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._run(self._ready))
        await self._ready.wait()
        await self.asgi(scope, receive, send)


async def _not_allowed(send) -> None:
    body = b"This MCP server is stateless: send its JSON-RPC messages with POST (no event stream to GET).\n"
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"allow", b"POST, OPTIONS"),
        (b"access-control-allow-origin", b"*"),
    ]
    await send({"type": "http.response.start", "status": 405, "headers": headers})
    await send({"type": "http.response.body", "body": body})
