"""What a SPARQL 1.1 Protocol request asks for: read from a WSGI environ and checked, without a server.

read_request: size 413, UTF-8 400, method 405, content type 415, update 403, empty query 400
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from werkzeug.http import parse_options_header

from kg.config import Settings
from kg.sparql.policy import UPDATE_REFUSED, QueryError, check_size

MAX_FIELDS = 200
# The parameter that names a result format: `format`, and Fuseki's `output` and `results` as aliases.
FORMAT_PARAMETERS = ("format", "output", "results")


@dataclass(frozen=True)
class ProtocolRequest:
    """A SPARQL Protocol request, read and checked: the query (None: a service description request)."""

    method: str
    query: str | None
    default_graph_uris: tuple[str, ...] = ()
    named_graph_uris: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    accept: str = ""
    body: bytes | None = None

    def cache_key(self, endpoint_url: str, version: str) -> tuple:
        """The normalized request: the same answer for the same key (`version` names the data the store holds)."""
        if self.query is None:
            return ("description", version, endpoint_url, self.accept, self.formats)
        return ("query", version, self.query, self.default_graph_uris, self.named_graph_uris, self.accept, self.formats)


def _decode(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise QueryError(400, f"The {what} is not valid UTF-8 (byte {exc.start}).") from None


def parse_form(data: bytes) -> list[tuple[str, str]]:
    """application/x-www-form-urlencoded, strictly: percent-escapes must decode to UTF-8."""
    pairs = []
    for i, part in enumerate(p for p in data.split(b"&") if p):
        if i >= MAX_FIELDS:
            raise QueryError(400, f"Too many parameters (at most {MAX_FIELDS}).")
        name, _, value = part.partition(b"=")
        pairs.append(
            (
                _decode(unquote_to_bytes(name.replace(b"+", b" ")), "parameter name"),
                _decode(unquote_to_bytes(value.replace(b"+", b" ")), "request"),
            )
        )
    return pairs


def _read_body(environ: dict, limit: int) -> bytes:
    stream = environ.get("wsgi.input")
    length = environ.get("CONTENT_LENGTH") or ""
    if length:
        try:
            n = int(length)
        except ValueError:
            raise QueryError(400, "Invalid Content-Length.") from None
        if n > limit:
            raise QueryError(413, f"The request body is {n} bytes; this endpoint accepts at most {limit}.")
        return stream.read(n) if stream is not None and n else b""
    if stream is None:
        return b""
    data = stream.read(limit + 1)  # chunked or unknown length
    if len(data) > limit:
        raise QueryError(413, f"The request body is larger than {limit} bytes.")
    return data


def read_request(environ: dict, settings: Settings) -> ProtocolRequest:
    """The protocol request in a WSGI environ (reads the body). Raises QueryError for what cannot be served."""
    method = environ.get("REQUEST_METHOD", "GET")
    if method not in ("GET", "POST", "HEAD"):
        raise QueryError(405, f"Method {method} is not allowed here; use GET or POST (SPARQL 1.1 Protocol).")
    form_limit = settings.max_query_bytes * 3 + 16384  # percent-encoding may triple a query's size
    query_string = environ.get("QUERY_STRING", "")
    if len(query_string) > form_limit:
        raise QueryError(413, f"The query is larger than this endpoint accepts ({settings.max_query_bytes} bytes).")
    try:
        raw_query_string = query_string.encode("latin-1")  # PEP 3333: the URL's bytes, one character each
    except UnicodeEncodeError:
        raw_query_string = query_string.encode("utf-8", "surrogateescape")
    params = parse_form(raw_query_string)
    body: bytes | None = None
    direct_query: str | None = None
    if method == "POST":
        mimetype, options = parse_options_header(environ.get("CONTENT_TYPE", ""))
        mimetype = mimetype.lower()
        if mimetype == "application/sparql-update":
            raise QueryError(403, UPDATE_REFUSED)
        if mimetype == "application/x-www-form-urlencoded":
            body = _read_body(environ, form_limit)
            params += parse_form(body)
        elif mimetype == "application/sparql-query":
            body = _read_body(environ, settings.max_query_bytes)
            charset = options.get("charset", "utf-8").lower()
            if charset not in ("utf-8", "utf8", "us-ascii", "ascii"):
                raise QueryError(415, f"Queries must be sent in UTF-8, not {charset}.")
            direct_query = _decode(body, "query")
        else:
            raise QueryError(
                415,
                "POST a query as application/x-www-form-urlencoded (query=...) or as "
                f"application/sparql-query, not {mimetype or 'without a Content-Type'}.",
            )
    names = [name for name, _ in params]
    if "update" in names or "using-graph-uri" in names or "using-named-graph-uri" in names:
        raise QueryError(403, UPDATE_REFUSED)
    queries = [value for name, value in params if name == "query"]
    if direct_query is not None:
        queries.append(direct_query)
    if len(queries) > 1:
        raise QueryError(400, "Send exactly one query (several query parameters were given).")
    query = queries[0] if queries else None
    if query is not None:
        check_size(query, settings)
        if not query.strip():
            raise QueryError(400, "The query is empty.")
    return ProtocolRequest(
        method=method,
        query=query,
        default_graph_uris=tuple(v for n, v in params if n == "default-graph-uri"),
        named_graph_uris=tuple(v for n, v in params if n == "named-graph-uri"),
        formats=tuple(value for name, value in params if name in FORMAT_PARAMETERS and value),
        accept=" ".join(environ.get("HTTP_ACCEPT", "").split()),
        body=body,
    )


def endpoint_url(environ: dict) -> str:
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '80')}"
    return f"{scheme}://{host}{environ.get('SCRIPT_NAME', '')}/sparql"
