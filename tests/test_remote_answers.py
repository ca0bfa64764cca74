"""The same answers on every store: a remote store's own written forms made standard before the app reads them
(kg.store.written_forms), and the app on Virtuoso answering user queries whose results hold blank nodes."""

from __future__ import annotations

import io

import pyoxigraph as ox
import pytest

from kg.config import Settings
from kg.store.written_forms import StandardResults

RESULTS_JSON = b"""{ "head": { "link": [], "vars": ["x", "b", "s"] },
  "results": { "distinct": false, "ordered": true, "bindings": [
    { "x": { "type": "bnode", "value": "nodeID://b10000" }\t, "b": { "type": "typed-literal",
      "datatype": "http://www.w3.org/2001/XMLSchema#boolean", "value": "1" }\t, "s": { "type": "literal",
      "value": "\\"type\\": \\"bnode\\", \\"value\\": \\"nodeID://kept" }},
    { "x": { "type": "bnode", "value": "nodeID://b10001" }\t, "b": { "type": "typed-literal",
      "datatype": "http://www.w3.org/2001/XMLSchema#boolean", "value": "0" }} ] } }"""
RESULTS_XML = b"""<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head><variable name="x"/><variable name="s"/>
</head><results><result><binding name="x"><bnode>nodeID://b10000</bnode></binding>
<binding name="s"><literal>&lt;bnode>nodeID://kept</literal></binding></result></results></sparql>"""


class _Trickle(io.RawIOBase):
    """A body that arrives `size` bytes at a time: a pattern may be cut anywhere between two reads."""

    def __init__(self, data: bytes, size: int):
        super().__init__()
        self._data, self._size = data, size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk, self._data = self._data[: min(self._size, len(buffer))], self._data[self._size :]
        buffer[: len(chunk)] = chunk
        return len(chunk)


def rows(body: bytes, results_format: ox.QueryResultsFormat, size: int) -> list[dict[str, str]]:
    solutions = ox.parse_query_results(StandardResults(_Trickle(body, size), results_format), results_format)
    return [{v.value: str(s[v]) for v in solutions.variables if s[v] is not None} for s in solutions]


def test_the_server_s_written_forms_are_not_valid_results() -> None:
    with pytest.raises(SyntaxError, match="blank node"):
        list(ox.parse_query_results(RESULTS_JSON, ox.QueryResultsFormat.JSON))


@pytest.mark.parametrize("size", [1, 7, 64, 1 << 16])
def test_blank_node_labels_and_booleans_are_made_standard_wherever_the_body_is_cut(size: int) -> None:
    boolean = "^^<http://www.w3.org/2001/XMLSchema#boolean>"
    assert rows(RESULTS_JSON, ox.QueryResultsFormat.JSON, size) == [
        {"x": "_:b10000", "b": f'"true"{boolean}', "s": '"\\"type\\": \\"bnode\\", \\"value\\": \\"nodeID://kept"'},
        {"x": "_:b10001", "b": f'"false"{boolean}'},
    ]
    assert rows(RESULTS_XML, ox.QueryResultsFormat.XML, size) == [{"x": "_:b10000", "s": '"<bnode>nodeID://kept"'}]


# --- through the app, on Virtuoso ---------------------------------------------------------------------------------

QB_ORDER = "<http://purl.org/linked-data/cube#order>"
SELECT_BLANK = f"SELECT ?x ?v WHERE {{ ?x {QB_ORDER} ?v }} ORDER BY ?v"
CONSTRUCT_BLANK = (
    f"CONSTRUCT {{ ?x {QB_ORDER} ?v . ?x <urn:x-test:made> [ <urn:x-test:n> ?v ] }} WHERE {{ ?x {QB_ORDER} ?v }}"
)
DESCRIBE_BLANK = f"DESCRIBE ?x WHERE {{ ?x {QB_ORDER} 1 }}"
RESULTS_FORMATS = ["json", "xml", "csv", "tsv"]
GRAPH_FORMATS = ["ntriples", "turtle", "rdfxml", "jsonld", "trig", "nquads", "n3"]


@pytest.fixture(scope="module")
def virtuoso_client(virtuoso_server, build_settings: Settings):
    from kg.app import create_app
    from kg.sparql import EXTENSION

    app = create_app(virtuoso_server.read_settings(build_settings))
    yield app.test_client()
    app.extensions[EXTENSION].close()


@pytest.mark.parametrize(
    ("query", "fmt"),
    [(SELECT_BLANK, f) for f in RESULTS_FORMATS]
    + [(CONSTRUCT_BLANK, f) for f in GRAPH_FORMATS]
    + [(DESCRIBE_BLANK, f) for f in GRAPH_FORMATS],
)
def test_virtuoso_results_holding_blank_nodes_are_answered_in_every_format(virtuoso_client, query, fmt) -> None:
    response = virtuoso_client.get("/sparql", query_string={"query": query, "format": fmt})
    assert response.status_code == 200, response.get_data(as_text=True)
    text = response.get_data(as_text=True)
    assert "nodeID://" not in text
    assert ("_:" in text) or fmt not in ("ntriples", "nquads", "tsv")  # blank nodes there, written the standard way
