"""Many processes on one PostgreSQL store: two ingest servers and two workers perform each event exactly once,
and a worker that dies has its runs taken over by another once their lease lapses.

Every process here is a real ``python -m mechanic_kernel`` started by the test; requests go over real HTTP on
127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from pgtools import REQUIRED
from pgtools import TestDatabase

from mechanic_kernel import Workbench
from mechanic_kernel.clock import isoformat
from mechanic_kernel.models.runs import RunKind
from mechanic_kernel.models.runs import RunStatus
from mechanic_kernel.runs.action_run import INTERRUPTED
from mechanic_kernel.store.contract import Lease

TOPIC = "user/scale/test"
EVENTS = 200


@pytest.fixture
def pg_url(postgres: TestDatabase | str) -> Iterator[str]:
    if isinstance(postgres, str):
        if REQUIRED:
            pytest.fail(postgres)
        pytest.skip(postgres)
    schema, url = postgres.fresh_schema()
    yield url
    postgres.drop_schema(schema)


class Processes:
    """Started ``mechanic-kernel`` processes, stopped (SIGTERM, then SIGKILL) at the end."""

    def __init__(self, home: Path, url: str) -> None:
        self.home, self.url = home, url
        self.running: list[subprocess.Popen[str]] = []

    def start(self, *args: str) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, "-m", "mechanic_kernel", "--home", str(self.home), "--store", self.url, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.running.append(process)
        return process

    def serve(self, *args: str) -> str:
        process = self.start("serve", "--port", "0", *args)
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("mechanic-kernel serving "), (
            line,
            process.stderr.read() if process.stderr else "",
        )
        return line.split()[2]

    def worker(self, *args: str) -> subprocess.Popen[str]:
        process = self.start("worker", "run", *args)
        assert process.stdout is not None
        assert process.stdout.readline().startswith("worker performing runs")
        return process

    def stop(self) -> list[int]:
        for process in self.running:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        codes = []
        for process in self.running:
            try:
                codes.append(process.wait(30))
            except subprocess.TimeoutExpired:
                process.kill()
                codes.append(process.wait(10))
        return codes


@pytest.fixture
def processes(tmp_path: Path, pg_url: str) -> Iterator[Processes]:
    started = Processes(tmp_path, pg_url)
    yield started
    started.stop()


def wait_for(condition, timeout: float = 90, what: str = "the condition") -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_two_servers_and_two_workers_perform_every_event_exactly_once(
    tmp_path: Path, pg_url: str, processes: Processes
) -> None:
    with Workbench(tmp_path, store=pg_url) as bench:
        hook = bench.webhooks.create("Scale", TOPIC)
        bench.tasks.create("Echo", script='{% action "echo", event.data %}', subscriptions=[TOPIC])
    base = processes.serve("--processes", "2", "--no-worker")
    workers = [processes.worker(), processes.worker()]

    def post(n: int) -> str:
        with httpx.Client(timeout=30, trust_env=False) as http:
            response = http.post(f"{base}/mechanic/webhooks/{hook.id}", json={"n": n})
        assert response.status_code == 204, response.text
        return response.headers["x-request-id"]

    with ThreadPoolExecutor(16) as pool:
        acknowledged = list(pool.map(post, range(EVENTS)))
    with Workbench(tmp_path / "reader", store=pg_url) as bench:
        wait_for(
            lambda: bench.engine.store.runs.count(status="succeeded") >= 3 * EVENTS,
            what="every event, task and echo action run to succeed",
        )
        time.sleep(0.5)  # anything performed twice would show up now
        events = bench.list_events(limit=None)
        runs = bench.runs.list(limit=None)
    assert sorted(event.webhook_request_id for event in events) == sorted(acknowledged)
    assert len(runs) == 3 * EVENTS and all(run.status is RunStatus.SUCCEEDED for run in runs)
    for kind in RunKind:
        of_kind = [run for run in runs if run.kind is kind]
        assert sorted(run.event_id for run in of_kind) == sorted(event.id for event in events)
        assert all(run.attempts == 1 for run in of_kind)
    data = {event.id: event.data for event in events}
    assert all(run.result == data[run.event_id] for run in runs if run.kind is RunKind.ACTION)
    pids = {run.claimed_by.split(":")[1] for run in runs if run.kind is RunKind.EVENT}
    assert pids <= {str(worker.pid) for worker in workers}
    assert processes.stop() == [0, 0, 0]


def test_a_worker_takes_over_the_runs_of_one_that_died(
    tmp_path: Path, pg_url: str, processes: Processes
) -> None:
    with Workbench(tmp_path, store=pg_url) as bench:
        bench.tasks.create("Echo", script='{% action "echo", event.data %}', subscriptions=[TOPIC])
        events = [bench.emit_event(TOPIC, {"n": n}) for n in range(5)]
        now = dt.datetime.now(dt.UTC)
        # A worker claims the event runs, then dies without a word: its lease lapses two seconds later.
        dead = Lease("dead-host:1:worker", isoformat(now + dt.timedelta(seconds=2)))
        claimed = bench.engine.store.runs.claim(isoformat(now), lease=dead, limit=10).result(30)
        assert len(claimed) == 5
        processes.worker()
        wait_for(lambda: bench.engine.store.runs.count(status="succeeded") == 15, what="the takeover")
        for event in events:
            event_run = bench.runs.event_run(event.id)
            assert event_run is not None and event_run.attempts == 2 and event_run.claimed_by != dead.worker
            [task_run] = bench.runs.task_runs(event.id)
            [action] = bench.runs.action_runs(task_run.id)
            assert (action.status, action.result, action.attempts) == (RunStatus.SUCCEEDED, event.data, 1)


class _Slow(BaseHTTPRequestHandler):
    received: list[str] = []
    arrived = threading.Event()

    def do_POST(self) -> None:  # noqa: N802 - the http.server hook
        type(self).received.append(self.path)
        type(self).arrived.set()
        time.sleep(60)  # the worker is killed while it waits for this answer

    def log_message(self, *args: object) -> None:
        pass


def test_an_action_whose_worker_was_killed_is_not_sent_again(
    tmp_path: Path, pg_url: str, processes: Processes
) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        with Workbench(tmp_path, store=pg_url) as bench:
            bench.settings.set("cors_origins", None)
            bench.tasks.create(
                "Notify",
                subscriptions=[TOPIC],
                script=(f'{{% action "http", method: "post", url: "{url}", body: event.data %}}'),
                check_preview=False,
            )
            event = bench.emit_event(TOPIC, {"order": 1})
            doomed = processes.worker("--lease-seconds", "2")
            assert _Slow.arrived.wait(60), "the http action was never sent"
            doomed.kill()  # SIGKILL: no chance to record anything
            doomed.wait(10)
            processes.worker()
            [task_run] = bench.runs.task_runs(event.id)

            def failed() -> bool:
                [action] = bench.runs.action_runs(task_run.id)
                return action.status is RunStatus.FAILED

            wait_for(failed, what="the interrupted action to be failed")
            [action] = bench.runs.action_runs(task_run.id)
            assert action.error == INTERRUPTED and action.attempts == 2
            errors = bench.list_events(topic="mechanic/errors/action")
            assert [error.data["message"] for error in errors] == [INTERRUPTED]
        assert _Slow.received == ["/hook"]  # sent once, never again without the user's retry
        assert json.loads(json.dumps(_Slow.received)) == ["/hook"]
    finally:
        server.shutdown()
