"""Event runs: event filters, then one task run per matching subscription of an enabled task (spec §3.1)."""

from __future__ import annotations

import logging
from concurrent.futures import Executor
from typing import TYPE_CHECKING

from ..models.runs import Run
from ..models.runs import RunKind
from ..models.runs import RunStatus
from ..models.tasks import Task
from ..store.contract import Changes
from ..store.contract import EventRoute
from .engine import Engine
from .engine import in_executor
from .filters import FilterError
from .filters import apply_filters
from .followups import ERROR_PREFIX
from .followups import error_event
from .followups import origin_only
from .task_run import conclude as conclude_task_run

if TYPE_CHECKING:
    from ..models.events import Event


log = logging.getLogger("mechanic_kernel.runs")


def run_filters(engine: Engine, event: Event) -> str | None:
    """The name of the first filter that stops ``event`` (renders ``false``), or None when all let it pass.

    Raises:
        FilterError: a filter failed to render.
    """
    if event.topic.startswith(ERROR_PREFIX):
        # Error events skip the filters: a broken filter must not swallow the report of its own failure
        # (docs/decisions.md, "Runs").
        return None
    filters = [(item["name"], item["source"]) for item in engine.store.runs.filters()]
    if not filters:
        return None
    if engine.renderer is not None:
        return engine.renderer.run_filters(filters, event, engine.shop(), engine.runtime())
    return apply_filters(filters, engine.event_object(event), engine.shop(), engine.cache.view(),
                         engine.runtime())


def receives(engine: Engine, task: Task, event: Event, route: EventRoute) -> bool:
    """Whether ``task`` may answer ``event`` at all, given the routing rules (spec §3.1, §3.9)."""
    if not task.enabled:
        return False
    if route.task_ids is not None and task.id not in route.task_ids:
        return False
    if origin_only(event.topic) and route.task_ids is None and task.id != route.origin_task_id:
        return False
    if event.topic.startswith(ERROR_PREFIX):
        topics = engine.subscribed_topics(task)
        only_errors = all(topic.startswith(ERROR_PREFIX) for topic in topics)
        if not only_errors:
            # A task with other subscriptions hears only its own errors, and never errors/event.
            return event.topic != "mechanic/errors/event" and task.id == route.origin_task_id
    return True


def plan_task_runs(engine: Engine, event: Event, run: Run) -> list[Run]:
    """One new task run per subscription (of a receiving task) whose topic is the event's, offset applied."""
    route = engine.store.runs.route(event.id)
    now = engine.clock.now()
    rows = []
    for task, subscription in engine.subscribed(event.topic):
        if receives(engine, task, event, route):
            run_at = subscription.run_at(now) if subscription.offset is not None else "now"
            rows.append(engine.queue.new_run(RunKind.TASK, event.id, task_id=task.id, parent_run_id=run.id,
                                             run_at=run_at, details={"task_name": task.name}))
    return rows


async def perform(engine: Engine, run: Run, executor: Executor | None, *, inline_tasks: bool = False
                  ) -> Changes:
    """Filter the event, then fan it out to task runs; the result is the list of task run ids.

    With ``inline_tasks`` the task runs that are due at once are performed right after (see
    :func:`perform_due_task_runs`), so the event run's outcome, its task runs and theirs commit together.
    All of it (store reads, filter and task renders) runs on the executor, leaving the loop to webhooks and
    actions.
    """
    return await in_executor(executor, _conclude, engine, run, inline_tasks)


def perform_due_task_runs(engine: Engine, event: Event, changes: Changes, planned: list[Run]) -> None:
    """Perform the task runs in ``planned`` that are due now, one after another, into ``changes``.

    Each is still a run of its own: it is started (``attempts`` 1, its own ``started_at``) only after the
    event run that made it was performed, and stops with its own outcome, actions, logs and errors. Only
    the round trips go: its row is written already finished, in the event run's transaction, together with
    the action runs it made. Action runs are never performed here; they come due in that transaction, so
    they run only once the task run's end is on disk (spec §1.1).

    Runs scheduled for later (subscription offsets) are left to come due as usual. So are all of them while
    an action run or an older task run is due: those come first (spec §3.4; within a kind, oldest first), and
    this event's task runs wait their turn.
    """
    due = [run for run in planned if run.status is RunStatus.DUE]
    if not due or engine.store.runs.any_due(max_priority=RunKind.TASK.priority):
        return
    for task_run in due:
        # Its row is not stored yet: it is written as it ends, so it is started here in memory only.
        task_run.status, task_run.started_at, task_run.attempts = RunStatus.STARTED, engine.queue.now(), 1
        task_run.claimed_by = engine.queue.worker
        try:
            outcome = conclude_task_run(engine, task_run, event=event)
        except Exception as exc:  # noqa: BLE001 - as perform() does: the task run fails, the event run stands
            log.exception("performing task run %s failed", task_run.id)
            outcome = Changes()
            outcome.move(task_run, RunStatus.FAILED, stopped_at=engine.queue.now(),
                         error=f"internal error: {type(exc).__name__}: {exc}")
        for change in outcome.updates:
            if change.run is task_run:
                # Write it as it ends (the transition was checked by move()).
                task_run.status = change.target
                for key, value in change.fields.items():
                    setattr(task_run, key, value)
            else:
                changes.updates.append(change)
        changes.runs.extend(outcome.runs)
        changes.events.extend(outcome.events)


def _conclude(engine: Engine, run: Run, inline_tasks: bool = False) -> Changes:
    changes = Changes()
    event = engine.event(run.event_id)
    if event is None:
        changes.move(run, RunStatus.FAILED, stopped_at=engine.queue.now(), error="the event no longer exists")
        return changes
    try:
        stopped_by = run_filters(engine, event)
    except FilterError as exc:
        changes.move(run, RunStatus.FAILED, stopped_at=engine.queue.now(), error=exc.message, result=[],
                     details={"filter": exc.name})
        failure = error_event(engine, "mechanic/errors/event", exc.message, event=event, event_run=run)
        if failure is not None:
            changes.events.append(failure)
        return changes
    if stopped_by is not None:
        changes.move(run, RunStatus.SUCCEEDED, stopped_at=engine.queue.now(), result=[], error=None,
                     details={"filtered_by": stopped_by})
        return changes
    planned = plan_task_runs(engine, event, run)
    changes.runs.extend(planned)
    changes.move(run, RunStatus.SUCCEEDED, stopped_at=engine.queue.now(),
                 result=[task.id for task in planned],
                 error=None, details={})
    if inline_tasks:
        perform_due_task_runs(engine, event, changes, planned)
    return changes
