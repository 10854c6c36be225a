"""The task editor: snippets, live preview, summaries, topic warning, options form, save, import, export."""

from __future__ import annotations

import json
import time

import pytest

from mechanic_kernel import Workbench
from widgets import TaskEditor
from widgets.task_editor import summary


@pytest.fixture
def editor(workbench: Workbench) -> TaskEditor:
    """An editor that previews at once (no debounce), with the Example webhook user/webhook/test."""
    workbench.webhooks.create("Example", "user/webhook/test")
    return TaskEditor(workbench, debounce=0)


def test_echo_snippet_preview_shows_the_echo_action(editor: TaskEditor) -> None:
    assert "mk-task-editor" in editor.widget._dom_classes
    assert "mk-task-preview" in editor.preview_html._dom_classes
    editor.subscriptions.value = "user/webhook/test"
    editor.preview_data.value = '{"hello": "world"}'
    [echo] = [b for b in editor.widget.children[2].children[5].children if b.description == "Echo"]
    echo.click()
    assert editor.code.value == '{% action "echo", event.data %}\n'
    [entry] = editor.result["previews"]
    assert entry["actions"] == [{"type": "echo", "options": {"hello": "world"}, "meta": None}]
    assert (
        "Action <b>echo</b>" in editor.preview_html.value and "&quot;hello&quot;" in editor.preview_html.value
    )


def test_every_snippet_renders(editor: TaskEditor) -> None:
    editor.subscriptions.value = "user/webhook/test"
    for name in ("Log", "HTTP", "Event", "Cache"):
        editor.insert_snippet(name)
    entry = editor.result["previews"][0]
    assert [a["type"] for a in entry["actions"]] == ["http", "event", "cache"]
    assert entry["logs"] == [{"topic": "user/webhook/test", "data": None}]


def test_summary_per_subscription_with_offsets(editor: TaskEditor) -> None:
    editor.subscriptions.value = "user/webhook/test\nuser/webhook/test+1.hour\nshopify/orders/paid+2.days"
    assert editor.summaries.value.count("<div>") == 3
    assert "When user/webhook/test is triggered, this task runs." in editor.summaries.value
    assert "When user/webhook/test is triggered, this task runs 1 hour later." in editor.summaries.value
    assert (
        summary("shopify/orders/paid+2.days")
        == "When shopify/orders/paid is triggered, this task runs 2 days later."
    )
    assert summary("a/b/c+0.days") == "When a/b/c is triggered, this task runs."


def test_a_user_topic_typo_suggests_the_webhook_topic(editor: TaskEditor) -> None:
    editor.subscriptions.value = "user/webhook/text"
    assert "No webhook has the topic user/webhook/text" in editor.warnings.value
    assert "Did you mean user/webhook/test?" in editor.warnings.value
    editor.subscriptions.value = "user/webhook/test\nshopify/orders/create"
    assert editor.warnings.value == ""


def test_failures_and_error_objects_show_line_numbers(editor: TaskEditor) -> None:
    editor.subscriptions.value = "user/webhook/test"
    editor.code.value = "line one\n\n{{ 1 | no_such_filter }}\n"
    html = editor.preview_html.value
    assert "line 3: unknown filter" in html and "no_such_filter" in html
    editor.code.value = '{% assign x = 1 %}\n{% error "bad input" %}\n'
    html = editor.preview_html.value
    assert "Error (error tags on line 2)" in html and "bad input" in html


def test_options_form_is_typed_and_feeds_the_preview(editor: TaskEditor) -> None:
    editor.subscriptions.value = "user/webhook/test"
    editor.code.value = (
        '{% action "echo", greeting: options.greeting__required, count: options.count__number, '
        "loud: options.loud__boolean, mode: options.mode__select_o1_fast_o2_slow, "
        "tags: options.tags__array, level: options.level__range_min1_max5 %}"
    )
    inputs = editor.options.inputs
    assert [type(inputs[key]).__name__ for key in inputs] == [
        "Text",
        "Text",
        "Checkbox",
        "Dropdown",
        "Textarea",
        "IntSlider",
    ]
    assert inputs["greeting__required"].description == "Greeting *"
    editor.options.set("greeting__required", "hi")
    editor.options.set("count__number", "3")
    editor.options.set("loud__boolean", True)
    editor.options.set("mode__select_o1_fast_o2_slow", "slow")
    editor.options.set("tags__array", "a\nb\n")
    editor.options.set("level__range_min1_max5", 4)
    options = editor.result["previews"][0]["actions"][0]["options"]
    assert options == {
        "greeting": "hi",
        "count": 3,
        "loud": True,
        "mode": "slow",
        "tags": ["a", "b"],
        "level": 4,
    }
    editor.code.value += "{{ options.greeting__required }}"  # same keys: the form (and its values) stay
    assert editor.options.inputs["greeting__required"].value == "hi"


