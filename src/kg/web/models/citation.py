"""How to cite a figure, a passage or an entity: its permalink (the dataset IRI, which dereferences), the verbatim
quote it was derived from, an English rendering of the quote when the data give one (marked as a translation, never
as the report's words), the publication as the report entity states it (title, date, language) and the date the
reader accessed it. As plain text (in the page's language), BibTeX and CSL-JSON (what reference managers import).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from kg.web.dataset_index import Site
from kg.web.dataset_index.passages import Passage
from kg.web.i18n import translate

PUBLISHER = "Jinpu KG"  # the dataset's own name, as the citing item's container


@dataclass
class Citation:
    name: str  # the entity's local name (jinpu, obs-gdp-2021, p-...)
    iri: str  # the permalink: the dataset IRI, which dereferences to the page or the data
    title: str  # the entity's name in the citing language
    title_zh: str | None
    title_en: str | None
    quote: str | None  # verbatim, Chinese
    translation: str | None  # an English rendering, when the data give one
    passage: Passage | None
    report_title_zh: str | None
    report_title_en: str | None
    published: str | None  # as the report entity states it: "2022-01"
    report_language: str | None
    accessed: date
    lang: str

    @property
    def english_title_note(self) -> str | None:
        """The report's English title, shown beside the Chinese one on English pages only."""
        return self.report_title_en if self.lang == "en" and self.report_title_zh else None

    # ---- formats ---------------------------------------------------------------------------------------------------

    def plain(self) -> str:
        """One paragraph, in the page's language (Chinese with full-width punctuation)."""
        if self.lang == "zh":
            parts = [f"{self.title}。"]
            if self.quote:
                parts.append(f"“{self.quote}”。")
            report = self.report_title_zh or self.report_title_en
            if report:
                parts.append(f"见：{report}" + (f"，{self.published}" if self.published else "") + "。")
            parts.append(f"{translate('Jinpu KG', 'zh')}，{self.iri}。访问于{self.accessed.isoformat()}。")
            return "".join(parts)
        parts = [f"{self.title}."]
        if self.quote:
            quoted = f"“{self.quote}”"
            if self.translation:
                quoted += f" (English translation, not the report’s words: “{self.translation}”)"
            parts.append(quoted + ".")
        report = self.report_title_zh or self.report_title_en
        if report:
            if self.report_title_zh and self.report_title_en:
                report += f" [{self.report_title_en}]"
            parts.append(f"In: {report}" + (f", {self.published}" if self.published else "") + ".")
        parts.append(f"Jinpu KG, {self.iri}. Accessed {self.accessed.isoformat()}.")
        return " ".join(parts)

    def bibtex(self) -> str:
        key = "jinpukg-" + re.sub(r"[^A-Za-z0-9-]", "-", self.name)
        fields = [
            ("title", self.title_en or self.title),
            ("author", "{Jinpu KG}"),
            ("howpublished", f"\\url{{{self.iri}}}"),
            ("url", self.iri),
            ("urldate", self.accessed.isoformat()),
            ("year", (self.published or "")[:4] or None),
            ("language", "chinese" if self.quote else None),
        ]
        notes = []
        if self.quote:
            notes.append(f"Quote: {self.quote}")
        if self.translation:
            notes.append(f"English translation (not the report's words): {self.translation}")
        source = self.report_title_zh or self.report_title_en
        if source:
            notes.append(
                "Source: "
                + source
                + (f" [{self.report_title_en}]" if self.report_title_en and self.report_title_zh else "")
                + (f", {self.published}" if self.published else "")
            )
        if notes:
            fields.append(("note", ". ".join(notes)))
        body = ",\n".join(
            f"  {k} = {{{_bibtex_escape(v) if k not in ('author', 'howpublished', 'url') else v}}}"
            for k, v in fields
            if v
        )
        return f"@misc{{{key},\n{body}\n}}\n"

    def csl(self) -> list[dict]:
        """CSL-JSON: the item cited (the dataset entry) and the report it quotes."""
        accessed = {"date-parts": [[self.accessed.year, self.accessed.month, self.accessed.day]]}
        item: dict = {
            "id": f"jinpukg-{self.name}",
            "type": "dataset",
            "title": self.title_en or self.title,
            "publisher": PUBLISHER,
            "URL": self.iri,
            "accessed": accessed,
        }
        if self.title_zh:
            item["original-title"] = self.title_zh
        if self.quote:
            item["note"] = self.quote + (
                f"\nEnglish translation (not the report's words): {self.translation}" if self.translation else ""
            )
        items = [item]
        if self.report_title_zh or self.report_title_en:
            report: dict = {
                "id": "jinpukg-report",
                "type": "article-newspaper",
                "title": self.report_title_zh or self.report_title_en,
                "language": self.report_language or "zh",
            }
            if self.report_title_en and self.report_title_zh:
                report["note"] = "English title: " + self.report_title_en
            issued = _date_parts(self.published)
            if issued:
                report["issued"] = {"date-parts": [issued]}
            item["references"] = report["id"]
            items.append(report)
        return items

    def csl_json(self) -> str:
        return json.dumps(self.csl(), ensure_ascii=False, indent=2) + "\n"


def _bibtex_escape(text: str) -> str:
    return re.sub(r"([{}&%$#_])", r"\\\1", str(text))


def _date_parts(value: str | None) -> list[int] | None:
    if not value:
        return None
    m = re.match(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", value)
    if not m:
        return None
    return [int(x) for x in m.groups() if x]


def today() -> date:
    """The accessed date of a citation (UTC)."""
    return datetime.now(UTC).date()


def citation(s: Site, iri: str, lang: str, accessed: date) -> Citation:
    passage = s.passages.get(iri)
    if passage is None:
        sources = s.passages.sources(iri)
        passage = sources[0] if sources else None
    quote, translation = (passage.exact, passage.translation) if passage else (None, None)
    figure = s.figures.get(iri)
    if figure is not None and figure.quote:  # a figure cites all its passages, so that the quote holds its number
        quote = figure.quote
        fragments = sorted((s.passages[p] for p in figure.passages if p in s.passages), key=lambda p: p.start)
        translation = " … ".join(p.translation for p in fragments if p.translation) or None
    report = s.report.iri
    report_facts = s.report.facts
    name = s.iris.name(iri) or iri.rsplit("/", 1)[-1]
    return Citation(
        name=name,
        iri=iri,
        title=s.names.label(iri, lang),
        title_zh=s.names.label_in(iri, "zh") if iri not in s.passages else None,
        title_en=s.names.label_in(iri, "en") if iri not in s.passages else None,
        quote=quote,
        translation=translation,
        passage=passage,
        report_title_zh=s.names.label_in(report, "zh") if report else None,
        report_title_en=s.names.label_in(report, "en") if report else None,
        published=report_facts.get("published"),
        report_language=report_facts.get("language"),
        accessed=accessed,
        lang=lang,
    )
