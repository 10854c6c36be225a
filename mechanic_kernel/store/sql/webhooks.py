"""Webhooks."""

from __future__ import annotations

from typing import Any

from ...models.webhooks import Webhook
from ...models.webhooks import WebhookMode
from .database import Database
from .database import Tx

_COLUMNS = "id, name, topic, mode, enabled, created_at, updated_at"


def _webhook(row: Any) -> Webhook:
    return Webhook(
        id=row["id"],
        name=row["name"],
        topic=row["topic"],
        mode=WebhookMode(row["mode"]),
        enabled=bool(row["enabled"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class SqlWebhookStore:
    """Webhook rows."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def insert(self, webhook: Webhook) -> None:
        """Store a new webhook."""
        values = (
            webhook.id,
            webhook.name,
            webhook.topic,
            webhook.mode.value,
            bool(webhook.enabled),
            webhook.created_at,
            webhook.updated_at,
        )
        self.db.write_sync(
            lambda tx: tx.execute(f"INSERT INTO webhooks ({_COLUMNS}) VALUES (?,?,?,?,?,?,?)", values)
        )

    def get(self, webhook_id: str) -> Webhook | None:
        """The webhook with this id, or None."""
        row = self.db.query_one(f"SELECT {_COLUMNS} FROM webhooks WHERE id = ?", (webhook_id,))
        return _webhook(row) if row else None

    def list(self) -> list[Webhook]:
        """Every webhook, oldest first."""
        return [
            _webhook(row) for row in self.db.query(f"SELECT {_COLUMNS} FROM webhooks ORDER BY created_at, id")
        ]

    def update(self, webhook_id: str, fields: dict[str, Any]) -> bool:
        """Set columns of one webhook; True if it exists."""
        assignments = ", ".join(f"{name} = ?" for name in fields)
        values = [
            value.value if isinstance(value, WebhookMode) else bool(value) if name == "enabled" else value
            for name, value in fields.items()
        ]
        unknown = set(fields) - set(_COLUMNS.split(", "))
        if unknown:
            raise ValueError(f"webhooks have no column {', '.join(sorted(unknown))}")

        def work(tx: Tx) -> bool:
            cursor = tx.execute(f"UPDATE webhooks SET {assignments} WHERE id = ?", (*values, webhook_id))
            return cursor.rowcount == 1

        return self.db.write_sync(work)

    def delete(self, webhook_id: str) -> bool:
        """Remove one webhook (its events stay); True if it existed."""
        return self.db.write_sync(
            lambda tx: tx.execute("DELETE FROM webhooks WHERE id = ?", (webhook_id,)).rowcount == 1
        )
