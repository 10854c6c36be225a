"""SQLite: a file in WAL mode, a read connection per thread, and the shared group-committing writer.

Every connection commits with ``synchronous=FULL``: a 204 promises the event survives power loss, not only a
crash of this process. Checkpoints run on a thread of their own, so the writer's ``COMMIT`` never pays for
one.
Several processes may share the file; SQLite's write lock (``BEGIN IMMEDIATE``) serialises their writers.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ...errors import StoreError
from ..schema import migrate
from ..sql.database import Database
from ..sql.database import Dialect
from ..sql.database import Tx
from ..url import sqlite_url

BUSY_TIMEOUT_MS = 10_000
# The writer leaves checkpoints to a thread of their own, started every this many commits (SQLite's default
# runs one inside the COMMIT that passes 1000 WAL pages, which a busy webhook batch does every few commits).
CHECKPOINT_EVERY = 16
# Merged inserts of every batch size are compiled once and kept (the default cache holds 128 statements).
WRITER_STATEMENT_CACHE = 1024

DIALECT = Dialect(name="sqlite", skip_locked="", like="LIKE", text="{}", max_params=32_766)


def connect(path: Path, cached_statements: int = 128) -> sqlite3.Connection:
    """Open a connection with the pragmas every connection of the store needs."""
    conn = sqlite3.connect(
        path,
        timeout=BUSY_TIMEOUT_MS / 1000,
        isolation_level=None,
        check_same_thread=False,
        cached_statements=cached_statements,
    )
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    # FULL: a 204 promises the event survives power loss, not only a crash of this process.
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


class SQLiteDatabase(Database):
    """A SQLite file shared by every thread (and process) of a workbench."""

    errors = (sqlite3.Error,)

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.url = sqlite_url(self.path)
        self.dialect = DIALECT
        try:
            setup = connect(self.path)
            setup.execute("PRAGMA journal_mode = WAL")
            self.dialect = Dialect(
                name="sqlite",
                skip_locked="",
                like="LIKE",
                text="{}",
                max_params=setup.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER),
            )
            migrate(_SQLiteMigrator(setup), "sqlite", self.url)
            setup.close()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the store at {self.path}: {exc}") from exc
        super().__init__(self.path.name)
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._commits = 0
        self._checkpoint_due = threading.Event()
        self._checkpointer = threading.Thread(
            target=self._checkpoint_loop, name=f"mechanic-checkpoint:{self.path.name}", daemon=True
        )
        self._checkpointer.start()
        self.start()

    # -- reads -------------------------------------------------------------------------------------------
    def reader(self) -> sqlite3.Connection:
        """This thread's read-only connection."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path)
            conn.execute("PRAGMA query_only = ON")
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Run a read-only statement and return all rows."""
        return self.reader().execute(sql, params).fetchall()

    def query_one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        """Run a read-only statement and return the first row, or None."""
        return self.reader().execute(sql, params).fetchone()

    @contextmanager
    def snapshot(self) -> Iterator[Tx]:
        """This thread's reader inside one read transaction (WAL: every statement sees the same snapshot)."""
        conn = self.reader()
        if conn.in_transaction:
            yield conn
            return
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    def _close_readers(self) -> None:
        self._checkpoint_due.set()
        self._checkpointer.join(timeout=30)
        with self._readers_lock:
            readers, self._readers = self._readers, []
        for conn in readers:
            try:
                conn.close()
            except sqlite3.ProgrammingError:
                pass  # in use by its thread right now; it goes with the thread
        self._local = threading.local()

    # -- the writer --------------------------------------------------------------------------------------
    def _connect_writer(self) -> sqlite3.Connection:
        try:
            conn = connect(self.path, cached_statements=WRITER_STATEMENT_CACHE)
            # A checkpoint inside COMMIT costs two more fsyncs and holds up every webhook of the batch.
            conn.execute("PRAGMA wal_autocheckpoint = 0")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the store at {self.path}: {exc}") from exc
        return conn

    def _begin(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")

    def _commit(self, conn: sqlite3.Connection) -> None:
        conn.execute("COMMIT")

    def _rollback(self, conn: sqlite3.Connection) -> None:
        if conn.in_transaction:
            conn.execute("ROLLBACK")

    def _tx(self, conn: sqlite3.Connection) -> Tx:
        return conn

    def _after_batch(self, conn: sqlite3.Connection, committed: bool) -> None:
        self._commits += 1
        if self._commits % CHECKPOINT_EVERY == 0:
            self._checkpoint_due.set()

    def _close_writer(self, conn: sqlite3.Connection) -> None:
        conn.close()

    def _after_close(self) -> None:
        self._checkpoint_due.set()

    def _checkpoint_loop(self) -> None:
        conn: sqlite3.Connection | None = None
        while True:
            self._checkpoint_due.wait()
            self._checkpoint_due.clear()
            if self._closed and not self._writer.is_alive():
                break
            try:
                conn = conn or connect(self.path)
                # PASSIVE copies what it can without blocking the writer, which keeps appending meanwhile.
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except sqlite3.Error:
                pass  # retried after the next commits; a busy or locked file is not an error here
        if conn is not None:
            conn.close()


class _SQLiteMigrator:
    """Runs migrations on one connection, each in the transaction that records it."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def applied(self) -> set[str]:
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT "
            "NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))"
        )
        return {row[0] for row in self.conn.execute("SELECT name FROM schema_migrations")}

    def begin(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def run(self, name: str, sql: str) -> None:
        for statement in _statements(sql):
            self.conn.execute(statement)
        self.conn.execute("INSERT INTO schema_migrations (name) VALUES (?)", (name,))

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")


def _statements(sql: str) -> list[str]:
    # executescript() would commit the surrounding transaction, so split into whole statements ourselves.
    statements: list[str] = []
    pending = ""
    for piece in sql.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                statements.append(pending.strip())
            pending = ""
    return statements
