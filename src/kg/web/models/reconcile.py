"""The Reconciliation Service API, version 0.2 (W3C Entity Reconciliation Community Group): the manifest, batches of
reconciliation queries with type and property constraints, and suggest, as pure functions of the dataset index.

Identifiers are short: an entity's is its name under the dataset's id/ namespace (the manifest's identifierSpace),
a type's or a property's its local name in the ontology (the schemaSpace); full IRIs are accepted too.

The matcher is the site's search (kg.web.pages.search.find: names and alternative names in both languages, figures
as written, quotes and their translations). A candidate whose name or alternative name, in either language, is the
query (case, width and spacing aside) scores 100; any other scores below 90, by how well the search matched it. A
property constraint a candidate does not meet halves its score. `match` is true only for an unambiguous exact match:
the one candidate that scores 100 and meets every property constraint.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from rdflib import URIRef

from kg.web.dataset_index import Site
from kg.web.pages.search import MAX_Q, find, normalize, words

VERSIONS = ["0.2"]
MAX_BATCH = 100
DEFAULT_LIMIT = 10
MAX_LIMIT = 100
EXACT = 100.0
BEST_INEXACT = 90.0
PROPERTY_MISS = 0.5
MAX_CHECKED = 40  # candidates considered (and whose properties are read) per query
PREVIEW_SIZE = (400, 160)
# what OpenRefine users reconcile against: companies, places, projects, programmes (and the indicators figures use)
DEFAULT_TYPES = ("Organization", "Enterprise", "Place", "Project", "Program", "Plan", "Indicator")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


class ReconcileError(ValueError):
    """A request the service cannot answer: a 400 with this message."""


@dataclass(frozen=True)
class Constraint:
    prop: str  # the property's IRI
    values: tuple[object, ...]  # entity IRIs (URIRef), normalized texts (str) or numbers


@dataclass(frozen=True)
class Query:
    text: str
    types: tuple[str, ...] = ()
    limit: int = DEFAULT_LIMIT
    constraints: tuple[Constraint, ...] = ()


@dataclass
class Candidate:
    iri: str
    score: float
    exact: bool
    properties_met: bool
    lang: str


# identifiers


def entity_id(s: Site, iri: str) -> str:
    return s.iris.name(iri) or iri


def term_id(s: Site, iri: str) -> str:
    return s.iris.local(iri) or iri


def is_entity(s: Site, iri: str) -> bool:
    """A thing of the identifier space (not an ontology term, not the ontology)."""
    return iri.startswith(s.iris.id_ns) and s.iris.name(iri) is not None


def resolve_entity(s: Site, ident: str) -> str | None:
    """The IRI of an entity given by its id (name) or full IRI, when the dataset names it."""
    iri = ident if ident.startswith(s.iris.id_ns) else str(s.iris.entity_iri(ident) or "")
    return iri if iri and (iri in s.names.labels or iri in s.names.types) else None


def resolve_term(s: Site, ident: object, known: set[str], what: str) -> str:
    if not isinstance(ident, str) or not ident:
        raise ReconcileError(f"A {what} must be given as a string (its id).")
    iri = ident if ident in known else str(s.iris.term_iri(ident) or "")
    if iri not in known:
        raise ReconcileError(f"Unknown {what}: {ident!r} (the {what} suggest service lists them).")
    return iri


# reading a batch


def parse_batch(s: Site, text: str) -> dict[str, Query]:
    """The queries of a `queries` form field: a JSON object of query objects, keyed by the client's ids."""
    try:
        batch = json.loads(text)
    except ValueError as exc:
        raise ReconcileError(f"The queries field is not JSON: {exc}.")
    if not isinstance(batch, dict) or not batch:
        raise ReconcileError('The queries field must be a JSON object of queries, like {"q0": {"query": "..."}}.')
    if len(batch) > MAX_BATCH:
        raise ReconcileError(f"Too many queries in one batch ({len(batch)}; at most {MAX_BATCH}).")
    return {str(key): parse_query(s, key, value) for key, value in batch.items()}


