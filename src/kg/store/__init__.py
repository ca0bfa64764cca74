"""Where the dataset lives: one interface (kg.store.base), an embedded and a remote backend, and the loader.

`open_store(settings)` is the one place that knows both backends."""

from __future__ import annotations

from kg.config import Settings
from kg.store.base import (
    BackendUnavailable,
    BadResponse,
    DataVersion,
    ExecutionError,
    QueryExecutor,
    QueryRejected,
    QueryResult,
    Store,
)

__all__ = [
    "BackendUnavailable",
    "BadResponse",
    "DataVersion",
    "ExecutionError",
    "QueryExecutor",
    "QueryRejected",
    "QueryResult",
    "Store",
    "open_store",
]


def open_store(settings: Settings):
    """The store the settings name: 'embedded' (the default) or a remote SPARQL endpoint URL."""
    if settings.store == "embedded":
        from kg.store.embedded import EmbeddedStore

        return EmbeddedStore(settings)
    from kg.store.remote import RemoteStore

    return RemoteStore(settings)
