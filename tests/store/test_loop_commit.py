"""Committing webhook inserts on the server's own event loop (what `serve` does)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from mechanic_kernel.errors import StoreError
from mechanic_kernel.store.sqlite.database import SQLiteDatabase as Database

INSERT = "INSERT INTO t (x) VALUES (?)"


@pytest.fixture
def db(tmp_path: Path):
    database = Database(tmp_path / "a.db")
    database.write_sync(lambda conn: conn.execute("CREATE TABLE t (x INTEGER PRIMARY KEY)"))
    yield database
    database.close()


def committed(path: Path) -> list[int]:
    with sqlite3.connect(path) as other:  # another connection sees only committed rows
        return [row[0] for row in other.execute("SELECT x FROM t ORDER BY x")]


def test_inserts_of_one_loop_iteration_share_a_commit_made_before_they_resolve(db: Database) -> None:
    async def main() -> list[list[int]]:
        loop = asyncio.get_running_loop()
        db.attach_loop(loop)
        seen: list[list[int]] = []
        futures = [db.insert([(INSERT, (i,))], loop=loop) for i in range(5)]
        for future in futures:
            future.add_done_callback(lambda _: seen.append(committed(db.path)))
        await asyncio.gather(*futures)
        return seen

    seen = asyncio.run(main())
    assert seen == [[0, 1, 2, 3, 4]] * 5
    assert db.loop_commits == 1


def test_a_failing_insert_fails_alone(db: Database) -> None:
    async def main() -> list[object]:
        loop = asyncio.get_running_loop()
        db.attach_loop(loop)
        futures = [db.insert([(INSERT, (value,))], loop=loop) for value in (1, 2, 1, 3)]
        return await asyncio.gather(*futures, return_exceptions=True)

    outcomes = asyncio.run(main())
    assert [isinstance(outcome, Exception) for outcome in outcomes] == [False, False, True, False]
    assert committed(db.path) == [1, 2, 3]


def test_other_loops_and_threads_still_use_the_writer_thread(db: Database) -> None:
    async def main() -> None:
        db.attach_loop(asyncio.new_event_loop())  # a different loop than the one inserting
        await db.insert([(INSERT, (7,))], loop=asyncio.get_running_loop())

    asyncio.run(main())
    assert db.loop_commits == 0
    assert committed(db.path) == [7]


def test_close_commits_what_is_pending(tmp_path: Path) -> None:
    database = Database(tmp_path / "b.db")
    database.write_sync(lambda conn: conn.execute("CREATE TABLE t (x INTEGER PRIMARY KEY)"))
    loop = asyncio.new_event_loop()
    try:
        database.attach_loop(loop)
        future = database.insert([(INSERT, (9,))], loop=loop)
        database.close()  # before the loop ran its scheduled commit
        assert future.done() and future.result() is None
        assert committed(database.path) == [9]
        with pytest.raises(StoreError, match="closed"):
            database.insert([(INSERT, (10,))], loop=loop)
    finally:
        loop.close()
