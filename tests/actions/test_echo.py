"""The echo action (spec §4.1; statements 57, 58)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from runbench import actions_of
from runbench import fire
from runbench import make_task
from runbench import open_bench

from mechanic_kernel.actions.base import ActionError
from mechanic_kernel.actions.echo import ACTION
from mechanic_kernel.actions.registry import action_type


@pytest.fixture
def bench(tmp_path, store_url) -> Iterator:
    workbench = open_bench(tmp_path, store_url)
    yield workbench
    workbench.close()


@pytest.mark.parametrize("options", [{"foo": "bar"}, ["foo", "bar", "baz"], "foo", 1, None, True,
                                     {"a": [1, {}]}])
def test_result_is_the_options_as_given(options, make_context) -> None:
    ACTION.validate(options)
    assert asyncio.run(ACTION.perform(options, make_context())) == options


def test_error_option_fails_with_its_message(make_context) -> None:
    with pytest.raises(ActionError, match="^boom$"):
        asyncio.run(ACTION.perform({"__error": "boom", "x": 1}, make_context()))


def test_echo_is_registered() -> None:
    assert action_type("echo") is ACTION


@pytest.mark.parametrize(("tag", "expect"), [
    ('{% action "echo", foo: "bar", baz: "qux" %}', {"foo": "bar", "baz": "qux"}),
    ('{% action "echo", "foo", "bar", "baz" %}', ["foo", "bar", "baz"]),
    ('{% action "echo", "foo" %}', "foo"),
    ('{% action "echo" %}{"a": 1}{% endaction %}', {"a": 1}),
])
def test_57_tag_forms_through_the_pipeline(bench, tag, expect) -> None:
    make_task(bench, tag)
    (action,) = actions_of(bench, fire(bench).id)
    assert action.status.value == "succeeded" and action.result == expect


def test_58_error_fails_the_action_run_only(bench) -> None:
    make_task(bench, '{% action "echo", __error: "boom" %}')
    event = fire(bench)
    (action,) = actions_of(bench, event.id)
    assert action.status.value == "failed" and action.error == "boom"
    assert bench.runs.task_runs(event.id)[0].status.value == "succeeded"
