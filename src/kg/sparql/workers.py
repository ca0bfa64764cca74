"""Query worker processes: where user queries run, so that one that runs too long can be stopped.

Neither pyoxigraph nor rdflib can cancel a query from another thread, so each user query runs in a separate process
that holds its own copy of the read-only store; a query over the time limit is ended by killing its process (which
frees its CPU at once) and a fresh worker takes its place. Workers are confined (kg.sparql.sandbox): no network for the
embedded store, a memory cap. A worker busy for more than a second is given the lowest CPU priority, so a runaway
query only gets the CPU nobody else wants while it lasts.

This is the server's side, `QueryWorkerPool` (one per web process); the worker's side is kg.sparql.jobs. A query is
given to the warmest idle worker (the one that answered last). `run` waits for it on a thread; `run_async` waits on
the event loop of the HTTP front end, without a thread, as long as a worker is free at once and the query ends within
its first time slice (nearly every query); anything else continues exactly as `run` does, on a thread.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import queue
import select
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path

from kg.sparql.jobs import CHILD_COMMAND, Job, QueryTimedOut, Reply, receive_body
from kg.sparql.policy import QueryError

log = logging.getLogger("kg.sparql.workers")

LOW_PRIORITY_AFTER_S = 1.0  # a query running longer than this is a candidate runaway: lowest CPU priority
START_TIMEOUT_S = 60.0
LOOP_READ_MAX_BYTES = 256 * 2**10  # a reply body up to this size is read on the event loop; a larger one on a thread
BUSY = "All query workers stayed busy for {timeout:g} s; try again shortly."
# Memory beyond the worker's limit, or the engine aborting the process (pyoxigraph 0.5 does when ORDER BY meets numbers
# and strings it cannot order consistently).
CRASHED = "The query crashed its worker process (out of memory, or the query engine failed); it was not completed."


@dataclass(eq=False)
class _Worker:
    process: subprocess.Popen
    jobs: Connection
    replies: Connection
    pid: int = 0
    busy_since: float | None = None
    lowered: bool = False
    report: list[str] = field(default_factory=list)
    poller: select.poll = field(default_factory=select.poll)

    def __post_init__(self) -> None:
        self.poller.register(self.replies.fileno(), select.POLLIN)

    def reply_within(self, seconds: float) -> bool:
        """Whether a reply (or the end of the pipe) is there to read within `seconds` (Connection.poll builds a
        selector on every call; this one is kept)."""
        if self.replies.closed:
            raise OSError("the reply pipe is closed")
        return bool(self.poller.poll(max(0, math.ceil(seconds * 1000))))

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
                [sys.executable, "-c", CHILD_COMMAND, str(job_r), str(reply_w)],
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

    def _slice(self, timeout: float, enter_slow) -> float:
        """How long a query holds its fast-lane place before it is handed to the slow lane (or stopped)."""
        return self.fast_slice if enter_slow is not None and 0 < self.fast_slice < timeout else timeout

    def _give(self, worker: _Worker, job: Job, timing: dict | None) -> float | None:
        """Send the job to an idle worker; its start time, or None if the worker had died (it is replaced)."""
        try:
            worker.jobs.send(job)
        except OSError:
            self._retire(worker)
            return None
        self.stats["queries"] += 1
        worker.busy_since = started = time.monotonic()
        if timing is not None:
            timing["started"] = started  # the query's own time starts here, not while it waited
        return started

    def _receive(self, worker: _Worker) -> Reply:
        return self._finish(worker, worker.replies.recv())

    def _finish(self, worker: _Worker, head: Reply) -> Reply:
        """Read the body that follows a reply's head, and give the worker back (or replace it if it died)."""
        try:
            reply = receive_body(worker.replies, head)
        except (EOFError, OSError):
            self._retire(worker)
            raise QueryError(503, CRASHED) from None
        self._release(worker)
        return reply

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
            raise QueryError(503, BUSY.format(timeout=timeout))
        try:
            while True:
                try:
                    worker = self._idle.get(timeout=max(deadline - time.monotonic(), 0.001))
                except queue.Empty:
                    raise QueryError(503, BUSY.format(timeout=timeout)) from None
                started = self._give(worker, job, timing)
                if started is not None:
                    break
        except BaseException:
            self._fast.release()
            raise
        return self._wait(worker, timeout, started, enter_slow, leave_slow, sliced=False)

    async def run_async(
        self,
        job: Job,
        timeout: float,
        threads: Executor,
        *,
        enter_slow: Callable[[], None] | None = None,
        leave_slow: Callable[[], None] | None = None,
        timing: dict | None = None,
    ) -> Reply:
        """`run` for a caller on an event loop: the reply awaited there when a fast-lane place and an idle worker are
        free now; otherwise, or once the query outlasts its first slice, the rest as `run` on a thread of `threads`."""
        loop = asyncio.get_running_loop()
        self.start()
        on_thread = partial(self.run, job, timeout, enter_slow=enter_slow, leave_slow=leave_slow, timing=timing)
        if not self._fast.acquire(blocking=False):
            return await loop.run_in_executor(threads, on_thread)
        handed_on = False
        try:
            while True:
                try:
                    worker = self._idle.get_nowait()
                except queue.Empty:
                    self._fast.release()
                    handed_on = True
                    return await loop.run_in_executor(threads, on_thread)
                started = self._give(worker, job, timing)
                if started is not None:
                    break
            slice_s = self._slice(timeout, enter_slow)
            try:
                readable = await _readable(loop, worker.replies.fileno(), slice_s)
            except asyncio.CancelledError:  # the request was given up: a thread waits for the worker and frees it
                handed_on = True
                threads.submit(self._wait, worker, timeout, started, enter_slow, leave_slow, False)
                raise
            if readable:
                try:
                    head = worker.replies.recv()
                except (EOFError, OSError):
                    self._retire(worker)
                    raise QueryError(503, CRASHED) from None
                if head.size <= LOOP_READ_MAX_BYTES:
                    return self._finish(worker, head)
                return await loop.run_in_executor(threads, self._finish, worker, head)
            handed_on = True  # the fast-lane place goes with the query to the thread
            return await loop.run_in_executor(
                threads, self._wait, worker, timeout, started, enter_slow, leave_slow, True
            )
        finally:
            if not handed_on:
                self._fast.release()

    def _wait(
        self,
        worker: _Worker,
        timeout: float,
        started: float,
        enter_slow: Callable[[], None] | None,
        leave_slow: Callable[[], None] | None,
        sliced: bool,
    ) -> Reply:
        """Wait for the reply of a query that holds a fast-lane place (released here, once). `sliced`: its first
        slice has already been waited for."""
        fast = True
        try:
            slice_s = self._slice(timeout, enter_slow)
            try:
                if not sliced and worker.reply_within(slice_s):
                    return self._receive(worker)
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
                        if worker.reply_within(max(0.0, timeout - (time.monotonic() - started))):
                            return self._receive(worker)
                    finally:
                        if leave_slow is not None:
                            leave_slow()
            except (EOFError, OSError):
                self._retire(worker)
                raise QueryError(503, CRASHED) from None
            self.stats["timeouts"] += 1
            self._retire(worker)
            raise QueryTimedOut(
                503, f"The query ran longer than this endpoint's limit of {timeout:g} s and was stopped."
            )
        finally:
            if fast:
                self._fast.release()


async def _readable(loop: asyncio.AbstractEventLoop, fd: int, seconds: float) -> bool:
    """Whether fd becomes readable (data, or the other end closed) within `seconds`, waited for on the loop. The fd
    is blocking again afterwards (uvloop makes a watched fd non-blocking and leaves it so)."""
    ready = loop.create_future()
    loop.add_reader(fd, lambda: ready.done() or ready.set_result(True))
    try:
        return await asyncio.wait_for(ready, seconds)
    except TimeoutError:
        return False
    finally:
        loop.remove_reader(fd)
        try:
            os.set_blocking(fd, True)
        except OSError:  # closed meanwhile (the pool is closing): the read that follows reports it
            pass
