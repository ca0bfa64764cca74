"""Spreadsheet-ready downloads of tables: CSV in UTF-8 with a byte-order mark (so Excel on Windows reads the Chinese
right), a label column beside every IRI column, and meaningful file names; the figures table also as .xlsx
(openpyxl). The figures table has the columns an analyst needs: the figure and its label, indicator, area, period,
kind, the value and unit as the report writes them, the qualifier (about, more than, nearly, top N: its IRI, its
name, the report's word), the figure as written and in words, the normalized value and unit, what it is a share of,
the quote that states it and a link to it in the report.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

from flask import Response

from kg.web.dataset_index import Site
from kg.web.dataset_index.figures import Figure
from kg.web.html import Formatter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff"

FIGURE_COLUMNS = [
    "figure",
    "figure_label",
    "indicator",
    "indicator_label",
    "area",
    "area_label",
    "period",
    "kind",
    "kind_label",
    "value_as_written",
    "unit_as_written",
    "value",
    "qualifier",
    "qualifier_label",
    "qualifier_as_written",
    "as_written",
    "in_words",
    "normalized_value",
    "normalized_unit",
    "normalized_unit_label",
    "share_of_area",
    "share_of_area_label",
    "planned",
    "quote",
    "source",
]


def has_figure_export(s: Site, cls: str) -> bool:
    return s.iris.local(cls) == "Observation"


def _num(value: object) -> float | int | None:
    if value is None:
        return None
    try:
        d = Decimal(str(value))
    except ArithmeticError:
        return None
    return int(d) if d == d.to_integral_value() and abs(d) < 10**15 else float(d)


def figure_table(s: Site, figures: list[Figure], lang: str, host: str) -> tuple[list[str], list[list]]:
    """One row per figure, the columns of FIGURE_COLUMNS; numbers stay numbers (for the .xlsx)."""

    fmt = Formatter(s, lang)

    def label(iri: str | None) -> str:
        return s.names.label(iri, lang) if iri else ""

    rows = []
    for f in figures:
        passage = next((s.passages[p] for p in f.passages if p in s.passages), None)
        rows.append(
            [
                f.iri,
                label(f.iri),
                f.indicator or "",
                label(f.indicator),
                f.area or "",
                label(f.area),
                f.period or "",
                f.kind or "",
                label(f.kind),
                f.written or "",
                f.unit or "",
                _num(f.value),
                f.qualifier or "",
                label(f.qualifier),
                f.qualifier_written or "",
                fmt.as_written(f),
                fmt.figure_text(f),
                _num(f.norm_value),
                f.norm_unit or "",
                label(f.norm_unit),
                f.parent_area or "",
                label(f.parent_area),
                "yes" if f.planned else "no",
                f.quote or "",
                f"{host}/report#{passage.name}" if passage else "",
            ]
        )
    return FIGURE_COLUMNS, rows


def file_name(s: Site, local: str, args, lang: str) -> str:
    """jinpu-kg-projects, jinpu-kg-figures-jinpu-kind-Share: what the file holds, readable in a downloads folder."""
    names = {
        "Observation": "figures",
        "Project": "projects",
        "Organization": "organizations",
        "Enterprise": "enterprises",
        "Passage": "passages",
    }
    parts = ["jinpu-kg", names.get(local, re.sub(r"(?<!^)(?=[A-Z])", "-", local).lower())]
    if args.get("of"):
        parts.append(args.get("of"))
    for key in sorted(k for k in args if k not in ("sort", "order", "page", "lang", "of")):
        for value in args.getlist(key):
            parts.append(f"{key}-{value}")
    name = "-".join(parts)
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name)[:120].strip("-")


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return format(Decimal(str(v)).normalize(), "f")
    return str(v)


def csv_text(header: list[str], rows: list[list]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return BOM + buf.getvalue()


def csv_response(header: list[str], rows: list[list], filename: str) -> Response:
    resp = Response(csv_text(header, rows).encode("utf-8"), mimetype="text/csv")
    resp.charset = "utf-8"
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return resp


def xlsx_bytes(header: list[str], rows: list[list], sheet: str = "Figures") -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = sheet[:31]
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([v if v is not None else None for v in row])
    ws.freeze_panes = "A2"
    for i, name in enumerate(header, 1):
        width = 48 if name in ("quote", "figure_label", "indicator_label") else 16
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def xlsx_response(header: list[str], rows: list[list], filename: str, sheet: str = "Figures") -> Response:
    resp = Response(xlsx_bytes(header, rows, sheet), mimetype=XLSX)
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return resp
