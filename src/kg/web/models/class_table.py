"""The table of a class's members: its columns (the class's key attributes), rows, facets, sorting and paging, the
.json and .csv twins' contents, and what the table must say about itself (the class note). Pure functions of the
dataset index and a language; the page (pages/classes.py) reads the request and renders."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from rdflib import RDFS, Literal, URIRef
from rdflib.namespace import SKOS
from rdflib.term import Node

from kg.rdf import vocab
from kg.web import collation, labels
from kg.web.dataset_index import Site
from kg.web.html import number
from kg.web.i18n import translate
from kg.web.models import facets

PAGE_SIZE = 50
MAX_COLUMNS = 5
# Key attributes per class, in order; other classes get their most used properties.
COLUMNS: dict[str, list[str]] = {
    "Observation": ["indicator", "refArea", "refPeriod", "value", "kind"],
    "Passage": ["exact", "section", "startOffset"],
    "Project": ["status", "investor", "operatedBy", "inIndustry", "locatedIn"],
    "Enterprise": ["country", "inIndustry", "locatedIn", "acquires"],
    "Organization": ["country", "locatedIn"],
    "Indicator": ["inGroup"],
    "Industry": ["broader", "memberOfGroup"],
    "IndustrialChain": ["broader"],
    "IndustryGroup": ["memberIndustry"],
    "Award": ["designation", "recipient", "grantedBy", "year"],
    "Acquisition": ["acquirer", "acquired", "seller", "status"],
    "CooperationAgreement": ["party", "date", "year", "status"],
    "PlannedAction": ["concerns", "inPlan", "planYear"],
    "Plan": ["planYear"],
    "Park": ["locatedIn", "partOfLayout", "inIndustry"],
    "Platform": ["operatedBy", "locatedIn", "status"],
    "Unit": ["notation", "exactMatch"],
}
SKIP = {
    str(RDFS.label),
    str(RDFS.comment),
    str(SKOS.altLabel),
    str(SKOS.definition),
    vocab.PROV + "wasDerivedFrom",
    vocab.PROV + "wasQuotedFrom",
    vocab.QB + "dataSet",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
}
SKIP_LOCAL = {
    "valueAsWritten",
    "normalizedValue",
    "normalizedUnit",
    "unitAsWritten",
    "qualifierAsWritten",
    "citationQuote",
    "endOffset",
}
EXTRA_NS = {"broader": str(SKOS.broader), "notation": str(SKOS.notation), "exactMatch": str(SKOS.exactMatch)}


@dataclass
class Column:
    key: str  # local name, used in ?sort=
    prop: str


@dataclass
class Row:
    iri: str
    cells: dict[str, list[Node]]


@dataclass
class Table:
    cls: str
    columns: list[Column]
    rows: list[Row]


class TableError(ValueError):
    """A request the table cannot answer, with the HTTP status it deserves and a message for the reader."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def class_of(s: Site, local: str) -> str | None:
    """The IRI of the ontology's class with that local name, or None."""
    iri = s.iris.term_iri(local)
    if iri is None or str(iri) not in s.ontology.classes:
        return None
    return str(iri)


def class_tree(s: Site, lang: str) -> tuple[list[str], dict[str | None, list[str]]]:
    """(the ontology's own classes, parent -> its subclasses by label; None is the root)."""
    own = [c for c in s.ontology.classes if s.iris.local(c)]
    children: dict[str | None, list[str]] = {}
    for c in own:
        parents = [p for p in s.ontology.superclasses(c) if p in own]
        for p in parents or [None]:
            children.setdefault(p, []).append(c)
    for kids in children.values():
        kids.sort(key=lambda c: s.names.label(c, lang).lower())
    return own, children


def property_counts(s: Site) -> dict[str, dict[str, int]]:
    """class IRI -> property IRI -> how many of its members use the property as asserted (once per data version)."""

    def read() -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = defaultdict(dict)
        for r in s.queries.select("class_properties"):
            out[str(r["class"])][str(r["p"])] = int(r["n"])
        return dict(out)

    return s.memo("class_property_counts", read)


