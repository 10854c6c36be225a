"""Preview (spec §1.9, statements 134-136): events per topic, their sources, and nothing performed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from mechanic_kernel import Workbench
from mechanic_kernel.models.events import Event
from mechanic_kernel.tasks import Task

PREVIEW_NOW = dt.datetime(2030, 5, 6, 7, 8, tzinfo=dt.UTC)


def _store_event(
    bench: Workbench, event_id: str, topic: str, data: Any, parent_id: str | None = None
) -> None:
    bench.store.events.add(
        Event(
            id=event_id,
            topic=topic,
            data=data,
            source="user",
            created_at="2026-02-01T00:00:00.000Z",
            parent_id=parent_id,
        )
    ).result()


def test_one_preview_per_subscribed_topic_with_event_preview_true(bench: Workbench) -> None:
    # Statement 134.
    task = Task(
        name="t",
        subscriptions_template="user/a/b\nuser/c/d+1.day\nuser/a/b+2.hours",
        script='{% log event.preview %}{% action "echo", topic: event.topic %}',
    )
    result = bench.tasks.preview(task)
    assert result["subscriptions"] == ["user/a/b", "user/c/d+1.day", "user/a/b+2.hours"]
    assert [entry["topic"] for entry in result["previews"]] == ["user/a/b", "user/c/d"]
    for entry in result["previews"]:
        assert entry["event"]["preview"] is True
        assert entry["logs"] == [True]
        assert entry["actions"] == [{"type": "echo", "options": {"topic": entry["topic"]}, "meta": None}]
    assert result["ok"] is True


def test_nothing_is_performed_or_stored(bench: Workbench) -> None:
    task = Task(
        name="t",
        subscriptions_template="user/a/b",
        script='{% action "event", topic: "user/x/y", data: 1 %}{% action "cache", "set", "k", 1 %}',
    )
    bench.tasks.preview(task)
    assert bench.list_events() == []
    assert bench.store.runs.count() == 0
    assert bench.store.tasks.list() == []


def test_definition_wins_over_latest_event_which_wins_over_sample(bench: Workbench) -> None:
    # Statement 135.
    script = "{% log order.name %}"
    definition = {
        "description": "a defined order",
        "event_attributes": {"topic": "shopify/orders/create", "data": {"name": "#defined"}},
    }
    task = Task(
        name="t",
        subscriptions_template="shopify/orders/create",
        script=script,
        preview_event_definitions=[definition],
    )
    _store_event(bench, "old", "shopify/orders/create", {"name": "#older"})
    _store_event(bench, "new", "shopify/orders/create", {"name": "#latest"})

    entry = bench.tasks.preview(task)["previews"][0]
    assert (entry["source"], entry["description"], entry["logs"]) == (
        "definition",
        "a defined order",
        ["#defined"],
    )

    task.preview_event_definitions = []
    entry = bench.tasks.preview(task)["previews"][0]
    assert (entry["source"], entry["logs"]) == ("event", ["#latest"])
    assert entry["event"]["id"] == "new" and entry["event"]["preview"] is True

    other = Task(name="t", subscriptions_template="shopify/orders/paid", script=script)
    entry = bench.tasks.preview(other)["previews"][0]
    assert (entry["source"], entry["logs"]) == ("sample", ["#1001"])


def test_every_definition_of_a_topic_is_previewed(bench: Workbench) -> None:
    definitions = [
        {"description": f"d{i}", "event_attributes": {"topic": "user/a/b", "data": i}} for i in range(3)
    ]
    task = Task(
        name="t",
        subscriptions_template="user/a/b",
        script="{% log event.data %}",
        preview_event_definitions=definitions,
    )
    assert [entry["logs"] for entry in bench.tasks.preview(task)["previews"]] == [[0], [1], [2]]


def test_stored_event_keeps_its_parents(bench: Workbench) -> None:
    _store_event(bench, "parent", "user/p/q", {"n": 1})
    _store_event(bench, "child", "user/a/b", None, parent_id="parent")
    task = Task(name="t", subscriptions_template="user/a/b", script="{% log event.parent.data.n %}")
    assert bench.tasks.preview(task)["previews"][0]["logs"] == [1]


def test_user_topic_without_events_previews_with_null_data(bench: Workbench) -> None:
    task = Task(name="t", subscriptions_template="user/a/b", script="{% log event.data %}")
    entry = bench.tasks.preview(task)["previews"][0]
    assert (entry["source"], entry["event"]["data"], entry["logs"]) == ("none", None, [None])


def test_cache_is_empty_and_shopify_returns_nil(bench: Workbench) -> None:
    script = (
        '{% log cache.k %}{% assign r = "query { shop { name } }" | shopify %}{% log r %}'
        '{% if r == nil %}{% log "stub" %}{% endif %}'
    )
    entry = bench.tasks.preview(Task(name="t", subscriptions_template="user/a/b", script=script))["previews"][
        0
    ]
    assert entry["logs"] == [None, None, "stub"]
    assert entry["shopify_queries"] == 1


def test_frozen_now(bench: Workbench) -> None:
    task = Task(
        name="t", subscriptions_template="user/a/b", script='{% log "now" | date: "%Y-%m-%d %H:%M" %}'
    )
    entry = bench.tasks.preview(task, now=PREVIEW_NOW)["previews"][0]
    assert entry["logs"] == ["2030-05-06 07:08"]
    assert entry["event"]["created_at"] == "2030-05-06T07:08:00.000Z"
    # The workbench clock is the default.
    assert bench.tasks.preview(task)["previews"][0]["logs"] == ["2026-03-01 12:00"]


def test_preview_is_reproducible(bench: Workbench) -> None:
    task = Task(name="t", subscriptions_template="shopify/orders/create", script="{% log event.id %}")
    assert bench.tasks.preview(task, now=PREVIEW_NOW) == bench.tasks.preview(task, now=PREVIEW_NOW)


def test_topic_and_given_event(bench: Workbench) -> None:
    task = Task(name="t", subscriptions_template="user/a/b\nuser/c/d", script="{% log event.topic %}")
    assert [e["topic"] for e in bench.tasks.preview(task, topic="user/c/d")["previews"]] == ["user/c/d"]
    entry = bench.tasks.preview(task, event={"topic": "user/x/y", "data": {"k": 1}})["previews"][0]
    assert (entry["source"], entry["topic"], entry["event"]["data"]) == ("given", "user/x/y", {"k": 1})


def test_failure_and_error_objects_are_reported(bench: Workbench) -> None:
    # Statement 136: the error value is shown.
    task = Task(name="t", subscriptions_template="user/a/b", script='{% error "bad option" %}')
    entry = bench.tasks.preview(task)["previews"][0]
    assert entry["errors"] == ["bad option"] and "failure" not in entry
    task.script = "{% log 1 %}\n{{ 1 | nope }}"
    result = bench.tasks.preview(task)
    assert result["ok"] is False
    assert result["previews"][0]["failure"]["line"] == 2


def test_subject_variable_from_sample_data(bench: Workbench) -> None:
    task = Task(
        name="t",
        subscriptions_template="shopify/customers/create\nmechanic/user/orders",
        script="{% log customer.email %}{% log orders.size %}",
    )
    logs = [entry["logs"] for entry in bench.tasks.preview(task)["previews"]]
    assert logs == [["customer@example.com", None], [None, 1]]
