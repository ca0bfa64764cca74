"""Reading just enough of a SPARQL query's text without parsing it: one scanner, two readers.

The remote store reads a query's form and where its WHERE group opens; the query page reads which prefixes a user's
query uses and declares (so it can declare the project's prefixes for it), and the order its variables first appear
in (so `SELECT *` columns keep it).

Servers differ on the SPARQL 1.1 grammar's corners. Virtuoso 7 rejects a trailing VALUES clause after ASK, and
joins a trailing VALUES after SELECT with the projected rows rather than the pattern (so a variable that is not
projected is "no column"). A VALUES block as the first element of the WHERE group means the same join on every
server, so the remote store binds the app's variables there. Virtuoso also answers a CONSTRUCT in SPARQL JSON
results when asked for "any" format, so the store asks for graph formats by the query's form.

This is a scanner, not a parser: it skips comments, strings and IRIs, and counts braces. The store applies it only to
the app's own queries (and the form detection to user queries that the policy layer already parsed).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urljoin

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


OPAQUE = ("comment", "long_string", "string", "iri")  # nothing inside these is a keyword, prefixed name or variable


def _tokens(query: str):
    for m in _TOKEN.finditer(query):
        kind = m.lastgroup
        if kind in ("space", "comment"):
            continue
        yield kind, m.group(), m.end()


def visible(query: str) -> str:
    """The text with comments, strings and IRIs blanked out (same length, so positions still match)."""
    parts = []
    for m in _TOKEN.finditer(query):
        parts.append(" " * (m.end() - m.start()) if m.lastgroup in OPAQUE else m.group())
    return "".join(parts)


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


_DECLARED = re.compile(r"\bPREFIX\s+([A-Za-z][\w.-]*)?:", re.IGNORECASE)
_USED = re.compile(r"(?<![\w?$:.-])([A-Za-z][\w-]*(?:\.[\w-]+)*)?:(?=[\w%\\])")
_VARIABLE = re.compile(r"[?$]([A-Za-z0-9_\u00b7-\uffff]+)")
_SELECT_STAR = re.compile(r"\bSELECT\s+(?:DISTINCT\s+|REDUCED\s+)?\*", re.IGNORECASE)


def missing_prefixes(query: str, known: dict[str, str]) -> dict[str, str]:
    """The known prefixes the query uses without declaring them, in the order they are first used."""
    text = visible(query)
    declared = {m.group(1) or "" for m in _DECLARED.finditer(text)}
    out: dict[str, str] = {}
    for m in _USED.finditer(text):
        name = m.group(1) or ""
        if name not in declared and name in known and name not in out:
            out[name] = known[name]
    return out


def declare_prefixes(query: str, known: dict[str, str]) -> tuple[str, list[str]]:
    """(the query with PREFIX lines for the known prefixes it uses undeclared, the prefixes added)."""
    missing = missing_prefixes(query, known)
    if not missing:
        return query, []
    head = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in missing.items())
    return head + query, list(missing)


def star_order(query: str, variables: list[str]) -> list[str]:
    """For `SELECT *`, the variables in the order the query first names them (engines may sort them); otherwise the
    variables as given (the projection's own order)."""
    text = visible(query)
    m = _SELECT_STAR.search(text)
    if not m:
        return variables
    first: dict[str, int] = {}
    for v in _VARIABLE.finditer(text, m.end()):
        first.setdefault(v.group(1), v.start())
    return sorted(variables, key=lambda v: (first.get(v, 1 << 30), variables.index(v)))


# --- GRAPH clauses whose graph the dataset does not hold --------------------------------------------------------------

_CLAUSE_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<long_string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\")
  | (?P<string>'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
  | (?P<iri><[^<>"{}|^`\\\s]*>)
  | (?P<open>\{)
  | (?P<close>\})
  | (?P<name>[^\s{}()<>"'\#,;\[\]=!&|*/+^]+)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")


def _clause_tokens(query: str) -> list[re.Match]:
    return [m for m in _CLAUSE_TOKEN.finditer(query) if m.lastgroup not in ("space", "comment")]


def _prologue(tokens: list[re.Match]) -> tuple[str | None, dict[str, str]]:
    """The query's BASE and PREFIX declarations (an IRI with an escape, which this reader does not expand, as None)."""
    base: str | None = None
    prefixes: dict[str, str | None] = {}
    i = 0
    while i + 1 < len(tokens) and tokens[i].group().upper() in ("BASE", "PREFIX"):
        if tokens[i].group().upper() == "BASE":
            base, i = _iri(tokens[i + 1].group(), base), i + 2
        elif i + 2 < len(tokens):
            prefixes[tokens[i + 1].group()], i = _iri(tokens[i + 2].group(), base), i + 3
        else:
            break
    return base, prefixes


def _iri(token: str, base: str | None) -> str | None:
    """The absolute IRI an IRI token stands for, or None when this reader cannot tell."""
    if not token.startswith("<") or "\\" in token:
        return None
    value = token[1:-1]
    if _ABSOLUTE.match(value):
        return value
    return urljoin(base, value) if base else None


def _graph_term(token: str, base: str | None, prefixes: dict[str, str | None]) -> str | None:
    """The IRI a GRAPH clause names ('?' for a variable), or None when this reader cannot tell."""
    if token[:1] in "?$":
        return "?"
    if token.startswith("<"):
        return _iri(token, base)
    prefix, colon, local = token.partition(":")
    namespace = prefixes.get(prefix + colon)
    if not colon or namespace is None or "\\" in local:
        return None
    return namespace + local


def _group_end(tokens: list[re.Match], opening: int) -> int | None:
    """The index of the token that closes the group opened at tokens[opening]."""
    depth = 0
    for i in range(opening, len(tokens)):
        kind = tokens[i].lastgroup
        depth += 1 if kind == "open" else -1 if kind == "close" else 0
        if depth == 0:
            return i
    return None


def empty_absent_graphs(query: str, named_graphs: Sequence[str], stand_in: str) -> str:
    """The query with every GRAPH clause whose graph is not among `named_graphs` made one that has no solution.

    SPARQL 1.1 (18.6) gives `GRAPH <g> { P }` no solution when the dataset has no named graph <g>, and `GRAPH ?g
    { P }` none when it has no named graph at all; Virtuoso 7 answers such a clause as if it matched (an ASK answers
    true) unless <g> is among the protocol's named-graph-uri parameters. So such a clause becomes `GRAPH <stand_in>
    { { P } FILTER(false) }` (a variable is kept): `stand_in` must be a named graph sent with the query. The group
    keeps P's variables in scope and has no solution on every engine, so the answer is the standard one. Left alone:
    a clause naming a graph of the dataset, one whose IRI this reader cannot resolve (an escape in it, a relative IRI
    without BASE), and one holding another GRAPH clause (Oxigraph answers the inner clause whatever the outer graph).
    """
    if "graph" not in query.casefold():
        return query
    tokens = _clause_tokens(query)
    base, prefixes = _prologue(tokens)
    edits: list[tuple[int, int, str]] = []
    for i, token in enumerate(tokens[:-2]):
        if token.lastgroup != "name" or token.group().upper() != "GRAPH" or tokens[i + 2].lastgroup != "open":
            continue
        term = tokens[i + 1]
        graph = _graph_term(term.group(), base, prefixes)
        end = _group_end(tokens, i + 2)
        if graph is None or end is None or graph in named_graphs or (graph == "?" and named_graphs):
            continue
        if any(t.lastgroup == "name" and t.group().upper() == "GRAPH" for t in tokens[i + 3 : end]):
            continue  # a GRAPH inside decides what its own group matches: engines differ on the outer one
        if graph != "?":
            edits.append((term.start(), term.end(), f"<{stand_in}>"))
        edits.append((tokens[i + 2].start(), tokens[i + 2].end(), "{ {"))
        edits.append((tokens[end].start(), tokens[end].end(), "} FILTER(false) }"))
    for start, end, text in sorted(edits, reverse=True):
        query = query[:start] + text + query[end:]
    return query
