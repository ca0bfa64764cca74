"""Example queries: SPARQL files in examples/ with a title and a description in comment header lines.

    # title: The five leading industries and their output
    # title-zh: 五大主导产业及其产值
    # description: Which industries the report names as the five leading ones ...
    # description-zh: ...

The files are written against the default dataset base (https://w3id.org/jinpu-kg/) so they run as they are on
the published data; loading them here rewrites that base to the configured one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from kg.config import DEFAULT_BASE_IRI

QUERY_DIR = Path(__file__).parent / "examples"
_HEADER = re.compile(r"^#\s*(title|title-zh|description|description-zh)\s*:\s*(.*?)\s*$")


@dataclass(frozen=True)
class CannedQuery:
    name: str
    title: str
    title_zh: str
    description: str
    description_zh: str
    text: str

    def title_in(self, lang: str) -> str:
        return self.title_zh if lang == "zh" and self.title_zh else self.title

    def description_in(self, lang: str) -> str:
        return self.description_zh if lang == "zh" and self.description_zh else self.description


def parse(name: str, text: str, base_iri: str = DEFAULT_BASE_IRI) -> CannedQuery:
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        m = _HEADER.match(line)
        if m:
            fields[m.group(1)] = m.group(2)
    if "title" not in fields:
        raise ValueError(f"{name}.rq has no '# title:' header line")
    if base_iri != DEFAULT_BASE_IRI:
        text = text.replace(DEFAULT_BASE_IRI, base_iri)
    return CannedQuery(
        name,
        fields["title"],
        fields.get("title-zh", ""),
        fields.get("description", ""),
        fields.get("description-zh", ""),
        text,
    )


@lru_cache(maxsize=8)
def load_all(base_iri: str = DEFAULT_BASE_IRI) -> tuple[CannedQuery, ...]:
    """Every canned query, in file-name order (files are numbered to set the order)."""
    out = []
    for path in sorted(QUERY_DIR.glob("*.rq")):
        out.append(parse(path.stem, path.read_text(encoding="utf-8"), base_iri))
    return tuple(out)


def by_name(name: str, base_iri: str = DEFAULT_BASE_IRI) -> CannedQuery | None:
    return next((q for q in load_all(base_iri) if q.name == name), None)
