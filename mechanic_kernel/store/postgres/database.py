"""PostgreSQL: a pool of read connections, the shared group-committing writer, and LISTEN/NOTIFY.

Each process keeps one writer connection that commits whatever piled up (webhook events above all) in one
transaction with ``synchronous_commit = on``, so a commit is on the server's disk before any caller hears of
it. Several processes (ingest servers, workers, on any machines) write to one database at once; claims skip
each other's locked rows (``FOR UPDATE SKIP LOCKED``). A transaction that makes runs due sends a
notification on the store's channel; every process's listener wakes its worker at once.

A connection that breaks (the server restarted, the network went away) fails the writes of its transaction
with :class:`~mechanic_kernel.errors.StoreUnavailable`; the next write opens a new connection, so a server
answers 503 while the database is away and recovers by itself when it returns.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from collections.abc import Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql as pgsql
from psycopg.rows import dict_row
from psycopg.types.string import TextLoader
from psycopg_pool import ConnectionPool
from psycopg_pool import PoolTimeout

from ...errors import StoreError
from ...errors import StoreUnavailable
from ..schema import migrate
from ..sql.database import Database
from ..sql.database import Dialect
from ..sql.database import Tx
from ..url import mask

log = logging.getLogger("mechanic_kernel.store")

CONNECT_TIMEOUT = 5  # seconds a new connection may take before the server counts as unreachable
POOL_MAX = 16  # read connections per process: render threads, the API and the loop share them
POOL_WAIT = 5  # seconds a read waits for a free (or new) pool connection
# After a read finds the server unreachable, reads fail at once for this long instead of each waiting for the
# pool: a server's event loop must not stall on every request of an outage (they answer 503 meanwhile).
DOWN_SECONDS = 1.0
LISTEN_POLL = 1.0  # seconds between the listener's checks for being stopped
# Concurrent migrators (several processes starting at once) take turns on this lock.
MIGRATION_LOCK = 0x6D6B_6D69  # "mkmi"

DIALECT = Dialect(
    name="postgresql",
    skip_locked=" FOR UPDATE SKIP LOCKED",
    like="ILIKE",
    text="{}::text",
    max_params=65_535,
    for_update=" FOR UPDATE",
    key_lock="SELECT pg_advisory_xact_lock(hashtext(?)) AS locked",
)


class _Translate(dict[str, str]):
    """Statements with ``?`` placeholders as psycopg wants them (``%s``, literal ``%`` doubled), cached."""

    def __missing__(self, text: str) -> str:
        converted = self[text] = text.replace("%", "%%").replace("?", "%s")
        return converted


_translate = _Translate()


class _PgTx:
    """A psycopg connection seen through the shared SQL's ``?`` placeholders."""

    __slots__ = ("conn",)

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor[Any]:
        return self.conn.execute(_translate[sql], tuple(params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self.conn.cursor() as cursor:
            cursor.executemany(_translate[sql], rows)


def _configure(conn: psycopg.Connection[Any]) -> None:
    # JSON columns come back as their text, as SQLite's do: the shared SQL decodes them itself.
    conn.adapters.register_loader("json", TextLoader)
    # The planner's row estimates for the recursive retention query are huge, so PostgreSQL would JIT-compile
    # it (half a second on a small store, for a query that then runs in milliseconds); our queries are short.
    conn.execute("SET jit = off")


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def unreachable(url: str, exc: BaseException) -> StoreUnavailable:
    """The error for a database that cannot be reached, naming the URL and what to check."""
    return StoreUnavailable(
        f"cannot reach the store at {url}: {_first_line(exc)}. Check that the PostgreSQL server is running "
        "and "
        "accepts connections from here, and that the URL's host, port, user, password and database are right "
        "(create the database first, e.g. `createdb mechanic`)."
    )


class PostgresDatabase(Database):
    """A PostgreSQL database (one schema of it) shared by every thread and process of a deployment."""

    errors = (psycopg.Error,)
    reconnect_after_failure = True

    def __init__(self, url: str, *, pool_max: int = POOL_MAX) -> None:
        self._conninfo = url
        self.url = mask(url)
        self.dialect = DIALECT
        conn = self._connect("setting up")
        try:
            migrate(_PostgresMigrator(conn), "postgresql", self.url)
            self.schema = conn.execute("SELECT current_schema() AS name").fetchone()["name"]
        except psycopg.Error as exc:
            raise StoreError(f"cannot set up the store at {self.url}: {_first_line(exc)}") from exc
        finally:
            conn.close()
        self.channel = f"mechanic_runs_{self.schema}"
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=pool_max,
            timeout=POOL_WAIT,
            configure=_configure,
            kwargs={"autocommit": True, "row_factory": dict_row, "connect_timeout": CONNECT_TIMEOUT},
            name="mechanic-readers",
            open=True,
        )
        self._down_until = 0.0
        self._down_error: StoreUnavailable | None = None
        self._listener: threading.Thread | None = None
        self._listening = threading.Event()
        self._listener_lock = threading.Lock()
        super().__init__("postgresql")
        self.start()

    def _connect(self, purpose: str) -> psycopg.Connection[Any]:
        try:
            conn = psycopg.connect(
                self._conninfo, autocommit=True, row_factory=dict_row, connect_timeout=CONNECT_TIMEOUT
            )
            _configure(conn)
        except psycopg.Error as exc:
            raise unreachable(self.url, exc) from exc
        return conn

    def _wrap_error(self, exc: BaseException) -> StoreError:
        if isinstance(exc, psycopg.OperationalError):
            return unreachable(self.url, exc)
        return StoreError(f"could not commit to {self.url}: {_first_line(exc)}")

    # -- reads -------------------------------------------------------------------------------------------
    def _trip(self, exc: BaseException) -> StoreUnavailable:
        self._down_error = unreachable(self.url, exc)
        self._down_until = time.monotonic() + DOWN_SECONDS
        return self._down_error

    def _check_up(self) -> None:
        if self._down_error is not None and time.monotonic() < self._down_until:
            raise self._down_error

    @contextmanager
    def _reading(self) -> Iterator[psycopg.Connection[Any]]:
        self._check_up()
        try:
            with self._pool.connection() as conn:
                yield conn
        except (PoolTimeout, psycopg.OperationalError) as exc:
            raise self._trip(exc) from exc
        except psycopg.Error as exc:
            raise StoreError(f"the store at {self.url} refused a read: {_first_line(exc)}") from exc

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Run a read-only statement and return all rows.

        A pooled connection that broke while idle (the server restarted) fails its first use; the read is
        then tried once more on another connection, as a read changes nothing.
        """
        self._check_up()
        statement, values = _translate[sql], tuple(params)
        for attempt in (1, 2):
            try:
                with self._pool.connection() as conn:
                    return conn.execute(statement, values).fetchall()
            except psycopg.OperationalError as exc:
                if attempt == 2 or self._closed:
                    raise self._trip(exc) from exc
            except PoolTimeout as exc:
                raise self._trip(exc) from exc
            except psycopg.Error as exc:
                raise StoreError(f"the store at {self.url} refused a read: {_first_line(exc)}") from exc
        raise AssertionError("not reached")

    @contextmanager
    def snapshot(self) -> Iterator[Tx]:
        """A read-only REPEATABLE READ transaction: every statement sees the same committed state."""
        with self._reading() as conn, conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield _PgTx(conn)

    def _close_readers(self) -> None:
        self._listening.clear()
        if self._listener is not None:
            self._listener.join(timeout=LISTEN_POLL * 3)
        self._pool.close()

    # -- the writer --------------------------------------------------------------------------------------
    def _connect_writer(self) -> psycopg.Connection[Any]:
        conn = self._connect("writing")
        try:
            # The default, stated: COMMIT returns only once the WAL is flushed, so a 204 is never premature.
            conn.execute("SET synchronous_commit = on")
        except psycopg.Error as exc:
            conn.close()
            raise unreachable(self.url, exc) from exc
        return conn

    def _begin(self, conn: psycopg.Connection[Any]) -> None:
        conn.execute("BEGIN")

    def _commit(self, conn: psycopg.Connection[Any]) -> None:
        conn.execute("COMMIT")

    def _rollback(self, conn: psycopg.Connection[Any]) -> None:
        if not conn.closed and conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            conn.execute("ROLLBACK")

    def _tx(self, conn: psycopg.Connection[Any]) -> Tx:
        return _PgTx(conn)

    def _close_writer(self, conn: psycopg.Connection[Any]) -> None:
        try:
            conn.close()
        except psycopg.Error:
            pass  # already broken

    def attach_loop(self, loop: Any) -> None:
        """Declined: a commit here waits on the network, which must not stall a server's event loop."""

    def _after_batch(self, conn: psycopg.Connection[Any], committed: bool) -> None:
        self._down_error = None  # the server answers again: reads need not wait out the pause

    def _notify(self, tx: Tx) -> None:
        tx.execute("SELECT pg_notify(?, '') AS sent", (self.channel,))

    # -- notifications -----------------------------------------------------------------------------------
    def on_due(self, callback: Any) -> Any:
        """Also hear other processes' commits: a listener thread starts with the first subscriber."""
        unsubscribe = super().on_due(callback)
        with self._listener_lock:
            if self._listener is None and not self._closed:
                self._listening.set()
                self._listener = threading.Thread(target=self._listen, name="mechanic-listener", daemon=True)
                self._listener.start()
        return unsubscribe

    def _listen(self) -> None:
        conn: psycopg.Connection[Any] | None = None
        while self._listening.is_set():
            try:
                if conn is None:
                    conn = self._connect("listening")
                    conn.execute(pgsql.SQL("LISTEN {}").format(pgsql.Identifier(self.channel)))
                    self._runs_came_due()  # anything committed while not listening is looked at now
                for _ in conn.notifies(timeout=LISTEN_POLL, stop_after=1):
                    self._runs_came_due()
            except (psycopg.Error, StoreError) as exc:
                log.warning("listening for new runs on %s failed (%s); retrying", self.url, _first_line(exc))
                if conn is not None:
                    self._close_writer(conn)
                conn = None
                time.sleep(LISTEN_POLL)
        if conn is not None:
            self._close_writer(conn)


class _PostgresMigrator:
    """Runs migrations on one connection in one transaction, one migrator at a time."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def begin(self) -> None:
        self.conn.execute("BEGIN")
        self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))

    def applied(self) -> set[str]:
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at text "
            "NOT NULL DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'))"
        )
        return {row["name"] for row in self.conn.execute("SELECT name FROM schema_migrations")}

    def run(self, name: str, sql: str) -> None:
        self.conn.execute(sql)  # several statements in one simple query, inside the migration's transaction
        self.conn.execute("INSERT INTO schema_migrations (name) VALUES (%s)", (name,))

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def rollback(self) -> None:
        if not self.conn.closed and self.conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            self.conn.execute("ROLLBACK")
