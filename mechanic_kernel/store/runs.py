"""SQL for runs, event routes, event filters and retention.

Rows go in and out as plain dicts (JSON columns decoded); :mod:`mechanic_kernel.runs.queue` turns them into
:class:`~mechanic_kernel.models.runs.Run` objects. Writes are functions of a connection so the runs layer can
compose several into one transaction of the writer thread (a task run's end and its action runs commit
together, an event and its event run commit together).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable
from collections.abc import Iterable
from concurrent.futures import Future
from typing import Any
from typing import TypeVar

from ..ids import uuid7
from .database import Database
from .events import _INSERT_EVENT
from .events import _event_values

T = TypeVar("T")

RUN_COLUMNS = (
    "id", "kind", "status", "priority", "event_id", "task_id", "parent_run_id", "position", "run_at",
    "enqueued_at", "started_at", "stopped_at", "attempts", "result", "error", "details", "created_at",
)
_JSON_COLUMNS = ("result", "error", "details")
_SELECT = f"SELECT {', '.join(RUN_COLUMNS)} FROM runs"
_INSERT_RUN = f"INSERT INTO runs ({', '.join(RUN_COLUMNS)}) VALUES ({', '.join('?' * len(RUN_COLUMNS))})"
PENDING = ("scheduled", "due", "started")
# Event runs sort last among due runs (spec §3.4); the value matches RunKind.priority.
EVENT_PRIORITY = 2


def _dump(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def run_row(row: sqlite3.Row) -> dict[str, Any]:
    """A runs row as a dict with its JSON columns decoded."""
    record = {key: row[key] for key in RUN_COLUMNS}
    for key in _JSON_COLUMNS:
        record[key] = None if record[key] is None else json.loads(record[key])
    return record


def insert_run(conn: sqlite3.Connection, run: dict[str, Any]) -> None:
    """Insert one run; ``run`` holds every column of :data:`RUN_COLUMNS` (JSON columns as values)."""
    values = [_dump(run.get(key)) if key in _JSON_COLUMNS else run.get(key) for key in RUN_COLUMNS]
    if values[RUN_COLUMNS.index("details")] is None:
        values[RUN_COLUMNS.index("details")] = "{}"
    conn.execute(_INSERT_RUN, values)


def insert_event_run(conn: sqlite3.Connection, event_id: str, created_at: str, run_at: str | None = None,
                     now: str | None = None) -> str:
    """Insert the event run of a new event: due at once, or scheduled when ``run_at`` is after ``now``."""
    run_id = uuid7()
    scheduled = run_at is not None and now is not None and run_at > now
    insert_run(conn, {
        "id": run_id, "kind": "event", "status": "scheduled" if scheduled else "due",
        "priority": EVENT_PRIORITY, "event_id": event_id, "position": 0,
        "run_at": run_at if scheduled else created_at, "enqueued_at": None if scheduled else created_at,
        "attempts": 0, "details": {}, "created_at": created_at,
    })
    return run_id


def insert_event(conn: sqlite3.Connection, event: Any, *, task_ids: list[str] | None = None,
                 origin_task_id: str | None = None, origin_run_id: str | None = None,
                 run_at: str | None = None, now: str | None = None) -> str:
    """Insert an event, its route and its event run in the caller's transaction; return the event run id."""
    conn.execute(_INSERT_EVENT, _event_values(event))
    if task_ids is not None or origin_task_id or origin_run_id:
        conn.execute("INSERT INTO event_routes (event_id, task_ids, origin_task_id, origin_run_id) "
                     "VALUES (?,?,?,?)",
                     (event.id, _dump(task_ids), origin_task_id, origin_run_id))
    return insert_event_run(conn, event.id, event.created_at, run_at=run_at, now=now)


def update_run(conn: sqlite3.Connection, run_id: str, sources: Iterable[str], target: str,
               **fields: Any) -> bool:
    """Move a run to ``target`` if its status is one of ``sources``, setting ``fields``; else return False.

    The ``WHERE status IN (...)`` makes every change a compare-and-set, so a run another worker (or process)
    changed meanwhile is left alone.
    """
    sources = list(sources)
    assignments = ["status = ?"]
    values: list[Any] = [target]
    for key, value in fields.items():
        assert key in RUN_COLUMNS, key
        assignments.append(f"{key} = ?")
        values.append(_dump(value) if key in _JSON_COLUMNS else value)
    cursor = conn.execute(
        f"UPDATE runs SET {', '.join(assignments)} "
        f"WHERE id = ? AND status IN ({', '.join('?' * len(sources))})",
        [*values, run_id, *sources])
    return cursor.rowcount == 1


