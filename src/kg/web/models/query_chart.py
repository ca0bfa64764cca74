"""What the query page's chart draws: the rows of a SELECT result as plain values (numbers as numbers, IRIs by their
label in the page's language, or by the result's own ?xLabel column where it has one), the variables that hold
numbers, and the units beside them.

Honest by construction: a numeric variable is charted on one axis only when the result states one unit for it. A
result with a unit column (?unit, ?xUnit) holding several values is flagged, and the page warns instead of drawing
figures of different units on one axis.

The chart's choice lives in the URL (&chart=bar&x=year&y=value&by=area): CHART_TYPES are the choices, and
chart_choice() checks them so that a bad link gets a clear 400 rather than a chart of nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal

from rdflib import Literal, URIRef
from rdflib.term import Node

CHART_TYPES = ("bar", "line", "scatter", "pivot")
NUMBER_AS_WRITTEN = re.compile(r"-?\d+(\.\d+)?")
VARIABLE = re.compile(r"[A-Za-z0-9_]{1,60}")
MAX_CHART_ROWS = 2000  # the rows the table shows; the chart draws the same


def chart_choice(args: Mapping[str, str]) -> dict[str, str]:
    """The chart asked for in the URL, checked: {} when none; ValueError with a message for a bad one."""
    chart = args.get("chart", "")
    if not chart:
        return {}
    if chart not in CHART_TYPES:
        raise ValueError(f"Unknown chart type {chart!r}: choose one of {', '.join(CHART_TYPES)}.")
    out = {"chart": chart}
    for key in ("x", "y", "by"):
        value = args.get(key, "").lstrip("?")
        if value and not VARIABLE.fullmatch(value):
            raise ValueError(f"The chart's {key} must be a variable name (letters, digits, _).")
        if value:
            out[key] = value
    return out


def is_unit_variable(name: str) -> bool:
    return name.lower() == "unit" or name.lower().endswith("unit")


def _number(node: Node | None) -> float | None:
    """A numeric literal's value, or a plain string's that is a number as written ("2529", "4.5"); else None."""
    if not isinstance(node, Literal):
        return None
    if isinstance(node.toPython(), str):
        return float(node) if NUMBER_AS_WRITTEN.fullmatch(str(node)) else None
    value = node.toPython()
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    return float(value)


def _shown(node: Node | None, label: Callable[[str], str]) -> str | None:
    if node is None:
        return None
    if isinstance(node, URIRef):
        return label(str(node))
    return str(node)


def chart_data(variables: list[str], rows: list[dict[str, Node]], label: Callable[[str], str]) -> dict:
    """The result as the chart reads it: {fields: [{name, numeric, unit}], rows: [{name: value}], mixed: [names]}.

    A variable x with a companion xLabel column shows the label; xLabel itself is not offered as an axis."""
    rows = rows[:MAX_CHART_ROWS]
    names = set(variables)
    labelled = {v for v in variables if f"{v}Label" in names}
    offered = [v for v in variables if not (v.endswith("Label") and v[: -len("Label")] in labelled)]
    numeric = [
        v
        for v in offered
        if rows and any(v in r for r in rows) and all(_number(r.get(v)) is not None for r in rows if v in r)
    ]
    units = {v: sorted({str(r[v]) for r in rows if v in r}) for v in offered if is_unit_variable(v)}
    table = []
    for r in rows:
        out: dict[str, float | str | None] = {}
        for v in offered:
            if v in numeric:
                out[v] = _number(r.get(v))
            elif v in labelled and r.get(f"{v}Label") is not None:
                out[v] = str(r[f"{v}Label"])
            else:
                out[v] = _shown(r.get(v), label)
        table.append(out)
    return {
        "fields": [{"name": v, "numeric": v in numeric} for v in offered],
        "rows": table,
        "units": {v: u for v, u in units.items() if u},
        "mixed": [v for v, u in units.items() if len(u) > 1],
    }
