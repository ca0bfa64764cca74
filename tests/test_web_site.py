"""The pages' tables are read from one version of the data and read again when the store's data changes
(a remote store after `kg load`), so pages never mix old and new data or serve the old data for ever."""

from __future__ import annotations

import pytest
from flask import Flask

from kg.store.base import DataVersion
from kg.web.dataset_index import site


def test_tables_are_read_again_when_the_store_version_changes(web_app: Flask, monkeypatch) -> None:
    current = {"version": "build-1"}
    monkeypatch.setattr(DataVersion, "get", lambda self: current["version"])
    with web_app.app_context():
        first = site()
        assert first.version == "build-1"
        assert site() is first  # same data: the tables are kept
        labels = first.names.labels
        assert labels
        current["version"] = "build-2"
        second = site()
        assert second is not first and second.version == "build-2"
        assert second.names.labels == labels  # read again from the store (same data here)


@pytest.mark.parametrize("path", ["/", "/class/Observation", "/page/jinpu"])
def test_pages_answer_after_the_version_changes(web_app: Flask, monkeypatch, path: str) -> None:
    current = {"version": "a"}
    monkeypatch.setattr(DataVersion, "get", lambda self: current["version"])
    client = web_app.test_client()
    assert client.get(path).status_code == 200
    current["version"] = "b"
    assert client.get(path).status_code == 200
