"""The Jupyter Server extension against a real `jupyter server` process: public webhooks, authenticated API."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mechanic_kernel import Workbench

from jupyter_process import BIN
from jupyter_process import JupyterServer
from jupyter_process import start_jupyter
from pgtools import REQUIRED

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def jupyter(tmp_path_factory) -> Iterator[JupyterServer]:
    server = start_jupyter(tmp_path_factory.mktemp("jupyter"))
    yield server
    server.stop()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30, trust_env=False) as http:
        yield http


def create_webhook(jupyter: JupyterServer, client: httpx.Client, name: str = "Example",
                   topic: str = "user/webhook/test") -> dict:
    response = client.post(jupyter.api("/webhooks"), json={"name": name, "topic": topic}, headers=jupyter.auth)
    assert response.status_code == 201, response.text
    return response.json()


def test_extension_is_listed_enabled_and_ok() -> None:
    output = subprocess.run([str(BIN / "jupyter"), "server", "extension", "list"], capture_output=True, text=True,
                            timeout=60)
    text = output.stdout + output.stderr
    assert "mechanic_kernel" in text
    assert "enabled" in text.split("mechanic_kernel", 1)[1].splitlines()[0]
    assert any("mechanic_kernel" in line and "OK" in line for line in text.splitlines())


def test_unauthenticated_webhook_post_is_204_and_stored(jupyter, client) -> None:
    webhook = create_webhook(jupyter, client)
    assert webhook["url"] == f"{jupyter.url}/mechanic/webhooks/{webhook['id']}"
    # No token, no cookie, no XSRF, and a Host header as a tunnel would send it.
    response = client.post(webhook["url"], data={"contact[email]": "a@x.io"},
                           headers={"Host": "abc.tunnel.example"})
    assert response.status_code == 204
    event = client.get(jupyter.api(f"/events/{response.headers['x-request-id']}"), headers=jupyter.auth).json()
    assert event["data"] == {"contact": {"email": "a@x.io"}}
    assert event["topic"] == "user/webhook/test"


def test_management_api_needs_jupyter_auth(jupyter) -> None:
    # A fresh client per request: Jupyter answers a token with a login cookie that would authenticate the next one.
    def get(path: str, **kwargs) -> int:
        return httpx.get(jupyter.api(path), trust_env=False, timeout=30, **kwargs).status_code

    for path in ("/webhooks", "/settings", "/tasks", "/events", "/runs", "/openapi.json"):
        assert get(path) == 403, path
        assert get(path, headers={"Authorization": "token wrong"}) == 403, path
        assert get(path, headers=jupyter.auth) == 200, path
    assert get("/webhooks", params={"token": jupyter.token}) == 200
    assert httpx.post(jupyter.api("/webhooks"), json={"name": "x", "topic": "user/a/b"},
                      trust_env=False).status_code == 403
    assert httpx.delete(jupyter.api("/webhooks/x"), trust_env=False).status_code == 403


def test_api_errors_are_json_with_status(jupyter, client) -> None:
    bad_topic = client.post(jupyter.api("/webhooks"), json={"name": "x", "topic": "orders/create"},
                            headers=jupyter.auth)
    assert bad_topic.status_code == 422
    assert "user/<subject>/<verb>" in bad_topic.json()["message"]
    missing = client.get(jupyter.api("/webhooks/nope"), headers=jupyter.auth)
    assert missing.status_code == 404 and missing.json()["status"] == 404
    not_json = client.post(jupyter.api("/webhooks"), content=b"{nope", headers=jupyter.auth)
    assert not_json.status_code == 400 and "JSON" in not_json.json()["message"]
    not_object = client.patch(jupyter.api("/settings"), json=[1], headers=jupyter.auth)
    assert not_object.status_code == 400
    bad_setting = client.patch(jupyter.api("/settings"), json={"body_limit": -1}, headers=jupyter.auth)
    assert bad_setting.status_code == 422
    bad_limit = client.get(jupyter.api("/events?limit=zero"), headers=jupyter.auth)
    assert bad_limit.status_code == 422


def test_webhook_crud_settings_and_cors(jupyter, client) -> None:
    webhook = create_webhook(jupyter, client, "Crud", "user/crud/test")
    patched = client.patch(jupyter.api(f"/webhooks/{webhook['id']}"), json={"mode": "full", "enabled": False},
                           headers=jupyter.auth).json()
    assert patched["mode"] == "full" and patched["enabled"] is False
    assert client.delete(jupyter.api(f"/webhooks/{webhook['id']}"), headers=jupyter.auth).status_code == 204
    assert client.get(jupyter.api(f"/webhooks/{webhook['id']}"), headers=jupyter.auth).status_code == 404
    settings = client.patch(jupyter.api("/settings"), json={"shop_domain": "example.myshopify.com"},
                            headers=jupyter.auth).json()
    assert settings["shop_domain"] == "example.myshopify.com"
    cors = client.post(jupyter.api("/settings/cors"), json={"origin": "https://forms.example.com"},
                       headers=jupyter.auth).json()
    assert "https://forms.example.com" in cors["cors_origins"]
    assert "https://example.myshopify.com" in cors["allowed_origins"]
    removed = client.delete(jupyter.api("/settings/cors?origin=https://forms.example.com"), headers=jupyter.auth)
    assert removed.status_code == 200 and removed.json()["cors_origins"] == []


def test_tasks_preview_and_worker_inside_the_server(jupyter, client) -> None:
    webhook = create_webhook(jupyter, client, "Echo", "user/echo/test")
    task = {"name": "Echo webhook data", "script": '{% action "echo", event.data %}',
            "subscriptions": ["user/echo/test"], "subscriptions_template": "user/echo/test", "options": {}}
    preview = client.post(jupyter.api("/tasks/preview"), json={"task": task}, headers=jupyter.auth)
    assert preview.status_code == 200, preview.text
    assert preview.json()["previews"][0]["actions"][0]["type"] == "echo"
    stored = client.post(jupyter.api("/tasks"), json=task, headers=jupyter.auth)
    assert stored.status_code == 201, stored.text
    task_id = stored.json()[0]["id"]
    assert client.get(jupyter.api(f"/tasks/{task_id}/export"), headers=jupyter.auth).json()["name"] == task["name"]
    response = client.post(webhook["url"], json={"hello": "world"})
    request_id = response.headers["x-request-id"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        event = client.get(jupyter.api(f"/events/{request_id}"), headers=jupyter.auth).json()
        runs = event.get("task_runs", [])
        if runs and runs[0]["action_runs"] and runs[0]["action_runs"][0]["status"] == "succeeded":
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"the worker in the Jupyter server did not perform the run: {event}")
    assert runs[0]["status"] == "succeeded"
    assert runs[0]["action_runs"][0]["result"] == {"hello": "world"}
    listed = client.get(jupyter.api("/runs?kind=action&status=succeeded"), headers=jupyter.auth).json()
    assert any(run["event_id"] == event["id"] or run.get("task_id") == task_id for run in listed)


def test_openapi_document_lists_every_route(jupyter, client) -> None:
    document = client.get(jupyter.api("/openapi.json"), headers=jupyter.auth).json()
    assert document["openapi"].startswith("3.")
    assert document["servers"][0]["url"] == f"{jupyter.url}/mechanic/api"
    for path in ("/webhooks", "/webhooks/{webhook_id}", "/settings", "/settings/cors", "/tasks", "/tasks/preview",
                 "/tasks/{task_id}", "/tasks/{task_id}/export", "/tasks/{task_id}/preview", "/events",
                 "/events/{event_id}", "/events/{event_id}/cancel", "/runs", "/runs/{run_id}",
                 "/runs/{run_id}/retry"):
        assert path in document["paths"], path


def test_cli_and_jupyter_share_the_store(jupyter, client) -> None:
    webhook = create_webhook(jupyter, client, "Shared", "user/shared/test")
    client.post(webhook["url"], json={"from": "jupyter"})
    listed = subprocess.run([sys.executable, "-m", "mechanic_kernel", "--home", str(jupyter.home), "--json",
                             "events", "list", "--topic", "user/shared/test"], capture_output=True, text=True,
                            check=True)
    assert len(json.loads(listed.stdout)) == 1
    shown = subprocess.run([sys.executable, "-m", "mechanic_kernel", "--home", str(jupyter.home), "--json",
                            "webhooks", "show", webhook["id"]], capture_output=True, text=True, check=True)
    # The CLI shows the URL of the running Jupyter server.
    assert json.loads(shown.stdout)["url"] == webhook["url"]


def test_base_url_is_honoured(tmp_path: Path) -> None:
    server = start_jupyter(tmp_path, base_url="/jp/")
    try:
        with httpx.Client(timeout=30, trust_env=False) as http:
            webhook = http.post(server.api("/webhooks"), json={"name": "J", "topic": "user/jp/test"},
                                headers=server.auth).json()
            assert webhook["url"].startswith(f"{server.url}/mechanic/webhooks/")
            assert "/jp/mechanic/webhooks/" in webhook["url"]
            assert http.post(webhook["url"], json={"a": 1}).status_code == 204
            # Outside the base URL it is not a webhook (Jupyter refuses the POST).
            assert http.post(webhook["url"].replace("/jp/", "/"), json={"a": 1}).status_code in (403, 404)
        with Workbench(server.home) as bench:
            assert len(bench.list_events()) == 1
    finally:
        server.stop()


def _child_environment(parent: int, marker: str, timeout: float = 30) -> dict[str, str]:
    """The environment of the first child process of ``parent`` whose command line holds ``marker``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                if int(stat.rsplit(")", 1)[1].split()[1]) == parent and marker in command:
                    pairs = (entry / "environ").read_bytes().split(b"\0")
                    return dict(pair.decode().split("=", 1) for pair in pairs if b"=" in pair)
            except (OSError, ValueError, IndexError):
                continue
        time.sleep(0.2)
    raise AssertionError(f"no child of {parent} running {marker}")


