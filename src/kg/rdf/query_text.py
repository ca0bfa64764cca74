"""Reading just enough of a SPARQL query's text for the remote store: its form, and where its WHERE group opens.

Servers differ on the SPARQL 1.1 grammar's corners. Virtuoso 7 rejects a trailing VALUES clause after ASK, and
joins a trailing VALUES after SELECT with the projected rows rather than the pattern (so a variable that is not
projected is "no column"). A VALUES block as the first element of the WHERE group means the same join on every
server, so the remote store binds the app's variables there. Virtuoso also answers a CONSTRUCT in SPARQL JSON
results when asked for "any" format, so the store asks for graph formats by the query's form.

This is a scanner, not a parser: it skips comments, strings and IRIs, and counts braces. It is applied only to the
app's own queries (and the form detection to user queries that the policy layer already parsed).
"""

from __future__ import annotations

import re

from rdflib.term import Node

from kg.rdf.sparql_text import values_clause

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<long_string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\")
  | (?P<string>'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\s]*>)
  | (?P<open>\{)
  | (?P<close>\})
  | (?P<word>[A-Za-z_][A-Za-z0-9_\-]*:?)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)

FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


def _tokens(query: str):
    for m in _TOKEN.finditer(query):
        kind = m.lastgroup
        if kind in ("space", "comment"):
            continue
        yield kind, m.group(), m.end()


def query_form(query: str) -> str | None:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the first keyword after the prologue (BASE, PREFIX), or None."""
    for kind, text, _ in _tokens(query):
        if kind == "word" and text.upper() in FORMS:
            return text.upper()
        if kind == "word" and text.upper() in ("BASE", "PREFIX"):
            continue
        if kind in ("iri", "word") or text == ":":  # the prologue's IRIs and prefix names
            continue
        return None
    return None


def where_group_end(query: str) -> int | None:
    """The offset just after the `{` that opens the query's WHERE group, or None if it cannot be found (or is the
    template of a CONSTRUCT WHERE)."""
    form = None
    depth = 0
    skip_template = False
    for kind, text, end in _tokens(query):
        if form is None:
            if kind == "word" and text.upper() in FORMS:
                form = text.upper()
                skip_template = form == "CONSTRUCT"
            continue
        if skip_template:
            if kind == "word" and text.upper() == "WHERE" and depth == 0:
                return None  # CONSTRUCT WHERE { ... }: the pattern is the template, where VALUES cannot stand
            if kind == "open":
                depth += 1
            elif kind == "close":
                depth -= 1
                if depth == 0:
                    skip_template = False
            continue
        if kind == "open":
            return end
    return None


def with_values(query: str, bindings: dict[str, Node]) -> str:
    """The query with the bindings as a VALUES block at the start of its WHERE group (trailing if none is found)."""
    clause = values_clause(bindings)
    if not clause:
        return query
    at = where_group_end(query)
    if at is None:
        return query + clause
    return query[:at] + clause + query[at:]
