"""How many queries run at once, and how often an anonymous caller may start one.

In front of the worker pool (``query_workers.py``), which bounds each query's memory and time:

* a global cap (``query_workers``: one query per worker process);
* a per-caller cap (``query_max_per_caller``): a caller is a user id, or the client's address
  for anonymous callers (the address the ASGI server reports: behind a reverse proxy, uvicorn
  takes it from ``X-Forwarded-For`` of the addresses in ``FORWARDED_ALLOW_IPS``);
* a token bucket per anonymous address (``query_anonymous_per_minute``, ``query_anonymous_burst``).

Each refusal is QueryBusy (429, ``Retry-After``). The state is per server process: with several
processes the caps multiply by their number (size ``query_workers`` for that).
"""

from __future__ import annotations

import atexit
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qazai.catalog.query import QueryBusy, QueryOutcome, run_query
from qazai.catalog.query_tables import QueryTable
from qazai.catalog.query_workers import QueryWorkers

if TYPE_CHECKING:  # pydantic: a one-off `qazai query` on default settings needs none
    from qazai.config import Settings
    from qazai.config_rules import QueryDefaults


def default_workers() -> int:
    """Two per core, at most eight (each may use ``query_memory_bytes``)."""
    return max(1, min(8, 2 * (os.cpu_count() or 1)))


@dataclass(frozen=True)
class QueryLimits:
    """The query settings, as one hashable value (one worker pool per distinct value)."""

    workers: int
    memory_bytes: int
    timeout_ms: int
    grace_ms: int
    max_result_bytes: int
    per_caller: int
    anonymous_per_minute: int
    anonymous_burst: int

    @classmethod
    def of(cls, settings: Settings | QueryDefaults) -> QueryLimits:
        return cls(
            workers=settings.query_workers or default_workers(),
            memory_bytes=settings.query_memory_bytes,
            timeout_ms=settings.query_timeout_ms,
            grace_ms=settings.query_kill_grace_ms,
            max_result_bytes=settings.query_max_result_bytes,
            per_caller=settings.query_max_per_caller,
            anonymous_per_minute=settings.query_anonymous_per_minute,
            anonymous_burst=settings.query_anonymous_burst,
        )


class QueryGate:
    """The concurrency caps and the anonymous rate limit (module docstring)."""

    _MAX_BUCKETS = 10_000

    def __init__(self, limits: QueryLimits) -> None:
        self.limits = limits
        self._lock = threading.Lock()
        self._running = 0
        self._per_caller: dict[str, int] = {}
        self._buckets: dict[str, tuple[float, float]] = {}  # caller -> (tokens, as of)

    def running(self, caller: str | None = None) -> int:
        """Queries running now (``caller``'s only, when given)."""
        with self._lock:
            return self._running if caller is None else self._per_caller.get(caller, 0)

    @contextmanager
    def admit(self, caller: str, *, anonymous: bool) -> Iterator[None]:
        """Hold one of ``caller``'s query slots for the block; QueryBusy when none is free."""
        with self._lock:
            if anonymous:
                self._take_token(caller)
            if self._per_caller.get(caller, 0) >= self.limits.per_caller:
                raise QueryBusy(
                    f"you already have {self.limits.per_caller} queries running; wait for one to finish",
                    retry_after=1,
                    code="too_many_queries",
                )
            if self._running >= self.limits.workers:
                raise QueryBusy(
                    "the query service is busy; try again in a moment", retry_after=1, code="too_many_queries"
                )
            self._running += 1
            self._per_caller[caller] = self._per_caller.get(caller, 0) + 1
        try:
            yield
        finally:
            with self._lock:
                self._running -= 1
                left = self._per_caller[caller] - 1
                if left:
                    self._per_caller[caller] = left
                else:
                    del self._per_caller[caller]

    def _take_token(self, caller: str) -> None:
        rate = self.limits.anonymous_per_minute / 60
        if rate <= 0:
            return
        burst = float(self.limits.anonymous_burst)
        now = time.monotonic()
        tokens, since = self._buckets.get(caller, (burst, now))
        tokens = min(burst, tokens + (now - since) * rate)
        if tokens < 1:
            raise QueryBusy(
                f"anonymous callers may start {self.limits.anonymous_per_minute} queries a minute; "
                "sign in or send an API token for more",
                retry_after=int((1 - tokens) / rate) + 1,
                code="query_rate_limited",
            )
        self._buckets[caller] = (tokens - 1, now)
        if len(self._buckets) > self._MAX_BUCKETS:  # forget callers whose bucket has refilled
            full = [k for k, (t, s) in self._buckets.items() if t + (now - s) * rate >= burst]
            for key in full:
                del self._buckets[key]


