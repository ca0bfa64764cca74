"""The home page: what the dataset is and where it comes from, the district's headline figures (and a link to compare
them), a search box, the tasks people come for (figures, compare, projects, enterprises, the report, query,
downloads) with the classes one click away, and the downloads. /index.json is its machine twin."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from flask import Response, jsonify, request

from kg.artifacts import DUMP_EXTENSIONS, BuildArtifacts
from kg.web import catalog, charts, examples
from kg.web.dataset_index import Site, site
from kg.web.dataset_index.figures import Figure
from kg.web.html import number
from kg.web.i18n import translate
from kg.web.rendering import fmt, lang, render

HEADLINE_MAX = 8


@dataclass
class Headline:
    fig: Figure
    growth: list[Figure]


def headline_figures(s: Site) -> list[Headline]:
    """The district's 2021 amounts in the order the report gives them (its lead paragraph first), with growth."""
    district = s.report.district
    if not district:
        return []
    out = []
    for fig in s.figures.values():
        kind = (fig.kind or "").rsplit("#", 1)[-1]
        if fig.area != district or fig.about or fig.planned or kind != "Level" or (fig.period or "")[:4] != "2021":
            continue
        out.append(Headline(fig, s.figures.growth_of.get(fig.iri, [])))
        if len(out) >= HEADLINE_MAX:
            break
    return out


def dalian_shares(s: Site) -> list[Figure]:
    """The district's figures that are shares of another area's total (占大连市的45%), largest first."""
    district = s.report.district
    shares = [
        f
        for f in s.figures.values()
        if f.area == district and f.parent_area and not f.planned and (f.kind or "").endswith("#Share")
    ]
    return sorted(shares, key=lambda f: -(charts.as_float(f.value) or 0))


def share_comparison(s: Site, f) -> dict | None:
    """The district's shares of one whole (Dalian) side by side: a table and, with three or more, a chart."""
    shares = dalian_shares(s)
    if not shares:
        return None
    parent = max({x.parent_area for x in shares}, key=lambda a: sum(x.parent_area == a for x in shares))
    shares = [x for x in shares if x.parent_area == parent]
    chart = None
    if len(shares) >= charts.MIN_BARS:
        bars = [
            charts.Bar(
                label=s.names.label(x.indicator or x.iri, f.lang),
                value=charts.as_float(x.value) or 0.0,
                text=f.figure_text(x),
                href=s.urls.page(x.iri),
                qualifier=(x.qualifier or "").rsplit("#", 1)[-1] or None,
            )
            for x in shares
        ]
        title = translate("Share of {area}", f.lang, area=s.names.label(parent, f.lang)) + translate(" (%)", f.lang)
        chart = charts.layout(charts.Chart(title=title, bars=bars, ident="home-shares"))
    rows = [(x, next((s.passages[p] for p in x.passages if p in s.passages), None)) for x in shares]
    return {"parent": parent, "rows": rows, "chart": chart, "area": s.iris.name(s.report.district or "") or ""}


def class_rows(s: Site) -> list[tuple[str, int]]:
    """(class IRI, members) of the dataset's own classes that have members, largest first."""
    counts = s.ontology.class_counts
    rows = [(c, counts.get(c, 0)) for c in s.ontology.classes if s.iris.local(c)]
    rows = [r for r in rows if r[1] > 0]
    rows.sort(key=lambda r: (-r[1], s.names.label(r[0], "en")))
    return rows


def read_manifest(s: Site) -> dict:
    return BuildArtifacts(s.settings.build_dir).manifest()


def compare_query(s: Site, headlines: list[Headline]) -> str:
    """?f=…&f=… of the headline figures, for the compare view (which takes up to eight)."""
    names = [s.iris.name(h.fig.iri) for h in headlines]
    return urlencode([("f", n) for n in names if n][:8])


def home() -> Response:
    s = site()
    headlines = headline_figures(s)
    return render(
        "home.html",
        dataset_jsonld=catalog.dataset_jsonld(s, request.host_url),
        headlines=headlines,
        headline_compare=compare_query(s, headlines) if len(headlines) >= 2 else "",
        shares=share_comparison(s, fmt()),
        classes=class_rows(s),
        queries=examples.load_all(s.settings.base_iri),
        manifest=read_manifest(s),
        district=s.report.district,
        report=s.report.iri,
        figure_count=len(s.figures),
        passage_count=len(s.passages),
        alternates=[
            ("/index.json", "application/json", "JSON"),
            ("/download/dataset.ttl", "text/turtle", "Turtle"),
            ("/.well-known/void", "text/turtle", "VoID"),
        ],
    )


def home_json() -> Response:
    s, f = site(), fmt()
    lang_ = lang()

    def fig_json(fig: Figure) -> dict:
        return {
            "iri": fig.iri,
            "label": s.names.label(fig.iri, lang_),
            "value": number(fig.value),
            "unit": fig.unit,
            "qualifier": s.names.label(fig.qualifier, lang_) if fig.qualifier else None,
            "as_written": f.as_written(fig),
            "text": str(f.figure_value(fig).striptags()),
        }

    return jsonify(
        {
            "title": (
                "金普新区2021年发展成就知识图谱"
                if lang_ == "zh"
                else "Jinpu KG: Dalian Jinpu New District 2021 results"
            ),
            "district": s.report.district,
            "report": s.report.iri,
            "headline": [dict(fig_json(h.fig), growth=[fig_json(g) for g in h.growth]) for h in headline_figures(s)],
            "classes": [
                {"iri": c, "label": s.names.label(c, lang_), "members": n, "page": s.urls.page(c)}
                for c, n in class_rows(s)
            ],
            "queries": [
                {"name": q.name, "title": q.title_in(lang_), "url": f"/query?name={q.name}"}
                for q in examples.load_all(s.settings.base_iri)
            ],
            "downloads": {ext: f"/download/dataset.{ext}" for ext in DUMP_EXTENSIONS},
            "build": read_manifest(s),
        }
    )
