"""The cache (one JSON value per key, each with an expiry) and cache endpoints."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any
from typing import TypeVar

from .database import Database
from .database import Tx

T = TypeVar("T")


class SqlCacheStore:
    """Cache rows and cache endpoint rows. Expired rows read as absent; writes drop them lazily."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, key: str, now: str) -> tuple[bool, Any]:
        """``(found, value)`` for a key that has not expired at ``now``."""
        row = self.db.query_one("SELECT value FROM cache WHERE key = ? AND expires_at > ?", (key, now))
        return (False, None) if row is None else (True, json.loads(row["value"]))

    def items(self, now: str) -> list[tuple[str, Any]]:
        """Every live ``(key, value)``, by key."""
        rows = self.db.query("SELECT key, value FROM cache WHERE expires_at > ? ORDER BY key", (now,))
        return [(row["key"], json.loads(row["value"])) for row in rows]

    def expiry(self, key: str, now: str) -> str | None:
        """When a live key expires (ISO-8601), or None."""
        row = self.db.query_one("SELECT expires_at FROM cache WHERE key = ? AND expires_at > ?", (key, now))
        return row["expires_at"] if row else None

    def update(self, key: str, now: str, change: Callable[[bool, Any], tuple[str, Any, T]]) -> T:
        """Read-modify-write one key in a single transaction of the writer thread.

        ``change(found, value)`` returns ``(op, new_value_or_expiry, result)``: op ``"put"`` stores
        ``(value, expires_at)``, ``"del"`` deletes the key. What it raises reaches the caller; nothing is
        written then.
        """

        def work(tx: Tx) -> T:
            if self.db.dialect.key_lock:
                tx.execute(self.db.dialect.key_lock, (f"cache:{key}",))
            row = tx.execute(
                "SELECT value FROM cache WHERE key = ? AND expires_at > ?", (key, now)
            ).fetchone()
            op, payload, result = change(row is not None, None if row is None else json.loads(row["value"]))
            if op == "del":
                tx.execute("DELETE FROM cache WHERE key = ?", (key,))
            else:
                value, expires_at = payload
                tx.execute(
                    "INSERT INTO cache (key, value, expires_at) VALUES (?,?,?) ON CONFLICT (key) "
                    "DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at",
                    (key, json.dumps(value, ensure_ascii=False), expires_at),
                )
            tx.execute("DELETE FROM cache WHERE expires_at <= ?", (now,))
            return result

        return self.db.write_sync(work)

    # -- endpoints ---------------------------------------------------------------------------------------
    def add_endpoint(self, key: str, created_at: str) -> dict[str, Any]:
        """A new endpoint serving ``key``."""
        endpoint = {"id": str(uuid.uuid4()), "key": key, "created_at": created_at}
        self.db.write_sync(
            lambda tx: tx.execute(
                "INSERT INTO cache_endpoints (id, key, created_at) VALUES (?, ?, ?)",
                (endpoint["id"], key, created_at),
            )
        )
        return endpoint

    def endpoint(self, endpoint_id: str) -> dict[str, Any] | None:
        """One endpoint, or None."""
        row = self.db.query_one(
            "SELECT id, key, created_at FROM cache_endpoints WHERE id = ?", (endpoint_id,)
        )
        return dict(row) if row else None

    def endpoints(self) -> list[dict[str, Any]]:
        """Every endpoint, oldest first."""
        return [
            dict(row)
            for row in self.db.query(
                "SELECT id, key, created_at FROM cache_endpoints ORDER BY created_at, id"
            )
        ]

    def remove_endpoint(self, endpoint_id: str) -> bool:
        """Delete an endpoint; False when it did not exist."""
        return self.db.write_sync(
            lambda tx: tx.execute("DELETE FROM cache_endpoints WHERE id = ?", (endpoint_id,)).rowcount == 1
        )
