"""Servers perform runs: ``serve`` and ``Workbench.serve()`` run the worker beside the webhook handlers."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from runtools import make_task

from mechanic_kernel import Workbench
from mechanic_kernel.actions.base import ActionContext
from mechanic_kernel.actions.registry import register_action
from mechanic_kernel.actions.registry import unregister_action
from mechanic_kernel.models.runs import RunStatus
from mechanic_kernel.server.standalone import serve


class Notify:
    """Signals a threading.Event when performed, so a test waits for the worker without sleeping."""

    name = "notify"

    def __init__(self) -> None:
        self.performed = threading.Event()
        self.options: list[Any] = []

    def validate(self, options: Any) -> None:
        pass

    async def perform(self, options: Any, context: ActionContext) -> Any:
        self.options.append(options)
        self.performed.set()
        return options


@pytest.fixture
def notify() -> Iterator[Notify]:
    action = Notify()
    register_action(action, replace=True)
    yield action
    unregister_action("notify")


def test_embedded_server_performs_runs(tmp_path: Path, notify: Notify) -> None:
    with Workbench(tmp_path / "home") as bench:
        webhook = bench.webhooks.create("Example", "user/webhook/test")
        make_task(bench, "{% action 'notify', event.data %}", "user/webhook/test")
        url = bench.serve(reuse=False)
        with httpx.Client(trust_env=False, timeout=30) as client:
            response = client.post(f"{url}/mechanic/webhooks/{webhook.id}", json={"a": 1})
        assert response.status_code == 204
        assert notify.performed.wait(timeout=30)
        assert notify.options == [{"a": 1}]


def test_standalone_serve_runs_the_worker_and_stops_it(tmp_path: Path, notify: Notify) -> None:
    bench = Workbench(tmp_path / "home")
    webhook = bench.webhooks.create("Example", "user/webhook/test")
    make_task(bench, "{% action 'notify', event.data %}{% action 'echo', 2 %}", "user/webhook/test")

    async def scenario() -> None:
        serving = asyncio.ensure_future(serve(bench, "127.0.0.1", 0))
        while bench.server_url is None:
            await asyncio.sleep(0)
        async with httpx.AsyncClient(trust_env=False, timeout=30) as client:
            response = await client.post(f"{bench.server_url}/mechanic/webhooks/{webhook.id}", json={"b": 2})
        assert response.status_code == 204
        await asyncio.get_running_loop().run_in_executor(None, notify.performed.wait, 30)
        serving.cancel()  # like SIGTERM: the server stops, the worker finishes its runs, the store closes
        await asyncio.gather(serving, return_exceptions=True)

    asyncio.run(scenario())
    assert notify.options == [{"b": 2}]
    with Workbench(tmp_path / "home") as reopened:
        runs = reopened.runs.list(limit=None)
        assert {run.status for run in runs if run.kind.value != "action" or run.details["type"] == "notify"} \
            == {RunStatus.SUCCEEDED}
