"""The store contract (mechanic_kernel/store/contract.py), held against both backends: [sqlite], [postgresql].

These drive the store directly, as the engine does: units of work, claims under leases, compare-and-set
outcomes, notifications and copies. The engine's own tests (runs, actions, webhooks, frames) run on both
backends as well.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from mechanic_kernel.errors import Conflict
from mechanic_kernel.errors import StoreError
from mechanic_kernel.ids import uuid7
from mechanic_kernel.models.events import Event
from mechanic_kernel.models.events import RawRequest
from mechanic_kernel.models.runs import Run
from mechanic_kernel.models.runs import RunKind
from mechanic_kernel.models.runs import RunStatus
from mechanic_kernel.store import Store
from mechanic_kernel.store import open_store
from mechanic_kernel.store.contract import Changes
from mechanic_kernel.store.contract import Lease
from mechanic_kernel.store.contract import NewEvent
from mechanic_kernel.store.schema import versions

T0 = "2026-03-01T12:00:00.000Z"
T1 = "2026-03-01T12:00:10.000Z"
T2 = "2026-03-01T12:00:40.000Z"
T3 = "2026-03-01T12:01:30.000Z"


@pytest.fixture
def store(tmp_path: Path, store_url: str | None) -> Iterator[Store]:
    opened = open_store(tmp_path, store_url)
    yield opened
    opened.close()


@pytest.fixture
def other(tmp_path: Path, store_url: str | None, store: Store) -> Iterator[Store]:
    """A second handle on the same store: its own connections, like another process."""
    opened = open_store(tmp_path, store_url)
    yield opened
    opened.close()


def event(topic: str = "user/a/b", data: object = None, created_at: str = T0, **fields: object) -> Event:
    return Event(id=uuid7(), topic=topic, data=data, source="user", created_at=created_at, **fields)


def webhook_request(evt: Event, body: bytes = b'{"a": 1}') -> RawRequest:
    return RawRequest(
        request_id=evt.webhook_request_id or uuid7(),
        webhook_id="hook",
        client=None,
        mode="auto",
        method="POST",
        path="/mechanic/webhooks/hook",
        query_string=None,
        headers=[("Content-Type", "application/json"), ("X-Twice", "1"), ("x-twice", "2")],
        body=body,
        client_ip="127.0.0.1",
        received_at=evt.created_at,
    )


def lease(worker: str = "w1", until: str = T2) -> Lease:
    return Lease(worker, until)


def add_events(store: Store, count: int) -> list[Event]:
    events = [event(data={"n": n}) for n in range(count)]
    for future in [store.events.add(evt) for evt in events]:
        future.result(30)
    return events


# -- units of work ----------------------------------------------------------------------------------------
def test_a_webhook_request_is_stored_with_its_raw_request_and_a_due_event_run(store: Store) -> None:
    evt = event(data={"a": 1}, webhook_id="hook", webhook_request_id=uuid7())
    store.events.add_from_webhook(evt, webhook_request(evt, b"\x00\xffbinary")).result(30)
    assert store.events.get(evt.id) == evt
    assert store.events.get(evt.webhook_request_id) == evt  # found by request id too
    raw = store.events.request(evt.webhook_request_id)
    assert raw is not None and raw.body == b"\x00\xffbinary"
    assert raw.headers == [("Content-Type", "application/json"), ("X-Twice", "1"), ("x-twice", "2")]
    [run] = store.runs.list(event_id=evt.id)
    assert (run.kind, run.status, run.run_at, run.attempts) == (RunKind.EVENT, RunStatus.DUE, T0, 0)


def test_an_asyncio_future_resolves_on_its_loop_after_the_commit(store: Store, other: Store) -> None:
    async def receive() -> list[bool]:
        loop = asyncio.get_running_loop()
        events = [event(webhook_id="hook", webhook_request_id=uuid7()) for _ in range(20)]
        futures = [store.events.add_from_webhook(evt, webhook_request(evt), loop=loop) for evt in events]
        assert all(isinstance(future, asyncio.Future) for future in futures)
        await asyncio.gather(*futures)
        return [other.events.get(evt.id) is not None for evt in events]  # visible to another connection

    assert asyncio.run(receive()) == [True] * 20


def test_a_bad_write_fails_alone_and_its_batch_neighbours_commit(store: Store) -> None:
    taken = event(webhook_id="hook", webhook_request_id=uuid7())
    store.events.add_from_webhook(taken, webhook_request(taken)).result(30)
    batch = [event(webhook_id="hook", webhook_request_id=uuid7()) for _ in range(5)]
    batch[2] = taken  # a duplicate id: its rows must all go, and only its
    futures = [store.events.add_from_webhook(evt, webhook_request(evt)) for evt in batch]
    failed = [future.exception(30) is not None for future in futures]
    assert failed == [False, False, True, False, False]
    assert isinstance(futures[2].exception(), StoreError)
    assert store.events.count() == 5
    assert store.runs.count() == 5  # no event run without its event, and none twice


def test_text_the_database_cannot_encode_fails_that_write_only(store: Store) -> None:
    """A lone surrogate passes json.loads but no database encodes it: the write fails, the store goes on."""
    bad = event(data={"s": "\ud800"}, webhook_id="hook", webhook_request_id=uuid7())
    good = event(data={"s": "fine"}, webhook_id="hook", webhook_request_id=uuid7())
    futures = [store.events.add_from_webhook(evt, webhook_request(evt)) for evt in (bad, good)]
    assert isinstance(futures[0].exception(30), StoreError)
    assert futures[1].result(30) is None
    assert [evt.id for evt in store.events.list()] == [good.id]
    store.settings.put("still", "writable")
    assert store.settings.all()["still"] == "writable"


def test_events_list_search_and_children(store: Store) -> None:
    parent = event(data={"customer": "Ann Smith"})
    store.events.add(parent).result(30)
    child = event(topic="user/c/d", parent_id=parent.id, created_at=T1)
    store.events.add(child).result(30)
    assert [evt.id for evt in store.events.list()] == [child.id, parent.id]
    assert [evt.id for evt in store.events.list(search="ann smith")] == [parent.id]  # case-insensitive
    assert [evt.id for evt in store.events.list(topic="user/c/d")] == [child.id]
    assert store.events.children_of(parent.id) == [child.id]
    assert store.events.list(limit=1) == [child]


# -- claims, leases, outcomes --------------------------------------------------------------------------------
def new_run(
    kind: RunKind, event_id: str, status: RunStatus = RunStatus.DUE, run_at: str | None = T0, **fields: object
) -> Run:
    return Run(
        id=uuid7(),
        kind=kind,
        status=status,
        event_id=event_id,
        run_at=run_at,
        enqueued_at=run_at if status is RunStatus.DUE else None,
        created_at=T0,
        **fields,
    )


def test_claims_start_the_most_urgent_runs_under_the_lease(store: Store) -> None:
    evt = add_events(store, 1)[0]
    [event_run] = store.runs.list(event_id=evt.id)
    changes = Changes(
        runs=[
            new_run(RunKind.TASK, evt.id),
            new_run(RunKind.ACTION, evt.id),
            new_run(RunKind.ACTION, evt.id, RunStatus.SCHEDULED, run_at=T1),
        ]
    )
    store.runs.commit(changes, now=T0).result(30)
    claimed = store.runs.claim(T0, lease=lease(), limit=10).result(30)
    assert [run.kind for run in claimed] == [RunKind.ACTION, RunKind.TASK, RunKind.EVENT]
    assert claimed[2].id == event_run.id
    assert all(
        run.status is RunStatus.STARTED and run.attempts == 1 and run.started_at == T0 for run in claimed
    )
    assert all(
        run.claimed_by == "w1" and run.lease_expires_at == T2 and not run.taken_over for run in claimed
    )
    # The scheduled action comes due when its time comes, in the claim that finds it.
    assert store.runs.claim(T0, lease=lease(), limit=10).result(30) == []
    [later] = store.runs.claim(T1, lease=lease(), limit=10).result(30)
    assert later.kind is RunKind.ACTION and later.enqueued_at == T1


def test_claims_filter_by_kind_and_stop_at_the_limit(store: Store) -> None:
    add_events(store, 5)
    assert store.runs.claim(T0, lease=lease(), kinds=("task",), limit=3).result(30) == []
    assert len(store.runs.claim(T0, lease=lease(), kinds=("event",), limit=3).result(30)) == 3
    assert store.runs.count(status="due") == 2


def test_concurrent_claimers_never_start_the_same_run(
    store: Store, other: Store, tmp_path: Path, store_url: str | None
) -> None:
    add_events(store, 120)
    third = open_store(tmp_path, store_url)
    claimed: list[str] = []
    lock = threading.Lock()

    def claim_all(handle: Store, worker: str) -> None:
        while batch := handle.runs.claim(T0, lease=lease(worker), limit=3).result(30):
            with lock:
                claimed.extend(run.id for run in batch)

    try:
        with ThreadPoolExecutor(6) as pool:
            list(
                pool.map(
                    lambda args: claim_all(*args),
                    [(handle, f"w{index}") for index, handle in enumerate([store, other, third] * 2)],
                )
            )
    finally:
        third.close()
    assert len(claimed) == 120 and len(set(claimed)) == 120
    assert store.runs.count(status="started") == 120


def test_a_run_whose_lease_lapsed_is_taken_over_with_one_more_attempt(store: Store, other: Store) -> None:
    evt = add_events(store, 1)[0]
    [first] = store.runs.claim(T0, lease=lease("dead", T1)).result(30)
    assert other.runs.claim(T0, lease=lease("alive")).result(30) == []  # held until T1
    assert other.runs.next_run_at() == T1  # a sleeping worker wakes when the lease lapses
    [taken] = other.runs.claim(T2, lease=lease("alive", T3)).result(30)
    assert (taken.id, taken.attempts, taken.taken_over, taken.claimed_by) == (first.id, 2, True, "alive")
    assert taken.started_at == T2 and taken.event_id == evt.id


def test_a_late_outcome_of_a_taken_over_attempt_is_refused(store: Store, other: Store) -> None:
    add_events(store, 1)
    [stale] = store.runs.claim(T0, lease=lease("slow", T1)).result(30)
    [fresh] = other.runs.claim(T2, lease=lease("fast", T3)).result(30)
    late = Changes(runs=[new_run(RunKind.TASK, stale.event_id)])
    late.move(stale, RunStatus.SUCCEEDED, stopped_at=T2, result=["late"])
    with pytest.raises(Conflict, match="changed meanwhile"):
        store.runs.commit(late, now=T2).result(30)
    assert store.runs.count() == 1  # nothing of the refused unit of work was written
    outcome = Changes()
    outcome.move(fresh, RunStatus.SUCCEEDED, stopped_at=T2, result=["on time"])
    other.runs.commit(outcome, now=T2).result(30)
    done = store.runs.get(fresh.id)
    assert (done.status, done.result, done.lease_expires_at) == (RunStatus.SUCCEEDED, ["on time"], None)


def test_renewing_keeps_a_lease_only_for_its_holder(store: Store, other: Store) -> None:
    add_events(store, 2)
    first, second = store.runs.claim(T0, lease=lease("w1", T1), limit=2).result(30)
    assert store.runs.renew([first.id, second.id], lease("w1", T3)).result(30) == 2
    assert other.runs.renew([first.id], lease("intruder", T3)).result(30) == 0
    assert other.runs.claim(T2, lease=lease("w2")).result(30) == []  # both renewed past T2
    assert store.runs.get(first.id).lease_expires_at == T3


def test_a_commit_creates_events_with_routes_and_claims_in_the_same_transaction(store: Store) -> None:
    evt = add_events(store, 1)[0]
    [run] = store.runs.claim(T0, lease=lease()).result(30)
    child = event(topic="user/c/d", parent_id=evt.id, created_at=T1)
    later = event(topic="user/e/f", created_at=T1)
    changes = Changes(
        events=[
            NewEvent(child, task_ids=["t1"], origin_task_id="t1", origin_run_id=run.id),
            NewEvent(later, run_at=T3),
        ]
    )
    changes.move(run, RunStatus.SUCCEEDED, stopped_at=T1, result=[])
    claimed = store.runs.commit(changes, now=T1, claim=5, lease=lease("w1", T3)).result(30)
    assert [claimed_run.event_id for claimed_run in claimed] == [child.id]  # the scheduled one waits
    route = store.runs.route(child.id)
    assert (route.task_ids, route.origin_task_id, route.origin_run_id) == (["t1"], "t1", run.id)
    assert store.runs.route(later.id).task_ids is None
    [scheduled] = store.runs.list(event_id=later.id)
    assert (scheduled.status, scheduled.run_at) == (RunStatus.SCHEDULED, T3)


def test_listeners_hear_of_runs_that_came_due(store: Store) -> None:
    heard = threading.Event()
    unsubscribe = store.runs.on_due(heard.set)
    try:
        add_events(store, 1)
        assert heard.wait(10)
    finally:
        unsubscribe()


# -- retention, filters, the rest --------------------------------------------------------------------------
def test_purge_removes_complete_events_with_everything_they_own(store: Store) -> None:
    evt = event(webhook_id="hook", webhook_request_id=uuid7())
    store.events.add_from_webhook(evt, webhook_request(evt)).result(30)
    assert store.runs.purgeable_events(T3) == []  # its event run is still due
    [run] = store.runs.claim(T0, lease=lease()).result(30)
    done = Changes()
    done.move(run, RunStatus.SUCCEEDED, stopped_at=T1, result=[])
    store.runs.commit(done, now=T1).result(30)
    assert store.runs.purgeable_events(T1) == []  # stopped at T1, not before it
    assert store.runs.purgeable_events(T2) == [evt.id]
    assert store.runs.purge_events([evt.id]) == 1
    assert (store.events.count(), store.runs.count(), store.events.request(evt.webhook_request_id)) == (
        0,
        0,
        None,
    )


def test_event_filters_by_name(store: Store) -> None:
    store.runs.put_filter("b", "{{ false }}", T0)
    store.runs.put_filter("a", "x", T0)
    store.runs.put_filter("a", "y", T1)
    assert [(item["name"], item["source"]) for item in store.runs.filters()] == [
        ("a", "y"),
        ("b", "{{ false }}"),
    ]
    assert store.runs.remove_filter("a") and not store.runs.remove_filter("a")


def test_cache_read_modify_write_is_atomic(store: Store, other: Store) -> None:
    def increment(found: bool, value: object) -> tuple[str, object, int]:
        number = (value if found else 0) + 1  # type: ignore[operator]
        return "put", (number, T3), number

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda handle: handle.cache.update("n", T0, increment), [store, other] * 10))
    assert sorted(results) == list(range(1, 21))
    assert store.cache.get("n", T0) == (True, 20)
    assert store.cache.get("n", T3) == (False, None)  # expired at T3


def test_export_and_import_copy_every_record_in_order(store: Store, tmp_path: Path) -> None:
    events = add_events(store, 7)
    store.settings.put("timezone", "Europe/Paris")
    store.runs.put_filter("f", "x", T0)
    (tmp_path / "copy").mkdir()
    copy = open_store(tmp_path / "copy")
    try:
        for kind in store.counts():
            for batch in store.export(kind, batch=3):
                copy.import_records(kind, batch)
        assert copy.counts() == store.counts()
        assert [evt.id for evt in copy.events.list()] == [evt.id for evt in reversed(events)]
        assert copy.settings.all() == {"timezone": "Europe/Paris"}
    finally:
        copy.close()


def test_reopening_applies_no_migration_twice(store: Store, tmp_path: Path, store_url: str | None) -> None:
    store.settings.put("kept", True)
    again = open_store(tmp_path, store_url)
    try:
        assert again.settings.all() == {"kept": True}
        assert len(versions()) >= 6
    finally:
        again.close()


def test_writes_after_close_are_refused(tmp_path: Path, store_url: str | None) -> None:
    closed = open_store(tmp_path, store_url)
    closed.close()
    with pytest.raises(StoreError, match="closed"):
        closed.settings.put("x", 1)
