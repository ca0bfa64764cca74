"""The ontology as a documentation page (/page/def, the HTML answer for /def and every def# term): classes,
properties and controlled terms with labels, definitions, domains and ranges; each term has an anchor (#District)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Response, redirect
from rdflib import RDF, RDFS, URIRef
from rdflib.namespace import OWL, SKOS

from kg.web.dataset_index import Site, site
from kg.web.linked_data import alternates
from kg.web.rendering import render

CHARACTERISTICS = [OWL.FunctionalProperty, OWL.TransitiveProperty, OWL.SymmetricProperty]


@dataclass
class TermDoc:
    iri: str
    local: str
    labels: dict[str, str]
    definitions: dict[str, str]
    types: list[str]
    superclasses: list[str]
    domain: list[str]
    range: list[str]
    inverse: list[str]
    characteristics: list[str]


def _texts(s: Site, iri: URIRef, *props) -> dict[str, str]:
    out: dict[str, str] = {}
    for p in props:
        for o in s.ontology.graph.objects(iri, p):
            out.setdefault(getattr(o, "language", None) or "und", str(o))
    return out


def documentation(s: Site) -> dict[str, list[TermDoc]]:
    """The ontology's terms grouped for the documentation page (once per data version)."""
    return s.memo("ontology_doc", lambda: _documentation(s))


def warm(s: Site) -> None:
    documentation(s)


def _documentation(s: Site) -> dict[str, list[TermDoc]]:
    g = s.ontology.graph
    groups: dict[str, list[TermDoc]] = {"classes": [], "properties": [], "individuals": []}
    subjects = {x for x in g.subjects() if isinstance(x, URIRef) and s.iris.local(str(x))}
    for iri in subjects:
        local = s.iris.local(str(iri)) or ""
        types = [str(t) for t in g.objects(iri, RDF.type)]
        doc = TermDoc(
            iri=str(iri),
            local=local,
            labels=_texts(s, iri, RDFS.label),
            definitions=_texts(s, iri, SKOS.definition, RDFS.comment),
            types=types,
            superclasses=sorted(str(o) for o in g.objects(iri, RDFS.subClassOf) if isinstance(o, URIRef))
            + sorted(str(o) for o in g.objects(iri, RDFS.subPropertyOf) if isinstance(o, URIRef)),
            domain=sorted(str(o) for o in g.objects(iri, RDFS.domain)),
            range=sorted(str(o) for o in g.objects(iri, RDFS.range)),
            inverse=sorted(
                {str(o) for o in g.objects(iri, OWL.inverseOf)} | {str(o) for o in g.subjects(OWL.inverseOf, iri)}
            ),
            characteristics=[str(c) for c in CHARACTERISTICS if (iri, RDF.type, c) in g],
        )
        if str(iri) in s.ontology.classes:
            groups["classes"].append(doc)
        elif str(iri) in s.ontology.properties:
            groups["properties"].append(doc)
        else:
            groups["individuals"].append(doc)
    for docs in groups.values():
        docs.sort(key=lambda d: d.local.lower())
    return groups


def ontology_page() -> Response:
    s = site()
    meta = _texts(s, URIRef(s.iris.ontology_iri), RDFS.comment)
    links = alternates("/data/def")
    return render(
        "ontology.html",
        docs=documentation(s),
        meta=meta,
        ontology_iri=s.iris.ontology_iri,
        counts=s.ontology.class_counts,
        alternates=links,
    )


def ontology_redirect() -> Response:
    return redirect("/page/def", code=302)
