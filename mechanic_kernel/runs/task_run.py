"""Task runs: render the task's current code for the live event, record the output, queue actions (§3.2)."""

from __future__ import annotations

import json
from concurrent.futures import Executor
from typing import TYPE_CHECKING
from typing import Any

from ..models.runs import Run
from ..models.runs import RunKind
from ..models.runs import RunStatus
from ..models.tasks import Task
from ..store.contract import Changes
from ..tasks.execute import render_task
from .engine import Engine
from .engine import in_executor
from .followups import PERFORM_TOPIC
from .followups import error_event

if TYPE_CHECKING:
    from ..liquid.render import RenderResult
    from ..models.events import Event


def action_record(action: Any) -> dict[str, Any]:
    """A rendered action as stored with its task run and its action run."""
    return {"type": action.type, "options": action.options, "meta": action.meta,
            "perform_event": action.perform_event}


def _record(result: RenderResult, task: Task) -> dict[str, Any]:
    failure = result.failure
    return {
        "task_name": task.name,
        "actions": [action_record(action) for action in result.actions],
        "logs": list(result.logs),
        "errors": list(result.errors),
        "output": result.output,
        "failure": None if failure is None else {"message": failure.message, "line": failure.line,
                                                 "kind": failure.kind},
    }


def _failure_message(result: RenderResult) -> str:
    failure = result.failure
    assert failure is not None
    return failure.message if failure.line is None or f"line {failure.line}" in failure.message \
        else f"{failure.message} (line {failure.line})"


def _same_results(record: dict[str, Any], previous: dict[str, Any]) -> bool:
    keys = ("actions", "logs", "errors")
    mine = json.dumps([record.get(key) for key in keys], sort_keys=True, default=str)
    theirs = json.dumps([previous.get(key) for key in keys], sort_keys=True, default=str)
    return mine == theirs


def _render(engine: Engine, task: Task, event: Event) -> RenderResult:
    if engine.renderer is not None:
        return engine.renderer.render_task(task, event, engine.shop(), engine.runtime())
    return render_task(task, engine.event_object(event), shop=engine.shop(), cache=engine.cache.view(),
                       runtime=engine.runtime())


async def perform(engine: Engine, run: Run, executor: Executor | None) -> Changes:
    """Render and conclude: failed (no action runs) on a render failure, an error object or the loop guard.

    All of it (store reads, the CPU-bound render) runs on the executor, so a server's loop stays responsive.
    """
    return await in_executor(executor, conclude, engine, run)


def conclude(engine: Engine, run: Run, event: Event | None = None) -> Changes:
    """Perform a started task run: what it changes (``event`` saves a read when the caller holds it)."""
    changes = Changes()
    task = engine.task(run.task_id)
    if event is None:
        event = engine.event(run.event_id)
    if task is None or not task.enabled or event is None:
        # A disabled or deleted task fails at once, unrendered; this is how a backlog is drained (spec §1.5).
        reason = ("the event no longer exists" if event is None else
                  f"task {run.task_id} was deleted" if task is None else f"task {task.name!r} is disabled")
        changes.move(run, RunStatus.FAILED, stopped_at=engine.queue.now(), error=reason, result=None)
        return changes
    result = _render(engine, task, event)
    record = _record(result, task)
    error: Any = None
    if result.failure is not None:
        error = _failure_message(result)
    elif result.errors:
        error = result.errors[0] if len(result.errors) == 1 else list(result.errors)
    elif event.topic == PERFORM_TOPIC:
        previous = engine.queue.get(engine.store.runs.route(event.id).origin_run_id or "")
        if previous is not None and previous.kind is RunKind.TASK and _same_results(record, previous.details):
            error = ("loop detected: this mechanic/actions/perform run rendered exactly what the run before "
                     "it did, so it was stopped (spec §3.8)")
    now = engine.queue.now()
    if error is not None:
        changes.move(run, RunStatus.FAILED, stopped_at=now, error=error, result=None, details=record)
        message = error if isinstance(error, str) else json.dumps(error, ensure_ascii=False, default=str)
        failure = error_event(engine, "mechanic/errors/task", message, event=event, task=task, task_run=run)
        if failure is not None:
            changes.events.append(failure)
        return changes
    planned = plan_action_runs(engine, run, task, record["actions"])
    changes.runs.extend(planned)
    changes.move(run, RunStatus.SUCCEEDED, stopped_at=now, error=None,
                 result={"action_run_ids": [action.id for action in planned]}, details=record)
    return changes


def plan_action_runs(engine: Engine, run: Run, task: Task, actions: list[dict[str, Any]]) -> list[Run]:
    """One action run per rendered action, in rendered order.

    In a sequence only the first is due; the others wait (scheduled, no ``run_at``) until the one before
    them stops (spec §3.3).
    """
    sequence = bool(task.perform_action_runs_in_sequence)
    halt = sequence and bool(task.halt_action_run_sequence_on_error)
    rows = []
    for position, action in enumerate(actions):
        details = {**action, "sequence": sequence, "halt_on_error": halt}
        rows.append(engine.queue.new_run(RunKind.ACTION, run.event_id, task_id=task.id, parent_run_id=run.id,
                                         position=position, run_at=None if sequence and position else "now",
                                         details=details))
    return rows