def test_the_store_trait_puts_jupyter_and_its_kernels_on_postgresql(tmp_path: Path, postgres) -> None:
    if isinstance(postgres, str):
        pytest.fail(postgres) if REQUIRED else pytest.skip(postgres)
    schema, url = postgres.fresh_schema()
    server = start_jupyter(tmp_path, extra=[f"--MechanicKernelApp.store={url}"])
    try:
        with httpx.Client(timeout=30, trust_env=False) as http:
            webhook = http.post(server.api("/webhooks"), json={"name": "PG", "topic": "user/pg/test"},
                                headers=server.auth).json()
            assert http.post(webhook["url"], json={"a": 1}).status_code == 204
            # A kernel started by this server inherits the store through its environment.
            kernel = http.post(f"{server.url}/api/kernels", json={"name": "python3"}, headers=server.auth).json()
            assert kernel["id"]
            assert _child_environment(server.process.pid, "ipykernel").get("MECHANIC_STORE") == url
        with Workbench(tmp_path / "elsewhere", store=url) as bench:
            [event] = bench.list_events()
            assert event.webhook_id == webhook["id"] and event.data == {"a": 1}
        assert not (server.home / "mechanic.sqlite3").exists()
        assert "store postgresql://" in server.log.read_text()
    finally:
        server.stop()
        postgres.drop_schema(schema)
