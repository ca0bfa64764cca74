"""A query worker process's side: the job it is given, the reply it sends, and its main loop, which confines the
process (kg.sparql.sandbox), opens the store and runs each job through the protocol layer's checks
(kg.sparql.policy) before the backend's `execute`. The server's side is kg.sparql.workers.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from multiprocessing.connection import Connection

from kg.sparql.policy import QueryError

WORKER_MEMORY_BYTES = 2 * 2**30  # address space a worker may add to what it uses after start-up
# The child imports this module by name (not as __main__) so its replies unpickle as kg.sparql.jobs.Reply.
CHILD_COMMAND = "import sys; from kg.sparql.jobs import main; main(sys.argv)"


@dataclass(frozen=True)
class Job:
    """One user query for a worker. `plan` maps each query kind to a format name, 'internal' or None (406)."""

    query: str
    default_graph_uris: tuple[str, ...]
    named_graph_uris: tuple[str, ...]
    plan: dict[str, str | None]
    max_rows: int
    timeout: float


@dataclass
class Reply:
    ok: bool
    status: int = 200
    message: str = ""
    kind: str = ""
    body: bytes = b""
    media_type: str = ""
    truncated: bool = False
    rows: int | None = None
    seconds: float = 0.0
    retry_after: int = 0  # seconds, for a refusal (429 / 503)
    size: int = 0  # on the pipe: the length of the body, which follows as a message of its own
    timed_out: bool = False  # (on the server's side) the query was stopped at the time limit


def send_reply(conn: Connection, reply: Reply) -> None:
    """A reply in two messages: the small head first, then the body (so that the server can read the head as soon
    as it is there and decide where to read a large body)."""
    body, reply.body, reply.size = reply.body, b"", len(reply.body)
    conn.send(reply)
    if body:
        conn.send_bytes(body)


def receive_body(conn: Connection, head: Reply) -> Reply:
    if head.size:
        head.body = conn.recv_bytes()
    return head


class QueryTimedOut(QueryError):
    """The query ran out of time and was stopped."""


def run_job(executor, settings, prefixes: dict[str, str], job: Job) -> Reply:
    from kg.sparql import policy
    from kg.sparql.errors import status_of
    from kg.sparql.results import kind_of, not_acceptable, render
    from kg.store.base import BadResponse, ExecutionError, QueryRejected

    started = time.perf_counter()
    try:
        try:
            result = _execute(executor, settings, job)
            kind = kind_of(result)
            fmt = job.plan.get(kind)
            if fmt is None:
                raise not_acceptable(kind)
            rendered = render(result, fmt, job.max_rows, prefixes)
        except QueryRejected as exc:
            if policy.is_update(job.query):
                raise QueryError(403, policy.UPDATE_REFUSED) from None
            raise QueryError(400, _malformed(exc.message, job.query)) from None
        except (QueryError, ExecutionError):
            raise
        except MemoryError:
            raise QueryError(503, "The query needed more memory than a query worker may use.") from None
        except Exception as exc:  # noqa: BLE001 - pyoxigraph reports evaluation errors with builtin exceptions
            cause = _backend_error(exc)
            if cause is not None:  # a backend error raised while pyoxigraph was reading a lazy result
                raise cause from None
            if getattr(executor, "needs_network", True):  # the store ran the query: what fails here is its answer
                raise BadResponse(f"The store sent an answer this endpoint cannot read: {exc}") from None
            raise QueryError(400, f"The query failed while running: {exc}") from None
        return Reply(
            True,
            200,
            "",
            rendered.kind,
            rendered.body,
            rendered.media_type,
            rendered.truncated,
            rendered.rows,
            seconds=time.perf_counter() - started,
        )
    except QueryError as exc:
        return Reply(False, exc.status, exc.message)
    except ExecutionError as exc:
        return Reply(False, status_of(exc), exc.message)
    except Exception:  # noqa: BLE001 - a bug of ours: log it, answer without a stack trace
        traceback.print_exc(file=sys.stderr)
        return Reply(False, 500, "Internal error while running the query.")


def _execute(executor, settings, job: Job):
    """The query's result: the text as sent or, when declaring the endpoint's base makes it a query (relative IRIs
    without BASE), the text with that BASE (kg.sparql.policy.with_base). That is found out first for a query with a
    dataset clause (its graphs are read with the BASE) and for a remote store, which is only sent a text this endpoint
    has parsed as a query itself (some servers, Virtuoso, execute SPARQL Update, LOAD included, sent to their query
    endpoint); otherwise only when the text as sent does not parse (nearly every query pays for no second parse)."""
    from kg.sparql import policy
    from kg.store.base import QueryRejected

    base = policy.endpoint_base(settings)
    check = policy.check_query(job.query)  # first: SERVICE is refused before any parser evaluates the text
    remote = getattr(executor, "needs_network", True)
    if remote or check.from_graphs is not None or check.from_named_graphs is not None:
        query = policy.with_base(job.query, base)
        if query != job.query:
            check = policy.check_query(query)
        if remote:
            policy.parse_as_query(query)
        return _execute_text(executor, settings, job, query, check)
    try:
        return _execute_text(executor, settings, job, job.query, check)
    except QueryRejected:
        based = policy.with_base(job.query, base)
        if based == job.query:
            raise
        return _execute_text(executor, settings, job, based, policy.check_query(based))


def _execute_text(executor, settings, job: Job, query: str, check):
    from kg.sparql import policy

    dataset = policy.resolve_dataset(check, settings, job.default_graph_uris, job.named_graph_uris)
    return executor.execute(
        query, default_graphs=dataset.default_graphs, named_graphs=dataset.named_graphs, timeout=job.timeout
    )


def _backend_error(exc: BaseException):
    from kg.store.base import ExecutionError

    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, ExecutionError):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def _malformed(backend_message: str, query: str) -> str:
    """The backend's syntax error, with rdflib's (often clearer) account of the same text if it has one."""
    from kg.sparql import policy

    message = f"Malformed query: {backend_message}"
    try:
        policy.parse(policy.views(query)[0])
    except Exception as exc:  # noqa: BLE001 - any parser failure is a message, nothing more
        message += f". rdflib's parser says: {policy.syntax_message(exc)}"
    return message


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(0)


def main(argv: list[str]) -> None:
    """Worker process: receive the executor factory, confine itself, then answer jobs until the pipe closes."""
    from kg.sparql import sandbox

    jobs = Connection(int(argv[1]), writable=False)
    replies = Connection(int(argv[2]), readable=False)
    init = jobs.recv()  # unpickling imports the backend's module, before any confinement
    report = sandbox.confine(network=init["needs_network"], memory_bytes=WORKER_MEMORY_BYTES)
    executor = init["factory"]()
    settings, prefixes = init["settings"], init["prefixes"]
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    replies.send(("ready", os.getpid(), report))

    from kg.sparql import policy as sparql_policy

    # rdflib's grammar takes ~0.3 s to build: in the background, so that queries that do not need it need not wait.
    threading.Thread(target=sparql_policy.warm_up, daemon=True).start()
    while True:
        try:
            job = jobs.recv()
        except (EOFError, OSError):
            break
        send_reply(replies, run_job(executor, settings, prefixes, job))
