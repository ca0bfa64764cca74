"""The dataset's catalogue record: DCAT 3 (build/catalog.ttl, written by the build) and the same facts as schema.org
`Dataset` JSON-LD (embedded in the home and downloads pages, derived from the DCAT file so the two never disagree).

Made at build time: the build has just written the dumps, so each dump's byte size and SHA-256 are known and go into
the record. The figures table as CSV and .xlsx is made by the app on request (its labels follow the reader's
language and its `source` column names the host it is served from), so those two distributions have no byte size or
checksum. The IRIs are hash IRIs of the VoID document (`<BASE void#dataset>` is the dataset VoID already describes), so
they all resolve through /void, which the app serves by content negotiation.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from rdflib import RDF, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDFS

CATALOG_FILE = "catalog.ttl"

SPDX = Namespace("http://spdx.org/rdf/terms#")
SCHEMA = "https://schema.org/"
IANA = "https://www.iana.org/assignments/media-types/"
CSVW_NS = "http://www.w3.org/ns/csvw#"

DATA_LICENSE = "https://creativecommons.org/licenses/by/4.0/"
CODE_LICENSE = "https://opensource.org/license/mit"
RIGHTS = "Code: MIT; data: CC BY 4.0 (pyproject.toml, README). The report's text is quoted for reference."

TITLE = {
    "zh": "金普新区2021年发展成就知识图谱",
    "en": "Jinpu KG: Dalian Jinpu New District 2021 results",
}
DESCRIPTION = {
    "en": (
        "A bilingual knowledge graph of every figure, entity and relation in a Chinese newspaper special report on "
        "Dalian Jinpu New District's 2021 results, each linked to its verbatim source quote."
    ),
    "zh": (
        "一篇关于大连金普新区2021年发展成就的中文报纸专题报道中的全部数字、实体和关系"
        "构成的双语知识图谱，每条事实都链接到报道原文的引文。"
    ),
}
KEYWORDS = {
    "en": (
        "Dalian",
        "Jinpu New District",
        "economic statistics",
        "regional development",
        "knowledge graph",
        "linked data",
        "RDF Data Cube",
    ),
    "zh": ("大连", "金普新区", "经济统计", "区域发展", "知识图谱", "关联数据"),
}
PUBLISHER = {"en": "Jinpu KG project", "zh": "金普新区知识图谱项目"}


@dataclass(frozen=True)
class Distribution:
    """One download of the dataset: a file of the build (size and checksum known) or a table the app makes."""

    key: str  # the fragment of its IRI
    path: str  # under the base
    media_type: str
    title_en: str
    title_zh: str
    size: int | None = None
    sha256: str | None = None
    csvw_metadata: str | None = None  # path of its CSVW metadata, for tables


def iris(base: str) -> dict[str, URIRef]:
    return {
        "catalog": URIRef(base + "void#catalog"),
        "dataset": URIRef(base + "void#dataset"),
        "service": URIRef(base + "void#sparql-service"),
        "publisher": URIRef(base + "void#publisher"),
        "endpoint": URIRef(base + "sparql"),
        "report": URIRef(base + "id/report"),
        "area": URIRef(base + "id/jinpu"),
    }


def distributions(folder: Path) -> list[Distribution]:
    """The dumps (from the build folder just written: sizes and SHA-256) and the figures table as CSV and .xlsx."""
    from kg.artifacts import DOWNLOADS, DUMP_EXTENSIONS

    out = []
    for ext in DUMP_EXTENSIONS:
        name = next(n for n in DOWNLOADS if n.endswith("." + ext) and n.startswith("dataset"))
        artifact, path = DOWNLOADS[name], Path(folder) / name
        data = path.read_bytes() if path.is_file() else None
        out.append(
            Distribution(
                f"download-{name}",
                f"download/{name}",
                artifact.media_type,
                artifact.title_en,
                artifact.title_zh,
                len(data) if data is not None else None,
                hashlib.sha256(data).hexdigest() if data is not None else None,
            )
        )
    out.append(
        Distribution(
            "figures-csv",
            "class/Observation.csv",
            "text/csv",
            "Every figure, CSV (UTF-8; CSV on the Web metadata beside it)",
            "全部数字，CSV（UTF-8，附 CSVW 元数据）",
            csvw_metadata="class/Observation.csv-metadata.json",
        )
    )
    out.append(
        Distribution(
            "figures-xlsx",
            "class/Observation.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "Every figure, Excel workbook",
            "全部数字，Excel 工作簿",
        )
    )
    return out


def years(graph: Graph, def_ns: str) -> tuple[int, int] | None:
    """The first and last year the figures are of (their jp:refPeriod), for the temporal coverage."""
    found = []
    for period in graph.objects(None, URIRef(def_ns + "refPeriod")):
        text = str(period)[:4]
        if text.isdigit():
            found.append(int(text))
    return (min(found), max(found)) if found else None


def dcat_graph(base: str, dists: list[Distribution], period: tuple[int, int] | None) -> Graph:
    """The catalogue, the dataset, its distributions and the SPARQL endpoint as a dcat:DataService."""
    i = iris(base)
    g = Graph()
    for prefix, ns in (("dcat", DCAT), ("dcterms", DCTERMS), ("foaf", FOAF), ("spdx", SPDX), ("xsd", XSD)):
        g.bind(prefix, ns)
    cat, ds, svc, pub = i["catalog"], i["dataset"], i["service"], i["publisher"]
    lic = URIRef(DATA_LICENSE)
    g.add((cat, RDF.type, DCAT.Catalog))
    g.add((cat, DCTERMS.title, Literal("Jinpu KG catalogue", lang="en")))
    g.add((cat, DCTERMS.title, Literal("金普新区知识图谱数据目录", lang="zh")))
    g.add((cat, DCTERMS.publisher, pub))
    g.add((cat, DCAT.dataset, ds))
    g.add((cat, DCAT.service, svc))
    g.add((cat, FOAF.homepage, URIRef(base)))

    g.add((pub, RDF.type, FOAF.Agent))
    for lang, name in PUBLISHER.items():
        g.add((pub, FOAF.name, Literal(name, lang=lang)))
    g.add((pub, FOAF.homepage, URIRef(base)))

    g.add((ds, RDF.type, DCAT.Dataset))
    for lang in ("zh", "en"):
        g.add((ds, DCTERMS.title, Literal(TITLE[lang], lang=lang)))
        g.add((ds, DCTERMS.description, Literal(DESCRIPTION[lang], lang=lang)))
        for word in KEYWORDS[lang]:
            g.add((ds, DCAT.keyword, Literal(word, lang=lang)))
    g.add((ds, DCTERMS.publisher, pub))
    g.add((ds, DCTERMS.creator, pub))
    g.add((ds, DCTERMS.license, lic))
    g.add((ds, DCTERMS.rights, Literal(RIGHTS, lang="en")))
    g.add((ds, DCTERMS.source, i["report"]))
    g.add((ds, DCTERMS.spatial, i["area"]))
    g.add((ds, DCAT.landingPage, URIRef(base)))
    g.add((ds, DCTERMS.hasPart, URIRef(base + "id/figures")))  # the figures as a Data Cube dataset
    g.add((ds, DCTERMS.conformsTo, URIRef(base + "def")))
    if period:
        span = BNode("temporal")
        g.add((ds, DCTERMS.temporal, span))
        g.add((span, RDF.type, DCTERMS.PeriodOfTime))
        g.add((span, DCAT.startDate, Literal(f"{period[0]}-01-01", datatype=XSD.date)))
        g.add((span, DCAT.endDate, Literal(f"{period[1]}-12-31", datatype=XSD.date)))
    g.add((ds, RDFS.seeAlso, URIRef(base + "void")))

    for d in dists:
        node = URIRef(f"{base}void#{d.key}")
        url = URIRef(base + d.path)
        g.add((ds, DCAT.distribution, node))
        g.add((node, RDF.type, DCAT.Distribution))
        g.add((node, DCTERMS.title, Literal(d.title_en, lang="en")))
        g.add((node, DCTERMS.title, Literal(d.title_zh, lang="zh")))
        g.add((node, DCAT.downloadURL, url))
        g.add((node, DCAT.accessURL, url))
        g.add((node, DCAT.mediaType, URIRef(IANA + d.media_type)))
        g.add((node, DCTERMS.license, lic))
        if d.size is not None:
            g.add((node, DCAT.byteSize, Literal(d.size, datatype=XSD.nonNegativeInteger)))
        if d.sha256:
            checksum = BNode(f"checksum-{d.key.replace('.', '-')}")
            g.add((node, SPDX.checksum, checksum))
            g.add((checksum, RDF.type, SPDX.Checksum))
            g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
            g.add((checksum, SPDX.checksumValue, Literal(d.sha256, datatype=XSD.hexBinary)))
        if d.csvw_metadata:
            g.add((node, DCTERMS.conformsTo, URIRef("http://www.w3.org/TR/tabular-data-model/")))
            g.add((node, RDFS.seeAlso, URIRef(base + d.csvw_metadata)))

    g.add((svc, RDF.type, DCAT.DataService))
    g.add((svc, DCTERMS.title, Literal("Jinpu KG SPARQL 1.1 endpoint", lang="en")))
    g.add((svc, DCTERMS.title, Literal("金普新区知识图谱 SPARQL 1.1 查询端点", lang="zh")))
    g.add((svc, DCAT.endpointURL, i["endpoint"]))
    g.add((svc, DCAT.endpointDescription, i["endpoint"]))  # the SPARQL service description, by Accept
    g.add((svc, DCTERMS.conformsTo, URIRef("https://www.w3.org/TR/sparql11-protocol/")))
    g.add((svc, DCAT.servesDataset, ds))
    g.add((svc, DCTERMS.publisher, pub))
    g.add((svc, DCTERMS.license, lic))
    return g


def write_catalog(folder: Path, base: str, def_ns: str, union: Graph) -> Graph:
    """build/catalog.ttl, after the dumps are written."""
    g = dcat_graph(base, distributions(folder), years(union, def_ns))
    g.serialize(Path(folder) / CATALOG_FILE, format="turtle")
    return g


def schema_org(g: Graph, base: str, host: str | None = None) -> dict:
    """The DCAT record as schema.org `Dataset` JSON-LD (what dataset search engines read). `host`: the address the
    site is served from, for the pages' own URLs; the download URLs stay under the dataset's base, as in DCAT."""
    i = iris(base)
    ds = i["dataset"]

    def text(node, prop, lang="en") -> str:
        return next((str(o) for o in g.objects(node, prop) if getattr(o, "language", None) == lang), "")

    pub = g.value(ds, DCTERMS.publisher)
    creator = {
        "@type": "Organization",
        "@id": str(pub),
        "name": text(pub, FOAF.name),
        "alternateName": text(pub, FOAF.name, "zh"),
        "url": str(g.value(pub, FOAF.homepage)),
    }
    out: dict = {
        "@context": SCHEMA,
        "@type": "Dataset",
        "@id": str(ds),
        "name": text(ds, DCTERMS.title),
        "alternateName": text(ds, DCTERMS.title, "zh"),
        "description": text(ds, DCTERMS.description) + " " + text(ds, DCTERMS.description, "zh"),
        "url": (host.rstrip("/") + "/") if host else base,
        "sameAs": str(ds),
        "inLanguage": ["zh", "en"],
        "keywords": [str(k) for k in sorted(g.objects(ds, DCAT.keyword))],
        "license": str(g.value(ds, DCTERMS.license)),
        "creator": creator,
        "publisher": creator,
        "isBasedOn": str(g.value(ds, DCTERMS.source)),
        "spatialCoverage": {
            "@type": "Place",
            "@id": str(g.value(ds, DCTERMS.spatial)),
            "name": "Jinpu New District, Dalian, Liaoning, China",
            "alternateName": "大连金普新区",
        },
        "distribution": [],
    }
    span = g.value(ds, DCTERMS.temporal)
    if span is not None:
        out["temporalCoverage"] = f"{g.value(span, DCAT.startDate)}/{g.value(span, DCAT.endDate)}"
    for node in sorted(g.objects(ds, DCAT.distribution)):
        entry = {
            "@type": "DataDownload",
            "name": text(node, DCTERMS.title),
            "contentUrl": str(g.value(node, DCAT.downloadURL)),
            "encodingFormat": str(g.value(node, DCAT.mediaType)).removeprefix(IANA),
            "license": str(g.value(node, DCTERMS.license)),
        }
        size = g.value(node, DCAT.byteSize)
        if size is not None:
            entry["contentSize"] = f"{int(size)} B"
        checksum = g.value(node, SPDX.checksum)
        if checksum is not None:
            entry["sha256"] = str(g.value(checksum, SPDX.checksumValue))
        out["distribution"].append(entry)
    catalog = g.value(predicate=DCAT.dataset, object=ds)
    if catalog is not None:
        out["includedInDataCatalog"] = {
            "@type": "DataCatalog",
            "@id": str(catalog),
            "name": text(catalog, DCTERMS.title),
        }
    return out
