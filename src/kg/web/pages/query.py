"""The query page: a SPARQL editor (works offline: a textarea with a small highlighter from static/), the canned
queries, results as a table with IRIs shown by label and linked to their pages, downloads of the results in every
format from the SPARQL endpoint, and a shareable URL (/query?query=...).

User queries run through kg.sparql.run_user_query, so they get the endpoint's checks, row cap and time limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import Response, request
from rdflib import Graph
from rdflib.term import Node

from kg.sparql import run_user_query
from kg.sparql.policy import QueryError
from kg.web import examples
from kg.web.dataset_index import site
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
        result = run_user_query(text)
    except QueryError as exc:
        return Outcome(error=exc.message, status=exc.status)
    out = Outcome(kind=result.kind, truncated=bool(result.truncated), max_rows=result.max_rows)
    if result.kind == "select":
        out.variables = list(result.variables)
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
    chosen = examples.by_name(name, settings.base_iri) if name else None
    if name and chosen is None:
        raise PageError(404, f"There is no example query named {name!r}.")
    if text is None and chosen is not None:
        text = chosen.text
    outcome = None
    if text is not None and text.strip():
        outcome = run(text)
    status = outcome.status if outcome and outcome.error else 200
    share = "/query?" + urlencode({"query": text}) if text else ""
    downloads = []
    if outcome and not outcome.error:
        formats = GRAPH_FORMATS if outcome.kind == "graph" else SELECT_FORMATS
        downloads = [(f"/sparql?{urlencode({'query': text, 'format': code})}", title) for code, title in formats]
    return render(
        "query.html",
        status=status,
        text=text if text is not None else (queries[0].text if queries else ""),
        ran=text is not None,
        chosen=chosen,
        queries=queries,
        outcome=outcome,
        shown=outcome.rows[:SHOW_ROWS] if outcome else [],
        downloads=downloads,
        share=share,
        title=_("Query") if chosen is None else chosen.title_in(lang()),
    )

