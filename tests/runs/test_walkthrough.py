"""The walkthrough end to end over real HTTP: webhook → 204 → worker → task run → echo result."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from runtools import action_runs
from runtools import make_task
from runtools import only_task_run

from mechanic_kernel import Workbench
from mechanic_kernel.models.runs import RunStatus
from mechanic_kernel.server.app import start_server

LIBRARY = Path(__file__).resolve().parents[2].parent / "shared/conformance/mechanic-tasks/tasks"
CONTACT_FORM = LIBRARY / "tutorial-trigger-a-task-from-a-contact-form-using-webhooks.json"


@pytest.fixture
def http_url(bench: Workbench) -> Iterator[str]:
    """The real server (``start_server``) on 127.0.0.1 on its own loop thread; no worker runs there."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start():
        return start_server(bench, "127.0.0.1", 0)

    server, url = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=30)
    yield url

    async def stop() -> None:
        server.stop()
        await server.close_all_connections()

    asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=30)
    loop.close()


def test_walkthrough_webhook_to_echo_result(bench: Workbench, http_url: str) -> None:
    webhook = bench.webhooks.create("Example", "user/webhook/test")
    task = make_task(bench, '{% action "echo", event.data %}', "user/webhook/test", name="Echo")
    posted = {"name": "Ann", "items": [1, 2, 3], "nested": {"ok": True}}
    with httpx.Client(trust_env=False, timeout=30) as client:
        response = client.post(f"{http_url}/mechanic/webhooks/{webhook.id}", json=posted)
    assert response.status_code == 204 and response.content == b""
    event = bench.event(response.headers["x-request-id"])
    assert bench.runs.event_run(event.id).status is RunStatus.DUE  # stored with the event, not yet performed
    performed = bench.worker.run_until_idle()
    assert [run.kind.value for run in performed] == ["event", "task", "action"]
    task_run = only_task_run(bench, event.id)
    assert task_run.status is RunStatus.SUCCEEDED and task_run.task_id == task.id
    (action,) = action_runs(bench, task_run)
    assert action.status is RunStatus.SUCCEEDED and action.result == posted


def test_library_contact_form_task_over_http(bench: Workbench, http_url: str) -> None:
    (imported,) = bench.tasks.import_json(json.loads(CONTACT_FORM.read_text(encoding="utf-8")))
    task = bench.tasks.update(imported.task.id, options={
        **imported.task.options, "mechanic_webhook_url__required": f"{http_url}/mechanic/webhooks/x"},
        check_preview=False)
    if not task.enabled:
        task = bench.tasks.enable(task.id)
    webhook = bench.webhooks.create("Contact form", "user/webhook/form")
    form = {"form_type": "contact", "utf8": "✓", "contact[Name]": "Ann Example",
            "contact[Email]": "ann@example.com", "contact[Phone Number]": "555-0100",
            "contact[Message]": "Hello, there"}
    with httpx.Client(trust_env=False, timeout=30) as client:
        response = client.post(f"{http_url}/mechanic/webhooks/{webhook.id}", data=form)
    assert response.status_code == 204
    event = bench.event(response.headers["x-request-id"])
    assert event.data["contact"]["Email"] == "ann@example.com"
    bench.worker.run_until_idle()
    task_run = only_task_run(bench, event.id)
    assert task_run.status is RunStatus.SUCCEEDED, task_run.error
    (action,) = action_runs(bench, task_run)
    assert action.details["type"] == "email"
    options = action.details["options"]
    assert options["to"] == "crm_imports@example.com"
    (attachment,) = options["attachments"].values()
    lines = attachment.strip().splitlines()
    assert lines[0] == "Name,Email,Phone Number,Message"
    assert lines[1] == "Ann Example,ann@example.com,555-0100,\"Hello, there\""
    assert action.status is RunStatus.SUCCEEDED, action.error
