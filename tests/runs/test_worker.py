"""The worker: priority, concurrency, the server loop, and two workers on one store (statement 138)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from runtools import make_task

from mechanic_kernel import Workbench
from mechanic_kernel.actions.base import ActionContext
from mechanic_kernel.actions.registry import action_types
from mechanic_kernel.actions.registry import register_action
from mechanic_kernel.actions.registry import unregister_action
from mechanic_kernel.models.runs import RunKind
from mechanic_kernel.models.runs import RunStatus
from mechanic_kernel.runs.worker import Worker


class Hold:
    """Blocks every action until the test opens the gate; counts how many are performing at once."""

    name = "hold"

    def __init__(self) -> None:
        self.active = 0
        self.most_active = 0
        self.arrived = asyncio.Event()
        self.opened = asyncio.Event()

    def validate(self, options: Any) -> None:
        pass

    async def perform(self, options: Any, context: ActionContext) -> Any:
        self.active += 1
        self.most_active = max(self.most_active, self.active)
        self.arrived.set()
        await self.opened.wait()
        self.active -= 1
        return options


@pytest.fixture
def hold() -> Iterator[Hold]:
    action_types()
    gate = Hold()
    register_action(gate, replace=True)
    yield gate
    unregister_action("hold")


def test_138_due_action_runs_before_task_runs_before_event_runs(bench) -> None:
    make_task(bench, "{% action 'echo', 1 %}")
    first = bench.emit_event("user/test/run")
    assert bench.worker.step().kind is RunKind.EVENT  # first's event run: a task run is now due
    second = bench.emit_event("user/test/run")  # an event run due too, older than nothing
    order = []
    while (run := bench.worker.step()) is not None:
        order.append((run.kind.value, run.event_id == first.id))
    assert order == [("task", True), ("action", True), ("event", False), ("task", False), ("action", False)]
    assert second.id


def test_138_no_more_than_concurrency_runs_started_at_once(bench, hold) -> None:
    make_task(bench, "{% for i in (1..6) %}{% action 'hold', i %}{% endfor %}")
    bench.emit_event("user/test/run")
    bench.worker.step()
    bench.worker.step()
    assert bench.engine.store.runs.count(status="due") == 6
    worker = Worker(bench.engine, concurrency=2)

    async def scenario() -> None:
        stop = asyncio.Event()
        working = asyncio.ensure_future(worker.work(stop))
        while hold.active < 2:
            hold.arrived.clear()
            await hold.arrived.wait()
        assert bench.engine.store.runs.count(status="started") == 2
        assert bench.engine.store.runs.count(status="due") == 4
        hold.opened.set()
        stop.set()  # work() lets the two started runs finish, then returns
        await working

    asyncio.run(scenario())
    worker.close()
    assert hold.most_active == 2
    bench.worker.run_until_idle()
    assert bench.engine.store.runs.count(status="succeeded") == 8


def test_work_renders_off_the_loop(bench) -> None:
    make_task(bench, "{% for i in (1..3) %}{% log i %}{% endfor %}")
    bench.emit_event("user/test/run")

    async def scenario() -> tuple[int, int]:
        stop = asyncio.Event()
        ticks = 0
        working = asyncio.ensure_future(bench.worker.work(stop))
        while bench.engine.store.runs.count(status="succeeded") < 2:
            ticks += 1
            await asyncio.sleep(0)  # the loop keeps turning while runs are performed
        stop.set()
        await working
        return ticks, bench.engine.store.runs.count(status="succeeded")

    ticks, succeeded = asyncio.run(scenario())
    assert succeeded == 2 and ticks > 0


def test_step_works_inside_a_running_loop(bench) -> None:
    make_task(bench, "{% log 'x' %}")
    bench.emit_event("user/test/run")

    async def in_a_notebook_cell() -> int:
        return len(bench.worker.run_until_idle())

    assert asyncio.run(in_a_notebook_cell()) == 2


WORKER_SCRIPT = """
import json, sys
from mechanic_kernel import Workbench
with Workbench(sys.argv[1]) as bench:
    performed = bench.worker.run_until_idle()
    print(json.dumps([run.id for run in performed]))
"""


def test_two_worker_processes_never_perform_a_run_twice(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with Workbench(home) as bench:
        make_task(bench, "{% action 'echo', event.data %}{% action 'echo', 2 %}", name="a")
        make_task(bench, "{% log event.data %}", name="b")
        for n in range(60):
            bench.emit_event("user/test/run", n)
    processes = [subprocess.Popen([sys.executable, "-c", WORKER_SCRIPT, str(home)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [process.communicate(timeout=240) for process in processes]
    assert all(process.returncode == 0 for process in processes), [err for _, err in outputs]
    performed = [run_id for out, _ in outputs for run_id in json.loads(out)]
    assert len(performed) == len(set(performed))
    with Workbench(home) as bench:
        runs = bench.runs.list(limit=None)
        assert len(runs) == 60 * (1 + 2 + 2) == len(performed)
        assert all(run.status is RunStatus.SUCCEEDED and run.attempts == 1 for run in runs)
