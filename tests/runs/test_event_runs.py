"""Event runs: fan-out, offsets, event filters, routing (statements 39, 40, 45–47, 74, 140)."""

from __future__ import annotations

import datetime as dt

import pytest
from runtools import events_of
from runtools import fire
from runtools import make_task
from runtools import task_runs

from mechanic_kernel.clock import parse_iso
from mechanic_kernel.errors import Conflict
from mechanic_kernel.errors import InvalidInput
from mechanic_kernel.models.runs import RunStatus

TOPIC = "user/webhook/test"


def test_39_one_task_run_per_enabled_subscribed_task(bench) -> None:
    first = make_task(bench, '{% log "a" %}', TOPIC)
    second = make_task(bench, '{% log "b" %}', [TOPIC, "user/other/topic"])
    disabled = make_task(bench, '{% log "c" %}', TOPIC, enabled=False)
    other = make_task(bench, '{% log "d" %}', "user/other/topic")
    event = fire(bench, TOPIC, {"a": 1})
    runs = task_runs(bench, event.id)
    assert sorted(run.task_id for run in runs) == sorted([first.id, second.id])
    assert disabled.id not in {run.task_id for run in runs} and other.id not in {run.task_id for run in runs}
    assert all(run.status is RunStatus.SUCCEEDED for run in runs)
    event_run = bench.runs.event_run(event.id)
    assert event_run.status is RunStatus.SUCCEEDED
    assert sorted(event_run.result) == sorted(run.id for run in runs)


def test_39_an_event_nobody_answers_still_exists(bench) -> None:
    event = fire(bench, TOPIC, None)
    assert bench.event(event.id).topic == TOPIC
    assert bench.runs.event_run(event.id).status is RunStatus.SUCCEEDED and task_runs(bench, event.id) == []


def test_40_offset_schedules_the_task_run(bench, clock) -> None:
    task = make_task(bench, '{% log "later" %}', f"{TOPIC}+1.hour")
    event = fire(bench, TOPIC)
    (run,) = task_runs(bench, event.id)
    assert run.status is RunStatus.SCHEDULED
    assert parse_iso(run.run_at) - clock.now() == dt.timedelta(hours=1)
    clock.advance(minutes=59)
    assert bench.worker.run_until_idle() == []
    clock.advance(minutes=1)
    (performed,) = bench.worker.run_until_idle()
    assert performed.id == run.id and performed.status is RunStatus.SUCCEEDED and performed.task_id == task.id


def test_40_offset_runs_use_the_latest_task_code(bench, clock) -> None:
    task = make_task(bench, '{% log "old" %}', f"{TOPIC}+10.minutes")
    event = fire(bench, TOPIC)
    bench.tasks.update(task.id, script='{% log "new" %}', check_preview=False)
    clock.advance(minutes=10)
    bench.worker.run_until_idle()
    assert task_runs(bench, event.id)[0].details["logs"] == ["new"]


def test_subscribed_twice_with_offsets_gets_two_task_runs(bench, clock) -> None:
    make_task(bench, '{% log "x" %}', [TOPIC, f"{TOPIC}+1.day"])
    event = fire(bench, TOPIC)
    statuses = sorted(run.status.value for run in task_runs(bench, event.id))
    assert statuses == ["scheduled", "succeeded"]


@pytest.mark.parametrize("output", ["false", "  false  ", "\n\nfalse\n",
                                    "{% if true %}\n  false\n{% endif %}"])
def test_45_filter_rendering_false_stops_the_event(bench, output: str) -> None:
    make_task(bench, '{% log "ran" %}', TOPIC)
    bench.runs.add_filter("skip", output)
    event = fire(bench, TOPIC)
    assert task_runs(bench, event.id) == []
    event_run = bench.runs.event_run(event.id)
    assert event_run.status is RunStatus.SUCCEEDED and event_run.details["filtered_by"] == "skip"


@pytest.mark.parametrize("output", ["true", "", "   ", "falsey", "no"])
def test_45_filter_rendering_anything_else_lets_it_pass(bench, output: str) -> None:
    make_task(bench, '{% log "ran" %}', TOPIC)
    bench.runs.add_filter("pass", output)
    event = fire(bench, TOPIC)
    assert len(task_runs(bench, event.id)) == 1


def test_45_filters_see_event_and_shop(bench) -> None:
    make_task(bench, '{% log "ran" %}', TOPIC)
    bench.runs.add_filter("by data", "{% if event.data.skip and shop.name != blank %}false{% endif %}")
    kept = fire(bench, TOPIC, {"skip": False})
    dropped = fire(bench, TOPIC, {"skip": True})
    assert len(task_runs(bench, kept.id)) == 1 and task_runs(bench, dropped.id) == []


