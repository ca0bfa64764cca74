"""The query page: a SPARQL editor (YASGUI's editor, vendored in static/vendor/yasgui, over a plain textarea that
works without JavaScript), the canned queries, results as a table with IRIs shown by label and linked to their pages
(sorted, filtered and paged in the browser), downloads of the results in every format from the SPARQL endpoint, and a
shareable URL (/query?query=...). The project's prefixes are predeclared: a query that uses jp: (or rdfs:, prov: ...)
without declaring it gets the declaration added, and says so. /query/terms.json feeds the editor's autocompletion
(prefixes, classes, properties, and the data's entities by label) from this server, never from elsewhere.

User queries run through SparqlService.run_user_query: the endpoint's checks, row cap, time limit and fair share.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import Response, current_app, jsonify, request
from rdflib import Graph
from rdflib.term import Node

from kg.rdf.query_text import declare_prefixes, star_order
from kg.sparql import EXTENSION
from kg.sparql.policy import QueryError
from kg.web import examples
from kg.web.dataset_index import site
from kg.web.models.query_chart import chart_choice, chart_data
from kg.web.rendering import PageError, _, lang, render

SELECT_FORMATS = [("json", "JSON"), ("xml", "XML"), ("csv", "CSV"), ("tsv", "TSV")]
GRAPH_FORMATS = [("ttl", "Turtle"), ("nt", "N-Triples"), ("jsonld", "JSON-LD"), ("rdf", "RDF/XML")]
SHOW_ROWS = 2000  # rows drawn in the HTML table; the downloads have them all


@dataclass
class Outcome:
    kind: str = ""
    variables: list[str] = field(default_factory=list)
    rows: list[dict[str, Node]] = field(default_factory=list)
    boolean: bool | None = None
    truncated: bool = False
    max_rows: int | None = None
    error: str = ""
    status: int = 200


def run(text: str) -> Outcome:
    """Run a user query with the endpoint's safety rules, row cap and time limit."""
    try:
        service = current_app.extensions[EXTENSION]
        result = service.run_user_query(text, client=request.remote_addr or "")
    except QueryError as exc:
        return Outcome(error=exc.message, status=exc.status)
    out = Outcome(kind=result.kind, truncated=bool(result.truncated), max_rows=result.max_rows)
    if result.kind == "select":
        out.variables = star_order(text, list(result.variables))
        out.rows = list(result.rows)
    elif result.kind == "ask":
        out.boolean = bool(result.boolean)
    else:
        out.variables = ["subject", "predicate", "object"]
        graph: Graph = result.graph if result.graph is not None else Graph()
        out.rows = [{"subject": s, "predicate": p, "object": o} for s, p, o in sorted(graph)]
    return out


def query_page() -> Response:
    s = site()
    settings = s.settings
    queries = examples.load_all(settings.base_iri)
    if (request.content_length or 0) > settings.max_query_bytes + 1024:
        raise PageError(413, f"The query is longer than {settings.max_query_bytes} bytes.")
    name = request.values.get("name", "")
    text = request.values.get("query")
    if len((text or "").encode("utf-8")) > settings.max_query_bytes:
        raise PageError(413, f"The query is longer than {settings.max_query_bytes} bytes.")
    try:
        chart = chart_choice(request.values)
    except ValueError as exc:
        raise PageError(400, str(exc)) from None
    chosen = examples.by_name(name, settings.base_iri) if name else None
    if name and chosen is None:
        raise PageError(404, f"There is no example query named {name!r}.")
    if text is None and chosen is not None:
        text = chosen.text
    outcome = None
    declared: list[str] = []
    if text is not None and text.strip():
        text, declared = declare_prefixes(text, s.prefixes)
        outcome = run(text)
    status = outcome.status if outcome and outcome.error else 200
    share = "/query?" + urlencode({"query": text, **chart}) if text else ""
    downloads = []
    if outcome and not outcome.error:
        formats = GRAPH_FORMATS if outcome.kind == "graph" else SELECT_FORMATS
        downloads = [(f"/sparql?{urlencode({'query': text, 'format': code})}", title) for code, title in formats]
        if outcome.kind == "select":
            args = {"query": text, **({"name": chosen.name} if chosen else {})}
            downloads.append((f"/query.csv?{urlencode(args)}", _("CSV with labels")))
    return render(
        "query.html",
        status=status,
        text=text if text is not None else (queries[0].text if queries else ""),
        ran=text is not None,
        chosen=chosen,
        queries=queries,
        outcome=outcome,
        shown=outcome.rows[:SHOW_ROWS] if outcome else [],
        show_rows=SHOW_ROWS,
        declared=declared,
        prefixes=s.prefixes,
        downloads=downloads,
        share=share,
        chart=chart,
        chart_rows=_chart_rows(s, outcome),
        title=_("Query") if chosen is None else chosen.title_in(lang()),
    )


