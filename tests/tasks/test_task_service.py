"""The Tasks service and its store: saving rules, versions, import by name, routing by topic."""

from __future__ import annotations

import pytest
from tasktools import library_task

from mechanic_kernel import Workbench
from mechanic_kernel.errors import InvalidInput
from mechanic_kernel.errors import NotFound
from mechanic_kernel.tasks.subscriptions import Offset


def test_create_get_list(bench: Workbench) -> None:
    task = bench.tasks.create(
        "Echo", script='{% action "echo", 1 %}', subscriptions=["user/a/b", "user/c/d+2.days"]
    )
    assert task.subscriptions == ["user/a/b", "user/c/d+2.days"]
    assert task.subscriptions_template == "user/a/b\nuser/c/d+2.days"
    assert task.created_at == task.updated_at == "2026-03-01T12:00:00.000Z"
    assert bench.tasks.get(task.id) == task
    assert [t.id for t in bench.tasks.list()] == [task.id]
    with pytest.raises(NotFound):
        bench.tasks.get("nope")


def test_subscriptions_are_rendered_from_the_template_on_save(bench: Workbench) -> None:
    # Statements 42-43: evaluated on save.
    template = "{% if options.x__boolean %}user/a/b{% endif %}\nuser/c/d+{{ options.days__number }}.days"
    task = bench.tasks.create(
        "T",
        script="{% log options.x__boolean %}",
        subscriptions=template,
        options={"x__boolean": False, "days__number": 3},
    )
    assert task.subscriptions == ["user/c/d+3.days"]
    task = bench.tasks.update(task.id, options={"x__boolean": True, "days__number": 3})
    assert task.subscriptions == ["user/a/b", "user/c/d+3.days"]


def test_required_option_blocks_saving(bench: Workbench) -> None:
    # Statement 133.
    with pytest.raises(InvalidInput, match=r"option 'Tag' \(tag__required\) is required"):
        bench.tasks.create("T", script="{% log options.tag__required %}", subscriptions="user/a/b")
    assert bench.tasks.list() == []


def test_error_object_in_preview_blocks_saving(bench: Workbench) -> None:
    # Statement 136.
    script = '{% if options.n__number < 1 %}{% error "n must be positive" %}{% endif %}{% log 1 %}'
    with pytest.raises(InvalidInput, match="n must be positive"):
        bench.tasks.create("T", script=script, subscriptions="user/a/b", options={"n__number": 0})
    task = bench.tasks.create("T", script=script, subscriptions="user/a/b", options={"n__number": 2})
    with pytest.raises(InvalidInput, match="n must be positive"):
        bench.tasks.update(task.id, options={"n__number": 0})
    assert bench.tasks.get(task.id).options == {"n__number": 2}


def test_liquid_failure_blocks_saving(bench: Workbench) -> None:
    with pytest.raises(InvalidInput, match=r"failed \(line 1\)"):
        bench.tasks.create("T", script="{% if %}", subscriptions="user/a/b")


def test_invalid_subscription_blocks_saving(bench: Workbench) -> None:
    with pytest.raises(InvalidInput, match="unknown unit"):
        bench.tasks.create("T", script="{% log 1 %}", subscriptions="user/a/b+1.fortnight")


def test_disabled_task_may_be_saved_incomplete(bench: Workbench) -> None:
    task = bench.tasks.create(
        "T", script="{% log options.tag__required %}", subscriptions="user/a/b", enabled=False
    )
    with pytest.raises(InvalidInput, match="cannot enable"):
        bench.tasks.enable(task.id)
    bench.tasks.update(task.id, options={"tag__required": "vip"})
    assert bench.tasks.enable(task.id).enabled is True
    assert bench.tasks.disable(task.id).enabled is False