def claim_runs(conn: sqlite3.Connection, now: str, kinds: tuple[str, ...] | None, limit: int
               ) -> list[dict[str, Any]]:
    """In the caller's transaction: make scheduled runs whose time came due, start the ``limit`` most urgent.

    Most urgent: lowest priority number (action, task, event), then earliest ``run_at``, then oldest.
    """
    kind_sql = f" AND kind IN ({', '.join('?' * len(kinds))})" if kinds else ""
    conn.execute("UPDATE runs SET status = 'due', enqueued_at = run_at "
                 "WHERE status = 'scheduled' AND run_at IS NOT NULL AND run_at <= ?", (now,))
    rows = conn.execute(
        f"UPDATE runs SET status = 'started', started_at = ?, stopped_at = NULL, attempts = attempts + 1 "
        f"WHERE id IN (SELECT id FROM runs WHERE status = 'due'{kind_sql} "
        f"ORDER BY priority, run_at, seq LIMIT ?) AND status = 'due' "
        f"RETURNING {', '.join(RUN_COLUMNS)}, seq", (now, *(kinds or ()), int(limit))).fetchall()
    ordered = sorted(rows, key=lambda row: (row["priority"], row["run_at"] or "", row["seq"]))
    return [run_row(row) for row in ordered]


class RunStore:
    """Run rows, event routes and event filters."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- writes ------------------------------------------------------------------------------------------
    def write(self, work: Callable[[sqlite3.Connection], T]) -> Future[T]:
        """Queue a composed write (built from this module's functions) for the writer thread."""
        return self.db.write(work)

    def claim(self, now: str, kinds: tuple[str, ...] | None = None, limit: int = 1
              ) -> Future[list[dict[str, Any]]]:
        """Make runs whose time has come due, then start the ``limit`` most urgent due runs.

        The runs come back most urgent first.

        Both happen in one transaction of the writer thread (``BEGIN IMMEDIATE``), and the start is an
        ``UPDATE … WHERE status = 'due'``, so two workers, even in two processes, never start the same run.
        """
        return self.db.write(lambda conn: claim_runs(conn, now, kinds, limit))

    # -- reads -------------------------------------------------------------------------------------------
    def get(self, run_id: str) -> dict[str, Any] | None:
        """One run, or None."""
        row = self.db.query_one(f"{_SELECT} WHERE id = ?", (run_id,))
        return run_row(row) if row else None

    def list(self, *, status: str | None = None, kind: str | None = None, event_id: str | None = None,
             task_id: str | None = None, parent_run_id: str | None = None, limit: int | None = None,
             newest_first: bool = False) -> list[dict[str, Any]]:
        """Runs matching every given filter, in creation order (or newest first)."""
        clauses, params = [], []
        for column, value in (("status", status), ("kind", kind), ("event_id", event_id),
                              ("task_id", task_id), ("parent_run_id", parent_run_id)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        order = " ORDER BY seq DESC" if newest_first else " ORDER BY position, seq" if parent_run_id else \
            " ORDER BY seq"
        limit_sql = "" if limit is None else f" LIMIT {int(limit)}"
        return [run_row(row) for row in self.db.query(f"{_SELECT}{where}{order}{limit_sql}", tuple(params))]

    def count(self, *, status: str | None = None) -> int:
        """How many runs (with that status)."""
        if status is None:
            return self.db.query_one("SELECT count(*) FROM runs")[0]
        return self.db.query_one("SELECT count(*) FROM runs WHERE status = ?", (status,))[0]

    def any_due(self, max_priority: int) -> bool:
        """Whether a due run of priority ``max_priority`` or more urgent (a lower number) waits."""
        return self.db.query_one("SELECT 1 FROM runs WHERE status = 'due' AND priority <= ? LIMIT 1",
                                 (max_priority,)) is not None

    def next_run_at(self) -> str | None:
        """The earliest ``run_at`` of a scheduled run (the worker sleeps until then at most)."""
        row = self.db.query_one("SELECT min(run_at) FROM runs "
                                "WHERE status = 'scheduled' AND run_at IS NOT NULL")
        return row[0] if row else None

    def route(self, event_id: str) -> dict[str, Any]:
        """How an event is routed: ``task_ids`` (list or None), ``origin_task_id``, ``origin_run_id``."""
        row = self.db.query_one("SELECT task_ids, origin_task_id, origin_run_id FROM event_routes "
                                "WHERE event_id = ?", (event_id,))
        if row is None:
            return {"task_ids": None, "origin_task_id": None, "origin_run_id": None}
        return {"task_ids": None if row["task_ids"] is None else json.loads(row["task_ids"]),
                "origin_task_id": row["origin_task_id"], "origin_run_id": row["origin_run_id"]}

    def event_overview(self, event_ids: list[str]) -> list[dict[str, Any]]:
        """``event_id, kind, status, task_id, details`` of the event and task runs of these events."""
        if not event_ids:
            return []
        marks = ", ".join("?" * len(event_ids))
        rows = self.db.query(f"SELECT event_id, kind, status, task_id, details FROM runs "
                             f"WHERE event_id IN ({marks}) AND kind IN ('event', 'task') ORDER BY seq",
                             tuple(event_ids))
        return [{**dict(row), "details": json.loads(row["details"])} for row in rows]

    def children_of(self, event_id: str) -> list[str]:
        """Ids of the child events of an event, oldest first."""
        return [row[0] for row in self.db.query("SELECT id FROM events WHERE parent_id = ? ORDER BY seq",
                                                (event_id,))]

    # -- event filters -----------------------------------------------------------------------------------
    def filters(self) -> list[dict[str, Any]]:
        """Every event filter, by name."""
        return [dict(row) for row in self.db.query("SELECT id, name, source, created_at FROM event_filters "
                                                    "ORDER BY name")]

    def put_filter(self, name: str, source: str, created_at: str) -> dict[str, Any]:
        """Create or replace the event filter called ``name``."""
        filter_id = str(uuid.uuid4())
        self.db.write_sync(lambda conn: conn.execute(
            "INSERT INTO event_filters (id, name, source, created_at) VALUES (?,?,?,?) "
            "ON CONFLICT (name) DO UPDATE SET source = excluded.source",
            (filter_id, name, source, created_at)))
        return next(item for item in self.filters() if item["name"] == name)

    def remove_filter(self, name: str) -> bool:
        """Delete an event filter; False when there was none of that name."""
        return self.db.write_sync(lambda conn: conn.execute("DELETE FROM event_filters WHERE name = ?",
                                                            (name,)).rowcount == 1)

    # -- retention ---------------------------------------------------------------------------------------
    def purgeable_events(self, cutoff: str, generations: int = 5, limit: int = 500) -> list[str]:
        """Events complete since before ``cutoff``, along with ``generations`` of descendants (spec §1.11).

        Complete: none of the runs of the event or of its descendants is pending, and the latest of their
        stops (or the event's creation, for an event with no runs) is older than ``cutoff``.
        """
        rows = self.db.query(
            "WITH RECURSIVE tree(root, id, depth) AS ("
            "  SELECT id, id, 0 FROM events WHERE created_at < :cutoff"
            "  UNION ALL SELECT tree.root, e.id, tree.depth + 1"
            "  FROM events e JOIN tree ON e.parent_id = tree.id"
            "  WHERE tree.depth < :generations)"
            " SELECT tree.root FROM tree JOIN events e ON e.id = tree.id"
            " LEFT JOIN runs r ON r.event_id = tree.id"
            " GROUP BY tree.root"
            " HAVING sum(CASE WHEN r.status IN ('scheduled', 'due', 'started') THEN 1 ELSE 0 END) = 0"
            "  AND max(max(e.created_at, coalesce(r.stopped_at, ''))) < :cutoff"
            " LIMIT :limit",
            {"cutoff": cutoff, "generations": generations, "limit": limit})
        return [row[0] for row in rows]

    def purge_events(self, event_ids: list[str]) -> int:
        """Delete events with their runs, routes and webhook requests; return how many events went."""
        marks = ", ".join("?" * len(event_ids))

        def work(conn: sqlite3.Connection) -> int:
            conn.execute(f"DELETE FROM runs WHERE event_id IN ({marks})", event_ids)
            return conn.execute(f"DELETE FROM events WHERE id IN ({marks})", event_ids).rowcount

        return self.db.write_sync(work) if event_ids else 0
