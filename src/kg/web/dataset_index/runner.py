"""Running the pages' own queries (the .rq files in web/queries/) against the store, and a memo for what the pages
derive from the answers."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TypeVar

from rdflib import Graph, Literal
from rdflib.term import Node

from kg.rdf.sparql_text import read_query

QUERIES_DIR = Path(__file__).resolve().parents[1] / "queries"
T = TypeVar("T")


def python_value(term: Node | None):
    """A term as a Python value: a literal's value, an IRI's string, None for no term."""
    if term is None:
        return None
    if isinstance(term, Literal):
        return term.toPython()
    return str(term)


class QueryRunner:
    """The pages' named queries, read once from their files, run with the entity bound as variables."""

    def __init__(self, store, base_iri: str):
        self.store = store
        self.base_iri = base_iri
        self._texts: dict[str, str] = {}

    def text(self, name: str) -> str:
        text = self._texts.get(name)
        if text is None:
            text = read_query(QUERIES_DIR / f"{name}.rq", self.base_iri)
            self._texts[name] = text
        return text

    def select(self, name: str, **bindings: Node) -> list[dict[str, Node]]:
        return self.store.select(self.text(name), bindings or None)

    def ask(self, name: str, **bindings: Node) -> bool:
        return self.store.ask(self.text(name), bindings or None)

    def construct(self, name: str, **bindings: Node) -> Graph:
        return self.store.construct(self.text(name), bindings or None)


class Memo:
    """Values computed once and kept: call it with a key and a function that computes the value."""

    def __init__(self):
        self._values: dict[object, object] = {}
        self._lock = threading.RLock()

    def __call__(self, key, compute):
        try:
            return self._values[key]
        except KeyError:
            pass
        with self._lock:
            if key not in self._values:
                self._values[key] = compute()
            return self._values[key]


class Table(Mapping[str, T]):
    """A read-only mapping IRI -> row over `self.table`, a dict a subclass reads from the store on first use.

    The lookups go to the dict directly: a miss is common (every label asks whether its IRI is a passage) and the
    Mapping defaults would answer it by raising and catching KeyError."""

    table: dict[str, T]

    def __getitem__(self, iri: str) -> T:
        return self.table[iri]

    def get(self, iri: str, default=None):
        return self.table.get(iri, default)

    def __contains__(self, iri: object) -> bool:
        return iri in self.table

    def __iter__(self) -> Iterator[str]:
        return iter(self.table)

    def __len__(self) -> int:
        return len(self.table)

    def keys(self):
        return self.table.keys()

    def values(self):
        return self.table.values()

    def items(self):
        return self.table.items()
