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
