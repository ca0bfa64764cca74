"""Sorting names the way Chinese readers expect: by pinyin (then tone, then the characters), not by code point.
Latin text sorts among it by its letters, case-insensitively. pypinyin (PyPI) gives the readings."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from pypinyin import Style, lazy_pinyin


@lru_cache(maxsize=20000)
def key(text: str) -> tuple[str, str]:
    """A sort key: ("da4 lian2 shi4", "大连市") for 大连市, ("dalian", "Dalian") for Dalian."""
    norm = unicodedata.normalize("NFKC", text).strip().strip("“”\"'《》「」（）()")
    reading = " ".join(lazy_pinyin(norm, style=Style.TONE3, neutral_tone_with_five=True))
    return (reading.casefold(), norm)


def sort(items, name=lambda x: x):
    return sorted(items, key=lambda x: key(name(x)))
