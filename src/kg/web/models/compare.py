"""The compare view: 2-8 figures of the reader's choosing side by side. Pure functions of the dataset index and a
formatter; the page (pages/compare.py) reads ?f= and renders.

Only comparable figures share an axis: the same kind (a level, a growth rate, a share ...), the same unit as the
report writes it, the same period, stated or planned alike, and for shares the same whole. The figures are put in
groups by that key; each group of two or more amounts gets its own chart (small multiples, drawn by charts.py, which
hatches an approximate value and ends a lower bound in an arrow), and the page says what parts the groups. Ranks and
top-N places are not amounts: they stay in the table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kg.web import charts
from kg.web.dataset_index import Site
from kg.web.dataset_index.figures import Figure
from kg.web.html import Formatter

MIN_FIGURES = 2
MAX_FIGURES = 8
NOT_AMOUNTS = ("Rank", "TopN")  # places in a ranking: a longer bar would mean a worse place
# What can part two groups, in the order the page names it (the reason's English text is its i18n key).
REASONS = (
    ("kind", "they are of different kinds (a level, a growth rate, a share …)"),
    ("unit", "they are in different units"),
    ("period", "they are of different periods"),
    ("planned", "some are targets or plans, not results"),
    ("whole", "they are shares of different wholes"),
)


class CompareError(ValueError):
    """A selection the page cannot show, with a message for the reader (always a 400)."""


@dataclass(frozen=True)
class GroupKey:
    kind: str
    unit: str
    period: str
    planned: bool
    whole: str


@dataclass
class Group:
    key: GroupKey
    figures: list[Figure]
    chart: charts.Chart | None = None


@dataclass
class Comparison:
    figures: list[Figure]
    groups: list[Group]
    reasons: list[str] = field(default_factory=list)  # English keys of REASONS, for the page to translate
    names: list[str] = field(default_factory=list)  # the figures' names, in the order of ?f=


def _local(iri: str | None) -> str:
    return (iri or "").rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def parse(s: Site, names: list[str]) -> list[Figure]:
    """The figures the ?f= names pick, once each, in their order. Raises CompareError for a name that is no figure,
    for fewer than two or more than eight."""
    chosen: dict[str, Figure] = {}
    for name in names:
        name = name.strip()
        iri = s.iris.entity_iri(name)
        fig = s.figures.get(str(iri)) if iri is not None else None
        if fig is None:
            raise CompareError(f"f={name!r} names no figure of this dataset (figures are named like obs-gdp-2021).")
        chosen.setdefault(fig.iri, fig)
    if len(chosen) > MAX_FIGURES:
        raise CompareError(f"At most {MAX_FIGURES} figures can be compared; {len(chosen)} were given.")
    if len(chosen) < MIN_FIGURES:
        raise CompareError(f"Pick at least {MIN_FIGURES} different figures to compare (f=…&f=…).")
    return list(chosen.values())


def key_of(fig: Figure) -> GroupKey:
    """What a figure must share with another to be drawn on the same axis."""
    kind = _local(fig.kind)
    return GroupKey(kind, fig.unit or "", fig.period or "", fig.planned, fig.parent_area or "")


def group(figures: list[Figure]) -> list[Group]:
    """The figures in comparable groups, in the order their first figure was picked."""
    groups: dict[GroupKey, Group] = {}
    for fig in figures:
        k = key_of(fig)
        groups.setdefault(k, Group(k, [])).figures.append(fig)
    return list(groups.values())


def reasons(groups: list[Group]) -> list[str]:
    """Why the groups are apart: each attribute that differs between them, as REASONS names it."""
    if len(groups) < 2:
        return []
    return [text for attr, text in REASONS if len({getattr(g.key, attr) for g in groups}) > 1]


def chart_of(s: Site, f: Formatter, g: Group, ident: str) -> charts.Chart | None:
    """One bar chart of a group of two or more amounts; None for ranks or a figure alone."""
    amounts = [x for x in g.figures if charts.as_float(x.value) is not None]
    if len(amounts) < MIN_FIGURES or g.key.kind in NOT_AMOUNTS:
        return None
    bars = [
        charts.Bar(
            label=s.names.label(x.iri, f.lang),
            value=charts.as_float(x.value) or 0.0,
            text=f.figure_text(x),
            href=s.urls.page(x.iri),
            qualifier=_local(x.qualifier) or None,
        )
        for x in amounts
    ]
    return charts.layout(charts.Chart(title=group_title(s, f, g), bars=bars, ident=ident, unit=g.key.unit))


def group_title(s: Site, f: Formatter, g: Group) -> str:
    """Kind, unit, period (and the whole of shares): what every figure of the group shares."""
    figure = g.figures[0]
    parts = [s.names.label(figure.kind, f.lang) if figure.kind else ""]
    if g.key.whole:
        parts.append(f._("of {whole}", whole=s.names.label(g.key.whole, f.lang)))
    parts += [g.key.unit, g.key.period]
    title = ", ".join(p for p in parts if p)
    return title + (f" ({f._('planned')})" if g.key.planned else "")


def compare(s: Site, f: Formatter, names: list[str]) -> Comparison:
    """The comparison the ?f= names ask for. Raises CompareError."""
    figures = parse(s, names)
    groups = group(figures)
    for i, g in enumerate(groups, 1):
        g.chart = chart_of(s, f, g, f"compare-{i}")
    return Comparison(figures, groups, reasons(groups), [s.iris.name(x.iri) or x.iri for x in figures])


def suggestions(s: Site) -> list[tuple[str, list[str]]]:
    """Ready-made comparisons for the empty page: (title, figure names), each of figures the dataset holds."""
    district = s.report.district
    picks = {
        "The district's 2021 amounts in 亿元": lambda x: _local(x.kind) == "Level" and x.unit == "亿元",
        "Growth in 2021": lambda x: _local(x.kind) == "YearOnYearGrowth",
        "Shares of Dalian": lambda x: _local(x.kind) == "Share" and bool(x.parent_area),
    }
    out = []
    for title, wanted in picks.items():
        figs = [x for x in s.figures.values() if x.area == district and not x.planned and wanted(x)]
        names = [s.iris.name(x.iri) for x in figs[:MAX_FIGURES]]
        if len([n for n in names if n]) >= MIN_FIGURES:
            out.append((title, [n for n in names if n]))
    return out


def picker(s: Site, lang: str) -> list[tuple[str | None, list[Figure]]]:
    """Every figure by its indicator's theme, for the page's checkbox form when nothing is picked yet."""
    themes: dict[str | None, list[Figure]] = {}
    for fig in s.figures.values():
        themes.setdefault(s.ontology.indicator_groups.get(fig.indicator or ""), []).append(fig)
    return sorted(themes.items(), key=lambda kv: (kv[0] is None, s.names.label(kv[0], lang) if kv[0] else ""))
