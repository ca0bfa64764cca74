"""Query worker processes: where user queries run, so that one that runs too long can be stopped.

Neither pyoxigraph nor rdflib can cancel a query from another thread, so each user query runs in a separate process
that holds its own copy of the read-only store; a query over the time limit is ended by killing its process (which
frees its CPU at once) and a fresh worker takes its place. Workers are confined (kg.sparql.sandbox): no network for the
embedded store, a memory cap. A worker busy for more than a second is given the lowest CPU priority, so a runaway
query only gets the CPU nobody else wants while it lasts.

The parent side is `QueryWorkerPool` (one per web process); the child side is `main()`, which runs the protocol
layer's checks (kg.sparql.policy) before the backend's `execute`.
"""

from __future__ import annotations

import logging
import os
import queue
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from kg.sparql.policy import QueryError

log = logging.getLogger("kg.sparql.workers")

LOW_PRIORITY_AFTER_S = 1.0  # a query running longer than this is a candidate runaway: lowest CPU priority
WORKER_MEMORY_BYTES = 2 * 2**30  # address space a worker may add to what it uses after start-up
START_TIMEOUT_S = 60.0
# The child imports this module by name (not as __main__) so its replies unpickle as kg.sparql.workers.Reply.
_CHILD = "import sys; from kg.sparql.workers import main; main(sys.argv)"


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
    worker_pid: int = 0
    seconds: float = 0.0
    retry_after: int = 0  # seconds, for a refusal (429 / 503)


class QueryTimedOut(QueryError):
    """The query ran out of time and was stopped."""


# ---------------------------------------------------------------------------------------------------------------
# Child side


def _run_job(executor, settings, prefixes: dict[str, str], job: Job) -> Reply:
    from kg.sparql import policy
    from kg.sparql.errors import status_of
    from kg.sparql.results import kind_of, not_acceptable, render
    from kg.store.base import ExecutionError, QueryRejected

    started = time.perf_counter()
    try:
        check = policy.check_query(job.query)
        dataset = policy.resolve_dataset(check, settings, job.default_graph_uris, job.named_graph_uris)
        try:
            if getattr(executor, "needs_network", True):
                # A remote store must never see a text this endpoint would not run itself: some servers (Virtuoso)
                # execute SPARQL Update, LOAD included, sent to their query endpoint.
                policy.parse_as_query(job.query)
            result = executor.execute(
                job.query, default_graphs=dataset.default_graphs, named_graphs=dataset.named_graphs, timeout=job.timeout
            )
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
            os.getpid(),
            time.perf_counter() - started,
        )
    except QueryError as exc:
        return Reply(False, exc.status, exc.message, worker_pid=os.getpid())
    except ExecutionError as exc:
        return Reply(False, status_of(exc), exc.message, worker_pid=os.getpid())
    except Exception:  # noqa: BLE001 - a bug of ours: log it, answer without a stack trace
        traceback.print_exc(file=sys.stderr)
        return Reply(False, 500, "Internal error while running the query.", worker_pid=os.getpid())


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
        replies.send(_run_job(executor, settings, prefixes, job))


# ---------------------------------------------------------------------------------------------------------------
# Parent side


@dataclass(eq=False)
class _Worker:
    process: subprocess.Popen
    jobs: Connection
    replies: Connection
    pid: int = 0
    busy_since: float | None = None
    lowered: bool = False
    report: list[str] = field(default_factory=list)

    def kill(self) -> None:
        try:
            self.process.kill()
        except OSError:
            pass
        for conn in (self.jobs, self.replies):
            try:
                conn.close()
            except OSError:
                pass
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            pass


