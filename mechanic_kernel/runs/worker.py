"""The worker: performs due runs by hand (``step``), until idle, or as a server's loop (``work``).

The recipe: ``work()`` → ``claim()`` → ``perform()`` → the run's module commits its outcome, repeated while
a slot is free. The clock decides what is due, so tests move a FrozenClock and step; nothing sleeps.

Any number of workers, in any processes, may share a store: each claim holds its runs under a lease that
``work()`` renews while it performs them, so a run is performed by one worker at a time, and a worker that
dies leaves runs that the next claim takes over once their lease lapses. ``work()`` wakes when the store says
runs came due (at once for commits of its own process; across processes on PostgreSQL, through
LISTEN/NOTIFY) and otherwise looks again every poll interval. Its renders run in processes of their own
(:mod:`.renderer`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import logging
import threading
from collections.abc import Coroutine
from typing import TYPE_CHECKING
from typing import Any
from typing import TypeVar

from ..clock import parse_iso
from ..errors import StoreError
from ..errors import StoreUnavailable
from ..models.runs import Run
from ..models.runs import RunKind
from .engine import Engine
from .perform import perform
from .renderer import RenderPool
from .retention import purge

if TYPE_CHECKING:
    from concurrent.futures import Executor

T = TypeVar("T")
log = logging.getLogger("mechanic_kernel.runs")

DEFAULT_CONCURRENCY = 4
# How often work() applies retention (spec §1.11): deletion is due days later, so hourly is plenty.
PURGE_EVERY = dt.timedelta(hours=1)
# How long work() waits at most before looking for due runs again when nothing woke it up: runs made due by
# other processes are seen this late at worst, unless the store notifies across processes.
IDLE_POLL_SECONDS = 0.5
NOTIFIED_POLL_SECONDS = 5.0


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from synchronous code, even where an event loop is already running.

    A notebook cell runs inside the kernel's loop, where ``asyncio.run`` is refused; there the coroutine runs
    on a short-lived thread of its own.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="mechanic-step") as pool:
        return pool.submit(asyncio.run, coroutine).result()


class Worker:
    """Performs the runs of one store.

    Args:
        engine: what performing needs (store, clock, tasks, services).
        concurrency: how many runs ``work()`` performs at once (spec §3.5: the run queue size).
        isolate_renders: ``work()`` renders in processes of its own (:mod:`.renderer`), so that a runaway
            render is stopped without stopping the server; ``step`` and ``run_until_idle`` render in-process.
    """

    def __init__(self, engine: Engine, concurrency: int = DEFAULT_CONCURRENCY, *,
                 isolate_renders: bool = True) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.engine = engine
        self.concurrency = concurrency
        self.isolate_renders = isolate_renders
        self._executor: Executor | None = None
        self._wake: asyncio.Event | None = None
        self._wake_loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()
        self.started = 0  # runs performed by this worker since it was made
        self._last_purge: dt.datetime | None = None
        self._in_flight: set[str] = set()

    def __repr__(self) -> str:
        return f"Worker(concurrency={self.concurrency})"

    # -- single steps ----------------------------------------------------------------------------------------
    def claim(self, kinds: tuple[RunKind, ...] | None = None) -> Run | None:
        """Start the most urgent due run without performing it (for tests and tools)."""
        return self.engine.queue.claim(kinds)

    async def astep(self) -> Run | None:
        """Claim and perform one run; return it as it ended, or None when nothing is due."""
        claimed = await self.engine.queue.aclaim()
        if not claimed:
            return None
        self.started += 1
        await perform(self.engine, claimed[0], self._render_executor())
        return claimed[0]

    def step(self) -> Run | None:
        """Perform the most urgent due run (action > task > event); None when nothing is due by the clock."""
        return run_sync(self.astep())

    def run_until_idle(self, max_runs: int | None = None) -> list[Run]:
        """Perform due runs one after another until none is due (runs scheduled later stay scheduled).

        Args:
            max_runs: stop after this many, as a guard against a task that keeps feeding itself.

        Returns:
            The runs performed, in order, as they ended.
        """

        async def drain() -> list[Run]:
            done: list[Run] = []
            following: list[Run] = []
            while max_runs is None or len(done) < max_runs:
                run = following[0] if following else next(iter(await self.engine.queue.aclaim()), None)
                if run is None:
                    break
                self.started += 1
                more = max_runs is None or len(done) + 1 < max_runs
                following = await perform(self.engine, run, self._render_executor(),
                                          claim_next=1 if more else 0)
                done.append(run)
            return done

        return run_sync(drain())

    # -- the server loop -------------------------------------------------------------------------------------
    async def _slot(self, run: Run | None, stop: asyncio.Event) -> None:
        """Perform ``run``, then the runs its commit claims, until none is due or the worker stops."""
        while run is not None:
            self.started += 1
            self._in_flight.add(run.id)
            try:
                following = await perform(self.engine, run, self._render_executor(),
                                          claim_next=0 if stop.is_set() else 1, inline_tasks=True)
            except Exception:  # noqa: BLE001 - the store failed; the slot ends, work() goes on
                log.exception("the outcome of %s run %s could not be stored", run.kind.value, run.id)
                return
            finally:
                self._in_flight.discard(run.id)
            run = following[0] if following else None

    async def _renew_leases(self) -> None:
        """Every third of the lease, extend the leases of the runs this worker is performing."""
        interval = max(0.05, self.engine.queue.lease_seconds / 3)
        while True:
            await asyncio.sleep(interval)
            if not self._in_flight:
                continue
            try:
                await asyncio.wrap_future(self.engine.queue.renew(sorted(self._in_flight)))
            except StoreError as exc:  # retried next interval; a lapsed lease only means a takeover
                log.warning("the worker could not renew the leases of its runs: %s", exc.message)
            except Exception:  # noqa: BLE001 - as above, but unexpected: keep the traceback
                log.exception("the worker could not renew the leases of its runs")

    def wake(self) -> None:
        """Tell a running ``work()`` that new runs may be due (thread-safe; a no-op when not working)."""
        loop, event = self._wake_loop, self._wake
        if loop is not None and event is not None and not loop.is_closed():
            loop.call_soon_threadsafe(event.set)

    async def work(self, stop: asyncio.Event | None = None) -> None:
        """Perform runs as they come due, ``concurrency`` at a time, until ``stop`` is set or it is cancelled.

        Renders run on a thread pool so the loop (a server's) keeps answering requests meanwhile.
        """
        stop = stop or asyncio.Event()
        self._wake, self._wake_loop = asyncio.Event(), asyncio.get_running_loop()
        running: set[asyncio.Task[Any]] = set()
        unsubscribe = self.engine.store.runs.on_due(self.wake)
        renewing = asyncio.ensure_future(self._renew_leases())
        pool = RenderPool(self.engine.home, self.engine.store_url, self.concurrency) if self.isolate_renders \
            else None
        self.engine.renderer = pool
        store_away = False
        try:
            while not stop.is_set():
                self._wake.clear()
                try:
                    await self._maybe_purge()
                    free = self.concurrency - len(running)
                    # One transaction claims a run per free slot; then each slot's commit claims its next.
                    claimed = await self.engine.queue.aclaim(limit=free) if free > 0 else []
                    if store_away:
                        log.warning("the store is reachable again; the worker goes on")
                    store_away = False
                except StoreUnavailable as exc:
                    if not store_away:  # once per outage, not every poll
                        log.warning("the worker cannot reach the store (%s); trying again every poll",
                                    exc.message)
                    store_away, claimed = True, []
                except Exception:  # noqa: BLE001 - a locked or failing store must not end a server's worker
                    log.exception("the worker could not claim runs; trying again shortly")
                    claimed = []
                for run in claimed:
                    task = asyncio.ensure_future(self._slot(run, stop))
                    running.add(task)
                    task.add_done_callback(lambda done: (running.discard(done), self.wake()))
                waiters = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
                try:
                    timeout = None if len(running) >= self.concurrency else self._idle_timeout()
                    await asyncio.wait(waiters, timeout=timeout,
                                       return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for waiter in waiters:
                        waiter.cancel()
        finally:
            unsubscribe()
            if running:
                await asyncio.gather(*running, return_exceptions=True)
            renewing.cancel()
            await asyncio.gather(renewing, return_exceptions=True)
            if pool is not None:
                self.engine.renderer = None
                pool.close()
            self._wake = self._wake_loop = None

    async def _maybe_purge(self) -> None:
        now = self.engine.clock.now()
        if self._last_purge is None or now - self._last_purge >= PURGE_EVERY:
            self._last_purge = now
            await asyncio.get_running_loop().run_in_executor(self._render_executor(), purge, self.engine)

    def _idle_timeout(self) -> float:
        """Seconds until the next scheduled run or lapsing lease, at most the poll interval."""
        poll = NOTIFIED_POLL_SECONDS if self.engine.store.notifies_other_processes else IDLE_POLL_SECONDS
        try:
            upcoming = self.engine.store.runs.next_run_at()
        except StoreError:
            return IDLE_POLL_SECONDS  # looked at again soon; the claim reports the trouble
        if upcoming is None:
            return poll
        wait = (parse_iso(upcoming) - self.engine.clock.now()).total_seconds()
        return max(0.01, min(wait, poll))

    def _render_executor(self) -> Executor:
        with self._lock:
            if self._executor is None:
                self._executor = concurrent.futures.ThreadPoolExecutor(
                    max(1, self.concurrency), thread_name_prefix="mechanic-render")
            return self._executor

    def close(self) -> None:
        """Release the render threads."""
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=True)
                self._executor = None
