"""The report's passages (by IRI, a read-only mapping) and what was derived from each."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property

from kg.web.dataset_index.runner import QueryRunner, Table
from kg.web.iris import IriMap


@dataclass
class Passage:
    iri: str
    name: str
    exact: str
    start: int
    end: int
    section: str | None = None
    translation: str | None = None  # English translation of the quote (jp:translation), not the quote


class Passages(Table[Passage]):
    """passage IRI -> Passage, read on first use."""

    def __init__(self, queries: QueryRunner, iris: IriMap):
        self.queries = queries
        self.iris = iris

    def warm(self) -> None:
        self._derivations  # noqa: B018

    @cached_property
    def table(self) -> dict[str, Passage]:
        out = {}
        for row in self.queries.select("passages"):
            iri = str(row["passage"])
            name = self.iris.name(iri) or iri.rsplit("/", 1)[-1]
            if iri in out:  # a second English rendering: keep the first
                continue
            out[iri] = Passage(
                iri,
                name,
                str(row["exact"]),
                int(row["start"]),
                int(row["end"]),
                str(row["section"]) if row.get("section") is not None else None,
                str(row["translation"]) if row.get("translation") is not None else None,
            )
        return out

    @cached_property
    def _derivations(self) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        produced: dict[str, list[str]] = defaultdict(list)
        sources: dict[str, list[str]] = defaultdict(list)
        for row in self.queries.select("derived"):
            thing, passage = str(row["thing"]), str(row["passage"])
            produced[passage].append(thing)
            sources[thing].append(passage)
        for things in produced.values():
            things.sort()
        passages = self.table
        for items in sources.values():
            items.sort(key=lambda p: passages[p].start if p in passages else 0)
        return dict(produced), dict(sources)

    @property
    def derived(self) -> dict[str, list[str]]:
        """passage IRI -> what was derived from it (entities, figures, relations)."""
        return self._derivations[0]

    def sources(self, iri: str) -> list[Passage]:
        """The passages a thing was derived from, in report order."""
        passages = self.table
        return [passages[p] for p in self._derivations[1].get(iri, []) if p in passages]
