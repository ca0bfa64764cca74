"""Where each IRI is shown on this server."""

from __future__ import annotations

from kg.web.dataset_index.ontology import Ontology
from kg.web.iris import IriMap


class PageUrls:
    def __init__(self, iris: IriMap, ontology: Ontology):
        self.iris = iris
        self.ontology = ontology

    def page(self, iri: str) -> str | None:
        """The HTML page of an IRI on this server; None for IRIs outside the dataset (link to them as they are)."""
        iris = self.iris
        name = iris.name(iri)
        if name:
            return f"/page/{name}"
        local = iris.local(iri)
        if local:
            return f"/class/{local}" if iri in self.ontology.classes else f"/term/{local}"
        frag = iris.fragment_owner(iri)
        if frag:
            return f"/page/{frag[0]}#{frag[1]}"
        if iri.startswith(iris.def_ns) or iri == iris.base + "def":
            return "/page/def"
        path = iris.path(iri)
        if path is None:
            return None
        if path.startswith("/graph/"):
            return "/downloads#graphs"
        if path.startswith("/void"):
            return "/.well-known/void"
        return path