def columns_for(s: Site, cls: str) -> list[Column]:
    counts = property_counts(s).get(cls, {})
    members = max(counts.get("http://www.w3.org/1999/02/22-rdf-syntax-ns#type", 0), 1)
    local = s.iris.local(cls) or ""
    chosen: list[str] = []
    for name in COLUMNS.get(local, []):
        prop = EXTRA_NS.get(name, s.iris.def_ns + name)
        if counts.get(prop):
            chosen.append(prop)
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    for prop, n in ranked:
        if len(chosen) >= MAX_COLUMNS or local in COLUMNS:
            break
        own = s.iris.local(prop)
        if prop in chosen or prop in SKIP or own in SKIP_LOCAL or n < max(1, members // 5):
            continue
        if own or prop in EXTRA_NS.values():
            chosen.append(prop)
    return [Column(s.iris.local(p) or labels.curie(p, s.prefixes).replace(":", "-"), p) for p in chosen]


def table_for(s: Site, cls: str) -> Table:
    """The class's members and their key attributes (read once per data version)."""
    return s.memo(("class_table", cls), lambda: _read_table(s, cls))


def _read_table(s: Site, cls: str) -> Table:
    columns = columns_for(s, cls)
    rows = {str(r["s"]): Row(str(r["s"]), {}) for r in s.queries.select("class_members", **{"class": URIRef(cls)})}
    for col in columns:
        for r in s.queries.select("class_column", **{"class": URIRef(cls), "p": URIRef(col.prop)}):
            row = rows.get(str(r["s"]))
            if row is not None:
                row.cells.setdefault(col.key, []).append(r["o"])
    return Table(cls, columns, list(rows.values()))


def warm(s: Site) -> None:
    """Read the table of every class with members."""
    for cls, n in s.ontology.class_counts.items():
        if n and cls in s.ontology.classes:
            table_for(s, cls)


def filtered(s: Site, cls: str, table: Table, args: dict[str, list[str]], lang: str) -> tuple[list[Row], list]:
    """The rows the facets and ?of= in the arguments allow, and the facets with their counts."""
    rows = table.rows
    of = (args.get("of") or [None])[0]
    if of:
        iri = s.iris.entity_iri(of)
        if iri is None or str(iri) not in s.names.labels:
            raise TableError(400, translate("of= names no entity of this dataset.", lang))
        mine = {fig.iri for fig in s.figures.of(str(iri))} | {str(iri)}
        rows = [r for r in rows if r.iri in mine or any(str(n) == str(iri) for ns in r.cells.values() for n in ns)]
    try:
        return facets.apply(s, cls, rows, args, lang)
    except facets.FacetError as exc:
        raise TableError(400, str(exc)) from None


def _sort_value(s: Site, nodes: list[Node] | None, lang: str) -> tuple:
    if not nodes:
        return (2, 0.0, "")
    node = nodes[0]
    if isinstance(node, Literal):
        v = node.toPython()
        if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool):
            return (0, float(v), "")
        return (1, 0.0, collation.key(str(node)))
    return (1, 0.0, collation.key(s.names.label(str(node), lang)))


def sorted_rows(s: Site, table: Table, sort: str, order: str, lang: str, rows: list[Row] | None = None) -> list[Row]:
    """The rows by a column (by label for an unknown one; a project's status in the order of its life)."""
    keys = {c.key for c in table.columns}
    rows = table.rows if rows is None else rows

    def by_label(r: Row):
        return collation.key(s.names.label(r.iri, lang))

    if sort == "label" or sort not in keys:
        rows = sorted(rows, key=by_label)
    elif sort == "status":  # in the order of a project's life, not alphabetically
        rows = sorted(
            rows,
            key=lambda r: (
                facets.status_rank(s, r.cells.get(sort)) is None,
                facets.status_rank(s, r.cells.get(sort)) or 0,
                by_label(r),
            ),
        )
    else:
        rows = sorted(rows, key=lambda r: (_sort_value(s, r.cells.get(sort), lang), by_label(r)))
    if order == "desc":
        rows.reverse()
    return rows


def chosen_columns(table: Table, args: dict[str, list[str]], lang: str) -> list[Column]:
    """The columns ?cols= asks for, in the table's order (all of them when it names none). Raises TableError for a
    name that is no column of the table."""
    wanted = [c for value in args.get("cols", []) for c in value.split(",") if c]
    keys = [c.key for c in table.columns]
    unknown = [c for c in wanted if c not in keys]
    if unknown:
        raise TableError(
            400,
            translate(
                "cols={name} is not a column of this table; it has: {keys}.",
                lang,
                name=unknown[0],
                keys=", ".join(keys),
            ),
        )
    return [c for c in table.columns if c.key in wanted] if wanted else list(table.columns)


