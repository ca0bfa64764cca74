"""A reconciliation client from PyPI (py-reconciliation-service-api, what a Python script or notebook would use in
place of OpenRefine) against a live server: it reads the manifest, checks that the service speaks version 0.2,
sends batches of queries as a form POST, and validates every answer with its own data models."""

from __future__ import annotations

import pytest
from py_reconciliation_service_api import build_reconciliation_service
from py_reconciliation_service_api.models.reconciliation import ReconciliationQuery


@pytest.fixture(scope="module")
def service(live_server: str):
    return build_reconciliation_service(live_server + "/reconcile", httpx_args={"timeout": 30})


def test_the_client_reads_the_manifest(service, live_server: str) -> None:
    manifest = service._manifest
    assert "0.2" in manifest.versions and manifest.name
    assert manifest.preview.url.startswith(live_server + "/reconcile/preview")


def test_the_client_reconciles_a_spreadsheet_column_in_both_languages(service) -> None:
    rows = ["金普新区", "Port of Dalian", "特来电", "Dalian Digital", "no such thing anywhere"]
    results = service.reconcile_batch([ReconciliationQuery(query=text) for text in rows])
    best = [r.result[0] if r.result else None for r in results]
    assert (best[0].id, best[0].match, best[0].score) == ("jinpu", True, 100)
    assert (best[1].id, best[1].match) == ("dalian-port", True)
    assert best[2].score == 100 and best[2].match is False  # two things bear this name
    assert best[3].id == "proj-dalian-digital-valley" and best[3].match is False
    assert best[4] is None


def test_the_client_sends_type_and_property_constraints(service) -> None:
    typed = service.reconcile(ReconciliationQuery(query="特来电", type="Enterprise", limit=5))
    assert [(c.id, c.match) for c in typed.result] == [("teld", True)]
    placed = service.reconcile(
        ReconciliationQuery(query="大连港", properties=[{"pid": "locatedIn", "v": {"id": "dalian"}}])
    )
    assert placed.result[0].id == "dalian-port" and placed.result[0].match is True
    assert [t.id for t in placed.result[0].type] == ["Facility"]  # a kind of Place, which the query did not ask for