def _chart_rows(s, outcome: Outcome | None) -> dict | None:
    """The result for the chart (SELECT results only), IRIs by their label in the page's language."""
    if outcome is None or outcome.error or outcome.kind != "select":
        return None
    lang_ = lang()
    return chart_data(outcome.variables, outcome.rows, lambda iri: s.names.label(iri, lang_))


def terms_json() -> Response:
    """GET /query/terms.json: what the editor completes, all from this dataset: prefixes, classes and properties of
    the ontology (and the outside terms the data use), and every named entity with its labels."""
    s = site()
    resp = jsonify(s.memo("editor_terms", lambda: editor_terms(s)))
    resp.headers["Cache-Control"] = "public, max-age=300"
    return resp


def editor_terms(s) -> dict:
    used = {str(r["p"]) for r in s.queries.select("predicates")}
    id_ns = s.iris.id_ns
    entities = [
        {"iri": iri, "en": names.get("en"), "zh": names.get("zh")}
        for iri, names in sorted(s.names.labels.items())
        if iri.startswith(id_ns) and iri not in s.passages and "#" not in iri[len(id_ns) :]
    ]

    def described(iris: list[str]) -> list[dict]:
        return [
            {"iri": i, "en": s.names.label_in(i, "en") or s.names.label(i, "en"), "zh": s.names.label_in(i, "zh")}
            for i in iris
        ]

    return {
        "endpoint": "/sparql",
        "prefixes": s.prefixes,
        "classes": described(sorted(s.ontology.classes)),
        "properties": described(sorted(s.ontology.properties | used)),
        "entities": entities,
    }


def _labelled_table() -> tuple[list[str], list[str], list[str], list[list[str]]]:
    """The query of the request run as the endpoint runs it: (variables, IRI variables, header, rows)."""
    from rdflib import URIRef

    s = site()
    text = request.values.get("query") or ""
    if len(text.encode("utf-8")) > s.settings.max_query_bytes:
        raise PageError(413, f"The query is longer than {s.settings.max_query_bytes} bytes.")
    text, _declared = declare_prefixes(text, s.prefixes)
    outcome = run(text)
    if outcome.error:
        raise PageError(outcome.status, outcome.error)
    if outcome.kind != "select":
        raise PageError(400, _("Only SELECT results are offered as a CSV with labels."))
    iri_vars = [v for v in outcome.variables if any(isinstance(r.get(v), URIRef) for r in outcome.rows)]
    header = []
    for v in outcome.variables:
        header += [v, f"{v}_label"] if v in iri_vars else [v]
    rows = []
    for r in outcome.rows:
        line = []
        for v in outcome.variables:
            node = r.get(v)
            line.append("" if node is None else str(node))
            if v in iri_vars:
                line.append(s.names.label(str(node), lang()) if isinstance(node, URIRef) else "")
        rows.append(line)
    return list(outcome.variables), iri_vars, header, rows


def labelled_csv() -> Response:
    """GET /query.csv?query=: the results for a spreadsheet: UTF-8 with a byte-order mark, every IRI column followed
    by a column of its labels in the page's language (the endpoint's text/csv is the standard SPARQL CSV, IRIs only).
    Its CSV on the Web metadata is /query.csv-metadata.json with the same query string."""
    from kg.web.models import csvw
    from kg.web.models.exports import csv_response

    _vars, _iri_vars, header, rows = _labelled_table()
    chosen = re.sub(r"[^A-Za-z0-9-]", "", request.values.get("name", ""))[:60]
    resp = csv_response(header, rows, f"jinpu-kg-query{'-' + chosen if chosen else ''}.csv")
    if request.method != "POST":  # a POSTed query has no URL the metadata could name
        resp.headers["Link"] = csvw.link_header("/query.csv", request.query_string.decode("latin-1"))
    return resp


def labelled_csv_metadata() -> Response:
    """GET /query.csv-metadata.json?query=: the CSVW metadata of that /query.csv. The columns depend on the query and
    on its results (which variables bind IRIs, and so have a label column), so the query is run again, under the
    same policy, time limit and fair share."""
    from flask import jsonify

    from kg.web.models import csvw

    variables, iri_vars, _header, _rows = _labelled_table()
    query = request.query_string.decode("latin-1")
    resp = jsonify(csvw.query_metadata("query.csv" + (f"?{query}" if query else ""), variables, iri_vars))
    resp.mimetype = csvw.CSVW_MEDIA_TYPE
    return resp
