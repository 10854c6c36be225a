"""Pandas views: dtypes, filters pushed down to SQL, flattening, chunked reads, runs and logs of a real task."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from mechanic_kernel import InvalidInput
from mechanic_kernel import Workbench
from mechanic_kernel.clock import FrozenClock
from mechanic_kernel.models.events import Event
from mechanic_kernel.store.contract import EventQuery
from mechanic_kernel.store.sqlite import frames as store_frames

START = "2026-03-01T12:00:00Z"
TIME = pd.DatetimeTZDtype("ns", "UTC")
TOPICS = ["user/orders/created", "user/orders/paid", "user/customers/updated"]


@pytest.fixture
def clock() -> FrozenClock:
    """A clock frozen at :data:`START`."""
    return FrozenClock(START)


@pytest.fixture
def bench(tmp_path: Path, clock: FrozenClock, store_url: str | None) -> Iterator[Workbench]:
    """A workbench whose clock only moves when a test moves it."""
    workbench = Workbench(tmp_path / "home", clock=clock, store=store_url)
    yield workbench
    workbench.close()


@pytest.fixture
def stored(bench: Workbench, clock: FrozenClock) -> list[Event]:
    """Twelve user events, one per second from START, cycling through :data:`TOPICS`; oldest first."""
    events = []
    for number in range(12):
        events.append(bench.emit_event(TOPICS[number % 3], {"n": number, "customer": {"email": f"c{number}@x.io"}}))
        clock.advance(seconds=1)
    return events


def at(seconds: float) -> dt.datetime:
    """START plus ``seconds``."""
    return dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC) + dt.timedelta(seconds=seconds)


def ids(frame: pd.DataFrame) -> list[str]:
    """The ``id`` column as a list."""
    return list(frame["id"])


def newest_first(events: list[Event]) -> list[str]:
    """Ids of ``events`` (oldest first) in the views' order."""
    return [event.id for event in reversed(events)]


# -- events ------------------------------------------------------------------------------------------------------
def test_event_columns_and_dtypes(bench: Workbench, stored: list[Event]) -> None:
    frame = bench.events()
    assert list(frame.columns) == ["id", "topic", "created_at", "source", "webhook_id", "webhook_request_id",
                                   "parent_id", "data"]
    assert frame["created_at"].dtype == TIME
    for column in ("topic", "source", "webhook_id"):
        assert isinstance(frame[column].dtype, pd.CategoricalDtype), column
    for column in ("id", "webhook_request_id", "parent_id", "data"):
        assert frame[column].dtype == "str", column
    assert ids(frame) == newest_first(stored)
    assert frame.loc[0, "created_at"] == pd.Timestamp(at(11))
    assert sorted(frame["topic"].cat.categories) == sorted(TOPICS)
    assert frame["source"].iloc[0] == "user" and frame["webhook_id"].isna().all()
    assert json.loads(frame.loc[11, "data"]) == {"n": 0, "customer": {"email": "c0@x.io"}}


def test_empty_store_keeps_columns_and_dtypes(bench: Workbench) -> None:
    for frame in (bench.events(), bench.events(flatten=True), bench.events(limit=5)):
        assert len(frame) == 0
        assert {"id", "topic", "created_at", "webhook_request_id"} <= set(frame.columns)
        assert frame["created_at"].dtype == TIME and isinstance(frame["topic"].dtype, pd.CategoricalDtype)


@pytest.mark.parametrize("topic", [TOPICS[0], [TOPICS[0]], [TOPICS[0], TOPICS[2]], ("user/none/such",)])
def test_topic_filter_matches_a_python_filter(bench: Workbench, stored: list[Event], topic) -> None:
    wanted = {topic} if isinstance(topic, str) else set(topic)
    assert ids(bench.events(topic=topic)) == newest_first([e for e in stored if e.topic in wanted])


