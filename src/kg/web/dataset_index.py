"""What the pages know about the dataset: names, types, passages, figures and the ontology, read once from the store.

The built dataset is read-only while the server runs, so the small tables every page needs (labels of every IRI,
asserted types, passages, figures, the ontology) are read from the store once, on first use, and kept with the app.
Everything entity-specific is queried per request with the entity bound as a variable.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from pathlib import Path

from flask import current_app
from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import OWL, SKOS
from rdflib.term import Node

from kg.config import Settings
from kg.rdf import vocab
from kg.rdf.sparql_text import read_query
from kg.web import labels, quotes
from kg.web.iris import IriMap

QUERIES_DIR = Path(__file__).parent / "queries"
EXTENSION_KEY = "kg_web_site"


@dataclass
class Passage:
    iri: str
    name: str
    exact: str
    start: int
    end: int
    section: str | None = None
    translation: str | None = None  # English translation of the quote (jp:translation), not the quote


@dataclass
class Figure:
    """One observation of the report with everything a table row needs."""

    iri: str
    indicator: str | None = None
    area: str | None = None
    period: str | None = None
    kind: str | None = None
    value: Decimal | float | None = None
    written: str | None = None
    unit: str | None = None
    qualifier: str | None = None  # the jp:Qualifier's IRI (about, more than, nearly, top N), None for an exact number
    qualifier_written: str | None = None  # the report's word: 约, 突破, 余, 近, 前 ...
    quote: str | None = None  # the report's words a citation gives (jp:citationQuote): always holds the figure
    norm_value: Decimal | float | None = None
    norm_unit: str | None = None
    growth_of: str | None = None
    share_of: str | None = None
    share_indicator: str | None = None
    parent_area: str | None = None
    rank_scope: str | None = None
    planned: bool = False
    as_of: str | None = None
    period_written: str | None = None
    about: list[str] = field(default_factory=list)
    passages: list[str] = field(default_factory=list)


def _py(term: Node | None):
    if term is None:
        return None
    if isinstance(term, Literal):
        return term.toPython()
    return str(term)


class Site:
    """The dataset as the pages see it. One per app; built lazily and thread-safely."""

    def __init__(self, settings: Settings, store, version: str = ""):
        self.settings = settings
        self.store = store
        self.version = version  # the store's data version these tables were read from
        self.iris = IriMap(settings.base_iri)
        self.prefixes = vocab.prefixes_for(self.iris.def_ns, self.iris.id_ns)
        self._queries: dict[str, str] = {}
        self._lock = threading.RLock()
        self.link_cache: dict[tuple[str, str, str], object] = {}  # (iri, lang, css class) -> link markup
        self._memo: dict[object, object] = {}

    # ---- queries -------------------------------------------------------------------------------------------------

    def query_text(self, name: str) -> str:
        text = self._queries.get(name)
        if text is None:
            text = read_query(QUERIES_DIR / f"{name}.rq", self.settings.base_iri)
            self._queries[name] = text
        return text

    def select(self, name: str, **bindings: Node) -> list[dict[str, Node]]:
        return self.store.select(self.query_text(name), bindings or None)

    def ask(self, name: str, **bindings: Node) -> bool:
        return self.store.ask(self.query_text(name), bindings or None)

    def construct(self, name: str, **bindings: Node) -> Graph:
        return self.store.construct(self.query_text(name), bindings or None)

    def graph_iri(self, name: str) -> str:
        return self.settings.graph_iri(name)

    def memo(self, key, compute):
        """A value the pages derive from these tables, computed once per Site (that is, per data version)."""
        try:
            return self._memo[key]
        except KeyError:
            pass
        with self._lock:
            if key not in self._memo:
                self._memo[key] = compute()
            return self._memo[key]

    # ---- tables read once ----------------------------------------------------------------------------------------

    def warm(self) -> None:
        """Read every table now (the first page otherwise pays for it)."""
        for name in (
            "labels",
            "types",
            "passages",
            "derived",
            "ontology",
            "class_counts",
            "figures",
            "district_and_report",
            "classes",
            "properties",
            "inverses",
            "superproperties",
            "notations",
            "indicator_groups",
            "growth_of",
        ):
            getattr(self, name)

    @cached_property
    def _names(self) -> tuple[dict[str, dict[str, str]], dict[str, list[Literal]]]:
        labels: dict[str, dict[str, str]] = defaultdict(dict)
        alt: dict[str, list[Literal]] = defaultdict(list)
        for row in self.select("labels"):
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
        for row in self.select("types"):
            out[str(row["s"])].append(str(row["type"]))
        return dict(out)

    @cached_property
    def passages(self) -> dict[str, Passage]:
        out = {}
        for row in self.select("passages"):
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
        for row in self.select("derived"):
            thing, passage = str(row["thing"]), str(row["passage"])
            produced[passage].append(thing)
            sources[thing].append(passage)
        for things in produced.values():
            things.sort()
        passages = self.passages
        for items in sources.values():
            items.sort(key=lambda p: passages[p].start if p in passages else 0)
        return dict(produced), dict(sources)

    @property
    def derived(self) -> dict[str, list[str]]:
        """passage IRI -> what was derived from it (entities, figures, relations)."""
        return self._derivations[0]

    def sources(self, iri: str) -> list[Passage]:
        """The passages a thing was derived from, in report order."""
        return [self.passages[p] for p in self._derivations[1].get(iri, []) if p in self.passages]

    @cached_property
    def ontology(self) -> Graph:
        return self.construct("ontology")

    @cached_property
    def classes(self) -> set[str]:
        return {str(c) for c in self.ontology.subjects(RDF.type, OWL.Class) if isinstance(c, URIRef)}

    @cached_property
    def properties(self) -> set[str]:
        kinds = (OWL.ObjectProperty, OWL.DatatypeProperty, RDF.Property, OWL.AnnotationProperty)
        return {str(p) for k in kinds for p in self.ontology.subjects(RDF.type, k) if isinstance(p, URIRef)}

    @cached_property
    def inverses(self) -> dict[str, set[str]]:
        """property -> properties that state the same link the other way round (owl:inverseOf both ways, symmetry)."""
        out: dict[str, set[str]] = defaultdict(set)
        for a, b in self.ontology.subject_objects(OWL.inverseOf):
            out[str(a)].add(str(b))
            out[str(b)].add(str(a))
        for p in self.ontology.subjects(RDF.type, OWL.SymmetricProperty):
            out[str(p)].add(str(p))
        # schema.org place containment restates jp:locatedIn / jp:contains the other way round
        out[vocab.SCHEMA + "containedInPlace"].add(vocab.SCHEMA + "containsPlace")
        out[vocab.SCHEMA + "containsPlace"].add(vocab.SCHEMA + "containedInPlace")
        return dict(out)

    @cached_property
    def superproperties(self) -> dict[str, set[str]]:
        """property -> every property it is a subproperty of (transitively)."""
        direct: dict[str, set[str]] = defaultdict(set)
        for a, b in self.ontology.subject_objects(RDFS.subPropertyOf):
            direct[str(a)].add(str(b))
        out: dict[str, set[str]] = {}
        for p, supers in direct.items():
            seen, todo = set(), list(supers)
            while todo:
                q = todo.pop()
                if q not in seen:
                    seen.add(q)
                    todo.extend(direct.get(q, ()))
            out[p] = seen
        return out

    def superclasses(self, cls: str) -> list[str]:
        return sorted(str(o) for o in self.ontology.objects(URIRef(cls), RDFS.subClassOf) if isinstance(o, URIRef))

    def subclasses(self, cls: str) -> list[str]:
        return sorted(str(s) for s in self.ontology.subjects(RDFS.subClassOf, URIRef(cls)) if isinstance(s, URIRef))

    @cached_property
    def indicator_groups(self) -> dict[str, str]:
        """indicator IRI -> its thematic group."""
        return {str(r["indicator"]): str(r["group"]) for r in self.select("indicator_groups")}

    @cached_property
    def notations(self) -> dict[str, str]:
        """unit IRI -> its notation (CNY, USD, m2 ...)."""
        return {str(r["unit"]): str(r["notation"]) for r in self.select("units")}

    @cached_property
    def class_counts(self) -> dict[str, int]:
        return {str(r["class"]): int(r["n"]) for r in self.select("class_counts")}

    @cached_property
    def district_and_report(self) -> tuple[str | None, str | None]:
        rows = self.select("district")
        if not rows:
            return None, None
        return _py(rows[0].get("district")), _py(rows[0].get("report"))

    @cached_property
    def report_facts(self) -> dict[str, str]:
        """The report's date of publication and language, as the data state them ("2022-01", "zh")."""
        rows = self.select("district")
        out: dict[str, str] = {}
        for key in ("published", "language"):
            value = rows[0].get(key) if rows else None
            if value is not None:
                out[key] = str(value)
        return out

    @property
    def district(self) -> str | None:
        return self.district_and_report[0]

    @property
    def report(self) -> str | None:
        return self.district_and_report[1]

    @cached_property
    def figures(self) -> dict[str, Figure]:
        """Every observation, in report order (by the start of its first passage)."""
        out: dict[str, Figure] = {}
        for row in self.select("observations"):
            iri = str(row["obs"])
            fig = out.get(iri)
            if fig is None:
                fig = out[iri] = Figure(
                    iri=iri,
                    indicator=_py(row.get("indicator")),
                    area=_py(row.get("area")),
                    period=str(row["period"]) if row.get("period") is not None else None,
                    kind=_py(row.get("kind")),
                    value=_py(row.get("value")),
                    written=_py(row.get("written")),
                    unit=_py(row.get("unit")),
                    qualifier=_py(row.get("qualifier")),
                    qualifier_written=_py(row.get("qualifierWritten")),
                    quote=_py(row.get("quote")),
                    norm_value=_py(row.get("normValue")),
                    norm_unit=_py(row.get("normUnit")),
                    growth_of=_py(row.get("growthOf")),
                    share_of=_py(row.get("shareOf")),
                    share_indicator=_py(row.get("shareIndicator")),
                    parent_area=_py(row.get("parentArea")),
                    rank_scope=_py(row.get("rankScope")),
                    planned=bool(_py(row.get("planned"))),
                    as_of=str(row["asOf"]) if row.get("asOf") is not None else None,
                    period_written=_py(row.get("periodWritten")),
                )
            about, passage = _py(row.get("about")), _py(row.get("passage"))
            if about and about not in fig.about:
                fig.about.append(about)
            if passage and passage not in fig.passages:
                fig.passages.append(passage)
        passages = self.passages

        def order(f: Figure) -> tuple[int, str]:
            starts = [passages[p].start for p in f.passages if p in passages]
            return (min(starts) if starts else 1 << 30, f.iri)

        return {f.iri: f for f in sorted(out.values(), key=order)}

    @cached_property
    def growth_of(self) -> dict[str, list[Figure]]:
        """level figure IRI -> its growth figures (year-on-year rates and multiples)."""
        out: dict[str, list[Figure]] = defaultdict(list)
        for f in self.figures.values():
            if f.growth_of:
                out[f.growth_of].append(f)
        return dict(out)

    @cached_property
    def _figures_by_entity(self) -> dict[str, list[Figure]]:
        out: dict[str, list[Figure]] = defaultdict(list)
        for f in self.figures.values():
            for iri in dict.fromkeys([f.indicator, f.area, *f.about]):
                if iri:
                    out[iri].append(f)
        return dict(out)

    def figures_of(self, iri: str) -> list[Figure]:
        """Figures whose indicator, area or subject (jp:about) is the entity, in report order."""
        return list(self._figures_by_entity.get(iri, ()))

    # ---- names ---------------------------------------------------------------------------------------------------

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

    def has_label(self, iri: str) -> bool:
        return iri in self.labels or labels.builtin_label(iri, "en") is not None

    def label_in(self, iri: str, lang: str) -> str | None:
        """The label in exactly that language, or None."""
        return (self.labels.get(iri) or {}).get(lang)

    def curie(self, iri: str) -> str:
        return labels.curie(iri, self.prefixes)

    # ---- where things are shown --------------------------------------------------------------------------------

    def page_url(self, iri: str) -> str | None:
        """The HTML page of an IRI on this server; None for IRIs outside the dataset (link to them as they are)."""
        iris = self.iris
        name = iris.name(iri)
        if name:
            return f"/page/{name}"
        local = iris.local(iri)
        if local:
            return f"/class/{local}" if iri in self.classes else f"/term/{local}"
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


VERSION_KEY = "kg_data_version"


def site() -> Site:
    """The Site of the current app, created on first use and again whenever the store holds other data (a remote
    store after `kg load`): its tables are read from one version of the data."""
    app = current_app
    data_version = app.extensions.get(VERSION_KEY)
    version = data_version.get() if data_version is not None else ""  # refreshed in the background, never waited for
    s = app.extensions.get(EXTENSION_KEY)
    if s is None or s.store is not app.extensions["kg_store"] or s.version != version:
        s = Site(app.config["KG_SETTINGS"], app.extensions["kg_store"], version)
        app.extensions[EXTENSION_KEY] = s
    return s
