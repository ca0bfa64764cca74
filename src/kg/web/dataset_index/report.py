"""The report the dataset is read from and the district it is about, as the data state them."""

from __future__ import annotations

from functools import cached_property

from kg.web.dataset_index.runner import QueryRunner
from kg.web.dataset_index.runner import python_value as _py


class Report:
    def __init__(self, queries: QueryRunner):
        self.queries = queries

    def warm(self) -> None:
        self._district_and_report  # noqa: B018

    @cached_property
    def _district_and_report(self) -> tuple[str | None, str | None]:
        rows = self.queries.select("district")
        if not rows:
            return None, None
        return _py(rows[0].get("district")), _py(rows[0].get("report"))

    @property
    def iri(self) -> str | None:
        """The report's IRI."""
        return self._district_and_report[1]

    @property
    def district(self) -> str | None:
        """The IRI of the district the report is about."""
        return self._district_and_report[0]

    @cached_property
    def facts(self) -> dict[str, str]:
        """The report's date of publication and language, as the data state them ("2022-01", "zh")."""
        rows = self.queries.select("district")
        out: dict[str, str] = {}
        for key in ("published", "language"):
            value = rows[0].get(key) if rows else None
            if value is not None:
                out[key] = str(value)
        return out
