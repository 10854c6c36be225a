"""SQLite access: one writer thread that group-commits, and a read connection per thread.

Every write goes through :meth:`Database.write` as a function of a connection, or through
:meth:`Database.insert` as a list of single-row ``INSERT`` statements. The writer thread runs whatever piled
up in one transaction (each write isolated by a savepoint, so one failure does not undo the others) and
resolves each caller's future only after ``COMMIT`` returned. Callers that answer a client after the future
resolves (the webhook handler sends 204 then) therefore never acknowledge data that is not on disk.

Consecutive inserts are merged into one multi-row ``INSERT`` per statement, optimistically under a single
savepoint; if that fails they are replayed one by one, each in its own savepoint. Every ``execute`` releases
and retakes the GIL, and the event loop holds it most of the time under load, so statements per batch, not
rows, bound the writer (docs/performance.md, "Ingest").
"""

from __future__ import annotations

import asyncio
import queue
import re
import sqlite3
import threading
from collections.abc import Callable
from collections.abc import Sequence
from concurrent.futures import Future
from concurrent.futures import InvalidStateError
from pathlib import Path
from typing import Any
from typing import TypeVar
from typing import Union

from ..errors import StoreError
from .schema import migrate

T = TypeVar("T")

# Enough to amortise one fsync over a burst of concurrent webhooks without making any one of them wait long.
MAX_BATCH = 256
BUSY_TIMEOUT_MS = 10_000
# The writer leaves checkpoints to a thread of their own, started every this many commits (SQLite's default
# runs one inside the COMMIT that passes 1000 WAL pages, which a busy webhook batch does every few commits).
CHECKPOINT_EVERY = 16
# Merged inserts of every batch size are compiled once and kept (the default cache holds 128 statements).
WRITER_STATEMENT_CACHE = 1024
# "INSERT INTO t (a, b) VALUES (?, ?)": group 1 is everything up to VALUES, group 2 the one row of markers.
_SINGLE_ROW_INSERT = re.compile(
    r"(?is)^(\s*INSERT\s+INTO\s+[^()]+\([^()]*\)\s+VALUES\s*)(\((?:\s*\?\s*,)*\s*\?\s*\))\s*$")

Statement = tuple[str, Sequence[Any]]
"""One SQL statement and its parameters."""


class _Inserts(tuple):
    """The statements of one :meth:`Database.insert` call (a tuple, typed so the writer can tell it apart)."""

    __slots__ = ()


AnyFuture = Union["Future[Any]", "asyncio.Future[Any]"]
_Work = Union[Callable[[sqlite3.Connection], Any], _Inserts]


def connect(path: Path, cached_statements: int = 128) -> sqlite3.Connection:
    """Open a connection with the pragmas every connection of the store needs."""
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                           check_same_thread=False, cached_statements=cached_statements)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    # FULL: a 204 promises the event survives power loss, not only a crash of this process.
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


