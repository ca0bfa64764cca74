"""Marking the language of mixed fragments: on an English page every run of Chinese text (a label that exists only in
Chinese, a figure as the report writes it, 2529亿元, a word quoted in a sentence, 约) is wrapped in <span lang="zh">,
so screen readers switch voice and browsers pick the right fonts. Done once on the rendered page, outside the
elements where markup cannot go (script, style, textarea, title, and the pictures: svg) and outside tags
and their attributes."""

from __future__ import annotations

import re

_RAW = re.compile(r"(<(script|style|textarea|title|template|svg)\b.*?</\2>|<!--.*?-->)", re.DOTALL | re.IGNORECASE)
_TAG = re.compile(r"(<[^>]*>)")
_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef\u201c\u201d\u2018\u2019"
# a Chinese run, with the digits, signs and punctuation that belong to it (2529亿元, “云眼”, 第二位)
_RUN = re.compile(rf"[0-9.,%+\-]*[\u3400-\u4dbf\u4e00-\u9fff][{_CJK}0-9.,%]*")


def mark_chinese(html: str) -> str:
    out = []
    for i, chunk in enumerate(_RAW.split(html)):
        if chunk is None:
            continue
        if i % 3 == 1:  # a raw element: as it is
            out.append(chunk)
            continue
        if i % 3 == 2:  # the captured tag name of the raw element
            continue
        out.append(_mark(chunk))
    return "".join(out)


_LANG = re.compile(r'\blang="([^"]*)"')
_VOID = re.compile(r"<(br|img|input|meta|link|hr|source|wbr|col)\b", re.IGNORECASE)


def _mark(html: str) -> str:
    langs = ["en"]  # the language in force inside each open element, the page's own at the bottom
    out = []
    for part in _TAG.split(html):
        if part.startswith("<"):
            out.append(part)
            if part.startswith("</"):
                if len(langs) > 1:
                    langs.pop()
            elif not part.endswith("/>") and not _VOID.match(part) and not part.startswith("<!"):
                m = _LANG.search(part)
                langs.append(m.group(1) if m else langs[-1])
        elif langs[-1].startswith("zh") or not _RUN.search(part):
            out.append(part)
        else:
            out.append(_RUN.sub(_wrap, part))
    return "".join(out)


def _wrap(m: re.Match) -> str:
    text = m.group(0)
    core = text.rstrip(".,")
    return f'<span lang="zh">{core}</span>{text[len(core) :]}'
