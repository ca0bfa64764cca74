"""The one place values are written into SPARQL text. Never format user input into a query anywhere else."""

from __future__ import annotations

import re
from pathlib import Path

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

# Characters an IRIREF may not contain (SPARQL 1.1 grammar, production [139]).
_BAD_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_LANG = re.compile(r"^[a-zA-Z]+(-[a-zA-Z0-9]+)*$")
_STRING_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


class UnsafeTerm(ValueError):
    """A value that cannot be written into SPARQL safely."""


def iri(value: str) -> str:
    if _BAD_IRI.search(value):
        raise UnsafeTerm(f"not a valid IRI: {value!r}")
    return f"<{value}>"


def string(value: str) -> str:
    return '"' + "".join(_STRING_ESCAPES.get(c, c) for c in value) + '"'


def term(value: Node) -> str:
    """A term as SPARQL syntax: IRIs checked, literals escaped, language tags and datatypes validated."""
    if isinstance(value, URIRef):
        return iri(str(value))
    if isinstance(value, Literal):
        text = string(str(value))
        if value.language:
            if not _LANG.match(value.language):
                raise UnsafeTerm(f"not a valid language tag: {value.language!r}")
            return f"{text}@{value.language}"
        if value.datatype:
            return f"{text}^^{iri(str(value.datatype))}"
        return text
    if isinstance(value, BNode):
        raise UnsafeTerm("blank nodes cannot be bound into a query")
    raise UnsafeTerm(f"unsupported value {value!r}")


def values_clause(bindings: dict[str, Node]) -> str:
    """A trailing VALUES clause binding each variable (allowed after every query form, SPARQL 1.1 [28])."""
    if not bindings:
        return ""
    names = list(bindings)
    for n in names:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", n):
            raise UnsafeTerm(f"not a variable name: {n!r}")
    row = " ".join(term(bindings[n]) for n in names)
    return "\nVALUES (" + " ".join("?" + n for n in names) + ") { (" + row + ") }\n"


def read_query(path: Path, base: str) -> str:
    """A query file with the dataset base declared first, so its relative IRIs (<def#>, <id/>, <graph/...>) resolve."""
    return f"BASE {iri(base)}\n" + path.read_text(encoding="utf-8")
