"""The CLI contract of the foundation issue: command names, options, JSON fields and exit statuses."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from mechanic_kernel import Workbench
from mechanic_kernel.cli import main

WEBHOOK_FIELDS = {"id", "name", "topic", "mode", "enabled", "url"}


def run(capsys, *argv: str) -> tuple[int, object, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    try:
        output = json.loads(captured.out) if captured.out.strip() else None
    except json.JSONDecodeError:
        output = captured.out
    return status, output, captured.err


def test_webhooks_create_and_list(capsys, home: Path) -> None:
    status, created, _ = run(capsys, "webhooks", "create", "--name", "Example", "--topic", "user/webhook/test",
                             "--home", str(home), "--json")
    assert status == 0
    assert WEBHOOK_FIELDS <= set(created)
    assert created["mode"] == "auto" and created["enabled"] is True
    assert created["url"].endswith(f"/mechanic/webhooks/{created['id']}")
    status, listed, _ = run(capsys, "--home", str(home), "--json", "webhooks", "list")
    assert status == 0 and [row["id"] for row in listed] == [created["id"]]
    assert WEBHOOK_FIELDS <= set(listed[0])


def test_webhooks_create_full_mode_and_update(capsys, home: Path) -> None:
    _, created, _ = run(capsys, "webhooks", "create", "--name", "F", "--topic", "user/a/b", "--mode", "full",
                        "--home", str(home), "--json")
    assert created["mode"] == "full"
    _, updated, _ = run(capsys, "webhooks", "update", created["id"], "--disable", "--topic", "user/c/d",
                        "--home", str(home), "--json")
    assert updated["enabled"] is False and updated["topic"] == "user/c/d"
    status, _, _ = run(capsys, "webhooks", "delete", created["id"], "--home", str(home), "--json")
    assert status == 0
    _, listed, _ = run(capsys, "webhooks", "list", "--home", str(home), "--json")
    assert listed == []


@pytest.mark.parametrize(("argv", "message"), [
    (["webhooks", "create", "--name", "X", "--topic", "shopify/orders/create"], "user/<subject>/<verb>"),
    (["webhooks", "create", "--name", "X", "--topic", "user/Web/Test"], "lowercase"),
    (["webhooks", "create", "--name", "X", "--topic", "user/a/b", "--mode", "partial"], "auto or full"),
    (["webhooks", "create", "--name", "  ", "--topic", "user/a/b"], "non-empty name"),
    (["webhooks", "show", "00000000-0000-0000-0000-000000000000"], "no webhook with id"),
    (["events", "show", "nope"], "no event with id"),
    (["settings", "set", "nope", "1"], "unknown setting"),
    (["settings", "set", "body_limit", "ten"], "whole number"),
    (["settings", "set", "timezone", "Mars/Olympus"], "unknown time zone"),
    (["settings", "cors", "add", "ftp://x"], "invalid CORS origin"),
    (["settings", "cors", "remove", "https://never-added.example"], "not on the CORS list"),
])
def test_errors_go_to_stderr_with_a_non_zero_status(capsys, home: Path, argv: list[str], message: str) -> None:
    status, output, err = run(capsys, *argv, "--home", str(home), "--json")
    assert status != 0
    assert output is None
    assert err.startswith("error: ") and message in err


def test_usage_errors_exit_2(capsys, home: Path) -> None:
    with pytest.raises(SystemExit) as info:
        main(["webhooks", "create", "--home", str(home)])
    assert info.value.code == 2
    assert "--name" in capsys.readouterr().err


def test_settings_cors_add_remove_list(capsys, home: Path) -> None:
    _, added, _ = run(capsys, "settings", "cors", "add", "https://forms.example.com/", "--home", str(home), "--json")
    assert added["cors_origins"] == ["https://forms.example.com"]
    assert "https://forms.example.com" in added["allowed_origins"]
    _, listed, _ = run(capsys, "settings", "cors", "list", "--home", str(home), "--json")
    assert listed["cors_origins"] == ["https://forms.example.com"]
    _, removed, _ = run(capsys, "settings", "cors", "remove", "https://forms.example.com", "--home", str(home),
                        "--json")
    assert removed["cors_origins"] == []


def test_settings_set_and_show(capsys, home: Path) -> None:
    status, stored, _ = run(capsys, "settings", "set", "shop_domain", "example.myshopify.com", "--home", str(home),
                            "--json")
    assert status == 0 and stored == {"shop_domain": "example.myshopify.com"}
    run(capsys, "settings", "set", "public_url", "https://hooks.example.com/", "--home", str(home))
    _, shown, _ = run(capsys, "settings", "show", "--home", str(home), "--json")
    assert shown["shop_domain"] == "example.myshopify.com"
    assert shown["public_url"] == "https://hooks.example.com"
    assert shown["body_limit"] == 10 * 1024 * 1024
    assert shown["retention_days"] == 15
    _, created, _ = run(capsys, "webhooks", "create", "--name", "E", "--topic", "user/webhook/test", "--home",
                        str(home), "--json")
    assert created["url"] == f"https://hooks.example.com/mechanic/webhooks/{created['id']}"
    _, stored, _ = run(capsys, "settings", "set", "public_url", "", "--home", str(home), "--json")
    assert stored == {"public_url": None}


def test_events_list_and_show(capsys, home: Path, http) -> None:
    workbench = Workbench(home)
    try:
        webhook = workbench.webhooks.create("Example", "user/webhook/test")
        other = workbench.webhooks.create("Other", "user/other/thing")
        url = workbench.serve()
        request_ids = [http.post(f"{url}/mechanic/webhooks/{webhook.id}", json={"n": n}).headers["x-request-id"]
                       for n in range(3)]
        http.post(f"{url}/mechanic/webhooks/{other.id}?q=1", content=b"hi", headers={"X-A": "1"})
    finally:
        workbench.close()
    _, listed, _ = run(capsys, "events", "list", "--home", str(home), "--json")
    assert len(listed) == 4
    assert set(listed[0]) == {"id", "topic", "created_at", "webhook_id", "webhook_request_id"}
    assert listed[0]["topic"] == "user/other/thing"  # newest first
    _, limited, _ = run(capsys, "events", "list", "--topic", "user/webhook/test", "--limit", "2", "--home",
                        str(home), "--json")
    assert [row["webhook_request_id"] for row in limited] == request_ids[:0:-1]
    _, shown, _ = run(capsys, "events", "show", request_ids[0], "--home", str(home), "--json")
    assert {"id", "topic", "data", "created_at", "source", "webhook_id", "webhook_request_id", "request"} <= set(shown)
    assert shown["data"] == {"n": 0}
    assert shown["request"]["method"] == "POST"
    assert shown["request"]["body_size"] == len(b'{"n":0}')
    _, by_id, _ = run(capsys, "events", "show", shown["id"], "--home", str(home), "--json")
    assert by_id["webhook_request_id"] == request_ids[0]
    status, text, _ = run(capsys, "events", "show", shown["id"], "--home", str(home))
    assert status == 0 and "request id: " + request_ids[0] in text


def test_human_output_is_readable(capsys, home: Path) -> None:
    run(capsys, "webhooks", "create", "--name", "Example", "--topic", "user/webhook/test", "--home", str(home))
    status, text, _ = run(capsys, "webhooks", "list", "--home", str(home))
    assert status == 0
    assert text.splitlines()[0].split()[:4] == ["id", "name", "topic", "mode"]


def test_mechanic_home_environment_variable(capsys, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MECHANIC_HOME", str(tmp_path / "from-env"))
    run(capsys, "webhooks", "create", "--name", "E", "--topic", "user/a/b", "--json")
    assert (tmp_path / "from-env" / "mechanic.sqlite3").exists()


def test_default_home_is_per_user(capsys, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("MECHANIC_HOME", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    run(capsys, "webhooks", "list", "--json")
    assert (tmp_path / "data" / "mechanic-kernel" / "mechanic.sqlite3").exists()


def test_status_answers_json(http, workbench, server) -> None:
    assert httpx.get(f"{server}/mechanic/", trust_env=False).json()["name"] == "mechanic-kernel"
