"""Runs, event routes, event filters and retention.

Claims and outcomes are units of work of the writer thread: a claim makes scheduled runs due, takes over
runs whose lease lapsed and starts the most urgent due runs in one transaction; an outcome commits every
status change of a :class:`~..contract.Changes` as a compare-and-set together with the runs and events it
creates. Rows selected for a claim are locked with the dialect's ``skip_locked`` (PostgreSQL's
``FOR UPDATE SKIP LOCKED``), so concurrent claimers in other processes pass over each other's rows instead
of waiting for them; SQLite's single write lock makes claims serial anyway.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from ...errors import Conflict
from ...models.runs import Run
from ...models.runs import RunKind
from ...models.runs import RunStatus
from ..contract import Changes
from ..contract import EventRoute
from ..contract import Lease
from .database import Database
from .database import Tx
from .database import chunks
from .database import placeholders
from .json import dump
from .json import from_json
from .rows import INSERT_EVENT
from .rows import INSERT_RUN
from .rows import RUN_COLUMNS
from .rows import RUN_JSON_COLUMNS
from .rows import SELECT_RUN
from .rows import event_run
from .rows import event_values
from .rows import run_from_row
from .rows import run_values

_PENDING = ", ".join(f"'{status.value}'" for status in RunStatus if status.is_pending)
# Statuses written into statements below (the values are plain lowercase words, safe to inline).
_SCHEDULED, _DUE, _STARTED = RunStatus.SCHEDULED.value, RunStatus.DUE.value, RunStatus.STARTED.value
_RETURNING = f"RETURNING {', '.join(RUN_COLUMNS)}, seq"
_URGENCY = "ORDER BY priority, run_at, seq"


def _sorted(rows: list[Any], taken_over: bool = False) -> list[Run]:
    ordered = sorted(rows, key=lambda row: (row["priority"], row["run_at"] or "", row["seq"]))
    runs = [run_from_row(row) for row in ordered]
    for run in runs:
        run.taken_over = taken_over
    return runs


class SqlRunStore:
    """Run rows, event routes and event filters."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- units of work -----------------------------------------------------------------------------------
    def claim(
        self, now: str, *, lease: Lease, kinds: tuple[str, ...] | None = None, limit: int = 1
    ) -> Future[list[Run]]:
        """Make runs due, take over lapsed ones, start up to ``limit`` (see the contract)."""
        return self.db.write(lambda tx: self._claim(tx, now, kinds, limit, lease))

    def commit(
        self, changes: Changes, *, now: str, claim: int = 0, lease: Lease | None = None
    ) -> Future[list[Run]]:
        """Apply ``changes`` atomically, then claim up to ``claim`` runs under ``lease``."""
        if claim > 0 and lease is None:
            raise ValueError("claiming runs needs a lease")

        def work(tx: Tx) -> list[Run]:
            for change in changes.updates:
                if not self._update(tx, change.run, change.target, change.fields):
                    raise Conflict(
                        f"run {change.run.id} is no longer {change.run.status.value} (attempt "
                        f"{change.run.attempts}); it was changed meanwhile"
                    )
            for run in changes.runs:
                tx.execute(INSERT_RUN, run_values(run))
            for new in changes.events:
                tx.execute(INSERT_EVENT, event_values(new.event))
                if new.task_ids is not None or new.origin_task_id or new.origin_run_id:
                    tx.execute(
                        "INSERT INTO event_routes (event_id, task_ids, origin_task_id, origin_run_id) "
                        "VALUES (?,?,?,?)",
                        (new.event.id, dump(new.task_ids), new.origin_task_id, new.origin_run_id),
                    )
                run = event_run(new.event.id, new.event.created_at, run_at=new.run_at, now=now)
                tx.execute(INSERT_RUN, run_values(run))
            return self._claim(tx, now, None, claim, lease) if claim > 0 and lease is not None else []

        queued = (RunStatus.DUE, RunStatus.SCHEDULED)
        notify = bool(changes.runs or changes.events) or any(c.target in queued for c in changes.updates)
        return self.db.write(work, notify=notify)

    def renew(self, run_ids: list[str], lease: Lease) -> Future[int]:
        """Extend the lease of the runs ``lease.worker`` still holds."""

        def work(tx: Tx) -> int:
            held = 0
            for part in chunks(run_ids, 500):
                held += tx.execute(
                    f"UPDATE runs SET lease_expires_at = ? WHERE status = '{_STARTED}' AND claimed_by = ? "
                    f"AND id IN ({placeholders(len(part))})",
                    (lease.until, lease.worker, *part),
                ).rowcount
            return held

        return self.db.write(work)

    def _claim(self, tx: Tx, now: str, kinds: tuple[str, ...] | None, limit: int, lease: Lease) -> list[Run]:
        kind_sql = f" AND kind IN ({placeholders(len(kinds))})" if kinds else ""
        self._pick(
            tx,
            f"status = '{_SCHEDULED}' AND run_at IS NOT NULL AND run_at <= ?",
            (now,),
            f"status = '{_DUE}', enqueued_at = run_at",
            (),
            _SCHEDULED,
        )
        start = (
            "started_at = ?, stopped_at = NULL, attempts = attempts + 1, claimed_by = ?, lease_expires_at = ?"
        )
        holder = (now, lease.worker, lease.until)
        lapsed = self._pick(
            tx,
            f"status = '{_STARTED}' AND lease_expires_at < ?{kind_sql} {_URGENCY} LIMIT ?",
            (now, *(kinds or ()), int(limit)),
            start,
            holder,
            _STARTED,
            returning=True,
        )
        claimed = _sorted(lapsed, taken_over=True)
        if len(claimed) < limit:
            due = self._pick(
                tx,
                f"status = '{_DUE}'{kind_sql} {_URGENCY} LIMIT ?",
                (*(kinds or ()), int(limit) - len(claimed)),
                f"status = '{_STARTED}', {start}",
                holder,
                _DUE,
                returning=True,
            )
            claimed += _sorted(due)
        return claimed

    def _pick(
        self,
        tx: Tx,
        condition: str,
        condition_params: tuple[Any, ...],
        assignments: str,
        assignment_params: tuple[Any, ...],
        status: str,
        *,
        returning: bool = False,
    ) -> list[Any]:
        """Update the rows ``condition`` picks, locking them so concurrent claimers skip rather than wait.

        The pick is a materialised CTE: it runs once, so a ``LIMIT`` picks exactly that many rows (as an
        ``IN (subquery)`` it may be re-run by the planner and pick more); ``status`` is checked again on the
        rows it picked, in case another transaction changed one before the lock was taken.
        """
        cursor = tx.execute(
            f"WITH picked(pick_id) AS MATERIALIZED "
            f"(SELECT id FROM runs WHERE {condition}{self.db.dialect.skip_locked}) "
            f"UPDATE runs SET {assignments} WHERE status = '{status}' AND id IN (SELECT pick_id FROM picked)"
            f"{' ' + _RETURNING if returning else ''}",
            (*condition_params, *assignment_params),
        )
        return cursor.fetchall() if returning else []

    @staticmethod
    def _update(tx: Tx, run: Run, target: RunStatus, fields: dict[str, Any]) -> bool:
        """Compare-and-set: move ``run`` to ``target`` only if its status and attempts are still as read."""
        assignments = ["status = ?"]
        values: list[Any] = [target.value]
        if target is not RunStatus.STARTED and "lease_expires_at" not in fields:
            assignments.append("lease_expires_at = NULL")
        for key, value in fields.items():
            if key not in RUN_COLUMNS:
                raise ValueError(f"runs have no column {key!r}")
            assignments.append(f"{key} = ?")
            values.append(dump(value) if key in RUN_JSON_COLUMNS else value)
        cursor = tx.execute(
            f"UPDATE runs SET {', '.join(assignments)} WHERE id = ? AND status = ? AND attempts = ?",
            [*values, run.id, run.status.value, run.attempts],
        )
        return cursor.rowcount == 1

    # -- reads -------------------------------------------------------------------------------------------
    def get(self, run_id: str) -> Run | None:
        """One run, or None."""
        row = self.db.query_one(f"{SELECT_RUN} WHERE id = ?", (run_id,))
        return run_from_row(row) if row else None

    def list(
        self,
        *,
        status: str | None = None,
        kind: str | None = None,
        event_id: str | None = None,
        task_id: str | None = None,
        parent_run_id: str | None = None,
        limit: int | None = None,
        newest_first: bool = False,
    ) -> list[Run]:
        """Runs matching every given filter, in creation order (or newest first)."""
        clauses, params = [], []
        for column, value in (
            ("status", status),
            ("kind", kind),
            ("event_id", event_id),
            ("task_id", task_id),
            ("parent_run_id", parent_run_id),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        order = (
            " ORDER BY seq DESC"
            if newest_first
            else " ORDER BY position, seq"
            if parent_run_id
            else " ORDER BY seq"
        )
        limit_sql = "" if limit is None else f" LIMIT {int(limit)}"
        return [
            run_from_row(row)
            for row in self.db.query(f"{SELECT_RUN}{where}{order}{limit_sql}", tuple(params))
        ]

    def count(self, *, status: str | None = None) -> int:
        """How many runs (with that status)."""
        if status is None:
            return int(self.db.query_one("SELECT count(*) AS n FROM runs")["n"])
        return int(self.db.query_one("SELECT count(*) AS n FROM runs WHERE status = ?", (status,))["n"])

    def any_due(self, max_priority: int) -> bool:
        """Whether a due run of priority ``max_priority`` or more urgent (a lower number) waits."""
        return (
            self.db.query_one(
                f"SELECT 1 AS due FROM runs WHERE status = '{_DUE}' AND priority <= ? LIMIT 1",
                (max_priority,),
            )
            is not None
        )

    def next_run_at(self) -> str | None:
        """The earliest ``run_at`` of a scheduled run or lease expiry of a started run."""
        row = self.db.query_one(
            f"SELECT (SELECT min(run_at) FROM runs WHERE status = '{_SCHEDULED}' AND run_at IS NOT NULL)"
            " AS run_at, "
            f"(SELECT min(lease_expires_at) FROM runs WHERE status = '{_STARTED}') AS lapses"
        )
        moments = [value for value in (row["run_at"], row["lapses"]) if value is not None]
        return min(moments) if moments else None

    def route(self, event_id: str) -> EventRoute:
        """How an event is routed."""
        row = self.db.query_one(
            "SELECT task_ids, origin_task_id, origin_run_id FROM event_routes WHERE event_id = ?", (event_id,)
        )
        if row is None:
            return EventRoute()
        return EventRoute(
            task_ids=None if row["task_ids"] is None else from_json(row["task_ids"]),
            origin_task_id=row["origin_task_id"],
            origin_run_id=row["origin_run_id"],
        )

    def event_overview(self, event_ids: list[str]) -> list[dict[str, Any]]:
        """``event_id, kind, status, task_id, details`` of the event and task runs of these events."""
        found: list[dict[str, Any]] = []
        for part in chunks(event_ids, 500):
            rows = self.db.query(
                f"SELECT event_id, kind, status, task_id, details, seq FROM runs "
                f"WHERE event_id IN ({placeholders(len(part))}) "
                f"AND kind IN ('{RunKind.EVENT.value}', '{RunKind.TASK.value}')",
                tuple(part),
            )
            found += [
                {
                    "event_id": row["event_id"],
                    "kind": row["kind"],
                    "status": row["status"],
                    "task_id": row["task_id"],
                    "details": from_json(row["details"]),
                    "seq": row["seq"],
                }
                for row in rows
            ]
        found.sort(key=lambda item: item.pop("seq"))
        return found

    # -- event filters -----------------------------------------------------------------------------------
    def filters(self) -> list[dict[str, Any]]:
        """Every event filter, by name."""
        return [
            dict(row)
            for row in self.db.query("SELECT id, name, source, created_at FROM event_filters ORDER BY name")
        ]

    def put_filter(self, name: str, source: str, created_at: str) -> dict[str, Any]:
        """Create or replace the event filter called ``name``."""
        filter_id = str(uuid.uuid4())
        self.db.write_sync(
            lambda tx: tx.execute(
                "INSERT INTO event_filters (id, name, source, created_at) VALUES (?,?,?,?) "
                "ON CONFLICT (name) DO UPDATE SET source = excluded.source",
                (filter_id, name, source, created_at),
            )
        )
        return next(item for item in self.filters() if item["name"] == name)

    def remove_filter(self, name: str) -> bool:
        """Delete an event filter; False when there was none of that name."""
        return self.db.write_sync(
            lambda tx: tx.execute("DELETE FROM event_filters WHERE name = ?", (name,)).rowcount == 1
        )

    # -- retention ---------------------------------------------------------------------------------------
    def purgeable_events(self, cutoff: str, generations: int = 5, limit: int = 500) -> list[str]:
        """Events complete since before ``cutoff``, along with ``generations`` of descendants (spec §1.11).

        Complete: none of the runs of the event or of its descendants is pending, and the latest of their
        stops (or the event's creation, for an event with no runs) is older than ``cutoff``.
        """
        rows = self.db.query(
            "WITH RECURSIVE tree(root, id, depth) AS ("
            "  SELECT id, id, 0 FROM events WHERE created_at < ?"
            "  UNION ALL SELECT tree.root, e.id, tree.depth + 1"
            "  FROM events e JOIN tree ON e.parent_id = tree.id"
            "  WHERE tree.depth < ?)"
            " SELECT tree.root AS root FROM tree JOIN events e ON e.id = tree.id"
            " LEFT JOIN runs r ON r.event_id = tree.id"
            " GROUP BY tree.root"
            f" HAVING sum(CASE WHEN r.status IN ({_PENDING}) THEN 1 ELSE 0 END) = 0"
            "  AND max(CASE WHEN coalesce(r.stopped_at, '') > e.created_at THEN r.stopped_at"
            "  ELSE e.created_at END) < ?"
            " LIMIT ?",
            (cutoff, generations, cutoff, limit),
        )
        return [row["root"] for row in rows]

    def purge_events(self, event_ids: list[str]) -> int:
        """Delete events with their runs, routes and webhook requests; return how many events went."""

        def work(tx: Tx) -> int:
            purged = 0
            for part in chunks(event_ids, 500):
                marks = placeholders(len(part))
                tx.execute(f"DELETE FROM runs WHERE event_id IN ({marks})", part)
                purged += tx.execute(f"DELETE FROM events WHERE id IN ({marks})", part).rowcount
            return purged

        return self.db.write_sync(work) if event_ids else 0

    def on_due(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback`` whenever runs may have come due (see the contract)."""
        return self.db.on_due(callback)
