"""SQLite access: one writer thread that group-commits, and a read connection per thread.

Every write goes through :meth:`Database.write` as a function of a connection, or through
:meth:`Database.insert` as a list of single-row ``INSERT`` statements. The writer thread runs whatever piled
up in one transaction (each write isolated by a savepoint, so one failure does not undo the others) and
resolves each caller's future only once that transaction is durable. Callers that answer a client after the
future resolves (the webhook handler sends 204 then) therefore never acknowledge data that is not on disk.

Durability is pipelined (docs/decisions.md, "Webhook ingest", **Durability**). The writer connection commits
with ``synchronous = NORMAL``, which in WAL mode appends the transaction's frames to the ``-wal`` file without
syncing it, and hands the batch to a sync thread. That thread runs one ``fdatasync`` of the ``-wal`` file
that starts after the batch's COMMIT returned (covering every batch that committed before it started), and
only then resolves the batch's futures; meanwhile the writer already runs the next batch. Why this is as
durable as ``synchronous = FULL`` (which syncs the same file inside COMMIT) is argued at :class:`_WalSync`.

Consecutive inserts are merged into one multi-row ``INSERT`` per statement, optimistically under a single
savepoint; if that fails they are replayed one by one, each in its own savepoint. Every ``execute`` releases
and retakes the GIL, and the event loop holds it most of the time under load, so statements per batch, not
rows, bound the writer (docs/performance.md, "Ingest").
"""

from __future__ import annotations

import asyncio
import os
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

# Linux flushes the file's data and the size it needs to read it back, as SQLite's own WAL sync does (it calls
# fdatasync where it exists); elsewhere a full fsync.
DEFAULT_FSYNC: Callable[[int], None] = getattr(os, "fdatasync", os.fsync)

Statement = tuple[str, Sequence[Any]]
"""One SQL statement and its parameters."""


class _Inserts(tuple):
    """The statements of one :meth:`Database.insert` call (a tuple, typed so the writer can tell it apart)."""

    __slots__ = ()


AnyFuture = Union["Future[Any]", "asyncio.Future[Any]"]
_Work = Union[Callable[[sqlite3.Connection], Any], _Inserts]


