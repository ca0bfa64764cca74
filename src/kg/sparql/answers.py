"""The endpoint's HTTP answers, whatever produced them: a complete answer (status, headers, body, ETag) with its
compressed forms made once each, error answers (text, or JSON when asked for), CORS headers, the row-limit note, and
the response cache that keeps answers by normalized request.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import Response

from kg.rdf.formats import best_offer

ALLOWED_METHODS = "GET, POST, OPTIONS"
# Headers a script on another origin may read (beside the CORS-safelisted ones).
EXPOSED_HEADERS = "ETag, Link, Content-Location, Location, Vary, X-KG-Truncated, X-KG-Max-Rows, X-KG-Rows"
CORS_HEADERS = [
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Expose-Headers", EXPOSED_HEADERS),
]
TRUNCATED_NOTE = "/sparql/truncated"  # says that a result was cut, and at how many rows
CACHE_CONTROL = "public, max-age=60"
CACHE_MAX_BYTES = 64 * 2**20  # response cache per server process
CACHE_MAX_ENTRY_BYTES = 4 * 2**20
CACHE_MAX_ENTRIES = 4096


@dataclass
class Answer:
    """A complete HTTP answer of the endpoint (what the response cache holds)."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    etag: str | None = None
    cacheable: bool = True
    _encodings: dict[str, bytes] = field(default_factory=dict, repr=False)

    def not_modified(self, if_none_match: str | None) -> bool:
        if not if_none_match or not self.etag:
            return False
        tags = {t.strip() for t in if_none_match.split(",")}
        return "*" in tags or self.etag in tags or self.etag.removeprefix("W/") in tags

    def encoded(self, accept_encoding: str | None) -> tuple[list[tuple[str, str]], bytes]:
        """Headers and body for a client that accepts these encodings: brotli or gzip for a text answer over
        COMPRESS_MIN_BYTES (each encoding made once per answer and kept with it), else as it is."""
        coding = choose_encoding(accept_encoding) if len(self.body) >= COMPRESS_MIN_BYTES else None
        if coding is None:
            return self.headers, self.body
        body = self._encodings.get(coding)
        if body is None:
            body = self._encodings[coding] = compress(self.body, coding)
        headers = [(k, str(len(body)) if k == "Content-Length" else v) for k, v in self.headers]
        return headers + [("Content-Encoding", coding)], body

    def wsgi(
        self, start_response, if_none_match: str | None = None, accept_encoding: str | None = None
    ) -> Iterable[bytes]:
        if self.not_modified(if_none_match):
            headers = [(k, v) for k, v in self.headers if k not in ("Content-Type", "Content-Length")]
            start_response("304 Not Modified", headers)
            return [b""]
        headers, body = self.encoded(accept_encoding)
        start_response(f"{self.status} {_REASONS.get(self.status, 'OK')}", headers)
        return [body]

    def flask(self, if_none_match: str | None = None, accept_encoding: str | None = None) -> Response:
        if self.not_modified(if_none_match):
            headers = [(k, v) for k, v in self.headers if k not in ("Content-Type", "Content-Length")]
            return Response(status=304, headers=headers)
        headers, body = self.encoded(accept_encoding)
        return Response(body, status=self.status, headers=headers)


COMPRESS_MIN_BYTES = 1024


def choose_encoding(accept_encoding: str | None) -> str | None:
    """'br' or 'gzip', whichever the client accepts with the higher q-value (br when equal); None for neither."""
    if not accept_encoding:
        return None
    q = {}
    for part in accept_encoding.lower().split(","):
        name, _, params = part.strip().partition(";")
        value = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                value = float(params[2:])
            except ValueError:
                value = 0.0
        q[name.strip()] = value
    star = q.get("*", 0.0)
    best = max(("br", "gzip"), key=lambda c: (q.get(c, star), c == "br"))
    return best if q.get(best, star) > 0 else None


def compress(data: bytes, coding: str) -> bytes:
    if coding == "br":
        import brotli

        return brotli.compress(data, quality=5)
    import gzip

    return gzip.compress(data, compresslevel=6, mtime=0)


_REASONS = {
    200: "OK",
    204: "No Content",
    304: "Not Modified",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
}


def wants_json(accept: str | None) -> bool:
    """Whether an error should be JSON: the client asks for application/json rather than text. A client that asks
    for SPARQL results and anything else (YASGUI: application/sparql-results+json,*/*;q=0.9) gets the message as
    text, which it shows as it is."""
    return best_offer(accept, [("text/plain", "text"), ("application/json", "json")], default="text") == "json"


def error_answer(
    status: int, message: str, accept: str | None, retry_after: int = 0, allow: str = ALLOWED_METHODS
) -> Answer:
    """An error with its message, as text (or JSON when asked for). Retry-After only where a rule says when to come
    back (a client over its share); a query that ran out of time would run out of time again, so its 503 has none."""
    if wants_json(accept):
        body = (
            json.dumps({"error": {"status": status, "message": message}}, ensure_ascii=False, indent=2).encode() + b"\n"
        )
        ctype = "application/json; charset=utf-8"
    else:
        body = f"{status} {_REASONS.get(status, 'Error')}\n\n{message}\n".encode()
        ctype = "text/plain; charset=utf-8"
    headers = [
        ("Content-Type", ctype),
        ("Content-Length", str(len(body))),
        *CORS_HEADERS,
        ("Vary", "Accept, Accept-Encoding"),
    ]
    if status == 405:
        headers.append(("Allow", allow))
    if retry_after:
        headers.append(("Retry-After", str(retry_after)))
    if status >= 500:
        headers.append(("Cache-Control", "no-store"))
    return Answer(status, headers, body)


def link_truncation_note(body: bytes, fmt_name: str | None) -> bytes:
    """A result cut at the row limit says so in its head, where the format has one (SPARQL JSON and XML `link`)."""
    if fmt_name == "json" and body.startswith(b'{"head":{'):
        return b'{"head":{"link":["' + TRUNCATED_NOTE.encode() + b'"],' + body[len(b'{"head":{') :]
    if fmt_name == "xml":
        at = body.find(b"</head>")
        if at >= 0:
            return body[:at] + b'<link href="' + TRUNCATED_NOTE.encode() + b'"/>' + body[at:]
        at = body.find(b"<head/>")
        if at >= 0:
            return body[:at] + b'<head><link href="' + TRUNCATED_NOTE.encode() + b'"/></head>' + body[at + 7 :]
    return body


def truncation_text(max_rows: int) -> str:
    return (
        f"This result was cut: the endpoint returns at most {max_rows} rows (SELECT) or triples (CONSTRUCT, "
        f"DESCRIBE) per query, and the query had more. The first {max_rows} are in the result; the rest were "
        "not sent. To get everything, page through it with ORDER BY, LIMIT and OFFSET, or download the whole "
        "dataset from /downloads.\n"
    )


class ResponseCache:
    """Least-recently-used answers by normalized request, bounded in entries and bytes."""

    def __init__(self, max_bytes: int = CACHE_MAX_BYTES, max_entries: int = CACHE_MAX_ENTRIES):
        self.max_bytes, self.max_entries = max_bytes, max_entries
        self._items: OrderedDict[tuple, tuple[object, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: tuple):
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def put(self, key: tuple, value, size: int) -> None:
        size += 200
        if self.max_bytes <= 0 or size > CACHE_MAX_ENTRY_BYTES:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._items[key] = (value, size)
            self._bytes += size
            while self._items and (self._bytes > self.max_bytes or len(self._items) > self.max_entries):
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped
