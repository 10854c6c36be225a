"""The http, files and email actions performed by the worker from a task's output, end to end."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from actiontools import LocalServer

from mechanic_kernel import Workbench
from mechanic_kernel.models.runs import RunStatus

SCRIPT = """
{% action "http" %}{"method": "post", "url": {{ event.data.url | json }}, "body": {"n": 1}}{% endaction %}
{% action "files" %}{"a.txt": "hi"}{% endaction %}
{% action "email", to: "a@x.io, b@x.io", subject: "Hi", body: event.data.name, name: "Ann" %}
{% action "http", method: "fetch", url: "https://example.com" %}
"""


@pytest.fixture
def bench(tmp_path: Path, store_url: str | None) -> Iterator[Workbench]:
    workbench = Workbench(tmp_path / "home", store=store_url)
    yield workbench
    workbench.close()


def test_actions_run_through_the_worker(bench: Workbench, echo_server: LocalServer) -> None:
    bench.tasks.create("actions", script=SCRIPT, subscriptions=["user/test/actions"], check_preview=False)
    bench.outbox.set_template("default", "[{{ name }}] {{ body }}", updated_at="t")
    event = bench.emit_event("user/test/actions", {"url": f"{echo_server.url}/echo", "name": "Ann"})
    bench.worker.run_until_idle(max_runs=50)
    [task_run] = bench.runs.task_runs(event.id)
    runs = {run.details["type"] + str(run.position): run for run in bench.runs.action_runs(task_run.id)}
    http_run, files_run, email_run, bad_run = runs["http0"], runs["files1"], runs["email2"], runs["http3"]
    assert http_run.error is None, http_run.error
    assert http_run.result["status"] == 200 and json.loads(http_run.result["body"]["body"]) == {"n": 1}
    assert files_run.result["a.txt"]["size"] == 2
    assert email_run.result["status"] == "captured" and email_run.result["to"] == ["a@x.io", "b@x.io"]
    assert bench.outbox.get(email_run.id)["html"] == "[Ann] Ann"
    assert bad_run.result is None and "method must be one of" in str(bad_run.error)
    assert bad_run.attempts <= 1  # a validation failure is not retried


def test_files_url_is_served_by_the_workbench(bench: Workbench) -> None:
    import httpx

    url = bench.serve()
    bench.tasks.create(
        "files",
        script='{% action "files" %}{"a.txt": "hi"}{% endaction %}',
        subscriptions=["user/test/files"],
        check_preview=False,
    )
    event = bench.emit_event("user/test/files", None)
    # The served workbench runs its own worker too: wait for whichever worker performs the action.
    deadline = time.monotonic() + 10
    while True:
        bench.worker.run_until_idle(max_runs=50)
        action_runs = [
            run
            for task_run in bench.runs.task_runs(event.id)
            for run in bench.runs.action_runs(task_run.id)
            if run.result
        ]
        if action_runs or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    [files_run] = action_runs
    file_url: Any = files_run.result["a.txt"]["url"]
    assert file_url.startswith(url)
    response = httpx.get(file_url)
    assert response.status_code == 200 and response.text == "hi"


def test_96_error_on_5xx_is_retried_and_a_validation_error_is_not(
    bench: Workbench, echo_server: LocalServer
) -> None:
    script = (
        '{% action "http", method: "get", url: event.data.url, error_on_5xx: true %}'
        '{% action "http", method: "get", url: event.data.url %}'
    )
    bench.tasks.create("5xx", script=script, subscriptions=["user/test/5xx"], check_preview=False)
    event = bench.emit_event("user/test/5xx", {"url": f"{echo_server.url}/status/503"})
    bench.worker.run_until_idle(max_runs=50)
    [task_run] = bench.runs.task_runs(event.id)
    strict, lenient = bench.runs.action_runs(task_run.id)
    assert strict.status == RunStatus.SCHEDULED and strict.attempts == 1  # waiting for its automatic retry
    assert "answered 503" in str(strict.error)
    assert lenient.status == RunStatus.SUCCEEDED and lenient.result["status"] == 503
