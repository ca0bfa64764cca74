"""The report's figures (every observation by IRI, in report order: a read-only mapping), which figures are the
growth of which, and the figures of each entity."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from kg.web.dataset_index.passages import Passages
from kg.web.dataset_index.runner import QueryRunner, Table
from kg.web.dataset_index.runner import python_value as _py


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


def _figure(row) -> Figure:
    return Figure(
        iri=str(row["obs"]),
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


class Figures(Table[Figure]):
    """observation IRI -> Figure, in report order (by the start of its first passage), read on first use."""

    def __init__(self, queries: QueryRunner, passages: Passages):
        self.queries = queries
        self.passages = passages

    def warm(self) -> None:
        self.growth_of  # noqa: B018

    @cached_property
    def table(self) -> dict[str, Figure]:
        out: dict[str, Figure] = {}
        for row in self.queries.select("observations"):
            iri = str(row["obs"])
            fig = out.get(iri)
            if fig is None:
                fig = out[iri] = _figure(row)
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
        for f in self.table.values():
            if f.growth_of:
                out[f.growth_of].append(f)
        return dict(out)

    @cached_property
    def _by_entity(self) -> dict[str, list[Figure]]:
        out: dict[str, list[Figure]] = defaultdict(list)
        for f in self.table.values():
            for iri in dict.fromkeys([f.indicator, f.area, *f.about]):
                if iri:
                    out[iri].append(f)
        return dict(out)

    def of(self, iri: str) -> list[Figure]:
        """Figures whose indicator, area or subject (jp:about) is the entity, in report order."""
        return list(self._by_entity.get(iri, ()))
