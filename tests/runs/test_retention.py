"""Retention: complete events go with their runs after retention_days (statement 141)."""

from __future__ import annotations

from runtools import fire
from runtools import make_task

TOPIC = "user/test/run"


def test_141_complete_event_is_purged_after_15_days_with_its_runs(bench, clock) -> None:
    make_task(bench, "{% action 'echo', 1 %}")
    event = fire(bench, TOPIC)
    assert bench.engine.store.runs.count() == 3
    clock.advance(days=15, seconds=-1)
    assert bench.runs.purge() == 0
    clock.advance(seconds=2)
    assert bench.runs.purge() == 1
    assert bench.list_events(limit=None) == [] and bench.engine.store.runs.count() == 0
    assert event.id


def test_141_event_with_a_pending_run_is_kept(bench, clock) -> None:
    make_task(bench, "{% log 'x' %}", f"{TOPIC}+30.days")
    event = fire(bench, TOPIC)
    clock.advance(days=20)
    assert bench.runs.purge() == 0
    clock.advance(days=10)
    bench.worker.run_until_idle()
    clock.advance(days=14)
    assert bench.runs.purge() == 0
    clock.advance(days=1, seconds=1)
    assert bench.runs.purge() == 1
    assert bench.list_events(limit=None) == [] and event.id


def test_141_pending_descendant_keeps_the_ancestors(bench, clock) -> None:
    make_task(bench, "{% if event.data < 3 %}{% action 'event', topic: 'user/test/run', "
                     "data: event.data | plus: 1 %}{% endif %}", TOPIC, name="chain")
    make_task(bench, "{% log 'late' %}", f"{TOPIC}+20.days", name="late")
    root = fire(bench, TOPIC, 0)
    assert len(bench.list_events(limit=None)) == 4
    clock.advance(days=16)
    # every event of the chain has a late task run still scheduled
    assert bench.runs.purge() == 0
    clock.advance(days=4)
    bench.worker.run_until_idle()
    clock.advance(days=15, seconds=1)
    assert bench.runs.purge() == 4
    assert root.id


def test_retention_zero_keeps_everything(bench, clock) -> None:
    fire(bench, TOPIC)
    bench.settings.set("retention_days", 0)
    clock.advance(days=400)
    assert bench.runs.purge() == 0 and len(bench.list_events(limit=None)) == 1


def test_141_scheduled_child_event_extends_the_parent(bench, clock) -> None:
    make_task(bench, "{% if event.data == 0 %}{% action 'event', topic: 'user/test/run', data: 1, "
                     "run_at: '2026-04-15T00:00:00Z' %}{% endif %}", TOPIC)
    root = fire(bench, TOPIC, 0)
    assert all(run.status.is_finished for run in bench.runs.list(event_id=root.id, limit=None))
    clock.advance(days=16)
    assert bench.runs.purge() == 0  # the child's event run is still scheduled
    clock.set("2026-04-15T00:00:00Z")
    bench.worker.run_until_idle()
    clock.advance(days=15, seconds=1)
    assert bench.runs.purge() == 2


def test_runs_whose_worker_died_can_be_failed_once_their_lease_lapses(bench, clock) -> None:
    make_task(bench, "{% log 'x' %}", TOPIC)
    bench.emit_event(TOPIC)
    claimed = bench.worker.claim()  # a worker claims it, then dies
    clock.advance(seconds=bench.engine.queue.lease_seconds - 1)
    assert bench.runs.fail_interrupted() == 0
    clock.advance(seconds=2)
    assert bench.runs.fail_interrupted() == 1
    run = bench.runs.get(claimed.id)
    assert run.status.value == "failed" and run.error.startswith("interrupted")
    bench.runs.retry(run.id)
    bench.worker.run_until_idle()
    assert bench.runs.get(run.id).status.value == "succeeded"


def test_work_applies_retention_and_recovery_when_it_starts(bench, clock) -> None:
    import asyncio

    fire(bench, TOPIC)
    clock.advance(days=16)

    async def scenario() -> None:
        stop = asyncio.Event()
        working = asyncio.ensure_future(bench.worker.work(stop))
        await asyncio.sleep(0)
        stop.set()
        await working

    asyncio.run(scenario())
    assert bench.list_events(limit=None) == []
