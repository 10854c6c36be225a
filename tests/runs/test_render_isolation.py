"""Renders of a server's worker run in processes of their own: a render stuck where no check of the dialect
runs is stopped by killing its process, and the server goes on answering meanwhile."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from mechanic_kernel import Workbench
from mechanic_kernel.models.runs import RunStatus

TOPIC = "user/slow/run"
# Catastrophic backtracking: Python's re would take hours on this, holding the GIL the whole time.
BACKTRACKING = '{% assign m = event.data.s | match: "(a+)+$" %}{% log "matched" %}'
INTEGER_BOMB = (
    "{% assign x = 3 %}{% for i in (1..40) %}{% assign x = x | times: x %}{% endfor %}{% log 'done' %}"
)

pytestmark = pytest.mark.timeout(120)


def _serve(tmp_path: Path, store_url: str | None, script: str, timeout: float) -> tuple[Workbench, str, str]:
    bench = Workbench(tmp_path / "home", store=store_url)
    bench.engine.render_timeout = timeout
    slow = bench.webhooks.create("Slow", TOPIC)
    fast = bench.webhooks.create("Fast", "user/fast/run")
    bench.tasks.create("Slow", script=script, subscriptions=[TOPIC], check_preview=False)
    bench.serve()  # with the worker, as `serve` runs it
    return bench, bench.webhooks.url(slow), bench.webhooks.url(fast)


def _answer_times_while(condition, url: str) -> list[float]:  # noqa: ANN001
    """Post to ``url`` over and over until ``condition()``; the seconds each answer took."""
    took = []
    with httpx.Client(trust_env=False, timeout=60) as http:
        while not condition():
            start = time.monotonic()
            assert http.post(url, json={"ping": True}).status_code == 204
            took.append(time.monotonic() - start)
    return took


@pytest.mark.parametrize("script", [BACKTRACKING, INTEGER_BOMB], ids=["backtracking regex", "integer bomb"])
def test_a_runaway_render_is_stopped_and_the_server_answers_meanwhile(
    tmp_path: Path, store_url: str | None, script: str
) -> None:
    bench, slow, fast = _serve(tmp_path, store_url, script, timeout=2)
    try:
        with httpx.Client(trust_env=False, timeout=60) as http:
            request_id = http.post(slow, json={"s": "a" * 40 + "!"}).headers["x-request-id"]
        event = bench.event(request_id)

        def finished() -> bool:
            runs = bench.runs.task_runs(event.id)
            return bool(runs) and runs[0].status.is_finished

        took = _answer_times_while(finished, fast)
        [task_run] = bench.runs.task_runs(event.id)
        assert task_run.status is RunStatus.FAILED
        assert "render time limit reached" in task_run.error or "limit" in task_run.error
        assert max(took) < 1.5, took  # nothing waited for the runaway render
        assert len(took) > 5
    finally:
        bench.close()


def test_the_render_process_is_replaced_after_a_kill(tmp_path: Path, store_url: str | None) -> None:
    bench, slow, _ = _serve(tmp_path, store_url, BACKTRACKING, timeout=1)
    try:
        with httpx.Client(trust_env=False, timeout=60) as http:
            first = http.post(slow, json={"s": "a" * 40 + "!"}).headers["x-request-id"]
            second = http.post(slow, json={"s": "aaa"}).headers["x-request-id"]
        deadline = time.monotonic() + 60
        while True:
            runs = [bench.runs.task_runs(bench.event(rid).id) for rid in (first, second)]
            if all(found and found[0].status.is_finished for found in runs):
                break
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert runs[0][0].status is RunStatus.FAILED
        assert runs[1][0].status is RunStatus.SUCCEEDED and runs[1][0].details["logs"] == ["matched"]
    finally:
        bench.close()


def test_event_filters_render_in_the_pool_too(tmp_path: Path, store_url: str | None) -> None:
    bench, slow, _ = _serve(tmp_path, store_url, '{% log "ran" %}', timeout=1)
    bench.runs.add_filter("runaway", '{% assign m = event.data.s | match: "(a+)+$" %}')
    bench.runs.add_filter("tests", "{% if event.data.test %}false{% endif %}")
    try:
        with httpx.Client(trust_env=False, timeout=60) as http:
            stopped = http.post(slow, json={"s": "x", "test": True}).headers["x-request-id"]
            stuck = http.post(slow, json={"s": "a" * 40 + "!"}).headers["x-request-id"]
        deadline = time.monotonic() + 60
        while not all(
            (run := bench.runs.event_run(bench.event(rid).id)) and run.status.is_finished
            for rid in (stopped, stuck)
        ):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert bench.runs.event_run(bench.event(stopped).id).details == {"filtered_by": "tests"}
        failed = bench.runs.event_run(bench.event(stuck).id)
        assert failed.status is RunStatus.FAILED and "limit" in failed.error
        assert bench.list_events(topic="mechanic/errors/event")  # the failure is reported as usual
    finally:
        bench.close()
