"""Leases: a run whose worker stopped is taken over once its lease lapses, by the spec's retry rules.

The clock is frozen, so a lease lapses when the test moves the clock, never by waiting.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from runtools import TOPIC
from runtools import fire
from runtools import make_task
from runtools import only_task_run

from mechanic_kernel.actions.base import ActionContext
from mechanic_kernel.actions.registry import register_action
from mechanic_kernel.actions.registry import unregister_action
from mechanic_kernel.models.runs import MAX_ATTEMPTS
from mechanic_kernel.models.runs import RunKind
from mechanic_kernel.models.runs import RunStatus
from mechanic_kernel.runs.action_run import INTERRUPTED


def lapse(bench, clock) -> None:  # noqa: ANN001
    clock.advance(seconds=bench.engine.queue.lease_seconds + 1)


def test_an_event_run_claimed_by_a_worker_that_died_is_performed_again(bench, clock) -> None:
    make_task(bench, '{% action "echo", event.data %}')
    event = bench.emit_event(TOPIC, {"n": 1})
    first = bench.worker.claim()  # claimed, then its worker dies
    assert bench.worker.step() is None  # still held: nothing is due
    lapse(bench, clock)
    taken = bench.worker.step()
    assert taken.id == first.id and taken.status is RunStatus.SUCCEEDED and taken.attempts == 2
    bench.worker.run_until_idle()
    [action] = bench.runs.action_runs(only_task_run(bench, event.id).id)
    assert (action.status, action.result) == (RunStatus.SUCCEEDED, {"n": 1})


def test_an_echo_action_is_performed_again_and_other_actions_fail_as_interrupted(bench, clock) -> None:
    make_task(bench, '{% action "echo", 1 %}{% action "cache", "incr", "hits" %}')
    event = bench.emit_event(TOPIC)
    bench.worker.run_until_idle(max_runs=2)  # the event run and the task run
    claimed = [bench.worker.claim(), bench.worker.claim()]  # both actions, then the worker dies
    assert {run.kind for run in claimed} == {RunKind.ACTION}
    lapse(bench, clock)
    bench.worker.run_until_idle()
    echo, cache = bench.runs.action_runs(only_task_run(bench, event.id).id)
    assert (echo.status, echo.result, echo.attempts) == (RunStatus.SUCCEEDED, 1, 2)
    assert (cache.status, cache.error, cache.attempts) == (RunStatus.FAILED, INTERRUPTED, 2)
    assert cache.details["outcome_unknown"] is True and "outcome_unknown" not in echo.details
    described = bench.describe_event(event.id)["task_runs"][0]["action_runs"]
    assert [action["outcome_unknown"] for action in described] == [False, True]
    assert bench.cache.get("hits") is None  # the interrupted increment was not made again
    [error] = bench.list_events(topic="mechanic/errors/action")
    assert error.data["message"] == INTERRUPTED and error.data["action"]["type"] == "cache"


def test_a_sequence_halts_after_an_interrupted_action(bench, clock) -> None:
    make_task(
        bench,
        '{% action "cache", "set", "a", 1 %}{% action "echo", 2 %}',
        perform_action_runs_in_sequence=True,
        halt_action_run_sequence_on_error=True,
    )
    event = bench.emit_event(TOPIC)
    bench.worker.run_until_idle(max_runs=2)
    bench.worker.claim()
    lapse(bench, clock)
    bench.worker.run_until_idle()
    first, second = bench.runs.action_runs(only_task_run(bench, event.id).id)
    assert first.error == INTERRUPTED and second.status is RunStatus.FAILED
    assert second.error.startswith("not performed")


def test_a_run_interrupted_at_every_attempt_fails_after_the_last(bench, clock) -> None:
    make_task(bench, "{% log 'x' %}")
    bench.emit_event(TOPIC)
    for _ in range(MAX_ATTEMPTS):
        assert bench.worker.claim() is not None
        lapse(bench, clock)
    last = bench.worker.step()
    assert last.kind is RunKind.EVENT and last.status is RunStatus.FAILED
    assert last.attempts == MAX_ATTEMPTS + 1 and last.error.startswith(f"interrupted {MAX_ATTEMPTS} times")
    bench.runs.retry(last.id)  # a person can still decide to try again
    bench.worker.run_until_idle()
    assert bench.runs.get(last.id).status is RunStatus.SUCCEEDED


def test_finished_runs_hold_no_lease(bench, clock) -> None:
    make_task(bench, '{% action "echo", 1 %}')
    event = fire(bench)
    runs = bench.runs.list(event_id=event.id, limit=None)
    assert len(runs) == 3
    assert all(run.lease_expires_at is None and run.claimed_by == bench.engine.queue.worker for run in runs)


class _Slow:
    """An action that takes its time, so a worker holds its run while the test watches the lease."""

    name = "slow"

    def __init__(self) -> None:
        self.started: asyncio.Event | None = None
        self.release: asyncio.Event | None = None

    def validate(self, options: Any) -> None:
        pass

    async def perform(self, options: Any, context: ActionContext) -> Any:
        assert self.started is not None and self.release is not None
        self.started.set()
        await self.release.wait()
        return "done"


@pytest.fixture
def slow() -> Any:
    action = _Slow()
    register_action(action)
    yield action
    unregister_action("slow")


def test_work_renews_the_leases_of_the_runs_it_performs(bench, clock, slow) -> None:
    bench.engine.queue.lease_seconds = 1.5  # renewed every half second
    make_task(bench, '{% action "slow", 1 %}')
    event = bench.emit_event(TOPIC)
    bench.worker.run_until_idle(max_runs=2)  # the event run and the task run; work() performs the action
    [action] = bench.runs.action_runs(only_task_run(bench, event.id).id)

    async def scenario() -> tuple[str, str, list[Any]]:
        slow.started, slow.release = asyncio.Event(), asyncio.Event()
        stop = asyncio.Event()
        working = asyncio.ensure_future(bench.worker.work(stop))
        await asyncio.wait_for(slow.started.wait(), 30)
        held = bench.runs.get(action.id).lease_expires_at
        clock.advance(seconds=1)  # within the lease
        for _ in range(100):
            await asyncio.sleep(0.1)
            renewed = bench.runs.get(action.id).lease_expires_at
            if renewed != held:
                break
        clock.advance(seconds=1)  # past the first lease, within the renewed one
        other = await bench.engine.queue.aclaim()  # another worker finds nothing to take over
        slow.release.set()
        stop.set()
        await working
        return held, renewed, other

    held, renewed, other = asyncio.run(scenario())
    assert renewed > held and other == []
    assert bench.runs.get(action.id).status is RunStatus.SUCCEEDED


def test_a_retry_by_hand_clears_the_unknown_outcome(bench, clock) -> None:
    make_task(bench, '{% action "cache", "set", "k", 1 %}')
    event = bench.emit_event(TOPIC)
    bench.worker.run_until_idle(max_runs=2)
    bench.worker.claim()
    lapse(bench, clock)
    bench.worker.run_until_idle()
    [action] = bench.runs.action_runs(only_task_run(bench, event.id).id)
    assert action.details["outcome_unknown"] is True
    bench.runs.retry(action.id)
    bench.worker.run_until_idle()
    done = bench.runs.get(action.id)
    assert done.status is RunStatus.SUCCEEDED and "outcome_unknown" not in done.details
    assert done.details["type"] == "cache" and done.details["options"] == ["set", "k", 1]
    assert bench.cache.get("k") == 1
