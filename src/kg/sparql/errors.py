"""Where errors become HTTP status codes: the protocol's own (QueryError carries its status) and the store's, which
say what happened and nothing of HTTP. The endpoint, the query page and every other page answer by this table."""

from __future__ import annotations

from kg.sparql.policy import QueryError
from kg.store.base import BackendUnavailable, BadResponse, ExecutionError, QueryRejected

# Most specific first: a remote store's "unavailable" is also a bad response.
STORE_ERROR_STATUS: tuple[tuple[type[ExecutionError], int], ...] = (
    (QueryRejected, 400),
    (BackendUnavailable, 503),
    (BadResponse, 502),
    (ExecutionError, 500),
)


def status_of(exc: BaseException) -> int:
    """The HTTP status that answers an error of the protocol or of the store (500 for anything else)."""
    if isinstance(exc, QueryError):
        return exc.status
    for kind, status in STORE_ERROR_STATUS:
        if isinstance(exc, kind):
            return status
    return 500


def message_of(exc: BaseException) -> str:
    return getattr(exc, "message", None) or str(exc)
