"""The report reader (/report): the source text as it stands, each passage that produced a fact highlighted by its
character offsets (jp:startOffset / jp:endOffset) and linked to what it produced. /report#<passage name> jumps to a
passage; entity pages link there. Every sentence has an anchor of its own too (/report#s-12, numbered in text
order), so search can land on a sentence that carries no fact. /report.json lists the passages with their offsets
and products."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise

from flask import Response, jsonify, render_template
from markupsafe import Markup

from kg.artifacts import SOURCE, BuildArtifacts
from kg.web.dataset_index import Site, site
from kg.web.dataset_index.passages import Passage
from kg.web.rendering import context, lang, render


@dataclass
class Segment:
    text: str
    passages: list[Passage] = field(default_factory=list)  # covering passages, shortest first
    anchors: list[str] = field(default_factory=list)  # names of passages (and the sentence) that start here


@dataclass
class Block:
    tag: str  # h2, h3, p
    segments: list[Segment]
    notes: list[Passage]


def read_source(s: Site) -> str:
    """The source text the offsets count in (the build's copy, else the project's)."""
    text = BuildArtifacts(s.settings.build_dir).text(SOURCE)
    if text is None:
        try:
            text = s.settings.source_file.read_text(encoding="utf-8")
        except OSError:
            text = ""
    return text


# a sentence ends at 。！？ or at the ； between clauses (and a closing quote after it), or at the end of its line
SENTENCE = re.compile(r"[^。！？!?；\n]+[。！？!?；]?[”’」』]?")


@dataclass
class Sentence:
    name: str  # its anchor in the reader: s-1, s-2 ...
    start: int
    end: int
    text: str
    translations: list[str]  # the English of the passages it holds or overlaps


def sentences(s: Site) -> list[Sentence]:
    """Every sentence of the source text with its offsets and the translations of the passages it overlaps."""
    return s.memo("report_sentences", lambda: _sentences(s))


def _sentences(s: Site) -> list[Sentence]:
    text = read_source(s)
    passages = sorted(s.passages.values(), key=lambda p: p.start)
    out: list[Sentence] = []
    for m in SENTENCE.finditer(text):
        raw = m.group()
        lead = len(raw) - len(raw.lstrip("# \t*"))
        body = raw[lead:].rstrip()
        if not body.strip("* "):
            continue
        start = m.start() + lead
        end = start + len(body)
        english = [p.translation for p in passages if p.start < end and p.end > start and p.translation]
        out.append(Sentence(f"s-{len(out) + 1}", start, end, body.replace("**", ""), list(dict.fromkeys(english))))
    return out


def blocks(s: Site) -> list[Block]:
    """The report as blocks of segments, each passage's span marked (once per data version)."""
    return s.memo("report_blocks", lambda: _blocks(s))


def warm(s: Site) -> None:
    blocks(s)


def _blocks(s: Site) -> list[Block]:
    text = read_source(s)
    passages = sorted(s.passages.values(), key=lambda p: (p.start, -p.end))
    starts = {x.start: x.name for x in sentences(s)}
    out: list[Block] = []
    pos = 0
    # The passages that overlap the current line, in the order above: lines come in text order, so a passage joins
    # when a line reaches its start and leaves after the last line it reaches (one pass over lines and passages).
    active: list = []
    upcoming = 0
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
        while upcoming < len(passages) and passages[upcoming].start < hi:
            active.append(passages[upcoming])
            upcoming += 1
        active = [p for p in active if p.end > lo]
        inside = list(active)
        cuts = sorted(
            {lo, hi}
            | {max(lo, min(hi, p.start)) for p in inside}
            | {max(lo, min(hi, p.end)) for p in inside}
            | {x for x in starts if lo <= x < hi}
        )
        segments = []
        for a, b in pairwise(cuts):
            if a >= b:
                continue
            covering = sorted((p for p in inside if p.start <= a and p.end >= b), key=lambda p: p.end - p.start)
            anchors = ([starts[a]] if a in starts else []) + [p.name for p in inside if p.start == a]
            segments.append(Segment(text[a:b], covering, anchors))
        out.append(Block(tag, segments, [p for p in inside if lo <= p.start < hi]))
    return out


def report() -> Response:
    s = site()
    body = s.memo(
        ("report_html", lang()),
        lambda: Markup(
            render_template("_report_body.html", blocks=blocks(s), produced=s.passages.derived, **context())
        ),
    )
    return render(
        "report.html",
        body=body,
        passage_count=len(s.passages),
        alternates=[
            ("/source/jinpu-2021-report.txt", "text/plain", "Source text"),
            ("/report.json", "application/json", "JSON"),
        ],
    )


def report_json() -> Response:
    s = site()
    lang_ = lang()
    return jsonify(
        {
            "source": "/source/jinpu-2021-report.txt",
            "passages": [
                {
                    "iri": p.iri,
                    "anchor": f"/report#{p.name}",
                    "exact": p.exact,
                    "translation": p.translation,
                    "start": p.start,
                    "end": p.end,
                    "section": p.section,
                    "produced": [
                        {"iri": t, "label": s.names.label(t, lang_), "page": s.urls.page(t)}
                        for t in s.passages.derived.get(p.iri, [])
                    ],
                }
                for p in sorted(s.passages.values(), key=lambda p: p.start)
            ],
        }
    )
