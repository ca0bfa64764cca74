"""Downloads: the build's files served as they are (dataset in every format, ontology, shapes, VoID, validation
report, source text), the /downloads overview (those files and the tables: the figures and every class as CSV and
Excel) and the validation report page."""

from __future__ import annotations

from pathlib import Path

from flask import Response, current_app, redirect, request, send_file

from kg.artifacts import DOWNLOADS, SOURCE, VALIDATION_TEXT, BuildArtifacts
from kg.rdf.vocab import GRAPH_NAMES, SD
from kg.sparql.answers import CORS_HEADERS, choose_encoding
from kg.sparql.graph_store import GraphRequest
from kg.sparql.service import EXTENSION
from kg.web import catalog
from kg.web.dataset_index import Site, site
from kg.web.linked_data import DOCUMENT_FORMATS, HTML, document_links, negotiate, offered, rdf_response
from kg.web.rendering import PageError, _, lang, render

SOURCE_NAME = "jinpu-2021-report.txt"


def _artifacts() -> BuildArtifacts:
    return BuildArtifacts(site().settings.build_dir)


def _file(name: str) -> Path:
    if name not in DOWNLOADS:
        raise PageError(404, _("Nothing here has that name."))
    path = _artifacts().path(name)
    if not path.is_file():
        if name == SOURCE:
            path = site().settings.source_file
        if not path.is_file():
            raise PageError(404, "That file is not in the current build.")
    return path


def _send(name: str, download: bool = False) -> Response:
    path = _file(name)
    mimetype = DOWNLOADS[name].media_type
    packed = path.with_name(path.name + ".gz")  # made once by the build
    gzip_ok = (
        choose_encoding(request.headers.get("Accept-Encoding")) is not None
        and packed.is_file()
        and packed.stat().st_mtime >= path.stat().st_mtime
    )
    resp = send_file(
        packed if gzip_ok else path,
        mimetype=mimetype,
        conditional=True,
        etag=True,
        max_age=300,
        as_attachment=download,
        download_name=name,
    )
    resp.charset = "utf-8"  # every file of the build is UTF-8 text
    if gzip_ok:
        resp.headers["Content-Encoding"] = "gzip"  # so it is not compressed again
    resp.vary.add("Accept-Encoding")
    return resp


def download(filename: str) -> Response:
    """GET /download/<file>: one file of the current build."""
    return _send(filename)


def void() -> Response:
    """GET /.well-known/void: the dataset's VoID description (RFC 5785 well-known location)."""
    return _send("void.ttl")


def void_iri() -> Response:
    """GET /void: the document of the dataset's IRI <BASE void#dataset> (and of the other VoID and DCAT hash IRIs:
    void#asserted, void#catalog, void#sparql-service ...). By Accept: a browser is sent to /downloads (303), whose
    page embeds the schema.org record; an RDF client gets the VoID description and the DCAT catalogue record
    together, in the format it asks for (200: hash IRIs need no redirect)."""
    choice = negotiate(request)
    if choice is None:
        raise PageError(406, "Available as " + offered() + ".")
    if choice == HTML:
        return _see_other("/downloads")
    s = site()
    resp = rdf_response(catalog.dataset_document(s), choice, s.prefixes | catalog_prefixes(), subject=None)
    resp.headers["Link"] = document_links("/void", choice, "/downloads")
    resp.vary.add("Accept")
    return resp


def catalog_prefixes() -> dict[str, str]:
    from rdflib.namespace import DCAT, FOAF

    from kg.build.catalog import SPDX

    return {"dcat": str(DCAT), "foaf": str(FOAF), "spdx": str(SPDX), "sd": SD}


def sitemap() -> Response:
    """GET /sitemap.xml: every entity and figure page, every class page and the site's own pages."""
    resp = Response(catalog.sitemap_xml(site(), request.host_url), mimetype="application/xml")
    resp.charset = "utf-8"
    return resp


def robots() -> Response:
    """GET /robots.txt: crawl the pages, not the endpoint; where the sitemap is."""
    resp = Response(catalog.robots_txt(request.host_url), mimetype="text/plain")
    resp.charset = "utf-8"
    return resp


def graph(name: str) -> Response:
    """GET /graph/<name>: a named graph's IRI. A browser is sent to the downloads page (303); an RDF client gets the
    graph itself, that graph alone, in the format it asks for (what /store?graph=<IRI> answers)."""
    if name not in GRAPH_NAMES:
        raise PageError(404, _("Nothing here has that name."))
    choice = negotiate(request)
    if choice is None:
        raise PageError(406, "Available as " + offered() + ".")
    if choice == HTML:
        return _see_other("/downloads#graphs")
    service = current_app.extensions[EXTENSION]
    answer = service.graph_store.answer(
        request.method,
        GraphRequest(site().settings.graph_iri(name), (DOCUMENT_FORMATS[choice].name,)),
        None,
        request.headers.get("If-None-Match"),
        CORS_HEADERS,
    )
    resp = Response(answer.body, status=answer.status, headers=answer.headers)
    resp.headers["Link"] = '</downloads#graphs>; rel="alternate"; type="text/html"; title="HTML"'
    return resp


def _see_other(location: str) -> Response:
    resp = redirect(location, code=303)
    resp.vary.add("Accept")
    return resp


def source(filename: str) -> Response:
    """GET /source/jinpu-2021-report.txt: the report text the passages' offsets count in."""
    if filename != SOURCE_NAME:
        raise PageError(404, _("Nothing here has that name."))
    return _send(SOURCE)


def tables(s: Site) -> list[tuple[str, str, int]]:
    """(class IRI, local name, members) of every class with members that has a table page: the figures first,
    then by label."""
    counts = s.ontology.class_counts
    rows = [(c, s.iris.local(c) or "", counts.get(c, 0)) for c in s.ontology.classes]
    rows = [r for r in rows if r[1] and r[2] > 0]
    rows.sort(key=lambda r: (r[1] != "Observation", s.names.label(r[0], lang()).lower()))
    return rows


def index() -> Response:
    s = site()
    artifacts = _artifacts()
    files = [(a.name, a.media_type, a.title(lang()), artifacts.size(a.name)) for a in DOWNLOADS.values()]
    return render(
        "downloads.html",
        files=files,
        tables=tables(s),
        manifest=artifacts.manifest(),
        graphs=[(n, s.settings.graph_iri(n)) for n in GRAPH_NAMES],
        dataset_jsonld=catalog.dataset_jsonld(s, request.host_url),
        alternates=[
            ("/download/manifest.json", "application/json", "Build manifest"),
            ("/void", "text/turtle", "VoID and DCAT description"),
        ],
    )


def validation() -> Response:
    artifacts = _artifacts()
    text = artifacts.text(VALIDATION_TEXT) or ""
    manifest = artifacts.manifest()
    return render(
        "validation.html",
        report_text=text,
        manifest=manifest,
        conforms=manifest.get("conforms"),
        alternates=[
            ("/download/validation.ttl", "text/turtle", "Turtle"),
            ("/download/validation.txt", "text/plain", "Text"),
        ],
    )
