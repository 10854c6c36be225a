"""Oversized, malformed, wrongly-encoded and hostile requests, on both server paths; nothing accepted is lost."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from mechanic_kernel import Workbench
from mechanic_kernel.server.embedded import EmbeddedServer


@pytest.fixture(params=["fast-path", "request-handler"])
def any_server(request, workbench: Workbench) -> Iterator[str]:
    """The server with the lean webhook path, and with the RequestHandler the Jupyter extension mounts."""
    embedded = EmbeddedServer(workbench, fast_path=request.param == "fast-path")
    url = embedded.start()
    yield url
    embedded.stop()


def hook_url(server: str, webhook) -> str:
    return f"{server}/mechanic/webhooks/{webhook.id}"


def test_body_at_the_limit_is_accepted_and_one_byte_over_is_413(any_server, http, workbench, webhook) -> None:
    workbench.settings.set("body_limit", 1000)
    assert http.post(hook_url(any_server, webhook), content=b"a" * 1000,
                     headers={"content-type": "text/plain"}).status_code == 204
    response = http.post(hook_url(any_server, webhook), content=b"a" * 1001, headers={"content-type": "text/plain"})
    assert response.status_code == 413
    assert "1000-byte limit" in response.text
    assert len(workbench.list_events()) == 1


def test_default_limit_is_10_mib(any_server, http, workbench, webhook) -> None:
    response = http.post(hook_url(any_server, webhook), content=b"x" * (10 * 1024 * 1024 + 1),
                         headers={"content-type": "text/plain"})
    assert response.status_code == 413
    assert workbench.list_events() == []


def test_chunked_body_over_the_limit_is_413(any_server, http, workbench, webhook) -> None:
    workbench.settings.set("body_limit", 5000)

    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b"y" * 1000

    response = http.post(hook_url(any_server, webhook), content=chunks(), headers={"content-type": "text/plain"})
    assert response.status_code == 413
    assert workbench.list_events() == []


def test_large_body_under_the_limit_is_stored_whole(any_server, http, workbench, webhook) -> None:
    payload = {"rows": ["r" * 100] * 20000}  # about 2 MB: interpreted off the event loop
    assert http.post(hook_url(any_server, webhook), json=payload).status_code == 204
    assert workbench.list_events()[0].data == payload


@pytest.mark.parametrize(("content_type", "body", "message"), [
    ("multipart/form-data; boundary=abc", b"no boundary anywhere", "malformed multipart"),
    ("multipart/form-data", b"--abc\r\n", "no boundary parameter"),
    ("application/x-www-form-urlencoded; charset=no-such-charset", b"a=1", "unsupported charset"),
    ("application/x-www-form-urlencoded", b"a=%FF%FE", "not valid utf-8"),
    ("text/plain; charset=utf-8", b"\xc3\x28", "not valid utf-8"),
])
def test_uninterpretable_bodies_get_a_clear_400(any_server, http, workbench, webhook, content_type, body,
                                               message) -> None:
    response = http.post(hook_url(any_server, webhook), content=body, headers={"content-type": content_type})
    assert response.status_code == 400
    assert message in response.text
    assert workbench.list_events() == []


def test_binary_body_is_kept_in_full_mode(any_server, http, workbench, full_webhook) -> None:
    response = http.post(hook_url(any_server, full_webhook), content=b"\xff\xfe\x00\x01",
                         headers={"content-type": "application/octet-stream"})
    assert response.status_code == 204
    assert workbench.request_of(workbench.list_events()[0]).body == b"\xff\xfe\x00\x01"


def test_hostile_nesting_does_not_crash_the_server(any_server, http, workbench, webhook) -> None:
    deep_form = b"a" + b"[b]" * 5000 + b"=1"
    deep_json = b"[" * 200000 + b"]" * 200000
    assert http.post(hook_url(any_server, webhook), content=deep_form,
                     headers={"content-type": "application/x-www-form-urlencoded"}).status_code == 204
    assert http.post(hook_url(any_server, webhook), content=deep_json,
                     headers={"content-type": "application/json"}).status_code == 204
    assert len(workbench.list_events()) == 2
    assert http.post(hook_url(any_server, webhook), json={"still": "alive"}).status_code == 204


def test_garbage_on_the_socket_gets_an_answer_or_a_close(any_server, http, workbench, webhook) -> None:
    host, port = any_server.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"\x00\x01 NOT HTTP\r\n\r\n")
        answer = sock.recv(1024)
    assert answer == b"" or answer.startswith(b"HTTP/1.1 400")
    assert http.post(hook_url(any_server, webhook), json={"after": "garbage"}).status_code == 204


def test_many_concurrent_clients_lose_no_event(any_server, workbench, webhook) -> None:
    total = 300

    clients = threading.local()  # one keep-alive client per thread: 32 concurrent connections
    opened: list[httpx.Client] = []

    def post(index: int) -> str:
        if not hasattr(clients, "http"):
            clients.http = httpx.Client(trust_env=False, timeout=30)
            opened.append(clients.http)
        response = clients.http.post(hook_url(any_server, webhook), json={"i": index})
        assert response.status_code == 204
        return response.headers["x-request-id"]

    try:
        with ThreadPoolExecutor(max_workers=32) as pool:
            request_ids = list(pool.map(post, range(total)))
    finally:
        for client in opened:
            client.close()
    events = workbench.list_events(limit=None)
    assert len(events) == total
    assert sorted(event.data["i"] for event in events) == list(range(total))
    assert {event.webhook_request_id for event in events} == set(request_ids)


def test_events_survive_a_server_restart(home, http) -> None:
    first = Workbench(home)
    webhook = first.webhooks.create("Example", "user/webhook/test")
    url = first.serve()
    assert http.post(hook_url(url, webhook), json={"n": 1}).status_code == 204
    first.close()

    second = Workbench(home)
    try:
        url = second.serve()
        assert http.post(hook_url(url, webhook), json={"n": 2}).status_code == 204
        assert [event.data["n"] for event in second.list_events()] == [2, 1]
    finally:
        second.close()
