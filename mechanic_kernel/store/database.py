"""SQLite access: one writer thread that group-commits, and a read connection per thread.

Every write goes through :meth:`Database.write` as a function of a connection. The writer thread runs
whatever piled up in one transaction (each in its own savepoint, so one failure does not undo the others)
and resolves each caller's future only after ``COMMIT`` returned. Callers that answer a client after the
future resolves (the webhook handler sends 204 then) therefore never acknowledge data that is not on disk.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any
from typing import TypeVar

from ..errors import StoreError
from .schema import migrate

T = TypeVar("T")

# Enough to amortise one fsync over a burst of concurrent webhooks without making any one of them wait long.
MAX_BATCH = 256
BUSY_TIMEOUT_MS = 10_000


def connect(path: Path) -> sqlite3.Connection:
    """Open a connection with the pragmas every connection of the store needs."""
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
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
        self._queue: queue.SimpleQueue[tuple[Callable[[sqlite3.Connection], Any], Future[Any]] | None] = (
            queue.SimpleQueue()
        )
        self._closed = False
        self._writer = threading.Thread(target=self._write_loop, name=f"mechanic-writer:{self.path.name}",
                                        daemon=True)
        self._writer.start()

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

    def write_sync(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work(conn)`` on the writer thread and wait for its commit."""
        return self.write(work).result()

    def _write_loop(self) -> None:
        conn = connect(self.path)
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
            self._commit_batch(conn, batch)
        conn.close()

    def _commit_batch(self, conn: sqlite3.Connection, batch: list[tuple[Callable[..., Any], Future[Any]]]) -> None:
        outcomes: list[tuple[Future[Any], bool, Any]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for index, (work, future) in enumerate(batch):
                savepoint = f"s{index}"
                conn.execute(f"SAVEPOINT {savepoint}")
                try:
                    result = work(conn)
                except BaseException as exc:  # noqa: BLE001 - handed to the caller through its future
                    conn.execute(f"ROLLBACK TO {savepoint}")
                    conn.execute(f"RELEASE {savepoint}")
                    outcomes.append((future, False, exc))
                else:
                    conn.execute(f"RELEASE {savepoint}")
                    outcomes.append((future, True, result))
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            for _, future in batch:
                if not future.done():
                    future.set_exception(StoreError(f"could not commit to {self.path}: {exc}"))
            return
        for future, ok, value in outcomes:
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

    def close(self) -> None:
        """Finish queued writes, then stop the writer thread."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._writer.join(timeout=30)
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
