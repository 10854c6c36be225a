"""The SQLite store: WAL, migrations, group commit with per-write isolation, two processes on one file."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from mechanic_kernel.errors import StoreError
from mechanic_kernel.store import open_store
from mechanic_kernel.store.schema import versions
from mechanic_kernel.store.sqlite.database import CHECKPOINT_EVERY
from mechanic_kernel.store.sqlite.database import SQLiteDatabase as Database


def test_store_is_in_wal_mode_with_every_migration(home: Path) -> None:
    home.mkdir()
    store = open_store(home)
    try:
        assert store.db.query_one("PRAGMA journal_mode")[0] == "wal"
        applied = [row[0] for row in store.db.query("SELECT name FROM schema_migrations ORDER BY name")]
        assert applied == versions()
    finally:
        store.close()


def test_migrations_are_idempotent(tmp_path: Path) -> None:
    Database(tmp_path / "a.db").close()
    again = Database(tmp_path / "a.db")
    try:
        count = again.query_one("SELECT count(*) FROM schema_migrations")[0]
        assert count == len(versions())
    finally:
        again.close()


def test_a_store_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    Database(tmp_path / "a.db").close()
    conn = sqlite3.connect(tmp_path / "a.db")
    conn.execute("INSERT INTO schema_migrations (name) VALUES ('9999_from_the_future')")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer mechanic-kernel"):
        Database(tmp_path / "a.db")


def test_a_failing_write_does_not_undo_its_batch_neighbours(tmp_path: Path) -> None:
    db = Database(tmp_path / "a.db")
    try:
        db.write_sync(lambda conn: conn.execute("CREATE TABLE t (x INTEGER PRIMARY KEY)"))
        futures = [
            db.write(lambda conn, i=i: conn.execute("INSERT INTO t VALUES (?)", (i % 5,))) for i in range(10)
        ]
        outcomes = [future.exception() is None for future in futures]
        assert outcomes == [True] * 5 + [False] * 5
        assert [row[0] for row in db.query("SELECT x FROM t ORDER BY x")] == [0, 1, 2, 3, 4]
    finally:
        db.close()


def test_writes_after_close_are_refused(tmp_path: Path) -> None:
    db = Database(tmp_path / "a.db")
    db.close()
    with pytest.raises(StoreError, match="closed"):
        db.write(lambda conn: None)


def test_unwritable_home_is_a_clear_error(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "deeper" / "a.db"
    with pytest.raises(StoreError, match="cannot open the store"):
        Database(target)


def test_two_processes_write_to_one_store(home: Path) -> None:
    home.mkdir()
    open_store(home).close()
    script = (
        "import sys\n"
        "from mechanic_kernel import Workbench\n"
        "wb = Workbench(sys.argv[1])\n"
        "[wb.webhooks.create(f'w{i}', 'user/a/b') for i in range(50)]\n"
        "wb.close()\n"
    )
    processes = [subprocess.Popen([sys.executable, "-c", script, str(home)]) for _ in range(2)]
    assert [process.wait(60) for process in processes] == [0, 0]
    store = open_store(home)
    try:
        assert len(store.webhooks.list()) == 100
    finally:
        store.close()


def _hold_writer(db: Database) -> threading.Event:
    """Keep the writer thread busy until the returned event is set, so the next writes form one batch."""
    release = threading.Event()
    started = threading.Event()

    def wait(conn: sqlite3.Connection) -> None:
        started.set()
        release.wait(10)

    db.write(wait)
    assert started.wait(10)
    return release


def test_inserts_of_one_batch_are_merged_and_all_committed(tmp_path: Path) -> None:
    db = Database(tmp_path / "a.db")
    try:
        db.write_sync(lambda conn: conn.execute("CREATE TABLE t (x INTEGER PRIMARY KEY, y TEXT)"))
        db.write_sync(lambda conn: conn.execute("CREATE TABLE u (x INTEGER REFERENCES t (x), z BLOB)"))
        release = _hold_writer(db)
        futures = [
            db.insert(
                [
                    ("INSERT INTO t (x, y) VALUES (?, ?)", (i, f"y{i}")),
                    ("INSERT INTO u (x, z) VALUES (?,?)", (i, bytes([i]))),
                ]
            )
            for i in range(256)
        ]
        release.set()
        assert [future.result(10) for future in futures] == [None] * 256
        assert db.query_one("SELECT count(*), sum(x) FROM t")[:] == (256, sum(range(256)))
        assert [tuple(row) for row in db.query("SELECT x, z FROM u WHERE x IN (0, 255) ORDER BY x")] == [
            (0, b"\x00"),
            (255, b"\xff"),
        ]
    finally:
        db.close()


def test_a_failing_insert_does_not_undo_its_merged_neighbours(tmp_path: Path) -> None:
    db = Database(tmp_path / "a.db")
    try:
        db.write_sync(lambda conn: conn.execute("CREATE TABLE t (x INTEGER PRIMARY KEY)"))
        db.write_sync(lambda conn: conn.execute("CREATE TABLE u (x INTEGER)"))
        release = _hold_writer(db)
        # Each write inserts into both tables; the duplicate x=3 takes its own row of u with it, and only it.
        futures = [
            db.insert([("INSERT INTO t (x) VALUES (?)", (x,)), ("INSERT INTO u (x) VALUES (?)", (x,))])
            for x in (1, 2, 3, 3, 4)
        ]
        release.set()
        errors = [future.exception(10) for future in futures]
        assert [error is None for error in errors] == [True, True, True, False, True]
        assert isinstance(errors[3], StoreError) and "UNIQUE" in str(errors[3])
        assert [row[0] for row in db.query("SELECT x FROM t ORDER BY x")] == [1, 2, 3, 4]
        assert [row[0] for row in db.query("SELECT x FROM u ORDER BY x")] == [1, 2, 3, 4]
    finally:
        db.close()


def test_inserts_keep_their_place_among_other_writes(tmp_path: Path) -> None:
    db = Database(tmp_path / "a.db")
    try:
        db.write_sync(lambda conn: conn.execute("CREATE TABLE t (x INTEGER PRIMARY KEY, y TEXT)"))
        release = _hold_writer(db)
        first = db.insert([("INSERT INTO t (x, y) VALUES (?, ?)", (1, "a"))])
        update = db.write(lambda conn: conn.execute("UPDATE t SET y = 'b' WHERE x = 1").rowcount)
        second = db.insert(
            [("INSERT INTO t (x, y) VALUES (?, ?)", (2, "c")), ("UPDATE t SET y = y || '!' WHERE x = 1", ())]
        )  # not mergeable: run as written
        release.set()
        assert (first.result(10), update.result(10), second.result(10)) == (None, 1, None)
        assert [tuple(row) for row in db.query("SELECT x, y FROM t ORDER BY x")] == [(1, "b!"), (2, "c")]
    finally:
        db.close()


def test_inserts_with_a_loop_resolve_asyncio_futures_after_commit(tmp_path: Path) -> None:
    db = Database(tmp_path / "a.db")
    try:
        db.write_sync(lambda conn: conn.execute("CREATE TABLE t (x INTEGER PRIMARY KEY)"))

        async def insert_many() -> list[object]:
            loop = asyncio.get_running_loop()
            futures = [db.insert([("INSERT INTO t (x) VALUES (?)", (x % 40,))], loop=loop) for x in range(50)]
            assert all(isinstance(future, asyncio.Future) for future in futures)
            return await asyncio.gather(*futures, return_exceptions=True)

        outcomes = asyncio.run(insert_many())
        assert outcomes[:40] == [None] * 40
        assert all(isinstance(outcome, StoreError) for outcome in outcomes[40:])
        assert db.query_one("SELECT count(*) FROM t")[0] == 40
    finally:
        db.close()


def test_the_writer_leaves_checkpoints_to_another_thread(tmp_path: Path) -> None:
    db = Database(tmp_path / "a.db")
    try:
        db.write_sync(lambda conn: conn.execute("CREATE TABLE t (x INTEGER PRIMARY KEY)"))
        assert db.write_sync(lambda conn: conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]) == 0
        for x in range(3 * CHECKPOINT_EVERY):
            db.insert([("INSERT INTO t (x) VALUES (?)", (x,))]).result(10)
        assert db.query_one("SELECT count(*) FROM t")[0] == 3 * CHECKPOINT_EVERY
    finally:
        db.close()
    conn = sqlite3.connect(tmp_path / "a.db")
    assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 3 * CHECKPOINT_EVERY
    conn.close()


def test_a_cancelled_waiter_neither_stops_its_write_nor_the_writer(tmp_path: Path) -> None:
    db = Database(tmp_path / "a.db")
    try:
        db.write_sync(lambda conn: conn.execute("CREATE TABLE t (x INTEGER PRIMARY KEY)"))
        release = _hold_writer(db)
        cancelled = [
            db.insert([("INSERT INTO t (x) VALUES (?)", (1,))]),
            db.write(lambda conn: conn.execute("INSERT INTO t (x) VALUES (2)")),
        ]
        assert all(future.cancel() for future in cancelled)
        release.set()
        db.insert([("INSERT INTO t (x) VALUES (?)", (3,))]).result(10)
        assert [row[0] for row in db.query("SELECT x FROM t ORDER BY x")] == [1, 2, 3]
    finally:
        db.close()
