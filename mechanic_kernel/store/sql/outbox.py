"""The email outbox and the account's email templates."""

from __future__ import annotations

import json
from typing import Any

from ...errors import InvalidInput
from ...errors import NotFound
from .database import Database

# Columns holding JSON text; they are decoded on the way out so callers only ever see plain values.
_JSON_COLUMNS = ("to_addresses", "cc_addresses", "bcc_addresses", "headers", "attachments")
_COLUMNS = (
    "id",
    "action_run_id",
    "status",
    "message_id",
    "from_address",
    "from_display_name",
    "to_addresses",
    "cc_addresses",
    "bcc_addresses",
    "reply_to",
    "subject",
    "body",
    "html",
    "template",
    "headers",
    "attachments",
    "raw",
    "error",
    "created_at",
    "sent_at",
)
_LIST_COLUMNS = ", ".join(column for column in _COLUMNS if column not in ("raw", "body", "html"))
_TEMPLATE_NAME_MAX = 100


def _message(row: Any) -> dict[str, Any]:
    record = dict(row)
    for column in _JSON_COLUMNS:
        if column in record:
            record[column] = json.loads(record[column])
    if "raw" in record:
        record["raw"] = bytes(record["raw"])
    return record


class SqlOutboxStore:
    """Outbox messages (every email action, whether captured or delivered) and email templates.

    Messages are plain dicts with the columns of the ``outbox`` table; address columns are lists.
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- messages ----------------------------------------------------------------------------------------
    def put(self, message: dict[str, Any]) -> None:
        """Store a message, replacing the one with the same id (a retried delivery updates its row)."""
        values = [
            json.dumps(message[column]) if column in _JSON_COLUMNS else message.get(column)
            for column in _COLUMNS
        ]
        columns = ", ".join(_COLUMNS)
        updates = ", ".join(f"{column} = excluded.{column}" for column in _COLUMNS if column != "id")
        self.db.write_sync(
            lambda tx: tx.execute(
                f"INSERT INTO outbox ({columns}) VALUES ({', '.join('?' * len(_COLUMNS))}) "
                f"ON CONFLICT (id) DO UPDATE SET {updates}",
                values,
            )
        )

    def get(self, message_id: str) -> dict[str, Any]:
        """One message with its body, rendered HTML and raw RFC 5322 bytes (``raw``).

        Raises:
            NotFound: no message with that id (or action run id).
        """
        row = self.db.query_one(
            f"SELECT {', '.join(_COLUMNS)} FROM outbox WHERE id = ? OR action_run_id = ?",
            (message_id, message_id),
        )
        if row is None:
            raise NotFound(f"no outbox message with id {message_id!r}")
        return _message(row)

    def of_action_run(self, action_run_id: str) -> dict[str, Any] | None:
        """The message an action run produced, or None."""
        row = self.db.query_one(
            f"SELECT {', '.join(_COLUMNS)} FROM outbox WHERE action_run_id = ?", (action_run_id,)
        )
        return _message(row) if row else None

    def list(self, *, limit: int | None = 50, status: str | None = None) -> list[dict[str, Any]]:
        """Messages newest first, without their bodies."""
        sql = f"SELECT {_LIST_COLUMNS} FROM outbox"
        params: list[Any] = []
        if status is not None:
            sql += " WHERE status = ?"
            params.append(status)
        sql += " ORDER BY seq DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [_message(row) for row in self.db.query(sql, tuple(params))]

    # -- templates ---------------------------------------------------------------------------------------
    def set_template(self, name: str, body: str, *, updated_at: str) -> None:
        """Create or replace the email template ``name`` (Liquid; ``{{ body }}`` is the email's body).

        Raises:
            InvalidInput: an empty or overlong name, or a body that is not text.
        """
        if not isinstance(name, str) or not name.strip() or len(name) > _TEMPLATE_NAME_MAX:
            raise InvalidInput(f"an email template name must be 1 to {_TEMPLATE_NAME_MAX} characters")
        if not isinstance(body, str):
            raise InvalidInput("an email template body must be text (Liquid)")
        self.db.write_sync(
            lambda tx: tx.execute(
                "INSERT INTO email_templates (name, body, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
                (name, body, updated_at),
            )
        )

    def template(self, name: str) -> str | None:
        """The Liquid source of one template, or None."""
        row = self.db.query_one("SELECT body FROM email_templates WHERE name = ?", (name,))
        return row["body"] if row else None

    def templates(self) -> list[dict[str, Any]]:
        """Every template (name, body, updated_at), by name."""
        return [
            dict(row)
            for row in self.db.query("SELECT name, body, updated_at FROM email_templates ORDER BY name")
        ]

    def delete_template(self, name: str) -> bool:
        """Remove one template; True if it existed."""
        return self.db.write_sync(
            lambda tx: tx.execute("DELETE FROM email_templates WHERE name = ?", (name,)).rowcount == 1
        )