def test_update_keeps_versions(bench: Workbench) -> None:
    task = bench.tasks.create("T", script="{% log 1 %}", subscriptions="user/a/b")
    bench.tasks.update(task.id, script="{% log 2 %}")
    bench.tasks.update(task.id, name="T2")
    versions = bench.tasks.versions(task.id)
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[0]["task"]["script"] == "{% log 1 %}"
    assert versions[1]["task"]["script"] == "{% log 2 %}" and versions[1]["task"]["name"] == "T"
    with pytest.raises(InvalidInput, match="unknown task field"):
        bench.tasks.update(task.id, id="x")


def test_delete(bench: Workbench) -> None:
    task = bench.tasks.create("T", script="{% log 1 %}", subscriptions="user/a/b")
    bench.tasks.update(task.id, script="{% log 2 %}")
    bench.tasks.delete(task.id)
    assert bench.tasks.list() == [] and bench.tasks.subscribed("user/a/b") == []
    with pytest.raises(NotFound):
        bench.tasks.delete(task.id)


def test_subscribed_routes_enabled_tasks_once_per_distinct_line(bench: Workbench) -> None:
    first = bench.tasks.create(
        "A", script="{% log 1 %}", subscriptions=["user/a/b", "user/a/b", "user/a/b+1.day"]
    )
    bench.tasks.create("B", script="{% log 1 %}", subscriptions=["user/c/d"])
    off = bench.tasks.create("C", script="{% log 1 %}", subscriptions=["user/a/b"], enabled=False)
    pairs = bench.tasks.subscribed("user/a/b")
    assert [(task.id, sub.offset) for task, sub in pairs] == [(first.id, None), (first.id, Offset(1, "days"))]
    assert off.id not in {task.id for task, _ in pairs}


def test_import_library_task_and_export_it_back(bench: Workbench) -> None:
    # Statement 142.
    data = library_task("auto-archive-orders-after-fulfillment")
    [result] = bench.tasks.import_json(data)
    assert result.problems == [] and result.task.enabled and not result.replaced
    exported = bench.tasks.export(result.task.id, library=True)
    assert all(exported[key] == value for key, value in data.items())
    [again] = bench.tasks.import_json(bench.tasks.export(result.task.id))
    assert again.task.id != result.task.id
    assert again.task.to_export() == result.task.to_export()


def test_import_with_empty_required_options_is_stored_disabled(bench: Workbench) -> None:
    data = library_task("auto-tag-orders-by-shipping-address-country")
    [result] = bench.tasks.import_json(data)
    assert result.task.enabled is False
    assert any("is required" in problem for problem in result.problems)
    assert bench.tasks.get(result.task.id).enabled is False


def test_import_replace_updates_the_task_of_the_same_name(bench: Workbench) -> None:
    # Statement 143.
    data = library_task("auto-archive-orders-after-fulfillment")
    [first] = bench.tasks.import_json(data)
    changed = dict(data, docs="new docs")
    [second] = bench.tasks.import_json(changed, replace=True)
    assert second.replaced and second.task.id == first.task.id
    assert [t.docs for t in bench.tasks.list()] == ["new docs"]
    assert bench.tasks.versions(first.task.id)[0]["task"]["docs"] == data["docs"]
    [third] = bench.tasks.import_json(changed)
    assert not third.replaced and len(bench.tasks.list()) == 2


def test_import_bulk_and_folder(bench: Workbench, tmp_path: object) -> None:
    names = ["auto-archive-orders-after-fulfillment", "auto-tag-orders-by-shipping-address-country"]
    results = bench.tasks.import_json({"tasks": [library_task(name) for name in names]})
    assert len(results) == 2
    folder = bench.tasks.export_folder(results[0].task.id, tmp_path / "folder")  # type: ignore[operator]
    imported = bench.tasks.import_folder(folder, replace=True)
    assert imported.replaced and imported.task.id == results[0].task.id


def test_preview_stored_task_by_id(bench: Workbench) -> None:
    task = bench.tasks.create("T", script="{% log task.id %}", subscriptions="user/a/b")
    assert bench.tasks.preview(task.id)["previews"][0]["logs"] == [task.id]