class QueryWorkerPool:
    """`size` worker processes, each opened with `factory` (QueryExecutor.worker_factory()); `run` gives a job to an
    idle worker and waits for its reply within the time limit, killing and replacing the worker otherwise."""

    def __init__(
        self,
        factory: Callable,
        *,
        needs_network: bool,
        settings,
        prefixes: dict[str, str],
        size: int,
        slow_lane: int = 0,
        fast_slice: float = 0.0,
    ):
        self.factory = factory
        self.needs_network = needs_network
        self.settings = settings
        self.prefixes = prefixes
        # `size` places in the fast lane, `slow_lane` more processes for queries past their first slice, and with a
        # slow lane one spare, so that the fast lane keeps its places while a stopped worker is being replaced
        self.fast_places = max(1, size)
        self.size = self.fast_places + max(0, slow_lane) + (1 if slow_lane > 0 else 0)
        self.fast_slice = fast_slice
        self._fast = threading.BoundedSemaphore(self.fast_places)
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._workers: set[_Worker] = set()
        self._lock = threading.Lock()
        self._started = False
        self._closed = False
        self._owner_pid = os.getpid()
        self.confinement: list[str] = []
        self.stats = {"queries": 0, "timeouts": 0, "replaced": 0, "slow": 0, "refused_slow": 0}

    # lifecycle

    def start(self) -> None:
        """Start the workers in the background (idempotent); queries wait for the first one that is ready."""
        with self._lock:
            if self._started and self._owner_pid == os.getpid():
                return
            if self._owner_pid != os.getpid():  # a forked copy of the pool: start afresh in this process
                self._idle, self._workers, self._owner_pid = queue.LifoQueue(), set(), os.getpid()
            self._started = True
            self._closed = False
        # One worker at once, the others when it is ready: the first query is answered sooner than if all of them
        # (in every server process) competed for the CPU at start-up.
        threading.Thread(target=self._spawn_first, name="kg-query-worker-start", daemon=True).start()
        threading.Thread(target=self._lower_runaways, name="kg-query-priority", daemon=True).start()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._started = False
            workers = list(self._workers)
            self._workers.clear()
        for w in workers:
            w.kill()

    def _spawn_first(self) -> None:
        self._spawn()
        for _ in range(self.size - 1):
            self._spawn_async()

    def _spawn_async(self) -> None:
        threading.Thread(target=self._spawn, name="kg-query-worker-start", daemon=True).start()

    def _spawn(self) -> None:
        delay = 0.5
        while not self._closed:
            try:
                worker = self._start_process()
            except Exception as exc:  # noqa: BLE001 - keep trying: the pool must heal itself
                log.error("could not start a query worker: %s; retrying in %.1f s", exc, delay)
                time.sleep(delay)
                delay = min(delay * 2, 10.0)
                continue
            with self._lock:
                if self._closed:
                    worker.kill()
                    return
                self._workers.add(worker)
            if not self.confinement:
                self.confinement = worker.report
                log.info("query worker %d ready: %s", worker.pid, "; ".join(worker.report))
            self._idle.put(worker)
            return

    def _start_process(self) -> _Worker:
        job_r, job_w = os.pipe()
        reply_r, reply_w = os.pipe()
        env = dict(os.environ)
        src = str(Path(__file__).resolve().parents[1])
        env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", _CHILD, str(job_r), str(reply_w)],
                pass_fds=(job_r, reply_w),
                stdin=subprocess.DEVNULL,
                env=env,
                close_fds=True,
            )
        finally:
            os.close(job_r)
            os.close(reply_w)
        worker = _Worker(process, Connection(job_w, readable=False), Connection(reply_r, writable=False))
        try:
            worker.jobs.send(
                {
                    "factory": self.factory,
                    "needs_network": self.needs_network,
                    "settings": self.settings,
                    "prefixes": self.prefixes,
                }
            )
            if not worker.replies.poll(START_TIMEOUT_S):
                raise RuntimeError(f"no answer within {START_TIMEOUT_S:g} s")
            _, pid, report = worker.replies.recv()
        except BaseException:
            worker.kill()
            raise
        worker.pid, worker.report = pid, report
        return worker

    def _retire(self, worker: _Worker) -> None:
        with self._lock:
            self._workers.discard(worker)
        worker.kill()
        self.stats["replaced"] += 1
        if not self._closed:
            self._spawn_async()

    # priorities

    def _lower_runaways(self) -> None:
        while not self._closed and self._owner_pid == os.getpid():
            time.sleep(0.2)
            now = time.monotonic()
            for w in list(self._workers):
                since = w.busy_since
                if since is not None and not w.lowered and now - since > LOW_PRIORITY_AFTER_S:
                    self._lower(w)

    @staticmethod
    def _lower(worker: _Worker) -> None:
        if worker.lowered:
            return
        try:
            os.setpriority(os.PRIO_PROCESS, worker.pid, 19)
            worker.lowered = True
        except OSError:
            pass

    def _release(self, worker: _Worker) -> None:
        worker.busy_since = None
        if worker.lowered:
            try:
                os.setpriority(os.PRIO_PROCESS, worker.pid, os.getpriority(os.PRIO_PROCESS, 0))
                worker.lowered = False
            except OSError:  # raising a priority back needs privileges: replace the worker instead
                self._retire(worker)
                return
        self._idle.put(worker)

    # queries

    def run(
        self,
        job: Job,
        timeout: float,
        *,
        enter_slow: Callable[[], None] | None = None,
        leave_slow: Callable[[], None] | None = None,
        timing: dict | None = None,
    ) -> Reply:
        """Run a job in a worker. Raises QueryError(503) when no worker frees up, QueryTimedOut when the query runs
        out of time. With `enter_slow`, a query still running after the first time slice is handed to it (which may
        refuse it with a QueryError: the query is then stopped) and continues in the slow lane, at the lowest CPU
        priority, no longer holding a fast-lane place."""
        self.start()
        deadline = time.monotonic() + timeout
        if not self._fast.acquire(timeout=timeout):
            raise QueryError(503, f"All query workers stayed busy for {timeout:g} s; try again shortly.")
        fast = True
        try:
            while True:
                try:
                    worker = self._idle.get(timeout=max(deadline - time.monotonic(), 0.001))
                except queue.Empty:
                    raise QueryError(
                        503, f"All query workers stayed busy for {timeout:g} s; try again shortly."
                    ) from None
                try:
                    worker.jobs.send(job)
                    break
                except OSError:  # it died while idle: replace it and take the next one
                    self._retire(worker)
            self.stats["queries"] += 1
            worker.busy_since = started = time.monotonic()
            if timing is not None:
                timing["started"] = started  # the query's own time starts here, not while it waited
            slice_s = self.fast_slice if enter_slow is not None and 0 < self.fast_slice < timeout else timeout
            try:
                if worker.replies.poll(slice_s):
                    reply = worker.replies.recv()
                    self._release(worker)
                    return reply
                if slice_s < timeout:
                    try:
                        enter_slow()
                    except QueryError:
                        self.stats["refused_slow"] += 1
                        self._retire(worker)
                        raise
                    self.stats["slow"] += 1
                    self._lower(worker)
                    self._fast.release()
                    fast = False
                    try:
                        if worker.replies.poll(max(0.0, timeout - (time.monotonic() - started))):
                            reply = worker.replies.recv()
                            self._release(worker)
                            return reply
                    finally:
                        if leave_slow is not None:
                            leave_slow()
            except (EOFError, OSError):
                self._retire(worker)
                raise QueryError(
                    503, "The query crashed its worker process (out of memory?); it was not completed."
                ) from None
            self.stats["timeouts"] += 1
            self._retire(worker)
            raise QueryTimedOut(
                503, f"The query ran longer than this endpoint's limit of {timeout:g} s and was stopped."
            )
        finally:
            if fast:
                self._fast.release()
