"""Recent activity: the table after the worker ran, filters (incl. request id), event view, retry, replay."""

from __future__ import annotations

import time

import httpx
import pytest

from mechanic_kernel import Webhook
from mechanic_kernel import Workbench
from widgets import RecentActivity


def post(http: httpx.Client, url: str, data: dict) -> str:
    """POST JSON to a webhook; return the request id."""
    answer = http.post(url, json=data)
    assert answer.status_code == 204
    return answer.headers["x-request-id"]


@pytest.fixture
def echo_task(served: Workbench) -> str:
    """A task echoing the data of user/webhook/test events."""
    return served.tasks.create(
        "Echo", script='{% action "echo", event.data %}{% log "seen" %}', subscriptions="user/webhook/test"
    ).id


def test_lists_the_event_and_its_task_run_after_the_worker_ran(
    served: Workbench, webhook: Webhook, echo_task: str, http: httpx.Client
) -> None:
    request_id = post(http, served.webhooks.url(webhook), {"hello": "world"})
    activity = RecentActivity(served)
    assert "mk-activity" in activity.widget._dom_classes
    assert request_id in activity.table.value
    assert activity.rows[0]["status"] == "pending"

    served.worker.run_until_idle()
    activity.refresh_button.click()
    [row] = activity.rows
    assert row["status"] == "succeeded" and row["event"].webhook_request_id == request_id
    assert "Echo" in activity.table.value and "succeeded" in activity.table.value
    assert "user/webhook/test" in activity.chart.value and "<svg" in activity.chart.value

    activity.event.value = row["event"].id  # choosing in the dropdown opens the event
    detail = activity.detail.value
    assert "Raw request" in detail and request_id in detail and "&quot;hello&quot;" in detail
    assert "Task run: Echo" in detail and "seen" in detail and "Action <b>echo</b>" in detail


def test_filters_by_request_id_topic_and_status(
    served: Workbench, webhook: Webhook, echo_task: str, http: httpx.Client
) -> None:
    first = post(http, served.webhooks.url(webhook), {"n": 1})
    second = post(http, served.webhooks.url(webhook), {"n": 2})
    served.emit_event("user/other/thing", {"n": 3})
    served.worker.run_until_idle()
    activity = RecentActivity(served)
    assert len(activity.rows) == 3

    activity.search.value = second
    assert [row["event"].webhook_request_id for row in activity.rows] == [second]
    assert first not in activity.table.value
    activity.search.value = ""
    activity.topic.value = "user/other/thing"
    assert [row["event"].topic for row in activity.rows] == ["user/other/thing"]
    activity.topic.value = ""
    activity.status_filter.value = "failed"
    assert activity.rows == [] and "No events match" in activity.table.value
    activity.status_filter.value = "succeeded"
    assert len(activity.rows) == 3


def test_retry_a_failed_action_run(served: Workbench, webhook: Webhook, http: httpx.Client) -> None:
    served.tasks.create(
        "Flaky", script='{% action "echo", __error: "boom" %}', subscriptions="user/webhook/test"
    )
    request_id = post(http, served.webhooks.url(webhook), {})
    served.worker.run_until_idle()
    activity = RecentActivity(served, limit=10)
    activity.status_filter.value = "failed"
    event_id = served.event(request_id).id
    assert [row["event"].id for row in activity.rows] == [event_id]

    record = activity.select(request_id)
    assert record is not None and "boom" in activity.detail.value
    [retry] = [b for b in activity.buttons.children if "mk-activity-retry" in b._dom_classes]
    assert retry.description.startswith("Retry action run")
    action_run_id = record["task_runs"][0]["action_runs"][0]["id"]
    retry.click()
    assert served.runs.get(action_run_id).status.value == "due"
    assert "queued again" in activity.status.value
    served.worker.run_until_idle()
    run = served.runs.get(action_run_id)
    assert run.status.value == "failed" and run.attempts == 2
    assert activity.retry(record["task_runs"][0]["id"]) is False  # a task run with actions: not retryable
    assert "cannot be retried" in activity.status.value


def test_replay_reposts_the_raw_request_to_the_webhook(
    served: Workbench, webhook: Webhook, echo_task: str, http: httpx.Client
) -> None:
    request_id = post(http, served.webhooks.url(webhook), {"again": True})
    served.worker.run_until_idle()
    activity = RecentActivity(served)
    activity.select(request_id)
    [replay] = [b for b in activity.buttons.children if "mk-activity-replay" in b._dom_classes]
    replay.click()
    events = served.list_events(topic="user/webhook/test")
    assert len(events) == 2
    copy, original = events
    assert copy.data == original.data == {"again": True}
    assert copy.webhook_request_id != original.webhook_request_id
    assert activity.selected is not None and activity.selected["id"] == copy.id


def test_replay_emits_a_user_event_again(served: Workbench) -> None:
    event = served.emit_event("user/fan/out", [1, 2])
    activity = RecentActivity(served)
    new_id = activity.replay(event.id)
    assert new_id is not None and served.event(new_id).data == [1, 2] and new_id != event.id
    assert activity.replay("no-such-event") is None and "no event" in activity.status.value


def test_auto_refresh_updates_the_table_from_a_thread(
    served: Workbench, webhook: Webhook, http: httpx.Client
) -> None:
    activity = RecentActivity(served, auto_refresh=True, interval=0.05)
    try:
        assert activity.auto.value is True
        request_id = post(http, served.webhooks.url(webhook), {})
        deadline = time.monotonic() + 10
        while request_id not in activity.table.value and time.monotonic() < deadline:
            time.sleep(0.05)
        assert request_id in activity.table.value
    finally:
        activity.stop()
    assert activity.auto.value is False and activity._thread is None


def test_retry_a_failed_task_run(served: Workbench, webhook: Webhook, http: httpx.Client) -> None:
    task = served.tasks.create(
        "Picky", script='{% error "not today" %}', subscriptions="user/webhook/test", check_preview=False
    )
    request_id = post(http, served.webhooks.url(webhook), {})
    served.worker.run_until_idle()
    activity = RecentActivity(served)
    record = activity.select(request_id)
    assert record is not None and record["task_runs"][0]["status"] == "failed"
    assert (
        "not today" in activity.detail.value
        and 'Picky: <span class="mk-status-failed"' in activity.table.value
    )
    served.tasks.update(task.id, script='{% log "fixed" %}')
    [retry] = [b for b in activity.buttons.children if "mk-activity-retry" in b._dom_classes]
    assert retry.description.startswith("Retry task run")
    retry.click()
    served.worker.run_until_idle()
    record = activity.select(request_id)
    assert record["task_runs"][0]["status"] == "succeeded" and record["task_runs"][0]["logs"] == ["fixed"]
