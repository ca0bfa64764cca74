"""Shortening quotes for links and table cells without cutting a number: "…同比增长9…" would misquote 9%."""

from __future__ import annotations

# characters that belong to a number as the report writes it: digits, decimal points, signs, per cent, and the
# Chinese magnitude and unit characters that follow a number directly (2529亿元, 5.08万人, 6.5倍)
_NUMBER_PART = set("0123456789.,%％．") | set("万亿千百十元美倍人户家个项年月日次位")


def cut(text: str, length: int, end: str = "…") -> str:
    """The text cut to about `length` characters with an ellipsis, moving the cut past any number it would split."""
    if len(text) <= length:
        return text
    i = length
    while i < len(text) and (text[i - 1].isdigit() or text[i - 1] in _NUMBER_PART) and text[i] in _NUMBER_PART:
        i += 1
    if i >= len(text):
        return text
    return text[:i].rstrip() + end
