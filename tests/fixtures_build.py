"""Fixtures over the project's real build: built once per test session into a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.build import build
from kg.config import Settings


@pytest.fixture(scope="session")
def build_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings whose build_dir holds a fresh build of the project's sources."""
    settings = Settings(build_dir=Path(tmp_path_factory.mktemp("kg")) / "build")
    build(settings)
    return settings


@pytest.fixture(scope="session")
def built_store(build_settings: Settings) -> ox.Store:
    """The built dataset in an Oxigraph store (query with use_default_graph_as_union=True for the union)."""
    store = ox.Store()
    with open(build_settings.build_dir / "dataset.nq", "rb") as f:
        store.bulk_load(f, ox.RdfFormat.N_QUADS)
    return store