def page_of(rows: list[Row], page: int) -> tuple[list[Row], int]:
    """(the rows on that page, how many pages there are)."""
    pages = max(1, math.ceil(len(rows) / PAGE_SIZE))
    if page > pages:
        raise TableError(404, f"There are only {pages} pages.")
    return rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE], pages


def class_note(s: Site, cls: str) -> dict | None:
    """What a table of the report's projects must say: these are the projects it names, not all it counts; and the
    report gives the total investment of each group only, never a project's own (the question people bring to it)."""
    if s.iris.local(cls) != "Project":
        return None
    wanted = {
        "signed": "ind-signed-projects",
        "started": "ind-started-projects",
        "signed_investment": "ind-signed-projects-investment",
        "started_investment": "ind-started-projects-investment",
    }
    by_indicator = {f.indicator: f for f in s.figures.values() if not f.planned}
    counts = {key: by_indicator.get(s.iris.id_ns + ind) for key, ind in wanted.items()}
    return {k: v for k, v in counts.items() if v is not None} or None


def definition(s: Site, cls: str, lang: str) -> str:
    """The class's definition (or comment) in the language, else in English or Chinese."""
    texts = {}
    for p in (SKOS.definition, RDFS.comment):
        for o in s.ontology.graph.objects(URIRef(cls), p):
            texts.setdefault(getattr(o, "language", None) or "und", str(o))
    return texts.get(lang) or texts.get("en") or texts.get("zh") or ""


def json_table(s: Site, table: Table, rows: list[Row], facet_list: list, lang: str) -> dict:
    """The .json twin: the class, the facets with their counts, the columns and the rows."""
    label = s.names.label
    return {
        "class": table.cls,
        "label": label(table.cls, lang),
        "total": len(rows),
        "facets": [
            {
                "key": fc.key,
                "label": translate(fc.label, lang),
                "values": [
                    {
                        "value": v.token,
                        "iri": v.iri,
                        "label": label(v.iri, lang) if v.iri else v.text,
                        "count": v.count,
                        "selected": v.selected,
                    }
                    for v in fc.values
                ],
            }
            for fc in facet_list
        ],
        "columns": [{"key": c.key, "property": c.prop, "label": label(c.prop, lang)} for c in table.columns],
        "rows": [
            {
                "iri": r.iri,
                "label": {"zh": s.names.label_in(r.iri, "zh"), "en": s.names.label_in(r.iri, "en")},
                **{c.key: [_json_value(s, n, lang) for n in r.cells.get(c.key, [])] for c in table.columns},
            }
            for r in rows
        ],
    }


def csv_table(
    s: Site, table: Table, rows: list[Row], lang: str, columns: list[Column] | None = None
) -> tuple[list[str], list[list[str]]]:
    """The .csv twin of a table that is not the figures: a label beside every IRI, numbers as numbers; the chosen
    columns (all by default)."""
    columns = table.columns if columns is None else columns
    header = ["iri", "label_zh", "label_en"]
    for c in columns:
        header += [c.key, f"{c.key}_label"]
    data = []
    for r in rows:
        line = [r.iri, s.names.label_in(r.iri, "zh") or "", s.names.label_in(r.iri, "en") or ""]
        for c in columns:
            line += _cell_pair(s, r.cells.get(c.key, []), lang)
        data.append(line)
    return header, data


def _cell_pair(s: Site, nodes: list[Node], lang: str) -> list[str]:
    """A cell as two columns: its values (IRIs as they are, numbers as numbers) and their labels."""
    values, names = [], []
    for n in nodes:
        if isinstance(n, URIRef):
            values.append(str(n))
            names.append(s.names.label(str(n), lang))
        elif isinstance(n, Literal) and isinstance(n.toPython(), (int, float, Decimal)):
            values.append(number(n.toPython()))
            names.append("")
        else:
            values.append(str(n))
            names.append("")
    return ["; ".join(values), "; ".join(x for x in names if x)]


def _json_value(s: Site, node: Node, lang: str) -> dict | str | float | int | bool:
    if isinstance(node, URIRef):
        return {"iri": str(node), "label": s.names.label(str(node), lang)}
    if isinstance(node, Literal):
        v = node.toPython()
        if isinstance(v, Decimal):
            return float(v)
        if isinstance(v, (int, float, bool)):
            return v
        return str(node)
    return str(node)
