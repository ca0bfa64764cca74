"""Class pages: /class/ lists the ontology's classes; /class/<Local> lists a class's members with their key
attributes, sortable by any column (server-side, so it works without JavaScript), with .json and .csv twins and the
class's own description as .ttl/.jsonld/.nt/.rdf."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from flask import Response, jsonify, request
from rdflib import RDFS, Literal, URIRef
from rdflib.namespace import SKOS
from rdflib.term import Node

from kg.rdf import vocab
from kg.web import collation, labels
from kg.web.dataset_index import Site, site
from kg.web.html import number
from kg.web.linked_data import alternates, rdf_response
from kg.web.models import exports, facets
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


def class_iri(s: Site, local: str) -> str:
    iri = s.iris.term_iri(local)
    if iri is None or str(iri) not in s.ontology.classes:
        raise PageError(404, _("Nothing here has that name."))
    return str(iri)


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
    for cls, n in s.ontology.class_counts.items():
        if n and cls in s.ontology.classes:
            table_for(s, cls)


def _sort_value(s: Site, nodes: list[Node] | None, lang_: str) -> tuple:
    if not nodes:
        return (2, 0.0, "")
    node = nodes[0]
    if isinstance(node, Literal):
        v = node.toPython()
        if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool):
            return (0, float(v), "")
        return (1, 0.0, collation.key(str(node)))
    return (1, 0.0, collation.key(s.names.label(str(node), lang_)))


def sorted_rows(s: Site, table: Table, sort: str, order: str, lang_: str, rows: list[Row] | None = None) -> list[Row]:
    keys = {c.key for c in table.columns}
    rows = table.rows if rows is None else rows
    if sort == "label" or sort not in keys:
        rows = sorted(rows, key=lambda r: collation.key(s.names.label(r.iri, lang_)))
    elif sort == "status":  # in the order of a project's life, not alphabetically
        rows = sorted(
            rows,
            key=lambda r: (
                facets.status_rank(s, r.cells.get(sort)) is None,
                facets.status_rank(s, r.cells.get(sort)) or 0,
                collation.key(s.names.label(r.iri, lang_)),
            ),
        )
    else:
        rows = sorted(
            rows, key=lambda r: (_sort_value(s, r.cells.get(sort), lang_), collation.key(s.names.label(r.iri, lang_)))
        )
    if order == "desc":
        rows.reverse()
    return rows


def index() -> Response:
    """GET /class/: every class of the ontology with its members, as a tree."""
    s = site()
    counts = s.ontology.class_counts
    own = [c for c in s.ontology.classes if s.iris.local(c)]
    children: dict[str | None, list[str]] = {}
    for c in own:
        parents = [p for p in s.ontology.superclasses(c) if p in own]
        for p in parents or [None]:
            children.setdefault(p, []).append(c)
    for kids in children.values():
        kids.sort(key=lambda c: s.names.label(c, lang()).lower())
    if request.args.get("format") == "json":
        return jsonify(
            [
                {"iri": c, "label": s.names.label(c, lang()), "members": counts.get(c, 0), "page": s.urls.page(c)}
                for c in sorted(own)
            ]
        )
    return render(
        "classes.html",
        children=children,
        counts=counts,
        alternates=[("/class/?format=json", "application/json", "JSON")],
    )


def class_page(local: str) -> Response:
    """GET /class/<Local>[.json|.csv|.ttl|.jsonld|.nt|.rdf]."""
    s, f = site(), fmt()
    base, ext = split_ext(local)
    if ext:
        cls = class_iri(s, base)
        return rdf_response(description(s, URIRef(cls)), ext, s.prefixes, subject=cls)
    for twin in ("json", "csv", "xlsx"):
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
    rows, facet_list = filtered(s, cls, table, f.lang)
    rows = sorted_rows(s, table, sort, order, f.lang, rows)
    pages = max(1, math.ceil(len(rows) / PAGE_SIZE))
    if page_no > pages:
        raise PageError(404, f"There are only {pages} pages.")
    shown = rows[(page_no - 1) * PAGE_SIZE : page_no * PAGE_SIZE]
    twin_query = [(k, v) for k, v in request.args.items(multi=True) if k not in ("page", "lang")]
    twin_args = ("?" + urlencode(twin_query)) if twin_query else ""
    links = [
        (f"/class/{local}.json{twin_args}", "application/json", "JSON"),
        (f"/class/{local}.csv{twin_args}", "text/csv", "CSV"),
    ]
    if exports.has_figure_export(s, cls):
        links.append((f"/class/{local}.xlsx{twin_args}", exports.XLSX, "Excel"))
    links += alternates(f"/class/{local}")
    return render(
        "class.html",
        cls=cls,
        local=local,
        definition=_definition(s, cls, f.lang),
        superclasses=s.ontology.superclasses(cls),
        subclasses=s.ontology.subclasses(cls),
        counts=s.ontology.class_counts,
        table=table,
        rows=shown,
        total=len(rows),
        sort=sort if sort in {c.key for c in table.columns} else "label",
        order=order,
        page=page_no,
        pages=pages,
        figures=s.figures,
        alternates=links,
        sort_args=[(k, v) for k, v in request.args.items(multi=True) if k not in ("sort", "order", "page")],
        facets=facet_list,
        facet_url=lambda key, value: facet_url(key, value),
        clear_url=facet_url(None, None),
        twin_args=twin_args,
        total_all=len(table.rows),
        note=class_note(s, cls),
    )


def filtered(s: Site, cls: str, table: Table, lang_: str) -> tuple[list[Row], list]:
    """The rows the request's facets and ?of= allow, and the facets with their counts; 400 on a bad value."""
    rows = table.rows
    of = request.args.get("of")
    if of:
        iri = s.iris.entity_iri(of)
        if iri is None or str(iri) not in s.names.labels:
            raise PageError(400, _("of= names no entity of this dataset."))
        mine = {fig.iri for fig in s.figures.of(str(iri))} | {str(iri)}
        rows = [r for r in rows if r.iri in mine or any(str(n) == str(iri) for ns in r.cells.values() for n in ns)]
    try:
        return facets.apply(s, cls, rows, {k: request.args.getlist(k) for k in request.args}, lang_)
    except facets.FacetError as exc:
        raise PageError(400, str(exc)) from None


