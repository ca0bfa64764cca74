"""Being found as a dataset: the DCAT record at the dataset's IRI, schema.org `Dataset` JSON-LD for the pages, the
sitemap and robots.txt.

The dataset's IRI is <BASE void#dataset> (the one the VoID description and the SPARQL service description already
name); its document is /void. An RDF client asking /void gets the VoID description and the DCAT catalogue record
(build/catalog.ttl) together, in the format it asks for; a browser is sent (303) to /downloads, whose page embeds the
same record as schema.org JSON-LD. The record is the build's: the app only reads and re-serializes it.
"""

from __future__ import annotations

import json
from xml.sax.saxutils import escape

from markupsafe import Markup
from rdflib import Graph

from kg.artifacts import BuildArtifacts
from kg.build.catalog import CATALOG_FILE, schema_org
from kg.web.dataset_index import Site

SITEMAP_PAGES = ("/", "/downloads", "/report", "/class/", "/query", "/validation", "/page/def")
ROBOTS_DISALLOW = ("/sparql", "/store", "/query.csv", "/search")  # answers computed per request: not for crawling


def _parse(s: Site, name: str) -> Graph:
    text = BuildArtifacts(s.settings.build_dir).text(name)
    g = Graph()
    if text:
        g.parse(data=text, format="turtle")
    return g


def catalog_graph(s: Site) -> Graph:
    """build/catalog.ttl, read once per data version (empty when the build has none)."""
    return s.memo(("catalog", s.version), lambda: _parse(s, CATALOG_FILE))


def dataset_document(s: Site) -> Graph:
    """What /void answers an RDF client: the VoID description and the DCAT record of the same dataset."""

    def compute() -> Graph:
        g = Graph()
        for name in ("void.ttl", CATALOG_FILE):
            g += _parse(s, name)
        return g

    return s.memo(("void-and-catalog", s.version), compute)


def dataset_jsonld(s: Site, host: str) -> Markup:
    """The <script type="application/ld+json"> the home and downloads pages embed (empty without a record)."""
    g = catalog_graph(s)
    if not len(g):
        return Markup("")
    data = json.dumps(schema_org(g, s.settings.base_iri, host), ensure_ascii=False, indent=1)
    # nothing in a script element may close it: "<" is written as its JSON escape
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup('<script type="application/ld+json">\n') + Markup(data) + Markup("\n</script>")


def page_paths(s: Site) -> list[str]:
    """Every entity page (figures included: each is an entity of the id/ namespace) and class page, and the site's
    own pages: what the sitemap lists."""

    def compute() -> list[str]:
        names = set()
        for row in s.queries.select("sitemap"):
            name = s.iris.name(str(row["s"]))
            if name:
                names.add(name)
        paths = list(SITEMAP_PAGES)
        paths += sorted(f"/class/{s.iris.local(c)}" for c in s.ontology.classes if s.iris.local(c))
        paths += sorted(f"/page/{n}" for n in names if f"/page/{n}" not in paths)
        return paths

    return s.memo(("sitemap", s.version), compute)


def sitemap_xml(s: Site, host: str) -> str:
    host = host.rstrip("/")
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    lines += [f"  <url><loc>{escape(host + path)}</loc></url>" for path in page_paths(s)]
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"


def robots_txt(host: str) -> str:
    lines = ["User-agent: *", "Allow: /"]
    lines += [f"Disallow: {path}" for path in ROBOTS_DISALLOW]
    lines += ["", f"Sitemap: {host.rstrip('/')}/sitemap.xml"]
    return "\n".join(lines) + "\n"