def test_webhook_filter(workbench: Workbench, webhook, server, http) -> None:
    other = workbench.webhooks.create("Other", "user/other/thing")
    http.post(workbench.webhooks.url(webhook), json={"a": 1})
    http.post(workbench.webhooks.url(other), json={"b": 2})
    workbench.emit_event("user/no/webhook", {})
    frame = workbench.events(webhook_id=webhook.id)
    assert list(frame["topic"]) == ["user/webhook/test"] and list(frame["webhook_id"]) == [webhook.id]
    assert frame["webhook_request_id"].notna().all() and frame["source"].iloc[0] == "webhook"
    assert len(workbench.events(webhook_id=[webhook.id, other.id])) == 2
    assert len(workbench.events()) == 3


def test_since_is_inclusive_and_until_exclusive(bench: Workbench, stored: list[Event]) -> None:
    assert ids(bench.events(since=at(3), until=at(6))) == newest_first(stored[3:6])
    assert ids(bench.events(since=at(3))) == newest_first(stored[3:])
    assert ids(bench.events(until=at(3))) == newest_first(stored[:3])
    assert ids(bench.events(since=at(3), until=at(3))) == []


def test_time_bounds_accept_strings_naive_datetimes_dates_and_offsets(bench: Workbench, stored: list[Event]) -> None:
    expected = newest_first(stored[3:6])
    assert ids(bench.events(since="2026-03-01T12:00:03Z", until="2026-03-01T12:00:06.000Z")) == expected
    assert ids(bench.events(since="2026-03-01T13:00:03+01:00", until="2026-03-01T12:00:06")) == expected
    assert ids(bench.events(since=dt.datetime(2026, 3, 1, 12, 0, 3), until=pd.Timestamp(at(6)))) == expected
    assert ids(bench.events(since=dt.date(2026, 3, 1), until=dt.date(2026, 3, 2))) == newest_first(stored)


def test_sub_millisecond_bounds_round_like_the_stored_times(bench: Workbench, stored: list[Event]) -> None:
    # Stored times have milliseconds; 12:00:03.0004 is after the event at 12:00:03.000 and before 12:00:03.001.
    bound = at(3) + dt.timedelta(microseconds=400)
    assert ids(bench.events(since=bound, until=at(5))) == newest_first(stored[4:5])
    assert ids(bench.events(since=at(1), until=bound)) == newest_first(stored[1:4])


def test_limit_keeps_the_newest(bench: Workbench, stored: list[Event]) -> None:
    assert ids(bench.events(limit=3)) == newest_first(stored[-3:])
    assert ids(bench.events(limit=0)) == []
    assert ids(bench.events(limit=100)) == newest_first(stored)
    assert ids(bench.events(topic=TOPICS[1], limit=2)) == newest_first([e for e in stored if e.topic == TOPICS[1]][-2:])


@pytest.mark.sqlite_only
def test_filters_are_pushed_down_to_sql(bench: Workbench, stored: list[Event]) -> None:
    statements: list[str] = []
    bench.store.db.reader().set_trace_callback(statements.append)
    try:
        frame = bench.events(topic=[TOPICS[0], TOPICS[1]], since=at(1), until=at(9), limit=100_000)
        bench.events(webhook_id="w", limit=10)
    finally:
        bench.store.db.reader().set_trace_callback(None)
    assert ids(frame) == newest_first([e for e in stored[1:9] if e.topic != TOPICS[2]])
    # The queries that read rows (not the min/max seeks that bound the chunks) carry every filter.
    queries = [sql for sql in statements if "group_concat" in sql or "ORDER BY seq" in sql]
    assert any("group_concat" in sql for sql in queries) and "LIMIT 10" in queries[-1]
    for sql in queries[:-1]:
        assert "topic IN ('user/orders/created', 'user/orders/paid')" in sql
        assert "created_at >= '2026-03-01T12:00:01.000Z'" in sql and "created_at < '2026-03-01T12:00:09.000Z'" in sql
    assert "webhook_id = 'w'" in queries[-1]


