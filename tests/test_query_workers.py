"""The query worker pool on its own, with real worker processes on the session's build: the thread path (`run`) and
the event-loop path (`run_async`) give the same answers, large replies included; a query past its first slice is
handed on to a thread and still stopped at the time limit; the pipes stay as the thread path needs them."""

from __future__ import annotations

import asyncio
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
import uvloop

from kg.config import Settings
from kg.rdf.vocab import prefixes_for
from kg.sparql.jobs import Job, QueryTimedOut
from kg.sparql.policy import dataset_graphs
from kg.sparql.workers import LOOP_READ_MAX_BYTES, QueryWorkerPool
from kg.store.embedded import EmbeddedStore

PLAN = {"select": "json", "ask": "json", "graph": "ntriples"}
EVERYTHING = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
TIMEOUT = 3.0


@pytest.fixture(scope="module")
def pool(build_settings: Settings):
    settings = replace(build_settings, timeout=TIMEOUT)
    store = EmbeddedStore(settings)
    pool = QueryWorkerPool(
        store.worker_factory(),
        needs_network=False,
        settings=settings,
        prefixes=prefixes_for(settings.def_ns, settings.id_ns),
        size=2,
        slow_lane=1,
        fast_slice=0.25,
    )
    pool.start()
    yield pool, settings
    pool.close()


def job(settings: Settings, query: str, max_rows: int = 100_000) -> Job:
    own = dataset_graphs(settings)
    return Job(query, own, own, PLAN, max_rows, TIMEOUT)


def test_both_paths_give_the_same_answers_large_replies_included(pool) -> None:
    pool, settings = pool
    threads = ThreadPoolExecutor(4)
    small = job(settings, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    large = job(settings, EVERYTHING)

    async def on_the_loop():
        return [await pool.run_async(j, TIMEOUT, threads) for j in (small, large, small)]

    by_thread = [pool.run(j, TIMEOUT) for j in (small, large, small)]
    by_loop = uvloop.run(on_the_loop())
    assert all(r.ok for r in by_thread + by_loop), [r.message for r in by_thread + by_loop]
    assert len(by_loop[1].body) > LOOP_READ_MAX_BYTES  # read on a thread, not on the loop
    assert len(by_loop[0].body) < LOOP_READ_MAX_BYTES
    assert [r.body for r in by_loop] == [r.body for r in by_thread]
    assert by_loop[1].body.count(b"\n") == by_loop[1].rows
    # uvloop leaves a watched fd non-blocking; the pool must hand back pipes the thread path can read whole
    assert all(os.get_blocking(w.replies.fileno()) for w in pool._workers)


def test_a_query_past_its_slice_continues_on_a_thread_and_is_stopped_at_the_limit(pool) -> None:
    pool, settings = pool
    threads = ThreadPoolExecutor(4)
    entered, left = [], []

    async def scenario():
        started = time.monotonic()
        runaway = asyncio.ensure_future(
            pool.run_async(
                job(settings, RUNAWAY),
                TIMEOUT,
                threads,
                enter_slow=lambda: entered.append(time.monotonic() - started),
                leave_slow=lambda: left.append(True),
            )
        )
        await asyncio.sleep(0.6)  # past the slice: its fast-lane place is free again
        cheap = await pool.run_async(job(settings, "ASK { ?s ?p ?o }"), TIMEOUT, threads)
        cheap_at = time.monotonic() - started
        with pytest.raises(QueryTimedOut):
            await runaway
        return cheap, cheap_at, time.monotonic() - started

    cheap, cheap_at, stopped_at = uvloop.run(scenario())
    assert cheap.ok and cheap.body.startswith(b'{"head"') and cheap_at < TIMEOUT
    assert len(entered) == 1 and 0.2 < entered[0] < 1.0 and left == [True]
    assert TIMEOUT - 0.1 < stopped_at < TIMEOUT + 2.0
    assert pool.stats["timeouts"] >= 1


def test_the_event_loop_path_waits_on_a_thread_when_no_worker_is_free(pool) -> None:
    pool, settings = pool
    threads = ThreadPoolExecutor(8)
    query = job(settings, "SELECT ?s ?o WHERE { ?s ?p ?o FILTER(isIRI(?s) && !isBlank(?o)) } ORDER BY ?s ?o LIMIT 2000")

    async def crowd():
        return await asyncio.gather(*(pool.run_async(query, TIMEOUT, threads) for _ in range(6)))

    replies = uvloop.run(crowd())  # 6 at once for 2 fast-lane places
    assert all(r.ok for r in replies), [r.message for r in replies]
    assert len({r.body for r in replies}) == 1


def test_a_request_given_up_on_the_loop_gives_its_worker_back(pool) -> None:
    pool, settings = pool
    threads = ThreadPoolExecutor(4)
    slow = job(settings, "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f FILTER(?c = ?f) }")

    async def give_up():
        task = asyncio.ensure_future(pool.run_async(slow, TIMEOUT, threads))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    idle_before = pool._idle.qsize()
    uvloop.run(give_up())
    deadline = time.monotonic() + TIMEOUT + 3
    while pool._idle.qsize() < idle_before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pool._idle.qsize() >= idle_before  # the worker came back (its query finished or was stopped)
    assert pool.run(job(settings, "ASK { ?s ?p ?o }"), TIMEOUT).ok
