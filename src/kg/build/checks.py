"""Checks of the data against the source and the shapes: written numbers, figures in their quotes, SHACL."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from pyshacl import validate as shacl_validate
from rdflib import RDF, Graph, Namespace

from kg.build.sources import ns
from kg.config import Settings
from kg.rdf import vocab

PROV = Namespace(vocab.PROV)


_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "首": 1,
}


_CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}


def parse_written_number(text: str) -> Decimal | None:
    """The number a written form stands for: '2529' -> 2529, '1.4' -> 1.4, '第二' -> 2, '十四' -> 14, '首' -> 1,
    '万' -> 10000 (as in 万亿)."""
    text = text.strip().removeprefix("第")
    text = text.replace(",", "")
    try:
        return Decimal(text)
    except InvalidOperation:
        pass
    if not text or any(c not in _CN_DIGITS and c not in _CN_UNITS for c in text):
        return None
    total, digit = 0, None
    for c in text:
        if c in _CN_DIGITS:
            digit = _CN_DIGITS[c]
        else:
            total += (1 if digit is None else digit) * _CN_UNITS[c]
            digit = None
    return Decimal(total + (digit or 0))


def figure_problems(data: Graph, settings: Settings) -> list[str]:
    """Every figure's value as written must stand in the quote of a passage it is derived from, and mean its value."""
    jp, _ = ns(settings)
    problems = []
    for obs in sorted(set(data.subjects(RDF.type, jp.Observation))):
        value = data.value(obs, jp.value)
        written = data.value(obs, jp.valueAsWritten)
        if value is None or written is None:
            continue  # the shapes report the missing value
        quotes = [str(q) for p in data.objects(obs, PROV.wasDerivedFrom) for q in data.objects(p, jp.exact)]
        if not any(str(written) in q for q in quotes):
            problems.append(f"{obs}: value as written {str(written)!r} does not appear in its quote(s) {quotes!r}")
        unit = data.value(obs, jp.unitAsWritten)
        if unit is not None and not any(str(unit) in q for q in quotes):
            problems.append(f"{obs}: unit as written {str(unit)!r} does not appear in its quote(s) {quotes!r}")
        meant = parse_written_number(str(written))
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            number = None
        if meant is None or number is None or meant != number:
            problems.append(f"{obs}: value {value} does not match the value as written {str(written)!r}")
    return problems


def validate(ontology: Graph, data: Graph, shapes: Graph) -> tuple[bool, Graph, str]:
    """SHACL validation of the data, with the ontology's class hierarchy in view."""
    # The ontology's own individuals (statuses, kinds of figure) are range targets, so it is validated with the data.
    combined = Graph()
    combined += ontology
    combined += data
    conforms, report_graph, report_text = shacl_validate(
        combined, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True
    )
    return bool(conforms), report_graph, report_text
