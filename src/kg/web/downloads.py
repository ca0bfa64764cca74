"""Downloads: the build's files served as they are (dataset in every format, ontology, shapes, VoID, validation
report, source text), the /downloads overview and the validation report page."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Response, redirect, request, send_file

from kg.web.pages import PageError, _, lang, render
from kg.web.renderer import HTML, negotiate
from kg.web.site import site

# file in build/ -> (media type, what it is, in English and Chinese)
FILES: dict[str, tuple[str, str, str]] = {
    "dataset.ttl": ("text/turtle", "Whole dataset, Turtle", "整个数据集，Turtle"),
    "dataset.nt": ("application/n-triples", "Whole dataset, N-Triples", "整个数据集，N-Triples"),
    "dataset.jsonld": ("application/ld+json", "Whole dataset, JSON-LD", "整个数据集，JSON-LD"),
    "dataset.trig": ("application/trig", "Whole dataset, TriG (named graphs kept)", "整个数据集，TriG（保留命名图）"),
    "dataset.nq": ("application/n-quads", "Whole dataset, N-Quads (named graphs kept)",
                   "整个数据集，N-Quads（保留命名图）"),
    "ontology.ttl": ("text/turtle", "Ontology, Turtle", "本体，Turtle"),
    "shapes.ttl": ("text/turtle", "SHACL shapes, Turtle", "SHACL 约束，Turtle"),
    "void.ttl": ("text/turtle", "VoID description, Turtle", "VoID 数据集描述，Turtle"),
    "validation.ttl": ("text/turtle", "Validation report, Turtle", "校验报告，Turtle"),
    "validation.txt": ("text/plain", "Validation report, text", "校验报告，纯文本"),
    "manifest.json": ("application/json", "Build manifest", "构建清单"),
    "source.txt": ("text/plain", "Source text of the report", "报道原文文本"),
}
SOURCE_NAME = "jinpu-2021-report.txt"


def _file(name: str) -> Path:
    if name not in FILES:
        raise PageError(404, _("Nothing here has that name."))
    path = site().settings.build_dir / name
    if not path.is_file():
        if name == "source.txt":
            path = site().settings.source_file
        if not path.is_file():
            raise PageError(404, "That file is not in the current build.")
    return path


def _send(name: str, download: bool = False) -> Response:
    path = _file(name)
    mimetype = FILES[name][0]
    resp = send_file(path, mimetype=mimetype, conditional=True, etag=True, max_age=300,
                     as_attachment=download, download_name=name)
    if mimetype.startswith("text/") or mimetype in ("application/n-triples", "application/n-quads",
                                                    "application/trig", "application/ld+json"):
        resp.charset = "utf-8"
    return resp


def download(filename: str) -> Response:
    """GET /download/<file>: one file of the current build."""
    return _send(filename)


def void() -> Response:
    """GET /.well-known/void: the dataset's VoID description (RFC 5785 well-known location)."""
    return _send("void.ttl")


def void_iri() -> Response:
    """GET /void: the VoID IRIs (<BASE void#dataset>, <BASE void#asserted> ...) resolve to the VoID description."""
    return _see_other("/.well-known/void")


def graph(name: str) -> Response:
    """GET /graph/<name>: a named graph's IRI; 303 to the downloads page (HTML) or the TriG dump (RDF)."""
    if name not in ("ontology", "asserted", "inferred"):
        raise PageError(404, _("Nothing here has that name."))
    choice = negotiate(request)
    if choice is None:
        raise PageError(406, "Available as HTML and RDF.")
    if choice == HTML:
        return _see_other("/downloads#graphs")
    return _see_other("/download/ontology.ttl" if name == "ontology" else "/download/dataset.trig")


def _see_other(location: str) -> Response:
    resp = redirect(location, code=303)
    resp.vary.add("Accept")
    return resp


def source(filename: str) -> Response:
    """GET /source/jinpu-2021-report.txt: the report text the passages' offsets count in."""
    if filename != SOURCE_NAME:
        raise PageError(404, _("Nothing here has that name."))
    return _send("source.txt")


def _manifest() -> dict:
    try:
        return json.loads(_file("manifest.json").read_text(encoding="utf-8"))
    except (PageError, ValueError):
        return {}


def index() -> Response:
    s = site()
    files = []
    for name, (mimetype, title_en, title_zh) in FILES.items():
        path = s.settings.build_dir / name
        title = title_zh if lang() == "zh" else title_en
        files.append((name, mimetype, title, path.stat().st_size if path.is_file() else None))
    return render("downloads.html", files=files, manifest=_manifest(),
                  graphs=[(n, s.graph_iri(n)) for n in ("ontology", "asserted", "inferred")],
                  alternates=[("/download/manifest.json", "application/json", "Build manifest")])


def validation() -> Response:
    try:
        text = _file("validation.txt").read_text(encoding="utf-8")
    except PageError:
        text = ""
    manifest = _manifest()
    return render("validation.html", report_text=text, manifest=manifest, conforms=manifest.get("conforms"),
                  alternates=[("/download/validation.ttl", "text/turtle", "Turtle"),
                              ("/download/validation.txt", "text/plain", "Text")])
