"""Runs: their kinds, their statuses and the only transitions a status may make."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from enum import Enum
from typing import Any

from ..clock import parse_iso
from ..errors import Conflict


class RunKind(str, Enum):
    """What a run performs: an event (fan-out), a task (render) or an action (side effect)."""

    EVENT = "event"
    TASK = "task"
    ACTION = "action"

    @property
    def priority(self) -> int:
        """Lower is claimed first: action runs, then task runs, then event runs (spec §3.4)."""
        return _PRIORITY[self]


_PRIORITY = {RunKind.ACTION: 0, RunKind.TASK: 1, RunKind.EVENT: 2}


class RunStatus(str, Enum):
    """Where a run is in its life; the values are stored verbatim and shown as-is by the CLI and the API."""

    SCHEDULED = "scheduled"
    DUE = "due"
    STARTED = "started"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_finished(self) -> bool:
        """True once nothing more will happen to the run unless someone retries it."""
        return self in (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED)

    @property
    def is_pending(self) -> bool:
        """True while the run still has to be performed (retention keeps its event)."""
        return not self.is_finished


# Every allowed change of status. Anything else is a bug or a race lost to another worker.
#   scheduled -> due        its run_at came (or the previous action of its sequence finished)
#   scheduled -> failed     a halted sequence fails the actions it will never perform
#   scheduled -> cancelled  a queued event is cancelled
#   due -> started          a worker claimed it
#   due -> failed           a halted sequence (see above)
#   due -> cancelled        a queued event is cancelled
#   started -> succeeded | failed
#   started -> scheduled    an automatic retry after a transient error, at run_at = now + backoff
#   failed -> due           a manual retry
#   succeeded -> due        a manual retry of a run with no meaningful result (log-only task run, spec §3.6)
TRANSITIONS: dict[RunStatus, frozenset[RunStatus]] = {
    RunStatus.SCHEDULED: frozenset({RunStatus.DUE, RunStatus.FAILED, RunStatus.CANCELLED}),
    RunStatus.DUE: frozenset({RunStatus.STARTED, RunStatus.FAILED, RunStatus.CANCELLED}),
    RunStatus.STARTED: frozenset({RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.SCHEDULED}),
    RunStatus.SUCCEEDED: frozenset({RunStatus.DUE}),
    RunStatus.FAILED: frozenset({RunStatus.DUE}),
    RunStatus.CANCELLED: frozenset(),
}

# Automatic retries after a transient error: 5 attempts in all, waiting ≈30 s, 1m16s, 2m32s, 5m08s (§3.6).
RETRY_DELAYS = (30, 76, 152, 308)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1


def sources_of(target: RunStatus) -> frozenset[RunStatus]:
    """The statuses from which a run may move to ``target``."""
    return frozenset(source for source, targets in TRANSITIONS.items() if target in targets)


def check_transition(current: RunStatus | str, target: RunStatus | str) -> None:
    """Refuse a change of status the table does not allow.

    Raises:
        Conflict: naming both statuses and what ``current`` may become instead.
    """
    current, target = RunStatus(current), RunStatus(target)
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(status.value for status in TRANSITIONS[current])) or "nothing (final)"
        raise Conflict(f"a {current.value} run cannot become {target.value}; it may become: {allowed}")


@dataclass
class Run:
    """One run.

    Attributes:
        id: UUID4 string.
        kind: event, task or action.
        status: see :class:`RunStatus`.
        event_id: the event the run belongs to (for task and action runs, the event their task run answered).
        task_id: the task of a task or action run.
        parent_run_id: the event run of a task run, the task run of an action run.
        position: an action run's place in its task run's output (0-based).
        run_at: when it is due (None for an action waiting for the previous one of its sequence).
        enqueued_at: when it became due.
        started_at: when its latest attempt started.
        stopped_at: when its latest attempt stopped.
        attempts: how many times it was started.
        result: what performing it gave (JSON): the task run ids of an event run, the action result…
        error: why it failed (a message; for a task run failed by an error object, that object's value).
        details: kind-specific record: an action's ``type``/``options``/``meta``/``perform_event``; a task
            run's ``actions``, ``logs``, ``errors``, ``output``, ``task_name``; an event run's filter outcome.
        created_at: when the run was created.
        claimed_by: the worker that started its latest attempt (host, process, worker).
        lease_expires_at: while started, when that worker's claim lapses unless renewed; a run found started
            with a lapsed lease is taken over by another worker.
        taken_over: set on a run just claimed because its earlier attempt's worker stopped mid-run (not
            stored; the engine applies the retry rules to it).
    """

    id: str
    kind: RunKind
    status: RunStatus
    event_id: str
    task_id: str | None = None
    parent_run_id: str | None = None
    position: int = 0
    run_at: str | None = None
    enqueued_at: str | None = None
    started_at: str | None = None
    stopped_at: str | None = None
    attempts: int = 0
    result: Any = None
    error: Any = None
    details: dict[str, Any] = field(default_factory=dict)
    created_at: str = ""
    claimed_by: str | None = None
    lease_expires_at: str | None = None
    taken_over: bool = field(default=False, compare=False)

    @property
    def ok(self) -> bool:
        """True once the run succeeded."""
        return self.status is RunStatus.SUCCEEDED

    @property
    def elapsed_time_ms(self) -> int | None:
        """Milliseconds between start and stop of the latest attempt, when both are known."""
        if not (self.started_at and self.stopped_at):
            return None
        return round((parse_iso(self.stopped_at) - parse_iso(self.started_at)).total_seconds() * 1000)

    def summary(self) -> dict[str, Any]:
        """Mechanic's serialised run fields (the ``run`` object of error events and ``action.run``)."""
        return {
            "id": self.id,
            "ok": self.ok,
            "error": self.error,
            "result": self.result,
            "result_meta": None,
            "run_at": self.run_at,
            "enqueued_at": self.enqueued_at,
            "started_at": self.started_at,
            "stopped_at": self.stopped_at,
            "elapsed_time_ms": self.elapsed_time_ms,
            "attempts": self.attempts,
        }

    def to_dict(self) -> dict[str, Any]:
        """Every field, JSON-ready."""
        return {
            "id": self.id,
            "kind": self.kind.value,
            "status": self.status.value,
            "event_id": self.event_id,
            "task_id": self.task_id,
            "parent_run_id": self.parent_run_id,
            "position": self.position,
            "run_at": self.run_at,
            "enqueued_at": self.enqueued_at,
            "started_at": self.started_at,
            "stopped_at": self.stopped_at,
            "elapsed_time_ms": self.elapsed_time_ms,
            "attempts": self.attempts,
            "result": self.result,
            "error": self.error,
            "details": self.details,
            "created_at": self.created_at,
            "claimed_by": self.claimed_by,
            "lease_expires_at": self.lease_expires_at,
        }
