"""CSV on the Web: W3C tabular metadata (https://www.w3.org/TR/tabular-metadata/) for every CSV the site serves.

Each CSV answer names its metadata in a `Link: <…>; rel="describedby"; type="application/csvw+json"` header, and the
metadata is also where the convention looks for it, `<csv path>-metadata.json`. A filtered table (facets in the query
string) is described by the metadata with the same query string: its `url` is then exactly the CSV that was
downloaded, which a validating reader checks; the schema (the columns) is the same for every filter of a class, so
each description differs only in that `url`. Without a query string it describes the whole table.

The columns: a name (the header cell), titles in English and Chinese (the header cell among the English ones, so that
the header matches), a datatype, and aboutUrl/propertyUrl/valueUrl into the graph's own IRIs, so that a CSVW-to-RDF
converter gives back the graph's triples: the figure's indicator, area, period, value, unit, qualifier and so on as
jp: properties, the label columns as the rdfs:label of the IRI beside them.
"""

from __future__ import annotations

from decimal import Decimal

from rdflib import Literal, URIRef

from kg.web.dataset_index import Site

CSVW_MEDIA_TYPE = "application/csvw+json"
SUFFIX = "-metadata.json"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
PROV = "http://www.w3.org/ns/prov#"
RDFS_SEE_ALSO = "http://www.w3.org/2000/01/rdf-schema#seeAlso"

# The figures table: column -> (English title, Chinese title, datatype, jp: property or full IRI, kind). kind: "iri" (a
# link into the graph: valueUrl), "label:<column>" (the rdfs:label of the IRI in that column), "" (a literal).
FIGURE_SCHEMA: dict[str, tuple[str, str, str, str | None, str]] = {
    "figure": ("Figure", "数字", "anyURI", None, "subject"),
    "figure_label": ("Figure, name", "数字名称", "string", RDFS_LABEL, ""),
    "indicator": ("Indicator", "指标", "anyURI", "indicator", "iri"),
    "indicator_label": ("Indicator, name", "指标名称", "string", RDFS_LABEL, "label:indicator"),
    "area": ("Area", "地区", "anyURI", "refArea", "iri"),
    "area_label": ("Area, name", "地区名称", "string", RDFS_LABEL, "label:area"),
    "period": ("Period", "时期", "gYear", "refPeriod", ""),
    "kind": ("Kind of figure", "数字类型", "anyURI", "kind", "iri"),
    "kind_label": ("Kind of figure, name", "数字类型名称", "string", RDFS_LABEL, "label:kind"),
    "value_as_written": ("Value as written", "原文数值", "string", "valueAsWritten", ""),
    "unit_as_written": ("Unit as written", "原文单位", "string", "unitAsWritten", ""),
    "value": ("Value", "数值", "decimal", "value", ""),
    "qualifier": ("Qualifier", "限定词", "anyURI", "qualifier", "iri"),
    "qualifier_label": ("Qualifier, name", "限定词名称", "string", RDFS_LABEL, "label:qualifier"),
    "qualifier_as_written": ("Qualifier as written", "原文限定词", "string", "qualifierAsWritten", ""),
    "as_written": ("Figure as written", "原文表述", "string", None, ""),
    "in_words": ("Figure in words", "数字的文字表述", "string", None, ""),
    "normalized_value": ("Normalized value", "换算后数值", "decimal", "normalizedValue", ""),
    "normalized_unit": ("Normalized unit", "换算后单位", "anyURI", "normalizedUnit", "iri"),
    "normalized_unit_label": ("Normalized unit, name", "换算后单位名称", "string", RDFS_LABEL, "label:normalized_unit"),
    "share_of_area": ("Share of area", "所占比重的上级地区", "anyURI", "parentArea", "iri"),
    "share_of_area_label": ("Share of area, name", "上级地区名称", "string", RDFS_LABEL, "label:share_of_area"),
    "planned": ("Planned", "计划目标", "boolean", "planned", ""),
    "quote": ("Quote", "引文", "string", "citationQuote", ""),
    "source": ("Source in the report", "报道中的出处", "anyURI", RDFS_SEE_ALSO, "iri"),
}


def metadata_url(csv_path: str, query_string: str) -> str:
    """Where the metadata of a CSV is: `<csv path>-metadata.json`, with the CSV's query string."""
    return csv_path + SUFFIX + (f"?{query_string}" if query_string else "")


def link_header(csv_path: str, query_string: str) -> str:
    return f'<{metadata_url(csv_path, query_string)}>; rel="describedby"; type="{CSVW_MEDIA_TYPE}"'


def _column(name: str, en: str | list[str], zh: str, datatype: str, **more) -> dict:
    titles_en = [name] + ([en] if isinstance(en, str) else en)
    col = {"name": name, "titles": {"en": list(dict.fromkeys(titles_en)), "zh": [zh]}, "datatype": datatype}
    if datatype == "boolean":
        col["datatype"] = {"base": "boolean", "format": "yes|no"}
    col.update({k: v for k, v in more.items() if v is not None})
    return col