def test_46_failing_filter_raises_errors_event(bench) -> None:
    make_task(bench, '{% log "ran" %}', TOPIC)
    listener = make_task(bench, '{% log event.data.message %}', "mechanic/errors/event")
    bench.runs.add_filter("broken", '{{ "{" | parse_json }}')
    event = fire(bench, TOPIC)
    event_run = bench.runs.event_run(event.id)
    assert event_run.status is RunStatus.FAILED and "broken" in event_run.error
    assert task_runs(bench, event.id) == []
    (error_event,) = events_of(bench, "mechanic/errors/event")
    assert error_event.parent_id == event.id and "broken" in error_event.data["message"]
    assert error_event.data["event"]["id"] == event.id and "data" not in error_event.data["event"]
    assert error_event.data["event"]["run"]["ok"] is False
    (heard,) = task_runs(bench, error_event.id)
    assert heard.task_id == listener.id and heard.status is RunStatus.SUCCEEDED


def test_filter_that_does_not_parse_is_refused(bench) -> None:
    with pytest.raises(InvalidInput, match="does not parse"):
        bench.runs.add_filter("bad", "{% if %}")


def test_47_run_button_event_goes_only_to_its_task(bench) -> None:
    pressed = make_task(bench, '{% log "pressed" %}', "mechanic/user/trigger")
    other = make_task(bench, '{% log "other" %}', "mechanic/user/trigger")
    event = fire(bench, "mechanic/user/trigger", None, task_id=pressed.id)
    assert [run.task_id for run in task_runs(bench, event.id)] == [pressed.id]
    assert other.id not in {run.task_id for run in task_runs(bench, event.id)}


def test_mechanic_user_topics_need_a_task(bench) -> None:
    with pytest.raises(InvalidInput):
        bench.emit_event("mechanic/user/trigger", None)
    with pytest.raises(InvalidInput):
        bench.emit_event("shopify/orders/create", {})


def test_task_ids_restrict_but_tasks_must_still_subscribe(bench) -> None:
    a = make_task(bench, '{% log "a" %}', TOPIC)
    b = make_task(bench, '{% log "b" %}', TOPIC)
    c = make_task(bench, '{% log "c" %}', "user/else/where")
    event = fire(bench, TOPIC, task_ids=[a.id, c.id])
    assert [run.task_id for run in task_runs(bench, event.id)] == [a.id]
    assert b.id != a.id


def test_74_error_only_task_hears_every_task_error_mixed_task_only_its_own(bench) -> None:
    failing = make_task(bench, '{% error "bad" %}', TOPIC, name="failing")
    mixed = make_task(bench, '{% error "mine" %}', [TOPIC, "mechanic/errors/task"], name="mixed")
    only_errors = make_task(bench, '{% log event.data.task.name %}', "mechanic/errors/task", name="only")
    fire(bench, TOPIC)
    errors = events_of(bench, "mechanic/errors/task")
    assert sorted(event.data["task"]["name"] for event in errors) == ["failing", "mixed"]
    heard = {event.data["task"]["name"]: {run.task_id for run in task_runs(bench, event.id)}
             for event in errors}
    assert heard["failing"] == {only_errors.id}
    assert heard["mixed"] == {only_errors.id, mixed.id}
    assert failing.id not in heard["mixed"]


def test_errors_of_error_handlers_do_not_loop(bench) -> None:
    make_task(bench, '{% error "bad" %}', TOPIC)
    make_task(bench, '{% error "handler fails too" %}', "mechanic/errors/task")
    fire(bench, TOPIC)
    assert len(events_of(bench, "mechanic/errors/task")) == 1


def test_140_cancelled_queued_event_creates_no_task_runs(bench) -> None:
    make_task(bench, '{% log "x" %}', TOPIC)
    event = bench.emit_event(TOPIC, {"n": 1})
    cancelled = bench.runs.cancel_event(event.id)
    assert cancelled.status is RunStatus.CANCELLED
    assert bench.worker.run_until_idle() == []
    assert task_runs(bench, event.id) == []
    assert bench.runs.event_run(event.id).status is RunStatus.CANCELLED


def test_140_scheduled_event_can_be_cancelled_started_one_cannot(bench, clock) -> None:
    later = bench.emit_event(TOPIC, None, run_at=clock.now() + dt.timedelta(days=1))
    assert bench.runs.event_run(later.id).status is RunStatus.SCHEDULED
    bench.runs.cancel_event(later.id)
    now = bench.emit_event(TOPIC, None)
    claimed = bench.worker.claim()
    assert claimed.event_id == now.id
    with pytest.raises(Conflict, match="started"):
        bench.runs.cancel_event(now.id)


def test_cancel_by_request_id_of_a_webhook_event(bench) -> None:
    with pytest.raises(Exception, match="no event"):
        bench.runs.cancel_event("nope")


def test_48_run_text_event_data_is_the_text(bench) -> None:
    task = make_task(bench, "{% log event.data %}", "mechanic/user/text")
    event = fire(bench, "mechanic/user/text", "drink me!", task_id=task.id)
    assert task_runs(bench, event.id)[0].details["logs"] == ["drink me!"]


def test_49_user_form_values_in_input_and_event_data(bench) -> None:
    task = make_task(bench, "{% log input.the_big_event %}{% log event.data.the_big_event %}",
                     "mechanic/user/form")
    event = fire(bench, "mechanic/user/form", {"the_big_event": "2026-05-01"}, task_id=task.id)
    assert task_runs(bench, event.id)[0].details["logs"] == ["2026-05-01", "2026-05-01"]
