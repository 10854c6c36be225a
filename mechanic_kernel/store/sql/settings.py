"""Settings: one JSON value per key."""

from __future__ import annotations

import json
from typing import Any

from .database import Database


class SqlSettingsStore:
    """Setting rows."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def all(self) -> dict[str, Any]:
        """Every stored setting."""
        return {
            row["key"]: json.loads(row["value"]) for row in self.db.query("SELECT key, value FROM settings")
        }

    def put(self, key: str, value: Any) -> None:
        """Store one setting."""
        text = json.dumps(value)
        self.db.write_sync(
            lambda tx: tx.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, text),
            )
        )

    def remove(self, key: str) -> None:
        """Forget one setting (it falls back to its default)."""
        self.db.write_sync(lambda tx: tx.execute("DELETE FROM settings WHERE key = ?", (key,)))
