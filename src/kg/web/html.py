"""Turning terms and figures into HTML: links by label, numbers, values with units and "approx." marks.

Every function returns escaped Markup; values from the data are escaped by Markup.format, never concatenated raw.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from markupsafe import Markup, escape
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from kg.web.dataset_index import Figure, Site
from kg.web.i18n import UNIT_ZH, translate

NUMERIC = {
    XSD.decimal,
    XSD.integer,
    XSD.double,
    XSD.float,
    XSD.nonNegativeInteger,
    XSD.positiveInteger,
    XSD.int,
    XSD.long,
}


def number(value: object, group: bool = False) -> str:
    """2529.0 -> '2529', 11.420 -> '11.42', 252900000000.0 -> '252,900,000,000' (group=True)."""
    if value is None:
        return ""
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if d == d.to_integral_value():
        text = f"{int(d):,}" if group else str(int(d))
    else:
        text = format(d.normalize(), ",f" if group else "f")
    return text


def humanize(value: object, notation: str | None, lang: str) -> str:
    """A large normalized amount for readers: 252900000000 CNY -> 'CNY 252.9 billion' (en) / '2529亿' (zh)."""
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    unit = notation or ""
    if lang == "zh":  # 2529亿元, 5.08万人: the unit in Chinese, written right after the number
        word_unit = UNIT_ZH.get(unit, unit)
        for factor, word in ((Decimal(10) ** 8, "亿"), (Decimal(10) ** 4, "万")):
            if abs(d) >= factor:
                return f"{number(d / factor)}{word}{word_unit}"
        return f"{number(d, group=True)}{word_unit}"
    for factor, word in ((Decimal(10) ** 9, "billion"), (Decimal(10) ** 6, "million")):
        if abs(d) >= factor:
            amount = number((d / factor).quantize(Decimal("0.01")))
            return f"{unit} {amount} {word}".strip() if unit in ("CNY", "USD") else f"{amount} {word} {unit}".strip()
    return f"{number(d, group=True)} {unit}".strip()


class Formatter:
    """Per-request formatting in one language."""

    def __init__(self, site: Site, lang: str):
        self.site = site
        self.lang = lang

    def _(self, text: str, **values: object) -> str:
        return translate(text, self.lang, **values)

    def label(self, iri: str) -> str:
        return self.site.label(str(iri), self.lang)

    def link(self, iri: str | URIRef, text: str | None = None, cls: str = "") -> Markup:
        """A link to the IRI's page, shown by its label (never the raw IRI when a label exists)."""
        iri = str(iri)
        key = (iri, self.lang, cls) if text is None else None
        cache = self.site.link_cache
        if key is not None:
            hit = cache.get(key)
            if hit is not None:
                return hit
        label = text if text is not None else self.label(iri)
        url = self.site.page_url(iri)
        css = f' class="{escape(cls)}"' if cls else ""
        if url is None:
            out = Markup(f'<a href="{escape(iri)}" title="{escape(iri)}" rel="external"{css}>{escape(label)}</a>')
        else:
            out = Markup(f'<a href="{escape(url)}" title="{escape(iri)}"{css}>{escape(label)}</a>')
        if key is not None:
            cache[key] = out
        return out

    def literal(self, lit: Literal) -> Markup:
        if lit.language:
            return Markup('<span lang="{}">{}</span> <small class="lang">@{}</small>').format(
                lit.language, str(lit), lit.language
            )
        dt = lit.datatype
        if dt == XSD.boolean:
            return escape(self._("yes") if lit.toPython() is True else self._("no"))
        if dt in NUMERIC:
            v = lit.toPython()
            big = isinstance(v, (int, float, Decimal)) and abs(v) >= 100000
            return escape(number(v, group=big))
        if dt == XSD.anyURI:
            return self.link(str(lit))
        return escape(str(lit))

    def term(self, node: Node) -> Markup:
        if isinstance(node, URIRef):
            return self.link(node)
        if isinstance(node, Literal):
            return self.literal(node)
        if isinstance(node, BNode):
            return Markup('<span class="bnode">[…]</span>')
        return escape(str(node))

    # ---- figures -------------------------------------------------------------------------------------------------

    def figure_text(self, fig: Figure) -> str:
        """The figure as plain text: 2529亿元, 第二位, ≈565亿元."""
        written = fig.written if fig.written else number(fig.value)
        text = f"{written}{fig.unit or ''}" if _cjk_unit(fig.unit) else f"{written} {fig.unit or ''}".strip()
        return ("≈" if fig.approx else "") + text

    def growth_text(self, fig: Figure) -> str:
        return ("≈" if fig.approx else "") + self._growth(fig)

    def figure_value(self, fig: Figure) -> Markup:
        """The figure as the report writes it (2529亿元, 第二位, 约565亿元), with an approx. mark when it is one."""
        written = fig.written if fig.written else number(fig.value)
        text = f"{written}{fig.unit or ''}" if _cjk_unit(fig.unit) else f"{written} {fig.unit or ''}".strip()
        out = Markup('<span class="figure-value">{}</span>').format(text)
        if fig.approx:
            qual = fig.qualifier or ""
            title = self._("approx.") + (f" ({qual})" if qual else "")
            out = (
                Markup('<span class="approx" title="{}">≈</span>').format(title)
                + out
                + Markup(' <span class="badge approx-badge" title="{}">{}{}</span>').format(
                    title, self._("approx."), Markup(' <span lang="zh">{}</span>').format(qual) if qual else ""
                )
            )
        if fig.planned:
            out += Markup(' <span class="badge planned">{}</span>').format(self._("planned"))
        return out

    @property
    def shows_normalized(self) -> bool:
        """Whether headline figures show their normalized value beside the value as written (English pages: a
        reader of 亿元 amounts may want them in yuan)."""
        return self.lang == "en"

    def figure_normalized(self, fig: Figure) -> str:
        """The normalized value when it says more than the value as written (亿元 amounts), else ''."""
        if fig.norm_value is None or fig.value is None:
            return ""
        try:
            if Decimal(str(fig.norm_value)) == Decimal(str(fig.value)):
                return ""
        except InvalidOperation:
            return ""
        unit = fig.norm_unit or ""
        if unit.endswith(("unit-ratio", "unit-times", "unit-rank")):
            return ""
        notation = self.site.notations.get(unit)
        text = humanize(fig.norm_value, notation, self.lang)
        as_written = f"{fig.written or number(fig.value)}{fig.unit or ''}"
        return "" if text.replace(" ", "") == as_written.replace(" ", "") else text  # 2529亿元 says it already

    def _growth(self, fig: Figure) -> str:
        written = fig.written or number(fig.value)
        if fig.kind and fig.kind.endswith("#Multiple"):
            # 增长N倍 is an increase of N times the base (the new value is N+1 times the old), not "N-fold"
            if self.lang == "en" and fig.value is not None:
                return f"+{number(Decimal(str(fig.value)) * 100)}%"
            return f"增长{written}倍"
        sign = "+" if fig.value is not None and Decimal(str(fig.value)) >= 0 and not written.startswith("-") else ""
        return f"{sign}{written}{fig.unit or '%'}"

    def growth_value(self, fig: Figure) -> Markup:
        """+9% / ×6.5 for a growth figure."""
        out = Markup('<span class="growth">{}</span>').format(self._growth(fig))
        if fig.approx:
            out = Markup('<span class="approx" title="{}">≈</span>').format(self._("approx.")) + out
        return out


def _cjk_unit(unit: str | None) -> bool:
    """Units the report writes right after the number (亿元, %, 家); Latin units get a space."""
    if not unit:
        return True
    return unit == "%" or any("\u3000" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef" for c in unit)