def test_where_builder() -> None:
    where = store_frames.event_where(EventQuery(topics=["a"], webhook_ids=["w1", "w2"], since="s", until="u"))
    assert where.sql() == " WHERE topic = ? AND webhook_id IN (?, ?) AND created_at >= ? AND created_at < ?"
    assert where.params == ["a", "w1", "w2", "s", "u"]
    assert store_frames.event_where(EventQuery()).sql() == ""


@pytest.mark.sqlite_only
def test_chunk_bounds_are_supersets_intersected(bench: Workbench, stored: list[Event]) -> None:
    cursor = bench.store.db.reader().cursor()
    seqs = {event.id: seq for seq, event in enumerate(stored, start=1)}  # a fresh store numbers rows from 1
    paid = [seqs[event.id] for event in stored if event.topic == TOPICS[1]]
    assert store_frames.seq_range(cursor, store_frames.event_where(EventQuery())) == (1, 12)
    assert store_frames.seq_range(cursor, store_frames.event_where(EventQuery(topics=[TOPICS[1]]))) == (min(paid), max(paid))
    assert store_frames.seq_range(cursor, store_frames.event_where(EventQuery(
        topics=[TOPICS[1]], since="2026-03-01T12:00:03.000Z", until="2026-03-01T12:00:06.000Z"))) == (4, 6)
    assert store_frames.seq_range(cursor, store_frames.event_where(EventQuery(topics=["user/none/such"]))) is None
    assert store_frames.seq_range(cursor, store_frames.event_where(EventQuery(since="2026-03-01T13:00:00.000Z"))) is None
    # Each range holds rows, their intersection none: topic rows are 2..11, the time range holds row 1 only.
    assert store_frames.seq_range(cursor, store_frames.event_where(EventQuery(
        topics=[TOPICS[1]], until="2026-03-01T12:00:01.000Z"))) is None


def test_flatten_and_parse(bench: Workbench, stored: list[Event]) -> None:
    bench.emit_event("user/plain/text", "just text")
    flat = bench.events(flatten=True)
    assert flat.loc[1, "data.customer.email"] == "c11@x.io" and flat.loc[1, "data.n"] == 11
    assert flat.loc[0, "data"] == "just text" and pd.isna(flat.loc[1, "data"])
    parsed = bench.events(parse=True)
    assert parsed["data"].dtype == object
    assert parsed.loc[1, "data"] == {"n": 11, "customer": {"email": "c11@x.io"}}
    assert parsed.loc[0, "data"] == "just text"
    raw = bench.events()
    assert raw.loc[0, "data"] == '"just text"'


@pytest.mark.sqlite_only
@pytest.mark.parametrize("chunk", [1, 2, 5])
def test_chunked_reads_give_the_same_frame(bench: Workbench, stored: list[Event], monkeypatch, chunk) -> None:
    whole = bench.events()
    monkeypatch.setattr(store_frames, "CHUNK", chunk)
    pd.testing.assert_frame_equal(bench.events(), whole)
    pd.testing.assert_frame_equal(bench.events(topic=TOPICS[:2]), whole[whole["topic"] != TOPICS[2]]
                                  .reset_index(drop=True), check_categorical=False)
    # A limit above the chunk size ends inside a chunk.
    pd.testing.assert_frame_equal(bench.events(limit=7), whole.head(7), check_categorical=False)


def test_text_holding_the_separator_is_read_row_by_row(bench: Workbench, stored: list[Event]) -> None:
    odd = Event(id="odd-event", topic="user/odd/one", data={"k": 1}, source="a\x1fb",
                created_at="2026-03-01T12:00:30.000Z")
    bench.store.events.add(odd).result()
    frame = bench.events()
    assert frame.loc[0, "id"] == "odd-event" and frame.loc[0, "source"] == "a\x1fb"
    assert ids(frame)[1:] == newest_first(stored)


