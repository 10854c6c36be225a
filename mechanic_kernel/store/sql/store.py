"""A store made of the shared SQL record stores over one backend's database and frames."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

from ..contract import FrameStore
from .cache import SqlCacheStore
from .database import Database
from .database import placeholders
from .events import SqlEventStore
from .files import SqlFileStore
from .outbox import SqlOutboxStore
from .runs import SqlRunStore
from .settings import SqlSettingsStore
from .tasks import SqlTaskStore
from .webhooks import SqlWebhookStore

# Every table of the schema but schema_migrations, parents before children, each with the columns that order
# its records (insertion order where the table keeps one). A copy writes them in this order.
RECORD_KINDS: dict[str, tuple[str, ...]] = {
    "webhooks": ("created_at", "id"),
    "settings": ("key",),
    "tasks": ("created_at", "id"),
    "task_subscriptions": ("task_id", "position"),
    "task_versions": ("seq",),
    "events": ("seq",),
    "webhook_requests": ("event_id",),
    "event_routes": ("event_id",),
    "runs": ("seq",),
    "event_filters": ("name",),
    "cache": ("key",),
    "cache_endpoints": ("created_at", "id"),
    "outbox": ("seq",),
    "email_templates": ("name",),
    "files": ("created_at", "token"),
}
# Columns stored as 0/1 by SQLite and as boolean by PostgreSQL.
_BOOLEAN_COLUMNS = frozenset({"enabled"})


class SqlStore:
    """Every record store of one database (see :class:`~..contract.Store`)."""

    def __init__(self, db: Database, frames: FrameStore, *, notifies_other_processes: bool) -> None:
        self.db = db
        self.url = db.url
        self.backend = db.dialect.name
        self.notifies_other_processes = notifies_other_processes
        self.webhooks = SqlWebhookStore(db)
        self.settings = SqlSettingsStore(db)
        self.events = SqlEventStore(db)
        self.tasks = SqlTaskStore(db)
        self.runs = SqlRunStore(db)
        self.cache = SqlCacheStore(db)
        self.outbox = SqlOutboxStore(db)
        self.files = SqlFileStore(db)
        self.frames = frames

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    def attach_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Let the database commit webhook events on ``loop`` (a backend may decline)."""
        self.db.attach_loop(loop)

    def counts(self) -> dict[str, int]:
        """Rows per record kind."""
        return {
            kind: int(self.db.query_one(f"SELECT count(*) AS n FROM {kind}")["n"]) for kind in RECORD_KINDS
        }

    def export(self, kind: str, batch: int = 1000) -> Iterator[list[dict[str, Any]]]:
        """Every record of one kind in order, in batches of dicts of the stored columns (no ``seq``)."""
        order = _order(kind)
        if order == ("seq",):
            last = 0
            while True:
                rows = self.db.query(
                    f"SELECT * FROM {kind} WHERE seq > ? ORDER BY seq LIMIT ?", (last, batch)
                )
                if not rows:
                    return
                last = rows[-1]["seq"]
                yield [_record(row) for row in rows]
        else:
            # Each order is a unique key, so a batch starts after the last key of the previous one: OFFSET
            # would rescan every earlier row per batch, quadratic in the table's size.
            columns = ", ".join(order)
            after: tuple[Any, ...] | None = None
            while True:
                if after is None:
                    rows = self.db.query(f"SELECT * FROM {kind} ORDER BY {columns} LIMIT ?", (batch,))
                else:
                    rows = self.db.query(
                        f"SELECT * FROM {kind} WHERE ({columns}) > "
                        f"({placeholders(len(order))}) ORDER BY {columns} LIMIT ?",
                        (*after, batch),
                    )
                if not rows:
                    return
                after = tuple(rows[-1][column] for column in order)
                yield [_record(row) for row in rows]

    def import_records(self, kind: str, records: list[dict[str, Any]]) -> None:
        """Insert exported records in their order, in one transaction."""
        _order(kind)
        if not records:
            return
        columns = list(records[0])
        rows = [
            [
                bool(record[column])
                if column in _BOOLEAN_COLUMNS and record[column] is not None
                else record[column]
                for column in columns
            ]
            for record in records
        ]
        sql = f"INSERT INTO {kind} ({', '.join(columns)}) VALUES ({placeholders(len(columns))})"
        self.db.write_sync(lambda tx: tx.executemany(sql, rows))

    def close(self) -> None:
        """Finish pending writes and release connections."""
        self.db.close()


def _order(kind: str) -> tuple[str, ...]:
    try:
        return RECORD_KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown record kind {kind!r}; known: {', '.join(RECORD_KINDS)}") from None


def _record(row: Any) -> dict[str, Any]:
    record = dict(row)
    record.pop("seq", None)
    for key, value in record.items():
        if isinstance(value, memoryview):
            record[key] = bytes(value)
    return record
