"""Action runs: results, failures, sequences, follow-up events, retries (statements 57, 58, 60–67, 72, 73)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from runtools import action_runs
from runtools import events_of
from runtools import fire
from runtools import make_task
from runtools import only_task_run
from runtools import task_runs

from mechanic_kernel.actions.base import ActionContext
from mechanic_kernel.actions.base import TransientActionError
from mechanic_kernel.actions.registry import action_types
from mechanic_kernel.actions.registry import register_action
from mechanic_kernel.actions.registry import unregister_action
from mechanic_kernel.clock import parse_iso
from mechanic_kernel.errors import Conflict
from mechanic_kernel.models.runs import RETRY_DELAYS
from mechanic_kernel.models.runs import RunKind
from mechanic_kernel.models.runs import RunStatus

PERFORM = "mechanic/actions/perform"


class Flaky:
    """Fails with a transient error ``failures`` times, then succeeds."""

    name = "flaky"

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0

    def validate(self, options: Any) -> None:
        pass

    async def perform(self, options: Any, context: ActionContext) -> Any:
        self.calls += 1
        if self.calls <= self.failures:
            raise TransientActionError(f"connection refused (call {self.calls})")
        return {"calls": self.calls}


class Gate:
    """Records start order and waits for the test to open it; tracks how many are performing at once."""

    name = "gate"

    def __init__(self) -> None:
        self.started: list[Any] = []
        self.active = 0
        self.most_active = 0
        self.opened = asyncio.Event()
        self.moved = asyncio.Event()

    def validate(self, options: Any) -> None:
        pass

    async def perform(self, options: Any, context: ActionContext) -> Any:
        self.started.append(options)
        self.active += 1
        self.most_active = max(self.most_active, self.active)
        self.moved.set()
        await self.opened.wait()
        self.active -= 1
        self.moved.set()
        return options


@pytest.fixture
def custom_types() -> Iterator[list[str]]:
    action_types()  # load the built-ins before adding test types
    names: list[str] = []
    yield names
    for name in names:
        unregister_action(name)


def test_57_echo_result_is_its_options(bench) -> None:
    make_task(bench, '{% action "echo", foo: "bar" %}')
    (action,) = action_runs(bench, only_task_run(bench, fire(bench).id))
    assert action.details["type"] == "echo" and action.status is RunStatus.SUCCEEDED
    assert action.result == {"foo": "bar"} and action.error is None and action.attempts == 1


def test_58_echo_error_fails_the_action_not_the_task_run(bench) -> None:
    make_task(bench, '{% action "echo", __error: "boom" %}')
    event = fire(bench)
    run = only_task_run(bench, event.id)
    (action,) = action_runs(bench, run)
    assert run.status is RunStatus.SUCCEEDED
    assert action.status is RunStatus.FAILED and action.error == "boom"
    (error_event,) = events_of(bench, "mechanic/errors/action")
    assert error_event.data["message"] == "boom" and error_event.data["action"]["type"] == "echo"
    assert {"message", "event", "task", "action"} <= set(error_event.data)


def test_unknown_type_fails_as_not_supported_locally(bench) -> None:
    make_task(bench, '{% action "shopify", "mutation { x }" %}')
    (action,) = action_runs(bench, only_task_run(bench, fire(bench).id))
    assert action.status is RunStatus.FAILED and "not supported locally" in action.error


def test_60_sequence_starts_in_order_and_never_overlaps(bench, custom_types) -> None:
    gate = Gate()
    register_action(gate, replace=True)
    custom_types.append("gate")
    make_task(bench, '{% action "gate", 1 %}{% action "gate", 2 %}{% action "gate", 3 %}',
              perform_action_runs_in_sequence=True)
    bench.emit_event("user/test/run")
    bench.worker.step()
    bench.worker.step()
    statuses = [run.status for run in bench.runs.list(kind=RunKind.ACTION, limit=None)[::-1]]
    assert statuses == [RunStatus.DUE, RunStatus.SCHEDULED, RunStatus.SCHEDULED]
    bench.worker.concurrency = 4

    async def scenario() -> None:
        stop = asyncio.Event()
        worker = asyncio.ensure_future(bench.worker.work(stop))
        for expected in (1, 2, 3):
            while len(gate.started) < expected:
                gate.moved.clear()
                await gate.moved.wait()
            assert gate.started == list(range(1, expected + 1)) and gate.active == 1
            gate.opened.set()
            gate.opened = asyncio.Event()
            if expected == 3:
                gate.opened.set()
        while gate.active:
            gate.moved.clear()
            await gate.moved.wait()
        stop.set()
        await worker

    asyncio.run(scenario())
    assert gate.most_active == 1
    runs = bench.runs.list(kind=RunKind.ACTION, limit=None)
    assert len(runs) == 3 and all(run.status is RunStatus.SUCCEEDED for run in runs)


def test_61_halted_sequence_fails_the_rest_unperformed(bench) -> None:
    make_task(bench, '{% action "echo", 1 %}{% action "echo", __error: "two" %}{% action "echo", 3 %}',
              perform_action_runs_in_sequence=True, halt_action_run_sequence_on_error=True)
    first, second, third = action_runs(bench, only_task_run(bench, fire(bench).id))
    assert first.status is RunStatus.SUCCEEDED and second.status is RunStatus.FAILED
    assert third.status is RunStatus.FAILED and third.attempts == 0 and third.started_at is None
    assert "halts its action run sequence" in third.error


def test_61_sequence_without_halt_goes_on_after_a_failure(bench) -> None:
    make_task(bench, '{% action "echo", 1 %}{% action "echo", __error: "two" %}{% action "echo", 3 %}',
              perform_action_runs_in_sequence=True)
    runs = action_runs(bench, only_task_run(bench, fire(bench).id))
    assert [run.status.value for run in runs] == ["succeeded", "failed", "succeeded"]


def test_62_without_sequencing_one_failure_does_not_stop_the_others(bench) -> None:
    make_task(bench, '{% action "echo", __error: "one" %}{% action "echo", 2 %}{% action "echo", 3 %}')
    runs = action_runs(bench, only_task_run(bench, fire(bench).id))
    assert [run.status.value for run in runs] == ["failed", "succeeded", "succeeded"]
    assert [run.result for run in runs] == [None, 2, 3]


def test_63_perform_events_go_to_the_generating_task_only(bench) -> None:
    generator = make_task(bench, "{% if event.topic == 'user/test/run' %}"
                                 "{% action 'cache', 'set', 'a', 1 %}"
                                 "{% action 'cache', 'set', 'bad key!', 1 %}"
                                 "{% endif %}", ["user/test/run", PERFORM], name="generator")
    bystander = make_task(bench, '{% log "heard" %}', PERFORM, name="bystander")
    event = fire(bench)
    performs = events_of(bench, PERFORM)
    assert len(performs) == 2 and all(child.parent_id == event.id for child in performs)
    for child in performs:
        assert [run.task_id for run in task_runs(bench, child.id)] == [generator.id]
    assert bystander.id not in {run.task_id for child in performs for run in task_runs(bench, child.id)}
    assert sorted(child.data["run"]["ok"] for child in performs) == [False, True]


def test_64_follow_up_run_sees_the_action_and_its_outcome(bench) -> None:
    make_task(bench, "{% if event.topic == 'user/test/run' %}"
                     "{% action 'cache', 'incrby', 'n', 5, __meta: 'm' %}"
                     "{% else %}{% log type: action.type, options: action.options, meta: action.meta, "
                     "ok: action.run.ok, result: action.run.result, error: action.run.error, "
                     "same: event.data.run.result %}{% endif %}", ["user/test/run", PERFORM])
    fire(bench)
    (perform,) = events_of(bench, PERFORM)
    (run,) = task_runs(bench, perform.id)
    (log,) = run.details["logs"]
    assert log == {"type": "cache", "options": ["incrby", "n", 5], "meta": "m", "ok": True, "result": 5,
                   "error": None, "same": 5}
    assert perform.data["type"] == "cache" and perform.data["run"]["attempts"] == 1


def test_65_perform_event_false_suppresses_the_follow_up(bench) -> None:
    make_task(bench, "{% action 'cache', 'set', 'a', 1, __perform_event: false %}",
              ["user/test/run", PERFORM])
    event = fire(bench)
    (action,) = action_runs(bench, only_task_run(bench, event.id))
    assert action.status is RunStatus.SUCCEEDED and events_of(bench, PERFORM) == []


def test_66_echo_never_emits_a_perform_event(bench) -> None:
    make_task(bench, "{% action 'echo', 1 %}{% action 'echo', __error: 'x' %}", ["user/test/run", PERFORM])
    fire(bench)
    assert events_of(bench, PERFORM) == []


def test_67_meta_is_moved_out_of_the_options(bench) -> None:
    make_task(bench, "{% action 'echo', foo: 1, __meta: 'm' %}")
    (action,) = action_runs(bench, only_task_run(bench, fire(bench).id))
    assert action.details["meta"] == "m" and action.details["options"] == {"foo": 1}
    assert action.result == {"foo": 1}


def test_72_succeeded_action_cannot_be_retried_failed_one_reuses_its_options(bench) -> None:
    task = make_task(bench, "{% action 'echo', 1 %}{% action 'cache', 'incr', 'bad key!' %}")
    ok, failed = action_runs(bench, only_task_run(bench, fire(bench).id))
    with pytest.raises(Conflict, match="succeeded action run"):
        bench.runs.retry(ok.id)
    bench.tasks.update(task.id, script="{% action 'cache', 'incr', 'good' %}", check_preview=False)
    retried = bench.runs.retry(failed.id)
    assert retried.status is RunStatus.DUE and retried.details["options"] == ["incr", "bad key!"]
    bench.worker.run_until_idle()
    again = bench.runs.get(failed.id)
    assert again.status is RunStatus.FAILED and again.attempts == 2 and "bad key!" in again.error


def test_73_transient_errors_retry_with_backoff_up_to_five_attempts(bench, clock, custom_types) -> None:
    flaky = Flaky(failures=10)
    register_action(flaky, replace=True)
    custom_types.append("flaky")
    make_task(bench, "{% action 'flaky', 1 %}")
    event = fire(bench)
    (action,) = action_runs(bench, only_task_run(bench, event.id))
    waits = []
    for delay in RETRY_DELAYS:
        action = bench.runs.get(action.id)
        assert action.status is RunStatus.SCHEDULED and "connection refused" in action.error
        wait = (parse_iso(action.run_at) - clock.now()).total_seconds()
        waits.append(wait)
        clock.advance(seconds=delay - 1)
        assert bench.worker.run_until_idle() == []
        clock.advance(seconds=1)
        bench.worker.run_until_idle()
    assert waits == [30, 76, 152, 308]
    final = bench.runs.get(action.id)
    assert final.status is RunStatus.FAILED and final.attempts == 5 and flaky.calls == 5
    assert len(events_of(bench, "mechanic/errors/action")) == 1


def test_73_a_transient_error_that_passes_succeeds(bench, clock, custom_types) -> None:
    register_action(Flaky(failures=1), replace=True)
    custom_types.append("flaky")
    make_task(bench, "{% action 'flaky', 1 %}")
    event = fire(bench)
    clock.advance(seconds=30)
    bench.worker.run_until_idle()
    (action,) = action_runs(bench, only_task_run(bench, event.id))
    assert action.status is RunStatus.SUCCEEDED and action.attempts == 2 and action.result == {"calls": 2}
    assert action.error is None
