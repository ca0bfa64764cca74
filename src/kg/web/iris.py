"""Where each IRI of the dataset lives on this server, and back.

The server's web root stands for the dataset's IRI base (one setting, ``base_iri``): <BASE id/jinpu> is served at
/id/jinpu on whatever host the server runs, and the ontology's hash IRIs <BASE def#District> at /def. Following the
W3C note "Cool URIs for the Semantic Web", the IRI itself names the thing and is answered with 303 See Other to a
document about it: /page/<name> (HTML) or /data/<name>.<ext> (RDF).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rdflib import URIRef

# Entity names as the data writes them (jpr:<slug>); anything else cannot be an entity of this dataset.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~\-]{0,199}$")
_LOCAL = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]{0,99}$")

ONTOLOGY_DOC = "def"  # the document name of the ontology (its IRI is BASE + "def")


@dataclass(frozen=True)
class IriMap:
    """The mapping between dataset IRIs and server paths, for one dataset base."""

    base: str

    @property
    def id_ns(self) -> str:
        return self.base + "id/"

    @property
    def def_ns(self) -> str:
        return self.base + "def#"

    @property
    def ontology_iri(self) -> str:
        return self.base + ONTOLOGY_DOC

    def entity_iri(self, name: str) -> URIRef | None:
        """The IRI of /id/<name>, or None when the name cannot be an entity name."""
        if not _NAME.match(name):
            return None
        return URIRef(self.id_ns + name)

    def term_iri(self, local: str) -> URIRef | None:
        """The IRI of an ontology term jp:<local>, or None when the local name is malformed."""
        if not _LOCAL.match(local):
            return None
        return URIRef(self.def_ns + local)

    def name(self, iri: str) -> str | None:
        """The entity name of an IRI in the id/ namespace (jinpu for <BASE id/jinpu>), else None."""
        if iri.startswith(self.id_ns):
            rest = iri[len(self.id_ns) :]
            if _NAME.match(rest):
                return rest
        if iri == self.ontology_iri:
            return ONTOLOGY_DOC
        return None

    def local(self, iri: str) -> str | None:
        """The local name of an ontology term (District for <BASE def#District>), else None."""
        if iri.startswith(self.def_ns):
            rest = iri[len(self.def_ns) :]
            if _LOCAL.match(rest):
                return rest
        return None

    def fragment_owner(self, iri: str) -> tuple[str, str] | None:
        """(entity name, fragment) for a hash IRI under an entity, like <BASE id/p-x#quote>."""
        if iri.startswith(self.id_ns) and "#" in iri:
            head, frag = iri[len(self.id_ns) :].split("#", 1)
            if _NAME.match(head):
                return head, frag
        return None

    def path(self, iri: str) -> str | None:
        """The server path that dereferences the IRI (the IRI with the base cut off), or None for outside IRIs."""
        if not iri.startswith(self.base):
            return None
        return "/" + iri[len(self.base) :]
