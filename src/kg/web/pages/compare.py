"""The compare view: /compare?f=obs-gdp-2021&f=obs-foreign-trade-2021 puts 2-8 figures side by side (a chart per
comparable group and a table of every figure as the report writes it); /compare.csv and /compare.xlsx hold the same
rows as the figures table's downloads. With no ?f=, the page is a checkbox form of every figure. The comparison
itself is models/compare.py."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from flask import Response, request

from kg.web.dataset_index import site
from kg.web.models import compare as model
from kg.web.models import exports
from kg.web.rendering import PageError, _, fmt, lang, render


def _comparison() -> model.Comparison:
    try:
        return model.compare(site(), fmt(), request.args.getlist("f"))
    except model.CompareError as exc:
        raise PageError(400, str(exc)) from None


def compare() -> Response:
    """GET /compare[?f=…]: the comparison, or the form to pick figures when none are named."""
    s = site()
    if "f" not in request.args:
        return render(
            "compare.html",
            comparison=None,
            suggestions=model.suggestions(s),
            themes=model.picker(s, lang()),
            max_figures=model.MAX_FIGURES,
        )
    c = _comparison()
    query = urlencode([("f", n) for n in c.names])
    return render(
        "compare.html",
        comparison=c,
        query=query,
        passages={x.iri: next((s.passages[p] for p in x.passages if p in s.passages), None) for x in c.figures},
        max_figures=model.MAX_FIGURES,
        alternates=[(f"/compare.csv?{query}", "text/csv", "CSV"), (f"/compare.xlsx?{query}", exports.XLSX, "Excel")],
    )


def _file_name(names: list[str]) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", "-".join(["jinpu-kg-compare", *names]))[:120].strip("-")


def compare_csv() -> Response:
    """GET /compare.csv?f=…: the compared figures, the columns of the figures table's CSV."""
    c = _comparison()
    header, rows = exports.figure_table(site(), c.figures, lang(), request.host_url.rstrip("/"))
    return exports.csv_response(header, rows, _file_name(c.names) + ".csv")


def compare_xlsx() -> Response:
    """GET /compare.xlsx?f=…: the same as a spreadsheet."""
    c = _comparison()
    header, rows = exports.figure_table(site(), c.figures, lang(), request.host_url.rstrip("/"))
    return exports.xlsx_response(header, rows, _file_name(c.names) + ".xlsx", sheet=_("Figures"))
