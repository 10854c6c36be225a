"""The runs CLI contract: ``events show`` task runs, ``runs list/retry``, ``events cancel``, ``worker``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mechanic_kernel import Workbench
from mechanic_kernel.cli import main

TASK_RUN_FIELDS = {"task_id", "task_name", "status", "actions", "logs", "errors", "action_runs"}
ACTION_RUN_FIELDS = {"type", "options", "status", "result", "error"}


def run(capsys, *argv: str):
    status = main(list(argv))
    captured = capsys.readouterr()
    try:
        output = json.loads(captured.out) if captured.out.strip() else None
    except json.JSONDecodeError:
        output = captured.out
    return status, output, captured.err


def seed(home: Path, script: str = '{% action "echo", event.data %}{% log "hi" %}') -> tuple[str, str]:
    with Workbench(home) as bench:
        task = bench.tasks.create("Echo", script=script, subscriptions=["user/webhook/test"],
                                  check_preview=False)
        event = bench.emit_event("user/webhook/test", {"a": 1})
        return task.id, event.id


def test_worker_run_until_idle_then_events_show_lists_task_runs(capsys, home: Path) -> None:
    task_id, event_id = seed(home)
    status, performed, _ = run(capsys, "worker", "run", "--until-idle", "--home", str(home), "--json")
    assert status == 0 and [row["kind"] for row in performed] == ["event", "task", "action"]
    assert all(row["status"] == "succeeded" for row in performed)
    status, shown, _ = run(capsys, "events", "show", event_id, "--home", str(home), "--json")
    assert status == 0 and shown["id"] == event_id and shown["data"] == {"a": 1}
    (task_run,) = shown["task_runs"]
    assert TASK_RUN_FIELDS <= set(task_run)
    assert task_run["task_id"] == task_id and task_run["task_name"] == "Echo"
    assert task_run["status"] == "succeeded"
    assert task_run["logs"] == ["hi"] and task_run["errors"] == []
    assert task_run["actions"][0]["type"] == "echo"
    (action_run,) = task_run["action_runs"]
    assert ACTION_RUN_FIELDS <= set(action_run)
    assert action_run == action_run | {"type": "echo", "options": {"a": 1}, "status": "succeeded",
                                       "result": {"a": 1}, "error": None}


def test_events_show_human_output_names_the_runs(capsys, home: Path) -> None:
    _, event_id = seed(home)
    run(capsys, "worker", "run", "--until-idle", "--home", str(home))
    status, text, _ = run(capsys, "events", "show", event_id, "--home", str(home))
    assert status == 0 and "task run succeeded: Echo" in text and "action echo succeeded" in text


def test_runs_list_filters_by_status_and_kind(capsys, home: Path) -> None:
    seed(home)
    status, rows, _ = run(capsys, "runs", "list", "--status", "due", "--home", str(home), "--json")
    assert status == 0 and [(row["kind"], row["status"]) for row in rows] == [("event", "due")]
    run(capsys, "worker", "run", "--until-idle", "--home", str(home))
    status, rows, _ = run(capsys, "runs", "list", "--kind", "action", "--home", str(home), "--json")
    assert [(row["kind"], row["status"]) for row in rows] == [("action", "succeeded")]
    with pytest.raises(SystemExit) as exited:
        main(["runs", "list", "--status", "Succeeded", "--home", str(home)])
    assert exited.value.code == 2 and "invalid choice" in capsys.readouterr().err


def test_runs_retry_follows_the_rules(capsys, home: Path) -> None:
    _, event_id = seed(home, '{% error "bad" %}')
    run(capsys, "worker", "run", "--until-idle", "--home", str(home))
    _, rows, _ = run(capsys, "runs", "list", "--kind", "task", "--home", str(home), "--json")
    (task_run,) = rows
    assert task_run["status"] == "failed" and task_run["error"] == "bad"
    status, retried, _ = run(capsys, "runs", "retry", task_run["id"], "--home", str(home), "--json")
    assert status == 0 and retried["status"] == "due"
    _, rows, _ = run(capsys, "runs", "list", "--kind", "event", "--home", str(home), "--json")
    (event_run,) = [row for row in rows if row["event_id"] == event_id]
    status, _, err = run(capsys, "runs", "retry", event_run["id"], "--home", str(home))
    assert status == 1 and "cannot be retried" in err


def test_events_cancel(capsys, home: Path) -> None:
    _, event_id = seed(home)
    status, cancelled, _ = run(capsys, "events", "cancel", event_id, "--home", str(home), "--json")
    assert status == 0 and cancelled["status"] == "cancelled"
    status, performed, _ = run(capsys, "worker", "run", "--until-idle", "--home", str(home), "--json")
    assert performed == []
    status, _, err = run(capsys, "events", "cancel", event_id, "--home", str(home))
    assert status == 1 and "cannot be cancelled" in err


def test_139_events_list_shows_per_task_status(capsys, home: Path) -> None:
    task_id, event_id = seed(home)
    status, rows, _ = run(capsys, "events", "list", "--runs", "--home", str(home), "--json")
    assert status == 0 and rows[0]["id"] == event_id
    assert rows[0]["status"] == "due" and rows[0]["task_runs"] == []
    run(capsys, "worker", "run", "--until-idle", "--home", str(home))
    _, rows, _ = run(capsys, "events", "list", "--runs", "--home", str(home), "--json")
    assert rows[0]["status"] == "succeeded"
    assert rows[0]["task_runs"] == [{"task_id": task_id, "task_name": "Echo", "status": "succeeded"}]
    _, text, _ = run(capsys, "events", "list", "--runs", "--home", str(home))
    assert "Echo: succeeded" in text
    _, plain, _ = run(capsys, "events", "list", "--home", str(home), "--json")
    assert set(plain[0]) == {"id", "topic", "created_at", "webhook_id", "webhook_request_id"}