def parse_query(s: Site, key: str, obj: object) -> Query:
    if not isinstance(obj, dict):
        raise ReconcileError(f"Query {key!r} must be a JSON object.")
    text = obj.get("query")
    if not isinstance(text, str) or not words(text):
        raise ReconcileError(f"Query {key!r} has no query text (a non-empty string in 'query').")
    if len(text) > MAX_Q:
        raise ReconcileError(f"Query {key!r}: the query text is too long (at most {MAX_Q} characters).")
    limit = obj.get("limit", DEFAULT_LIMIT)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ReconcileError(f"Query {key!r}: limit must be a whole number from 1 to {MAX_LIMIT}.")
    raw_types = obj.get("type") or []
    raw_types = raw_types if isinstance(raw_types, list) else [raw_types]
    types = tuple(resolve_term(s, t, s.ontology.classes, "type") for t in raw_types)
    props = obj.get("properties")
    props = [] if props is None else props
    if not isinstance(props, list):
        raise ReconcileError(f"Query {key!r}: properties must be a list of {{pid, v}} objects.")
    return Query(text, types, limit, tuple(parse_constraint(s, key, p) for p in props))


def parse_constraint(s: Site, key: str, obj: object) -> Constraint:
    if not isinstance(obj, dict) or "v" not in obj:
        raise ReconcileError(f"Query {key!r}: each property constraint is an object with 'pid' and 'v'.")
    prop = resolve_term(s, obj.get("pid"), s.ontology.properties, "property")
    raw = obj["v"] if isinstance(obj["v"], list) else [obj["v"]]
    values: list[object] = []
    for v in raw:
        if isinstance(v, dict) and isinstance(v.get("id"), str):
            values.append(URIRef(resolve_entity(s, v["id"]) or v["id"]))
        elif isinstance(v, bool) or not isinstance(v, str | int | float):
            raise ReconcileError(f"Query {key!r}: a property value is a string, a number or an object with an id.")
        elif isinstance(v, str):
            iri = resolve_entity(s, v)
            values.append(URIRef(iri) if iri else normalize(v))
        else:
            values.append(v)
    return Constraint(prop, tuple(values))


# answering


def query_lang(text: str) -> str:
    return "zh" if _CJK.search(text) else "en"


def ancestors(s: Site, cls: str) -> frozenset[str]:
    """The class and every class it is a subclass of, transitively."""

    def compute() -> frozenset[str]:
        seen, todo = set(), [cls]
        while todo:
            c = todo.pop()
            if c not in seen:
                seen.add(c)
                todo.extend(s.ontology.superclasses(c))
        return frozenset(seen)

    return s.memo(("reconcile_ancestors", cls), compute)


def has_type(s: Site, iri: str, wanted: tuple[str, ...]) -> bool:
    """The thing is of one of the wanted types or of a subclass of one (no wanted types: anything goes)."""
    return not wanted or any(w in ancestors(s, t) for t in s.names.types.get(iri, []) for w in wanted)


def is_exact(s: Site, iri: str, text: str) -> bool:
    """The query is one of the thing's names or alternative names, in either language."""
    whole = " ".join(words(text))
    names = [*(s.names.labels.get(iri) or {}).values(), *(str(a) for a in s.names.alt_labels.get(iri, []))]
    return any(" ".join(words(n)) == whole for n in names)


def inexact_score(total: int, prior: int, n_words: int) -> float:
    """How well the search matched, per word of the query, on a scale that stays below an exact name."""
    per_word = max(0, total - 3 * prior) / max(1, n_words)
    return round(min(BEST_INEXACT, per_word * 0.8), 1)


def values_of(s: Site, iri: str, prop: str) -> list:
    rows = s.memo(("reconcile_out", iri), lambda: s.queries.select("entity_out", x=URIRef(iri)))
    return [row["o"] for row in rows if str(row["p"]) == prop]


def meets(s: Site, iri: str, c: Constraint) -> bool:
    """Some value of the candidate's property is one of the constraint's: the same entity, a name of it, the same
    text or the same number."""
    for o in values_of(s, iri, c.prop):
        texts = {normalize(str(o))}
        if isinstance(o, URIRef):
            texts.update(normalize(n) for n in (s.names.labels.get(str(o)) or {}).values())
            texts.update(normalize(str(a)) for a in s.names.alt_labels.get(str(o), []))
        number = getattr(o, "value", None)
        for v in c.values:
            if v == o or (isinstance(v, str) and v in texts):
                return True
            if isinstance(v, int | float) and not isinstance(number, bool) and number is not None and v == number:
                return True
    return False


