"""Shortening quotes for links and table cells without cutting a number: "…同比增长9…" would misquote 9%."""

from __future__ import annotations

# characters that belong to a number as the report writes it: digits, decimal points, signs, per cent, and the
# Chinese magnitude and unit characters that follow a number directly (2529亿元, 5.08万人, 6.5倍)
_NUMBER_PART = set("0123456789.,%％．") | set("万亿千百十元美倍人户家个项年月日次位")


def cut(text: str, length: int, end: str = "…") -> str:
    """The text cut to about `length` characters with an ellipsis, moving the cut past any number it would split."""
    if len(text) <= length:
        return text
    i = _past_number(text, length)
    if i >= len(text):
        return text
    return text[:i].rstrip() + end


def _past_number(text: str, i: int) -> int:
    """The cut at i moved past any number it would split."""
    while i < len(text) and (text[i - 1].isdigit() or text[i - 1] in _NUMBER_PART) and text[i] in _NUMBER_PART:
        i += 1
    return i


def around(text: str, phrase: str, length: int) -> str:
    """About `length` characters of the text that hold the phrase (a figure as written), with an ellipsis where
    the text goes on; the phrase is never cut. Without the phrase in the text, the text's start, as cut() gives it."""
    at = text.find(phrase) if phrase else -1
    if at < 0 or len(text) <= length:
        return cut(text, length)
    end = _past_number(text, max(at + len(phrase), min(len(text), length)))
    start = max(0, min(at, end - length))
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
