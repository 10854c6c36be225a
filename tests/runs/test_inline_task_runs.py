"""work() performs an event run's due task runs in the event run's commit; each stays a run of its own."""

from __future__ import annotations

import asyncio

from runtools import make_task

from mechanic_kernel.models.runs import RunKind
from mechanic_kernel.models.runs import RunStatus


def work_until(bench, done) -> None:
    async def scenario() -> None:
        stop = asyncio.Event()
        working = asyncio.ensure_future(bench.worker.work(stop))
        while not done():
            await asyncio.sleep(0.01)
        stop.set()
        await working

    asyncio.run(scenario())


def test_task_runs_commit_with_their_event_run_and_keep_their_own_record(bench) -> None:
    task = make_task(bench, "{% log 'hello' %}{% action 'echo', event.data %}")
    later = make_task(bench, "{% log 'later' %}", subscriptions="user/test/run+1.hour")
    event = bench.emit_event("user/test/run", {"n": 1})
    work_until(bench, lambda: bench.engine.store.runs.count(status="succeeded") >= 3)
    event_run = bench.runs.list(kind="event", event_id=event.id)[0]
    by_task = {run.task_id: run for run in bench.runs.task_runs(event.id)}
    now = by_task[task.id]
    assert event_run.status is RunStatus.SUCCEEDED and set(event_run.result) == {now.id, by_task[later.id].id}
    assert now.status is RunStatus.SUCCEEDED and now.attempts == 1
    assert now.enqueued_at <= now.started_at <= now.stopped_at and event_run.stopped_at <= now.started_at
    assert now.details["logs"] == ["hello"]
    (action,) = bench.runs.action_runs(now.id)
    assert action.status is RunStatus.SUCCEEDED and action.result == {"n": 1}
    assert now.stopped_at <= action.started_at
    assert by_task[later.id].status is RunStatus.SCHEDULED  # offsets still wait for their time


def test_a_failing_inline_task_run_fails_alone_and_raises_its_error_event(bench) -> None:
    make_task(bench, "{% error 'nope' %}")
    event = bench.emit_event("user/test/run")
    work_until(bench, lambda: bench.engine.store.runs.count(status="failed") >= 1)
    assert bench.runs.list(kind="event", event_id=event.id)[0].status is RunStatus.SUCCEEDED
    (failed,) = bench.runs.task_runs(event.id)
    assert failed.status is RunStatus.FAILED and failed.error == "nope"
    children = [bench.engine.store.events.get(child) for child in bench.engine.store.events.children_of(event.id)]
    assert [child.topic for child in children] == ["mechanic/errors/task"]


def test_due_action_runs_keep_their_priority_over_inline_task_runs(bench) -> None:
    make_task(bench, "{% action 'echo', 1 %}")
    first = bench.emit_event("user/test/run")
    bench.worker.step()
    bench.worker.step()  # first's action run is due now
    second = bench.emit_event("user/test/run")
    event_run = bench.worker.claim((RunKind.EVENT,))
    assert event_run.event_id == second.id
    from mechanic_kernel.runs.perform import perform

    asyncio.run(perform(bench.engine, event_run, inline_tasks=True))
    (waiting,) = bench.runs.task_runs(second.id)
    assert waiting.status is RunStatus.DUE  # not performed inline while first's action run waits
    assert bench.runs.action_runs(bench.runs.task_runs(first.id)[0].id)[0].status is RunStatus.DUE


def test_older_due_task_runs_keep_their_turn(bench) -> None:
    make_task(bench, "{% log 'x' %}")
    first = bench.emit_event("user/test/run")
    bench.worker.step()  # first's task run is due now
    second = bench.emit_event("user/test/run")
    event_run = bench.worker.claim((RunKind.EVENT,))
    assert event_run.event_id == second.id
    from mechanic_kernel.runs.perform import perform

    asyncio.run(perform(bench.engine, event_run, inline_tasks=True))
    assert bench.runs.task_runs(second.id)[0].status is RunStatus.DUE
    assert bench.runs.task_runs(first.id)[0].status is RunStatus.DUE
