"""Compression and validators: gzip and brotli by Accept-Encoding decode to the same bytes as the plain response
(pages, documents, SPARQL results, dumps), and pages and documents answer 304 to a matching If-None-Match."""

from __future__ import annotations

import gzip

import brotli
import pytest
import requests

ASK = "ASK { ?s ?p ?o }"
SELECT = "SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER(!isBlank(?s) && !isBlank(?o)) } ORDER BY ?s ?p ?o LIMIT 300"


def fetch(url: str, encoding: str, **kwargs) -> requests.Response:
    """The response as sent (requests would decode gzip by itself: read the raw bytes)."""
    r = requests.get(
        url, headers={"Accept-Encoding": encoding, **kwargs.pop("headers", {})}, stream=True, timeout=60, **kwargs
    )
    r.raw_bytes = r.raw.read(decode_content=False)
    return r


def decoded(r: requests.Response) -> bytes:
    coding = r.headers.get("Content-Encoding")
    if coding == "gzip":
        return gzip.decompress(r.raw_bytes)
    if coding == "br":
        return brotli.decompress(r.raw_bytes)
    assert coding is None, coding
    return r.raw_bytes


@pytest.mark.parametrize(
    "path, params, accept",
    [
        ("/", None, "text/html"),
        ("/page/jinpu", None, "text/html"),
        ("/data/jinpu.ttl", None, "text/turtle"),
        ("/sparql", {"query": SELECT}, "application/sparql-results+json"),
        ("/sparql", {"query": SELECT + " # once more: from the response cache"}, "text/csv"),
        ("/download/dataset.nq", None, "*/*"),
    ],
)
def test_gzip_and_brotli_decode_to_the_same_bytes(live_server: str, path: str, params, accept: str) -> None:
    url = live_server + path
    plain = fetch(url, "identity", params=params, headers={"Accept": accept})
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    for coding in ("gzip", "br"):
        for _ in range(2):  # the second time from the SPARQL response cache
            r = fetch(url, f"{coding}, identity;q=0.5", params=params, headers={"Accept": accept})
            assert r.status_code == 200
            assert "accept-encoding" in r.headers.get("Vary", "").lower()
            if path.startswith("/download/") and coding == "br":
                assert r.headers.get("Content-Encoding") == "gzip"  # dumps come precompressed by the build
            else:
                assert r.headers.get("Content-Encoding") == coding
            assert decoded(r) == plain.raw_bytes
            assert len(r.raw_bytes) < len(plain.raw_bytes)


def test_small_answers_are_not_compressed(live_server: str) -> None:
    r = fetch(
        live_server + "/sparql",
        "gzip, br",
        params={"query": ASK},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert r.status_code == 200 and "Content-Encoding" not in r.headers


@pytest.mark.parametrize("path", ["/page/jinpu", "/data/jinpu.ttl", "/data/jinpu.jsonld", "/page/def"])
def test_pages_and_documents_answer_304_to_their_etag(web_client, path: str) -> None:
    first = web_client.get(path)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert "max-age" in first.headers["Cache-Control"]
    again = web_client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    other = web_client.get(path, headers={"If-None-Match": 'W/"something-else"'})
    assert other.status_code == 200


def test_the_etag_follows_the_data_version(web_client) -> None:
    from kg.web.dataset_index import VERSION_KEY

    etag = web_client.get("/page/jinpu").headers["ETag"]
    version = web_client.application.extensions[VERSION_KEY].get().removeprefix("sha256:")[:16]
    assert version and version in etag


def test_static_assets_have_versioned_urls_and_a_long_cache(web_client) -> None:
    import re

    home = web_client.get("/").get_data(as_text=True)
    url = re.search(r'href="(/static/style\.css\?v=[0-9a-f]+)"', home).group(1)
    r = web_client.get(url)
    assert r.status_code == 200 and "immutable" in r.headers["Cache-Control"]
    assert "immutable" not in web_client.get("/static/style.css?v=old").headers.get("Cache-Control", "")
