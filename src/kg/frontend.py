"""The HTTP front end: uvicorn (asyncio, httptools) in front of the WSGI app, so that a client holds an application
thread only once its whole request has arrived.

    connection -> GuardedProtocol: at most `max_client_connections` open connections per client address (more are
                  answered 429 and closed); the headers must arrive within `header_timeout` seconds of the first
                  byte (or of the connection), the body within `body_timeout` of the headers (408 otherwise); an
                  idle keep-alive connection is closed after `keepalive_timeout`
               -> Front (ASGI): /healthz is 503 once the process is shutting down; the body read in full (413 over
                  the limit, once the rest is read and dropped); the client address taken from X-Forwarded-For
                  only when the peer is a trusted proxy
               -> /sparql queries: kg.sparql.endpoint.answer, awaited on this event loop (a query waits for its
                  worker's reply here too, holding no thread)
               -> /mcp: the MCP server's streamable HTTP transport (kg.mcp_server.HttpMount), an ASGI app
               -> a2wsgi's thread pool (`threads` per process) -> the Flask app (pages, and what /sparql's view answers)

Slow, idle or half-sent requests therefore cost a socket and a few kilobytes, never a thread, and so does a query
waiting for a worker. Each server process runs one of these; kg.server forks them over one listening socket.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import signal
from collections import Counter

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from kg.config import Settings

log = logging.getLogger("kg.frontend")

HEALTH_PATH = "/healthz"
MCP_PATH = "/mcp"  # kg.mcp_server.HTTP_PATH
MAX_URL_BYTES = 65535  # httptools' URL parser reads no longer URLs
# An oversized request body is read and dropped up to this much before the 413, so that its sender, still sending,
# reads the answer (closing with unread data would reset the connection); larger ones are cut off at once.
DRAIN_BYTES = 64 << 20
DRAIN_SECONDS = 10.0


def _plain(status: str, message: str, extra: str = "") -> bytes:
    body = (message + "\n").encode("utf-8")
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {len(body)}\r\n"
        f"{extra}Connection: close\r\n\r\n"
    ).encode("latin-1") + body


def _refusals(settings: Settings) -> tuple[bytes, bytes, bytes]:
    """The whole answers the protocol writes itself: too many connections (429), too slow (408), too long a URL."""
    too_many = _plain(
        "429 Too Many Requests",
        f"Too many open connections from your address (this server allows "
        f"{settings.max_client_connections} per address and process); close some and try again.",
        "Retry-After: 1\r\n",
    )
    timed_out = _plain("408 Request Timeout", "The request did not arrive in time.")
    url_too_long = _plain(
        "413 Content Too Large",
        f"The URL is longer than this server reads ({MAX_URL_BYTES} "
        f"bytes). Send a long query with POST (application/x-www-form-urlencoded or "
        f"application/sparql-query); queries of up to {settings.max_query_bytes} bytes are "
        "accepted.",
    )
    return too_many, timed_out, url_too_long


def guarded_protocol(settings: Settings) -> type:
    """The uvicorn HTTP protocol with per-address connection caps and header/body read time-outs."""
    open_by_address: Counter[str] = Counter()
    cap = settings.max_client_connections
    too_many, timed_out, url_too_long = _refusals(settings)

    class GuardedProtocol(HttpToolsProtocol):
        _kg_address = ""
        _kg_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            peer = transport.get_extra_info("peername")
            self._kg_address = peer[0] if isinstance(peer, tuple) and peer else ""
            open_by_address[self._kg_address] += 1
            if cap > 0 and open_by_address[self._kg_address] > cap:
                transport.write(too_many)
                transport.close()
                return
            self._kg_arm(settings.header_timeout)

        def connection_lost(self, exc) -> None:
            self._kg_disarm()
            if self._kg_address in open_by_address:
                open_by_address[self._kg_address] -= 1
                if open_by_address[self._kg_address] <= 0:
                    del open_by_address[self._kg_address]
            super().connection_lost(exc)

        def _kg_arm(self, seconds: float) -> None:
            self._kg_disarm()
            if seconds > 0:
                self._kg_timer = self.loop.call_later(seconds, self._kg_expired)

        def _kg_disarm(self) -> None:
            if self._kg_timer is not None:
                self._kg_timer.cancel()
                self._kg_timer = None

        def _kg_expired(self) -> None:
            self._kg_timer = None
            if self.transport.is_closing():
                return
            if self.cycle is None or self.cycle.response_complete or not self.cycle.response_started:
                self.transport.write(timed_out)
            if self.cycle is not None:
                self.cycle.disconnected = True
                self.cycle.message_event.set()
            self.transport.close()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._kg_arm(settings.header_timeout)

        def on_headers_complete(self) -> None:
            if len(self.url) > MAX_URL_BYTES:  # the URL parser's own limit: say what to do instead
                self._kg_disarm()
                self.transport.write(url_too_long)
                self.transport.close()
                return
            self._kg_arm(settings.body_timeout)
            super().on_headers_complete()

        def on_body(self, body: bytes) -> None:
            if self.cycle is not None:  # None: the request was refused before it started
                super().on_body(body)

        def on_message_complete(self) -> None:
            self._kg_disarm()
            if self.cycle is not None:
                super().on_message_complete()

    return GuardedProtocol


def _networks(spec: str) -> list:
    out = []
    for part in spec.replace(",", " ").split():
        try:
            out.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise SystemExit(f"KG_TRUSTED_PROXIES: {part!r} is not an IP address or network") from None
    return out


def client_address(peer: str, forwarded_for: str | None, trusted: list) -> str:
    """The client's address: the peer's, or, when the peer is a trusted proxy, the nearest untrusted address of
    X-Forwarded-For (read right to left, as each proxy appends the address it received the request from)."""
    if not trusted or not forwarded_for or not _is_in(peer, trusted):
        return peer
    hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _is_in(hop, trusted):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # a malformed hop: fall back to what we can vouch for
    return hops[0] if hops else peer


def _is_in(address: str, networks: list) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in n for n in networks)


class Front:
    """The ASGI app of one server process: readiness, whole-body buffering, client address, then the WSGI app."""

    def __init__(self, wsgi_app, settings: Settings):
        from a2wsgi import WSGIMiddleware

        self.settings = settings
        self.service = getattr(wsgi_app, "extensions", {}).get("kg_sparql")
        self.wsgi = WSGIMiddleware(wsgi_app, workers=settings.threads)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.trusted = _networks(settings.trusted_proxies)
        self.body_limit = settings.max_query_bytes * 3 + 16384
        self.draining = False
        self.mcp = _mcp_mount(wsgi_app)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                await send({"type": message["type"] + ".complete"})
                if message["type"] == "lifespan.shutdown":
                    return
        if scope["type"] != "http":
            return
        if self.loop is None and self.service is not None:  # queries are awaited on this process's loop
            self.loop = asyncio.get_running_loop()
            self.service.serve_on(self.loop)
        if scope["path"] == HEALTH_PATH and self.draining:  # otherwise the app's own readiness check answers
            await self._not_ready(send)
            return
        body = await self._read_body(scope, receive, send)
        if body is None:
            return
        peer = scope["client"][0] if scope.get("client") else ""
        address = client_address(peer, _header(scope, b"x-forwarded-for"), self.trusted)
        if address != peer:
            scope = dict(scope, client=(address, scope["client"][1]))
        if scope["path"] == "/sparql" and scope["method"] in ("GET", "POST") and self.service is not None:
            if await self._sparql(scope, body, address, send):
                return
        if scope["path"] == MCP_PATH and self.mcp is not None:
            await self.mcp(scope, _replay(body), send)
            return
        held: list = []

        async def send_whole(message) -> None:
            # a2wsgi sends the status line and headers from its thread as soon as the app starts its response, and
            # the body after a round trip through the loop; held back, they go out in one step, so that a process
            # killed meanwhile (a replica replaced) has sent nothing, and the balancer can retry the request
            if message["type"] == "http.response.start":
                held.append(message)
                return
            if held:
                await send(held.pop())
            await send(message)

        await self.wsgi(scope, _replay(body, stay=False), send_whole)
        if held:
            await send(held.pop())

    async def _read_body(self, scope, receive, send) -> bytes | None:
        """The whole request body; None when it was refused (400 for a bad Content-Length, 413 over the limit) or
        the client left. An oversized body is read on and dropped, up to DRAIN_BYTES and DRAIN_SECONDS, before the
        413 goes out: a client still sending when the server closes gets a reset, not the answer that says why."""
        too_large = f"The request body is larger than this server accepts ({self.body_limit} bytes)."
        length = _header(scope, b"content-length")
        if length is not None and not length.isdigit():
            await _respond(send, 400, "Invalid Content-Length.")
            return None
        if length is not None and int(length) > self.body_limit:
            if int(length) <= DRAIN_BYTES:
                await _drain(receive, DRAIN_BYTES, DRAIN_SECONDS)
            await _respond(send, 413, too_large)
            return None
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.body_limit:
                if message.get("more_body", False):
                    await _drain(receive, DRAIN_BYTES - size, DRAIN_SECONDS)
                await _respond(send, 413, too_large)
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _sparql(self, scope, body: bytes, address: str, send) -> bool:
        """A /sparql query, answered on the event loop (kg.sparql.endpoint). False (nothing sent) for what the /sparql
        view answers: a request it cannot read (with the message why), a Graph Store request, a browser."""
        from kg.sparql.endpoint import answer
        from kg.sparql.http import wants_the_view
        from kg.sparql.policy import QueryError
        from kg.sparql.protocol import endpoint_url, read_request

        environ = _environ(scope, body, address)
        try:
            req = read_request(environ, self.settings)
        except QueryError:
            return False
        if wants_the_view(environ, req):
            return False
        try:
            result = await answer(self.service, req, endpoint_url(environ), address)
        except Exception:  # a bug of ours: logged, answered without a stack trace
            from kg.sparql.answers import error_answer

            log.exception("unexpected error on /sparql")
            result = error_answer(500, "Internal error; it has been logged.", environ.get("HTTP_ACCEPT"))
        started: list = []
        chunks = result.wsgi(
            lambda status, headers: started.extend((status, headers)),
            environ.get("HTTP_IF_NONE_MATCH"),
            environ.get("HTTP_ACCEPT_ENCODING"),
        )
        status, headers = started
        await send(
            {
                "type": "http.response.start",
                "status": int(status.split(" ", 1)[0]),
                "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
            }
        )
        await send({"type": "http.response.body", "body": b"".join(chunks)})
        return True

    async def _not_ready(self, send) -> None:
        body = json.dumps({"status": "not ready", "reason": "this server process is shutting down"}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 503,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _mcp_mount(wsgi_app):
    """The MCP server's HTTP transport over the app (None for an app without the dataset, as in some tests)."""
    if not hasattr(wsgi_app, "extensions") or "kg_sparql" not in wsgi_app.extensions:
        return None
    from kg.mcp_server import HttpMount

    return HttpMount(wsgi_app)


