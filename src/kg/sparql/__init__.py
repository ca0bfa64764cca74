"""The SPARQL 1.1 Protocol over a store: request parsing (protocol), the safety policy (policy), query workers in a
sandbox (workers, sandbox), result writing (results), the service with its response cache (service), the service
description (description) and the /sparql view (http). SparqlService.run_user_query gives the query page and the
assistants' tools the same checks, limits, time-out and fair share as /sparql."""

from __future__ import annotations

from kg.sparql.http import bp, init_app
from kg.sparql.policy import QueryError
from kg.sparql.service import EXTENSION, SparqlService, UserQueryResult

__all__ = ["EXTENSION", "QueryError", "SparqlService", "UserQueryResult", "bp", "init_app"]
