"""The ``tasks`` command group: the JSON it prints and its exit statuses (the CLI contract)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tasktools import CORPUS

from mechanic_kernel.cli import main

LIBRARY_FILE = CORPUS / "tasks" / "auto-archive-orders-after-fulfillment.json"


def _run(capsys: pytest.CaptureFixture[str], home: Path, *argv: str) -> tuple[int, Any, str]:
    status = main([*argv, "--home", str(home), "--json"])
    captured = capsys.readouterr()
    try:
        value = json.loads(captured.out) if captured.out.strip() else None
    except json.JSONDecodeError:
        value = captured.out
    return status, value, captured.err


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def test_import_list_show_export(capsys: pytest.CaptureFixture[str], home: Path) -> None:
    status, task, _ = _run(capsys, home, "tasks", "import", str(LIBRARY_FILE))
    assert status == 0
    assert task["name"] == "Auto-archive orders after fulfillment" and task["id"]
    assert task["enabled"] is True and task["problems"] == [] and task["replaced"] is False

    status, listed, _ = _run(capsys, home, "tasks", "list")
    assert status == 0 and [t["id"] for t in listed] == [task["id"]]

    status, shown, _ = _run(capsys, home, "tasks", "show", task["id"])
    assert status == 0 and shown["subscriptions"] == ["shopify/orders/fulfilled"]

    status, exported, _ = _run(capsys, home, "tasks", "export", task["id"])
    original = json.loads(LIBRARY_FILE.read_text())
    assert status == 0 and all(exported[key] == value for key, value in original.items())
    assert "shopify_api_version" in exported and "id" not in exported


def test_import_replace(capsys: pytest.CaptureFixture[str], home: Path) -> None:
    _, first, _ = _run(capsys, home, "tasks", "import", str(LIBRARY_FILE))
    status, second, _ = _run(capsys, home, "tasks", "import", str(LIBRARY_FILE), "--replace")
    assert status == 0 and second["replaced"] is True and second["id"] == first["id"]
    _, third, _ = _run(capsys, home, "tasks", "import", str(LIBRARY_FILE))
    assert third["id"] != first["id"]


def test_create_enable_disable_delete(capsys: pytest.CaptureFixture[str], home: Path, tmp_path: Path) -> None:
    script = tmp_path / "script.liquid"
    script.write_text('{% action "echo", n: options.n__number %}')
    status, task, _ = _run(
        capsys,
        home,
        "tasks",
        "create",
        "--name",
        "Echo",
        "--subscription",
        "user/a/b",
        "--subscription",
        "user/c/d+1.hour",
        "--script-file",
        str(script),
        "--option",
        "n__number=3",
    )
    assert status == 0
    assert task["subscriptions"] == ["user/a/b", "user/c/d+1.hour"] and task["options"] == {"n__number": 3}
    status, disabled, _ = _run(capsys, home, "tasks", "disable", task["id"])
    assert status == 0 and disabled["enabled"] is False
    status, enabled, _ = _run(capsys, home, "tasks", "enable", task["id"])
    assert status == 0 and enabled["enabled"] is True
    status, deleted, _ = _run(capsys, home, "tasks", "delete", task["id"])
    assert status == 0 and deleted == {"id": task["id"], "deleted": True}
    status, _, err = _run(capsys, home, "tasks", "show", task["id"])
    assert status == 1 and "no task with id" in err


def test_create_refuses_an_invalid_subscription(
    capsys: pytest.CaptureFixture[str], home: Path, tmp_path: Path
) -> None:
    script = tmp_path / "script.liquid"
    script.write_text("{% log 1 %}")
    status, _, err = _run(
        capsys,
        home,
        "tasks",
        "create",
        "--name",
        "x",
        "--subscription",
        "user/a/b+1.5.days",
        "--script-file",
        str(script),
    )
    assert status == 1 and "whole numbers" in err


def test_preview_file(capsys: pytest.CaptureFixture[str], home: Path) -> None:
    status, result, _ = _run(
        capsys, home, "tasks", "preview", str(LIBRARY_FILE), "--now", "2026-03-01T00:00:00Z"
    )
    assert status == 0
    assert result["subscriptions"] == ["shopify/orders/fulfilled"]
    [entry] = result["previews"]
    assert entry["topic"] == "shopify/orders/fulfilled" and entry["event"]["preview"] is True
    assert entry["actions"][0]["type"] == "shopify" and set(entry["actions"][0]) == {
        "type",
        "options",
        "meta",
    }
    assert entry["logs"] == [] and entry["errors"] == []
    assert entry["event"]["created_at"] == "2026-03-01T00:00:00.000Z"


def test_preview_stored_task_with_topic_and_event_file(
    capsys: pytest.CaptureFixture[str], home: Path, tmp_path: Path
) -> None:
    _, task, _ = _run(capsys, home, "tasks", "import", str(LIBRARY_FILE))
    event_file = tmp_path / "event.json"
    event_file.write_text(json.dumps({"topic": "shopify/orders/fulfilled", "data": {"x": 1}}))
    status, result, _ = _run(capsys, home, "tasks", "preview", task["id"], "--event-file", str(event_file))
    assert status == 0 and result["previews"][0]["event"]["data"] == {"x": 1}
    data_only = tmp_path / "data.json"
    data_only.write_text(json.dumps({"name": "#9"}))
    status, result, _ = _run(
        capsys,
        home,
        "tasks",
        "preview",
        task["id"],
        "--topic",
        "shopify/orders/fulfilled",
        "--event-file",
        str(data_only),
    )
    assert status == 0 and result["previews"][0]["event"]["data"] == {"name": "#9"}


def test_preview_failure_exits_1_with_the_line_on_stderr(
    capsys: pytest.CaptureFixture[str], home: Path, tmp_path: Path
) -> None:
    task_file = tmp_path / "bad.json"
    task_file.write_text(
        json.dumps(
            {
                "name": "bad",
                "subscriptions_template": "user/a/b",
                "script": "{% log 1 %}\n\n{{ 1 | no_such_filter }}",
            }
        )
    )
    status, result, err = _run(capsys, home, "tasks", "preview", str(task_file))
    assert status == 1
    assert result["previews"][0]["failure"]["line"] == 3 and result["ok"] is False
    assert "line 3" in err and "no_such_filter" in err


def test_preview_error_object_still_exits_0(
    capsys: pytest.CaptureFixture[str], home: Path, tmp_path: Path
) -> None:
    task_file = tmp_path / "err.json"
    task_file.write_text(
        json.dumps({"name": "err", "subscriptions": ["user/a/b"], "script": '{% error "no" %}'})
    )
    status, result, _ = _run(capsys, home, "tasks", "preview", str(task_file))
    assert status == 0 and result["previews"][0]["errors"] == ["no"]


def test_unknown_task_id(capsys: pytest.CaptureFixture[str], home: Path) -> None:
    status, _, err = _run(capsys, home, "tasks", "preview", "not-a-task")
    assert status == 1 and "no task with id" in err


def test_export_folder(capsys: pytest.CaptureFixture[str], home: Path, tmp_path: Path) -> None:
    _, task, _ = _run(capsys, home, "tasks", "import", str(LIBRARY_FILE))
    status, written, _ = _run(capsys, home, "tasks", "export", task["id"], "--folder", str(tmp_path / "out"))
    assert status == 0 and (tmp_path / "out" / "script.liquid").is_file()
    status, again, _ = _run(capsys, home, "tasks", "import", written["folder"], "--replace")
    assert status == 0 and again["id"] == task["id"]
