"""Labels (zh, en) for the terms of outside vocabularies that pages show, and compact IRIs for the rest."""

from __future__ import annotations

from rdflib import RDF, RDFS
from rdflib.namespace import DCTERMS, OWL, SKOS

from kg.rdf.vocab import OA, PREFIXES, PROV, QB, SCHEMA

# Human labels (zh, en) of the outside terms that appear as properties or types on the pages.
_LABELS: dict[str, tuple[str, str]] = {
    str(RDF.type): ("类型", "type"),
    str(RDFS.label): ("名称", "label"),
    str(RDFS.comment): ("说明", "description"),
    str(RDFS.subClassOf): ("上位类", "subclass of"),
    str(RDFS.subPropertyOf): ("上位属性", "subproperty of"),
    str(RDFS.domain): ("定义域", "domain"),
    str(RDFS.range): ("值域", "range"),
    str(RDFS.seeAlso): ("参见", "see also"),
    str(OWL.inverseOf): ("逆属性", "inverse of"),
    str(OWL.Class): ("类", "class"),
    str(OWL.ObjectProperty): ("对象属性", "object property"),
    str(OWL.DatatypeProperty): ("数据属性", "datatype property"),
    str(OWL.FunctionalProperty): ("函数型属性", "functional property"),
    str(OWL.TransitiveProperty): ("传递属性", "transitive property"),
    str(OWL.SymmetricProperty): ("对称属性", "symmetric property"),
    str(OWL.Ontology): ("本体", "ontology"),
    str(OWL.versionInfo): ("版本", "version"),
    str(OWL.sameAs): ("等同于", "same as"),
    str(SKOS.altLabel): ("别名", "also known as"),
    str(SKOS.prefLabel): ("首选名称", "preferred label"),
    str(SKOS.definition): ("定义", "definition"),
    str(SKOS.broader): ("上位概念", "broader"),
    str(SKOS.narrower): ("下位概念", "narrower"),
    str(SKOS.inScheme): ("所属概念体系", "in scheme"),
    str(SKOS.notation): ("记号", "notation"),
    str(SKOS.exactMatch): ("完全匹配", "exact match"),
    str(SKOS.member): ("成员", "member"),
    str(SKOS.Concept): ("概念", "concept"),
    str(SKOS.ConceptScheme): ("概念体系", "concept scheme"),
    str(SKOS.Collection): ("集合", "collection"),
    str(DCTERMS.title): ("标题", "title"),
    str(DCTERMS.source): ("来源", "source"),
    str(DCTERMS.license): ("许可", "license"),
    PROV + "wasDerivedFrom": ("出处", "derived from"),
    PROV + "wasQuotedFrom": ("引自", "quoted from"),
    PROV + "Entity": ("实体（PROV）", "entity (PROV)"),
    PROV + "Agent": ("主体（PROV）", "agent (PROV)"),
    PROV + "Activity": ("活动（PROV）", "activity (PROV)"),
    PROV + "Plan": ("计划（PROV）", "plan (PROV)"),
    SCHEMA + "about": ("主题", "about"),
    SCHEMA + "location": ("地点（schema.org）", "location (schema.org)"),
    SCHEMA + "name": ("名称（schema.org）", "name (schema.org)"),
    SCHEMA + "url": ("网址", "URL"),
    SCHEMA + "author": ("作者", "author"),
    SCHEMA + "creator": ("作者", "creator"),
    SCHEMA + "publisher": ("出版者", "publisher"),
    SCHEMA + "sameAs": ("等同于（schema.org）", "same as (schema.org)"),
    str(RDFS.isDefinedBy): ("定义于", "defined by"),
    str(DCTERMS.description): ("描述", "description"),
    str(DCTERMS.created): ("创建时间", "created"),
    str(DCTERMS.creator): ("作者", "creator"),
    SCHEMA + "inLanguage": ("语言", "language"),
    SCHEMA + "datePublished": ("发表日期", "date published"),
    SCHEMA + "containedInPlace": ("位于（schema.org）", "contained in place"),
    SCHEMA + "containsPlace": ("包含（schema.org）", "contains place"),
    SCHEMA + "Place": ("地点（schema.org）", "place (schema.org)"),
    SCHEMA + "AdministrativeArea": ("行政区（schema.org）", "administrative area (schema.org)"),
    SCHEMA + "City": ("城市（schema.org）", "city (schema.org)"),
    SCHEMA + "Country": ("国家（schema.org）", "country (schema.org)"),
    SCHEMA + "Organization": ("组织（schema.org）", "organization (schema.org)"),
    SCHEMA + "Corporation": ("公司（schema.org）", "corporation (schema.org)"),
    SCHEMA + "GovernmentOrganization": ("政府机构（schema.org）", "government organization (schema.org)"),
    SCHEMA + "Project": ("项目（schema.org）", "project (schema.org)"),
    SCHEMA + "Event": ("活动（schema.org）", "event (schema.org)"),
    SCHEMA + "NewsArticle": ("新闻报道（schema.org）", "news article (schema.org)"),
    SCHEMA + "Person": ("人物（schema.org）", "person (schema.org)"),
    PREFIXES["sdmx-dimension"] + "refArea": ("地区（SDMX）", "reference area (SDMX)"),
    PREFIXES["sdmx-dimension"] + "refPeriod": ("时期（SDMX）", "reference period (SDMX)"),
    PREFIXES["sdmx-measure"] + "obsValue": ("观测值（SDMX）", "observation value (SDMX)"),
    PREFIXES["sdmx-attribute"] + "unitMeasure": ("计量单位（SDMX）", "unit of measure (SDMX)"),
    QB + "dataSet": ("所属数据集", "data set"),
    QB + "structure": ("结构", "structure"),
    QB + "component": ("组成部分", "component"),
    QB + "dimension": ("维度", "dimension"),
    QB + "measure": ("度量", "measure"),
    QB + "attribute": ("属性", "attribute"),
    QB + "order": ("顺序", "order"),
    QB + "componentRequired": ("必需", "required"),
    QB + "Observation": ("观测（Data Cube）", "observation (Data Cube)"),
    QB + "DataSet": ("数据集（Data Cube）", "data set (Data Cube)"),
    QB + "DataStructureDefinition": ("数据结构定义", "data structure definition"),
    OA + "hasSource": ("来源文档", "has source"),
    OA + "hasSelector": ("选择器", "has selector"),
    OA + "SpecificResource": ("特定资源（Web 注释）", "specific resource (Web Annotation)"),
    OA + "TextQuoteSelector": ("引文选择器", "text quote selector"),
    OA + "TextPositionSelector": ("位置选择器", "text position selector"),
    OA + "exact": ("引文", "exact"),
    OA + "prefix": ("前文", "prefix"),
    OA + "suffix": ("后文", "suffix"),
    OA + "start": ("起始", "start"),
    OA + "end": ("结束", "end"),
    "http://www.w3.org/ns/org#Organization": ("组织（ORG）", "organization (ORG)"),
    "http://purl.org/vocab/vann/preferredNamespacePrefix": ("推荐前缀", "preferred prefix"),
}


def builtin_label(iri: str, lang: str) -> str | None:
    pair = _LABELS.get(iri)
    if pair is None:
        return None
    return pair[0] if lang == "zh" else pair[1]


def curie(iri: str, prefixes: dict[str, str]) -> str:
    """prefix:local for an IRI in a known namespace, else the IRI itself."""
    best = None
    for prefix, ns in prefixes.items():
        if iri.startswith(ns) and (best is None or len(ns) > len(prefixes[best])):
            best = prefix
    if best is None:
        return iri
    return f"{best}:{iri[len(prefixes[best]) :]}"
