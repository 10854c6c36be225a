"""The run statuses and the transition table (statement 137)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from runtools import fire
from runtools import make_task
from runtools import only_task_run

from mechanic_kernel.errors import Conflict
from mechanic_kernel.models.runs import TRANSITIONS
from mechanic_kernel.models.runs import RunKind
from mechanic_kernel.models.runs import RunStatus
from mechanic_kernel.models.runs import check_transition
from mechanic_kernel.runs.queue import Changes


def test_status_values_are_the_lowercase_words() -> None:
    assert [status.value for status in RunStatus] == ["scheduled", "due", "started", "succeeded", "failed",
                                                      "cancelled"]
    assert [kind.value for kind in RunKind] == ["event", "task", "action"]
    assert RunStatus("due") is RunStatus.DUE and RunStatus.DUE == "due"


@pytest.mark.parametrize(("current", "target"), list(itertools.product(RunStatus, RunStatus)),
                         ids=lambda status: status.value)
def test_check_transition_follows_the_table(current: RunStatus, target: RunStatus) -> None:
    if target in TRANSITIONS[current]:
        check_transition(current, target)
    else:
        with pytest.raises(Conflict, match=f"a {current.value} run cannot become {target.value}"):
            check_transition(current, target)


def test_cancelled_is_final_and_finished_statuses_only_go_back_to_due() -> None:
    assert TRANSITIONS[RunStatus.CANCELLED] == frozenset()
    assert TRANSITIONS[RunStatus.SUCCEEDED] == TRANSITIONS[RunStatus.FAILED] == {RunStatus.DUE}


def test_137_immediate_runs_go_due_started_succeeded(bench) -> None:
    make_task(bench, '{% action "echo", "x" %}')
    event = bench.emit_event("user/test/run")
    event_run = bench.runs.event_run(event.id)
    assert event_run.status is RunStatus.DUE and event_run.enqueued_at == event.created_at
    claimed = bench.worker.claim()
    assert claimed.id == event_run.id and claimed.status is RunStatus.STARTED and claimed.attempts == 1
    assert bench.runs.get(event_run.id).status is RunStatus.STARTED
    bench.worker.run_until_idle()  # a claimed run is not claimed twice; the rest goes on


def test_137_delayed_runs_go_scheduled_due_started(bench, clock) -> None:
    make_task(bench, '{% action "echo", "x" %}', "user/test/run+1.hour")
    event = fire(bench)
    task_run = only_task_run(bench, event.id)
    assert task_run.status is RunStatus.SCHEDULED
    assert bench.worker.step() is None  # nothing due yet
    clock.advance(hours=1)
    stepped = bench.worker.step()
    assert stepped.id == task_run.id and stepped.status is RunStatus.SUCCEEDED
    run = bench.runs.get(task_run.id)
    assert run.enqueued_at == task_run.run_at and run.started_at is not None and run.stopped_at is not None


def test_a_stale_change_is_refused_by_the_store(bench) -> None:
    make_task(bench, "")
    event = bench.emit_event("user/test/run")
    run = bench.runs.event_run(event.id)
    bench.runs.cancel_event(event.id)
    changes = Changes()
    changes.move(run, RunStatus.STARTED)  # allowed by the table from "due", but the stored run is cancelled
    with pytest.raises(Conflict, match="changed meanwhile"):
        bench.engine.queue.commit(changes)
    assert bench.runs.get(run.id).status is RunStatus.CANCELLED


def test_run_summary_has_mechanic_fields(bench, clock) -> None:
    make_task(bench, '{% action "echo", "x" %}')
    event = fire(bench)
    summary = only_task_run(bench, event.id).summary()
    assert set(summary) == {"id", "ok", "error", "result", "result_meta", "run_at", "enqueued_at",
                            "started_at", "stopped_at", "elapsed_time_ms", "attempts"}
    assert summary["ok"] is True and summary["elapsed_time_ms"] == 0  # the frozen clock did not move
    assert dt.datetime.fromisoformat(summary["run_at"].replace("Z", "+00:00")) == clock.now()
