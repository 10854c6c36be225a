"""Helpers of the run tests: make tasks, fire events, step the worker, read what happened."""

from __future__ import annotations

from typing import Any

from mechanic_kernel import Workbench
from mechanic_kernel.models.runs import Run
from mechanic_kernel.models.runs import RunKind

FROZEN_NOW = "2026-03-01T12:00:00Z"
TOPIC = "user/test/run"


def make_task(bench: Workbench, script: str, subscriptions: str | list[str] = TOPIC, name: str | None = None,
              **fields: Any) -> Any:
    """Create an enabled task (no preview check, so scripts that error on purpose are accepted)."""
    lines = [subscriptions] if isinstance(subscriptions, str) else subscriptions
    return bench.tasks.create(name or f"task {len(bench.tasks.list()) + 1}", script=script,
                              subscriptions=lines, check_preview=False, **fields)


def fire(bench: Workbench, topic: str = TOPIC, data: Any = None, **kwargs: Any) -> Any:
    """Emit an event and perform everything that is due; return the event."""
    event = bench.emit_event(topic, data, **kwargs)
    bench.worker.run_until_idle(max_runs=2000)
    return event


def task_runs(bench: Workbench, event_id: str, task_id: str | None = None) -> list[Run]:
    """The task runs of an event (of one task)."""
    return [run for run in bench.runs.task_runs(event_id) if task_id is None or run.task_id == task_id]


def only_task_run(bench: Workbench, event_id: str) -> Run:
    """The single task run of an event."""
    runs = task_runs(bench, event_id)
    assert len(runs) == 1, runs
    return runs[0]


def action_runs(bench: Workbench, task_run: Run) -> list[Run]:
    """The action runs of a task run, in rendered order."""
    return bench.runs.action_runs(task_run.id)


def events_of(bench: Workbench, topic: str) -> list[Any]:
    """Stored events of a topic, oldest first."""
    return list(reversed(bench.list_events(topic=topic, limit=None)))


def runs_of_kind(bench: Workbench, kind: RunKind) -> list[Run]:
    """Every run of a kind, oldest first."""
    return list(reversed(bench.runs.list(kind=kind, limit=None)))
