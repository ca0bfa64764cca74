"""Class pages: /class/ lists the ontology's classes; /class/<Local> lists a class's members with their key
attributes, sortable by any column (server-side, so it works without JavaScript), with .json and .csv twins and the
class's own description as .ttl/.jsonld/.nt/.rdf."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from decimal import Decimal

from flask import Response, jsonify, request
from rdflib import RDFS, Literal, URIRef
from rdflib.namespace import SKOS
from rdflib.term import Node

from kg.rdf import vocab
from kg.web import labels
from kg.web.dataset_index import Site, site
from kg.web.html import number
from kg.web.linked_data import alternates, rdf_response
from kg.web.models.entity import description
from kg.web.pages.entity import split_ext
from kg.web.rendering import PageError, _, fmt, lang, render

PAGE_SIZE = 100
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
    str(RDFS.label), str(RDFS.comment), str(SKOS.altLabel), str(SKOS.definition), vocab.PROV + "wasDerivedFrom",
    vocab.PROV + "wasQuotedFrom", vocab.QB + "dataSet", "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
}
SKIP_LOCAL = {"valueAsWritten", "normalizedValue", "normalizedUnit", "unitAsWritten", "approximate",
              "qualifierAsWritten", "endOffset"}
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


def class_iri(s: Site, local: str) -> str:
    iri = s.iris.term_iri(local)
    if iri is None or str(iri) not in s.classes:
        raise PageError(404, _("Nothing here has that name."))
    return str(iri)


def columns_for(s: Site, cls: str) -> list[Column]:
    counts = {str(r["p"]): int(r["n"]) for r in s.select("class_properties", **{"class": URIRef(cls)})}
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
    rows = {str(r["s"]): Row(str(r["s"]), {}) for r in s.select("class_members", **{"class": URIRef(cls)})}
    for col in columns:
        for r in s.select("class_column", **{"class": URIRef(cls), "p": URIRef(col.prop)}):
            row = rows.get(str(r["s"]))
            if row is not None:
                row.cells.setdefault(col.key, []).append(r["o"])
    return Table(cls, columns, list(rows.values()))


def warm(s: Site) -> None:
    for cls, n in s.class_counts.items():
        if n and cls in s.classes:
            table_for(s, cls)


def _sort_value(s: Site, nodes: list[Node] | None, lang_: str) -> tuple:
    if not nodes:
        return (2, 0.0, "")
    node = nodes[0]
    if isinstance(node, Literal):
        v = node.toPython()
        if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool):
            return (0, float(v), "")
        return (1, 0.0, str(node).lower())
    return (1, 0.0, s.label(str(node), lang_).lower())


def sorted_rows(s: Site, table: Table, sort: str, order: str, lang_: str) -> list[Row]:
    keys = {c.key for c in table.columns}
    if sort == "label" or sort not in keys:
        rows = sorted(table.rows, key=lambda r: s.label(r.iri, lang_).lower())
    else:
        rows = sorted(table.rows, key=lambda r: (_sort_value(s, r.cells.get(sort), lang_),
                                                 s.label(r.iri, lang_).lower()))
    if order == "desc":
        rows.reverse()
    return rows


def index() -> Response:
    """GET /class/: every class of the ontology with its members, as a tree."""
    s = site()
    counts = s.class_counts
    own = [c for c in s.classes if s.iris.local(c)]
    children: dict[str | None, list[str]] = {}
    for c in own:
        parents = [p for p in s.superclasses(c) if p in own]
        for p in parents or [None]:
            children.setdefault(p, []).append(c)
    for kids in children.values():
        kids.sort(key=lambda c: s.label(c, lang()).lower())
    if request.args.get("format") == "json":
        return jsonify([{"iri": c, "label": s.label(c, lang()), "members": counts.get(c, 0), "page": s.page_url(c)}
                        for c in sorted(own)])
    return render("classes.html", children=children, counts=counts,
                  alternates=[("/class/?format=json", "application/json", "JSON")])


def class_page(local: str) -> Response:
    """GET /class/<Local>[.json|.csv|.ttl|.jsonld|.nt|.rdf]."""
    s, f = site(), fmt()
    base, ext = split_ext(local)
    if ext:
        cls = class_iri(s, base)
        return rdf_response(description(s, URIRef(cls)), ext, s.prefixes, subject=cls)
    for twin in ("json", "csv"):
        if local.endswith("." + twin):
            return class_data(local[: -len(twin) - 1], twin)
    cls = class_iri(s, local)
    table = table_for(s, cls)
    sort = request.args.get("sort", "label")
    order = "desc" if request.args.get("order") == "desc" else "asc"
    try:
        page_no = max(1, int(request.args.get("page", "1")))
    except ValueError:
        raise PageError(400, "page must be a number") from None
    rows = sorted_rows(s, table, sort, order, f.lang)
    pages = max(1, math.ceil(len(rows) / PAGE_SIZE))
    if page_no > pages:
        raise PageError(404, f"There are only {pages} pages.")
    shown = rows[(page_no - 1) * PAGE_SIZE: page_no * PAGE_SIZE]
    links = [(f"/class/{local}.json", "application/json", "JSON"), (f"/class/{local}.csv", "text/csv", "CSV")]
    links += alternates(f"/class/{local}")
    return render(
        "class.html",
        cls=cls,
        local=local,
        definition=_definition(s, cls, f.lang),
        superclasses=s.superclasses(cls),
        subclasses=s.subclasses(cls),
        counts=s.class_counts,
        table=table,
        rows=shown,
        total=len(rows),
        sort=sort if sort in {c.key for c in table.columns} else "label",
        order=order,
        page=page_no,
        pages=pages,
        figures=s.figures,
        alternates=links,
        sort_args={k: v for k, v in request.args.items() if k not in ("sort", "order", "page")},
    )


def _definition(s: Site, cls: str, lang_: str) -> str:
    texts = {}
    for p in (SKOS.definition, RDFS.comment):
        for o in s.ontology.objects(URIRef(cls), p):
            texts.setdefault(getattr(o, "language", None) or "und", str(o))
    return texts.get(lang_) or texts.get("en") or texts.get("zh") or ""


def _cell_text(s: Site, nodes: list[Node], lang_: str) -> str:
    out = []
    for n in nodes:
        if isinstance(n, URIRef):
            out.append(s.label(str(n), lang_))
        elif isinstance(n, Literal) and isinstance(n.toPython(), (int, float, Decimal)):
            out.append(number(n.toPython()))
        else:
            out.append(str(n))
    return "; ".join(out)


def class_data(local: str, twin: str) -> Response:
    s = site()
    lang_ = lang()
    cls = class_iri(s, local)
    table = table_for(s, cls)
    rows = sorted_rows(s, table, request.args.get("sort", "label"), request.args.get("order", "asc"), lang_)
    if twin == "json":
        return jsonify({
            "class": cls,
            "label": s.label(cls, lang_),
            "columns": [{"key": c.key, "property": c.prop, "label": s.label(c.prop, lang_)} for c in table.columns],
            "rows": [{
                "iri": r.iri,
                "label": {"zh": s.label_in(r.iri, "zh"), "en": s.label_in(r.iri, "en")},
                **{c.key: [_json_value(s, n, lang_) for n in r.cells.get(c.key, [])] for c in table.columns},
            } for r in rows],
        })
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["iri", "label_zh", "label_en"] + [c.key for c in table.columns])
    for r in rows:
        writer.writerow([r.iri, s.label_in(r.iri, "zh") or "", s.label_in(r.iri, "en") or ""]
                        + [_cell_text(s, r.cells.get(c.key, []), lang_) for c in table.columns])
    resp = Response(buf.getvalue(), mimetype="text/csv")
    resp.charset = "utf-8"
    resp.headers["Content-Disposition"] = f'inline; filename="{local}.csv"'
    return resp


def _json_value(s: Site, node: Node, lang_: str) -> dict | str | float | int | bool:
    if isinstance(node, URIRef):
        return {"iri": str(node), "label": s.label(str(node), lang_)}
    if isinstance(node, Literal):
        v = node.toPython()
        if isinstance(v, Decimal):
            return float(v)
        if isinstance(v, (int, float, bool)):
            return v
        return str(node)
    return str(node)
