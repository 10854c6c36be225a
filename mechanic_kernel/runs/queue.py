"""The run queue: claims due runs in priority order and commits each run's outcome with what it created.

A perform never writes piecemeal. It fills a :class:`Changes` (status changes, new runs, new events) and the
queue commits it in one transaction of the store's writer thread, checking every status change against
:data:`~mechanic_kernel.models.runs.TRANSITIONS` twice: here, and as a compare-and-set in SQL.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from concurrent.futures import Future
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any

from ..clock import Clock
from ..clock import isoformat
from ..errors import Conflict
from ..models.events import Event
from ..ids import uuid7
from ..store.runs import claim_runs
from ..store.runs import insert_event
from ..store.runs import insert_run
from ..store.runs import update_run
from ..models.runs import Run
from ..models.runs import RunKind
from ..models.runs import RunStatus
from ..models.runs import check_transition
from ..models.runs import sources_of

if TYPE_CHECKING:
    from ..store import Store


def run_from_row(row: dict[str, Any]) -> Run:
    """A :class:`Run` from a store row."""
    return Run(
        id=row["id"], kind=RunKind(row["kind"]), status=RunStatus(row["status"]), event_id=row["event_id"],
        task_id=row["task_id"], parent_run_id=row["parent_run_id"], position=row["position"],
        run_at=row["run_at"], enqueued_at=row["enqueued_at"], started_at=row["started_at"],
        stopped_at=row["stopped_at"], attempts=row["attempts"], result=row["result"], error=row["error"],
        details=row["details"] or {}, created_at=row["created_at"],
    )


@dataclass
class NewEvent:
    """An event to create with its event run: a child event, an error event, a perform event."""

    event: Event
    task_ids: list[str] | None = None
    origin_task_id: str | None = None
    origin_run_id: str | None = None
    run_at: str | None = None


@dataclass
class Changes:
    """What one perform (or one API call) changes, committed atomically by :meth:`RunQueue.commit`."""

    updates: list[tuple[Run, RunStatus, dict[str, Any]]] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    events: list[NewEvent] = field(default_factory=list)

    def move(self, run: Run, target: RunStatus, **fields: Any) -> None:
        """Change ``run`` to ``target`` (checked against the transition table now and again in SQL)."""
        check_transition(run.status, target)
        self.updates.append((run, target, fields))


async def _committed(future: Future[Any]) -> Any:
    """Wait for a write of the writer thread; cancelling the waiter leaves the write alone.

    A write once queued commits anyway. A plain ``wrap_future`` would cancel the queued future when the
    waiting task is cancelled (a server stopping), and the writer thread cannot settle a cancelled future.
    """
    return await asyncio.shield(asyncio.wrap_future(future))


class RunQueue:
    """Runs of one store, as :class:`Run` objects."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def now(self) -> str:
        """The clock's reading in the stored format."""
        return isoformat(self.clock.now())

    # -- reading -----------------------------------------------------------------------------------------
    def get(self, run_id: str) -> Run | None:
        """One run, or None."""
        row = self.store.runs.get(run_id)
        return run_from_row(row) if row else None

    def list(self, **filters: Any) -> list[Run]:
        """Runs matching ``filters`` (see :meth:`mechanic_kernel.store.runs.RunStore.list`)."""
        for key in ("status", "kind"):
            if isinstance(filters.get(key), RunStatus | RunKind):
                filters[key] = filters[key].value
        return [run_from_row(row) for row in self.store.runs.list(**filters)]

    # -- claiming ----------------------------------------------------------------------------------------
    def claim(self, kinds: tuple[RunKind, ...] | None = None) -> Run | None:
        """Start the most urgent due run (action > task > event, then oldest run_at); None when none is due.

        Scheduled runs whose ``run_at`` has come by the clock become due first, in the same transaction.
        """
        rows = self.store.runs.claim(self.now(), self._kinds(kinds)).result()
        return run_from_row(rows[0]) if rows else None

    async def aclaim(self, kinds: tuple[RunKind, ...] | None = None, limit: int = 1) -> list[Run]:
        """Start up to ``limit`` due runs, most urgent first, without blocking the event loop meanwhile."""
        rows = await _committed(self.store.runs.claim(self.now(), self._kinds(kinds), limit))
        return [run_from_row(row) for row in rows]

    @staticmethod
    def _kinds(kinds: tuple[RunKind, ...] | None) -> tuple[str, ...] | None:
        return tuple(kind.value for kind in kinds) if kinds else None

    # -- building ----------------------------------------------------------------------------------------
    def new_run(self, kind: RunKind, event_id: str, *, task_id: str | None = None,
                parent_run_id: str | None = None, position: int = 0, run_at: dt.datetime | str | None = "now",
                details: dict[str, Any] | None = None) -> dict[str, Any]:
        """A row for a new run: due when ``run_at`` is now or past, scheduled when later or None (waiting)."""
        now = self.now()
        if run_at == "now":
            run_at = now
        elif isinstance(run_at, dt.datetime):
            run_at = isoformat(run_at)
        due = run_at is not None and run_at <= now
        return {
            "id": uuid7(), "kind": kind.value,
            "status": (RunStatus.DUE if due else RunStatus.SCHEDULED).value, "priority": kind.priority,
            "event_id": event_id, "task_id": task_id, "parent_run_id": parent_run_id, "position": position,
            "run_at": run_at, "enqueued_at": now if due else None, "attempts": 0, "details": details or {},
            "created_at": now,
        }

    def commit(self, changes: Changes) -> None:
        """Apply ``changes`` in one transaction.

        Raises:
            Conflict: a run's status changed meanwhile (another worker, a cancel); nothing is written.
        """
        self._write(changes, 0).result()
        self._applied(changes)

    async def acommit(self, changes: Changes, claim: int = 0) -> list[Run]:
        """:meth:`commit` without blocking the event loop; also start up to ``claim`` due runs, returned.

        Raises:
            Conflict: as :meth:`commit`.
        """
        rows = await _committed(self._write(changes, claim))
        self._applied(changes)
        return [run_from_row(row) for row in rows]

    def _write(self, changes: Changes, claim: int) -> Future[list[dict[str, Any]]]:
        now = self.now()

        def work(conn: sqlite3.Connection) -> list[dict[str, Any]]:
            for run, target, fields in changes.updates:
                if not update_run(conn, run.id, [status.value for status in sources_of(target)
                                                 if status is run.status], target.value, **fields):
                    raise Conflict(f"run {run.id} is no longer {run.status.value}; it was changed meanwhile")
            for row in changes.runs:
                insert_run(conn, row)
            for new in changes.events:
                insert_event(conn, new.event, task_ids=new.task_ids, origin_task_id=new.origin_task_id,
                             origin_run_id=new.origin_run_id, run_at=new.run_at, now=now)
            return claim_runs(conn, now, None, claim) if claim > 0 else []

        return self.store.runs.write(work)

    @staticmethod
    def _applied(changes: Changes) -> None:
        for run, target, fields in changes.updates:
            run.status = target
            for key, value in fields.items():
                setattr(run, key, value)