@dataclass
class QueryRuntime:
    """The worker pool and the gate for one set of limits."""

    limits: QueryLimits
    gate: QueryGate
    workers: QueryWorkers


_RUNTIMES: dict[int, QueryRuntime] = {}  # by id() of the settings object
_RUNTIMES_LOCK = threading.Lock()


def query_runtime(settings: Settings) -> QueryRuntime:
    """This process's runtime for ``settings`` (built on first use; rebuilt, and the old workers
    stopped, when its query settings changed)."""
    limits = QueryLimits.of(settings)
    with _RUNTIMES_LOCK:
        runtime = _RUNTIMES.get(id(settings))
        if runtime is not None and runtime.limits == limits:
            return runtime
        stale = runtime
        workers = QueryWorkers(
            size=limits.workers, memory_bytes=limits.memory_bytes, grace_ms=limits.grace_ms
        )
        runtime = QueryRuntime(limits=limits, gate=QueryGate(limits), workers=workers)
        _RUNTIMES[id(settings)] = runtime
    if stale is not None:
        stale.workers.close()  # busy workers stop when their query ends
    return runtime


def default_limits() -> QueryLimits:
    """``QueryLimits.of`` the default settings (no ``QAZAI_QUERY_*`` variable set), without
    building them."""
    from qazai.config_rules import QUERY_DEFAULTS

    return QueryLimits.of(QUERY_DEFAULTS)


def one_off_runtime(limits: QueryLimits) -> QueryRuntime:
    """A runtime for a process that runs one query and exits (``qazai query``): the same limits
    and gate, one worker forked from this process (``QueryWorkers(fork_here=True)``) instead of a
    fork server. The caller closes its workers."""
    workers = QueryWorkers(size=1, memory_bytes=limits.memory_bytes, grace_ms=limits.grace_ms, fork_here=True)
    return QueryRuntime(limits=limits, gate=QueryGate(limits), workers=workers)


@atexit.register
def close_runtimes() -> None:
    """Stop every worker pool of this process (at exit)."""
    with _RUNTIMES_LOCK:
        runtimes = list(_RUNTIMES.values())
        _RUNTIMES.clear()
    for runtime in runtimes:
        runtime.workers.close()


def limited_query(
    runtime: QueryRuntime,
    caller: str,
    tables: Callable[[], dict[str, QueryTable]],
    sql: str,
    *,
    anonymous: bool = False,
    limit: int = 1000,
    cursor: str | None = None,
    timeout_ms: int | None = None,
) -> QueryOutcome:
    """One query within ``runtime``'s limits: a slot of ``caller``'s (QueryBusy when none is
    free), the tables it may read (``tables()``, called once admitted), then ``run_query`` in
    one of the runtime's workers. ``timeout_ms`` may lower the time limit, not raise it."""
    limits = runtime.limits
    with runtime.gate.admit(caller, anonymous=anonymous):
        return run_query(
            tables(),
            sql,
            limit=limit,
            cursor=cursor,
            timeout_ms=min(timeout_ms or limits.timeout_ms, limits.timeout_ms),
            max_result_bytes=limits.max_result_bytes,
            runner=runtime.workers.run,
        )
