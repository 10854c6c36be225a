"""Helpers of the echo, event and cache action tests: a frozen-clock workbench, tasks, events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mechanic_kernel import Workbench
from mechanic_kernel.clock import FrozenClock

FROZEN_NOW = "2026-03-01T12:00:00Z"
TOPIC = "user/test/run"


def open_bench(tmp_path: Path, store_url: str | None = None) -> Workbench:
    """A workbench on a temporary home (and store) with a clock frozen at :data:`FROZEN_NOW`."""
    return Workbench(tmp_path / "bench", clock=FrozenClock(FROZEN_NOW), store=store_url)


def make_task(bench: Workbench, script: str, subscriptions: str | list[str] = TOPIC, **fields: Any) -> Any:
    """An enabled task (no preview check)."""
    lines = [subscriptions] if isinstance(subscriptions, str) else subscriptions
    return bench.tasks.create(fields.pop("name", f"task {len(bench.tasks.list()) + 1}"), script=script,
                              subscriptions=lines, check_preview=False, **fields)


def fire(bench: Workbench, topic: str = TOPIC, data: Any = None, **kwargs: Any) -> Any:
    """Emit an event and perform everything due."""
    event = bench.emit_event(topic, data, **kwargs)
    bench.worker.run_until_idle(max_runs=1000)
    return event


def actions_of(bench: Workbench, event_id: str) -> list[Any]:
    """Every action run of every task run of an event."""
    return [action for run in bench.runs.task_runs(event_id) for action in bench.runs.action_runs(run.id)]


def logs_of(bench: Workbench, event_id: str) -> list[Any]:
    """Every log of every task run of an event."""
    return [log for run in bench.runs.task_runs(event_id) for log in run.details.get("logs", [])]
