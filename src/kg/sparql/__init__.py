"""The SPARQL 1.1 Protocol over a store: request parsing (protocol), the safety policy (policy), query workers in a
sandbox (workers, sandbox), result writing (results), the service with its response cache (service), the service
description (description) and the /sparql view (http). `run_user_query` gives the query page the same checks,
limits and time-out as /sparql."""

from __future__ import annotations

from kg.sparql.http import bp, init_app
from kg.sparql.policy import QueryError
from kg.sparql.service import EXTENSION, SparqlService, UserQueryResult, run_user_query

__all__ = ["EXTENSION", "QueryError", "SparqlService", "UserQueryResult", "bp", "init_app", "run_user_query"]
