"""Task runs: the live event, logs, errors, failures, retries, the loop guard.

Statements 51, 53–56, 59, 68–71, 75.
"""

from __future__ import annotations

import pytest
from runtools import action_runs
from runtools import events_of
from runtools import fire
from runtools import make_task
from runtools import only_task_run

from mechanic_kernel.errors import Conflict
from mechanic_kernel.models.runs import RunKind
from mechanic_kernel.models.runs import RunStatus


def test_53_log_only_task_run(bench) -> None:
    make_task(bench, '{% log "hi" %}')
    run = only_task_run(bench, fire(bench).id)
    assert run.status is RunStatus.SUCCEEDED
    assert run.details["logs"] == ["hi"] and run.details["actions"] == [] and action_runs(bench, run) == []
    assert run.details["output"] == '{"log":"hi"}'


def test_54_error_object_fails_the_run_and_drops_its_actions(bench) -> None:
    make_task(bench, '{% error "bad" %}{% action "echo", "x" %}')
    run = only_task_run(bench, fire(bench).id)
    assert run.status is RunStatus.FAILED and run.error == "bad"
    assert action_runs(bench, run) == []
    assert run.details["actions"] == [{"type": "echo", "options": "x", "meta": None, "perform_event": True}]


def test_55_rendering_goes_on_after_an_error_object(bench) -> None:
    make_task(bench, '{% error "e" %}{% log "after" %}')
    run = only_task_run(bench, fire(bench).id)
    assert run.status is RunStatus.FAILED
    assert run.details["logs"] == ["after"] and run.details["errors"] == ["e"]


def test_56_syntax_error_fails_with_line_and_raises_errors_task(bench) -> None:
    task = make_task(bench, '{% log "ok" %}\n{% if %}')
    event = fire(bench)
    run = only_task_run(bench, event.id)
    assert run.status is RunStatus.FAILED and "line 2" in run.error
    assert run.details["failure"]["kind"] == "syntax" and run.details["failure"]["line"] == 2
    (error_event,) = events_of(bench, "mechanic/errors/task")
    assert error_event.parent_id == event.id
    assert error_event.data["message"] == run.error
    assert error_event.data["task"]["id"] == task.id and error_event.data["task"]["run"]["id"] == run.id
    assert error_event.data["event"]["id"] == event.id


def test_75_error_event_data_holds_message_event_and_task(bench) -> None:
    make_task(bench, '{% error message: "bad", code: 7 %}')
    fire(bench)
    (error_event,) = events_of(bench, "mechanic/errors/task")
    assert {"message", "event", "task"} <= set(error_event.data) and "action" not in error_event.data
    assert '"code": 7' in error_event.data["message"]


def test_render_limit_breach_fails_the_run(bench) -> None:
    make_task(bench, "{% for i in (1..100000000) %}{% endfor %}")
    run = only_task_run(bench, fire(bench).id)
    assert run.status is RunStatus.FAILED and run.details["failure"]["kind"] != "syntax"


def test_51_event_parent_chain_of_a_live_event(bench) -> None:
    make_task(bench, "{% if event.parent == nil %}{% log 'root' %}{% endif %}"
                     "{% if event.preview == nil %}{% log 'live' %}{% endif %}"
                     "{% log event.parent.data %}"
                     "{% log event.parent.parent.parent.parent.parent.data %}"
                     "{% log event.parent.parent.parent.parent.parent.parent.data %}"
                     "{% if event.data < 6 %}"
                     "{% action 'event', topic: 'user/test/run', data: event.data | plus: 1 %}"
                     "{% endif %}")
    root = fire(bench, data=0)
    runs = [only_task_run(bench, event.id) for event in events_sorted(bench)]
    assert runs[0].details["logs"] == ["root", "live", None, None, None]
    assert runs[1].details["logs"] == ["live", 0, None, None]
    assert runs[6].details["logs"] == ["live", 5, 1, None]  # 6 generations up is beyond reach
    assert root.parent_id is None


def events_sorted(bench):
    return events_of(bench, "user/test/run")