def test_save_stores_the_task_and_refuses_invalid_options(workbench: Workbench, editor: TaskEditor) -> None:
    editor.name.value = "Echo"
    editor.subscriptions.value = "user/webhook/test"
    editor.code.value = '{% action "echo", data: event.data, note: options.note__required %}'
    assert editor.save() is None
    assert "is required" in editor.status.value and workbench.tasks.list() == []

    editor.options.set("note__required", "x")
    editor.save_button.click()
    [task] = workbench.tasks.list()
    assert (task.name, task.subscriptions, task.options) == (
        "Echo",
        ["user/webhook/test"],
        {"note__required": "x"},
    )
    assert editor.task_id == task.id and editor.tasks.value == task.id
    editor.code.value = '{% action "echo", data: event.data, note: options.note__required %}{% log "v2" %}'
    assert editor.save().id == task.id
    assert "v2" in workbench.tasks.get(task.id).script

    assert editor.disable().enabled is False and workbench.tasks.get(task.id).enabled is False
    assert editor.enable().enabled is True


def test_import_opens_the_task_and_export_shows_its_json(workbench: Workbench, editor: TaskEditor) -> None:
    data = {
        "name": "Imported",
        "script": '{% log "x" %}',
        "subscriptions": ["user/webhook/test"],
        "subscriptions_template": "user/webhook/test",
        "options": {},
    }
    editor.import_text.value = json.dumps(data)
    editor.import_button.click()
    [task] = workbench.tasks.list()
    assert (
        editor.task_id == task.id
        and editor.name.value == "Imported"
        and "Imported 1 task" in editor.status.value
    )
    editor.export_button.click()
    exported = json.loads(editor.export_text.value)
    assert exported["name"] == "Imported" and exported["script"] == '{% log "x" %}'
    assert editor.import_json("{not json") == [] and "does not parse" in editor.status.value


def test_opening_a_stored_task_and_starting_a_new_one(workbench: Workbench) -> None:
    task = workbench.tasks.create(
        "Stored", script="{% log options.msg %}", subscriptions="user/webhook/test", options={"msg": "hello"}
    )
    editor = TaskEditor(workbench, task.id, debounce=0)
    assert (editor.name.value, editor.subscriptions.value) == ("Stored", "user/webhook/test")
    assert editor.options.inputs["msg"].value == "hello"
    assert editor.result["previews"][0]["logs"] == ["hello"]
    editor.tasks.value = ""
    assert editor.task_id is None and editor.code.value == ""
    editor.tasks.value = task.id
    assert editor.task_id == task.id


def test_debounced_preview_runs_on_a_timer_thread(workbench: Workbench) -> None:
    editor = TaskEditor(workbench, debounce=0.05)
    editor.subscriptions.value = "user/webhook/test"
    editor.code.value = '{% log "debounced" %}'
    deadline = time.monotonic() + 10
    while "debounced" not in editor.preview_html.value and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "debounced" in editor.preview_html.value


def test_every_option_type_gets_its_input(editor: TaskEditor) -> None:
    editor.subscriptions.value = "user/webhook/test"
    keys = [
        "body__code_multiline",
        "day__date",
        "tint__color",
        "pick__multiselect_o1_red_o2_green",
        "how__choice_o1_fast_o2_slow",
        "prices__keyval_number",
        "ids__array_number",
        "when__datetime",
    ]
    editor.code.value = (
        '{% action "echo", ' + ", ".join(f"{k.split('__')[0]}: options.{k}" for k in keys) + " %}"
    )
    inputs = editor.options.inputs
    assert [type(inputs[key]).__name__ for key in keys] == [
        "Textarea",
        "DatePicker",
        "ColorPicker",
        "SelectMultiple",
        "RadioButtons",
        "Textarea",
        "Textarea",
        "Text",
    ]
    assert "mk-code" in inputs["body__code_multiline"]._dom_classes
    import datetime as dt

    editor.options.set("body__code_multiline", "line 1\nline 2")
    editor.options.set("day__date", dt.date(2031, 4, 22))
    editor.options.set("tint__color", "#ff0000")
    editor.options.set("pick__multiselect_o1_red_o2_green", ("green",))
    editor.options.set("how__choice_o1_fast_o2_slow", "fast")
    editor.options.set("prices__keyval_number", "a: 1\nb: 2.5")
    editor.options.set("ids__array_number", "1\n2")
    editor.options.set("when__datetime", "2031-04-22T15:13")
    options = editor.result["previews"][0]["actions"][0]["options"]
    assert options == {
        "body": "line 1\nline 2",
        "day": "2031-04-22",
        "tint": "#ff0000",
        "pick": ["green"],
        "how": "fast",
        "prices": {"a": 1, "b": 2.5},
        "ids": [1, 2],
        "when": "2031-04-22T15:13",
    }


def test_loading_a_task_fills_the_typed_inputs(workbench: Workbench) -> None:
    import datetime as dt

    task = workbench.tasks.create(
        "Typed",
        script="{% log a: options.day__date, b: options.tags__array, c: options.on__boolean, "
        "d: options.mode__select_o1_x_o2_y %}",
        subscriptions="user/webhook/test",
        options={
            "day__date": "2031-01-02",
            "tags__array": ["p", "q"],
            "on__boolean": True,
            "mode__select_o1_x_o2_y": "y",
        },
    )
    editor = TaskEditor(workbench, task.id, debounce=0)
    inputs = editor.options.inputs
    assert inputs["day__date"].value == dt.date(2031, 1, 2)
    assert inputs["tags__array"].value == "p\nq"
    assert inputs["on__boolean"].value is True and inputs["mode__select_o1_x_o2_y"].value == "y"
    assert editor.result["previews"][0]["logs"] == [{"a": "2031-01-02", "b": ["p", "q"], "c": True, "d": "y"}]
