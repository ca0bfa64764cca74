"""Writing the build: every dump, the VoID description, the manifest, swapped in atomically for build/."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox
from rdflib import RDF, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDFS, VOID

from kg.artifacts import DATASET, DUMP_EXTENSIONS, MANIFEST, SOURCE, VALIDATION_TEXT, content_hash, read_quads
from kg.build.catalog import CATALOG_FILE, write_catalog
from kg.build.model import BuildResult
from kg.build.sources import ns
from kg.config import Settings
from kg.rdf.terms import to_oxigraph
from kg.rdf.vocab import GRAPH_NAMES, SD, prefixes_for

# Prefixes the written files declare: the dataset's own and the vocabularies its data uses.
WRITTEN_PREFIXES = (
    "jp",
    "jpr",
    "rdf",
    "rdfs",
    "xsd",
    "owl",
    "skos",
    "prov",
    "qb",
    "oa",
    "dcterms",
    "void",
    "schema",
    "org",
    "sdmx-dimension",
    "sdmx-measure",
    "sdmx-attribute",
)


# VoID: the vocabularies the data uses besides its own ontology, and resources to start from.
VOCABULARIES = (
    "rdfs",
    "owl",
    "skos",
    "prov",
    "qb",
    "oa",
    "dcterms",
    "schema",
    "org",
    "sdmx-dimension",
    "sdmx-measure",
    "sdmx-attribute",
)
EXAMPLE_RESOURCES = ("jinpu", "obs-gdp-2021", "ind-gdp", "report")


def prefixes(settings: Settings) -> dict[str, str]:
    """Prefixes written into Turtle and TriG exports (from the one table, kg.rdf.vocab)."""
    table = prefixes_for(settings.def_ns, settings.id_ns)
    return {prefix: table[prefix] for prefix in WRITTEN_PREFIXES}


def _bind(graph: Graph, settings: Settings) -> Graph:
    for prefix, uri in prefixes(settings).items():
        graph.bind(prefix, Namespace(uri), replace=True)
    return graph


def void_description(result: BuildResult, settings: Settings) -> Graph:
    """VoID: the dataset, one subset per named graph, class and property partitions, dumps and endpoint."""
    _, jpr = ns(settings)
    base = settings.base_iri
    g = _bind(Graph(), settings)
    g.bind("sd", Namespace(SD), replace=True)
    g.bind("dcat", DCAT, replace=True)
    ds = URIRef(base + "void#dataset")
    union = result.ontology + result.asserted + result.inferred
    g.add((ds, RDF.type, VOID.Dataset))
    g.add((ds, DCTERMS.title, Literal("金普新区2021年发展成就知识图谱", lang="zh")))
    g.add((ds, DCTERMS.title, Literal("Jinpu KG: Dalian Jinpu New District 2021 results", lang="en")))
    g.add(
        (
            ds,
            DCTERMS.description,
            Literal(
                "A bilingual knowledge graph of every figure, entity and relation in a Chinese newspaper special "
                "report on Dalian Jinpu New District's 2021 results, each linked to its verbatim source quote.",
                lang="en",
            ),
        )
    )
    g.add((ds, DCTERMS.source, jpr["report"]))
    g.add((ds, DCTERMS.license, URIRef("https://creativecommons.org/licenses/by/4.0/")))
    g.add((ds, VOID.sparqlEndpoint, URIRef(base + "sparql")))
    # the DCAT catalogue record of this same dataset (catalog.ttl; also served at this IRI, /void, by Accept)
    g.add((ds, RDFS.seeAlso, URIRef(f"{base}download/{CATALOG_FILE}")))
    g.add((URIRef(base + "void#catalog"), DCAT.dataset, ds))
    g.add((ds, VOID.uriSpace, Literal(settings.id_ns)))
    g.add((ds, VOID.vocabulary, URIRef(settings.def_ns)))
    table = prefixes_for(settings.def_ns, settings.id_ns)
    for prefix in VOCABULARIES:  # the other vocabularies the data uses
        g.add((ds, VOID.vocabulary, URIRef(table[prefix])))
    for name in EXAMPLE_RESOURCES:  # where a browser or a crawler can start
        if (jpr[name], None, None) in result.asserted:
            g.add((ds, VOID.exampleResource, jpr[name]))
    for ext in DUMP_EXTENSIONS:
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
        g.add((sub, URIRef(SD + "name"), URIRef(settings.graph_iri(name))))
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


def write(result: BuildResult, sources_hashes: dict[str, str], settings: Settings) -> Path:
    """Write every artefact to a fresh folder, then swap it in for build/ so readers never see half a build."""
    out = settings.build_dir
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=out.parent))
    try:
        pre = prefixes(settings)
        quads, union = [], []
        graphs = (("ontology", result.ontology), ("asserted", result.asserted), ("inferred", result.inferred))
        for name, graph in graphs:
            g_iri = ox.NamedNode(settings.graph_iri(name))
            triples = _triples(graph)
            union += triples
            quads += [ox.Quad(t.subject, t.predicate, t.object, g_iri) for t in triples]
        ox.serialize(quads, str(tmp / "dataset.trig"), ox.RdfFormat.TRIG, prefixes=pre)
        ox.serialize(quads, str(tmp / DATASET), ox.RdfFormat.N_QUADS)
        # the data version: hashed from the file as written, exactly as the loader and the store will read it
        version = content_hash(read_quads(tmp / DATASET, [settings.graph_iri(n) for n in GRAPH_NAMES]))
        union = sorted(
            set(union),
            key=lambda t: (isinstance(t.subject, ox.BlankNode), str(t.subject), str(t.predicate), str(t.object)),
        )
        ox.serialize(union, str(tmp / "dataset.ttl"), ox.RdfFormat.TURTLE, prefixes=pre)
        ox.serialize(union, str(tmp / "dataset.nt"), ox.RdfFormat.N_TRIPLES)
        ox.serialize(quads, str(tmp / "dataset.jsonld"), ox.RdfFormat.JSON_LD)  # named graphs kept
        ox.serialize(_triples(result.ontology), str(tmp / "ontology.ttl"), ox.RdfFormat.TURTLE, prefixes=pre)
        shutil.copyfile(settings.source_file, tmp / SOURCE)
        for path in sorted(settings.shapes_dir.glob("*.ttl")):
            shutil.copyfile(path, tmp / path.name)
        void_description(result, settings).serialize(tmp / "void.ttl", format="turtle")
        write_catalog(tmp, settings.base_iri, settings.def_ns, result.asserted)  # after the dumps: their checksums
        _bind(result.report_graph, settings).serialize(tmp / "validation.ttl", format="turtle")
        (tmp / VALIDATION_TEXT).write_text(result.report_text, encoding="utf-8")
        manifest = {
            "base_iri": settings.base_iri,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "conforms": result.conforms,
            "content_hash": version,
            "graphs": {name: settings.graph_iri(name) for name in GRAPH_NAMES},
            "triples": {
                "ontology": len(result.ontology),
                "asserted": len(result.asserted),
                "inferred": len(result.inferred),
                "union": len(union),
            },
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
