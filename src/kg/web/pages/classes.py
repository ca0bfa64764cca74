"""Class pages: /class/ lists the ontology's classes; /class/<Local> lists a class's members with their key
attributes, sortable by any column (server-side, so it works without JavaScript), with .json and .csv twins and the
class's own description as .ttl/.jsonld/.nt/.rdf. The table itself is models/class_table.py."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Response, jsonify, request
from rdflib import URIRef

from kg.web.dataset_index import Site, site
from kg.web.linked_data import alternates, rdf_response
from kg.web.models import class_table, csvw, exports, table_sparql
from kg.web.models.class_table import TableError
from kg.web.models.entity import description
from kg.web.pages.entity import split_ext
from kg.web.rendering import PageError, _, fmt, lang, render


def warm(s: Site) -> None:
    class_table.warm(s)


def class_iri(s: Site, local: str) -> str:
    cls = class_table.class_of(s, local)
    if cls is None:
        raise PageError(404, _("Nothing here has that name."))
    return cls


def _args() -> dict[str, list[str]]:
    return {k: request.args.getlist(k) for k in request.args}


def index() -> Response:
    """GET /class/: every class of the ontology with its members, as a tree."""
    s = site()
    counts = s.ontology.class_counts
    own, children = class_table.class_tree(s, lang())
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
    """GET /class/<Local>[.json|.csv|.xlsx|.ttl|.jsonld|.nt|.rdf]."""
    s, f = site(), fmt()
    if local.endswith(".csv" + csvw.SUFFIX):
        return class_csv_metadata(local.removesuffix(".csv" + csvw.SUFFIX))
    base, ext = split_ext(local)
    if ext:
        cls = class_iri(s, base)
        return rdf_response(description(s, URIRef(cls)), ext, s.prefixes, subject=cls)
    for twin in ("json", "csv", "xlsx"):
        if local.endswith("." + twin):
            return class_data(local[: -len(twin) - 1], twin)
    cls = class_iri(s, local)
    table = class_table.table_for(s, cls)
    sort = request.args.get("sort", "label")
    order = "desc" if request.args.get("order") == "desc" else "asc"
    try:
        page_no = max(1, int(request.args.get("page", "1")))
    except ValueError:
        raise PageError(400, "page must be a number") from None
    try:
        rows, facet_list = class_table.filtered(s, cls, table, _args(), f.lang)
        columns = class_table.chosen_columns(table, _args(), f.lang)
        rows = class_table.sorted_rows(s, table, sort, order, f.lang, rows)
        shown, pages = class_table.page_of(rows, page_no)
    except TableError as exc:
        raise PageError(exc.status, str(exc)) from None
    twin_query = [(k, v) for k, v in request.args.items(multi=True) if k not in ("page", "lang")]
    twin_args = ("?" + urlencode(twin_query)) if twin_query else ""
    sparql = table_sparql.table_query(s, table, columns, facet_list, _of_iri(s), f.lang)
    return render(
        "class.html",
        cls=cls,
        local=local,
        definition=class_table.definition(s, cls, f.lang),
        superclasses=s.ontology.superclasses(cls),
        subclasses=s.ontology.subclasses(cls),
        counts=s.ontology.class_counts,
        table=table,
        columns=columns,
        rows=shown,
        total=len(rows),
        first=(page_no - 1) * class_table.PAGE_SIZE + 1,
        sort=sort if sort in {c.key for c in table.columns} else "label",
        order=order,
        page=page_no,
        pages=pages,
        figures=s.figures,
        alternates=_twin_links(s, cls, local, twin_args),
        sort_args=[(k, v) for k, v in request.args.items(multi=True) if k not in ("sort", "order", "page")],
        keep_args=[(k, v) for k, v in request.args.items(multi=True) if k not in ("cols", "page")],
        facets=facet_list,
        facet_url=lambda key, value: facet_url(key, value),
        clear_url=facet_url(None, None),
        twin_args=twin_args,
        total_all=len(table.rows),
        note=class_table.class_note(s, cls),
        sparql=sparql,
        sparql_url="/query?" + urlencode({"query": sparql}),
    )


def _of_iri(s: Site) -> str | None:
    of = request.args.get("of")
    iri = s.iris.entity_iri(of) if of else None
    return str(iri) if iri is not None else None


def _twin_links(s: Site, cls: str, local: str, twin_args: str) -> list[tuple[str, str, str]]:
    links = [
        (f"/class/{local}.json{twin_args}", "application/json", "JSON"),
        (f"/class/{local}.csv{twin_args}", "text/csv", "CSV"),
        (f"/class/{local}.xlsx{twin_args}", exports.XLSX, "Excel"),
    ]
    return links + alternates(f"/class/{local}")


def facet_url(key: str | None, value: str | None) -> str:
    """The current URL with one facet value switched on or off (key None: all facets off), back on page 1."""
    keep = [(k, v) for k, v in request.args.items(multi=True) if k != "page"]
    if key is None:
        keep = [(k, v) for k, v in keep if k in ("sort", "order", "lang", "of", "cols")]
    elif (key, value) in keep:
        keep.remove((key, value))
    else:
        keep.append((key, value))
    return request.path + ("?" + urlencode(keep) if keep else "")


def class_data(local: str, twin: str) -> Response:
    """The table's twins: .json (with the facets and their counts), .csv (spreadsheet-ready: UTF-8 with a byte-order
    mark, a label beside every IRI) and .xlsx (the same rows as a spreadsheet). The same facet and ?cols= parameters
    as the page; the figures have the columns of the figures table (exports.figure_table)."""
    s = site()
    lang_ = lang()
    cls = class_iri(s, local)
    table = class_table.table_for(s, cls)
    try:
        rows, facet_list = class_table.filtered(s, cls, table, _args(), lang_)
        columns = class_table.chosen_columns(table, _args(), lang_)
    except TableError as exc:
        raise PageError(exc.status, str(exc)) from None
    sort, order = request.args.get("sort", "label"), request.args.get("order", "asc")
    rows = class_table.sorted_rows(s, table, sort, order, lang_, rows)
    if twin == "json":
        return jsonify(class_table.json_table(s, table, rows, facet_list, lang_))
    name = exports.file_name(s, local, request.args, lang_)
    if exports.has_figure_export(s, cls):
        figures = [s.figures[r.iri] for r in rows if r.iri in s.figures]
        header, data = exports.figure_table(s, figures, lang_, request.host_url.rstrip("/"))
    else:
        header, data = class_table.csv_table(s, table, rows, lang_, columns)
    if twin == "xlsx":
        sheet = _("Figures") if exports.has_figure_export(s, cls) else s.names.label(cls, lang_)
        return exports.xlsx_response(header, data, name + ".xlsx", sheet=sheet)
    resp = exports.csv_response(header, data, name + ".csv")
    resp.headers["Link"] = csvw.link_header(f"/class/{local}.csv", request.query_string.decode("latin-1"))
    return resp


def class_csv_metadata(local: str) -> Response:
    """GET /class/<Local>.csv-metadata.json[?<facets>]: the CSV on the Web metadata of /class/<Local>.csv with the same
    query string (the filters are checked as the CSV checks them, so a bad filter is the same 400 here)."""
    s = site()
    cls = class_iri(s, local)
    table = class_table.table_for(s, cls)
    try:
        class_table.filtered(s, cls, table, _args(), lang())
    except TableError as exc:
        raise PageError(exc.status, str(exc)) from None
    query = request.query_string.decode("latin-1")
    url = f"{local}.csv" + (f"?{query}" if query else "")  # relative to this document: /class/<Local>.csv...
    if exports.has_figure_export(s, cls):
        meta = csvw.figures_metadata(s, url)
    else:
        meta = csvw.class_metadata(s, table, url)
    resp = jsonify(meta)
    resp.mimetype = csvw.CSVW_MEDIA_TYPE
    resp.headers["Link"] = f'</class/{url}>; rel="describes"; type="text/csv"'
    return resp
