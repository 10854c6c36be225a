"""``workbench.runs``: inspect runs, retry them by Mechanic's rules, cancel queued events, emit events."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..actions.base import ActionError
from ..actions.event import parse_run_at as parse_event_run_at
from ..clock import isoformat
from ..errors import Conflict
from ..errors import InvalidInput
from ..errors import NotFound
from ..liquid.render import parse_template
from ..models.events import Event
from ..models.runs import Run
from ..models.runs import RunKind
from ..models.runs import RunStatus
from ..store.contract import Changes
from ..store.contract import NewEvent
from ..topics import validate_user_topic
from .engine import Engine
from .action_run import OUTCOME_UNKNOWN
from .followups import USER_SOURCE
from .followups import new_event
from .followups import origin_only
from .retention import fail_interrupted
from .retention import purge


def parse_run_at(value: Any) -> dt.datetime | None:
    """A run_at given as a Unix timestamp, a time string or a datetime; None means now.

    Raises:
        InvalidInput: anything else.
    """
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    try:
        return parse_event_run_at(value)
    except ActionError as exc:
        raise InvalidInput(exc.message) from None


def _fresh_details(run: Run) -> dict[str, Any]:
    # A retry discards the previous result (spec §3.6); an action run keeps the options it was rendered with.
    if run.kind is RunKind.ACTION:
        if OUTCOME_UNKNOWN in run.details:
            return {"details": {key: value for key, value in run.details.items() if key != OUTCOME_UNKNOWN}}
        return {}
    if run.kind is RunKind.TASK:
        return {"details": {"task_name": run.details.get("task_name")}}
    return {"details": {}}


class Runs:
    """Runs of a workbench."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.queue = engine.queue

    def __repr__(self) -> str:
        return f"Runs({self.engine.store.runs.count()} runs)"

    # -- reading -------------------------------------------------------------------------------------------
    def get(self, run_id: str) -> Run:
        """One run.

        Raises:
            NotFound: no such run.
        """
        run = self.queue.get(run_id)
        if run is None:
            raise NotFound(f"no run with id {run_id!r}")
        return run

    def list(self, *, status: RunStatus | str | None = None, kind: RunKind | str | None = None,
             event_id: str | None = None, task_id: str | None = None, limit: int | None = 100) -> list[Run]:
        """Runs newest first, filtered by status, kind, event or task.

        Raises:
            InvalidInput: an unknown status or kind.
        """
        try:
            status = RunStatus(status) if status is not None else None
            kind = RunKind(kind) if kind is not None else None
        except ValueError as exc:
            raise InvalidInput(f"{exc}; statuses: {', '.join(s.value for s in RunStatus)}; "
                               f"kinds: {', '.join(k.value for k in RunKind)}") from None
        return self.queue.list(status=status, kind=kind, event_id=event_id, task_id=task_id, limit=limit,
                               newest_first=True)

    def event_run(self, event_id: str) -> Run | None:
        """The event run of an event."""
        runs = self.queue.list(event_id=event_id, kind=RunKind.EVENT)
        return runs[-1] if runs else None

    def task_runs(self, event_id: str) -> list[Run]:
        """The task runs answering an event, oldest first."""
        return self.queue.list(event_id=event_id, kind=RunKind.TASK)

    def action_runs(self, task_run_id: str) -> list[Run]:
        """The action runs of a task run, in rendered order."""
        return self.queue.list(parent_run_id=task_run_id, kind=RunKind.ACTION)

    def describe_event(self, event_id: str) -> dict[str, Any]:
        """What happened to an event, JSON-ready.

        Returns:
            ``run`` (its event run), ``task_runs`` (each with its ``action_runs``) and ``child_event_ids``.
        """
        event_run = self.event_run(event_id)
        task_runs = []
        for run in self.task_runs(event_id):
            details = run.details
            task_runs.append({
                "id": run.id, "task_id": run.task_id, "task_name": details.get("task_name"),
                "status": run.status.value, "run_at": run.run_at, "started_at": run.started_at,
                "stopped_at": run.stopped_at, "attempts": run.attempts, "error": run.error,
                "actions": details.get("actions", []), "logs": details.get("logs", []),
                "errors": details.get("errors", []), "output": details.get("output"),
                "action_runs": [{
                    "id": action.id, "type": action.details.get("type"),
                    "options": action.details.get("options"), "meta": action.details.get("meta"),
                    "status": action.status.value, "result": action.result,
                    "error": action.error, "attempts": action.attempts, "run_at": action.run_at,
                    "outcome_unknown": bool(action.details.get(OUTCOME_UNKNOWN)),
                    "started_at": action.started_at, "stopped_at": action.stopped_at,
                } for action in self.action_runs(run.id)],
            })
        return {
            "run": None if event_run is None else {
                "id": event_run.id, "status": event_run.status.value, "run_at": event_run.run_at,
                "started_at": event_run.started_at, "stopped_at": event_run.stopped_at,
                "attempts": event_run.attempts, "error": event_run.error,
                "filtered_by": event_run.details.get("filtered_by"),
            },
            "task_runs": task_runs,
            "child_event_ids": self.engine.store.events.children_of(event_id),
        }

    def statuses(self, event_ids: list[str]) -> dict[str, dict[str, Any]]:
        """Per event: ``status`` (its event run's) and ``task_runs`` (each ``task_id, task_name, status``)."""
        overview: dict[str, dict[str, Any]] = {event_id: {"status": None, "task_runs": []}
                                               for event_id in event_ids}
        for row in self.engine.store.runs.event_overview(event_ids):
            entry = overview[row["event_id"]]
            if row["kind"] == RunKind.EVENT.value:
                entry["status"] = row["status"]
            else:
                entry["task_runs"].append({"task_id": row["task_id"], "status": row["status"],
                                           "task_name": row["details"].get("task_name")})
        return overview

    def purge(self, retention_days: int | None = None) -> int:
        """Delete events complete for longer than ``retention_days`` (default: the setting), with runs."""
        return purge(self.engine, retention_days)

    def fail_interrupted(self) -> int:
        """Fail runs whose worker stopped (lease lapsed) instead of letting a worker take them over."""
        return fail_interrupted(self.engine)

    # -- changing ------------------------------------------------------------------------------------------
    def retry(self, run_id: str) -> Run:
        """Queue a run again, discarding its result (spec §3.6).

        Allowed: a failed run of any kind; a task run that succeeded without producing actions; an event run
        that succeeded without producing task runs. Task runs re-render with the task's current code and
        options, action runs reuse their original options, event runs re-apply the current event filters.

        Raises:
            NotFound: no such run.
            Conflict: the run has a meaningful result, or is still pending.
        """
        run = self.get(run_id)
        if run.status is RunStatus.SUCCEEDED:
            if run.kind is RunKind.ACTION:
                raise Conflict("a succeeded action run cannot be retried")
            if run.kind is RunKind.TASK and run.details.get("actions"):
                raise Conflict("a task run that produced actions cannot be retried")
            if run.kind is RunKind.EVENT and run.result:
                raise Conflict("an event run that produced task runs cannot be retried")
        elif run.status is not RunStatus.FAILED:
            raise Conflict(f"only finished runs can be retried; this one is {run.status.value}")
        now = self.queue.now()
        changes = Changes()
        changes.move(run, RunStatus.DUE, run_at=now, enqueued_at=now, started_at=None, stopped_at=None,
                     result=None, error=None, **_fresh_details(run))
        self.queue.commit(changes)
        return self.get(run_id)

    def cancel_event(self, event_id: str) -> Run:
        """Cancel an event whose event run has not started; it will create no task runs.

        Raises:
            NotFound: no such event.
            Conflict: its event run has started or finished already.
        """
        event = self.engine.store.events.get(event_id)
        if event is None:
            raise NotFound(f"no event with id or request id {event_id!r}")
        run = self.event_run(event.id)
        if run is None or run.status not in (RunStatus.SCHEDULED, RunStatus.DUE):
            state = run.status.value if run else "without an event run"
            raise Conflict(f"event {event.id} cannot be cancelled: its event run is {state}; only queued "
                           "(scheduled or due) events can be cancelled")
        changes = Changes()
        changes.move(run, RunStatus.CANCELLED, stopped_at=self.queue.now())
        self.queue.commit(changes)
        return run

    def emit(self, topic: str, data: Any = None, *, run_at: Any = None, task_id: str | None = None,
             task_ids: list[str] | None = None, parent_id: str | None = None) -> Event:
        """Create an event (and its event run) like the Event action or a Run-task button does.

        Args:
            topic: ``user/<subject>/<verb>``, or a ``mechanic/user/*`` topic with ``task_id``/``task_ids``.
            data: any JSON value.
            run_at: a Unix timestamp, a time string or a datetime; the event run is scheduled for then.
            task_id: only this task may answer.
            task_ids: only these tasks may answer.
            parent_id: make it a child of this event.

        Raises:
            InvalidInput: a bad topic, both task_id and task_ids, a bad run_at.
        """
        if task_id is not None and task_ids is not None:
            raise InvalidInput("give task_id or task_ids, not both")
        ids = [task_id] if task_id is not None else list(task_ids) if task_ids is not None else None
        if not (isinstance(topic, str) and origin_only(topic) and topic.startswith("mechanic/user/") and ids):
            validate_user_topic(topic)
        moment = parse_run_at(run_at)
        event = new_event(self.engine, topic, data, parent_id=parent_id, source=USER_SOURCE)
        changes = Changes()
        origin = ids[0] if ids and len(ids) == 1 else None
        changes.events.append(NewEvent(event, task_ids=ids, origin_task_id=origin,
                                       run_at=isoformat(moment) if moment else None))
        self.queue.commit(changes)
        return event

    # -- event filters -------------------------------------------------------------------------------------
    def filters(self) -> list[dict[str, Any]]:
        """Every event filter (``name``, ``source``)."""
        return self.engine.store.runs.filters()

    def add_filter(self, name: str, source: str) -> dict[str, Any]:
        """Create or replace an event filter (Liquid seeing ``event``, ``shop``, ``cache``).

        An event is stopped when a filter renders ``false``.

        Raises:
            InvalidInput: an empty name, or Liquid that does not parse.
        """
        if not name or not name.strip():
            raise InvalidInput("an event filter needs a name")
        try:
            parse_template(source)
        except Exception as exc:  # noqa: BLE001 - reported to the user as invalid input
            message = getattr(exc, "message", None) or exc
            raise InvalidInput(f"event filter {name!r} does not parse: {message}") from None
        return self.engine.store.runs.put_filter(name.strip(), source, self.queue.now())

    def remove_filter(self, name: str) -> None:
        """Delete an event filter.

        Raises:
            NotFound: no filter of that name.
        """
        if not self.engine.store.runs.remove_filter(name):
            raise NotFound(f"no event filter named {name!r}")
