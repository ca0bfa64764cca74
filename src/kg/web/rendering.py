"""What every page shares: the request's language, the formatter, rendering with Link headers, and error pages."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from flask import Response, current_app, g, render_template, request
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException

from kg.rdf.formats import best_offer
from kg.sparql.answers import CORS_HEADERS
from kg.sparql.errors import message_of, status_of
from kg.store.base import ExecutionError
from kg.web import i18n, langmark
from kg.web.dataset_index import Site, site
from kg.web.html import Formatter
from kg.web.linked_data import head_links, link_header

MAX_PARAM = 500  # characters of any query-string value we accept (q=, sort=, ...); the SPARQL text has its own cap


class PageError(HTTPException):
    """A 4xx with a message meant for the reader (shown on the error page)."""

    def __init__(self, code: int, message: str):
        super().__init__(description=message)
        self.code = code


def lang() -> str:
    return getattr(g, "lang", "en")


def fmt() -> Formatter:
    f = getattr(g, "fmt", None)
    if f is None:
        f = g.fmt = Formatter(site(), lang())
    return f


def _(text: str, **values: object) -> str:
    return i18n.translate(text, lang(), **values)


def _m(text: str, **values: object) -> Markup:
    """An interface string with markup in its values (links, code): the string escaped, the values as they are."""
    return Markup(escape(i18n.translate(text, lang()))).format(**values)


def before_request() -> None:
    g.started = time.perf_counter()
    g.lang, g.remember_lang = i18n.choose(request)
    for key, value in request.args.items(multi=True):
        if len(value) > MAX_PARAM and key not in ("query",):
            raise PageError(414 if len(value) > 8000 else 400, f"The parameter {key!r} is too long.")


# Pages and entity documents: cacheable for a while, revalidated by ETag (tied to the data version)
VALIDATED_PREFIXES = ("/page/", "/data/")
PAGE_CACHE_CONTROL = "public, max-age=300"


def add_validators(resp: Response) -> Response:
    """ETag (the data version and a digest of the body) and Cache-Control on pages and documents; 304 on a matching
    If-None-Match."""
    if (
        request.method not in ("GET", "HEAD")
        or resp.status_code != 200
        or resp.is_streamed
        or not request.path.startswith(VALIDATED_PREFIXES)
    ):
        return resp
    import hashlib

    from kg.web.dataset_index import VERSION_KEY

    data_version = current_app.extensions.get(VERSION_KEY)
    version = (data_version.get() if data_version is not None else "").removeprefix("sha256:")[:16]
    digest = hashlib.blake2b(resp.get_data(), digest_size=8).hexdigest()
    resp.set_etag(f"{version}-{digest}", weak=True)
    resp.headers["Cache-Control"] = PAGE_CACHE_CONTROL
    return resp.make_conditional(request)


def cors(resp: Response) -> Response:
    """Every answer of the site (pages, IRIs and their 303s, documents, dumps, errors) may be read by a script on
    any origin: the data is public and nothing depends on cookies. A preflight (OPTIONS with
    Access-Control-Request-Method) is answered for the headers the script asks to send."""
    for name, value in CORS_HEADERS:
        resp.headers.setdefault(name, value)
    if request.method == "OPTIONS" and request.headers.get("Access-Control-Request-Method"):
        resp.status_code = 204
        resp.set_data(b"")
        resp.headers["Access-Control-Allow-Methods"] = resp.headers.get("Allow") or "GET, HEAD, OPTIONS"
        resp.headers["Access-Control-Allow-Headers"] = (
            request.headers.get("Access-Control-Request-Headers") or "Accept, If-None-Match"
        )
        resp.headers["Access-Control-Max-Age"] = "86400"
        resp.vary.add("Access-Control-Request-Headers")
    return resp


def after_request(resp: Response) -> Response:
    resp = add_validators(resp)
    if getattr(g, "remember_lang", False):
        resp.set_cookie(i18n.COOKIE, g.lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    if resp.mimetype == "text/html":
        resp.vary.add("Cookie")
        resp.vary.add("Accept-Language")
    resp.headers.setdefault("X-Content-Type-Options", "nosniff")
    started = getattr(g, "started", None)
    if started is not None:  # how long the page took on the server (benchmarks/pages.py reads it)
        resp.headers["Server-Timing"] = f"page;dur={(time.perf_counter() - started) * 1000:.2f}"
    return resp


def ucfirst(text: str) -> str:
    """'located in' -> 'Located in' (unlike |capitalize, the rest is left alone: 'RCEP member' stays)."""
    return text[:1].upper() + text[1:]


def switch_url(to: str) -> str:
    """The current page in the other language (and remember the choice)."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    args.append(("lang", to))
    return request.path + "?" + urlencode(args)


