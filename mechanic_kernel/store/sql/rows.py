"""Rows of the two tables every unit of work touches, events and runs: their columns, inserts and records.

Both :mod:`.events` (a webhook's event and its event run) and :mod:`.runs` (a run's outcome with the events
it creates) build these rows, so they live here, below both.
"""

from __future__ import annotations

from typing import Any

from ...ids import uuid7
from ...models.events import Event
from ...models.runs import Run
from ...models.runs import RunKind
from ...models.runs import RunStatus
from .json import dump
from .json import from_json
from .json import to_json

EVENT_COLUMNS = "id, topic, data, source, created_at, webhook_id, webhook_request_id, parent_id"
INSERT_EVENT = f"INSERT INTO events ({EVENT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)"

RUN_COLUMNS = (
    "id",
    "kind",
    "status",
    "priority",
    "event_id",
    "task_id",
    "parent_run_id",
    "position",
    "run_at",
    "enqueued_at",
    "started_at",
    "stopped_at",
    "attempts",
    "result",
    "error",
    "details",
    "created_at",
    "claimed_by",
    "lease_expires_at",
)
RUN_JSON_COLUMNS = frozenset({"result", "error", "details"})
INSERT_RUN = f"INSERT INTO runs ({', '.join(RUN_COLUMNS)}) VALUES ({', '.join('?' * len(RUN_COLUMNS))})"
SELECT_RUN = f"SELECT {', '.join(RUN_COLUMNS)} FROM runs"


def event_from_row(row: Any) -> Event:
    """An :class:`Event` from a row of :data:`EVENT_COLUMNS`."""
    return Event(
        id=row["id"],
        topic=row["topic"],
        data=None if row["data"] is None else from_json(row["data"]),
        source=row["source"],
        created_at=row["created_at"],
        webhook_id=row["webhook_id"],
        webhook_request_id=row["webhook_request_id"],
        parent_id=row["parent_id"],
    )


def event_values(event: Event) -> tuple[Any, ...]:
    """The parameters of :data:`INSERT_EVENT`."""
    return (
        event.id,
        event.topic,
        to_json(event.data),
        event.source,
        event.created_at,
        event.webhook_id,
        event.webhook_request_id,
        event.parent_id,
    )


def run_from_row(row: Any) -> Run:
    """A :class:`Run` from a row of :data:`RUN_COLUMNS`."""
    return Run(
        id=row["id"],
        kind=RunKind(row["kind"]),
        status=RunStatus(row["status"]),
        event_id=row["event_id"],
        task_id=row["task_id"],
        parent_run_id=row["parent_run_id"],
        position=row["position"],
        run_at=row["run_at"],
        enqueued_at=row["enqueued_at"],
        started_at=row["started_at"],
        stopped_at=row["stopped_at"],
        attempts=row["attempts"],
        result=None if row["result"] is None else from_json(row["result"]),
        error=None if row["error"] is None else from_json(row["error"]),
        details=from_json(row["details"]) if row["details"] else {},
        created_at=row["created_at"],
        claimed_by=row["claimed_by"],
        lease_expires_at=row["lease_expires_at"],
    )


def run_values(run: Run) -> tuple[Any, ...]:
    """The parameters of :data:`INSERT_RUN`."""
    return (
        run.id,
        run.kind.value,
        run.status.value,
        run.kind.priority,
        run.event_id,
        run.task_id,
        run.parent_run_id,
        run.position,
        run.run_at,
        run.enqueued_at,
        run.started_at,
        run.stopped_at,
        run.attempts,
        dump(run.result),
        dump(run.error),
        to_json(run.details or {}),
        run.created_at,
        run.claimed_by,
        run.lease_expires_at,
    )


def event_run(event_id: str, created_at: str, run_at: str | None = None, now: str | None = None) -> Run:
    """The event run of a new event: due at once, or scheduled when ``run_at`` is after ``now``."""
    scheduled = run_at is not None and now is not None and run_at > now
    return Run(
        id=uuid7(),
        kind=RunKind.EVENT,
        status=RunStatus.SCHEDULED if scheduled else RunStatus.DUE,
        event_id=event_id,
        run_at=run_at if scheduled else created_at,
        enqueued_at=None if scheduled else created_at,
        created_at=created_at,
    )
