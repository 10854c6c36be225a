"""Action runs: perform one action, retry transient failures, emit follow-ups, advance sequences (§3.3)."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import Executor
from typing import Any

from ..actions.base import ActionContext
from ..actions.base import ActionError
from ..actions.base import TransientActionError
from ..actions.base import is_repeatable
from ..actions.registry import action_type
from ..clock import isoformat
from ..models.runs import MAX_ATTEMPTS
from ..models.runs import RETRY_DELAYS
from ..models.runs import Run
from ..models.runs import RunKind
from ..models.runs import RunStatus
from ..models.tasks import Task
from ..store.contract import Changes
from ..store.contract import NewEvent
from .engine import Engine
from .followups import USER_SOURCE
from .followups import error_event
from .followups import new_event
from .followups import perform_event

OUTCOME_UNKNOWN = "outcome_unknown"
INTERRUPTED = ("interrupted: the worker performing this action stopped before it finished, so whether its "
               "effect happened is unknown; it was not performed again. Retry it to perform it again")


def context_for(engine: Engine, run: Run) -> ActionContext:
    """What the action of ``run`` may use; ``emit_event`` creates child events of the run's event."""

    def emit_event(topic: str, data: Any, run_at: dt.datetime | None = None,
                   task_ids: list[str] | None = None) -> str:
        child = new_event(engine, topic, data, parent_id=run.event_id, source=USER_SOURCE)
        changes = Changes()
        changes.events.append(NewEvent(child, task_ids=task_ids, origin_task_id=run.task_id,
                                       run_at=isoformat(run_at) if run_at is not None else None))
        engine.queue.commit(changes)
        return child.id

    return ActionContext(
        action_run_id=run.id, task_id=run.task_id, event_id=run.event_id, now=engine.clock.now(),
        home=engine.home, settings=engine.settings.show(), base_url=engine.base_url(), emit_event=emit_event,
        services={"cache": engine.cache, **engine.services},
    )


async def _attempt(engine: Engine, run: Run) -> Any:
    details = run.details
    handler = action_type(str(details.get("type")))
    handler.validate(details.get("options"))
    return await handler.perform(details.get("options"), context_for(engine, run))


def _repeatable(run: Run) -> bool:
    try:
        return is_repeatable(action_type(str(run.details.get("type"))))
    except ActionError:
        return False  # an unknown type fails on its attempt anyway


async def perform(engine: Engine, run: Run, executor: Executor | None) -> Changes:
    """Perform the action with the options stored when it was rendered (task edits never change them)."""
    task = engine.task(run.task_id) if run.task_id else None
    changes = Changes()
    result: Any = None
    error: str | None = None
    if run.task_id and (task is None or not task.enabled):
        # Queued action runs of a disabled or deleted task fail when they come due (spec §1.5).
        error = f"task {run.task_id} was deleted" if task is None else f"task {task.name!r} is disabled"
        changes.move(run, RunStatus.FAILED, stopped_at=engine.queue.now(), error=error, result=None)
        advance_sequence(engine, run, changes, failed=True)
        return changes
    if run.taken_over and not _repeatable(run):
        error = INTERRUPTED
        # Marked, so a person (and the activity views) can tell "maybe done" from "failed".
        changes.move(run, RunStatus.FAILED, stopped_at=engine.queue.now(), error=error, result=None,
                     details={**run.details, OUTCOME_UNKNOWN: True})
        _follow_ups(engine, run, task, changes, failed=True, error=error)
        advance_sequence(engine, run, changes, failed=True)
        return changes
    try:
        result = await _attempt(engine, run)
    except TransientActionError as exc:
        if run.attempts < MAX_ATTEMPTS:
            retry_at = engine.clock.now() + dt.timedelta(seconds=RETRY_DELAYS[run.attempts - 1])
            changes.move(run, RunStatus.SCHEDULED, stopped_at=engine.queue.now(), run_at=isoformat(retry_at),
                         error=exc.message, result=None)
            return changes
        error = exc.message
    except ActionError as exc:
        error = exc.message
    failed = error is not None
    if failed:
        changes.move(run, RunStatus.FAILED, stopped_at=engine.queue.now(), error=error, result=None)
    else:
        changes.move(run, RunStatus.SUCCEEDED, stopped_at=engine.queue.now(), error=None, result=result)
    _follow_ups(engine, run, task, changes, failed=failed, error=error)
    advance_sequence(engine, run, changes, failed=failed)
    return changes


def _follow_ups(engine: Engine, run: Run, task: Task | None, changes: Changes, *, failed: bool,
                error: str | None) -> None:
    # The run's summary must show the outcome, so apply the pending status change to a copy first.
    change = changes.updates[-1]
    outcome = type(run)(**{**run.__dict__, "status": change.target, **change.fields})
    follow_up = perform_event(engine, outcome, task)
    if follow_up is not None:
        changes.events.append(follow_up)
    if failed:
        event = engine.event(run.event_id)
        if event is not None:
            task_run = engine.queue.get(run.parent_run_id) if run.parent_run_id else None
            failure = error_event(engine, "mechanic/errors/action", error or "action failed", event=event,
                                  task=task, task_run=task_run, action_run=outcome)
            if failure is not None:
                changes.events.append(failure)


def advance_sequence(engine: Engine, run: Run, changes: Changes, *, failed: bool) -> None:
    """After an action of a sequence stops: make the next one due, or fail the rest when the task halts."""
    if not run.details.get("sequence") or run.parent_run_id is None:
        return
    waiting = [later for later in engine.queue.list(parent_run_id=run.parent_run_id, kind=RunKind.ACTION)
               if later.position > run.position and later.status is RunStatus.SCHEDULED
               and later.run_at is None]
    if not waiting:
        return
    if failed and run.details.get("halt_on_error"):
        for later in waiting:
            changes.move(later, RunStatus.FAILED, stopped_at=engine.queue.now(),
                         error=f"not performed: action {run.position + 1} of this sequence failed and "
                               "the task halts its action run sequence on error")
        return
    now = engine.queue.now()
    changes.move(waiting[0], RunStatus.DUE, run_at=now, enqueued_at=now)
