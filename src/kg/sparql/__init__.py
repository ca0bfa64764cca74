"""The SPARQL 1.1 Protocol over a store, in the order a request takes: request parsing (protocol), the road of a
/sparql request once read (endpoint: response cache, negotiation, the service description or a query), the service
that runs a query for a client (service: fair share, then the query workers), the fair share (fairshare), query
workers in a sandbox (workers, jobs, sandbox) with the safety policy they apply (policy), result writing (results),
answers and the response cache (answers), and the Flask views (http, graph_store). SparqlService.run_user_query gives
the query page and the assistants' tools the same checks, limits, time-out and fair share as /sparql."""

from __future__ import annotations

from kg.sparql.http import bp, init_app
from kg.sparql.policy import QueryError
from kg.sparql.service import EXTENSION, SparqlService, UserQueryResult

__all__ = ["EXTENSION", "QueryError", "SparqlService", "UserQueryResult", "bp", "init_app"]
