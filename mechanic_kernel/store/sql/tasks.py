"""Tasks, their subscriptions and their saved versions."""

from __future__ import annotations

import json
from typing import Any

from ...models.tasks import Task
from ..contract import SubscriptionLine
from .database import Database
from .database import Tx

# Columns of their own for what SQL filters or sorts by; every other field lives in the JSON body.
_OWN_COLUMNS = ("id", "name", "enabled", "created_at", "updated_at")
_SELECT = "SELECT id, name, enabled, body, created_at, updated_at FROM tasks"


def _task(row: Any) -> Task:
    body = json.loads(row["body"])
    return Task(
        id=row["id"],
        name=row["name"],
        enabled=bool(row["enabled"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        **body,
    )


def _body(task: Task) -> str:
    return json.dumps(
        {key: value for key, value in task.to_dict().items() if key not in _OWN_COLUMNS}, ensure_ascii=False
    )


def _write_subscriptions(tx: Tx, task_id: str, subscriptions: list[SubscriptionLine]) -> None:
    tx.execute("DELETE FROM task_subscriptions WHERE task_id = ?", (task_id,))
    # A line repeated verbatim routes once: one task run per distinct subscription (docs/decisions.md).
    distinct = list({sub.line: sub for sub in reversed(subscriptions)}.values())[::-1]
    if not distinct:
        return
    tx.executemany(
        "INSERT INTO task_subscriptions (task_id, position, topic, offset_amount, offset_unit, line)"
        " VALUES (?,?,?,?,?,?)",
        [
            (task_id, position, sub.topic, sub.offset_amount, sub.offset_unit, sub.line)
            for position, sub in enumerate(distinct)
        ],
    )


class SqlTaskStore:
    """Task rows, subscription rows and version rows."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def insert(self, task: Task, subscriptions: list[SubscriptionLine]) -> None:
        """Store a new task with its subscriptions."""
        values = (task.id, task.name, bool(task.enabled), _body(task), task.created_at, task.updated_at)

        def work(tx: Tx) -> None:
            tx.execute(
                "INSERT INTO tasks (id, name, enabled, body, created_at, updated_at) VALUES (?,?,?,?,?,?)",
                values,
            )
            _write_subscriptions(tx, task.id, subscriptions)

        self.db.write_sync(work)

    def replace(self, task: Task, subscriptions: list[SubscriptionLine], *, saved_at: str) -> bool:
        """Overwrite a task, first keeping its current state as a version; True if it existed."""
        values = (task.name, bool(task.enabled), _body(task), task.updated_at, task.id)

        def work(tx: Tx) -> bool:
            row = tx.execute(f"{_SELECT} WHERE id = ?{self.db.dialect.for_update}", (task.id,)).fetchone()
            if row is None:
                return False
            version = tx.execute(
                "SELECT COALESCE(MAX(version), 0) + 1 AS next FROM task_versions WHERE task_id = ?",
                (task.id,),
            ).fetchone()["next"]
            tx.execute(
                "INSERT INTO task_versions (task_id, version, body, saved_at) VALUES (?,?,?,?)",
                (task.id, version, json.dumps(_task(row).to_dict(), ensure_ascii=False), saved_at),
            )
            tx.execute(
                "UPDATE tasks SET name = ?, enabled = ?, body = ?, updated_at = ? WHERE id = ?", values
            )
            _write_subscriptions(tx, task.id, subscriptions)
            return True

        return self.db.write_sync(work)

    def set_enabled(self, task_id: str, enabled: bool, updated_at: str) -> bool:
        """Enable or disable a task without keeping a version; True if it exists."""
        return self.db.write_sync(
            lambda tx: (
                tx.execute(
                    "UPDATE tasks SET enabled = ?, updated_at = ? WHERE id = ?",
                    (bool(enabled), updated_at, task_id),
                ).rowcount
                == 1
            )
        )

    def get(self, task_id: str) -> Task | None:
        """The task with this id, or None."""
        row = self.db.query_one(f"{_SELECT} WHERE id = ?", (task_id,))
        return _task(row) if row else None

    def by_name(self, name: str) -> list[Task]:
        """Tasks with exactly this name, oldest first."""
        return [
            _task(row) for row in self.db.query(f"{_SELECT} WHERE name = ? ORDER BY created_at, id", (name,))
        ]

    def list(self, *, enabled: bool | None = None) -> list[Task]:
        """Every task (or only enabled/disabled ones), by name."""
        if enabled is None:
            rows = self.db.query(f"{_SELECT} ORDER BY name, created_at, id")
        else:
            rows = self.db.query(
                f"{_SELECT} WHERE enabled = ? ORDER BY name, created_at, id", (bool(enabled),)
            )
        return [_task(row) for row in rows]

    def subscribed(self, topic: str) -> list[tuple[Task, SubscriptionLine]]:
        """Enabled tasks subscribed to ``topic``, one pair per distinct subscription."""
        rows = self.db.query(
            "SELECT t.id, t.name, t.enabled, t.body, t.created_at, t.updated_at,"
            " s.topic, s.offset_amount, s.offset_unit, s.line"
            " FROM task_subscriptions s JOIN tasks t ON t.id = s.task_id"
            " WHERE s.topic = ? AND t.enabled = ? ORDER BY t.created_at, t.id, s.position",
            (topic, True),
        )
        return [
            (
                _task(row),
                SubscriptionLine(row["topic"], row["offset_amount"], row["offset_unit"], row["line"]),
            )
            for row in rows
        ]

    def versions(self, task_id: str) -> list[dict[str, Any]]:
        """Earlier versions of a task, oldest first: ``{"version", "saved_at", "task"}``."""
        rows = self.db.query(
            "SELECT version, body, saved_at FROM task_versions WHERE task_id = ? ORDER BY version", (task_id,)
        )
        return [
            {"version": row["version"], "saved_at": row["saved_at"], "task": json.loads(row["body"])}
            for row in rows
        ]

    def delete(self, task_id: str) -> bool:
        """Remove a task with its subscriptions and versions; True if it existed."""
        return self.db.write_sync(
            lambda tx: tx.execute("DELETE FROM tasks WHERE id = ?", (task_id,)).rowcount == 1
        )