def test_unparseable_stored_time_becomes_nat(bench: Workbench) -> None:
    bench.store.events.add(Event(id="bad-time", topic="user/x/y", data=None, source="user",
                                 created_at="not a time")).result()
    frame = bench.events()
    assert pd.isna(frame.loc[0, "created_at"]) and pd.isna(frame.loc[0, "data"]) is False


@pytest.mark.parametrize(("filters", "message"), [
    ({"topic": 42}, "topic must be a non-empty string"),
    ({"topic": []}, "topic must be a non-empty string"),
    ({"topic": ["ok", None]}, "topic must be a non-empty string"),
    ({"webhook_id": {"a": 1}}, "webhook_id must be"),
    ({"since": "yesterday-ish"}, "since 'yesterday-ish' is not an ISO-8601 time"),
    ({"until": 1234}, "until must be a datetime or an ISO-8601 string"),
    ({"since": at(5), "until": at(1)}, "since .* is later than until"),
    ({"limit": -1}, "limit must be None or a whole number >= 0"),
    ({"limit": True}, "limit must be None or a whole number"),
    ({"limit": 2.5}, "limit must be None or a whole number"),
])
def test_bad_event_filters_raise_invalid_input(bench: Workbench, filters, message) -> None:
    with pytest.raises(InvalidInput, match=message):
        bench.events(**filters)


# -- runs and logs ------------------------------------------------------------------------------------------------
SCRIPT = '{% log "rendering" %}{% log count: 2 %}{% action "echo", "first" %}{% action "echo", n: event.data.n %}'


@pytest.fixture
def performed(bench: Workbench, clock: FrozenClock) -> dict:
    """An echo task and a failing task answering events; every run performed."""
    good = bench.tasks.create("Echo", script=SCRIPT, subscriptions=["user/orders/created"], check_preview=False)
    bad = bench.tasks.create("Broken", script='{% error "bad thing" %}', subscriptions=["user/orders/paid"],
                             check_preview=False)
    first = bench.emit_event("user/orders/created", {"n": 1})
    bench.worker.run_until_idle(max_runs=200)
    clock.advance(seconds=10)
    second = bench.emit_event("user/orders/paid", {"n": 2})
    bench.worker.run_until_idle(max_runs=200)
    return {"good": good, "bad": bad, "first": first, "second": second}


def test_task_runs_frame(bench: Workbench, performed: dict) -> None:
    frame = bench.task_runs()
    assert list(frame["task_name"]) == ["Broken", "Echo"]
    assert list(frame["status"]) == ["failed", "succeeded"]
    assert list(frame["event_id"]) == [performed["second"].id, performed["first"].id]
    assert list(frame["actions"]) == [0, 2] and list(frame["logs"]) == [0, 2] and list(frame["errors"]) == [1, 0]
    assert frame.loc[0, "error"] == "bad thing" and pd.isna(frame.loc[1, "error"])
    assert frame["status"].dtype == pd.CategoricalDtype(["scheduled", "due", "started", "succeeded", "failed",
                                                         "cancelled"])
    for column in ("created_at", "run_at", "started_at", "stopped_at"):
        assert frame[column].dtype == TIME, column
    assert frame.loc[1, "created_at"] == pd.Timestamp(START)
    assert frame["attempts"].dtype == "Int64" and list(frame["attempts"]) == [1, 1]
    assert list(bench.task_runs(status="failed")["task_name"]) == ["Broken"]
    assert list(bench.task_runs(task_id=performed["good"].id)["task_name"]) == ["Echo"]
    assert list(bench.task_runs(topic="user/orders/paid")["task_name"]) == ["Broken"]
    assert list(bench.task_runs(since=at(5))["task_name"]) == ["Broken"]
    assert list(bench.task_runs(until=at(10))["task_name"]) == ["Echo"]
    assert len(bench.task_runs(limit=1)) == 1


