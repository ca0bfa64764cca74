"""Search: /search?q= (HTML) and /search.json?q= (JSON), over the names of everything (Chinese and English labels,
alternative labels), the figures as the report writes them ("2529", "2529亿元", "45%") and the verbatim quotes things
were derived from, with their English translations. Several words must all match, each anywhere (so "jinpu gdp"
finds "Jinpu New District GDP, 2021" and "share dalian" the district's shares of Dalian); case, full-width and
half-width forms are ignored.

Ranking: a name that is the query beats a name that starts with it, which beats one that contains it, which beats a
figure's value, which beats a quote that mentions it; then the kind of thing (an indicator or a place before the
figures and plans that mention it) and shorter names first. A query that is an indicator's own name (or its
abbreviation) puts the indicator's headline figure first, the report district's latest level of it: "GDP" finds the
2021 GDP figure, then the GDP indicator.

Beside the things, every sentence of the report is searched (Chinese by characters, English through the translations
of the passages it holds), each hit linking to the sentence in the report reader (/report#s-12) with the words
marked. /search/suggest.json?q= gives the names that complete what is being typed, in both languages.

The search runs over tables the pages already hold, so the user's text never goes into a SPARQL query.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from flask import Response, jsonify, request

from kg.rdf.formats import best_offer
from kg.web.dataset_index import Site, site
from kg.web.pages.report import Sentence, sentences
from kg.web.rendering import PageError, lang, render

MAX_Q = 200
MAX_WORDS = 12
LIMIT = 200
REPORT_LIMIT = 50
SUGGEST_LIMIT = 8

# what a word matched in, and what that is worth
NAME_EXACT, NAME_PREFIX, NAME_WORD, NAME_ANY, VALUE, CONTEXT, QUOTE = 100, 70, 55, 40, 45, 12, 8
# the kind of thing, to break ties: things named by the report before the figures and plans mentioning them
PRIOR = {
    "Indicator": 6,
    "District": 6,
    "City": 5,
    "Province": 5,
    "Country": 4,
    "Industry": 4,
    "IndustryGroup": 4,
    "Enterprise": 4,
    "Organization": 3,
    "Project": 3,
    "Park": 3,
    "Platform": 3,
    "Place": 3,
    "Observation": 1,
    "PlannedAction": 0,
    "Plan": 0,
}


@dataclass
class Doc:
    iri: str
    names: list[tuple[str, str, str]] = field(default_factory=list)  # (normalized, text, language)
    values: list[tuple[str, str]] = field(default_factory=list)  # (normalized, text): figures as written
    context: list[tuple[str, str]] = field(default_factory=list)  # names of a figure's indicator and area
    quotes: list[tuple[str, str]] = field(default_factory=list)  # (normalized, text) of its source passages
    prior: int = 2


@dataclass
class Hit:
    iri: str
    matched: str
    matched_lang: str
    rank: tuple
    field: str = "name"  # name, value, quote


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().strip()


def words(q: str) -> list[str]:
    return [w for w in normalize(q).split() if w][:MAX_WORDS]


def _index(s: Site) -> list[Doc]:
    return s.memo("search_docs", lambda: _read_index(s))


def _read_index(s: Site) -> list[Doc]:
    passage_type = s.iris.def_ns + "Passage"
    docs: dict[str, Doc] = {}

    def doc(iri: str) -> Doc:
        d = docs.get(iri)
        if d is None:
            d = docs[iri] = Doc(iri)
            local = [s.iris.local(t) for t in s.names.types.get(iri, [])]
            d.prior = max([PRIOR.get(x or "", 2) for x in local] or [2])
        return d

    skip = {iri for iri, types in s.names.types.items() if passage_type in types}
    for iri, names in s.names.labels.items():
        if iri in skip or s.iris.fragment_owner(iri):
            continue
        for lang_, text in names.items():
            doc(iri).names.append((normalize(text), text, lang_))
    for iri, alts in s.names.alt_labels.items():
        if iri in skip or iri not in docs:
            continue
        for a in alts:
            docs[iri].names.append((normalize(str(a)), str(a), a.language or ""))
    for fig in s.figures.values():
        d = doc(fig.iri)
        written = fig.written or ""
        unit = fig.unit or ""
        for text in {written, f"{written}{unit}", f"{written} {unit}".strip()}:
            if text:
                d.values.append((normalize(text), text))
        for other in (fig.indicator, fig.area, fig.parent_area):
            for text in (s.names.labels.get(other or "") or {}).values():
                d.context.append((normalize(text), text))
    for iri, d in docs.items():
        for passage in s.passages.sources(iri):
            d.quotes.append((normalize(passage.exact), passage.exact))
            if passage.translation:  # English words find Chinese quotes through their translation
                d.quotes.append((normalize(passage.translation), passage.translation))
    return list(docs.values())


def warm(s: Site) -> None:
    find(s, "warm")


def _word_score(d: Doc, w: str, whole: str) -> tuple[int, str, str, str]:
    """(score, matched text, its language, field) of the best place the word occurs in the document; score 0: none."""
    best = (0, "", "", "")
    for norm, text, lang_ in d.names:
        pos = norm.find(w)
        if pos < 0:
            continue
        if norm == whole or norm == w:
            score = NAME_EXACT
        elif f"({w})" in norm or f"（{w}）" in norm:  # the name's own abbreviation: "Gross regional product (GDP)"
            score = NAME_EXACT - 10
        elif pos == 0:
            score = NAME_PREFIX
        elif not norm[pos - 1].isalnum() or not norm[pos - 1].isascii():
            score = NAME_WORD
        else:
            score = NAME_ANY
        score -= min(len(norm) // 12, 10)  # the shorter the name, the more of it the word is
        if score > best[0]:
            best = (score, text, lang_, "name")
    for norm, text in d.values:
        if norm == w or norm == whole:
            if VALUE > best[0]:
                best = (VALUE, text, "zh", "value")
        elif norm.startswith(w) and w[:1].isdigit() and len(w) >= 2 and VALUE - 5 > best[0]:
            best = (VALUE - 5, text, "zh", "value")
    if best[0]:
        return best
    for norm, text in d.context:
        if w in norm:
            return (CONTEXT, text, "", "name")
    for norm, text in d.quotes:
        if w in norm:
            return (QUOTE, text, "zh", "quote")
    return best


def find(s: Site, q: str, type_iri: str | None = None) -> list[Hit]:
    ws = words(q)
    if not ws:
        return []
    whole = " ".join(ws)
    hits = []
    for d in _index(s):
        if type_iri and type_iri not in s.names.types.get(d.iri, []):
            continue
        total, matched, matched_lang, where = 0, "", "", ""
        for w in ws:
            score, text, lang_, fld = _word_score(d, w, whole)
            if not score:
                break
            total += score
            if not matched or fld == "name" and where != "name":
                matched, matched_lang, where = text, lang_, fld
        else:
            if any(norm == whole for norm, _t, _l in d.names):
                total += NAME_EXACT  # the query is this thing's name
            shortest = min((len(n) for n, _t, _l in d.names), default=99)
            total += 3 * d.prior
            hits.append(Hit(d.iri, matched, matched_lang, (-total, -d.prior, shortest, d.iri), where))
    return _headlines_first(s, sorted(hits, key=lambda h: h.rank), whole)


def _names_it(d: Doc, whole: str) -> bool:
    return any(n == whole or f"({whole})" in n or f"（{whole}）" in n for n, _t, _l in d.names)


def headline_figure(s: Site, indicator: str) -> str | None:
    """An indicator's headline figure: the report district's level of it, for the latest period, as reported."""
    level = s.iris.def_ns + "Level"
    figures = [
        f
        for f in s.figures.values()
        if f.indicator == indicator and f.kind == level and f.area == s.report.district
        if not (f.planned or f.about or f.parent_area)
    ]
    return max(figures, key=lambda f: f.period or "").iri if figures else None


def _headlines_first(s: Site, hits: list[Hit], whole: str) -> list[Hit]:
    """The headline figure of an indicator the query names goes just before the indicator."""
    docs = {d.iri: d for d in _index(s)}
    indicator_type = s.iris.def_ns + "Indicator"
    for h in list(hits[:5]):
        if indicator_type not in s.names.types.get(h.iri, []) or not _names_it(docs[h.iri], whole):
            continue
        figure = headline_figure(s, h.iri)
        if figure is None:
            continue
        hits = [x for x in hits if x.iri != figure]
        label = s.names.label(figure, "en")
        hits.append(Hit(figure, label, "en", (h.rank[0] - 1, *h.rank[1:]), "name"))
    return sorted(hits, key=lambda h: h.rank)


@dataclass
class SentenceHit:
    sentence: Sentence
    marked: list[tuple[str, bool]]  # the sentence in pieces, True where a word matched
    translations: list[list[tuple[str, bool]]]  # the translations that matched, marked


def _folded(text: str) -> str:
    """The text normalized like the query, one character for one, so positions in it are positions in the text."""
    out = []
    for c in text:
        n = normalize(c)
        out.append(n if len(n) == 1 else c.casefold()[:1] or c)
    return "".join(out)


def mark(text: str, ws: list[str]) -> list[tuple[str, bool]]:
    """The text in pieces, the ones the words match flagged True."""
    folded, hit = _folded(text), [False] * len(text)
    for w in ws:
        pos = folded.find(w)
        while pos >= 0:
            hit[pos : pos + len(w)] = [True] * len(w)
            pos = folded.find(w, pos + len(w))
    pieces: list[tuple[str, bool]] = []
    for c, flag in zip(text, hit, strict=True):
        if pieces and pieces[-1][1] == flag:
            pieces[-1] = (pieces[-1][0] + c, flag)
        else:
            pieces.append((c, flag))
    return pieces


def find_sentences(s: Site, q: str) -> list[SentenceHit]:
    """The report's sentences holding every word, in Chinese or in the English of their passages (text order)."""
    ws = words(q)
    if not ws:
        return []
    hits = []
    for x in sentences(s):
        zh, en = _folded(x.text), [_folded(t) for t in x.translations]
        if all(w in zh or any(w in e for e in en) for w in ws):
            english = [mark(t, ws) for t, e in zip(x.translations, en, strict=True) if any(w in e for w in ws)]
            hits.append(SentenceHit(x, mark(x.text, ws), english))
    return hits


