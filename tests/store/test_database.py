"""The SQLite store: WAL, migrations, group commit with per-write isolation, two processes on one file."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from mechanic_kernel.errors import StoreError
from mechanic_kernel.store import open_store
from mechanic_kernel.store.database import Database
from mechanic_kernel.store.schema import migrations


def test_store_is_in_wal_mode_with_every_migration(home: Path) -> None:
    home.mkdir()
    store = open_store(home)
    try:
        assert store.db.query_one("PRAGMA journal_mode")[0] == "wal"
        applied = [row[0] for row in store.db.query("SELECT name FROM schema_migrations ORDER BY name")]
        assert applied == [name for name, _ in migrations()]
    finally:
        store.close()


def test_migrations_are_idempotent(tmp_path: Path) -> None:
    Database(tmp_path / "a.db").close()
    again = Database(tmp_path / "a.db")
    try:
        count = again.query_one("SELECT count(*) FROM schema_migrations")[0]
        assert count == len(migrations())
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
        futures = [db.write(lambda conn, i=i: conn.execute("INSERT INTO t VALUES (?)", (i % 5,)))
                   for i in range(10)]
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
