"""Checks of the data against the source and the shapes: written numbers, figures as written in their quotes, their
qualifiers, duplicates, completeness, SHACL. `kg build` fails with each problem named."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from pyshacl import validate as shacl_validate
from rdflib import RDF, Graph, Namespace, URIRef

from kg.build.sources import ns
from kg.config import Settings
from kg.rdf import vocab
from kg.rdf.figures import QUALIFIER_WORDS, phrase_as_written

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


def figure_problems(data: Graph, text: str, settings: Settings) -> list[str]:
    """Every rule about the figures that the shapes cannot say: each figure against its quote, no figure twice, and
    every number of the report a figure."""
    jp, _ = ns(settings)
    problems = []
    for obs in sorted(set(data.subjects(RDF.type, jp.Observation))):
        problems += [f"{obs}: {problem}" for problem in _figure_rules(data, obs, jp)]
    return problems + duplicate_figures(data, jp) + missing_figures(data, text, jp)


def _figure_rules(data: Graph, obs: URIRef, jp: Namespace) -> list[str]:
    value, written = data.value(obs, jp.value), data.value(obs, jp.valueAsWritten)
    if value is None or written is None:
        return []  # the shapes report the missing value
    written, unit = str(written), str(data.value(obs, jp.unitAsWritten) or "")
    qualifier_written = data.value(obs, jp.qualifierAsWritten)
    qualifier = _local(data.value(obs, jp.qualifier))
    kind = _local(data.value(obs, jp.kind))
    quote = str(data.value(obs, jp.citationQuote) or "")
    problems = []
    if parse_written_number(written) != _decimal(value):
        problems.append(f"value {value} does not match the value as written {written!r}")
    if qualifier_written is not None:
        word = QUALIFIER_WORDS.get(str(qualifier_written))
        if word is None:
            return problems + [f"unknown qualifier as written {str(qualifier_written)!r}: add it to kg.rdf.figures"]
        if word.qualifier != qualifier:
            problems.append(f"the report's {word.written!r} is a jp:{word.qualifier} qualifier, not jp:{qualifier}")
    phrase = phrase_as_written(written, unit, str(qualifier_written) if qualifier_written else None)
    if phrase not in quote:
        problems.append(f"its quote does not contain the figure as written {phrase!r}: {quote!r}")
    for word in QUALIFIER_WORDS.values():
        if qualifier_written is None and phrase_as_written(written, unit, word.written) in quote:
            problems.append(f"the quote qualifies the number with {word.written!r}: record it (jp:{word.qualifier})")
    if (qualifier == "WithinTop") != (kind == "TopN"):
        problems.append("a top-N statement (前N位) is jp:TopN with the qualifier jp:WithinTop, never a rank of N")
    return problems


def duplicate_figures(data: Graph, jp: Namespace) -> list[str]:
    """Two figures of one indicator, area, period, kind and whole (or ranking) state the same thing."""
    seen: dict[tuple, URIRef] = {}
    problems = []
    for obs in sorted(set(data.subjects(RDF.type, jp.Observation))):
        key = tuple(
            data.value(obs, p)
            for p in (jp.indicator, jp.refArea, jp.refPeriod, jp.kind, jp.parentArea, jp.rankScope, jp.planned)
        )
        if key in seen:
            problems.append(f"{obs}: states the same as {seen[key]} (same indicator, area, period and kind)")
        seen.setdefault(key, obs)
    return problems


# Numbers of the report that are no figure, read off the text: years, a date, and numbers inside a name.
NOT_FIGURES = {
    r"20(20|21|22)年": "a year",
    r"1月6日": "a date",
    r"433\+1": "the name of the industrial system (the report does not say what the numbers count)",
    r"从0到1": "a figure of speech (from zero to one)",
    r"5G": "the name of a technology",
    r"B2B": "the name of a business model",
}
# The report's figures written in Chinese numerals (or as 首 / 第一), read off the text: each is some figure's value.
CHINESE_FIGURES = (
    "五大主导产业",
    "四湾十四园",
    "居全国第二位",
    "均居大连市第一",
    "投资价值百强榜",
    "东北瞪羚企业第一区",
    "超百亿级",
    "县(市)区首位",
    "十项重点政策",
    "近百处",
    "万亿GDP城市",
)


def missing_figures(data: Graph, text: str, jp: Namespace) -> list[str]:
    """Completeness: every number of the report, written in digits or as in CHINESE_FIGURES, stands as some figure's
    value as written inside that figure's own passages, unless NOT_FIGURES says why it is no figure."""
    covered = _figure_spans(data, text, jp) + [
        (m.start(), m.end()) for pattern in NOT_FIGURES for m in re.finditer(pattern, text)
    ]
    numbers = [(m.start(), m.end()) for m in re.finditer(r"\d+(?:\.\d+)?", text)]
    for phrase in CHINESE_FIGURES:
        at = text.find(phrase)
        if at < 0:
            return [f"CHINESE_FIGURES names {phrase!r}, which the report does not have"]
        numbers += [(at + m.start(), at + m.end()) for m in re.finditer(r"[一二三四五六七八九十百万首]+", phrase)]
    return [
        f"the report's number {text[start:end]!r} (…{text[max(0, start - 12) : end + 8]}…) is no figure's value as "
        "written: add the figure, or say in NOT_FIGURES why it is none"
        for start, end in numbers
        if not any(s <= start and end <= e for s, e in covered)
    ]


def _figure_spans(data: Graph, text: str, jp: Namespace) -> list[tuple[int, int]]:
    """Where each figure's value as written stands in the source, inside the figure's own passages."""
    spans = []
    for obs in set(data.subjects(RDF.type, jp.Observation)):
        written = re.escape(str(data.value(obs, jp.valueAsWritten) or "")) or "$^"
        for passage in data.objects(obs, PROV.wasDerivedFrom):
            start, end = data.value(passage, jp.startOffset), data.value(passage, jp.endOffset)
            if start is not None and end is not None:
                quote = text[int(start) : int(end)]
                spans += [(int(start) + m.start(), int(start) + m.end()) for m in re.finditer(written, quote)]
    return spans


def _local(node) -> str | None:
    return None if node is None else str(node).rsplit("#", 1)[-1]


def _decimal(value) -> Decimal | None:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


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
