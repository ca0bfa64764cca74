"""What things are called and what they are: labels in each language, alternative labels, asserted types."""

from __future__ import annotations

from collections import defaultdict
from functools import cached_property

from rdflib import Literal
from rdflib.namespace import SKOS

from kg.web import labels, quotes
from kg.web.dataset_index.passages import Passages
from kg.web.dataset_index.runner import QueryRunner
from kg.web.iris import IriMap


class Names:
    def __init__(self, queries: QueryRunner, iris: IriMap, prefixes: dict[str, str], passages: Passages):
        self.queries = queries
        self.iris = iris
        self.prefixes = prefixes
        self.passages = passages

    def warm(self) -> None:
        self._names  # noqa: B018
        self.types  # noqa: B018

    @cached_property
    def _names(self) -> tuple[dict[str, dict[str, str]], dict[str, list[Literal]]]:
        labels: dict[str, dict[str, str]] = defaultdict(dict)
        alt: dict[str, list[Literal]] = defaultdict(list)
        for row in self.queries.select("labels"):
            s, p, label = str(row["s"]), row["p"], row["label"]
            if p == SKOS.altLabel:
                alt[s].append(label)
                continue
            lang = (label.language or "").split("-")[0].lower() or "und"
            labels[s].setdefault(lang, str(label))
        return dict(labels), dict(alt)

    @property
    def labels(self) -> dict[str, dict[str, str]]:
        """IRI -> {language: label} from rdfs:label and skos:prefLabel."""
        return self._names[0]

    @property
    def alt_labels(self) -> dict[str, list[Literal]]:
        """IRI -> its alternative labels (skos:altLabel), searched but not shown as the name."""
        return self._names[1]

    @cached_property
    def types(self) -> dict[str, list[str]]:
        """IRI -> its asserted types."""
        out: dict[str, list[str]] = defaultdict(list)
        for row in self.queries.select("types"):
            out[str(row["s"])].append(str(row["type"]))
        return dict(out)

    def label(self, iri: str, lang: str) -> str:
        """The entity's name in the language, else in the other one, else a builtin or compact IRI. Never empty."""
        passage = self.passages.get(iri)
        if passage is not None:
            return f"“{quotes.cut(passage.exact, 30)}”"
        names = self.labels.get(iri)
        if names:
            if lang in names:
                return names[lang]
            for other in ("en", "zh", "und"):
                if other in names:
                    return names[other]
            return next(iter(names.values()))
        builtin = labels.builtin_label(iri, lang)
        if builtin:
            return builtin
        frag = self.iris.fragment_owner(iri)
        if frag:
            return f"{self.label(self.iris.id_ns + frag[0], lang)} #{frag[1]}"
        return labels.curie(iri, self.prefixes)

    def label_in(self, iri: str, lang: str) -> str | None:
        """The label in exactly that language, or None."""
        return (self.labels.get(iri) or {}).get(lang)

    def curie(self, iri: str) -> str:
        return labels.curie(iri, self.prefixes)
