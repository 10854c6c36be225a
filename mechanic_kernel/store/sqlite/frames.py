"""The frames of the SQLite store: filters pushed down to SQLite, columns handed back in bulk.

Events are the big table (a million rows is a normal notebook store), so they are read in chunks of rowids,
each chunk as *one* row per column group instead of one Python tuple per event: the numbers (``seq`` and
``created_at`` in milliseconds) as one fixed-width decimal string, the text columns as one ``group_concat``
string split on the unit separator. That skips the tuple per row and the transposition that dominate a plain
``fetchall()`` (docs/performance.md, "Frames"). If some text holds the separator itself the chunk is fetched
again row by row, so the result never depends on it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from ..contract import EVENT_TEXT_COLUMNS
from ..contract import MS_DIGITS
from ..contract import NUMBER_WIDTH
from ..contract import SEQ_DIGITS
from ..contract import EventColumns
from ..contract import EventQuery
from ..contract import RunQuery
from ..contract import Table
from .database import SQLiteDatabase

SEPARATOR = "\x1f"  # ASCII unit separator: JSON text escapes it and ids never hold it
CHUNK = 65_536  # rowids per chunk query: group_concat strings of a few tens of MB at most
# julianday() keeps whole milliseconds; the Unix epoch is Julian day 2440587.5. Times before it read as 0.
_UNIX_MS = "max(CAST(round((julianday({0}) - 2440587.5) * 86400000.0) AS INTEGER), 0)"
_NUMBERS = f"printf('%0{SEQ_DIGITS}d%0{MS_DIGITS}d', seq, coalesce({_UNIX_MS.format('created_at')}, 0))"


@dataclass
class Where:
    """A conjunction of SQL conditions and their parameters, built filter by filter."""

    clauses: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)
    ranges: list[list[tuple[str, list[Any]]]] = field(default_factory=list)
    """Cheap queries of ``(min(seq), max(seq))`` over supersets of the rows: the ranges of one inner list are
    joined, the inner lists intersected (see :func:`seq_range`)."""

    def equals(self, column: str, values: list[str] | None) -> None:
        """``column = ?`` for one value, ``column IN (…)`` for several; nothing for None."""
        if values is None:
            return
        if len(values) == 1:
            self.clauses.append(f"{column} = ?")
        else:
            self.clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
        self.params.extend(values)

    def compare(self, column: str, operator: str, value: str | None) -> None:
        """``column <operator> ?`` unless value is None."""
        if value is not None:
            self.clauses.append(f"{column} {operator} ?")
            self.params.append(value)

    def sql(self, *extra: str) -> str:
        """The ``WHERE`` clause (empty when there is no condition)."""
        clauses = [*extra, *self.clauses]
        return f" WHERE {' AND '.join(clauses)}" if clauses else ""


def event_where(query: EventQuery) -> Where:
    """Conditions on the events table: topics, webhooks, ``since <= created_at < until``.

    Times are compared as stored text, which sorts chronologically because the engine writes every time in
    one fixed-width UTC form (:func:`mechanic_kernel.clock.isoformat`); that also lets the indexes answer.
    """
    topics, webhook_ids, since, until = query.topics, query.webhook_ids, query.since, query.until
    where = Where()
    where.equals("topic", topics)
    where.equals("webhook_id", webhook_ids)
    where.compare("created_at", ">=", since)
    where.compare("created_at", "<", until)
    # One index seek per topic or webhook ((topic, seq) and (webhook_id, seq) indexes), one covering range
    # scan
    # of the created_at index: far cheaper than min/max over every condition, which walks the rows one by one.
    where.ranges.append([(f"SELECT {_MIN_MAX.format('')}", [])])
    for column, values in (("topic", topics), ("webhook_id", webhook_ids)):
        if values:
            where.ranges.append(
                [(f"SELECT {_MIN_MAX.format(f' WHERE {column} = ?')}", [value, value]) for value in values]
            )
    if since is not None or until is not None:
        times = Where()
        times.compare("created_at", ">=", since)
        times.compare("created_at", "<", until)
        where.ranges.append([(f"SELECT min(seq), max(seq) FROM events{times.sql()}", times.params)])
    return where


# Two subqueries, as min() and max() in one SELECT would defeat SQLite's one-seek min/max optimisation.
_MIN_MAX = "(SELECT min(seq) FROM events{0}), (SELECT max(seq) FROM events{0})"


def seq_range(cursor: sqlite3.Cursor, where: Where) -> tuple[int, int] | None:
    """Rowids ``(low, high)`` holding every row ``where`` selects (maybe more), or None when there is none."""
    low, high = None, None
    for group in where.ranges:
        found = [cursor.execute(sql, params).fetchone() for sql, params in group]
        found = [(first, last) for first, last in found if first is not None]
        if not found:
            return None
        first, last = min(first for first, _ in found), max(last for _, last in found)
        low, high = (first, last) if low is None else (max(low, first), min(high, last))
        if low > high:
            return None
    return None if low is None else (low, high)


def events_sql(where: Where, columns: list[str]) -> str:
    """The chunk query: one row of ``count, numbers, <one string per text column>`` for ``? <= seq < ?``.

    One ``group_concat`` per column (rather than one of the concatenated columns) skips building a string per
    row in SQLite and a second pass over the pieces in Python.
    """
    texts = ", ".join(f"group_concat(coalesce({column}, ''), char(31))" for column in columns)
    rows = where.sql("seq >= ?", "seq < ?")
    return f"SELECT count(*), group_concat({_NUMBERS}, ''), {texts} FROM events{rows}"


def events_columns(
    conn: sqlite3.Connection, where: Where, *, data: bool = False, limit: int | None = None
) -> EventColumns:
    """The events matching ``where`` (the newest ``limit`` of them) as columns.

    Chunks of :data:`CHUNK` rowids are read from the newest down, so a ``limit`` stops early. They are read in
    one read transaction, so every chunk sees the same snapshot even while webhooks keep writing (WAL mode).
    """
    if conn.in_transaction:
        return _events_columns(conn, where, data=data, limit=limit)
    conn.execute("BEGIN")
    try:
        return _events_columns(conn, where, data=data, limit=limit)
    finally:
        conn.execute("COMMIT")


def _events_columns(conn: sqlite3.Connection, where: Where, *, data: bool, limit: int | None) -> EventColumns:
    columns = [*EVENT_TEXT_COLUMNS, *(["data"] if data else [])]
    cursor = conn.cursor()
    cursor.row_factory = None
    if limit is not None and limit <= CHUNK:
        # A few rows: one ordinary query lets an index deliver the newest first and stop at the limit.
        count, numbers, pieces = _rows(cursor, where, columns, newest=limit)
        return EventColumns(count=count, numbers=numbers, texts=dict(zip(columns, pieces, strict=True)))
    bounds = seq_range(cursor, where)
    chunks: list[tuple[int, str, list[list[str]]]] = []
    total = 0
    sql = events_sql(where, columns)
    low, high = bounds or (0, -1)
    top = high + 1
    while top > low and (limit is None or total < limit):
        bottom = max(low, top - CHUNK)
        count, numbers, *texts = cursor.execute(sql, [bottom, top, *where.params]).fetchone()
        if count:
            pieces = [text.split(SEPARATOR) for text in texts]
            if any(len(values) != count for values in pieces):
                numbers, pieces = _row_by_row(cursor, where, columns, bottom, top)
            if limit is not None and total + count > limit:
                # Only the newest rows of this chunk are wanted, which needs rowid order.
                numbers, pieces = _row_by_row(cursor, where, columns, bottom, top)
                start = count - (limit - total)
                count = limit - total
                numbers, pieces = numbers[start * NUMBER_WIDTH :], [values[start:] for values in pieces]
            chunks.append((count, numbers, pieces))
            total += count
        top = bottom
    chunks.reverse()
    texts_by_column: dict[str, list[str]] = {column: [] for column in columns}
    for _, _, pieces in chunks:
        for column, values in zip(columns, pieces, strict=True):
            texts_by_column[column].extend(values)
    return EventColumns(
        count=total, numbers="".join(numbers for _, numbers, _ in chunks), texts=texts_by_column
    )


def _row_by_row(
    cursor: sqlite3.Cursor, where: Where, columns: list[str], bottom: int, top: int
) -> tuple[str, list[list[str]]]:
    """One chunk read row by row in rowid order (for a partial chunk, or text holding the separator)."""
    _, numbers, pieces = _rows(cursor, where, columns, seq_range=(bottom, top))
    return numbers, pieces


def _rows(
    cursor: sqlite3.Cursor,
    where: Where,
    columns: list[str],
    *,
    seq_range: tuple[int, int] | None = None,
    newest: int | None = None,
) -> tuple[int, str, list[list[str]]]:
    """Events row by row, oldest first like a chunk: those of ``seq_range``, or the ``newest`` of them."""
    values = ", ".join(f"coalesce({column}, '')" for column in columns)
    if seq_range is not None:
        sql = f"SELECT {_NUMBERS}, {values} FROM events{where.sql('seq >= ?', 'seq < ?')} ORDER BY seq"
        rows = cursor.execute(sql, [*seq_range, *where.params]).fetchall()
    else:
        sql = f"SELECT {_NUMBERS}, {values} FROM events{where.sql()} ORDER BY seq DESC LIMIT ?"
        rows = cursor.execute(sql, [*where.params, newest]).fetchall()
        rows.reverse()
    return (
        len(rows),
        "".join(row[0] for row in rows),
        [[row[index] for row in rows] for index in range(1, len(columns) + 1)],
    )


# -- runs and logs ------------------------------------------------------------------------------------------
_EVENT_OF_RUN = "JOIN events e ON e.id = r.event_id"


def run_where(query: RunQuery) -> Where:
    """Conditions on runs ``r`` of one kind joined to their event ``e``; times bound ``r.created_at``."""
    where = Where()
    where.clauses.append("r.kind = ?")
    where.params.append(query.kind)
    where.equals("e.topic", query.topics)
    where.equals("e.webhook_id", query.webhook_ids)
    where.equals("r.task_id", query.task_ids)
    where.equals("r.status", query.statuses)
    where.compare("r.created_at", ">=", query.since)
    where.compare("r.created_at", "<", query.until)
    return where


def _times(*columns: str) -> str:
    return ", ".join(f"{_UNIX_MS.format('r.' + column)} AS {column}" for column in columns)


TIME_COLUMNS = ("created_at", "run_at", "started_at", "stopped_at")
"""Run times, each read as milliseconds since the Unix epoch (NULL stays NULL)."""

# A run's error is stored as JSON: a message reads as plain text, an error object of another type as its JSON.
_ERROR = "CASE json_type(r.error) WHEN 'text' THEN r.error ->> '$' ELSE r.error END"

TASK_RUN_SQL = (
    "SELECT r.id, r.event_id, e.topic, r.task_id, r.details ->> '$.task_name' AS task_name, r.status, "
    f"{_times(*TIME_COLUMNS)}, r.attempts, "
    "json_array_length(r.details, '$.actions') AS actions, json_array_length(r.details, '$.logs') AS logs, "
    f"json_array_length(r.details, '$.errors') AS errors, {_ERROR} AS error "
    f"FROM runs r {_EVENT_OF_RUN}"
)
# "->" always gives JSON text, so a string option stays quoted and options read back with json.loads.
ACTION_RUN_SQL = (
    "SELECT r.id, r.parent_run_id AS task_run_id, r.event_id, e.topic, r.task_id, r.position, "
    "r.details ->> '$.type' AS type, r.status, "
    f"{_times(*TIME_COLUMNS)}, r.attempts, "
    f"r.details -> '$.options' AS options, r.result, {_ERROR} AS error "
    f"FROM runs r {_EVENT_OF_RUN}"
)
# A log or error value as text: strings as they are, anything else as its JSON.
_ENTRY = (
    "CASE j.type WHEN 'text' THEN j.value WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' "
    "WHEN 'null' THEN 'null' ELSE CAST(j.value AS TEXT) END"
)


def runs_query(select: str, where: Where, *, limit: int | None) -> tuple[str, list[Any]]:
    """A whole statement: ``select`` with ``where``, newest run first, at most ``limit`` rows."""
    limit_sql = "" if limit is None else " LIMIT ?"
    params = [*where.params, *([] if limit is None else [limit])]
    return f"{select}{where.sql()} ORDER BY r.seq DESC{limit_sql}", params


def logs_query(where: Where, *, limit: int | None) -> tuple[str, list[Any]]:
    """Every log and error entry of the task runs matching ``where``: newest run first, logs before errors."""
    parts = []
    for level, path in (("log", "$.logs"), ("error", "$.errors")):
        parts.append(
            "SELECT r.id AS task_run_id, r.event_id, e.topic, r.task_id, "
            "r.details ->> '$.task_name' AS task_name, "
            f"r.status, {_times('created_at')}, '{level}' AS level, CAST(j.key AS INTEGER) AS position, "
            f"{_ENTRY} AS message, r.seq AS seq FROM runs r {_EVENT_OF_RUN}, json_each(r.details, '{path}') j"
            f"{where.sql()}"
        )
    limit_sql = "" if limit is None else " LIMIT ?"
    params = [*where.params, *where.params, *([] if limit is None else [limit])]
    return f"{' UNION ALL '.join(parts)} ORDER BY seq DESC, level DESC, position{limit_sql}", params


def rows(conn: sqlite3.Connection, sql: str, params: list[Any]) -> Table:
    """Column names and plain tuples (not :class:`sqlite3.Row`, which costs an object per row)."""
    cursor = conn.cursor()
    cursor.row_factory = None
    cursor.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return Table(names, cursor.fetchall())


class SQLiteFrameStore:
    """The :class:`~..contract.FrameStore` of a SQLite store, reading on the calling thread's connection."""

    def __init__(self, db: SQLiteDatabase) -> None:
        self.db = db

    def events(self, query: EventQuery, *, data: bool = False, limit: int | None = None) -> EventColumns:
        """The events ``query`` selects (the newest ``limit``), as columns, from one snapshot."""
        return events_columns(self.db.reader(), event_where(query), data=data, limit=limit)

    def task_runs(self, query: RunQuery, *, limit: int | None = None) -> Table:
        """Task runs, newest first (see the contract for the columns)."""
        return rows(self.db.reader(), *runs_query(TASK_RUN_SQL, run_where(query), limit=limit))

    def action_runs(self, query: RunQuery, *, limit: int | None = None) -> Table:
        """Action runs, newest first."""
        return rows(self.db.reader(), *runs_query(ACTION_RUN_SQL, run_where(query), limit=limit))

    def logs(self, query: RunQuery, *, limit: int | None = None) -> Table:
        """Log and error entries of task runs, newest run first."""
        table = rows(self.db.reader(), *logs_query(run_where(query), limit=limit))
        drop = table.names.index("seq")
        return Table(
            [name for name in table.names if name != "seq"],
            [row[:drop] + row[drop + 1 :] for row in table.rows],
        )
