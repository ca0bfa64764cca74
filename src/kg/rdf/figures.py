"""How the report writes a figure: the words that qualify its number, the phrase a quote must hold for it, and the
quote of a figure whose sentence the page layout cut into fragments. Pure functions, shared by the build's checks
and the pages, so that what is checked is what is shown."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QualifierWord:
    written: str  # as the report writes it: 约, 突破, 余, 以上 ...
    qualifier: str  # the local name of the jp:Qualifier it says: About, MoreThan, Nearly, WithinTop
    position: str  # where it stands: "before" the number, "after-number" (30余家) or "after-unit" (50%以上)


QUALIFIER_WORDS = {
    w.written: w
    for w in (
        QualifierWord("约", "About", "before"),
        QualifierWord("左右", "About", "after-unit"),
        QualifierWord("超", "MoreThan", "before"),
        QualifierWord("超过", "MoreThan", "before"),
        QualifierWord("突破", "MoreThan", "before"),
        QualifierWord("余", "MoreThan", "after-number"),
        QualifierWord("多", "MoreThan", "after-number"),
        QualifierWord("以上", "MoreThan", "after-unit"),
        QualifierWord("近", "Nearly", "before"),
        QualifierWord("前", "WithinTop", "before"),
    )
}


def phrase_as_written(written: str, unit: str | None, qualifier_written: str | None = None) -> str:
    """The figure as the report writes it: ('565', '亿元', '约') -> '约565亿元'; ('30', '家', '余') -> '30余家';
    ('50', '%', '以上') -> '50%以上'; ('10', '位', '前') -> '前10位'. An unknown qualifier word raises KeyError."""
    unit = unit or ""
    if not qualifier_written:
        return written + unit
    word = QUALIFIER_WORDS[qualifier_written]
    if word.position == "before":
        return word.written + written + unit
    if word.position == "after-number":
        return written + word.written + unit
    return written + unit + word.written


def join_fragments(spans: list[tuple[int, int]], text: str) -> str:
    """The quote of several fragments of `text` (start, end offsets), in source order: fragments that only a line
    break of the layout separates are one run of words and are joined directly; where words are left out between
    two fragments, an ellipsis stands for them. Overlapping or repeated spans count once."""
    out, last_end = "", None
    for start, end in sorted(set(spans)):
        if last_end is not None and start < last_end:
            start = last_end
            if start >= end:
                continue
        if last_end is not None:
            out += "" if not text[last_end:start].strip() else "…"
        out += text[start:end]
        last_end = end
    return out