def _table(url: str, title_en: str, title_zh: str, columns: list[dict], about: str | None) -> dict:
    schema: dict = {"columns": columns}
    if about:
        schema["aboutUrl"] = about
    return {
        "@context": ["http://www.w3.org/ns/csvw", {"@language": "en"}],
        "url": url,
        "dc:title": [{"@value": title_en, "@language": "en"}, {"@value": title_zh, "@language": "zh"}],
        "dc:license": {"@id": "https://creativecommons.org/licenses/by/4.0/"},
        "dialect": {"encoding": "utf-8", "header": True, "headerRowCount": 1},
        "tableSchema": schema,
    }


def figures_metadata(s: Site, url: str) -> dict:
    """The figures table (exports.FIGURE_COLUMNS): one row per jp:Observation, about the figure's IRI."""
    from kg.web.models.exports import FIGURE_COLUMNS

    jp = s.iris.def_ns
    columns = []
    for name in FIGURE_COLUMNS:
        en, zh, datatype, prop, kind = FIGURE_SCHEMA[name]
        prop_iri = None if prop is None else (prop if ":" in prop else jp + prop)
        more: dict = {"propertyUrl": prop_iri}
        if kind == "subject":
            more = {"suppressOutput": True}
        elif kind == "iri":
            more["valueUrl"] = "{+" + name + "}"
        elif kind.startswith("label:"):
            more["aboutUrl"] = "{+" + kind.removeprefix("label:") + "}"
        elif name == "quote":
            more["lang"] = "zh"
        columns.append(_column(name, en, zh, datatype, **more))
    return _table(
        url, "Jinpu KG: every figure of the report", "金普新区知识图谱：报道中的全部数字", columns, "{+figure}"
    )


def class_metadata(s: Site, table, url: str) -> dict:
    """Another class's table (class_table.csv_table): one row per member, about the member's IRI; each column is a
    property of the class, its values joined by "; ", with a column of their labels beside it."""
    local = s.iris.local(table.cls) or "table"
    columns = [
        _column("iri", "IRI", "IRI", "anyURI", suppressOutput=True),
        _column("label_zh", "Name in Chinese", "中文名称", "string", propertyUrl=RDFS_LABEL, lang="zh"),
        _column("label_en", "Name in English", "英文名称", "string", propertyUrl=RDFS_LABEL, lang="en"),
    ]
    for c in table.columns:
        nodes = [n for r in table.rows for n in r.cells.get(c.key, [])]
        iris = bool(nodes) and all(isinstance(n, URIRef) for n in nodes)
        numbers = bool(nodes) and all(
            isinstance(n, Literal)
            and isinstance(n.toPython(), (int, float, Decimal))
            and not isinstance(n.toPython(), bool)
            for n in nodes
        )
        datatype = "anyURI" if iris else "decimal" if numbers else "string"
        en = s.names.label_in(c.prop, "en") or c.key
        zh = s.names.label_in(c.prop, "zh") or c.key
        value = {"propertyUrl": c.prop, "separator": "; "}
        if iris:
            value["valueUrl"] = "{+" + c.key + "}"
        columns.append(_column(c.key, en, zh, datatype, **value))
        columns.append(
            _column(f"{c.key}_label", f"{en}, name", f"{zh}名称", "string", separator="; ", suppressOutput=True)
        )
    title_en = s.names.label_in(table.cls, "en") or local
    title_zh = s.names.label_in(table.cls, "zh") or local
    return _table(url, f"Jinpu KG: {title_en}", f"金普新区知识图谱：{title_zh}", columns, "{+iri}")


def _is_number(n) -> bool:
    return (
        isinstance(n, Literal)
        and isinstance(n.toPython(), (int, float, Decimal))
        and not isinstance(n.toPython(), bool)
    )


def query_metadata(url: str, variables: list[str], iri_vars: list[str]) -> dict:
    """A query's results (/query.csv): the columns are the query's variables, each IRI variable followed by its
    labels. Their datatypes are not known ahead (a variable may bind IRIs, numbers and text in one result), so they
    are strings, IRI columns anyURI; a label column is the rdfs:label of the IRI beside it."""
    columns = []
    for v in variables:
        if v in iri_vars:
            columns.append(_column(v, v, v, "anyURI", suppressOutput=True))
            columns.append(
                _column(
                    f"{v}_label",
                    f"{v}, name",
                    f"{v}（名称）",
                    "string",
                    aboutUrl="{+" + v + "}",
                    propertyUrl=RDFS_LABEL,
                )
            )
        else:
            columns.append(_column(v, v, v, "string", suppressOutput=True))
    return _table(url, "Jinpu KG: results of a SPARQL query", "金普新区知识图谱：SPARQL 查询结果", columns, None)
