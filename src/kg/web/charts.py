"""Bar charts drawn on the server as inline SVG (no JavaScript): the layout here, the markup in _chart.html.

Each bar sits under its label, so long Chinese or English names never get cut and the chart reads at phone width;
the SVG scales to its container through its viewBox.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

WIDTH = 480
PAD_X = 4
LABEL_H = 18
BAR_H = 14
ROW_GAP = 10
VALUE_SPACE = 110  # room right of the longest bar for its value text
TOP = 6


@dataclass
class Bar:
    label: str
    value: float
    text: str
    href: str | None = None
    approx: bool = False
    title: str = ""
    # layout, filled by layout()
    short_label: str = ""
    label_y: float = 0
    bar_y: float = 0
    x: float = 0
    width: float = 0
    text_x: float = 0


@dataclass
class Chart:
    title: str
    bars: list[Bar]
    caption: str = ""
    width: int = WIDTH
    height: float = 0
    zero_x: float = PAD_X
    ident: str = "chart"
    notes: list[str] = field(default_factory=list)


def _char_width(c: str) -> float:
    if "\u2e80" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef" or "\u3000" <= c <= "\u303f":
        return 1.0
    if c.isupper() or c in "mwMW%":
        return 0.7
    if c in " .,:;'!|il()[]":
        return 0.32
    return 0.56


def text_width(text: str, size: float = 13) -> float:
    """Rough rendered width of a label: full-width (CJK) characters are one em, Latin ones about half."""
    return sum(_char_width(c) for c in text) * size


def fit(text: str, max_width: float, size: float = 13) -> str:
    """The label cut with an ellipsis so that it fits (the full label stays in the bar's tooltip)."""
    budget = max_width / size
    used = 0.0
    for i, c in enumerate(text):
        used += _char_width(c)
        if used > budget:
            cut = i
            while cut > 0 and sum(_char_width(x) for x in text[cut - 1:i]) < 1.0:
                cut -= 1
            return text[:cut].rstrip() + "…"
    return text


def layout(chart: Chart) -> Chart:
    """Place every bar; negative values extend left of a zero line."""
    values = [b.value for b in chart.bars]
    hi = max([v for v in values if v > 0], default=0.0)
    lo = min([v for v in values if v < 0], default=0.0)
    span = (hi - lo) or 1.0
    plot = chart.width - 2 * PAD_X - VALUE_SPACE
    zero = PAD_X + plot * (-lo / span)
    chart.zero_x = zero
    y = TOP
    for bar in chart.bars:
        bar.short_label = fit(bar.label, chart.width - 2 * PAD_X - (zero - PAD_X) - 6)
        bar.label_y = y + LABEL_H - 5
        bar.bar_y = y + LABEL_H
        w = plot * abs(bar.value) / span
        w = max(w, 1.5) if bar.value != 0 else 0
        bar.width = w
        bar.x = zero if bar.value >= 0 else zero - w
        bar.text_x = (zero + w + 6) if bar.value >= 0 else zero + 6
        y += LABEL_H + BAR_H + ROW_GAP
    chart.height = y + 2
    return chart


def as_float(value: object) -> float | None:
    if value is None:
        return None
    try:
        return float(Decimal(str(value)))
    except (ArithmeticError, ValueError):
        return None
