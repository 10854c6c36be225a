"""The event action (spec §4.2; statements 76–81)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from runbench import actions_of
from runbench import fire
from runbench import make_task
from runbench import open_bench

from mechanic_kernel.actions.base import ActionError
from mechanic_kernel.actions.event import ACTION
from mechanic_kernel.actions.event import parse_run_at
from mechanic_kernel.clock import parse_iso
from mechanic_kernel.models.runs import RunStatus


@pytest.fixture
def bench(tmp_path, store_url) -> Iterator:
    workbench = open_bench(tmp_path, store_url)
    yield workbench
    workbench.close()


def children(bench, event_id: str):
    return [bench.event(child) for child in bench.engine.store.events.children_of(event_id)]


def test_76_creates_a_child_event_after_the_task_run(bench) -> None:
    make_task(bench, '{% action "event", topic: "user/foo/bar", data: event.data %}')
    listener = make_task(bench, "{% log event.data %}{% log event.parent.topic %}", "user/foo/bar")
    event = bench.emit_event("user/test/run", {"x": [1, 2]})
    bench.worker.step()
    bench.worker.step()
    assert children(bench, event.id) == []  # the action has not run yet
    bench.worker.run_until_idle()
    (child,) = children(bench, event.id)
    assert child.topic == "user/foo/bar" and child.data == {"x": [1, 2]} and child.parent_id == event.id
    (action,) = actions_of(bench, event.id)
    assert action.result == {"event_id": child.id}
    (heard,) = bench.runs.task_runs(child.id)
    assert heard.task_id == listener.id and heard.details["logs"] == [{"x": [1, 2]}, "user/test/run"]


def test_76_missing_data_is_null(bench) -> None:
    make_task(bench, '{% action "event", topic: "user/foo/bar" %}')
    event = fire(bench)
    (child,) = children(bench, event.id)
    assert child.data is None


@pytest.mark.parametrize("topic", ["shopify/orders/create", "mechanic/user/trigger", "user/foo",
                                   "user/Foo/bar"])
def test_77_non_user_topic_fails(bench, topic: str) -> None:
    make_task(bench, '{% action "event", topic: t, data: 1 %}'.replace("t,", f'"{topic}",'))
    event = fire(bench)
    (action,) = actions_of(bench, event.id)
    assert action.status is RunStatus.FAILED and "topic" in action.error
    assert [child.topic for child in children(bench, event.id)] == ["mechanic/errors/action"]


def test_78_task_id_and_task_ids_together_fail(bench) -> None:
    make_task(bench, '{% action "event", topic: "user/foo/bar", data: 1, task_id: task.id, '
                     'task_ids: array %}')
    (action,) = actions_of(bench, fire(bench).id)
    assert action.status is RunStatus.FAILED and "not both" in action.error


def test_79_task_id_delivers_only_to_that_task(bench) -> None:
    a = make_task(bench, "{% log 'a' %}", "user/foo/bar", name="A")
    b = make_task(bench, "{% log 'b' %}", "user/foo/bar", name="B")
    make_task(bench, '{% action "event", topic: "user/foo/bar", data: 1, task_id: "' + a.id + '" %}',
              name="src")
    event = fire(bench)
    (child,) = children(bench, event.id)
    assert [run.task_id for run in bench.runs.task_runs(child.id)] == [a.id]
    assert b.id not in {run.task_id for run in bench.runs.task_runs(child.id)}


def test_79_restricted_task_offsets_apply(bench) -> None:
    a = make_task(bench, "{% log 'a' %}", "user/foo/bar+1.hour", name="A")
    make_task(bench, f'{{% assign ids = "{a.id}" | split: "," %}}'
                     '{% action "event", topic: "user/foo/bar", task_ids: ids %}', name="src")
    event = fire(bench)
    (child,) = children(bench, event.id)
    (run,) = bench.runs.task_runs(child.id)
    assert run.status is RunStatus.SCHEDULED


def test_80_future_run_at_schedules_the_event_past_runs_now(bench) -> None:
    make_task(bench, "{% log 'heard' %}", "user/foo/bar")
    make_task(bench, '{% action "event", topic: "user/foo/bar", data: "later", '
                     'run_at: "2026-03-02T12:00:00Z" %}'
                     '{% action "event", topic: "user/foo/bar", data: "now", run_at: 1000 %}')
    event = fire(bench)
    by_data = {child.data: child for child in children(bench, event.id)}
    later_run = bench.runs.event_run(by_data["later"].id)
    assert later_run.status is RunStatus.SCHEDULED and later_run.run_at == "2026-03-02T12:00:00.000Z"
    assert bench.runs.event_run(by_data["now"].id).status is RunStatus.SUCCEEDED
    bench.clock.advance(days=1)
    bench.worker.run_until_idle()
    assert bench.runs.event_run(by_data["later"].id).status is RunStatus.SUCCEEDED
    assert bench.runs.task_runs(by_data["later"].id)[0].details["logs"] == ["heard"]


@pytest.mark.parametrize(("value", "expect"), [
    (1772452800, "2026-03-02T12:00:00+00:00"),
    ("1772452800", "2026-03-02T12:00:00+00:00"),
    ("2026-03-02T12:00:00Z", "2026-03-02T12:00:00+00:00"),
    ("2026-03-02T06:00:00-06:00", "2026-03-02T12:00:00+00:00"),
    ("2026-03-02 12:00", "2026-03-02T12:00:00+00:00"),
    ("March 2, 2026 12:00 UTC", "2026-03-02T12:00:00+00:00"),
])
def test_81_run_at_accepts_timestamps_and_time_strings(value, expect) -> None:
    assert parse_run_at(value) == parse_iso(expect)


@pytest.mark.parametrize("value", ["soon", True, {"at": 1}, ""])
def test_81_bad_run_at_fails(value) -> None:
    with pytest.raises(ActionError, match="run_at"):
        ACTION.validate({"topic": "user/a/b", "data": 1, "run_at": value})


def test_result_and_context_call(make_context) -> None:
    import asyncio

    calls = []
    context = make_context()
    context.emit_event = lambda *args: calls.append(args) or "the-id"
    result = asyncio.run(ACTION.perform({"topic": "user/a/b", "data": {"k": 1}, "task_ids": ["t1"],
                                         "run_at": 0}, context))
    assert result == {"event_id": "the-id"}
    assert calls == [("user/a/b", {"k": 1}, dt.datetime(1970, 1, 1, tzinfo=dt.UTC), ["t1"])]


def test_unknown_options_fail() -> None:
    with pytest.raises(ActionError, match="unknown option"):
        ACTION.validate({"topic": "user/a/b", "date": 1})
