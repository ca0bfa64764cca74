"""Turning terms and figures into HTML: links by label, numbers, values with their units and qualifiers in words.

Every function returns escaped Markup; values from the data are escaped by Markup.format, never concatenated raw.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from markupsafe import Markup, escape
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from kg.rdf.figures import phrase_as_written
from kg.web import quotes
from kg.web.dataset_index import Site
from kg.web.dataset_index.figures import Figure
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
            amount = number(d / factor)  # every significant digit the report gives: 1.142 billion
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
        return self.site.names.label(str(iri), self.lang)

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
        url = self.site.urls.page(iri)
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
        """The figure as plain text in the page's language, its qualifier in words: 2529亿元; 突破80亿元 / over
        80亿元; 30余家 / over 30家; 前10位 / top 10; 第二位 / 2nd; growth as _growth says it."""
        if _kind(fig) in ("YearOnYearGrowth", "Multiple"):
            return self._growth(fig)
        written = fig.written or number(fig.value)
        if self.lang == "zh":
            return _spaced(phrase_as_written(written, fig.unit, fig.qualifier_written), fig.unit)
        if _local(fig.qualifier) == "WithinTop":
            return f"top {written}"
        if _kind(fig) == "Rank":
            return _ordinal(fig)
        text = _spaced(written + (fig.unit or ""), fig.unit)
        return f"{self.label(fig.qualifier)} {text}" if fig.qualifier else text

    def figure_value(self, fig: Figure) -> Markup:
        """The figure as figure_text says it, one unbreakable run (a qualifier never parts from its number); a
        qualified figure or an English rank names the report's words in its title."""
        title = self._figure_title(fig)
        cls = "figure-value" + (f" q-{_local(fig.qualifier)}" if fig.qualifier else "")
        out = Markup('<span class="{}"{}>{}</span>').format(
            cls, Markup(' title="{}"').format(title) if title else "", self.figure_text(fig)
        )
        if fig.planned:
            out += Markup(' <span class="badge planned">{}</span>').format(self._("planned"))
        return out

    def _figure_title(self, fig: Figure) -> str:
        as_written = self.as_written(fig)
        if fig.qualifier:
            return self._(
                "{words}; the report says {as_written}", words=self.label(fig.qualifier), as_written=as_written
            )
        if self.lang == "en" and _kind(fig) == "Rank":
            return self._("the report says {as_written}", as_written=as_written)
        return ""

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
        notation = self.site.ontology.notations.get(unit)
        text = humanize(fig.norm_value, notation, self.lang)
        as_written = f"{fig.written or number(fig.value)}{fig.unit or ''}"
        return "" if text.replace(" ", "") == as_written.replace(" ", "") else text  # 2529亿元 says it already

    def _growth(self, fig: Figure) -> str:
        """+9% for a growth rate; 增长6.5倍 as the report says it, in English "up 6.5 times (增长6.5倍)". Whether
        增长N倍 means N or N+1 times the base is a convention the kind's page explains: no percentage is made."""
        written = fig.written or number(fig.value)
        if _kind(fig) == "Multiple":
            as_written = f"增长{written}倍"
            return as_written if self.lang == "zh" else f"up {written} times ({as_written})"
        sign = "+" if fig.value is not None and Decimal(str(fig.value)) >= 0 and not written.startswith("-") else ""
        return f"{sign}{written}{fig.unit or '%'}"

    def growth_value(self, fig: Figure) -> Markup:
        """+9% / 增长6.5倍 for a growth figure; in English a multiple may wrap before its Chinese, never inside either
        part (up 6.5 times / (增长6.5倍)), so that it fits a phone."""
        text = self._growth(fig)
        if _kind(fig) == "Multiple" and self.lang == "en":
            words, _, as_written = text.partition(" (")
            return Markup('<span class="growth multiple"><span>{}</span> <span>({}</span></span>').format(
                words, as_written
            )
        return Markup('<span class="growth">{}</span>').format(text)

    def multiple_note(self, fig: Figure) -> Markup:
        """For a multiple (增长N倍), a link to its kind's page, which says how to read it; else nothing. Kept apart
        from growth_value, which often stands inside a link itself."""
        if _kind(fig) != "Multiple" or not fig.kind:
            return Markup("")
        return Markup('<a class="note-ref" href="{}" title="{}">{}</a>').format(
            self.site.urls.page(fig.kind), self._("How to read 增长N倍"), self._("note")
        )

    def as_written(self, fig: Figure) -> str:
        """The figure exactly as the report writes it: 约565亿元, 30余家, 前10位, 6.5倍."""
        return phrase_as_written(fig.written or number(fig.value), fig.unit, fig.qualifier_written)

    def quote_excerpt(self, fig: Figure, length: int) -> str:
        """The figure's quote cut to about `length` characters around the figure as written, so that the excerpt
        always shows the number it cites."""
        return quotes.around(fig.quote or "", self.as_written(fig), length)


def _kind(fig: Figure) -> str:
    return _local(fig.kind) or ""


def _local(iri: str | None) -> str | None:
    return iri.rsplit("#", 1)[-1] if iri else None


def _spaced(text: str, unit: str | None) -> str:
    """Units the report writes right after the number stay there; a Latin unit gets a space (1.5 km)."""
    return text if _cjk_unit(unit) else text.replace(unit, " " + unit, 1) if unit else text


_ORDINAL_SUFFIX = {1: "st", 2: "nd", 3: "rd"}


def _ordinal(fig: Figure) -> str:
    """A rank in English: 首 -> 'first', 第二 -> '2nd', 第十一 -> '11th'."""
    if (fig.written or "").startswith("首"):
        return "first"
    n = int(Decimal(str(fig.value)))
    return f"{n}{'th' if 10 <= n % 100 <= 20 else _ORDINAL_SUFFIX.get(n % 10, 'th')}"


def _cjk_unit(unit: str | None) -> bool:
    """Units the report writes right after the number (亿元, %, 家); Latin units get a space."""
    if not unit:
        return True
    return unit == "%" or any("\u3000" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef" for c in unit)