def context() -> dict:
    s: Site = site()
    return {
        "_": _,
        "_m": _m,
        "markup": lambda text, **values: i18n.markup(text, lang(), **values),
        "lang": lang(),
        "html_lang": i18n.html_lang(lang()),
        "other_lang": i18n.other(lang()),
        "language_name": i18n.language_name,
        "HOME_LEDE": i18n.HOME_LEDE,
        "HOME_PROVENANCE": i18n.HOME_PROVENANCE,
        "switch_url": switch_url,
        "site": s,
        "fmt": fmt(),
        "link": fmt().link,
        "label": fmt().label,
    }


def render(
    template: str, *, status: int = 200, alternates: list[tuple[str, str, str]] | None = None, **values
) -> Response:
    """Render a page; its machine twins go both in <link rel=alternate> and in the Link header."""
    alternates = alternates or []
    html = render_template(template, alternates=head_links(alternates), **context(), **values)
    if lang() == "en":  # Chinese fragments on English pages get lang="zh"
        html = langmark.mark_chinese(html)
    resp = Response(html, status=status, mimetype="text/html")
    if alternates:
        resp.headers["Link"] = link_header(alternates)
    return resp


def error_form() -> str:
    """'html', 'json' or 'text': what an error answer is written as, by Accept (kg.rdf.formats negotiation)."""
    offers = [("text/html", "html"), ("application/json", "json"), ("text/plain", "text")]
    return best_offer(request.headers.get("Accept"), offers, default="html") or "html"


def wants_html() -> bool:
    return error_form() == "html"


TITLES = {
    400: "Bad request",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    413: "Request too large",
    414: "Request too long",
    500: "Server error",
}


def store_error_page(exc: ExecutionError) -> Response:
    """A store that failed under a page (a remote store down, slow or answering nonsense): its status, its message."""
    return error_page(PageError(status_of(exc), message_of(exc)))


def error_page(exc: HTTPException) -> Response:
    """The site's error page for everything but the SPARQL protocol (which answers in its own way)."""
    if request.blueprint not in (None, "web"):
        return exc  # type: ignore[return-value]
    code = exc.code or 500
    message = exc.description or ""
    if not hasattr(g, "lang"):
        g.lang, g.remember_lang = i18n.choose(request)
    form = error_form()
    if form != "html":
        if form == "json":
            from flask import jsonify

            resp = jsonify({"status": code, "error": TITLES.get(code, "Error"), "message": message})
            resp.status_code = code
            return resp
        return Response(f"{code} {TITLES.get(code, 'Error')}: {message}\n", status=code, mimetype="text/plain")
    try:
        resp = render("error.html", status=code, code=code, title=_(TITLES.get(code, "Error")), message=message)
    except Exception:  # noqa: BLE001 - the store itself may be what failed: still answer with a plain page
        resp = Response(
            Markup("<h1>{} {}</h1><p>{}</p>").format(code, TITLES.get(code, "Error"), message),
            status=code,
            mimetype="text/html",
        )
    if isinstance(exc, HTTPException) and exc.code == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
        resp.headers["Allow"] = ", ".join(exc.valid_methods)
    return resp
