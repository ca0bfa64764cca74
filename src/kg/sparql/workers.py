"""Query worker processes: where user queries run, so that one that runs too long can be stopped.

Neither pyoxigraph nor rdflib can cancel a query from another thread, so each user query runs in a separate process
that holds its own copy of the read-only store; a query over the time limit is ended by killing its process (which
frees its CPU at once) and a fresh worker takes its place. Workers are confined (kg.sparql.sandbox): no network for the
embedded store, a memory cap. A worker busy for more than a second is given the lowest CPU priority, so a runaway
query only gets the CPU nobody else wants while it lasts.

This is the server's side, `QueryWorkerPool` (one per web process); the worker's side is kg.sparql.jobs. `run` is a
coroutine: a query waits for its place and its reply on the event loop, holding no thread. Places and workers go to
waiting queries in order of arrival, light clients' first (kg.sparql.fairshare: little query time used lately); one
place and one idle worker are kept for light clients, so that a cheap query never waits behind a flood of expensive
ones, nor for a stopped worker's replacement to start. A query is given to the warmest idle worker (the one that
answered last).
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from kg.sparql.jobs import CHILD_COMMAND, Job, QueryTimedOut, Reply, receive_body
from kg.sparql.policy import QueryError

log = logging.getLogger("kg.sparql.workers")

LOW_PRIORITY_AFTER_S = 1.0  # a query running longer than this is a candidate runaway: lowest CPU priority
START_TIMEOUT_S = 60.0
LOOP_READ_MAX_BYTES = 60 * 2**10  # a reply body up to this size (within a pipe's 64 KiB) is read on the event loop
BUSY = "All query workers stayed busy for {timeout:g} s; try again shortly."
# Memory beyond the worker's limit, or the engine aborting the process (pyoxigraph 0.5 does when ORDER BY meets numbers
# and strings it cannot order consistently).
CRASHED = "The query crashed its worker process (out of memory, or the query engine failed); it was not completed."
# pyoxigraph 0.5.13 aborts its process when a sort finds values it does not order consistently (numbers and strings)
ORDER_BY_HINT = (
    " The query engine can fail this way when ORDER BY compares numbers with strings: order by STR(...) of the value,"
    " or by values of one kind."
)


@dataclass(eq=False)
class _Worker:
    process: subprocess.Popen
    jobs: Connection
    replies: Connection
    pid: int = 0
    busy_since: float | None = None
    lowered: bool = False
    read_on_thread: bool = False  # its reply is being read on a thread, which gives the worker back itself
    report: list[str] = field(default_factory=list)

    def kill(self, wait: bool = True) -> None:
        """Stop the process at once; `wait`: and reap it (which may block: never on the event loop)."""
        try:
            self.process.kill()
        except OSError:
            pass
        for conn in (self.jobs, self.replies):
            try:
                conn.close()
            except OSError:
                pass
        if wait:
            self.reap()

    def reap(self) -> None:
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            pass


@dataclass(eq=False)
class _Waiter:
    """A query waiting for a fast-lane place and an idle worker."""

    light: bool
    future: asyncio.Future


class QueryWorkerPool:
    """`size` worker processes, each opened with `factory` (QueryExecutor.worker_factory()); `run` gives a job to an
    idle worker and awaits its reply within the time limit, killing and replacing the worker otherwise."""

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
        # slow lane a reserve (one more place and one more process) that only light clients' queries may take
        self.fast_places = max(1, size)
        self.reserve = 1 if slow_lane > 0 else 0
        self.size = self.fast_places + max(0, slow_lane) + self.reserve
        self.fast_slice = fast_slice
        self._places = self.fast_places  # free fast-lane places; down to -reserve when light queries use the reserve
        self._idle: list[_Worker] = []  # the last one in answered last (the warmest)
        self._waiting: dict[bool, deque[_Waiter]] = {True: deque(), False: deque()}  # by light
        self._workers: set[_Worker] = set()
        self._lock = threading.Lock()
        self._started = False
        self._closed = False
        self.stats = {"queries": 0, "timeouts": 0, "replaced": 0, "slow": 0, "refused_slow": 0}

    # lifecycle

    def start(self) -> None:
        """Start the workers in the background (idempotent); queries wait for the first one that is ready."""
        if self._started:
            return
        with self._lock:
            if self._started:
                return
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
            self._idle.clear()
        for w in workers:
            w.kill()

    def _spawn_first(self) -> None:
        self._spawn()
        for _ in range(self.size - 1):
            self._spawn_later()

    def _spawn_later(self) -> None:
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
            log.debug("query worker %d ready: %s", worker.pid, "; ".join(worker.report))
            self._release(worker)
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
        """Stop a worker and start its replacement (once: a worker already retired is left alone)."""
        with self._lock:
            if worker not in self._workers:
                return
            self._workers.discard(worker)
            if worker in self._idle:
                self._idle.remove(worker)
        worker.kill(wait=False)
        self.stats["replaced"] += 1
        threading.Thread(target=self._replace, args=(worker,), name="kg-query-worker-start", daemon=True).start()

    def _replace(self, worker: _Worker) -> None:
        worker.reap()
        if not self._closed:
            self._spawn()

    # priorities

    def _lower_runaways(self) -> None:
        while not self._closed:
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

    # places and idle workers, handed to waiting queries (any thread may free one; each waiter is woken on its loop)

    def _may_take(self, light: bool) -> bool:
        if not self._idle:
            return False
        if light:
            return self._places > -self.reserve
        return self._places > 0 and len(self._idle) > self.reserve

    def _claim(self) -> _Worker:
        self._places -= 1
        return self._idle.pop()

    def _dispatch(self) -> None:
        """Hand free places and idle workers to the waiting queries, light clients' first (under the lock)."""
        while True:
            queue = self._waiting[True] or self._waiting[False]
            if not queue or not self._may_take(queue[0].light):
                return
            waiter = queue.popleft()
            worker = self._claim()
            waiter.future.get_loop().call_soon_threadsafe(self._hand, waiter.future, worker)

    def _hand(self, future: asyncio.Future, worker: _Worker) -> None:
        if future.done():  # the query was given up (or timed out) meanwhile: place and worker go to the next one
            with self._lock:
                self._give_back(worker)
        else:
            future.set_result(worker)

    def _give_back(self, worker: _Worker) -> None:
        """A place and a worker handed to a query that no longer wants them: to the next one (under the lock)."""
        self._places += 1
        self._idle.append(worker)
        self._dispatch()

    def _free_place(self) -> None:
        with self._lock:
            self._places += 1
            self._dispatch()

    def _release(self, worker: _Worker) -> None:
        """A worker is idle: back to its normal priority, and to the next waiting query."""
        worker.busy_since = None
        if worker.lowered:
            try:
                os.setpriority(os.PRIO_PROCESS, worker.pid, os.getpriority(os.PRIO_PROCESS, 0))
                worker.lowered = False
            except OSError:  # raising a priority back needs privileges: replace the worker instead
                self._retire(worker)
                return
        with self._lock:
            if worker in self._workers:
                self._idle.append(worker)
                self._dispatch()

    async def _take(self, light: bool, timeout: float) -> _Worker:
        """A fast-lane place and an idle worker, awaited for at most `timeout` seconds (503 then)."""
        loop = asyncio.get_running_loop()
        with self._lock:
            if not (self._waiting[True] or (self._waiting[False] and not light)) and self._may_take(light):
                return self._claim()
            waiter = _Waiter(light, loop.create_future())
            self._waiting[light].append(waiter)
        timer = loop.call_later(max(timeout, 0.001), self._expire, waiter)
        try:
            return await waiter.future
        except asyncio.CancelledError:
            self._withdraw(waiter)
            raise
        finally:
            timer.cancel()

    def _expire(self, waiter: _Waiter) -> None:
        """A waiter's time is up: refused, unless a place and a worker are already on their way to it."""
        with self._lock:
            if waiter not in self._waiting[waiter.light]:
                return
            self._waiting[waiter.light].remove(waiter)
        if not waiter.future.done():
            waiter.future.set_exception(QueryError(503, BUSY.format(timeout=self.settings.timeout)))

    def _withdraw(self, waiter: _Waiter) -> None:
        """A waiting query was given up: out of the queue, and what it was given (if anything) goes to the next."""
        with self._lock:
            if waiter in self._waiting[waiter.light]:
                self._waiting[waiter.light].remove(waiter)
            elif waiter.future.done() and not waiter.future.cancelled():
                self._give_back(waiter.future.result())
            # else: handed but not yet delivered; _hand finds the future cancelled and gives it back

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

    async def _receive(self, worker: _Worker) -> Reply:
        """The reply of a worker whose pipe is readable. A body that may not be in the pipe already (larger than
        the pipe holds, or from a worker at the lowest priority, which may be slow to write it) is read on a thread,
        not on the loop; that thread then gives the worker back, even if the query is given up meanwhile."""
        head = worker.replies.recv()
        if head.size <= LOOP_READ_MAX_BYTES and not worker.lowered:
            return self._finish(worker, head)
        worker.read_on_thread = True
        return await asyncio.to_thread(self._finish, worker, head)

    def _finish(self, worker: _Worker, head: Reply) -> Reply:
        """Read the body that follows a reply's head, and give the worker back (or replace it if it died)."""
        try:
            reply = receive_body(worker.replies, head)
        except (EOFError, OSError):
            self._retire(worker)
            raise QueryError(503, CRASHED) from None
        finally:
            worker.read_on_thread = False
        self._release(worker)
        return reply

    async def run(
        self,
        job: Job,
        timeout: float,
        *,
        light: bool = False,
        enter_slow: Callable[[], None] | None = None,
        leave_slow: Callable[[], None] | None = None,
        timing: dict | None = None,
    ) -> Reply:
        """Run a job in a worker. Raises QueryError(503) when no worker frees up, QueryTimedOut when the query runs
        out of time. `light`: the client's query goes before others and may use the reserve. With `enter_slow`, a
        query still running after the first time slice is handed to it (which may refuse it with a QueryError: the
        query is then stopped) and continues in the slow lane, at the lowest CPU priority, no longer holding a
        fast-lane place. A query cancelled while it runs (the server stopping) is stopped and its worker replaced."""
        self.start()
        deadline = time.monotonic() + timeout
        while True:
            worker = await self._take(light, deadline - time.monotonic())
            started = self._give(worker, job, timing)
            if started is not None:
                break
            self._free_place()
        fast = True
        try:
            slice_s = self._slice(timeout, enter_slow)
            if await _readable(worker.replies.fileno(), slice_s):
                return await self._receive(worker)
            if slice_s < timeout:
                self._to_slow_lane(worker, enter_slow)
                self._free_place()
                fast = False
                try:
                    if await _readable(worker.replies.fileno(), max(0.0, timeout - (time.monotonic() - started))):
                        return await self._receive(worker)
                finally:
                    if leave_slow is not None:
                        leave_slow()
            self.stats["timeouts"] += 1
            self._retire(worker)
            raise QueryTimedOut(
                503, f"The query ran longer than this endpoint's limit of {timeout:g} s and was stopped."
            )
        except asyncio.CancelledError:
            if not worker.read_on_thread:
                self._retire(worker)
            raise
        except (EOFError, OSError):
            self._retire(worker)
            hint = ORDER_BY_HINT if "order by" in " ".join(job.query.casefold().split()) else ""
            raise QueryError(503, CRASHED + hint) from None
        except Exception:  # the query is over, whatever went wrong: its worker is not left busy for ever
            self._retire(worker)
            raise
        finally:
            if fast:
                self._free_place()

    def _to_slow_lane(self, worker: _Worker, enter_slow: Callable[[], None]) -> None:
        """A query past its first slice: into the slow lane at the lowest priority, or stopped if it is refused."""
        try:
            enter_slow()
        except QueryError:
            self.stats["refused_slow"] += 1
            self._retire(worker)
            raise
        self.stats["slow"] += 1
        self._lower(worker)


async def _readable(fd: int, seconds: float) -> bool:
    """Whether fd becomes readable (data, or the other end closed) within `seconds`, waited for on the loop (a reader
    and a timer on one future: asyncio.wait_for would make a task of it each time). The fd is blocking again
    afterwards (uvloop makes a watched fd non-blocking and leaves it so)."""
    loop = asyncio.get_running_loop()
    ready = loop.create_future()
    loop.add_reader(fd, _settle, ready, True)
    timer = loop.call_later(seconds, _settle, ready, False)
    try:
        return await ready
    finally:
        timer.cancel()
        loop.remove_reader(fd)
        try:
            os.set_blocking(fd, True)
        except OSError:  # closed meanwhile (the pool is closing): the read that follows reports it
            pass


def _settle(future: asyncio.Future, value: bool) -> None:
    if not future.done():
        future.set_result(value)
