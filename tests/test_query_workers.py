"""The query worker pool on its own, with real worker processes on the session's build: replies small and large (a
large one is read on a thread) are the same as the worker wrote them; a query past its first slice continues in the
slow lane and is still stopped at the time limit; more queries than places wait on the loop; a query given up is
stopped and its worker replaced; a light client's query takes the reserve that heavy ones may not."""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import replace

import pytest
import uvloop

from kg.config import Settings
from kg.rdf.vocab import prefixes_for
from kg.sparql.jobs import Job, QueryTimedOut
from kg.sparql.policy import QueryError, dataset_graphs
from kg.sparql.workers import LOOP_READ_MAX_BYTES, QueryWorkerPool, _Worker
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


def idle_workers(pool: QueryWorkerPool) -> int:
    with pool._lock:
        return len(pool._idle)


def wait_for_all_workers(pool: QueryWorkerPool) -> None:
    deadline = time.monotonic() + 60
    while idle_workers(pool) < pool.size and time.monotonic() < deadline:
        time.sleep(0.05)
    assert idle_workers(pool) == pool.size, "the pool did not start (or restore) all its workers"


def test_small_and_large_replies_arrive_whole(pool) -> None:
    pool, settings = pool
    small = job(settings, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    large = job(settings, EVERYTHING)

    async def run_all():
        return [await pool.run(j, TIMEOUT) for j in (small, large, small)]

    replies = uvloop.run(run_all())
    assert all(r.ok for r in replies), [r.message for r in replies]
    assert len(replies[1].body) > LOOP_READ_MAX_BYTES  # read on a thread, not on the loop
    assert len(replies[0].body) < LOOP_READ_MAX_BYTES and replies[0].body == replies[2].body
    assert replies[1].body.count(b"\n") == replies[1].rows
    # uvloop leaves a watched fd non-blocking; the pool must hand back pipes whose blocking reads read whole messages
    assert all(os.get_blocking(w.replies.fileno()) for w in pool._workers)


def test_a_query_past_its_slice_continues_in_the_slow_lane_and_is_stopped_at_the_limit(pool) -> None:
    pool, settings = pool
    entered, left = [], []

    async def scenario():
        started = time.monotonic()
        runaway = asyncio.ensure_future(
            pool.run(
                job(settings, RUNAWAY),
                TIMEOUT,
                enter_slow=lambda: entered.append(time.monotonic() - started),
                leave_slow=lambda: left.append(True),
            )
        )
        await asyncio.sleep(0.6)  # past the slice: its fast-lane place is free again
        cheap = await pool.run(job(settings, "ASK { ?s ?p ?o }"), TIMEOUT)
        cheap_done = not runaway.done()
        with pytest.raises(QueryTimedOut):
            await runaway
        return cheap, cheap_done, time.monotonic() - started

    cheap, answered_while_the_runaway_ran, stopped_at = uvloop.run(scenario())
    assert cheap.ok and cheap.body.startswith(b'{"head"') and answered_while_the_runaway_ran
    assert len(entered) == 1 and 0.2 < entered[0] < 1.0 and left == [True]
    assert TIMEOUT - 0.1 < stopped_at < TIMEOUT + 2.0
    assert pool.stats["timeouts"] >= 1


def test_more_queries_than_places_wait_on_the_loop(pool) -> None:
    pool, settings = pool
    query = job(settings, "SELECT ?s ?o WHERE { ?s ?p ?o FILTER(isIRI(?s) && !isBlank(?o)) } ORDER BY ?s ?o LIMIT 2000")

    async def crowd():
        return await asyncio.gather(*(pool.run(query, TIMEOUT) for _ in range(6)))

    replies = uvloop.run(crowd())  # 6 at once for 2 fast-lane places
    assert all(r.ok for r in replies), [r.message for r in replies]
    assert len({r.body for r in replies}) == 1


def test_a_query_given_up_is_stopped_and_its_worker_replaced(pool) -> None:
    pool, settings = pool
    slow = job(settings, "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f FILTER(?c = ?f) }")
    wait_for_all_workers(pool)
    replaced = pool.stats["replaced"]

    async def give_up():
        task = asyncio.ensure_future(pool.run(slow, TIMEOUT))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    uvloop.run(give_up())
    assert pool.stats["replaced"] == replaced + 1
    wait_for_all_workers(pool)  # the replacement started
    assert uvloop.run(pool.run(job(settings, "ASK { ?s ?p ?o }"), TIMEOUT)).ok


def test_a_light_clients_query_takes_the_reserve_that_heavy_ones_wait_for(pool) -> None:
    pool, settings = pool
    wait_for_all_workers(pool)

    async def scenario():
        # two heavy queries hold both fast-lane places to the time limit (no slow lane offered to them)
        runaways = [asyncio.ensure_future(pool.run(job(settings, RUNAWAY), TIMEOUT)) for _ in range(2)]
        await asyncio.sleep(0.3)
        heavy = asyncio.ensure_future(pool.run(job(settings, "ASK { ?s ?p ?o }"), TIMEOUT))
        await asyncio.sleep(0.1)
        light = await pool.run(job(settings, "ASK { ?s ?p ?o }"), TIMEOUT, light=True)
        state = (light.ok, [r.done() for r in runaways], heavy.done())
        for r in runaways:
            with pytest.raises(QueryTimedOut):
                await r
        return state, await heavy

    (light_ok, runaways_done, heavy_done), heavy = uvloop.run(scenario())
    assert light_ok and runaways_done == [False, False]  # answered while both places were held
    assert not heavy_done  # the heavy ASK waited for a place, and did not take the reserve
    assert heavy.ok  # it ran once a runaway was stopped


def test_places_and_workers_are_never_lost_when_a_grant_meets_a_deadline_or_a_cancel(build_settings: Settings) -> None:
    """The hand-over of a place and a worker to a waiting query crosses threads and the loop: whichever comes first,
    the grant, the waiter's deadline or its cancellation, the pool ends with its place and its worker."""
    pool = QueryWorkerPool(
        lambda: None, needs_network=False, settings=build_settings, prefixes={}, size=1, slow_lane=0, fast_slice=0
    )
    worker = _Worker(process=None, jobs=None, replies=None)
    pool._started, pool._workers, pool._idle = True, {worker}, [worker]

    async def contend(give_up: str, after: float):
        held = await pool._take(False, 1.0)  # the one place and the one worker
        waiting = asyncio.ensure_future(pool._take(False, after if give_up == "deadline" else 1.0))
        await asyncio.sleep(after - 0.002)
        pool._free_place()  # both given back just before the waiter's deadline or cancellation ...
        pool._release(held)
        if give_up == "cancel after the grant":
            await asyncio.sleep(0)  # the grant is delivered; the waiting task has not run yet
        if give_up.startswith("cancel"):
            waiting.cancel()
        time.sleep(0.01)  # ... and the loop busy meanwhile: grant and give-up land in the same loop iteration
        try:
            got = await waiting
        except (QueryError, asyncio.CancelledError):
            return
        pool._free_place()
        pool._release(got)

    for give_up in ("deadline", "cancel before the grant", "cancel after the grant"):
        for after in (0.02, 0.05):
            uvloop.run(contend(give_up, after))
            assert (pool._places, pool._idle) == (1, [worker]), (give_up, after)
