"""A remote store's URLs (query, update, Graph Store Protocol) by the server's layout, and the HTTP session that
speaks to them: credentials from the settings (basic or digest), no redirects followed, no client URL ever used."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from requests.auth import HTTPDigestAuth

from kg.config import Settings


def redact(url: str) -> str:
    """A URL fit for messages and logs: without user name, password, query string or fragment."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _replace_last_segment(url: str, segment: str) -> str:
    parts = urlsplit(url)
    path = parts.path.rsplit("/", 1)[0] + "/" + segment
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


@dataclass(frozen=True)
class Endpoints:
    """The remote store's URLs: SPARQL query, SPARQL update and Graph Store Protocol (None: load through updates)."""

    query: str
    update: str
    gsp: str | None

    @classmethod
    def from_settings(cls, settings: Settings) -> Endpoints:
        """Explicit settings win; otherwise a layout is derived from the query URL: Oxigraph's (/query, /update,
        /store) from a URL ending in /query, Virtuoso's (/sparql, /sparql-auth, /sparql-graph-crud-auth) from one
        ending in /sparql; any other query URL is taken to accept updates too and to have no GSP."""
        query = settings.store
        if urlsplit(query).scheme not in ("http", "https"):
            raise ValueError(f"KG_STORE must be 'embedded' or an http(s) SPARQL query URL, not {redact(query)!r}")
        layout = store_layout(query)
        derived = {
            "oxigraph": ("update", "store"),
            "virtuoso": ("sparql-auth", "sparql-graph-crud-auth"),
        }.get(layout)
        update = settings.store_update or (_replace_last_segment(query, derived[0]) if derived else query)
        if settings.store_gsp.lower() == "none":
            gsp = None
        elif settings.store_gsp:
            gsp = settings.store_gsp
        else:
            gsp = _replace_last_segment(query, derived[1]) if derived else None
        return cls(query=query, update=update, gsp=gsp)


def store_layout(query_url: str) -> str:
    """The URL layout a query URL suggests: "oxigraph" (…/query), "virtuoso" (…/sparql) or "other"."""
    path = urlsplit(query_url).path
    if path.endswith("/query"):
        return "oxigraph"
    if path.endswith("/sparql"):
        return "virtuoso"
    return "other"


def auth_scheme(settings: Settings) -> str:
    """The HTTP authentication scheme for the store's credentials: KG_STORE_AUTH, else digest for Virtuoso's layout
    (its /sparql-auth endpoints ask for digest) and basic for any other."""
    scheme = settings.store_auth.strip().lower()
    if not scheme:
        return "digest" if store_layout(settings.store) == "virtuoso" else "basic"
    if scheme not in ("basic", "digest"):
        raise ValueError(f"KG_STORE_AUTH must be 'basic' or 'digest', not {settings.store_auth!r}")
    return scheme


def make_session(settings: Settings) -> requests.Session:
    """One pooled HTTP session for all requests to the store, with credentials from the settings if any."""
    session = requests.Session()
    pool = max(4, settings.threads + settings.workers)
    adapter = HTTPAdapter(pool_connections=2, pool_maxsize=pool, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = "jinpu-kg"
    if settings.store_user:
        if auth_scheme(settings) == "digest":
            # Sent after the store's challenge (401), then ahead of time with the nonce it gave, per thread.
            session.auth = HTTPDigestAuth(settings.store_user, settings.store_password)
        else:
            session.auth = (settings.store_user, settings.store_password)
    session.trust_env = False  # proxies and .netrc from the environment must not redirect or re-authenticate
    return session
