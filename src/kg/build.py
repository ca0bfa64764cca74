"""Building the graph: load ontology and data, check quotes, validate with SHACL, infer OWL 2 RL, write build/.

Data flows one way: source text -> Turtle facts -> this build -> build/ (read by the store).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import owlrl
import pyoxigraph as ox
from pyshacl import validate as shacl_validate
from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, SKOS, VOID

from kg.config import DEFAULT_BASE_IRI, Settings
from kg.rdfterms import to_oxigraph

OA = Namespace("http://www.w3.org/ns/oa#")
PROV = Namespace("http://www.w3.org/ns/prov#")
QB = Namespace("http://purl.org/linked-data/cube#")
SH = Namespace("http://www.w3.org/ns/shacl#")

MANIFEST = "manifest.json"

# Properties whose literal values say nothing OWL 2 RL can reason about (labels, text, quotes): left out of the
# reasoner's input, which makes the closure fast without losing an inference about the data.
TEXT_PROPERTIES = {
    RDFS.label, RDFS.comment, SKOS.prefLabel, SKOS.altLabel, SKOS.definition, SKOS.notation, SKOS.note,
    DCTERMS.title, DCTERMS.description,
}
# Namespaces whose own terms are not worth restating as inferences (e.g. rdf:type rdf:type rdf:Property).
VOCAB_NAMESPACES = (str(RDF), str(RDFS), str(OWL), str(XSD))
TRIVIAL_TYPES = {OWL.Thing, RDFS.Resource, OWL.NamedIndividual, RDFS.Class, OWL.Class, RDF.Property}


class BuildError(Exception):
    """The sources do not make a valid build; the message says what is wrong and where."""


@dataclass
class Sources:
    ontology: Graph
    data: Graph


@dataclass
class BuildResult:
    ontology: Graph
    asserted: Graph
    inferred: Graph
    conforms: bool
    report_text: str
    report_graph: Graph
    timings: dict[str, float]


def ns(settings: Settings) -> tuple[Namespace, Namespace]:
    """The ontology namespace (jp:) and the resource namespace (jpr:) under the configured base."""
    return Namespace(settings.def_ns), Namespace(settings.id_ns)


def source_files(settings: Settings) -> list[Path]:
    """Every input whose change makes the build stale."""
    files = sorted(settings.ontology_dir.glob("*.ttl")) + sorted(settings.data_dir.rglob("*.ttl"))
    files += sorted(settings.shapes_dir.glob("*.ttl")) + [settings.source_file]
    return files


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


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


def section_headings(text: str) -> list[tuple[int, str]]:
    """(offset, heading) of every Markdown-style heading line of the report, in order."""
    out, pos = [], 0
    for line in text.splitlines(keepends=True):
        if line.startswith("#"):
            out.append((pos, line.lstrip("#").strip()))
        pos += len(line)
    return out


def enrich_passages(data: Graph, text: str, settings: Settings) -> list[str]:
    """Anchor every passage in the source: offsets, Web Annotation selectors, labels. Returns problems found."""
    jp, jpr = ns(settings)
    report = jpr["report"]
    headings = section_headings(text)
    problems = []
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
            problems.append(f"{passage}: quote occurs more than once in the source, so its place is ambiguous "
                            f"(quote a longer span): {quote!r}")
        if (start, end) in spans:
            problems.append(f"{passage}: same span ({start}-{end}) as {spans[(start, end)]}: two passages for one "
                            f"quote make pages cite the wrong sentence; use one passage")
        spans[(start, end)] = passage
        section = None
        for offset, heading in headings:
            if offset <= start:
                section = heading
        quote_sel = URIRef(f"{passage}#quote")
        pos_sel = URIRef(f"{passage}#position")
        short = quote if len(quote) <= 24 else quote[:24] + "…"
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
        data.add((quote_sel, OA.prefix, Literal(text[max(0, start - 16):start])))
        data.add((quote_sel, OA.suffix, Literal(text[end:end + 16])))
        data.add((pos_sel, RDF.type, OA.TextPositionSelector))
        data.add((pos_sel, OA.start, Literal(start, datatype=XSD.nonNegativeInteger)))
        data.add((pos_sel, OA.end, Literal(end, datatype=XSD.nonNegativeInteger)))
        data.add((passage, PROV.wasQuotedFrom, report))
    # Every observation belongs to the one figure dataset.
    for obs in set(data.subjects(RDF.type, jp.Observation)):
        data.add((obs, QB.dataSet, jpr["figures"]))
    return problems


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
              "首": 1}
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


def _reasoner_input(ontology: Graph, data: Graph) -> Graph:
    """What OWL 2 RL rules can act on: the ontology's axioms, rdf:type statements, and data triples whose property
    the ontology says something about (sub-property, domain, range, inverse, characteristics). The ontology has no
    class restrictions or owl:sameAs, so a triple whose property carries no axiom, or a type whose class has no
    superclass, cannot take part in an inference; leaving those (and every label and text) out makes the closure
    several times faster with the same result (tests/test_build.py compares it with the closure of everything)."""
    axiom_properties = {RDFS.subPropertyOf, RDFS.domain, RDFS.range, OWL.inverseOf, OWL.equivalentProperty}
    described = {s for s, p, _ in ontology if p in axiom_properties} | {o for _, p, o in ontology if p == OWL.inverseOf}
    described |= {s for s, o in ontology.subject_objects(RDF.type)
                  if o in (OWL.TransitiveProperty, OWL.SymmetricProperty, OWL.FunctionalProperty)}
    literal_ok = _literal_axioms(ontology)
    # rdf:type matters only for classes the ontology places under another class (cax-sco, cax-eqc).
    typed = set(ontology.subjects(RDFS.subClassOf, None)) | set(ontology.subjects(OWL.equivalentClass, None))
    g = Graph()
    for s, p, o in ontology:
        if p not in TEXT_PROPERTIES and not isinstance(o, Literal):
            g.add((s, p, o))
    for s, p, o in data:
        if (p == RDF.type and o in typed) or (p in described and (not isinstance(o, Literal) or p in literal_ok)):
            g.add((s, p, o))
    return g


def _literal_axioms(ontology: Graph) -> set:
    """Datatype properties with a super-property, whose literal values are restated under it."""
    return set(ontology.subjects(RDFS.subPropertyOf, None))


def _trivial(s, p, o) -> bool:
    if isinstance(s, Literal):
        return True
    if str(s).startswith(VOCAB_NAMESPACES):
        return True
    if p == RDF.type and o in TRIVIAL_TYPES:
        return True
    if p in (OWL.sameAs, OWL.equivalentClass, OWL.equivalentProperty, RDFS.subClassOf, RDFS.subPropertyOf) and s == o:
        return True
    if p in (RDFS.subClassOf, RDFS.subPropertyOf) and o in (OWL.Thing, RDFS.Resource):
        return True
    if p in (OWL.differentFrom, OWL.AllDifferent, RDFS.domain, RDFS.range):
        return True
    # types from the RDF/OWL vocabulary restate the vocabulary, except the property characteristics
    return (p == RDF.type and isinstance(o, URIRef) and str(o).startswith(VOCAB_NAMESPACES)
            and o not in (OWL.TransitiveProperty, OWL.SymmetricProperty, OWL.ObjectProperty, OWL.DatatypeProperty))


def _chain_properties(ontology: Graph) -> set:
    """Transitive properties and every property tied to one by inverse, sub- or equivalent-property axioms: their
    triples form chains that only a reasoner seeing all of them can close."""
    links = (OWL.inverseOf, RDFS.subPropertyOf, OWL.equivalentProperty)
    chain = set(ontology.subjects(RDF.type, OWL.TransitiveProperty))
    while True:
        more = {o for p in chain for link in links for o in ontology.objects(p, link)}
        more |= {s for p in chain for link in links for s in ontology.subjects(link, p)}
        if more <= chain:
            return chain
        chain |= more


def _close(triples: list) -> list:
    """The OWL 2 RL closure of one part (runs in a worker process)."""
    graph = Graph(store="SimpleMemory")  # no named-graph bookkeeping: faster for owlrl's many lookups
    for t in triples:
        graph.add(t)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(graph)
    return list(graph)


def infer(ontology: Graph, data: Graph, parts: int | None = None) -> Graph:
    """OWL 2 RL closure (owlrl) of ontology + data, minus what was asserted and minus trivial triples.

    The ontology has no class restrictions, no owl:sameAs and no inverse-functional properties, so every rule it
    triggers looks at one data triple, or at the triples of one subject (functional properties), or along chains of
    transitive properties, and only chain triples yield chain triples. So the chains are closed in one job and the
    rest of the data, split by subject, in others, each with the closed ontology, on every core; the union of the
    closures is the closure of the whole (tests/test_build.py checks this against one closure of everything)."""
    reasoner_input = _reasoner_input(ontology, data)
    chain = _chain_properties(ontology)
    schema = _close([t for t in reasoner_input if t in ontology])  # small; every job starts from it closed
    chains = [t for t in reasoner_input if t[1] in chain and t not in ontology]
    rest = [t for t in reasoner_input if t[1] not in chain and t not in ontology]
    parts = parts or max(1, min(4, os.cpu_count() or 1))
    buckets: list[list] = [[] for _ in range(parts)]
    for t in rest:
        buckets[int(hashlib.md5(str(t[0]).encode()).hexdigest(), 16) % parts].append(t)
    jobs = [schema + chains] + [schema + bucket for bucket in buckets]
    if parts == 1:
        closures = [_close(job) for job in jobs]
    else:
        with multiprocessing.get_context("fork").Pool(parts) as pool:
            closures = pool.map(_close, jobs, chunksize=1)
    inferred = Graph()
    for closure in closures:
        for t in closure:
            if t in data or t in ontology or _trivial(*t):
                continue
            inferred.add(t)
    return inferred


def run(settings: Settings) -> BuildResult:
    """Load, check, validate and infer. Does not write anything."""
    timings = {}
    t0 = time.perf_counter()
    sources = load_sources(settings)
    shapes = load_shapes(settings)
    text = read_source_text(settings)
    timings["load"] = time.perf_counter() - t0

    t = time.perf_counter()
    problems = enrich_passages(sources.data, text, settings)
    problems += figure_problems(sources.data, settings)
    conforms, report_graph, report_text = validate(sources.ontology, sources.data, shapes)
    timings["validate"] = time.perf_counter() - t
    if problems:
        conforms = False
        report_text = "Source checks:\n" + "\n".join(f"  - {p}" for p in problems) + "\n\n" + report_text

    inferred = Graph()
    if conforms:
        t = time.perf_counter()
        inferred = infer(sources.ontology, sources.data)
        timings["infer"] = time.perf_counter() - t
    return BuildResult(sources.ontology, sources.data, inferred, conforms, report_text, report_graph, timings)


def _bind(graph: Graph, settings: Settings) -> Graph:
    jp, jpr = ns(settings)
    graph.bind("jp", jp)
    graph.bind("jpr", jpr)
    for prefix, uri in {
        "prov": PROV, "qb": QB, "oa": OA, "skos": SKOS, "dcterms": DCTERMS, "void": VOID, "owl": OWL,
        "schema": Namespace("https://schema.org/"), "org": Namespace("http://www.w3.org/ns/org#"),
        "sdmx-dimension": Namespace("http://purl.org/linked-data/sdmx/2009/dimension#"),
        "sdmx-measure": Namespace("http://purl.org/linked-data/sdmx/2009/measure#"),
        "sdmx-attribute": Namespace("http://purl.org/linked-data/sdmx/2009/attribute#"),
    }.items():
        graph.bind(prefix, uri, replace=True)
    return graph


def void_description(result: BuildResult, settings: Settings) -> Graph:
    """VoID: the dataset, one subset per named graph, class and property partitions, dumps and endpoint."""
    _, jpr = ns(settings)
    base = settings.base_iri
    g = _bind(Graph(), settings)
    ds = URIRef(base + "void#dataset")
    union = result.ontology + result.asserted + result.inferred
    g.add((ds, RDF.type, VOID.Dataset))
    g.add((ds, DCTERMS.title, Literal("金普新区2021年发展成就知识图谱", lang="zh")))
    g.add((ds, DCTERMS.title, Literal("Jinpu KG: Dalian Jinpu New District 2021 results", lang="en")))
    g.add((ds, DCTERMS.description, Literal(
        "A bilingual knowledge graph of every figure, entity and relation in a Chinese newspaper special report on "
        "Dalian Jinpu New District's 2021 results, each linked to its verbatim source quote.", lang="en")))
    g.add((ds, DCTERMS.source, jpr["report"]))
    g.add((ds, DCTERMS.license, URIRef("https://creativecommons.org/licenses/by/4.0/")))
    g.add((ds, VOID.sparqlEndpoint, URIRef(base + "sparql")))
    g.add((ds, VOID.uriSpace, Literal(settings.id_ns)))
    g.add((ds, VOID.vocabulary, URIRef(settings.def_ns)))
    for ext in ("ttl", "nt", "jsonld", "trig", "nq"):
        g.add((ds, VOID.dataDump, URIRef(f"{base}download/dataset.{ext}")))
    g.add((ds, VOID.triples, Literal(len(union))))
    g.add((ds, VOID.entities, Literal(len({s for s in result.asserted.subjects() if isinstance(s, URIRef)}))))
    g.add((ds, VOID.distinctSubjects, Literal(len(set(union.subjects())))))
    g.add((ds, VOID.distinctObjects, Literal(len(set(union.objects())))))
    g.add((ds, VOID.properties, Literal(len(set(union.predicates())))))
    for name, graph in (("ontology", result.ontology), ("asserted", result.asserted), ("inferred", result.inferred)):
        sub = URIRef(f"{base}void#{name}")
        g.add((ds, VOID.subset, sub))
        g.add((sub, RDF.type, VOID.Dataset))
        g.add((sub, URIRef("http://www.w3.org/ns/sparql-service-description#name"), URIRef(settings.graph_iri(name))))
        g.add((sub, VOID.triples, Literal(len(graph))))
    classes: dict[URIRef, set] = {}
    for s, o in (result.asserted + result.inferred).subject_objects(RDF.type):
        classes.setdefault(o, set()).add(s)
    for i, (cls, members) in enumerate(sorted(classes.items())):
        part = URIRef(f"{base}void#class-{i}")
        g.add((ds, VOID.classPartition, part))
        g.add((part, VOID["class"], cls))
        g.add((part, VOID.entities, Literal(len(members))))
    preds: dict[URIRef, int] = {}
    for p in union.predicates():
        preds[p] = preds.get(p, 0) + 1
    for i, (prop, n) in enumerate(sorted(preds.items())):
        part = URIRef(f"{base}void#property-{i}")
        g.add((ds, VOID.propertyPartition, part))
        g.add((part, VOID.property, prop))
        g.add((part, VOID.triples, Literal(n)))
    return g


def _triples(graph: Graph) -> list:
    """Triples sorted by subject and property, so the serializers group them into readable blocks."""
    ordered = sorted(graph, key=lambda t: (isinstance(t[0], BNode), str(t[0]), str(t[1]), str(t[2])))
    return [ox.Triple(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o)) for s, p, o in ordered]


def prefixes(settings: Settings) -> dict[str, str]:
    """Prefixes written into Turtle and TriG exports."""
    return {prefix: str(uri) for prefix, uri in _bind(Graph(), settings).namespaces()
            if prefix in {"jp", "jpr", "rdf", "rdfs", "xsd", "owl", "skos", "prov", "qb", "oa", "dcterms", "void",
                          "schema", "org", "sdmx-dimension", "sdmx-measure", "sdmx-attribute"}}


def write(result: BuildResult, sources_hashes: dict[str, str], settings: Settings) -> Path:
    """Write every artefact to a fresh folder, then swap it in for build/ so readers never see half a build."""
    out = settings.build_dir
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=out.parent))
    try:
        pre = prefixes(settings)
        quads, union = [], []
        for name, graph in (("ontology", result.ontology), ("asserted", result.asserted), ("inferred", result.inferred)):
            g_iri = ox.NamedNode(settings.graph_iri(name))
            triples = _triples(graph)
            union += triples
            quads += [ox.Quad(t.subject, t.predicate, t.object, g_iri) for t in triples]
        ox.serialize(quads, str(tmp / "dataset.trig"), ox.RdfFormat.TRIG, prefixes=pre)
        ox.serialize(quads, str(tmp / "dataset.nq"), ox.RdfFormat.N_QUADS)
        union = sorted(set(union), key=lambda t: (isinstance(t.subject, ox.BlankNode), str(t.subject), str(t.predicate),
                                                  str(t.object)))
        ox.serialize(union, str(tmp / "dataset.ttl"), ox.RdfFormat.TURTLE, prefixes=pre)
        ox.serialize(union, str(tmp / "dataset.nt"), ox.RdfFormat.N_TRIPLES)
        ox.serialize(union, str(tmp / "dataset.jsonld"), ox.RdfFormat.JSON_LD)
        ox.serialize(_triples(result.ontology), str(tmp / "ontology.ttl"), ox.RdfFormat.TURTLE, prefixes=pre)
        shutil.copyfile(settings.source_file, tmp / "source.txt")
        for path in sorted(settings.shapes_dir.glob("*.ttl")):
            shutil.copyfile(path, tmp / path.name)
        void_description(result, settings).serialize(tmp / "void.ttl", format="turtle")
        _bind(result.report_graph, settings).serialize(tmp / "validation.ttl", format="turtle")
        (tmp / "validation.txt").write_text(result.report_text, encoding="utf-8")
        manifest = {
            "base_iri": settings.base_iri,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "conforms": result.conforms,
            "graphs": {name: settings.graph_iri(name) for name in ("ontology", "asserted", "inferred")},
            "triples": {"ontology": len(result.ontology), "asserted": len(result.asserted),
                        "inferred": len(result.inferred), "union": len(union)},
            "sources": sources_hashes,
            "timings_s": {k: round(v, 3) for k, v in result.timings.items()},
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        os.chmod(tmp, 0o755)
        old = None
        if out.exists():
            old = out.with_name(out.name + ".old")
            if old.exists():
                shutil.rmtree(old)
            os.rename(out, old)
        os.rename(tmp, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def build(settings: Settings) -> BuildResult:
    """The whole build. Raises BuildError (and writes nothing) when the sources do not validate."""
    result = run(settings)
    if not result.conforms:
        raise BuildError(result.report_text)
    t = time.perf_counter()
    write(result, _hashes(settings), settings)
    result.timings["write"] = time.perf_counter() - t
    return result


def _hashes(settings: Settings) -> dict[str, str]:
    return {str(p.relative_to(settings.root)): _sha256(p) for p in source_files(settings)}


def is_stale(settings: Settings) -> bool:
    """True when build/ is missing, was built for another base, or any source changed since."""
    manifest = settings.build_dir / MANIFEST
    if not manifest.exists():
        return True
    try:
        recorded = json.loads(manifest.read_text(encoding="utf-8"))
    except ValueError:
        return True
    return recorded.get("base_iri") != settings.base_iri or recorded.get("sources") != _hashes(settings)


def read_manifest(settings: Settings) -> dict:
    return json.loads((settings.build_dir / MANIFEST).read_text(encoding="utf-8"))