class Database:
    """A SQLite file in WAL mode shared by every thread (and process) of a workbench."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            setup = connect(self.path)
            setup.execute("PRAGMA journal_mode = WAL")
            migrate(setup)
            setup.close()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the store at {self.path}: {exc}") from exc
        self._local = threading.local()
        self._queue: queue.SimpleQueue[tuple[_Work, AnyFuture] | None] = queue.SimpleQueue()
        self._merged: dict[tuple[str, int], str] = {}
        self._closed = False
        self._writer = threading.Thread(target=self._write_loop, name=f"mechanic-writer:{self.path.name}",
                                        daemon=True)
        self._checkpoint_due = threading.Event()
        self._checkpointer = threading.Thread(target=self._checkpoint_loop,
                                              name=f"mechanic-checkpoint:{self.path.name}", daemon=True)
        self._loop_writer: asyncio.AbstractEventLoop | None = None
        self._loop_conn: sqlite3.Connection | None = None
        self._loop_batch: list[tuple[_Work, AnyFuture]] = []
        self._loop_commits = 0
        self._writer.start()
        self._checkpointer.start()

    # -- reads -------------------------------------------------------------------------------------------
    def _reader(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path)
            conn.execute("PRAGMA query_only = ON")
            self._local.conn = conn
        return conn

    def query(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        """Run a read-only statement and return all rows."""
        return self._reader().execute(sql, params).fetchall()

    def query_one(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> sqlite3.Row | None:
        """Run a read-only statement and return the first row, or None."""
        return self._reader().execute(sql, params).fetchone()

    def reader(self) -> sqlite3.Connection:
        """This thread's read-only connection, for callers that stream large results (pandas views)."""
        return self._reader()

    # -- writes ------------------------------------------------------------------------------------------
    def write(self, work: Callable[[sqlite3.Connection], T]) -> Future[T]:
        """Queue ``work(conn)`` for the writer thread; the future resolves after its transaction commits."""
        if self._closed:
            raise StoreError(f"the store at {self.path} is closed")
        future: Future[T] = Future()
        self._queue.put((work, future))
        return future

    def insert(self, statements: Sequence[Statement], *,
               loop: asyncio.AbstractEventLoop | None = None) -> AnyFuture:
        """Queue single-row ``INSERT`` statements to run atomically; the future resolves after they commit.

        With ``loop`` the future is an :class:`asyncio.Future` of that loop, and every such future of a batch
        is resolved by one callback on the loop (one wake-up per batch instead of one per write). Statements
        that are not ``INSERT INTO t (cols) VALUES (?, …)`` still work, they are only not merged.
        """
        if self._closed:
            raise StoreError(f"the store at {self.path} is closed")
        if loop is not None and loop is self._loop_writer:
            future = loop.create_future()
            self._loop_batch.append((_Inserts(statements), future))
            if len(self._loop_batch) == 1:
                # After the callbacks already ready (other requests of this loop iteration), so they share a commit.
                loop.call_soon(self._commit_on_loop)
            return future
        future = loop.create_future() if loop is not None else Future()
        self._queue.put((_Inserts(statements), future))
        return future

    def commit_on_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Commit inserts made from ``loop`` on that loop's own thread, one transaction per loop iteration.

        For a server whose event loop does little but receive webhooks: the commit blocks the loop for its
        fsync, but no thread hand-off or GIL contention is paid per batch. Every other write still goes through
        the writer thread; the two serialise on SQLite's write lock.
        """
        self._loop_writer = loop

    def _commit_on_loop(self) -> None:
        batch, self._loop_batch = self._loop_batch, []
        if not batch:
            return
        if self._loop_conn is None:
            self._loop_conn = connect(self.path, cached_statements=WRITER_STATEMENT_CACHE)
            self._loop_conn.execute("PRAGMA wal_autocheckpoint = 0")
        for future, ok, value in self._commit_batch(self._loop_conn, batch):
            if future.cancelled():
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
        self._loop_commits += 1
        if self._loop_commits % CHECKPOINT_EVERY == 0:
            self._checkpoint_due.set()

    def write_sync(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work(conn)`` on the writer thread and wait for its commit."""
        return self.write(work).result()

    def _write_loop(self) -> None:
        conn = connect(self.path, cached_statements=WRITER_STATEMENT_CACHE)
        # A checkpoint inside COMMIT costs two more fsyncs and holds up every webhook of the batch.
        conn.execute("PRAGMA wal_autocheckpoint = 0")
        commits = 0
        while True:
            item = self._queue.get()
            if item is None:
                break
            batch = [item]
            while len(batch) < MAX_BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)
                    break
                batch.append(more)
            self._settle(self._commit_batch(conn, batch))
            commits += 1
            if commits % CHECKPOINT_EVERY == 0:
                self._checkpoint_due.set()
        conn.close()
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

    def _commit_batch(self, conn: sqlite3.Connection, batch: list[tuple[Any, AnyFuture]]
                      ) -> list[tuple[AnyFuture, bool, Any]]:
        outcomes: list[tuple[AnyFuture, bool, Any]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            start = 0
            while start < len(batch):
                end = start
                while end < len(batch) and isinstance(batch[end][0], _Inserts):
                    end += 1
                if end - start > 1 and self._run_merged(conn, batch[start:end]):
                    outcomes.extend((future, True, None) for _, future in batch[start:end])
                else:
                    for work, future in batch[start:max(end, start + 1)]:
                        outcomes.append(self._run_one(conn, work, future))
                start = max(end, start + 1)
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            error = StoreError(f"could not commit to {self.path}: {exc}")
            return [(future, False, error) for _, future in batch]
        return outcomes

    @staticmethod
    def _run_one(conn: sqlite3.Connection, work: Any, future: AnyFuture) -> tuple[AnyFuture, bool, Any]:
        conn.execute("SAVEPOINT one")
        try:
            if isinstance(work, _Inserts):
                for sql, params in work:
                    conn.execute(sql, params)
                result = None
            else:
                result = work(conn)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller through its future
            conn.execute("ROLLBACK TO one")
            conn.execute("RELEASE one")
            return future, False, exc
        conn.execute("RELEASE one")
        return future, True, result

    def _run_merged(self, conn: sqlite3.Connection, items: list[tuple[Any, AnyFuture]]) -> bool:
        """Run inserts as one multi-row statement per SQL text; False (and nothing done) on failure."""
        groups: dict[str, list[Sequence[Any]]] = {}
        for statements, _ in items:
            for sql, params in statements:
                rows = groups.get(sql)
                if rows is None:
                    groups[sql] = [params]
                else:
                    rows.append(params)
        conn.execute("SAVEPOINT merged")
        try:
            for sql, rows in groups.items():
                self._insert_rows(conn, sql, rows)
        except sqlite3.Error:
            # One write is bad (a duplicate id, a foreign key): replay them one by one so only it fails.
            conn.execute("ROLLBACK TO merged")
            conn.execute("RELEASE merged")
            return False
        conn.execute("RELEASE merged")
        return True

    def _insert_rows(self, conn: sqlite3.Connection, sql: str, rows: list[Sequence[Any]]) -> None:
        match = _SINGLE_ROW_INSERT.match(sql)
        if match is None or len(rows) == 1:
            for params in rows:
                conn.execute(sql, params)
            return
        width = len(rows[0])
        most = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // max(width, 1)
        per_statement = max(1, min(len(rows), most))
        for first in range(0, len(rows), per_statement):
            chunk = rows[first:first + per_statement]
            key = (sql, len(chunk))
            merged = self._merged.get(key)
            if merged is None:
                merged = self._merged[key] = match.group(1) + ",".join([match.group(2)] * len(chunk))
            conn.execute(merged, [value for params in chunk for value in params])

    @staticmethod
    def _settle(outcomes: list[tuple[AnyFuture, bool, Any]]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[AnyFuture, bool, Any]]] = {}
        for outcome in outcomes:
            future = outcome[0]
            if isinstance(future, asyncio.Future):
                by_loop.setdefault(future.get_loop(), []).append(outcome)
                continue
            try:
                if outcome[1]:
                    future.set_result(outcome[2])
                else:
                    future.set_exception(outcome[2])
            except InvalidStateError:
                pass  # the caller cancelled its wait; the write is committed all the same
        for loop, settled in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle_on_loop, settled)
            except RuntimeError:
                pass  # the loop is closed: nobody is left to await these futures

    def close(self) -> None:
        """Finish queued writes, then stop the writer thread."""
        if self._closed:
            return
        self._closed = True
        if self._loop_batch:
            self._commit_on_loop()  # on the loop's thread: callers close the store from there or after it
        self._queue.put(None)
        self._writer.join(timeout=30)
        self._checkpoint_due.set()
        self._checkpointer.join(timeout=30)
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        if self._loop_conn is not None:
            self._loop_conn.close()
            self._loop_conn = None


def _settle_on_loop(outcomes: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
    for future, ok, value in outcomes:
        if future.cancelled():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)
