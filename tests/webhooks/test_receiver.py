"""The receiver's two entry points (``receive`` and the fast path's ``receive_nowait``) and batched storage."""

from __future__ import annotations

import asyncio
import concurrent.futures

import httpx
import pytest

from mechanic_kernel import Workbench
from mechanic_kernel.errors import StoreError
from mechanic_kernel.models.webhooks import Webhook
from mechanic_kernel.webhooks.receiver import Accepted
from mechanic_kernel.webhooks.receiver import IncomingRequest
from mechanic_kernel.webhooks.receiver import Reply


def _post(webhook: Webhook, body: bytes = b'{"a": 1}') -> IncomingRequest:
    return IncomingRequest(method="POST", path=f"/mechanic/webhooks/{webhook.id}", query_string=None,
                           headers=[("Content-Type", "application/json")], body=body, client_ip="127.0.0.1")


def test_receive_nowait_answers_only_after_the_event_and_its_run_commit(workbench: Workbench,
                                                                      webhook: Webhook) -> None:
    seen: list[str] = []
    workbench.receiver._on_event = lambda event: seen.append(event.id)

    async def receive() -> tuple[Accepted, Reply]:
        accepted = workbench.receiver.receive_nowait(_post(webhook))
        assert isinstance(accepted, Accepted)
        assert seen == []  # nothing is announced before the commit
        await accepted.stored
        return accepted, accepted.settle()

    accepted, reply = asyncio.run(receive())
    assert reply.status == 204
    assert reply.header("x-request-id") == accepted.event.webhook_request_id
    assert seen == [accepted.event.id]
    stored = workbench.store.events.get(accepted.event.id)
    assert stored is not None and stored.data == {"a": 1}
    assert workbench.store.events.request(accepted.event.webhook_request_id) is not None
    assert [run.kind.value for run in workbench.store.runs.list(event_id=accepted.event.id)] == ["event"]


def test_receive_nowait_answers_non_events_at_once(workbench: Workbench, webhook: Webhook) -> None:
    unknown = IncomingRequest(method="POST", path="/mechanic/webhooks/nope", query_string=None, headers=[],
                              body=b"", client_ip="")
    options = IncomingRequest(method="OPTIONS", path=f"/mechanic/webhooks/{webhook.id}", query_string=None,
                              headers=[], body=b"", client_ip="")
    assert isinstance(workbench.receiver.receive_nowait(unknown), Reply)
    assert isinstance(workbench.receiver.receive_nowait(options), Reply)
    assert workbench.store.events.count() == 0


def test_concurrent_posts_are_all_stored_with_request_and_run(server: str, workbench: Workbench,
                                                              webhook: Webhook) -> None:
    url = f"{server}/mechanic/webhooks/{webhook.id}"

    def post(index: int) -> str:
        with httpx.Client(trust_env=False, timeout=30) as client:
            answer = client.post(url, json={"i": index})
            assert answer.status_code == 204
            return answer.headers["x-request-id"]

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        request_ids = list(pool.map(post, range(96)))
    assert len(set(request_ids)) == 96
    events = workbench.store.events.list(limit=None)
    assert sorted(event.data["i"] for event in events) == list(range(96))
    assert {event.webhook_request_id for event in events} == set(request_ids)
    assert workbench.store.runs.count() == 96
    assert all(workbench.store.events.request(request_id) is not None for request_id in request_ids)


def test_the_fast_path_answers_500_when_the_store_refuses_the_event(server: str, workbench: Workbench,
                                                                    webhook: Webhook,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise StoreError("the store is closed")

    monkeypatch.setattr(workbench.store.events, "add_from_webhook", refuse)
    with httpx.Client(trust_env=False, timeout=30) as client:
        answer = client.post(f"{server}/mechanic/webhooks/{webhook.id}", json={"a": 1})
        assert answer.status_code == 500
        assert "StoreError" in answer.text
        monkeypatch.undo()
        assert client.post(f"{server}/mechanic/webhooks/{webhook.id}", json={"a": 1}).status_code == 204
    assert workbench.store.events.count() == 1


def test_the_fast_path_answers_500_when_the_commit_fails(server: str, workbench: Workbench, webhook: Webhook,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, loop: asyncio.AbstractEventLoop | None = None, **kwargs: object) -> asyncio.Future:
        assert loop is not None  # the fast path waits on the event loop, never on a thread
        future = loop.create_future()
        future.set_exception(StoreError("could not commit"))
        return future

    monkeypatch.setattr(workbench.store.events, "add_from_webhook", fail)
    with httpx.Client(trust_env=False, timeout=30) as client:
        answer = client.post(f"{server}/mechanic/webhooks/{webhook.id}", json={"a": 1})
    assert answer.status_code == 500
    assert "StoreError" in answer.text
