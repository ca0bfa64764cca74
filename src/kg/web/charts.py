"""Bar charts drawn on the server as inline SVG (no JavaScript): the layout here, the markup in _chart.html.

A chart is drawn only where at least MIN_BARS comparable values exist (same kind, same unit, same whole for shares).
Bars are sorted by value, largest first, on a scale with labelled ticks; each label sits above its bar, wrapped onto
as many lines as it needs (never cut). A value the report gives as about or nearly a number is hatched; one it gives
as a lower bound (more than a number) ends in an arrow, for the bar would go on; a legend says which, so neither is told
apart by colour alone. The SVG is a picture only (aria-hidden): the same numbers, with links, are in the
chart's table, which screen readers read and everyone can open.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal

MIN_BARS = 3
WIDTH = 480
PAD_X = 4
LINE_H = 16
BAR_H = 14
ROW_GAP = 10
VALUE_SPACE = 110  # room right of the longest bar for its value text
TOP = 6
AXIS_H = 22  # room under the bars for the scale's tick labels
LABEL_SIZE = 13
ARROW_W = 8  # the arrow a lower bound's bar ends in


@dataclass
class Bar:
    label: str
    value: float
    text: str
    href: str | None = None
    qualifier: str | None = None  # local name of the jp:Qualifier: About, Nearly, MoreThan (None: as stated)
    title: str = ""
    # layout, filled by layout()
    lines: list[str] = field(default_factory=list)
    label_y: float = 0
    bar_y: float = 0
    x: float = 0
    width: float = 0
    text_x: float = 0

    @property
    def hatched(self) -> bool:
        return self.qualifier in ("About", "Nearly")

    @property
    def lower_bound(self) -> bool:
        return self.qualifier == "MoreThan"


@dataclass
class Tick:
    x: float
    text: str


@dataclass
class Chart:
    title: str
    bars: list[Bar]
    caption: str = ""
    width: int = WIDTH
    height: float = 0
    zero_x: float = PAD_X
    ident: str = "chart"
    unit: str = ""
    ticks: list[Tick] = field(default_factory=list)
    axis_y: float = 0
    notes: list[str] = field(default_factory=list)

    @property
    def has_approximations(self) -> bool:
        return any(b.hatched for b in self.bars)

    @property
    def has_lower_bounds(self) -> bool:
        return any(b.lower_bound for b in self.bars)


def _char_width(c: str) -> float:
    if "\u2e80" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef" or "\u3000" <= c <= "\u303f":
        return 1.0
    if c.isupper() or c in "mwMW%":
        return 0.7
    if c in " .,:;'!|il()[]":
        return 0.32
    return 0.56


def wrap(text: str, max_width: float, size: float = LABEL_SIZE) -> list[str]:
    """The label on as many lines as it needs: Latin text breaks at spaces, Chinese anywhere. Nothing is cut."""
    budget = max_width / size
    lines: list[str] = []
    line, used = "", 0.0
    tokens: list[str] = []
    word = ""
    for c in text:  # words of Latin letters stay whole; every CJK character is a token of its own
        if c == " " or _char_width(c) == 1.0:
            if word:
                tokens.append(word)
                word = ""
            tokens.append(c)
        else:
            word += c
    if word:
        tokens.append(word)
    for tok in tokens:
        w = sum(_char_width(c) for c in tok)
        if used + w > budget and line.strip():
            lines.append(line.rstrip())
            line, used = ("", 0.0) if tok == " " else (tok, w)
            continue
        line += tok
        used += w
    if line.strip():
        lines.append(line.rstrip())
    return lines or [text]


def nice_step(span: float, target: int = 4) -> float:
    """A round tick step (1, 2, 2.5 or 5 times a power of ten) giving about `target` ticks over the span."""
    if span <= 0:
        return 1.0
    raw = span / target
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * power:
            return m * power
    return 10 * power


def _tick_text(v: float) -> str:
    d = Decimal(str(round(v, 6))).normalize()
    return format(d, "f") if d != d.to_integral_value() else str(int(d))


def layout(chart: Chart) -> Chart:
    """Sort the bars (largest first) and place them on a scale; negative values extend left of a zero line."""
    chart.bars.sort(key=lambda b: -b.value)
    values = [b.value for b in chart.bars]
    hi = max([v for v in values if v > 0], default=0.0)
    lo = min([v for v in values if v < 0], default=0.0)
    step = nice_step(hi - lo)
    hi = math.ceil(hi / step) * step if hi > 0 else 0.0
    lo = math.floor(lo / step) * step if lo < 0 else 0.0
    span = (hi - lo) or 1.0
    plot = chart.width - 2 * PAD_X - VALUE_SPACE
    zero = PAD_X + plot * (-lo / span)
    chart.zero_x = zero
    y = TOP
    for bar in chart.bars:
        bar.lines = wrap(bar.label, chart.width - 2 * PAD_X)
        bar.label_y = y + LINE_H - 4
        y += LINE_H * len(bar.lines)
        bar.bar_y = y
        w = plot * abs(bar.value) / span
        w = max(w, 1.5) if bar.value != 0 else 0
        bar.width = w
        bar.x = zero if bar.value >= 0 else zero - w
        arrow = ARROW_W if bar.lower_bound else 0
        bar.text_x = (zero + w + arrow + 6) if bar.value >= 0 else zero + 6
        y += BAR_H + ROW_GAP
    chart.axis_y = y
    ticks = []
    v = lo
    while v <= hi + step / 1000:
        ticks.append(Tick(PAD_X + plot * (v - lo) / span, _tick_text(v)))
        v += step
    chart.ticks = ticks
    chart.height = y + AXIS_H
    return chart


def as_float(value: object) -> float | None:
    if value is None:
        return None
    try:
        return float(Decimal(str(value)))
    except (ArithmeticError, ValueError):
        return None
