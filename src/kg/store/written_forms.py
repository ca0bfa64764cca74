"""A remote store's results, rewritten as they stream from a server's own written forms to the standard ones.

Virtuoso labels blank nodes `nodeID://b10003` in SPARQL JSON and XML results: not a valid blank node label, so
pyoxigraph's results parser refuses the whole answer. In SPARQL JSON it also writes a stored xsd:boolean as "1" or
"0" (its XML and graph formats write "true" and "false"). Both are the same terms written another way, so the store
rewrites them before parsing: the label without its scheme (the same label the app's own queries give, see
kg.rdf.terms.json_term), the boolean in its canonical form.

The rewrite is of bytes, while they arrive, so a query cut at the row cap still downloads no more than it reads. Each
pattern starts at the markup around a term (a JSON key with its quotes, an XML element), which a literal's text
cannot contain unescaped, so no literal is ever changed. Patterns are bounded in length: the last bytes of a chunk
are held back until the next one shows whether they begin a match.
"""

from __future__ import annotations

import io
import re

import pyoxigraph as ox

READ_CHUNK = 16384


def _member(key: bytes, value: bytes) -> bytes:
    """A pattern for a member of a JSON object, with room for the spaces a server writes around its colon."""
    return rb'"' + key + rb'":\s{0,8}' + value


_JSON_BNODE = re.compile(rb"(" + _member(b"type", rb'"bnode",\s{0,8}') + _member(b"value", b'"') + rb")nodeID://")
_JSON_BOOLEAN = re.compile(
    rb"("
    + _member(b"datatype", rb'"http://www\.w3\.org/2001/XMLSchema#boolean",\s{0,8}')
    + _member(b"value", b'"')
    + rb')([01])"'
)
_XML_BNODE = re.compile(rb"(<bnode>)nodeID://")
_BOOLEANS = {b"1": b"true", b"0": b"false"}
# The longest text a pattern can match: held back at the end of a chunk.
_HOLD = 160


def _json(data: bytes) -> bytes:
    data = _JSON_BNODE.sub(rb"\1", data)
    return _JSON_BOOLEAN.sub(lambda m: m.group(1) + _BOOLEANS[m.group(2)] + b'"', data)


def _xml(data: bytes) -> bytes:
    return _XML_BNODE.sub(rb"\1", data)


def _unchanged(data: bytes) -> bytes:
    return data


_REWRITES = {ox.QueryResultsFormat.JSON: _json, ox.QueryResultsFormat.XML: _xml}


class StandardResults(io.RawIOBase):
    """A results body (a file of bytes) in `results_format`, with the server's own written forms made standard."""

    def __init__(self, raw: io.RawIOBase, results_format: ox.QueryResultsFormat):
        super().__init__()
        self._raw = raw
        self._rewrite = _REWRITES.get(results_format, _unchanged)
        self._held = b""
        self._ready = b""
        self._ended = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._ready and not self._ended:
            self._fill()
        size = min(len(buffer), len(self._ready))
        buffer[:size] = self._ready[:size]
        self._ready = self._ready[size:]
        return size

    def _fill(self) -> None:
        chunk = self._raw.read(READ_CHUNK)
        data = self._rewrite(self._held + chunk)
        if not chunk:
            self._ended = True
            self._ready, self._held = data, b""
        else:
            self._ready, self._held = data[:-_HOLD], data[-_HOLD:]

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()