def candidates(s: Site, q: Query) -> list[Candidate]:
    """The query's candidates, best first, at most q.limit of them."""
    n_words = len(words(q.text))
    lang_ = query_lang(q.text)
    out = []
    for hit in find(s, q.text):
        if hit.field == "quote" or not is_entity(s, hit.iri) or not has_type(s, hit.iri, q.types):
            continue
        exact = is_exact(s, hit.iri, q.text)
        score = EXACT if exact else inexact_score(-hit.rank[0], -hit.rank[1], n_words)
        met = all(meets(s, hit.iri, c) for c in q.constraints)
        if not met:
            score = round(score * PROPERTY_MISS, 1)
        out.append(Candidate(hit.iri, score, exact, met, hit.matched_lang or lang_))
        if len(out) >= MAX_CHECKED:
            break
    out.sort(key=lambda c: -c.score)
    return out[: q.limit]


def result(s: Site, q: Query) -> dict:
    """One query's answer: {"result": [candidate, ...]}."""
    found = candidates(s, q)
    lang_ = query_lang(q.text)
    unambiguous = sum(1 for c in found if c.exact) == 1
    return {
        "result": [
            {
                "id": entity_id(s, c.iri),
                "name": s.names.label(c.iri, lang_),
                "description": s.names.label(c.iri, "en" if lang_ == "zh" else "zh"),
                "score": c.score,
                "match": unambiguous and c.exact and c.properties_met,
                "type": types_of(s, c.iri, lang_),
            }
            for c in found
        ]
    }


def types_of(s: Site, iri: str, lang_: str) -> list[dict]:
    return [{"id": term_id(s, t), "name": s.names.label(t, lang_)} for t in s.names.types.get(iri, [])]


def answer_batch(s: Site, batch: dict[str, Query]) -> dict:
    return {key: result(s, q) for key, q in batch.items()}


# the manifest and suggest


def manifest(s: Site, root: str, name: str) -> dict:
    """The service manifest; `root` is the server's URL without a trailing slash."""
    service = root + "/reconcile"
    return {
        "versions": VERSIONS,
        "name": name,
        "identifierSpace": s.iris.id_ns,
        "schemaSpace": s.iris.def_ns,
        "documentation": root + "/page/def",
        "view": {"url": root + "/page/{{id}}"},
        "preview": {"url": service + "/preview?id={{id}}", "width": PREVIEW_SIZE[0], "height": PREVIEW_SIZE[1]},
        "defaultTypes": [
            {"id": t, "name": s.names.label(s.iris.def_ns + t, "en")}
            for t in DEFAULT_TYPES
            if s.iris.def_ns + t in s.ontology.classes
        ],
        "suggest": {
            "entity": {"service_url": service, "service_path": "/suggest/entity"},
            "type": {"service_url": service, "service_path": "/suggest/type"},
            "property": {"service_url": service, "service_path": "/suggest/property"},
        },
        "batchSize": MAX_BATCH,
    }


def suggest_entities(s: Site, prefix: str, type_id: str | None, cursor: int, lang_: str) -> dict:
    wanted = (resolve_term(s, type_id, s.ontology.classes, "type"),) if type_id else ()
    hits = [h for h in find(s, prefix) if h.field == "name" and is_entity(s, h.iri) and has_type(s, h.iri, wanted)]
    return {
        "result": [
            {
                "id": entity_id(s, h.iri),
                "name": s.names.label(h.iri, lang_),
                "description": s.names.label(h.iri, "en" if lang_ == "zh" else "zh"),
                "notable": types_of(s, h.iri, lang_),
            }
            for h in hits[cursor : cursor + DEFAULT_LIMIT]
        ]
    }


def suggest_terms(s: Site, prefix: str, known: set[str], cursor: int, lang_: str) -> dict:
    """Types or properties whose local name or label (either language) contains the prefix's words."""
    ws = words(prefix)
    found = []
    for iri in sorted(known):
        local = s.iris.local(iri)
        if local is None:
            continue
        hay = " ".join([normalize(local), *(normalize(t) for t in (s.names.labels.get(iri) or {}).values())])
        if all(w in hay for w in ws):
            found.append(iri)
    return {
        "result": [
            {"id": term_id(s, iri), "name": s.names.label(iri, lang_), "description": iri}
            for iri in found[cursor : cursor + DEFAULT_LIMIT]
        ]
    }