def suggest_json() -> Response:
    """GET /search/suggest.json?q=: names (Chinese and English) of the best matches, for the search box."""
    q, _type = _query()
    s = site()
    out, seen = [], set()
    for h in find(s, q):
        if h.field != "name" or not h.matched or h.matched in seen:
            continue
        seen.add(h.matched)
        out.append({"label": h.matched, "lang": h.matched_lang, "page": s.urls.page(h.iri), "iri": h.iri})
        if len(out) == SUGGEST_LIMIT:
            break
    return jsonify({"q": q, "suggestions": out})


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
        if t is None or str(t) not in s.ontology.classes:
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
    in_report = [] if type_iri else find_sentences(s, q)
    twin = "/search.json?" + request.query_string.decode("latin-1") if request.query_string else "/search.json"
    return render(
        "search.html",
        q=q,
        search_q=q,
        hits=hits[:LIMIT],
        total=len(hits),
        in_report=in_report[:REPORT_LIMIT],
        report_total=len(in_report),
        type_iri=type_iri,
        alternates=[(twin, "application/json", "JSON")],
    )


def search_json() -> Response:
    q, type_iri = _query()
    s = site()
    lang_ = lang()
    hits = find(s, q, type_iri)
    return jsonify(
        {
            "q": q,
            "total": len(hits),
            "results": [
                {
                    "iri": h.iri,
                    "page": s.urls.page(h.iri),
                    "label": {"zh": s.names.label_in(h.iri, "zh"), "en": s.names.label_in(h.iri, "en")},
                    "display": s.names.label(h.iri, lang_),
                    "matched": h.matched,
                    "matched_in": h.field,
                    "types": [{"iri": t, "label": s.names.label(t, lang_)} for t in s.names.types.get(h.iri, [])],
                }
                for h in hits[:LIMIT]
            ],
            "report": [
                {"anchor": f"/report#{x.name}", "text": x.text, "translations": x.translations}
                for x in (h.sentence for h in ([] if type_iri else find_sentences(s, q)[:REPORT_LIMIT]))
            ],
        }
    )
