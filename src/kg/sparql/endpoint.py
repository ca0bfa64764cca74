"""/sparql's one road for a protocol request once it is read (kg.sparql.protocol.read_request): `answer`.

    a client refused a moment ago (over its share)   -> the same refusal, after a pause (429/503, Retry-After)
    -> the response cache (the data is read-only: a repeated request is answered from memory, ETag / 304)
    -> negotiate (Accept with q-values, or the format parameter; 406)
    -> no query: the service description (made on a thread: it may ask the store)
    -> a query: SparqlService.execute (fair share, a query worker, the time limit)
    -> an Answer (kg.sparql.answers) with its ETag, kept in the response cache

In the server, the HTTP front end (kg.frontend) awaits it on its event loop; without the front end (the test client,
`flask run`), the /sparql view (kg.sparql.http) waits for it on the service's loop. Either way each step runs once.
"""

from __future__ import annotations

import asyncio
import hashlib
import math

from kg.sparql.answers import CACHE_CONTROL, CORS_HEADERS, TRUNCATED_NOTE, Answer, error_answer, link_truncation_note
from kg.sparql.description import service_description
from kg.sparql.jobs import Reply
from kg.sparql.policy import QueryError
from kg.sparql.protocol import ProtocolRequest
from kg.sparql.results import BY_NAME, FORMATS, convert_ntriples, negotiate, not_acceptable
from kg.sparql.service import SparqlService

CACHED_STATUSES = {200, 400, 403, 406}
DESCRIPTION_PREFIXES = ("sd", "void", "dcterms", "ep", "rdf", "xsd")
REFUSAL_PAUSE_S = 1.0  # a client refused for its share waits this long (at most) for the refusal: floods slow down


async def answer(service: SparqlService, req: ProtocolRequest, url: str, client: str) -> Answer:
    """The full answer to a checked protocol request from `client` (its address)."""
    refused = service.fairshare.refusal(client)
    if refused is not None:
        remaining, refusal = refused
        paused = min(REFUSAL_PAUSE_S, remaining)
        await asyncio.sleep(paused)
        return error_answer(refusal.status, refusal.message, req.accept, max(1, math.ceil(remaining - paused)))
    version = service.version
    key = req.cache_key(url, version)
    cached = service.cache.get(key)
    if cached is not None:
        return cached
    try:
        plan = _plan(req)
        if req.query is None:
            result = await asyncio.to_thread(_description, service, plan, url)
        else:
            reply = await service.execute(req.query, req.default_graph_uris, req.named_graph_uris, plan, client)
            result = _query_answer(service, req, plan, reply)
    except QueryError as exc:
        result = error_answer(exc.status, exc.message, req.accept)
    return _keep(service, key, version, result)


def _plan(req: ProtocolRequest) -> dict[str, str | None]:
    plan = negotiate(req.accept, req.formats)
    if req.query is None:
        if req.method == "POST":
            raise QueryError(400, "No query: send query=... (SPARQL Update is not accepted here).")
    elif not any(plan.values()):
        raise QueryError(
            406,
            "None of the accepted media types is a format of this endpoint: "
            + ", ".join(f.media_type for f in FORMATS),
        )
    return plan


def _keep(service: SparqlService, key: tuple, version: str, result: Answer) -> Answer:
    """Validators for a cacheable answer, which the response cache then keeps."""
    if result.status in CACHED_STATUSES and result.cacheable:
        result.etag = f'W/"{version}-{hashlib.blake2b(repr(key).encode(), digest_size=8).hexdigest()}"'
        result.headers.append(("ETag", result.etag))
        if result.status == 200:
            result.headers.append(("Cache-Control", CACHE_CONTROL))
        service.cache.put(key, result, len(result.body))
    return result


def _query_answer(service: SparqlService, req: ProtocolRequest, plan: dict[str, str | None], reply: Reply) -> Answer:
    if not reply.ok:
        return error_answer(reply.status, reply.message, req.accept, reply.retry_after)
    body = reply.body
    extra = []
    if reply.truncated:
        body = link_truncation_note(body, plan.get(reply.kind))
        extra = [
            ("X-KG-Truncated", "true"),
            ("X-KG-Max-Rows", str(service.settings.max_rows)),
            ("Link", f'<{TRUNCATED_NOTE}>; rel="describedby"; title="This result was cut"'),
        ]
    headers = [
        ("Content-Type", reply.media_type),
        ("Content-Length", str(len(body))),
        *CORS_HEADERS,
        ("Vary", "Accept, Accept-Encoding"),
        *extra,
    ]
    if reply.rows is not None:
        headers.append(("X-KG-Rows", str(reply.rows)))
    return Answer(200, headers, body)


def _description(service: SparqlService, plan: dict[str, str | None], url: str) -> Answer:
    name = plan.get("graph")
    if name is None:
        raise not_acceptable("graph")
    settings = service.settings
    sizes = service.graph_sizes()
    graph = service_description(settings, url, sizes, settings.workers, service.web_processes)
    fmt = BY_NAME[name]
    prefixes = {prefix: str(ns) for prefix, ns in graph.namespaces() if prefix in DESCRIPTION_PREFIXES}
    body = convert_ntriples(graph.serialize(format="nt", encoding="utf-8"), fmt, prefixes)
    headers = [
        ("Content-Type", fmt.content_type),
        ("Content-Length", str(len(body))),
        *CORS_HEADERS,
        ("Vary", "Accept, Accept-Encoding"),
    ]
    return Answer(200, headers, body, cacheable=bool(sizes))  # without counts (store down?): ask again later
