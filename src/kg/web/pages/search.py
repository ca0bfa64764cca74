"""Label search: /search?q= (HTML) and /search.json?q= (JSON). Substring match on every label and alternative label,
in Chinese and English, ignoring case and full-width/half-width differences. Exact matches first, then prefixes.

The search runs over the label table the pages already hold, so the user's text never goes into a SPARQL query.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from flask import Response, jsonify, request

from kg.rdf.formats import best_offer
from kg.web.dataset_index import Site, site
from kg.web.rendering import PageError, lang, render

MAX_Q = 200
LIMIT = 200


@dataclass
class Hit:
    iri: str
    matched: str
    matched_lang: str
    rank: tuple


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().strip()


def _index(s: Site) -> list[tuple[str, str, str, str]]:
    """(iri, normalized text, text, language) for every name of every entity worth finding (not passages)."""
    return s.memo("search_index", lambda: _read_index(s))


def _read_index(s: Site) -> list[tuple[str, str, str, str]]:
    passage_type = s.iris.def_ns + "Passage"
    skip = {iri for iri, types in s.types.items() if passage_type in types}
    idx = []
    for iri, names in s.labels.items():
        if iri in skip or s.iris.fragment_owner(iri):
            continue
        for lang_, text in names.items():
            idx.append((iri, normalize(text), text, lang_))
    for iri, alts in s.alt_labels.items():
        if iri in skip:
            continue
        for a in alts:
            idx.append((iri, normalize(str(a)), str(a), a.language or ""))
    return idx


def warm(s: Site) -> None:
    find(s, "warm")


def find(s: Site, q: str, type_iri: str | None = None) -> list[Hit]:
    needle = normalize(q)
    if not needle:
        return []
    best: dict[str, Hit] = {}
    observation = s.iris.def_ns + "Observation"
    for iri, norm, text, lang_ in _index(s):
        pos = norm.find(needle)
        if pos < 0:
            continue
        if type_iri and type_iri not in s.types.get(iri, []):
            continue
        # exact, then prefix, then anywhere; named things before figures; shorter names first
        rank = (0 if norm == needle else 1 if pos == 0 else 2, observation in s.types.get(iri, []), len(norm), iri)
        if iri not in best or rank < best[iri].rank:
            best[iri] = Hit(iri, text, lang_, rank)
    return sorted(best.values(), key=lambda h: h.rank)


def _query() -> tuple[str, str | None]:
    q = request.args.get("q", "")
    if len(q) > MAX_Q:
        raise PageError(400, f"The search text is too long (at most {MAX_Q} characters).")
    if any(unicodedata.category(c) == "Cc" for c in q):
        raise PageError(400, "The search text contains control characters.")
    type_local = request.args.get("type") or None
    type_iri = None
    if type_local:
        s = site()
        t = s.iris.term_iri(type_local)
        if t is None or str(t) not in s.classes:
            raise PageError(400, "Unknown type filter.")
        type_iri = str(t)
    return q, type_iri


def search() -> Response:
    offers = [("text/html", "html"), ("application/json", "json")]
    if request.args.get("format") == "json" or best_offer(request.headers.get("Accept"), offers) == "json":
        return search_json()
    q, type_iri = _query()
    s = site()
    hits = find(s, q, type_iri)
    twin = "/search.json?" + request.query_string.decode("latin-1") if request.query_string else "/search.json"
    return render("search.html", q=q, search_q=q, hits=hits[:LIMIT], total=len(hits), type_iri=type_iri,
                  alternates=[(twin, "application/json", "JSON")])


def search_json() -> Response:
    q, type_iri = _query()
    s = site()
    lang_ = lang()
    hits = find(s, q, type_iri)
    return jsonify({
        "q": q,
        "total": len(hits),
        "results": [{
            "iri": h.iri,
            "page": s.page_url(h.iri),
            "label": {"zh": s.label_in(h.iri, "zh"), "en": s.label_in(h.iri, "en")},
            "display": s.label(h.iri, lang_),
            "matched": h.matched,
            "types": [{"iri": t, "label": s.label(t, lang_)} for t in s.types.get(h.iri, [])],
        } for h in hits[:LIMIT]],
    })
