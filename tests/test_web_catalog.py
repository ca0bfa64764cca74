"""Machine reuse: the DCAT catalogue record (at the dataset's IRI, linked from VoID), the schema.org Dataset JSON-LD
of the home and downloads pages, the sitemap and robots.txt, and CSV on the Web metadata for every CSV, read back
with the `csvw` library (validation on) against the graph."""

from __future__ import annotations

import hashlib
import json
import re
from decimal import Decimal
from xml.etree import ElementTree

import pytest
from rdflib import RDF, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDFS, VOID

from tests.fixtures_web import BASE

SPDX = "http://spdx.org/rdf/terms#"
DS = URIRef(BASE + "void#dataset")
DUMPS = ("dataset.ttl", "dataset.nt", "dataset.jsonld", "dataset.trig", "dataset.nq")


def catalog(web_client) -> Graph:
    r = web_client.get("/void", headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.mimetype == "text/turtle"
    return Graph().parse(data=r.data, format="turtle")


def test_the_dataset_iri_serves_the_dcat_record_by_content_negotiation(web_client, build_settings):
    g = catalog(web_client)
    assert (DS, RDF.type, DCAT.Dataset) in g and (DS, RDF.type, VOID.Dataset) in g  # one dataset, both descriptions
    assert {o.language for o in g.objects(DS, DCTERMS.title)} == {"zh", "en"}
    assert {o.language for o in g.objects(DS, DCTERMS.description)} == {"zh", "en"}
    assert g.value(DS, DCTERMS.license) == URIRef("https://creativecommons.org/licenses/by/4.0/")
    assert "MIT" in str(g.value(DS, DCTERMS.rights))
    publisher = g.value(DS, DCTERMS.publisher)
    assert publisher is not None and g.value(publisher, URIRef("http://xmlns.com/foaf/0.1/name"))
    assert g.value(DS, DCTERMS.source) == URIRef(BASE + "id/report")
    assert g.value(DS, DCTERMS.spatial) == URIRef(BASE + "id/jinpu")
    span = g.value(DS, DCTERMS.temporal)
    assert g.value(span, DCAT.startDate) == Literal("2021-01-01", datatype=XSD.date)
    assert g.value(span, DCAT.endDate) == Literal("2022-12-31", datatype=XSD.date)
    assert {k.language for k in g.objects(DS, DCAT.keyword)} == {"zh", "en"}
    # a distribution per dump, with the size and SHA-256 of the very file the server sends
    dists = {str(g.value(d, DCAT.downloadURL)): d for d in g.objects(DS, DCAT.distribution)}
    for name in DUMPS:
        d = dists[BASE + "download/" + name]
        body = web_client.get(f"/download/{name}").data
        assert int(g.value(d, DCAT.byteSize)) == len(body), name
        checksum = g.value(d, URIRef(SPDX + "checksum"))
        assert g.value(checksum, URIRef(SPDX + "algorithm")) == URIRef(SPDX + "checksumAlgorithm_sha256")
        assert str(g.value(checksum, URIRef(SPDX + "checksumValue"))) == hashlib.sha256(body).hexdigest()
        assert str(g.value(d, DCAT.mediaType)).startswith("https://www.iana.org/assignments/media-types/")
    for path in ("class/Observation.csv", "class/Observation.xlsx"):  # made by the app: no size or checksum
        d = dists[BASE + path]
        assert g.value(d, DCAT.mediaType) and g.value(d, DCAT.byteSize) is None
        assert web_client.get("/" + path).status_code == 200
    service = g.value(predicate=DCAT.servesDataset, object=DS)
    assert (service, RDF.type, DCAT.DataService) in g and g.value(service, DCAT.endpointURL) == URIRef(BASE + "sparql")
    # the same in JSON-LD; a browser is sent to the downloads page
    r = web_client.get("/void", headers={"Accept": "application/ld+json"})
    assert len(Graph().parse(data=r.data, format="json-ld")) == len(g)
    r = web_client.get("/void", headers={"Accept": "text/html"})
    assert r.status_code == 303 and r.headers["Location"] == "/downloads"
    assert web_client.get("/void", headers={"Accept": "image/png"}).status_code == 406


def test_void_links_the_catalogue_record(web_client):
    void = Graph().parse(data=web_client.get("/.well-known/void").data, format="turtle")
    record = void.value(DS, RDFS.seeAlso)
    assert record == URIRef(BASE + "download/catalog.ttl")
    assert (URIRef(BASE + "void#catalog"), DCAT.dataset, DS) in void
    g = Graph().parse(data=web_client.get("/download/catalog.ttl").data, format="turtle")
    assert (URIRef(BASE + "void#catalog"), RDF.type, DCAT.Catalog) in g and (DS, RDF.type, DCAT.Dataset) in g


def iri(value) -> str | None:
    """An anyURI cell as csvw reads it (an rfc3986 reference) back to its text."""
    return None if value is None else value.unsplit() if hasattr(value, "unsplit") else str(value)


def embedded_dataset(body: str) -> dict:
    found = re.findall(r'<script type="application/ld\+json">(.*?)</script>', body, re.DOTALL)
    assert len(found) == 1
    return json.loads(found[0])


@pytest.mark.parametrize("path", ["/", "/downloads", "/?lang=zh"])
def test_pages_embed_schema_org_dataset_json_ld(web_client, path):
    data = embedded_dataset(web_client.get(path).get_data(as_text=True))
    assert data["@type"] == "Dataset" and data["@context"] == "https://schema.org/"
    assert data["name"] and "Jinpu" in data["description"] and "金普" in data["description"]
    assert data["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert data["creator"]["name"] and data["temporalCoverage"] == "2021-01-01/2022-12-31"
    assert data["spatialCoverage"]["@id"] == BASE + "id/jinpu"
    urls = {d["contentUrl"]: d["encodingFormat"] for d in data["distribution"]}
    assert urls[BASE + "download/dataset.ttl"] == "text/turtle" and urls[BASE + "class/Observation.csv"] == "text/csv"
    # read as RDF (the schema.org context given inline: nothing is fetched)
    data["@context"] = {"@vocab": "https://schema.org/"}
    g = Graph().parse(data=json.dumps(data), format="json-ld")
    schema = "https://schema.org/"
    assert (URIRef(str(DS)), RDF.type, URIRef(schema + "Dataset")) in g
    assert len(list(g.objects(URIRef(str(DS)), URIRef(schema + "distribution")))) == len(data["distribution"])


def test_sitemap_lists_every_entity_and_figure_page_and_robots_names_it(web_client, built_store):
    r = web_client.get("/robots.txt")
    assert r.mimetype == "text/plain" and "Sitemap: http://localhost/sitemap.xml" in r.get_data(as_text=True)
    r = web_client.get("/sitemap.xml")
    assert r.mimetype == "application/xml"
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = {e.text for e in ElementTree.fromstring(r.data).findall("s:url/s:loc", ns)}
    entities = {
        str(row[0])
        for row in built_store.query(
            "SELECT DISTINCT ?s WHERE { ?s ?p ?o "
            f"FILTER(STRSTARTS(STR(?s), '{BASE}id/') && !CONTAINS(STR(?s), '#')) }}",
            use_default_graph_as_union=True,
        )
    }
    figures = {
        str(row[0])
        for row in built_store.query(
            f"SELECT ?s WHERE {{ ?s a <{BASE}def#Observation> }}", use_default_graph_as_union=True
        )
    }
    assert figures and figures <= entities
    expected = {"http://localhost/page/" + iri.strip("<>").removeprefix(BASE + "id/") for iri in entities}
    assert expected <= locs
    assert {"http://localhost/", "http://localhost/downloads", "http://localhost/class/Observation"} <= locs
    assert len(locs) < 50000


# --- CSV on the Web -----------------------------------------------------------------------------------------------


def csvw_tables(web_client, tmp_path, csv_path: str, query: str = ""):
    """The CSV and its metadata, found as a client finds them (the Link header), read by the csvw library with
    validation on. The files are saved under their own names so the metadata's relative url finds the CSV."""
    import csvw

    r = web_client.get(csv_path + (f"?{query}" if query else ""))
    assert r.status_code == 200
    link = r.headers["Link"]
    assert 'rel="describedby"' in link and 'type="application/csvw+json"' in link
    meta_url = re.match(r"<([^>]+)>", link).group(1)
    assert meta_url == csv_path + "-metadata.json" + (f"?{query}" if query else "")
    m = web_client.get(meta_url)
    assert m.status_code == 200 and m.mimetype == "application/csvw+json"
    meta = m.get_json()
    name = csv_path.rsplit("/", 1)[-1]
    assert meta["url"] == name + (f"?{query}" if query else "")
    meta["url"] = name  # a local file has no query string
    (tmp_path / name).write_bytes(r.data)
    (tmp_path / (name + "-metadata.json")).write_text(json.dumps(meta), encoding="utf-8")
    reader = csvw.CSVW(str(tmp_path / (name + "-metadata.json")), validate=True)
    assert reader.is_valid, [str(w.message) for w in reader.warnings]
    rows = list(reader.tables[0].iterdicts(strict=True))
    assert not reader.warnings, [str(w.message) for w in reader.warnings]
    return meta, rows


def test_the_figures_csv_reads_back_with_the_values_of_the_graph(web_client, tmp_path, built_store):
    meta, rows = csvw_tables(web_client, tmp_path, "/class/Observation.csv")
    columns = {c["name"]: c for c in meta["tableSchema"]["columns"]}
    assert columns["value"]["propertyUrl"] == BASE + "def#value" and columns["value"]["datatype"] == "decimal"
    assert columns["qualifier"]["valueUrl"] == "{+qualifier}"
    assert set(columns["figure"]["titles"]) == {"en", "zh"}
    graph = {}
    for row in built_store.query(
        f"""PREFIX jp: <{BASE}def#>
        SELECT ?obs ?value ?unit ?qualifier ?period WHERE {{ ?obs a jp:Observation .
          OPTIONAL {{ ?obs jp:value ?value }} OPTIONAL {{ ?obs jp:unitAsWritten ?unit }}
          OPTIONAL {{ ?obs jp:qualifier ?qualifier }} OPTIONAL {{ ?obs jp:refPeriod ?period }} }}""",
        use_default_graph_as_union=True,
    ):
        graph[row["obs"].value] = tuple(
            None if row[k] is None else row[k].value for k in ("value", "unit", "qualifier", "period")
        )
    assert len(rows) == len(graph) > 50
    for r in rows:
        value, unit, qualifier, period = graph[iri(r["figure"])]
        assert r["value"] == (None if value is None else Decimal(value)), r["figure"]
        assert (r["unit_as_written"] or "") == (unit or "")  # an empty unit and none are one empty cell
        assert iri(r["qualifier"]) == qualifier
        assert (None if r["period"] is None else str(r["period"])[:4]) == (None if period is None else period[:4])


def test_a_filtered_figures_csv_is_described_with_its_query_string(web_client, tmp_path):
    meta, rows = csvw_tables(web_client, tmp_path, "/class/Observation.csv", "planned=true")
    assert rows


@pytest.mark.parametrize("local", ["Project", "Enterprise"])
def test_class_csvs_are_described(web_client, tmp_path, local):
    meta, rows = csvw_tables(web_client, tmp_path, f"/class/{local}.csv")
    assert rows and all(iri(r["iri"]).startswith(BASE + "id/") for r in rows)
    assert web_client.get(f"/class/{local}.csv-metadata.json?nosuchfacet=x").status_code in (200, 400)


def test_the_query_csv_is_described(web_client, tmp_path):
    from urllib.parse import urlencode

    query = urlencode({"query": "SELECT ?s ?label WHERE { ?s rdfs:label ?label } ORDER BY ?s LIMIT 5"})
    meta, rows = csvw_tables(web_client, tmp_path, "/query.csv", query)
    assert [c["name"] for c in meta["tableSchema"]["columns"]] == ["s", "s_label", "label"]
    assert len(rows) == 5
    assert web_client.get("/query.csv-metadata.json?query=SELEC").status_code == 400
    assert web_client.get("/class/Nothing.csv-metadata.json").status_code == 404
