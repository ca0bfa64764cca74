"""Reading the sources: ontology and data Turtle under the configured base, the shapes, the report text, and
anchoring every passage in that text (offsets, section, Web Annotation selectors)."""

from __future__ import annotations

from pathlib import Path

from rdflib import RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef

from kg.build.model import BuildError, Sources
from kg.config import DEFAULT_BASE_IRI, Settings
from kg.rdf import vocab
from kg.rdf.figures import join_fragments

OA = Namespace(vocab.OA)
PROV = Namespace(vocab.PROV)
QB = Namespace(vocab.QB)


def ns(settings: Settings) -> tuple[Namespace, Namespace]:
    """The ontology namespace (jp:) and the resource namespace (jpr:) under the configured base."""
    return Namespace(settings.def_ns), Namespace(settings.id_ns)


def _parse_into(graph: Graph, path: Path, settings: Settings) -> None:
    try:
        graph.parse(path, format="turtle", publicID=settings.base_iri)
    except Exception as exc:  # noqa: BLE001 - rdflib's parsers raise many exception types; all mean bad Turtle
        raise BuildError(f"{path.relative_to(settings.root)}: cannot parse Turtle: {exc}") from None


def load_sources(settings: Settings) -> Sources:
    """Parse ontology/*.ttl and data/**/*.ttl; relative IRIs resolve against the configured base."""
    ontology, data = Graph(), Graph()
    for path in sorted(settings.ontology_dir.glob("*.ttl")):
        _parse_into(ontology, path, settings)
    data_files = sorted(settings.data_dir.rglob("*.ttl"))
    if not data_files:
        raise BuildError(f"no data files under {settings.data_dir.relative_to(settings.root)}/")
    for path in data_files:
        _parse_into(data, path, settings)
    return Sources(ontology=ontology, data=data)


def load_shapes(settings: Settings) -> Graph:
    """The SHACL shapes; the namespaces their SPARQL constraints declare follow the configured base."""
    shapes = Graph()
    for path in sorted(settings.shapes_dir.glob("*.ttl")):
        text = path.read_text(encoding="utf-8").replace(DEFAULT_BASE_IRI, settings.base_iri)
        try:
            shapes.parse(data=text, format="turtle", publicID=settings.base_iri)
        except Exception as exc:  # noqa: BLE001 - as in _parse_into
            raise BuildError(f"{path.relative_to(settings.root)}: cannot parse Turtle: {exc}") from None
    return shapes


def read_source_text(settings: Settings) -> str:
    return settings.source_file.read_text(encoding="utf-8")


def section_starts(text: str, declared: list[tuple[str, str]]) -> tuple[list[tuple[int, str]], list[str]]:
    """(offset, name) of every section of the report in order, and the problems found. A section starts at a `## `
    heading line and is named by it (`###` lines are column titles, not sections), or, where the text has no heading,
    at a section declared in the data as (quote, name): the quote must open a line of the text, once, and the name
    must be the report's own words."""
    starts, problems, pos = [], [], 0
    for line in text.splitlines(keepends=True):
        if line.startswith("## "):
            starts.append((pos, line[3:].strip()))
        pos += len(line)
    for quote, name in declared:
        at = text.find(quote) if quote else -1
        if at < 0 or text.count(quote) != 1 or text[at - 1 : at] not in ("", "\n"):
            problems.append(f"section {name!r}: its start {quote!r} must open a line of the source, once")
        elif name not in text:
            problems.append(f"section {name!r}: the name is not the report's own words")
        else:
            starts.append((at, name))
    return sorted(starts), problems


def section_at(starts: list[tuple[int, str]], offset: int) -> str | None:
    """The name of the last section starting at or before `offset`; None before the first (the report's opening)."""
    names = [name for start, name in starts if start <= offset]
    return names[-1] if names else None


def declared_sections(data: Graph, jp: Namespace) -> list[tuple[str, str]]:
    """(start quote, Chinese name) of every jp:ReportSection in the data: the parts of the report without a heading."""
    out = []
    for section in sorted(set(data.subjects(RDF.type, jp.ReportSection))):
        names = [str(n) for n in data.objects(section, RDFS.label) if getattr(n, "language", None) == "zh"]
        out.append((str(data.value(section, jp.sectionStart) or ""), names[0] if names else str(section)))
    return out