def _replay(body: bytes, stay: bool = True):
    """An ASGI receive that gives the whole (already read) body once, then a disconnect: at once, or (`stay`) never,
    for an app that takes a disconnect for the client gone (the MCP transport)."""
    sent = False

    async def receive():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        if stay:
            await asyncio.Event().wait()  # the client stays until the response is sent
        return {"type": "http.disconnect"}

    return receive


def _environ(scope, body: bytes, address: str) -> dict:
    """The WSGI environ the endpoint's request reader needs."""
    import io

    environ = {
        "REQUEST_METHOD": scope["method"],
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SCRIPT_NAME": scope.get("root_path", ""),
        "PATH_INFO": scope["path"],
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body),
        "REMOTE_ADDR": address,
    }
    server = scope.get("server") or ("localhost", 80)
    environ["SERVER_NAME"], environ["SERVER_PORT"] = str(server[0]), str(server[1])
    for key, value in scope.get("headers", ()):
        name = key.decode("latin-1").upper().replace("-", "_")
        if name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            environ[name] = value.decode("latin-1")
        else:
            environ["HTTP_" + name] = value.decode("latin-1")
    return environ


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


async def _drain(receive, max_bytes: int, seconds: float) -> None:
    """Read and drop the rest of a request body, for at most max_bytes and seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while max_bytes > 0:
        try:
            message = await asyncio.wait_for(receive(), max(0.0, deadline - loop.time()))
        except TimeoutError:
            return
        if message["type"] == "http.disconnect" or not message.get("more_body", False):
            return
        max_bytes -= len(message.get("body", b""))


async def _respond(send, status: int, text: str, extra: list | None = None, close: bool = True) -> None:
    body = (text + "\n").encode("utf-8")
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        *(extra or []),
    ]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def serve_process(front: Front, settings: Settings, sock) -> None:
    """Run one server process on an already bound socket until SIGTERM / SIGINT. SIGTERM first makes /healthz say
    not ready for `drain_seconds` (requests are still served, so a load balancer can notice), then stops accepting,
    finishes the requests in flight and exits."""
    import uvicorn

    config = uvicorn.Config(
        front,
        http=guarded_protocol(settings),
        loop="uvloop",
        lifespan="off",
        timeout_keep_alive=max(1, int(settings.keepalive_timeout)),
        access_log=False,
        log_level="warning",
        server_header=False,
        timeout_graceful_shutdown=settings.timeout + 5,
        backlog=2048,
    )

    class Server(uvicorn.Server):
        def handle_exit(self, sig, frame) -> None:
            if sig == signal.SIGTERM and settings.drain_seconds > 0 and not front.draining:
                front.draining = True
                log.info("draining: /healthz now says not ready; stopping in %g s", settings.drain_seconds)
                signal.setitimer(signal.ITIMER_REAL, settings.drain_seconds)
                signal.signal(signal.SIGALRM, lambda *_: super(Server, self).handle_exit(signal.SIGTERM, None))
                return
            front.draining = True
            super().handle_exit(sig, frame)

    Server(config).run(sockets=[sock])
