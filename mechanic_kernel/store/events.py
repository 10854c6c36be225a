"""SQL for events and the raw requests behind webhook events."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any

from ..models.events import Event
from ..models.events import RawRequest
from .database import AnyFuture
from .database import Database
from .database import Statement

_COLUMNS = "id, topic, data, source, created_at, webhook_id, webhook_request_id, parent_id"
_INSERT_EVENT = f"INSERT INTO events ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)"
_INSERT_REQUEST = (
    "INSERT INTO webhook_requests (request_id, event_id, webhook_id, client, mode, method, path, query_string,"
    " headers, body, client_ip, received_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
)


def _event(row: sqlite3.Row) -> Event:
    return Event(
        id=row["id"],
        topic=row["topic"],
        data=None if row["data"] is None else json.loads(row["data"]),
        source=row["source"],
        created_at=row["created_at"],
        webhook_id=row["webhook_id"],
        webhook_request_id=row["webhook_request_id"],
        parent_id=row["parent_id"],
    )


# json.dumps(value, ensure_ascii=False) builds a new encoder per call; one shared encoder gives the same text.
_to_json = json.JSONEncoder(ensure_ascii=False).encode


def _event_values(event: Event) -> tuple[Any, ...]:
    return (event.id, event.topic, _to_json(event.data), event.source, event.created_at,
            event.webhook_id, event.webhook_request_id, event.parent_id)


class _Recorder:
    """Stands in for a connection to collect the INSERTs a helper would run, so they can be batched."""

    __slots__ = ("statements",)

    def __init__(self, statements: list[Statement]) -> None:
        self.statements = statements

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        if sql.lstrip()[:6].upper() != "INSERT":
            raise TypeError(f"only INSERT statements can be recorded for a batched write, not {sql[:40]!r}")
        self.statements.append((sql, tuple(params)))


def insert_event_run(conn: sqlite3.Connection, event_id: str, created_at: str) -> None:
    """Queue the event run of a new event, in the transaction that stores the event."""
    from .runs import insert_event_run as insert

    insert(conn, event_id, created_at)


class EventStore:
    """Event rows and webhook request rows."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def add_from_webhook(self, event: Event, request: RawRequest, *,
                         loop: asyncio.AbstractEventLoop | None = None) -> AnyFuture:
        """Store an event with the request behind it and its event run, atomically.

        The future resolves once committed; it is an :class:`asyncio.Future` of ``loop`` when one is given.
        The rows are built here, on the caller's thread, and the writer merges them with other webhooks'
        rows into a few multi-row statements.
        """
        statements: list[Statement] = [
            (_INSERT_EVENT, _event_values(event)),
            (_INSERT_REQUEST, (
                request.request_id, event.id, request.webhook_id, request.client, request.mode, request.method,
                request.path, request.query_string, _to_json(request.headers), request.body,
                request.client_ip, request.received_at,
            )),
        ]
        # No event without its event run; the runs module decides what that row holds.
        insert_event_run(_Recorder(statements), event.id, event.created_at)  # type: ignore[arg-type]
        return self.db.insert(statements, loop=loop)

    def add(self, event: Event) -> Future[None]:
        """Store an event that no HTTP request created."""
        values = _event_values(event)

        def work(conn: sqlite3.Connection) -> None:
            conn.execute(_INSERT_EVENT, values)
            insert_event_run(conn, event.id, event.created_at)  # no event without its event run

        return self.db.write(work)

    def get(self, event_id: str) -> Event | None:
        """The event with this id or this webhook request id, or None."""
        row = self.db.query_one(
            f"SELECT {_COLUMNS} FROM events WHERE id = ? UNION ALL "
            f"SELECT {_COLUMNS} FROM events WHERE webhook_request_id = ? LIMIT 1",
            (event_id, event_id),
        )
        return _event(row) if row else None

    def list(self, *, topic: str | None = None, webhook_id: str | None = None, limit: int | None = 50,
             search: str | None = None) -> list[Event]:
        """Events newest first, optionally filtered by topic, webhook or a request/event id."""
        clauses, params = [], []
        if topic:
            clauses.append("topic = ?")
            params.append(topic)
        if webhook_id:
            clauses.append("webhook_id = ?")
            params.append(webhook_id)
        if search:
            clauses.append("(id = ? OR webhook_request_id = ? OR topic LIKE ? OR data LIKE ?)")
            params += [search, search, f"%{search}%", f"%{search}%"]
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        limit_sql = "" if limit is None else f"LIMIT {int(limit)}"
        rows = self.db.query(f"SELECT {_COLUMNS} FROM events {where} ORDER BY seq DESC {limit_sql}", tuple(params))
        return [_event(row) for row in rows]

    def count(self) -> int:
        """How many events are stored."""
        return self.db.query_one("SELECT count(*) FROM events")[0]

    def request(self, request_id: str) -> RawRequest | None:
        """The raw request with this id, or None."""
        row = self.db.query_one(
            "SELECT r.* FROM events AS e JOIN webhook_requests AS r ON r.event_id = e.id "
            "WHERE e.webhook_request_id = ?", (request_id,))
        if row is None:
            return None
        return RawRequest(
            request_id=row["request_id"],
            webhook_id=row["webhook_id"],
            client=row["client"],
            mode=row["mode"],
            method=row["method"],
            path=row["path"],
            query_string=row["query_string"],
            headers=[tuple(pair) for pair in json.loads(row["headers"])],
            body=bytes(row["body"]),
            client_ip=row["client_ip"],
            received_at=row["received_at"],
        )