def test_action_runs_frame(bench: Workbench, performed: dict) -> None:
    frame = bench.action_runs()
    assert list(frame["position"]) == [1, 0] and frame["position"].dtype == "Int64"
    assert list(frame["type"]) == ["echo", "echo"] and isinstance(frame["type"].dtype, pd.CategoricalDtype)
    assert list(frame["status"]) == ["succeeded", "succeeded"]
    assert list(frame["options"]) == ['{"n":1}', '"first"']
    assert json.loads(frame.loc[0, "result"]) == {"n": 1}
    task_run = bench.task_runs(status="succeeded").loc[0, "id"]
    assert set(frame["task_run_id"]) == {task_run} and set(frame["task_id"]) == {performed["good"].id}
    parsed = bench.action_runs(parse=True)
    assert list(parsed["options"]) == [{"n": 1}, "first"]
    assert bench.action_runs(status="failed").empty and bench.action_runs(topic="user/orders/paid").empty


def test_logs_frame(bench: Workbench, performed: dict) -> None:
    frame = bench.logs()
    assert list(zip(frame["task_name"], frame["level"], frame["position"], frame["message"], strict=True)) == [
        ("Broken", "error", 0, "bad thing"),
        ("Echo", "log", 0, "rendering"),
        ("Echo", "log", 1, '{"count":2}'),
    ]
    assert frame["created_at"].dtype == TIME and frame["message"].dtype == "str"
    assert list(bench.logs(status="succeeded")["message"]) == ["rendering", '{"count":2}']
    assert list(bench.logs(task_id=performed["bad"].id, limit=5)["level"]) == ["error"]
    assert len(bench.logs(limit=2)) == 2


def test_runs_views_of_an_empty_store(bench: Workbench) -> None:
    for frame in (bench.task_runs(), bench.action_runs(), bench.logs()):
        assert len(frame) == 0 and frame["created_at"].dtype == TIME and "status" in frame.columns


@pytest.mark.parametrize(("filters", "message"), [
    ({"status": "done"}, "unknown status 'done': a status is one of scheduled, due, started"),
    ({"status": ["failed", "nope"]}, "unknown status 'nope'"),
    ({"task_id": 7}, "task_id must be a non-empty string"),
    ({"since": "later"}, "not an ISO-8601 time"),
    ({"limit": -3}, "limit must be"),
])
def test_bad_run_filters_raise_invalid_input(bench: Workbench, filters, message) -> None:
    for view in (bench.task_runs, bench.action_runs, bench.logs):
        with pytest.raises(InvalidInput, match=message):
            view(**filters)


def test_error_objects_that_are_not_strings_read_as_json(bench: Workbench) -> None:
    bench.tasks.create("Coded", script='{% error code: 7 %}{% error 5 %}', subscriptions=["user/orders/created"],
                       check_preview=False)
    bench.emit_event("user/orders/created", {})
    bench.worker.run_until_idle(max_runs=50)
    (error,) = bench.task_runs()["error"]
    assert json.loads(error) == [{"code": 7}, 5]
    assert list(bench.logs()["message"]) == ['{"code":7}', "5"]


@pytest.mark.sqlite_only
def test_chunks_read_one_snapshot_while_the_store_changes(bench: Workbench, stored: list[Event], monkeypatch) -> None:
    monkeypatch.setattr(store_frames, "CHUNK", 2)
    real = store_frames.events_sql
    purged = []

    def events_sql_then_purge(*args, **kwargs):  # retention deletes the oldest event after the first chunk query
        if not purged:
            purged.append(bench.store.runs.purge_events([stored[0].id]))
        return real(*args, **kwargs)

    monkeypatch.setattr(store_frames, "events_sql", events_sql_then_purge)
    assert ids(bench.events(limit=100)) == newest_first(stored)  # the oldest chunk, read last, still has it
    assert purged == [1] and not bench.store.db.reader().in_transaction
    assert ids(bench.events(limit=100)) == newest_first(stored[1:])
