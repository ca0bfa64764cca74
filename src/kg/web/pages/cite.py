"""/cite/<name>.txt|.bib|.json: how to cite an entity, a figure or a passage, as plain text, BibTeX or CSL-JSON (the
entity pages show the same in their "Cite this" box). The accessed date is today's (UTC)."""

from __future__ import annotations

from flask import Response

from kg.web.dataset_index import site
from kg.web.models.citation import Citation, citation, today
from kg.web.pages.entity import resolve
from kg.web.rendering import PageError, _, lang

FORMATS = {"txt": "text/plain", "bib": "application/x-bibtex", "json": "application/vnd.citationstyles.csl+json"}


def for_entity(iri: str) -> Citation:
    return citation(site(), iri, lang(), today())


def cite(name: str) -> Response:
    base, dot, ext = name.rpartition(".")
    if not dot or ext not in FORMATS:
        raise PageError(404, _("A citation is available as .txt, .bib or .json."))
    iri = resolve(base)
    c = for_entity(str(iri))
    body = {"txt": lambda: c.plain() + "\n", "bib": c.bibtex, "json": c.csl_json}[ext]()
    resp = Response(body, mimetype=FORMATS[ext])
    resp.charset = "utf-8"
    resp.headers["Content-Disposition"] = f'inline; filename="jinpu-kg-{c.name}.{ext}"'
    return resp