class _WalSync:
    """Makes everything the writer connection committed durable: one sync of the ``-wal`` file.

    Why a COMMIT under ``synchronous = NORMAL`` followed by this sync is as durable as one under ``FULL``:

    * SQLite recovers a WAL up to its last valid commit frame: frames are checksummed in a chain from the WAL
      header, and recovery stops at the first frame that does not verify. So what survives a power loss is
      always a prefix of the committed transactions, never a later one without an earlier one.
    * ``FULL`` syncs the ``-wal`` file inside COMMIT, after writing the frames. Here the same sync (the file,
      not a descriptor: ``fsync``/``fdatasync`` flush the inode whichever descriptor names it) runs on this
      thread after COMMIT returned, so every frame of that transaction, and of every one before it, is on disk
      before any future of the batch resolves.
    * A checkpoint between COMMIT and this sync syncs the ``-wal`` file before copying frames into the
      database, and the database before it marks them copied (SQLite does both under ``NORMAL`` and ``FULL``
      alike; the checkpoint connection runs ``FULL``). Only frames so copied may be overwritten: SQLite
      restarts the WAL (rewinds it, new salts, header synced before any new frame) only once every frame is in
      the synced database. So if the WAL was rewound while this sync was pending, the older batch's frames are
      already durable in the database, and this sync flushes whatever the file holds now, which is harmless.
    * If the connection that closes last deletes the ``-wal`` file, it checkpoints (with syncs) first; the
      writer waits for this thread to finish before it closes its connection, so that cannot happen under a
      pending sync. A ``-wal`` file with another inode than the descriptor held (a store closed and reopened
      by another process) is reopened; the folder is synced once per new file, as SQLite does for a WAL it
      created, so the file's name survives a power loss too.
    * Sector tearing: SQLite pads a commit to a sector boundary only for devices without "powersafe
      overwrite", which the default unix VFS assumes, so ``FULL`` does not pad either.
    * A failed sync cannot be retried: Linux may drop the dirty pages and report success next time, and the
      later transactions depend on the earlier frames (the checksum chain). The batch's writes fail, and so
      does every write after, until the store is reopened (as PostgreSQL does on a failed fsync).

    What differs from ``FULL``: other connections can read a transaction between COMMIT and this sync. Nothing
    is acknowledged on such a read (every write's future waits for the sync), and a power loss in that window
    loses it exactly as ``FULL`` would lose a transaction whose COMMIT had not returned.

    The ``-wal`` file is opened read-only and never created here: it exists once a transaction committed. Its
    descriptor can be closed safely, because SQLite holds no POSIX locks on the ``-wal`` file (they are on the
    database file, which must never be opened here, and on ``-shm``).
    """

    def __init__(self, wal: str, fsync: Callable[[int], None]) -> None:
        self.wal = wal
        self._fsync = fsync
        self._fd: int | None = None
        self._inode: tuple[int, int] | None = None

    def sync(self) -> None:
        now = os.stat(self.wal)
        if self._fd is None or (now.st_dev, now.st_ino) != self._inode:
            self.close()
            fd = os.open(self.wal, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
            opened = os.fstat(fd)
            self._fd, self._inode = fd, (opened.st_dev, opened.st_ino)
            folder = os.open(os.path.dirname(self.wal), os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
            try:
                os.fsync(folder)
            finally:
                os.close(folder)
        self._fsync(self._fd)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = self._inode = None


def connect(path: Path, cached_statements: int = 128) -> sqlite3.Connection:
    """Open a connection with the pragmas every connection of the store needs."""
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                           check_same_thread=False, cached_statements=cached_statements)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    # FULL: a 204 promises the event survives power loss, not only a crash of this process. The writer
    # connection alone lowers this to NORMAL and syncs the WAL on a thread of its own (see _WalSync); every
    # other connection (checkpoints among them) keeps FULL.
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


class Database:
    """A SQLite file in WAL mode shared by every thread (and process) of a workbench."""

    def __init__(self, path: Path, *, fsync: Callable[[int], None] = DEFAULT_FSYNC) -> None:
        """Open (creating and migrating) the store; ``fsync(fd)`` makes the ``-wal`` file durable."""
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
        # SQLite names the WAL after the database's resolved path (symbolic links followed).
        self._wal = _WalSync(os.path.realpath(self.path) + "-wal", fsync)
        # Committed batches waiting for their sync: (outcomes, committed); None stops the sync thread.
        self._committed: queue.SimpleQueue[tuple[list[tuple[AnyFuture, bool, Any]], bool] | None] = \
            queue.SimpleQueue()
        self._sync_error: StoreError | None = None
        self._syncer = threading.Thread(target=self._sync_loop, name=f"mechanic-sync:{self.path.name}",
                                        daemon=True)
        self._writer = threading.Thread(target=self._write_loop, name=f"mechanic-writer:{self.path.name}",
                                        daemon=True)
        self._checkpoint_due = threading.Event()
        self._checkpointer = threading.Thread(target=self._checkpoint_loop,
                                              name=f"mechanic-checkpoint:{self.path.name}", daemon=True)
        self._syncer.start()
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
        """Queue ``work(conn)`` for the writer thread; the future resolves once its transaction is durable."""
        if self._closed:
            raise StoreError(f"the store at {self.path} is closed")
        future: Future[T] = Future()
        self._queue.put((work, future))
        return future

    def insert(self, statements: Sequence[Statement], *,
               loop: asyncio.AbstractEventLoop | None = None) -> AnyFuture:
        """Queue single-row ``INSERT`` statements to run atomically; the future resolves once on disk.

        With ``loop`` the future is an :class:`asyncio.Future` of that loop, and every such future of a batch
        is resolved by one callback on the loop (one wake-up per batch instead of one per write). Statements
        that are not ``INSERT INTO t (cols) VALUES (?, …)`` still work, they are only not merged.
        """
        if self._closed:
            raise StoreError(f"the store at {self.path} is closed")
        future: AnyFuture = loop.create_future() if loop is not None else Future()
        self._queue.put((_Inserts(statements), future))
        return future

    def write_sync(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work(conn)`` on the writer thread and wait until its transaction is durable."""
        return self.write(work).result()

    def _write_loop(self) -> None:
        conn = connect(self.path, cached_statements=WRITER_STATEMENT_CACHE)
        # COMMIT without the WAL sync: the sync thread does it after COMMIT, before any future of the batch
        # resolves, while this thread runs the next batch (see _WalSync for why that is as durable as FULL).
        conn.execute("PRAGMA synchronous = NORMAL")
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
            if self._sync_error is not None:
                # A sync failed: the WAL can no longer be trusted to hold what follows (see _WalSync).
                self._committed.put(([(future, False, self._sync_error) for _, future in batch], False))
                continue
            outcomes, committed = self._commit_batch(conn, batch)
            self._committed.put((outcomes, committed))
            if committed:
                commits += 1
                if commits % CHECKPOINT_EVERY == 0:
                    self._checkpoint_due.set()
        # Every pending sync finishes before the connection closes (closing the last one deletes the WAL).
        self._committed.put(None)
        self._syncer.join()
        conn.close()
        self._checkpoint_due.set()

    def _sync_loop(self) -> None:
        try:
            while True:
                items = [self._committed.get()]
                while items[-1] is not None:
                    try:
                        items.append(self._committed.get_nowait())
                    except queue.Empty:
                        break
                batches = [item for item in items if item is not None]
                # One sync for every batch that committed before it starts: each COMMIT happened before the
                # batch was queued, so this sync covers all their frames.
                if self._sync_error is None and any(committed for _, committed in batches):
                    try:
                        self._wal.sync()
                    except BaseException as exc:  # noqa: BLE001 - every waiting write is told
                        self._sync_error = StoreError(f"could not sync {self._wal.wal} to disk: {exc}; the"
                                                      " store refuses writes until it is reopened")
                settled: list[tuple[AnyFuture, bool, Any]] = []
                for outcomes, committed in batches:
                    if committed and self._sync_error is not None:
                        outcomes = [(future, False, self._sync_error) if ok else (future, ok, value)
                                    for future, ok, value in outcomes]
                    settled.extend(outcomes)
                self._settle(settled)
                if items[-1] is None:
                    break
        finally:
            self._wal.close()

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
                      ) -> tuple[list[tuple[AnyFuture, bool, Any]], bool]:
        """Run a batch in one transaction: each write's outcome, and whether COMMIT succeeded."""
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
            return [(future, False, error) for _, future in batch], False
        return outcomes, True

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
        """Finish queued writes and their syncs, then stop the writer, sync and checkpoint threads."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._writer.join(timeout=30)
        self._syncer.join(timeout=30)  # the writer stops it once every committed batch is synced
        self._checkpoint_due.set()
        self._checkpointer.join(timeout=30)
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def _settle_on_loop(outcomes: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
    for future, ok, value in outcomes:
        if future.cancelled():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)