def shorten(text: str, limit: int) -> str:
    """The text cut to about `limit` characters for a label, never inside a number (总数达到49… would misquote
    495); the cut is marked with an ellipsis."""
    if len(text) <= limit:
        return text
    end = limit
    while end < len(text) and (
        text[end].isdigit()
        or (text[end] in ".,%" and end + 1 < len(text) and text[end - 1].isdigit() and text[end + 1].isdigit())
    ):
        end += 1
    if end < len(text) and text[end] == "%" and text[end - 1].isdigit():
        end += 1
    return text[:end] + ("…" if end < len(text) else "")


def enrich_passages(data: Graph, text: str, settings: Settings) -> list[str]:
    """Anchor every passage in the source: offsets, Web Annotation selectors, labels. Returns problems found."""
    jp, jpr = ns(settings)
    report = jpr["report"]
    sections, problems = section_starts(text, declared_sections(data, jp))
    spans: dict[tuple[int, int], URIRef] = {}
    for passage in sorted(set(data.subjects(RDF.type, jp.Passage))):
        quotes = list(data.objects(passage, jp.exact))
        if len(quotes) != 1:
            problems.append(f"{passage}: a passage needs exactly one jp:exact quote, found {len(quotes)}")
            continue
        quote = str(quotes[0])
        start = text.find(quote)
        if not quote.strip() or start < 0:
            problems.append(f"{passage}: quote does not occur verbatim in the source: {quote!r}")
            continue
        end = start + len(quote)
        if text.find(quote, start + 1) >= 0:
            problems.append(
                f"{passage}: quote occurs more than once in the source, so its place is ambiguous "
                f"(quote a longer span): {quote!r}"
            )
        if (start, end) in spans:
            problems.append(
                f"{passage}: same span ({start}-{end}) as {spans[(start, end)]}: two passages for one "
                f"quote make pages cite the wrong sentence; use one passage"
            )
        spans[(start, end)] = passage
        section = section_at(sections, start)
        quote_sel = URIRef(f"{passage}#quote")
        pos_sel = URIRef(f"{passage}#position")
        short = shorten(quote, 24)
        data.add((passage, RDF.type, OA.SpecificResource))
        data.add((passage, OA.hasSource, report))
        data.add((passage, jp.startOffset, Literal(start, datatype=XSD.nonNegativeInteger)))
        data.add((passage, jp.endOffset, Literal(end, datatype=XSD.nonNegativeInteger)))
        if section:
            data.add((passage, jp.section, Literal(section, lang="zh")))
        if not any(data.objects(passage, RDFS.label)):
            data.add((passage, RDFS.label, Literal(f"原文：{short}", lang="zh")))
            data.add((passage, RDFS.label, Literal(f"Report passage, characters {start}–{end}", lang="en")))
        data.add((passage, OA.hasSelector, quote_sel))
        data.add((passage, OA.hasSelector, pos_sel))
        data.add((quote_sel, RDF.type, OA.TextQuoteSelector))
        data.add((quote_sel, OA.exact, Literal(quote)))
        data.add((quote_sel, OA.prefix, Literal(text[max(0, start - 16) : start])))
        data.add((quote_sel, OA.suffix, Literal(text[end : end + 16])))
        data.add((pos_sel, RDF.type, OA.TextPositionSelector))
        data.add((pos_sel, OA.start, Literal(start, datatype=XSD.nonNegativeInteger)))
        data.add((pos_sel, OA.end, Literal(end, datatype=XSD.nonNegativeInteger)))
        data.add((passage, PROV.wasQuotedFrom, report))
    # Every observation belongs to the one figure dataset.
    for obs in set(data.subjects(RDF.type, jp.Observation)):
        data.add((obs, QB.dataSet, jpr["figures"]))
    return problems


def quote_figures(data: Graph, text: str, settings: Settings) -> None:
    """Give every figure the quote a citation of it gives (jp:citationQuote): its passages in source order, one run
    of words where only the layout's line breaks cut them apart, an ellipsis where words are left out."""
    jp, _ = ns(settings)
    for obs in set(data.subjects(RDF.type, jp.Observation)):
        spans = [
            (int(start), int(end))
            for passage in data.objects(obs, PROV.wasDerivedFrom)
            for start in data.objects(passage, jp.startOffset)
            for end in data.objects(passage, jp.endOffset)
        ]
        if spans:
            data.add((obs, jp.citationQuote, Literal(join_fragments(spans, text))))
