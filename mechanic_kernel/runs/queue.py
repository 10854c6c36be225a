"""The run queue: claims due runs in priority order under a lease, and commits each run's outcome.

A perform never writes piecemeal. It fills a :class:`~mechanic_kernel.store.contract.Changes` (status
changes, new runs, new events) and the queue commits it as one unit of work of the store, which checks every
status change against :data:`~mechanic_kernel.models.runs.TRANSITIONS` as a compare-and-set.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import socket
from concurrent.futures import Future
from typing import Any

from ..clock import Clock
from ..clock import isoformat
from ..ids import uuid4
from ..ids import uuid7
from ..models.runs import Run
from ..models.runs import RunKind
from ..models.runs import RunStatus
from ..store.contract import Changes
from ..store.contract import Lease
from ..store.contract import Store

# How long a claim holds without renewal. A worker renews its runs' leases every third of it, so only a
# worker that stopped (killed, frozen, cut off from the store) loses them; another then takes them over.
DEFAULT_LEASE_SECONDS = 30.0


async def committed(future: Future[Any]) -> Any:
    """Wait for a write of the store's writer; cancelling the waiter leaves the write alone.

    A write once queued commits anyway. A plain ``wrap_future`` would cancel the queued future when the
    waiting task is cancelled (a server stopping), and the writer cannot settle a cancelled future.
    """
    return await asyncio.shield(asyncio.wrap_future(future))


def worker_name() -> str:
    """A name for one worker (host, process, random part): ``claimed_by`` tells where a run is performed."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid4()[:8]}"


class RunQueue:
    """Runs of one store, claimed under this queue's lease.

    Args:
        store: the store.
        clock: decides what is due and stamps every run (and lease).
        lease_seconds: how long a claim holds without renewal.
    """

    def __init__(self, store: Store, clock: Clock, lease_seconds: float = DEFAULT_LEASE_SECONDS) -> None:
        self.store = store
        self.clock = clock
        self.lease_seconds = lease_seconds
        self.worker = worker_name()

    def now(self) -> str:
        """The clock's reading in the stored format."""
        return isoformat(self.clock.now())

    def lease(self) -> Lease:
        """A lease from now for this queue's worker."""
        return Lease(self.worker, isoformat(self.clock.now() + dt.timedelta(seconds=self.lease_seconds)))

    # -- reading -----------------------------------------------------------------------------------------
    def get(self, run_id: str) -> Run | None:
        """One run, or None."""
        return self.store.runs.get(run_id)

    def list(self, **filters: Any) -> list[Run]:
        """Runs matching ``filters`` (see :meth:`mechanic_kernel.store.contract.RunStore.list`)."""
        for key in ("status", "kind"):
            if isinstance(filters.get(key), RunStatus | RunKind):
                filters[key] = filters[key].value
        return self.store.runs.list(**filters)

    # -- claiming ----------------------------------------------------------------------------------------
    def claim(self, kinds: tuple[RunKind, ...] | None = None) -> Run | None:
        """Start the most urgent due run (action > task > event, then oldest run_at); None when none is due.

        Scheduled runs whose ``run_at`` has come by the clock become due first, in the same transaction, and a
        run whose lease lapsed is taken over before any due run.
        """
        runs = self.store.runs.claim(self.now(), lease=self.lease(), kinds=self._kinds(kinds)).result()
        return runs[0] if runs else None

    async def aclaim(self, kinds: tuple[RunKind, ...] | None = None, limit: int = 1) -> list[Run]:
        """Start up to ``limit`` due runs, most urgent first, without blocking the event loop meanwhile."""
        return await committed(
            self.store.runs.claim(self.now(), lease=self.lease(), kinds=self._kinds(kinds), limit=limit)
        )

    def renew(self, run_ids: list[str]) -> Future[int]:
        """Extend the leases of runs this queue's worker is performing."""
        return self.store.runs.renew(run_ids, self.lease())

    @staticmethod
    def _kinds(kinds: tuple[RunKind, ...] | None) -> tuple[str, ...] | None:
        return tuple(kind.value for kind in kinds) if kinds else None

    # -- building ----------------------------------------------------------------------------------------
    def new_run(
        self,
        kind: RunKind,
        event_id: str,
        *,
        task_id: str | None = None,
        parent_run_id: str | None = None,
        position: int = 0,
        run_at: dt.datetime | str | None = "now",
        details: dict[str, Any] | None = None,
    ) -> Run:
        """A new run: due when ``run_at`` is now or past, scheduled when later or None (waiting)."""
        now = self.now()
        if run_at == "now":
            run_at = now
        elif isinstance(run_at, dt.datetime):
            run_at = isoformat(run_at)
        due = run_at is not None and run_at <= now
        return Run(
            id=uuid7(),
            kind=kind,
            status=RunStatus.DUE if due else RunStatus.SCHEDULED,
            event_id=event_id,
            task_id=task_id,
            parent_run_id=parent_run_id,
            position=position,
            run_at=run_at,
            enqueued_at=now if due else None,
            details=details or {},
            created_at=now,
        )

    def commit(self, changes: Changes) -> None:
        """Apply ``changes`` in one transaction.

        Raises:
            Conflict: a run was changed meanwhile (another worker, a cancel); nothing is written.
        """
        self.store.runs.commit(changes, now=self.now()).result()
        self._applied(changes)

    async def acommit(self, changes: Changes, claim: int = 0) -> list[Run]:
        """:meth:`commit` without blocking the event loop; also start up to ``claim`` due runs, returned.

        Raises:
            Conflict: as :meth:`commit`.
        """
        claimed = await committed(
            self.store.runs.commit(
                changes, now=self.now(), claim=claim, lease=self.lease() if claim else None
            )
        )
        self._applied(changes)
        return claimed

    @staticmethod
    def _applied(changes: Changes) -> None:
        for change in changes.updates:
            change.run.status = change.target
            if change.target is not RunStatus.STARTED:
                change.run.lease_expires_at = None  # as the store does: only a started run holds a lease
            for key, value in change.fields.items():
                setattr(change.run, key, value)
