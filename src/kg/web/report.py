"""The report reader (/report): the source text as it stands, each passage that produced a fact highlighted by its
character offsets (jp:startOffset / jp:endOffset) and linked to what it produced. /report#<passage name> jumps to a
passage; entity pages link there. /report.json lists the passages with their offsets and products."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

from flask import Response, jsonify, render_template
from markupsafe import Markup

from kg.web.pages import context, lang, render
from kg.web.site import Passage, Site, site


@dataclass
class Segment:
    text: str
    passages: list[Passage] = field(default_factory=list)  # covering passages, shortest first
    anchors: list[str] = field(default_factory=list)  # names of passages that start here


@dataclass
class Block:
    tag: str  # h2, h3, p
    segments: list[Segment]
    notes: list[Passage]


def read_source(s: Site) -> str:
    """The source text the offsets count in (the build's copy, else the project's)."""
    for path in (s.settings.build_dir / "source.txt", s.settings.source_file):
        try:
            return path.read_text(encoding="utf-8")
        except OSError:
            continue
    return ""


def blocks(s: Site) -> list[Block]:
    cached = s.__dict__.get("_report_blocks")
    if cached is not None:
        return cached
    text = read_source(s)
    passages = sorted(s.passages.values(), key=lambda p: (p.start, -p.end))
    out: list[Block] = []
    pos = 0
    for line in text.splitlines(keepends=True):
        start, body = pos, line.rstrip("\r\n")
        pos += len(line)
        if not body.strip():
            continue
        tag, skip = "p", 0
        if body.startswith("#"):
            hashes = len(body) - len(body.lstrip("#"))
            tag = "h2" if hashes <= 2 else "h3"
            skip = hashes + (len(body[hashes:]) - len(body[hashes:].lstrip()))
        lo, hi = start + skip, start + len(body)
        inside = [p for p in passages if p.start < hi and p.end > lo]
        cuts = sorted({lo, hi} | {max(lo, min(hi, p.start)) for p in inside}
                      | {max(lo, min(hi, p.end)) for p in inside})
        segments = []
        for a, b in pairwise(cuts):
            if a >= b:
                continue
            covering = sorted((p for p in inside if p.start <= a and p.end >= b), key=lambda p: p.end - p.start)
            anchors = [p.name for p in inside if p.start == a]
            segments.append(Segment(text[a:b], covering, anchors))
        out.append(Block(tag, segments, [p for p in inside if lo <= p.start < hi]))
    s.__dict__["_report_blocks"] = out
    return out


def report() -> Response:
    s = site()
    cache = s.__dict__.setdefault("_report_html", {})
    body = cache.get(lang())
    if body is None:
        body = cache[lang()] = Markup(render_template("_report_body.html", blocks=blocks(s), produced=s.derived,
                                                      **context()))
    return render("report.html", body=body, passage_count=len(s.passages),
                  alternates=[("/source/jinpu-2021-report.txt", "text/plain", "Source text"),
                              ("/report.json", "application/json", "JSON")])


def report_json() -> Response:
    s = site()
    lang_ = lang()
    return jsonify({
        "source": "/source/jinpu-2021-report.txt",
        "passages": [{
            "iri": p.iri,
            "anchor": f"/report#{p.name}",
            "exact": p.exact,
            "translation": p.translation,
            "start": p.start,
            "end": p.end,
            "section": p.section,
            "produced": [{"iri": t, "label": s.label(t, lang_), "page": s.page_url(t)}
                         for t in s.derived.get(p.iri, [])],
        } for p in sorted(s.passages.values(), key=lambda p: p.start)],
    })
