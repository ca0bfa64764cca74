"""Writing query results in the format a request asks for (the formats themselves: kg.rdf.formats).

Results are written by pyoxigraph (Rust), never term by term in Python. Row limits are applied while writing: the
result is written as TSV (SELECT) or N-Triples (graphs), one row or triple a line, into a buffer that stops the
query after max_rows + 1 lines, so a huge result is neither computed nor held in full. A result asked for in
another format is then converted from that buffer, again by pyoxigraph.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from kg.rdf import formats
from kg.rdf.formats import BY_NAME, FORMATS, RDF, RF, Format
from kg.sparql.policy import QueryError

MAX_RESULT_BYTES = 64 * 2**20  # a result is also cut here, however few its rows (huge literals)


def negotiate(accept: str | None, format_values: Sequence[str] = ()) -> dict[str, str | None]:
    """The format to answer each query kind with (kg.rdf.formats.negotiate); an unknown `format` value is a 406."""
    try:
        return formats.negotiate(accept, format_values)
    except formats.UnknownFormat as exc:
        raise QueryError(406, str(exc)) from None


def not_acceptable(kind: str) -> QueryError:
    """406 for a result of this kind: what the client accepts cannot carry it."""
    names = {"select": "SELECT results", "ask": "ASK results", "graph": "CONSTRUCT/DESCRIBE graphs"}
    offered = ", ".join(f.media_type for f in FORMATS if kind in f.kinds)
    short = ", ".join(f.name for f in FORMATS if kind in f.kinds)
    return QueryError(
        406,
        f"None of the accepted formats can carry {names[kind]}; available: {offered} "
        f"(or the format parameter: {short}).",
    )


class _Full(Exception):
    """Raised into pyoxigraph's writer to stop a result at the row limit."""


class _CappedBuffer:
    """A binary sink that stops the writer (and so the lazy query) once it holds more than `lines` lines or
    `max_bytes` bytes."""

    def __init__(self, lines: int, max_bytes: int):
        self.limit = lines
        self.max_bytes = max_bytes
        self.lines = 0
        self.size = 0
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        self.lines += data.count(b"\n")
        self.size += len(data)
        if self.lines > self.limit or self.size > self.max_bytes:
            raise _Full
        return len(data)

    def flush(self) -> None:
        pass

    def head(self) -> tuple[bytes, bool]:
        """The first `limit` whole lines within `max_bytes`, and whether anything was cut."""
        data = b"".join(self.chunks)
        if self.lines <= self.limit and self.size <= self.max_bytes:
            return data, False
        end = -1
        for _ in range(self.limit):
            end = data.index(b"\n", end + 1)
        if end + 1 > self.max_bytes:
            end = data.rindex(b"\n", 0, self.max_bytes)
        return data[: end + 1], True


def _capped(write, lines: int) -> tuple[bytes, bool]:
    sink = _CappedBuffer(lines, MAX_RESULT_BYTES)
    try:
        write(sink)
    except _Full:
        pass
    except OSError as exc:
        if isinstance(exc.__context__, _Full) or "_Full" in repr(exc):
            pass
        else:
            raise
    return sink.head()


@dataclass
class Rendered:
    kind: str  # select | ask | graph
    body: bytes  # in the requested format, or TSV / N-Triples for "internal"
    media_type: str
    truncated: bool
    rows: int | None = None


def kind_of(result) -> str:
    if isinstance(result, ox.QuerySolutions):
        return "select"
    if isinstance(result, ox.QueryBoolean):
        return "ask"
    return "graph"


def render(result, fmt_name: str, max_rows: int, prefixes: dict[str, str]) -> Rendered:
    """Write a query result in a format ('internal': TSV for SELECT, N-Triples for graphs), cut at max_rows."""
    kind = kind_of(result)
    if kind == "ask":
        fmt = BY_NAME["json" if fmt_name == "internal" else fmt_name]
        return Rendered(kind, result.serialize(format=fmt.results), fmt.content_type, False, None)
    if kind == "select":
        tsv, truncated = _capped(lambda sink: result.serialize(sink, RF.TSV), max_rows + 1)
        rows = max(tsv.count(b"\n") - 1, 0)
        if fmt_name in ("internal", "tsv"):
            body = tsv
        else:
            body = ox.parse_query_results(tsv, RF.TSV).serialize(format=BY_NAME[fmt_name].results)
        media = "text/tab-separated-values; charset=utf-8" if fmt_name == "internal" else BY_NAME[fmt_name].content_type
        return Rendered(kind, body, media, truncated, rows)

    def write(sink) -> None:
        if isinstance(result, ox.QueryTriples):
            result.serialize(sink, RDF.N_TRIPLES)
        else:
            ox.serialize(_triples(result), sink, RDF.N_TRIPLES)

    nt, truncated = _capped(write, max_rows)
    rows = nt.count(b"\n")
    body = nt if fmt_name in ("internal", "ntriples") else convert_ntriples(nt, BY_NAME[fmt_name], prefixes)
    media = "application/n-triples; charset=utf-8" if fmt_name == "internal" else BY_NAME[fmt_name].content_type
    return Rendered(kind, body, media, truncated, rows)


def convert_ntriples(nt: bytes, fmt: Format, prefixes: dict[str, str]) -> bytes:
    """N-Triples in another RDF format; lines sorted first so that each subject's triples are written together."""
    nt = b"".join(sorted(nt.splitlines(keepends=True)))
    quads = ox.parse(nt, RDF.N_QUADS if fmt.rdf.supports_datasets else RDF.N_TRIPLES)
    return ox.serialize(quads, format=fmt.rdf, prefixes=prefixes)


def _triples(items: Iterable) -> Iterable:
    for t in items:
        yield t.triple if isinstance(t, ox.Quad) else t
