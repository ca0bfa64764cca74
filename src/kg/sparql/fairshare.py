"""Fair share of query time between clients (by address), in one server process.

    admit(client, text)   before a query takes a worker: whether the client is light (it used less than one time slice
                          of query time in the budget window: its queries go first, kg.sparql.workers); refused at
                          once (429, with Retry-After) when
                          - the same query text (comments and spacing aside) ran out of time recently, or
                          - the client used up its time budget (`client_budget` seconds per `budget_window`), or
                          - the client's last query was turned away from a full slow lane and the lane is still full
    enter_slow(client)    a query past its first time slice (`fast_slice`) continues in the slow lane (at the lowest
                          CPU priority): at most `slow_lane` such queries at once (503 beyond), one per client (429)
    finish(client, s)     the query's wall time is charged to the client's budget

A client learns its share from the message and the Retry-After header of a refusal, and from the service
description (/sparql), which states every limit.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import OrderedDict, deque

from kg.config import Settings
from kg.sparql.policy import QueryError

MAX_CLIENTS = 100_000  # clients remembered at once (the least recently seen are forgotten first)
MAX_TIMED_OUT = 10_000
_COMMENT = re.compile(r"#[^\n\r]*")
_SPACE = re.compile(r"\s+")


def normalized(text: str) -> str:
    """A query text without comments and with spacing folded: the same query, however it is dressed. Crude on
    purpose (a '#' inside a string or IRI counts as a comment too): it only has to map a query to itself."""
    return _SPACE.sub(" ", _COMMENT.sub(" ", text)).strip()


class TooBusy(QueryError):
    """A refusal with a Retry-After (seconds)."""

    def __init__(self, status: int, message: str, retry_after: float):
        super().__init__(status, message)
        self.retry_after = max(1, math.ceil(retry_after))


class _Client:
    __slots__ = ("reserved", "slow", "total", "turned_away", "used")

    def __init__(self) -> None:
        self.used: deque[list[float]] = deque()  # [second it ended in, seconds]: one entry per second at most
        self.total = 0.0  # the sum of `used`
        self.slow = 0
        self.turned_away = 0.0  # when its last query found the slow lane full
        self.reserved = False  # a place in the slow lane is kept for its query (it was turned away before)


class FairShare:
    def __init__(self, settings: Settings, clock=time.monotonic):
        self.budget = settings.client_budget
        self.window = settings.budget_window
        self.slow_lane = settings.slow_lane
        self.memory = settings.timed_out_memory
        self.timeout = settings.timeout
        self.light_below = settings.fast_slice
        self.clock = clock
        self._clients: OrderedDict[str, _Client] = OrderedDict()
        self._timed_out: OrderedDict[str, float] = OrderedDict()  # normalized text -> until when it is refused
        self._slow_total = 0
        self._reserved = 0
        self._lock = threading.Lock()
        self._refusals: dict[str, tuple[float, TooBusy]] = {}  # address -> (until when, the refusal)

    def _client(self, address: str) -> _Client:
        client = self._clients.get(address)
        if client is None:
            client = self._clients[address] = _Client()
            while len(self._clients) > MAX_CLIENTS:
                self._clients.popitem(last=False)
        else:
            self._clients.move_to_end(address)
        return client

    def _used(self, client: _Client, now: float) -> float:
        while client.used and client.used[0][0] <= now - self.window:
            client.total -= client.used.popleft()[1]
        if not client.used:
            client.total = 0.0  # no drift from float sums
        return client.total

    def admit(self, address: str, text: str) -> bool:
        """Whether the client is light; TooBusy when its query is refused."""
        now = self.clock()
        with self._lock:
            key = normalized(text)
            until = self._timed_out.get(key)
            if until is not None:
                if until > now:
                    raise TooBusy(
                        429,
                        f"This query ran longer than the limit of {self.timeout:g} s a short while "
                        f"ago, so it is refused for {until - now:.0f} s more without being run. "
                        "Narrow it down (LIMIT, more specific patterns) and try again.",
                        until - now,
                    )
                del self._timed_out[key]
            client = self._client(address)
            used = self._used(client, now)
            if self.budget > 0 and used >= self.budget:
                # the budget frees up as the oldest charges leave the window
                free_at, running = now, used
                for ended, seconds in client.used:
                    running -= seconds
                    free_at = ended + self.window
                    if running < self.budget:
                        break
                raise self._refuse(
                    address,
                    free_at,
                    TooBusy(
                        429,
                        f"Your queries used {used:.1f} s of query time in the last {self.window:g} s; each client "
                        f"may use {self.budget:g} s per {self.window:g} s. Retry after {free_at - now:.0f} s.",
                        free_at - now,
                    ),
                )
            if client.turned_away and not client.reserved:
                if self._slow_total + self._reserved >= self.slow_lane:
                    raise self._refuse(
                        address,
                        now + 1.0,
                        TooBusy(
                            503,
                            "Your last query needed more than the first time slice and the slow lane for long "
                            f"queries is full ({self.slow_lane} at once); try again shortly.",
                            2,
                        ),
                    )
                client.reserved = True  # its next query may need the slow lane: keep a place for it
                self._reserved += 1
            self._refusals.pop(address, None)
            return used < self.light_below

    def _refuse(self, address: str, until: float, refusal: TooBusy) -> TooBusy:
        self._refusals[address] = (until, refusal)
        while len(self._refusals) > MAX_CLIENTS:
            self._refusals.pop(next(iter(self._refusals)))
        return refusal

    def refusal(self, address: str) -> tuple[float, TooBusy] | None:
        """The refusal a client's next query would get at once (over its budget, or waiting for the slow lane),
        without taking the lock: the front end answers such a client without entering the app."""
        entry = self._refusals.get(address)
        if entry is None:
            return None
        remaining = entry[0] - self.clock()
        if remaining <= 0:
            self._refusals.pop(address, None)
            return None
        return remaining, entry[1]

    def enter_slow(self, address: str) -> None:
        """Admit a query that outlived its first slice to the slow lane, or refuse it (it is then stopped)."""
        with self._lock:
            client = self._client(address)
            reserved = self._unreserve(client)
            if client.slow >= 1:
                raise TooBusy(
                    429,
                    "You already have a long query running; a client may run one at a time past "
                    "the first time slice. Wait for it to end, then try again.",
                    2,
                )
            if not reserved and self._slow_total + self._reserved >= self.slow_lane:
                client.turned_away = self.clock()
                raise TooBusy(
                    503,
                    f"This query needs more than the first time slice and the slow lane for long "
                    f"queries is full ({self.slow_lane} at once); try again shortly.",
                    2,
                )
            client.slow += 1
            self._slow_total += 1
            client.turned_away = 0.0

    def _unreserve(self, client: _Client) -> bool:
        if not client.reserved:
            return False
        client.reserved = False
        self._reserved -= 1
        return True

    def leave_slow(self, address: str) -> None:
        with self._lock:
            client = self._client(address)
            if client.slow > 0:
                client.slow -= 1
                self._slow_total -= 1

    def finish(self, address: str, seconds: float, *, timed_out_text: str | None = None) -> None:
        """Charge a finished (or stopped) query's time; remember a text that ran out of time."""
        now = self.clock()
        with self._lock:
            client = self._client(address)
            self._unreserve(client)  # a query that ended within its first slice did not need its place
            second = float(int(now))
            if client.used and client.used[-1][0] == second:
                client.used[-1][1] += seconds
            else:
                client.used.append([second, seconds])
            client.total += seconds
            if timed_out_text is not None and self.memory > 0:
                self._timed_out[normalized(timed_out_text)] = now + self.memory
                self._timed_out.move_to_end(normalized(timed_out_text))
                while len(self._timed_out) > MAX_TIMED_OUT:
                    self._timed_out.popitem(last=False)
