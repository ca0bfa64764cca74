"""What a user query may do, decided from the parsed query before it runs. Part of the SPARQL protocol layer, so it
applies whatever the backend.

The endpoint is read-only and never reaches out: no SPARQL Update, no SERVICE, and FROM / FROM NAMED (like the
protocol's default-graph-uri / named-graph-uri) may only name the dataset's own graphs.

Keyword checks on raw text are not enough: the SPARQL grammar lets \\uXXXX escapes stand for any character (the
specification expands them before parsing; Oxigraph 0.5 only inside strings and IRIs), and a comment may end at a
lone carriage return, which rdflib's grammar does not honour. So a query is looked at in every way a parser might see
it (as written, with escapes expanded as the specification and as rdflib do, carriage returns as line ends); when any
view mentions SERVICE or FROM at all, every view is parsed with rdflib's SPARQL grammar, and the parse trees decide.
A view that cannot be parsed then makes the query fail (we cannot vouch for it). Views without either word cannot
contain those clauses, so most queries skip the slow pure-Python parse; whole-line comments (a query's header, say
"figures and the passage each was derived from") do not count as mentions. Query worker processes are also cut off from
the network (kg.sparql.sandbox): this module is the first line of defence, not the only one.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from kg.config import Settings
from kg.rdf.vocab import GRAPH_NAMES

# Where a query may say SERVICE or FROM, in a view folded to lower case. Any "service" at all counts (no reasoning
# about tokens where safety is at stake); "from" counts unless it continues a name ("prov:wasDerivedFrom", "?from2"
# does not end one): a name character before it means a variable or prefixed name, except after the keyword ASK,
# which Oxigraph lets run into FROM ("ASKFROM <g> {}").
_FROM = re.compile(r"(?:(?<![a-z0-9_\-.:\u00b7\u00c0-\U0010ffff])|(?<=ask))from")
_HEX4 = re.compile(r"\+?[0-9A-Fa-f]{3,4}")  # what Rust's u32::from_str_radix(_, 16) accepts in 4 characters
_HEX8 = re.compile(r"\+?[0-9A-Fa-f]{7,8}")
_ESCAPE_OR_PAIR = re.compile(r"\\(?:\\|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8})")
_RDFLIB_ESCAPE = re.compile(r"\\u([0-9a-f]{4}(?:[0-9a-f]{4})?)", re.IGNORECASE)
_BRACKETS = re.compile(r"[{}()\[\]]")
_COMMENT_LINE = re.compile(r"^[ \t]*#.*$", re.MULTILINE)
# Parsers recurse on nesting; much deeper than any real query, and short of what crashes a parser's stack.
MAX_NESTING = 400
_parser_lock = threading.RLock()  # rdflib's grammar objects are not safe to share between threads


class QueryError(Exception):
    """A user query the endpoint will not run. `status` is the HTTP status, `message` says why (for the client)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message

    def __repr__(self) -> str:
        return f"QueryError({self.status}, {self.message!r})"


@dataclass(frozen=True)
class QueryDataset:
    """The RDF dataset a query runs on: IRIs of the graphs merged into the default graph, and the named graphs."""

    default_graphs: tuple[str, ...]
    named_graphs: tuple[str, ...]


@dataclass(frozen=True)
class QueryCheck:
    """What the checks learnt: the query's own FROM / FROM NAMED graphs (None: the query has no dataset clause)."""

    from_graphs: tuple[str, ...] | None = None
    from_named_graphs: tuple[str, ...] | None = None


def dataset_graphs(settings: Settings) -> tuple[str, ...]:
    return tuple(settings.graph_iri(name) for name in GRAPH_NAMES)


def spec_unescape(text: str) -> str:
    """Expand \\uXXXX and \\UXXXXXXXX the way the SPARQL specification describes (and Oxigraph up to 0.4 did):
    scanning left to right, a backslash followed by any other character is kept with that character, and an escape
    that is not a valid code point is kept as written."""
    if "\\u" not in text and "\\U" not in text:
        return text
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c != "\\" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        kind = text[i + 1]
        if kind in "uU":
            width = 4 if kind == "u" else 8
            digits = text[i + 2 : i + 2 + width]
            pattern = _HEX4 if kind == "u" else _HEX8
            if len(digits) == width and pattern.fullmatch(digits):
                code = int(digits, 16)
                if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
                    out.append(chr(code))
                    i += 2 + width
                    continue
            out.append(text[i : i + 2 + width])
            i += 2 + width
            continue
        out.append(text[i : i + 2])
        i += 2
    return "".join(out)


def _rdflib_unescape(text: str) -> str:
    def expand(m: re.Match) -> str:
        code = int(m.group(1), 16)
        return chr(code) if code <= 0x10FFFF else m.group(0)

    return _RDFLIB_ESCAPE.sub(expand, text)


