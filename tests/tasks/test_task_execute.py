"""render_task: the variables a task sees (spec §5.5) and Liquid in option values (§1.6, statement 132)."""

from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass
from typing import Any

import pytest

from mechanic_kernel.models.events import Event
from mechanic_kernel.liquid.runtime import Runtime
from mechanic_kernel.tasks import Task
from mechanic_kernel.tasks import event_object
from mechanic_kernel.tasks import render_task
from mechanic_kernel.tasks.execute import singular
from mechanic_kernel.tasks.execute import subject_variables

SHOP = {"name": "Acme", "currency": "USD"}
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def _event(topic: str, data: Any = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": "e1",
        "topic": topic,
        "data": data,
        "source": "user",
        "created_at": "2026-03-01T12:00:00.000Z",
        "webhook_request_id": None,
        "parent": None,
        **extra,
    }


def _render(
    script: str, topic: str = "user/a/b", data: Any = None, options: dict | None = None, **kwargs: Any
) -> Any:
    task = Task(
        name="t", script=script, options=options or {}, id="task-1", created_at="2026-01-01T00:00:00.000Z"
    )
    return render_task(
        task,
        _event(topic, data),
        shop=SHOP,
        cache=kwargs.pop("cache", None),
        runtime=Runtime(now=NOW, preview=False),
        **kwargs,
    )


@dataclass
class SubjectCase:
    """A topic and the subject variables its event gets."""

    description: str
    topic: str
    expect: list[str]


SUBJECT_CASES = [
    SubjectCase("shopify orders", "shopify/orders/create", ["order"]),
    SubjectCase("shopify customers", "shopify/customers/create", ["customer"]),
    SubjectCase("shopify products", "shopify/products/update", ["product"]),
    SubjectCase("shopify draft orders", "shopify/draft_orders/create", ["draft_order"]),
    SubjectCase("shopify inventory levels", "shopify/inventory_levels/update", ["inventory_level"]),
    SubjectCase("shopify singular subject", "shopify/customer/tags_added", ["customer"]),
    SubjectCase("shopify companies", "shopify/companies/create", ["company"]),
    SubjectCase("shopify customer addresses", "shopify/customer_addresses/create", ["customer_address"]),
    SubjectCase("admin link singular", "mechanic/user/order", ["order"]),
    SubjectCase("admin link plural", "mechanic/user/orders", ["orders"]),
    SubjectCase("admin link draft orders", "mechanic/user/draft_orders", ["draft_orders"]),
    SubjectCase("user form", "mechanic/user/form", ["input"]),
    SubjectCase("trigger has none", "mechanic/user/trigger", []),
    SubjectCase("email", "mechanic/emails/received", ["email"]),
    SubjectCase("action", "mechanic/actions/perform", ["action"]),
    SubjectCase("bulk operation", "mechanic/shopify/bulk_operation", ["bulkOperation"]),
    SubjectCase("scheduler has none", "mechanic/scheduler/daily", []),
    SubjectCase("user topics have none", "user/orders/create", []),
    SubjectCase("third-party topics have none", "judgeme/review/created", []),
]


@pytest.mark.parametrize("case", SUBJECT_CASES, ids=operator.attrgetter("description"))
def test_subject_variables(case: SubjectCase) -> None:
    assert list(subject_variables(case.topic, {"x": 1})) == case.expect


@pytest.mark.parametrize(
    ("word", "expect"),
    [
        ("orders", "order"),
        ("inventory_items", "inventory_item"),
        ("companies", "company"),
        ("addresses", "address"),
        ("customer", "customer"),
        ("fulfillment_events", "fulfillment_event"),
    ],
)
def test_singular(word: str, expect: str) -> None:
    assert singular(word) == expect


def test_subject_variable_holds_the_event_data() -> None:
    result = _render("{% log order.name %}", "shopify/orders/create", {"name": "#1001"})
    assert result.logs == ["#1001"]


def test_action_variable_for_actions_perform() -> None:
    result = _render("{% log action.type %}", "mechanic/actions/perform", {"type": "echo"})
    assert result.logs == ["echo"]


def test_task_variable_has_id_and_created_at_only() -> None:
    result = _render("{% log task %}")
    assert result.logs == [{"id": "task-1", "created_at": "2026-01-01T00:00:00.000Z"}]


def test_shop_event_cache_globals_and_secrets() -> None:
    script = (
        "{% log shop.name %}{% log event.topic %}{% log cache.k %}{% log globals.missing %}"
        "{% log secrets.missing %}"
    )
    result = _render(script, cache={"k": 42})
    assert result.logs == ["Acme", "user/a/b", 42, None, None]


def test_extra_variables_override() -> None:
    result = _render("{% log input.name %}", extra={"input": {"name": "x"}})
    assert result.logs == ["x"]


def test_option_value_liquid_sees_shop() -> None:
    # Statement 132, first half.
    result = _render("{% log options.greeting %}", options={"greeting": "Hi {{ shop.name }}"})
    assert result.logs == ["Hi Acme"]


def test_option_value_liquid_does_not_see_options() -> None:
    # Statement 132, second half.
    result = _render("{% log options.a %}", options={"a": "[{{ options.b }}]", "b": "B"})
    assert result.logs == ["[]"]


def test_option_value_liquid_sees_event_subject_and_frozen_now() -> None:
    options = {
        "s": '{{ order.name }} {{ "now" | date: "%Y-%m-%d" }}',
        "k__keyval": {"x": "{{ order.name }}"},
        "a__array": ["{{ order.name }}", "plain"],
    }
    result = _render("{% log options %}", "shopify/orders/create", {"name": "#7"}, options=options)
    assert result.logs == [{"s": "#7 2026-03-01", "k__keyval": {"x": "#7"}, "a__array": ["#7", "plain"]}]


def test_option_values_are_typed() -> None:
    result = _render("{% if options.n__number > 5 %}{% log 'big' %}{% endif %}", options={"n__number": "10"})
    assert result.logs == ["big"]


def test_option_value_error_is_a_failure_naming_the_option() -> None:
    result = _render("{% log 1 %}", options={"bad": "{{ 1 | no_such_filter }}"})
    assert result.failure is not None and "option bad" in result.failure.message
    assert result.logs == []


def test_script_error_is_reported_with_its_line() -> None:
    result = _render("{% log 1 %}\n{% if %}")
    assert result.failure is not None and result.failure.line == 2


def _stored(event_id: str, parent_id: str | None) -> Event:
    return Event(
        id=event_id,
        topic="user/a/b",
        data={"n": event_id},
        source="user",
        created_at="2026-03-01T12:00:00.000Z",
        parent_id=parent_id,
    )


def test_event_object_nests_five_parent_generations_at_most() -> None:
    events = {f"e{i}": _stored(f"e{i}", f"e{i + 1}") for i in range(8)}
    obj = event_object(events["e0"], parent_of=events.get)
    depth = 0
    while obj["parent"] is not None:
        obj = obj["parent"]
        depth += 1
    assert depth == 5
    assert "preview" not in obj


def test_event_object_preview_flag() -> None:
    obj = event_object(_stored("e0", None), preview=True)
    assert obj["preview"] is True and obj["parent"] is None
    assert set(obj) == {
        "id",
        "topic",
        "data",
        "source",
        "created_at",
        "webhook_request_id",
        "parent",
        "preview",
    }
