"""Entity pages and dereferenceable IRIs.

/id/<name> (and /def for the ontology) answer 303 See Other: to /page/<name> for HTML, to /data/<name>.<ext> for RDF.
/page/<name> is the entity page; /data/<name>.ttl|.jsonld|.nt|.rdf its description: its own triples, the blank nodes
and hash IRIs under it, and the labels of what it links to. Ontology terms that are not classes get the same page at
/term/<Local>; classes have /class/<Local> (classes.py).
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Response, redirect, request
from rdflib import URIRef

from kg.rdf import sparql_text as sparql_terms
from kg.web.dataset_index import Site, site
from kg.web.iris import ONTOLOGY_DOC
from kg.web.linked_data import DOCUMENT_FORMATS, HTML, alternates, document_links, negotiate, offered, rdf_response
from kg.web.models.citation import citation, today
from kg.web.models.entity import description, entity_model, listing_query
from kg.web.rendering import PageError, _, fmt, render


def split_ext(name: str) -> tuple[str, str | None]:
    for ext in DOCUMENT_FORMATS:
        if name.endswith("." + ext):
            return name[: -len(ext) - 1], ext
    return name, None


def resolve(name: str, ontology: bool = False) -> URIRef:
    """The IRI of /id/<name> (or, where documents are named, of the ontology for "def"); 404 when it is not a name
    of this dataset or nothing is said about it."""
    s = site()
    iri = URIRef(s.iris.ontology_iri) if ontology and name == ONTOLOGY_DOC else s.iris.entity_iri(name)
    if iri is None or not known(s, iri):
        raise PageError(404, _("Nothing here has that name."))
    return iri


def resolve_term(local: str) -> URIRef:
    s = site()
    iri = s.iris.term_iri(local)
    if iri is None or not known(s, iri):
        raise PageError(404, _("Nothing here has that name."))
    return iri


def known(s: Site, iri: URIRef) -> bool:
    try:
        sparql_terms.iri(str(iri))
    except sparql_terms.UnsafeTerm:
        return False
    if str(iri) == s.iris.ontology_iri:
        return True
    return s.queries.ask("entity_known", x=iri)


def _see_other(location: str) -> Response:
    resp = redirect(location, code=303)
    resp.vary.add("Accept")
    return resp


def _negotiated(page_path: str, data_path: str) -> Response:
    choice = negotiate(request)
    if choice is None:
        raise PageError(406, "Available as " + offered() + ".")
    if choice == HTML:
        return _see_other(page_path)
    return _see_other(f"{data_path}.{choice}")


def dereference(name: str) -> Response:
    """GET /id/<name>: 303 to the page or the data, by Accept (Cool URIs, 303 pattern)."""
    base, ext = split_ext(name)
    if ext:
        resolve(base)
        return _see_other(f"/data/{base}.{ext}")
    resolve(name)
    return _negotiated(f"/page/{name}", f"/data/{name}")


def dereference_ontology() -> Response:
    """GET /def: the ontology's hash IRIs (def#District) all resolve to this one document."""
    return _negotiated("/page/def", "/data/def")


def data(name: str) -> Response:
    """GET /data/<name>.<ext>: the entity's description in one RDF format; without extension, by Accept."""
    base, ext = split_ext(name)
    iri = resolve(base, ontology=True)
    s = site()
    if ext is None:
        ext = negotiate(request, html=False)
        if ext is None:
            raise PageError(406, "Available as " + offered(html=False) + ".")
    graph = s.ontology.graph if base == "def" else description(s, iri)
    resp = rdf_response(graph, ext, s.prefixes, subject=str(iri))
    if name == base:
        resp.vary.add("Accept")
        resp.headers["Content-Location"] = f"/data/{base}.{ext}"
    resp.headers["Link"] = document_links(f"/data/{base}", ext, f"/page/{base}")
    return resp


def term_data(local: str, ext: str) -> Response:
    s = site()
    iri = resolve_term(local)
    return rdf_response(description(s, iri), ext, s.prefixes, subject=str(iri))


def page(name: str) -> Response:
    """GET /page/<name>: the entity page (HTML). /page/<name>.ttl etc. redirect to the data."""
    base, ext = split_ext(name)
    if ext:
        resolve(base, ontology=True)
        return _see_other(f"/data/{base}.{ext}")
    if name == ONTOLOGY_DOC:
        from kg.web.pages.ontology import ontology_page

        return ontology_page()
    iri = resolve(name)
    return entity_page(iri, data_base=f"/data/{name}")


def term_page(local: str) -> Response:
    """GET /term/<Local>: the page of an ontology term that is not a class (a property, a status, a kind)."""
    base, ext = split_ext(local)
    if ext:
        return term_data(base, ext)
    iri = resolve_term(local)
    if str(iri) in site().ontology.classes:
        return redirect(f"/class/{local}", code=301)
    return entity_page(iri, data_base=f"/term/{local}")


def entity_page(iri: URIRef, data_base: str, extra: dict | None = None, template: str = "entity.html") -> Response:
    s, f = site(), fmt()
    model = entity_model(s, f, iri)
    links = alternates(data_base)
    model["downloads"] = links
    model["query_url"] = "/query?" + urlencode({"query": listing_query(s, iri)})
    if s.iris.name(str(iri)):  # things of the dataset (not ontology terms) can be cited
        model["cite"] = citation(s, str(iri), f.lang, today())
    model.update(extra or {})
    return render(template, alternates=links, **model)