def _neutralize(text: str) -> str:
    """The text as Oxigraph 0.5 reads it, for rdflib's grammar: an escape inside a string or IRI is one character
    (rdflib's grammar would reject it there); outside them both parsers reject the query anyway."""
    if "\\u" not in text and "\\U" not in text:
        return text
    return _ESCAPE_OR_PAIR.sub(lambda m: m.group(0) if m.group(0) == "\\\\" else "x", text)


def _lines(view: str) -> str:
    return view.replace("\r\n", "\n").replace("\r", "\n")  # SPARQL ends comments at CR too; rdflib at LF only


def views(text: str) -> list[str]:
    """Every way a SPARQL parser may read the text, written so that rdflib's grammar reads it the same way: as the
    specification reads it (first: its messages are the ones users understand), as rdflib, as Oxigraph 0.5."""
    return list(dict.fromkeys(_lines(v) for v in (spec_unescape(text), _rdflib_unescape(text), _neutralize(text))))


def code_lines(view: str) -> str:
    """A view without its whole-line comments, where that is certain for every parser: a line whose first non-blank
    character is '#' is a comment, or part of a long string, unless a long string ends on it (and code follows), so
    a view with a long string (three quotes in a row) is kept whole. An IRI or a short string cannot span lines."""
    if '"""' in view or "'''" in view:
        return view
    return _COMMENT_LINE.sub("", view)


def _grammar():
    with _parser_lock:  # the first import builds the grammar (~0.3 s); do it once
        from rdflib.plugins.sparql import parser
    return parser


def parse(text: str, rule: str = "Query"):
    """Parse text with one rule of rdflib's SPARQL grammar ('Query' or 'UpdateUnit'), escapes left as they are."""
    parser = _grammar()
    with _parser_lock:
        return getattr(parser, rule).parse_string(text, parse_all=True)


def warm_up() -> None:
    """Build rdflib's grammar now rather than on the first query that needs it."""
    parse("SELECT * FROM <x:g> WHERE { ?s ?p ?o }")


def _walk(node) -> Iterable:
    from rdflib.plugins.sparql.parserutils import CompValue

    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, CompValue):
            yield item
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)) or hasattr(item, "as_list"):
            stack.extend(list(item))


def _position(exc) -> str:
    line, col = getattr(exc, "lineno", None), getattr(exc, "col", None)
    return f"line {line}, column {col}" if line is not None else "unknown position"


def syntax_message(exc: Exception) -> str:
    """rdflib / pyparsing parse errors as 'line L, column C: what was expected'."""
    text = getattr(exc, "msg", None) or str(exc)
    found = getattr(exc, "line", None)
    return f"{_position(exc)}: {text}" + (f" (in: {found.strip()[:120]!r})" if found else "")


def _parse_view(view: str):
    """The rdflib parse tree of one view, applied to the text as it stands (no further escape expansion)."""
    from pyparsing import ParseBaseException

    try:
        return parse(view)
    except ParseBaseException as exc:
        if is_update(view):
            raise QueryError(403, UPDATE_REFUSED) from None
        raise QueryError(400, f"Malformed query: {syntax_message(exc)}") from None
    except RecursionError:
        raise QueryError(400, "Malformed query: nested too deeply") from None


UPDATE_REFUSED = (
    "This endpoint is read-only: SPARQL Update (INSERT, DELETE, LOAD, CLEAR, CREATE, DROP, COPY, MOVE, ADD) is not "
    "accepted."
)
SERVICE_REFUSED = "SERVICE (federated query) is not allowed: this endpoint answers from its own dataset only."


@lru_cache(maxsize=256)
def parse_as_query(text: str) -> None:
    """Parse the text as a SPARQL 1.1 query with Oxigraph's parser (on an empty store: nothing is evaluated that
    could take time or reach out; SERVICE was refused before). Raises QueryRejected when it is not one.

    Only a SyntaxError says the text is not a query. Oxigraph also refuses, after parsing, a query it cannot plan
    (RuntimeError for a call of an extension function it does not provide, such as `<http://example/f>(?x)`): that
    text is a query, and running it reports the problem (SPARQL 1.1 Query 17.6: such a query is not evaluated)."""
    import pyoxigraph as ox

    from kg.store.base import QueryRejected

    try:
        ox.Store().query(text)
    except SyntaxError as exc:
        raise QueryRejected(str(exc)) from None
    except Exception:  # noqa: BLE001 - parsed; what stops the plan is the run's to report
        pass


def endpoint_base(settings: Settings) -> str:
    """The base IRI relative IRIs of a query without BASE resolve against: the endpoint's own URL under the
    dataset's base IRI (SPARQL 1.1 Query 4.1.1.1 and RFC 3986 5.1: the retrieval URI of the query). Not the URL of
    the request, so that an answer does not depend on the Host a client sent."""
    return settings.base_iri + "sparql"