def test_59_cache_writes_are_not_visible_to_the_run_that_makes_them(bench) -> None:
    make_task(bench, '{% action "cache", "set", "foo", 5 %}{% log cache.foo %}')
    first = only_task_run(bench, fire(bench).id)
    second = only_task_run(bench, fire(bench).id)
    assert first.details["logs"] == [None] and second.details["logs"] == [5]


def test_69_disabled_task_fails_without_rendering(bench) -> None:
    task = make_task(bench, '{% log "rendered" %}', "user/test/run+1.minute")
    event = fire(bench)
    bench.tasks.disable(task.id)
    bench.clock.advance(minutes=1)
    bench.worker.run_until_idle()
    run = only_task_run(bench, event.id)
    assert run.status is RunStatus.FAILED and "disabled" in run.error and "logs" not in run.details
    assert events_of(bench, "mechanic/errors/task") == []


def test_69_queued_action_runs_of_a_disabled_task_fail_when_due(bench) -> None:
    task = make_task(bench, '{% action "echo", "x" %}')
    bench.emit_event("user/test/run")
    bench.worker.step()  # event run
    bench.worker.step()  # task run: the action run is now due
    bench.tasks.disable(task.id)
    (action,) = bench.worker.run_until_idle()
    assert action.kind is RunKind.ACTION and action.status is RunStatus.FAILED and "disabled" in action.error


def test_deleted_task_fails_its_runs(bench) -> None:
    task = make_task(bench, '{% log "x" %}')
    event = bench.emit_event("user/test/run")
    bench.worker.step()
    bench.tasks.delete(task.id)
    bench.worker.run_until_idle()
    run = only_task_run(bench, event.id)
    assert run.status is RunStatus.FAILED and "deleted" in run.error


def test_70_retry_rerenders_with_current_code_and_discards_the_result(bench) -> None:
    task = make_task(bench, '{% error "first" %}')
    run = only_task_run(bench, fire(bench).id)
    assert run.status is RunStatus.FAILED
    bench.tasks.update(task.id, script='{% log "second" %}', check_preview=False)
    retried = bench.runs.retry(run.id)
    assert retried.status is RunStatus.DUE and retried.error is None and "errors" not in retried.details
    bench.worker.run_until_idle()
    again = bench.runs.get(run.id)
    assert again.status is RunStatus.SUCCEEDED and again.details["logs"] == ["second"] and again.error is None
    assert again.attempts == 2


def test_71_task_run_with_actions_cannot_be_retried_log_only_can(bench) -> None:
    make_task(bench, '{% action "echo", "x" %}', name="acts")
    make_task(bench, '{% log "only" %}', name="logs")
    event = fire(bench)
    runs = {run.details["task_name"]: run for run in bench.runs.task_runs(event.id)}
    with pytest.raises(Conflict, match="produced actions"):
        bench.runs.retry(runs["acts"].id)
    assert bench.runs.retry(runs["logs"].id).status is RunStatus.DUE


def test_pending_runs_cannot_be_retried(bench) -> None:
    event = bench.emit_event("user/test/run")
    with pytest.raises(Conflict, match="only finished runs"):
        bench.runs.retry(bench.runs.event_run(event.id).id)


def test_68_perform_run_identical_to_its_predecessor_is_failed(bench) -> None:
    # Every run renders the same http-free action, so each follow-up run repeats its predecessor exactly.
    make_task(bench, '{% action "cache", "set", "k", 1 %}', ["user/test/run", "mechanic/actions/perform"])
    fire(bench)
    runs = list(reversed(bench.runs.list(kind=RunKind.TASK, limit=None)))
    assert len(runs) == 2
    first, second = runs
    assert first.status is RunStatus.SUCCEEDED
    assert second.status is RunStatus.FAILED and "loop detected" in second.error
    assert action_runs(bench, second) == []


def test_68_perform_runs_that_differ_are_not_stopped(bench) -> None:
    make_task(bench, "{% if event.topic == 'user/test/run' %}{% action 'cache', 'set', 'k', 1 %}"
                     "{% else %}{% log action.run.result %}{% endif %}",
              ["user/test/run", "mechanic/actions/perform"])
    fire(bench)
    statuses = [run.status for run in bench.runs.list(kind=RunKind.TASK, limit=None)]
    assert statuses == [RunStatus.SUCCEEDED, RunStatus.SUCCEEDED]