def facet_url(key: str | None, value: str | None) -> str:
    """The current URL with one facet value switched on or off (key None: all facets off), back on page 1."""
    keep = [(k, v) for k, v in request.args.items(multi=True) if k != "page"]
    if key is None:
        keep = [(k, v) for k, v in keep if k in ("sort", "order", "lang", "of")]
    elif (key, value) in keep:
        keep.remove((key, value))
    else:
        keep.append((key, value))
    return request.path + ("?" + urlencode(keep) if keep else "")


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


def _definition(s: Site, cls: str, lang_: str) -> str:
    texts = {}
    for p in (SKOS.definition, RDFS.comment):
        for o in s.ontology.graph.objects(URIRef(cls), p):
            texts.setdefault(getattr(o, "language", None) or "und", str(o))
    return texts.get(lang_) or texts.get("en") or texts.get("zh") or ""


def class_data(local: str, twin: str) -> Response:
    """The table's twins: .json (with the facets and their counts), .csv (spreadsheet-ready: UTF-8 with a byte-order
    mark, a label beside every IRI) and, for figures, .xlsx. The same facet parameters as the page."""
    s = site()
    lang_ = lang()
    cls = class_iri(s, local)
    table = table_for(s, cls)
    rows, facet_list = filtered(s, cls, table, lang_)
    rows = sorted_rows(s, table, request.args.get("sort", "label"), request.args.get("order", "asc"), lang_, rows)
    if twin == "json":
        return jsonify(
            {
                "class": cls,
                "label": s.names.label(cls, lang_),
                "total": len(rows),
                "facets": [
                    {
                        "key": fc.key,
                        "label": _(fc.label),
                        "values": [
                            {
                                "value": v.token,
                                "iri": v.iri,
                                "label": s.names.label(v.iri, lang_) if v.iri else v.text,
                                "count": v.count,
                                "selected": v.selected,
                            }
                            for v in fc.values
                        ],
                    }
                    for fc in facet_list
                ],
                "columns": [
                    {"key": c.key, "property": c.prop, "label": s.names.label(c.prop, lang_)} for c in table.columns
                ],
                "rows": [
                    {
                        "iri": r.iri,
                        "label": {"zh": s.names.label_in(r.iri, "zh"), "en": s.names.label_in(r.iri, "en")},
                        **{c.key: [_json_value(s, n, lang_) for n in r.cells.get(c.key, [])] for c in table.columns},
                    }
                    for r in rows
                ],
            }
        )
    name = exports.file_name(s, local, request.args, lang_)
    if exports.has_figure_export(s, cls):
        header, data = exports.figure_table(
            s, [s.figures[r.iri] for r in rows if r.iri in s.figures], lang_, request.host_url.rstrip("/")
        )
    else:
        header = ["iri", "label_zh", "label_en"]
        for c in table.columns:
            header += [c.key, f"{c.key}_label"]
        data = []
        for r in rows:
            line = [r.iri, s.names.label_in(r.iri, "zh") or "", s.names.label_in(r.iri, "en") or ""]
            for c in table.columns:
                line += _cell_pair(s, r.cells.get(c.key, []), lang_)
            data.append(line)
    if twin == "xlsx":
        if not exports.has_figure_export(s, cls):
            raise PageError(404, _("Only the figures table is offered as a spreadsheet."))
        return exports.xlsx_response(header, data, name + ".xlsx", sheet=_("Figures"))
    return exports.csv_response(header, data, name + ".csv")


def _cell_pair(s: Site, nodes: list[Node], lang_: str) -> list[str]:
    """A cell as two columns: its values (IRIs as they are, numbers as numbers) and their labels."""
    values, names = [], []
    for n in nodes:
        if isinstance(n, URIRef):
            values.append(str(n))
            names.append(s.names.label(str(n), lang_))
        elif isinstance(n, Literal) and isinstance(n.toPython(), (int, float, Decimal)):
            values.append(number(n.toPython()))
            names.append("")
        else:
            values.append(str(n))
            names.append("")
    return ["; ".join(values), "; ".join(x for x in names if x)]


def _json_value(s: Site, node: Node, lang_: str) -> dict | str | float | int | bool:
    if isinstance(node, URIRef):
        return {"iri": str(node), "label": s.names.label(str(node), lang_)}
    if isinstance(node, Literal):
        v = node.toPython()
        if isinstance(v, Decimal):
            return float(v)
        if isinstance(v, (int, float, bool)):
            return v
        return str(node)
    return str(node)
