"""Pipelined durability: the writer commits without syncing, a sync thread syncs the ``-wal`` file, and only
then does any write's future resolve (docs/decisions.md, "Webhook ingest", **Durability**)."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from mechanic_kernel import Workbench
from mechanic_kernel.errors import StoreError
from mechanic_kernel.store.database import Database
from mechanic_kernel.store.database import _WalSync
from mechanic_kernel.webhooks.models import Webhook


def _visible(path: Path) -> list[int]:
    """The rows of ``t`` another connection sees (committed, whether synced or not)."""
    conn = sqlite3.connect(path, timeout=10)
    try:
        return [row[0] for row in conn.execute("SELECT x FROM t ORDER BY x")]
    finally:
        conn.close()


class _RecordingFsync:
    """Stands in for ``os.fdatasync``: records what was committed when each call started, and can be held."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.calls: list[dict[str, object]] = []
        self.release = threading.Event()
        self.release.set()
        self.entered = threading.Event()
        self.lock = threading.Lock()

    def __call__(self, fd: int) -> None:
        call: dict[str, object] = {"inode": os.fstat(fd).st_ino, "done": False}
        try:
            call["visible"] = _visible(self.path)
        except sqlite3.OperationalError:
            call["visible"] = []  # before the table exists
        with self.lock:
            self.calls.append(call)
        self.entered.set()
        assert self.release.wait(10)
        os.fsync(fd)
        call["done"] = True

    def completed(self) -> list[dict[str, object]]:
        with self.lock:
            return [call for call in self.calls if call["done"]]


def _open(tmp_path: Path) -> tuple[Database, _RecordingFsync]:
    fsync = _RecordingFsync(tmp_path / "a.db")
    db = Database(tmp_path / "a.db", fsync=fsync)
    db.write_sync(lambda conn: conn.execute("CREATE TABLE t (x INTEGER PRIMARY KEY)"))
    return db, fsync


def _until(condition: Callable[[], bool]) -> None:
    for _ in range(1000):
        if condition():
            return
        threading.Event().wait(0.01)
    raise AssertionError("timed out")


def test_the_writer_commits_without_syncing_and_the_sync_thread_syncs_the_wal(tmp_path: Path) -> None:
    db, fsync = _open(tmp_path)
    try:
        assert db.write_sync(lambda conn: conn.execute("PRAGMA synchronous").fetchone()[0]) == 1  # NORMAL
        assert db.query_one("PRAGMA synchronous")[0] == 2  # every other connection: FULL
        db.insert([("INSERT INTO t (x) VALUES (?)", (1,))]).result(10)
        wal = os.stat(str(tmp_path / "a.db") + "-wal")
        assert fsync.calls and all(call["inode"] == wal.st_ino for call in fsync.calls)
    finally:
        db.close()


def test_futures_resolve_only_after_a_sync_that_started_after_their_commit(tmp_path: Path) -> None:
    db, fsync = _open(tmp_path)
    try:
        fsync.entered.clear()
        fsync.release.clear()
        first = db.insert([("INSERT INTO t (x) VALUES (?)", (1,))])
        assert fsync.entered.wait(10)
        # Committed (another connection reads it) but not acknowledged while its sync is held.
        assert _visible(tmp_path / "a.db") == [1]
        assert not first.done()
        # The writer does not wait for the sync: the next write commits meanwhile, and waits in turn.
        second = db.write(lambda conn: conn.execute("INSERT INTO t (x) VALUES (2)"))
        _until(lambda: _visible(tmp_path / "a.db") == [1, 2])
        assert not first.done() and not second.done()
        resolved: dict[int, list[list[int]]] = {}
        for x, future in ((1, first), (2, second)):
            future.add_done_callback(
                lambda _, x=x: resolved.setdefault(x, [call["visible"] for call in fsync.completed()]))
        fsync.release.set()
        first.result(10)
        second.result(10)
        # Each write resolved after a completed sync that had started once the write was committed.
        assert any(1 in visible for visible in resolved[1])
        assert any(2 in visible for visible in resolved[2])
        assert len(fsync.calls) >= 3  # the table, the first write, the second (one sync per batch or fewer)
    finally:
        fsync.release.set()
        db.close()


def test_a_failing_sync_fails_its_writes_and_every_write_after(tmp_path: Path) -> None:
    failures: list[int] = []

    def failing(fd: int) -> None:
        if failures:
            raise OSError(5, "Input/output error")
        os.fsync(fd)

    db = Database(tmp_path / "a.db", fsync=failing)
    try:
        db.write_sync(lambda conn: conn.execute("CREATE TABLE t (x INTEGER PRIMARY KEY)"))
        failures.append(1)
        with pytest.raises(StoreError, match="could not sync .*Input/output error"):
            db.insert([("INSERT INTO t (x) VALUES (?)", (1,))]).result(10)
        # The failed sync may have lost frames the later ones chain on: no write is acknowledged any more.
        failures.clear()
        with pytest.raises(StoreError, match="refuses writes until it is reopened"):
            db.write_sync(lambda conn: conn.execute("INSERT INTO t (x) VALUES (2)"))
    finally:
        db.close()
    again = Database(tmp_path / "a.db")
    try:
        again.write_sync(lambda conn: conn.execute("INSERT INTO t (x) VALUES (3)"))
        assert 3 in [row[0] for row in again.query("SELECT x FROM t")]
    finally:
        again.close()


def test_a_failing_sync_turns_the_204_into_a_500(server: str, workbench: Workbench, webhook: Webhook) -> None:
    def failing(fd: int) -> None:
        raise OSError(5, "Input/output error")

    workbench.store.db._wal._fsync = failing
    with httpx.Client(trust_env=False, timeout=30) as client:
        answer = client.post(f"{server}/mechanic/webhooks/{webhook.id}", json={"a": 1})
    assert answer.status_code == 500
    assert "StoreError" in answer.text


def test_close_syncs_pending_writes_then_stops_the_sync_thread(tmp_path: Path) -> None:
    db, fsync = _open(tmp_path)
    fsync.release.clear()
    fsync.entered.clear()
    futures = [db.insert([("INSERT INTO t (x) VALUES (?)", (x,))]) for x in range(20)]
    assert fsync.entered.wait(10)
    threading.Timer(0.2, fsync.release.set).start()
    db.close()
    assert all(future.result(0) is None for future in futures)
    assert not db._syncer.is_alive() and not db._writer.is_alive()
    assert db._wal._fd is None
    assert _visible(tmp_path / "a.db") == list(range(20))


def test_the_wal_is_reopened_when_its_file_is_replaced(tmp_path: Path) -> None:
    synced: list[int] = []
    wal = tmp_path / "a.db-wal"
    wal.write_bytes(b"one")
    sync = _WalSync(str(wal), lambda fd: synced.append(os.fstat(fd).st_ino))
    try:
        sync.sync()
        sync.sync()
        wal.unlink()
        with pytest.raises(FileNotFoundError):  # never created here: a missing WAL fails the sync
            sync.sync()
        wal.write_bytes(b"two")
        sync.sync()
    finally:
        sync.close()
    assert len(synced) == 3
    assert synced[0] == synced[1] != synced[2] == wal.stat().st_ino
