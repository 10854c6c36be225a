"""Events and the raw requests behind webhook events."""

from __future__ import annotations

import asyncio
from concurrent.futures import Future
from typing import Any

from ...models.events import Event
from ...models.events import RawRequest
from .database import Database
from .database import Statement
from .json import from_json
from .json import to_json
from .rows import EVENT_COLUMNS as COLUMNS
from .rows import INSERT_EVENT
from .rows import INSERT_RUN
from .rows import event_from_row
from .rows import event_run
from .rows import event_values
from .rows import run_values

_INSERT_REQUEST = (
    "INSERT INTO webhook_requests (request_id, event_id, webhook_id, client, mode, method, path,"
    " query_string,"
    " headers, body, client_ip, received_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
)


class SqlEventStore:
    """Event rows and webhook request rows."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def add_from_webhook(
        self, event: Event, request: RawRequest, *, loop: asyncio.AbstractEventLoop | None = None
    ) -> Any:
        """Store an event with the request behind it and its due event run, atomically.

        The rows are built here, on the caller's thread, and the writer merges them with other webhooks'
        rows into a few multi-row statements.
        """
        statements: list[Statement] = [
            (INSERT_EVENT, event_values(event)),
            (
                _INSERT_REQUEST,
                (
                    request.request_id,
                    event.id,
                    request.webhook_id,
                    request.client,
                    request.mode,
                    request.method,
                    request.path,
                    request.query_string,
                    to_json(request.headers),
                    request.body,
                    request.client_ip,
                    request.received_at,
                ),
            ),
            (INSERT_RUN, run_values(event_run(event.id, event.created_at))),
        ]
        return self.db.insert(statements, loop=loop, notify=True)

    def add(self, event: Event) -> Future[None]:
        """Store an event that no HTTP request created, with its due event run."""
        statements = [
            (INSERT_EVENT, event_values(event)),
            (INSERT_RUN, run_values(event_run(event.id, event.created_at))),
        ]
        return self.db.insert(statements, notify=True)  # type: ignore[return-value]

    def get(self, event_id: str) -> Event | None:
        """The event with this id or this webhook request id, or None."""
        row = self.db.query_one(
            f"SELECT {COLUMNS} FROM events WHERE id = ? UNION ALL "
            f"SELECT {COLUMNS} FROM events WHERE webhook_request_id = ? LIMIT 1",
            (event_id, event_id),
        )
        return event_from_row(row) if row else None

    def list(
        self,
        *,
        topic: str | None = None,
        webhook_id: str | None = None,
        limit: int | None = 50,
        search: str | None = None,
    ) -> list[Event]:
        """Events newest first, optionally filtered by topic, webhook or a search term."""
        clauses: list[str] = []
        params: list[Any] = []
        if topic:
            clauses.append("topic = ?")
            params.append(topic)
        if webhook_id:
            clauses.append("webhook_id = ?")
            params.append(webhook_id)
        if search:
            like, data = self.db.dialect.like, self.db.dialect.text.format("data")
            clauses.append(f"(id = ? OR webhook_request_id = ? OR topic {like} ? OR {data} {like} ?)")
            params += [search, search, f"%{search}%", f"%{search}%"]
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        limit_sql = "" if limit is None else f"LIMIT {int(limit)}"
        rows = self.db.query(
            f"SELECT {COLUMNS} FROM events {where} ORDER BY seq DESC {limit_sql}", tuple(params)
        )
        return [event_from_row(row) for row in rows]

    def count(self) -> int:
        """How many events are stored."""
        return int(self.db.query_one("SELECT count(*) AS n FROM events")["n"])

    def request(self, request_id: str) -> RawRequest | None:
        """The raw request with this id, or None."""
        row = self.db.query_one(
            "SELECT r.* FROM events AS e JOIN webhook_requests AS r ON r.event_id = e.id "
            "WHERE e.webhook_request_id = ?",
            (request_id,),
        )
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
            headers=[tuple(pair) for pair in from_json(row["headers"])],
            body=bytes(row["body"]),
            client_ip=row["client_ip"],
            received_at=row["received_at"],
        )

    def children_of(self, event_id: str) -> list[str]:
        """Ids of the child events of an event, oldest first."""
        return [
            row["id"]
            for row in self.db.query("SELECT id FROM events WHERE parent_id = ? ORDER BY seq", (event_id,))
        ]