@lru_cache(maxsize=512)
def with_base(text: str, base: str) -> str:
    """The query as it runs: unchanged when it parses, else with `BASE <base>` declared first when that makes it a
    query (relative IRIs and no BASE). The text with its BASE is what every store gets, a remote one too."""
    from kg.rdf.sparql_text import iri
    from kg.store.base import QueryRejected

    try:
        parse_as_query(text)
        return text
    except QueryRejected:
        based = f"BASE {iri(base)}\n{text}"
    try:
        parse_as_query(based)
    except QueryRejected:
        return text  # not a matter of relative IRIs: refused with the message about the text as sent
    return based


def is_update(text: str) -> bool:
    """True if the text parses as a SPARQL 1.1 Update request (in any view)."""
    from pyparsing import ParseBaseException

    for view in views(text):
        try:
            parse(view, "UpdateUnit")
            return True
        except (ParseBaseException, RecursionError):
            continue
    return False


def _dataset_clause(tree) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    from rdflib.plugins.sparql.algebra import translatePrologue

    clauses = tree[1]["datasetClause"] if len(tree) > 1 and "datasetClause" in tree[1] else None
    if not clauses:
        return None, None
    try:
        prologue = translatePrologue(tree[0], None)
        default, named = [], []
        for clause in clauses:
            if "default" in clause:
                default.append(str(prologue.absolutize(clause["default"])))
            else:
                named.append(str(prologue.absolutize(clause["named"])))
    except Exception as exc:  # noqa: BLE001 - rdflib raises a bare Exception for an unknown prefix
        raise QueryError(400, f"Malformed query: {exc}") from None
    return tuple(default), tuple(named)


def nesting_depth(text: str) -> int:
    """The deepest nesting of brackets ({ ( [), strings and comments included: an upper bound for a parser's."""
    depth = deepest = 0
    for c in _BRACKETS.findall(text):
        if c in "{([":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth = max(depth - 1, 0)
    return deepest


@lru_cache(maxsize=512)
def check_query(text: str) -> QueryCheck:
    """Refuse what the endpoint never runs; learn the query's dataset clause. Raises QueryError."""
    all_views = views(text)
    if max(nesting_depth(view) for view in all_views) > MAX_NESTING:
        raise QueryError(400, f"Malformed query: nested deeper than {MAX_NESTING} levels of {{ }}, ( ) or [ ].")
    folded = [code_lines(view).casefold() for view in all_views]
    if not any("service" in view or _FROM.search(view) for view in folded):
        return QueryCheck()
    trees = {}
    for view in all_views:
        tree = trees[view] = _parse_view(view)
        if any(node.name == "ServiceGraphPattern" for node in _walk(tree)):
            raise QueryError(403, SERVICE_REFUSED)
    # Graph IRIs as Oxigraph reads them: with escapes expanded, as the specification says.
    default, named = _dataset_clause(trees[_lines(spec_unescape(text))])
    return QueryCheck(from_graphs=default, from_named_graphs=named)


def resolve_dataset(
    check: QueryCheck, settings: Settings, default_graph_uris: Sequence[str] = (), named_graph_uris: Sequence[str] = ()
) -> QueryDataset:
    """The dataset a query runs on (SPARQL 1.1 Protocol 2.1.4): the protocol's default-graph-uri / named-graph-uri
    if given, else the query's FROM / FROM NAMED, else the whole dataset (union default graph, three named graphs).
    Every graph named must be one of the dataset's own; nothing is ever fetched."""
    own = dataset_graphs(settings)
    if default_graph_uris or named_graph_uris:
        default, named = tuple(default_graph_uris), tuple(named_graph_uris)
        source = "default-graph-uri / named-graph-uri"
    elif check.from_graphs is not None or check.from_named_graphs is not None:
        default, named, source = check.from_graphs or (), check.from_named_graphs or (), "FROM / FROM NAMED"
    else:
        return QueryDataset(own, own)
    unknown = [g for g in (*default, *named) if g not in own]
    if unknown:
        raise QueryError(
            400,
            f"{source} may only name this dataset's graphs ({', '.join('<' + g + '>' for g in own)}); "
            f"this endpoint never fetches other graphs. Unknown: {', '.join('<' + g + '>' for g in unknown)}",
        )
    return QueryDataset(tuple(dict.fromkeys(default)), tuple(dict.fromkeys(named)))


def check_size(text: str, settings: Settings) -> None:
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > settings.max_query_bytes:
        raise QueryError(413, f"The query is {size} bytes; this endpoint accepts at most {settings.max_query_bytes}.")
