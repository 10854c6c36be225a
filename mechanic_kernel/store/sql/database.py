"""What both SQL backends share: reads from any thread, and one writer thread that group-commits.

Every write goes through :meth:`Database.write` as a function of a transaction, or through
:meth:`Database.insert` as a list of single-row ``INSERT`` statements. The writer thread runs whatever piled
up in one transaction (each write isolated by a savepoint, so one failure does not undo the others) and
resolves each caller's future only after ``COMMIT`` returned. Callers that answer a client after the future
resolves (the webhook handler sends 204 then) therefore never acknowledge data that is not on disk.

Consecutive inserts are merged into one multi-row ``INSERT`` per statement, optimistically under a single
savepoint; if that fails they are replayed one by one, each in its own savepoint. Statements per batch, not
rows, bound the writer (docs/performance.md, "Ingest").

SQL here and in the sibling modules is written once for both backends: ``?`` placeholders (the PostgreSQL
backend turns them into ``%s``), columns read by name, and the few differences named by :class:`Dialect`.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import re
import threading
from abc import ABC
from abc import abstractmethod
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Sequence
from concurrent.futures import Future
from concurrent.futures import InvalidStateError
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any
from typing import Protocol
from typing import TypeVar

from ...errors import MechanicError
from ...errors import StoreError
from ..contract import AnyFuture

T = TypeVar("T")
log = logging.getLogger("mechanic_kernel.store")

# Enough to amortise one commit over a burst of concurrent webhooks without making any one of them wait long.
MAX_BATCH = 256
# "INSERT INTO t (a, b) VALUES (?, ?)": group 1 is everything up to VALUES, group 2 the one row of markers.
_SINGLE_ROW_INSERT = re.compile(
    r"(?is)^(\s*INSERT\s+INTO\s+[^()]+\([^()]*\)\s+VALUES\s*)(\((?:\s*\?\s*,)*\s*\?\s*\))\s*$"
)

Statement = tuple[str, Sequence[Any]]
"""One SQL statement and its parameters."""


class Cursor(Protocol):
    """The part of a DB-API cursor the shared SQL uses."""

    rowcount: int

    def fetchone(self) -> Any:
        """The next row (columns by name), or None."""

    def fetchall(self) -> list[Any]:
        """Every remaining row."""


class Tx(Protocol):
    """A transaction of the writer (or a read snapshot): statements with ``?`` placeholders."""

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        """Run one statement."""

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Any:
        """Run one statement once per row of parameters."""


@dataclass(frozen=True)
class Dialect:
    """The differences between the backends' SQL that the shared statements need.

    Attributes:
        name: ``sqlite`` or ``postgresql``.
        skip_locked: appended to a claim's row selection so concurrent claimers skip each other's rows.
        like: the case-insensitive ``LIKE`` operator.
        text: format string turning a JSON column into text (``{}`` is the column).
        max_params: the most parameters one statement may carry.
        for_update: appended to a read inside a write, so concurrent writers of those rows wait their turn.
        key_lock: a statement taking a transaction-long lock on one text key (``?``), for a read-modify-write
            of a row that may not exist yet; empty where the write lock is database-wide anyway (SQLite).
    """

    name: str
    skip_locked: str
    like: str
    text: str
    max_params: int
    for_update: str = ""
    key_lock: str = ""


class _Inserts(tuple):
    """The statements of one :meth:`Database.insert` call (a tuple, typed so the writer can tell it apart)."""

    __slots__ = ()


_Work = Callable[[Tx], Any] | _Inserts
_Item = tuple[_Work, AnyFuture, bool]


class Database(ABC):
    """A database shared by every thread (and process) of a workbench.

    Subclasses open connections and say how a transaction begins, commits and rolls back; this class queues
    writes, groups them into transactions, and settles each caller's future.
    """

    dialect: Dialect
    url: str
    errors: tuple[type[BaseException], ...] = ()
    """The driver's exception classes; any of them escaping a transaction fails it."""
    reconnect_after_failure = False
    """Whether a failed transaction makes the writer open a new connection (a network one may be broken)."""

    def __init__(self, name: str) -> None:
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._merged: dict[tuple[str, int], str] = {}
        self._closed = False
        self._due_callbacks: list[Callable[[], None]] = []
        self._writer = threading.Thread(target=self._write_loop, name=f"mechanic-writer:{name}", daemon=True)
        self._loop_writer: asyncio.AbstractEventLoop | None = None
        self._loop_batch: list[_Item] = []
        self._loop_conn: Any = None
        self.loop_commits = 0  # transactions committed on the attached loop (tests check they are shared)

    def start(self) -> None:
        """Start the writer thread (subclasses call it once their schema is ready)."""
        self._writer.start()

    # -- what a backend provides ---------------------------------------------------------------------------
    @abstractmethod
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Run a read-only statement and return every row (columns by name)."""

    def query_one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run a read-only statement and return the first row, or None."""
        rows = self.query(sql, params)
        return rows[0] if rows else None

    @abstractmethod
    def snapshot(self) -> AbstractContextManager[Tx]:
        """A read-only transaction: every statement in it sees the same committed state."""

    @abstractmethod
    def _connect_writer(self) -> Any:
        """A new connection for the writer thread (or the loop that commits webhooks)."""

    @abstractmethod
    def _begin(self, conn: Any) -> None: ...

    @abstractmethod
    def _commit(self, conn: Any) -> None: ...

    @abstractmethod
    def _rollback(self, conn: Any) -> None: ...

    @abstractmethod
    def _tx(self, conn: Any) -> Tx:
        """``conn`` as the transaction handed to a write's function."""

    def _notify(self, tx: Tx) -> None:  # noqa: B027 - optional hook
        """Inside a transaction that made runs due: tell other processes once it commits (if it can)."""

    def _after_batch(self, conn: Any, committed: bool) -> None:  # noqa: B027 - optional hook
        """After each batch on ``conn`` (a backend's checkpoint or reconnect bookkeeping)."""

    @abstractmethod
    def _close_writer(self, conn: Any) -> None:
        """Close a writer connection (quietly: it may be broken already)."""

    def _wrap_error(self, exc: BaseException) -> StoreError:
        """The StoreError a caller sees for a driver error."""
        return StoreError(f"could not commit to {self.url}: {exc}")

    # -- writes ------------------------------------------------------------------------------------------
    def write(self, work: Callable[[Tx], T], *, notify: bool = False) -> Future[T]:
        """Queue ``work(tx)`` for the writer thread; the future resolves after its transaction commits.

        ``notify`` says the work makes runs due: workers are told once it commits.
        """
        self._check_open()
        future: Future[T] = Future()
        self._queue.put((work, future, notify))
        return future

    def write_sync(self, work: Callable[[Tx], T], *, notify: bool = False) -> T:
        """Run ``work(tx)`` on the writer thread and wait for its commit."""
        return self.write(work, notify=notify).result()

    def insert(
        self,
        statements: Sequence[Statement],
        *,
        loop: asyncio.AbstractEventLoop | None = None,
        notify: bool = False,
    ) -> AnyFuture:
        """Queue single-row ``INSERT`` statements to run atomically; the future resolves after they commit.

        With ``loop`` the future is an :class:`asyncio.Future` of that loop, and every such future of a batch
        is resolved by one callback on the loop (one wake-up per batch instead of one per write). Statements
        that are not ``INSERT INTO t (cols) VALUES (?, …)`` still work, they are only not merged.
        """
        self._check_open()
        if loop is not None and loop is self._loop_writer:
            future = loop.create_future()
            self._loop_batch.append((_Inserts(statements), future, notify))
            if len(self._loop_batch) == 1:
                # After the callbacks already ready (other requests of this iteration): they share a commit.
                loop.call_soon(self._commit_on_loop)
            return future
        future = loop.create_future() if loop is not None else Future()
        self._queue.put((_Inserts(statements), future, notify))
        return future

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"the store at {self.url} is closed")

    def attach_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Commit inserts made from ``loop`` on that loop's own thread, one transaction per loop iteration.

        For a server whose event loop does little but receive webhooks: the commit blocks the loop for its
        flush, but no thread hand-off or GIL contention is paid per batch. Every other write still goes
        through the writer thread. A backend whose commits wait on the network leaves this off.
        """
        self._loop_writer = loop

    def on_due(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback`` after each commit of this process that made runs due; returns the unsubscribe."""
        self._due_callbacks.append(callback)
        return lambda: self._due_callbacks.remove(callback) if callback in self._due_callbacks else None

    def _runs_came_due(self) -> None:
        for callback in list(self._due_callbacks):
            try:
                callback()
            except Exception:  # noqa: BLE001 - a listener's failure must not fail the write
                log.exception("a run-due listener failed")

    def _commit_on_loop(self) -> None:
        batch, self._loop_batch = self._loop_batch, []
        if not batch:
            return
        if self._loop_conn is None:
            try:
                self._loop_conn = self._connect_writer()
            except StoreError as exc:
                for _, future, _ in batch:
                    if not future.cancelled():
                        future.set_exception(exc)
                return
        outcomes = self._commit_batch(self._loop_conn, batch)
        if outcomes and outcomes[0][3]:
            self.loop_commits += 1
            self._after_batch(self._loop_conn, True)
        elif self.reconnect_after_failure:
            self._close_writer(self._loop_conn)
            self._loop_conn = None
        for future, ok, value, _ in outcomes:
            if future.cancelled():
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

    def _write_loop(self) -> None:
        conn: Any = None
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
            if conn is None:
                try:
                    conn = self._connect_writer()
                except StoreError as exc:
                    self._settle([(future, False, exc, False) for _, future, _ in batch])
                    continue
            outcomes = self._commit_batch(conn, batch)
            if outcomes and outcomes[0][3]:
                self._after_batch(conn, True)
            elif self.reconnect_after_failure:
                self._close_writer(conn)
                conn = None
            self._settle(outcomes)
        if conn is not None:
            self._close_writer(conn)
        self._after_close()

    def _after_close(self) -> None:  # noqa: B027 - optional hook
        """On the writer thread, after its last batch."""

    def _commit_batch(self, conn: Any, batch: list[_Item]) -> list[tuple[AnyFuture, bool, Any, bool]]:
        """Run ``batch`` in one transaction; ``(future, ok, result or error, committed)`` per item."""
        outcomes: list[tuple[AnyFuture, bool, Any, bool]] = []
        tx = self._tx(conn)
        try:
            self._begin(conn)
            start = 0
            while start < len(batch):
                end = start
                while end < len(batch) and isinstance(batch[end][0], _Inserts):
                    end += 1
                if end - start > 1 and self._run_merged(tx, batch[start:end]):
                    outcomes.extend((future, True, None, True) for _, future, _ in batch[start:end])
                else:
                    for work, future, _ in batch[start : max(end, start + 1)]:
                        outcomes.append(self._run_one(tx, work, future))
                start = max(end, start + 1)
            notify = any(item[2] for item, outcome in zip(batch, outcomes, strict=True) if outcome[1])
            if notify:
                self._notify(tx)
            self._commit(conn)
        except Exception as exc:  # noqa: BLE001 - whatever failed, the transaction must not stay open
            try:
                self._rollback(conn)
            except Exception:  # noqa: BLE001 - the connection is gone; the caller drops it
                pass
            error = (
                self._wrap_error(exc)
                if isinstance(exc, self.errors)
                else StoreError(f"could not commit to {self.url}: {type(exc).__name__}: {exc}")
            )
            return [(future, False, error, False) for _, future, _ in batch]
        if notify:
            self._runs_came_due()
        return outcomes

    def _run_one(self, tx: Tx, work: Any, future: AnyFuture) -> tuple[AnyFuture, bool, Any, bool]:
        tx.execute("SAVEPOINT one")
        try:
            if isinstance(work, _Inserts):
                for sql, params in work:
                    tx.execute(sql, params)
                result = None
            else:
                result = work(tx)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller through its future
            tx.execute("ROLLBACK TO SAVEPOINT one")
            tx.execute("RELEASE SAVEPOINT one")
            if isinstance(exc, self.errors) and not isinstance(exc, MechanicError):
                exc = StoreError(f"the store at {self.url} refused a write: {exc}")
            elif isinstance(exc, UnicodeError):
                exc = StoreError(f"the store at {self.url} refused a write: text it cannot encode ({exc})")
            return future, False, exc, True
        tx.execute("RELEASE SAVEPOINT one")
        return future, True, result, True

    def _run_merged(self, tx: Tx, items: list[_Item]) -> bool:
        """Run inserts as one multi-row statement per SQL text; False (and nothing done) on failure."""
        groups: dict[str, list[Sequence[Any]]] = {}
        for statements, _, _ in items:
            for sql, params in statements:
                rows = groups.get(sql)
                if rows is None:
                    groups[sql] = [params]
                else:
                    rows.append(params)
        tx.execute("SAVEPOINT merged")
        try:
            for sql, rows in groups.items():
                self._insert_rows(tx, sql, rows)
        except Exception:  # noqa: BLE001 - e.g. a driver error, or text the driver cannot encode
            # One write is bad (a duplicate id, a foreign key): replay them one by one so only it fails.
            tx.execute("ROLLBACK TO SAVEPOINT merged")
            tx.execute("RELEASE SAVEPOINT merged")
            return False
        tx.execute("RELEASE SAVEPOINT merged")
        return True

    def _insert_rows(self, tx: Tx, sql: str, rows: list[Sequence[Any]]) -> None:
        match = _SINGLE_ROW_INSERT.match(sql)
        if match is None or len(rows) == 1:
            for params in rows:
                tx.execute(sql, params)
            return
        width = len(rows[0])
        per_statement = max(1, min(len(rows), self.dialect.max_params // max(width, 1)))
        for first in range(0, len(rows), per_statement):
            chunk = rows[first : first + per_statement]
            key = (sql, len(chunk))
            merged = self._merged.get(key)
            if merged is None:
                merged = self._merged[key] = match.group(1) + ",".join([match.group(2)] * len(chunk))
            tx.execute(merged, [value for params in chunk for value in params])

    @staticmethod
    def _settle(outcomes: list[tuple[AnyFuture, bool, Any, bool]]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[AnyFuture, bool, Any, bool]]] = {}
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

    # -- closing -----------------------------------------------------------------------------------------
    def close(self) -> None:
        """Finish queued writes, then stop the writer thread."""
        if self._closed:
            return
        self._closed = True
        if self._loop_batch:
            self._commit_on_loop()  # on the loop's thread: callers close the store from there or after it
        if self._writer.is_alive():
            self._queue.put(None)
            self._writer.join(timeout=30)
        if self._loop_conn is not None:
            self._close_writer(self._loop_conn)
            self._loop_conn = None
        self._close_readers()

    @abstractmethod
    def _close_readers(self) -> None:
        """Release the read connections."""

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed


def _settle_on_loop(outcomes: list[tuple[asyncio.Future[Any], bool, Any, bool]]) -> None:
    for future, ok, value, _ in outcomes:
        if future.cancelled():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)


def placeholders(count: int) -> str:
    """``?, ?, …`` for ``count`` parameters."""
    return ", ".join("?" * count)


def chunks(values: list[Any], size: int) -> Iterator[list[Any]]:
    """``values`` in consecutive lists of at most ``size``."""
    for first in range(0, len(values), size):
        yield values[first : first + size]
