"""The frames of the PostgreSQL store: filters applied by the server, rows read in one snapshot.

Times are stored as the engine's UTC text; the server turns each into milliseconds since the Unix epoch (a
text that is not such a time reads as 0, as in SQLite). JSON shown as text (action options, log entries that
are not strings) is re-encoded compactly here, so both backends show the same text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from ..contract import EVENT_TEXT_COLUMNS
from ..contract import MS_DIGITS
from ..contract import SEQ_DIGITS
from ..contract import EventColumns
from ..contract import EventQuery
from ..contract import RunQuery
from ..contract import Table
from .database import PostgresDatabase

FETCH = 10_000  # rows per round trip while reading a large frame
# The engine's time format only; anything else would make the cast fail, so it reads as 0 instead.
_TIME_SHAPE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+){0,1}Z$"
_compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _unix_ms(column: str, *, null_is_zero: bool) -> str:
    zero = "0" if null_is_zero else "NULL"
    return (
        f"CASE WHEN {column} ~ '{_TIME_SHAPE}' THEN "
        f"greatest((extract(epoch FROM {column}::timestamptz) * 1000)::bigint, 0) ELSE {zero} END"
    )


@dataclass
class _Where:
    clauses: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def equals(self, column: str, values: list[str] | None) -> None:
        if values is not None:
            self.clauses.append(f"{column} = ANY(?)")
            self.params.append(list(values))

    def compare(self, column: str, operator: str, value: str | None) -> None:
        if value is not None:
            self.clauses.append(f"{column} {operator} ?")
            self.params.append(value)

    def sql(self) -> str:
        return f" WHERE {' AND '.join(self.clauses)}" if self.clauses else ""


def _run_where(query: RunQuery) -> _Where:
    where = _Where(["r.kind = ?"], [query.kind])
    where.equals("e.topic", query.topics)
    where.equals("e.webhook_id", query.webhook_ids)
    where.equals("r.task_id", query.task_ids)
    where.equals("r.status", query.statuses)
    where.compare("r.created_at", ">=", query.since)
    where.compare("r.created_at", "<", query.until)
    return where


def _times(*columns: str) -> str:
    return ", ".join(f"{_unix_ms('r.' + column, null_is_zero=False)} AS {column}" for column in columns)


_TIME_COLUMNS = ("created_at", "run_at", "started_at", "stopped_at")
# A run's error is stored as JSON: a message reads as plain text, an error object of another type as its JSON.
_ERROR = "CASE json_typeof(r.error) WHEN 'string' THEN r.error #>> '{}' ELSE r.error::text END"
_TASK_RUNS = (
    "SELECT r.id, r.event_id, e.topic, r.task_id, r.details ->> 'task_name' AS task_name, r.status, "
    f"{_times(*_TIME_COLUMNS)}, r.attempts, json_array_length(r.details -> 'actions') AS actions, "
    "json_array_length(r.details -> 'logs') AS logs, json_array_length(r.details -> 'errors') AS errors, "
    f"{_ERROR} AS error FROM runs r JOIN events e ON e.id = r.event_id"
)
_ACTION_RUNS = (
    "SELECT r.id, r.parent_run_id AS task_run_id, r.event_id, e.topic, r.task_id, r.position, "
    f"r.details ->> 'type' AS type, r.status, {_times(*_TIME_COLUMNS)}, r.attempts, "
    f"(r.details -> 'options')::text AS options, r.result::text AS result, {_ERROR} AS error "
    "FROM runs r JOIN events e ON e.id = r.event_id"
)


class PostgresFrameStore:
    """The :class:`~..contract.FrameStore` of a PostgreSQL store."""

    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db

    def _rows(self, sql: str, params: list[Any]) -> Table:
        with self.db.snapshot() as tx:
            cursor = tx.execute(sql, params)
            names = [column.name for column in cursor.description or ()]
            rows = [tuple(row.values()) for row in cursor.fetchall()]
        return Table(names, rows)

    def events(self, query: EventQuery, *, data: bool = False, limit: int | None = None) -> EventColumns:
        """The events ``query`` selects (the newest ``limit``), as columns, from one snapshot."""
        where = _Where()
        where.equals("topic", query.topics)
        where.equals("webhook_id", query.webhook_ids)
        where.compare("created_at", ">=", query.since)
        where.compare("created_at", "<", query.until)
        columns = [*EVENT_TEXT_COLUMNS, *(["data"] if data else [])]
        values = ", ".join(f"coalesce({column}::text, '') AS {column}" for column in columns)
        limit_sql = "" if limit is None else " LIMIT ?"
        sql = (
            f"SELECT seq, {_unix_ms('created_at', null_is_zero=True)} AS ms, {values} FROM events"
            f"{where.sql()} ORDER BY seq DESC{limit_sql}"
        )
        numbers: list[str] = []
        texts: dict[str, list[str]] = {column: [] for column in columns}
        with self.db.snapshot() as tx:
            cursor = tx.execute(sql, [*where.params, *([] if limit is None else [limit])])
            while rows := cursor.fetchmany(FETCH):
                for row in rows:
                    numbers.append(f"{row['seq']:0{SEQ_DIGITS}d}{row['ms']:0{MS_DIGITS}d}")
                    for column in columns:
                        texts[column].append(row[column])
        numbers.reverse()
        for values_of_column in texts.values():
            values_of_column.reverse()
        return EventColumns(count=len(numbers), numbers="".join(numbers), texts=texts)

    def task_runs(self, query: RunQuery, *, limit: int | None = None) -> Table:
        """Task runs, newest first (see the contract for the columns)."""
        where = _run_where(query)
        limit_sql = "" if limit is None else " LIMIT ?"
        return self._rows(
            f"{_TASK_RUNS}{where.sql()} ORDER BY r.seq DESC{limit_sql}",
            [*where.params, *([] if limit is None else [limit])],
        )

    def action_runs(self, query: RunQuery, *, limit: int | None = None) -> Table:
        """Action runs, newest first."""
        where = _run_where(query)
        limit_sql = "" if limit is None else " LIMIT ?"
        table = self._rows(
            f"{_ACTION_RUNS}{where.sql()} ORDER BY r.seq DESC{limit_sql}",
            [*where.params, *([] if limit is None else [limit])],
        )
        options = table.names.index("options")
        table.rows = [(*row[:options], _compacted(row[options]), *row[options + 1 :]) for row in table.rows]
        return table

    def logs(self, query: RunQuery, *, limit: int | None = None) -> Table:
        """Log and error entries of task runs, newest run first."""
        where = _run_where(query)
        parts = []
        for level, key in (("log", "logs"), ("error", "errors")):
            parts.append(
                "SELECT r.id AS task_run_id, r.event_id, e.topic, r.task_id, "
                "r.details ->> 'task_name' AS task_name, "
                f"r.status, {_times('created_at')}, '{level}' AS level, (j.n - 1)::integer AS position, "
                "json_typeof(j.value) AS kind, j.value::text AS message, r.seq AS seq "
                "FROM runs r JOIN events e ON e.id = r.event_id "
                f"CROSS JOIN LATERAL json_array_elements(r.details -> '{key}') WITH ORDINALITY AS j(value, n)"
                f"{where.sql()}"
            )
        limit_sql = "" if limit is None else " LIMIT ?"
        sql = f"{' UNION ALL '.join(parts)} ORDER BY seq DESC, level DESC, position{limit_sql}"
        table = self._rows(sql, [*where.params, *where.params, *([] if limit is None else [limit])])
        kind, message, seq = (table.names.index(name) for name in ("kind", "message", "seq"))
        names = [name for name in table.names if name not in ("kind", "seq")]
        rows = []
        for row in table.rows:
            text = json.loads(row[message]) if row[kind] == "string" else _compacted(row[message])
            rows.append(
                tuple(
                    text if index == message else value
                    for index, value in enumerate(row)
                    if index not in (kind, seq)
                )
            )
        return Table(names, rows)


def _compacted(text: str | None) -> str | None:
    return None if text is None else _compact(json.loads(text))
