"""What only the PostgreSQL backend does: its URL's failures, a database that goes away, LISTEN/NOTIFY."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

import httpx
import psycopg
import pytest
from pgtools import REQUIRED
from pgtools import TestDatabase
from proxy import Proxy

from mechanic_kernel import Workbench
from mechanic_kernel.errors import StoreError
from mechanic_kernel.errors import StoreUnavailable
from mechanic_kernel.ids import uuid7
from mechanic_kernel.models.events import Event
from mechanic_kernel.store import open_store
from mechanic_kernel.store.url import mask

STARTUP_TIMEOUT = 30


@pytest.fixture
def database(postgres: TestDatabase | str) -> TestDatabase:
    if isinstance(postgres, str):
        if REQUIRED:
            pytest.fail(postgres)
        pytest.skip(postgres)
    return postgres


@pytest.fixture
def pg_url(database: TestDatabase) -> Iterator[str]:
    schema, url = database.fresh_schema()
    yield url
    database.drop_schema(schema)


def through(url: str, port: int) -> str:
    """``url`` with its host and port replaced by 127.0.0.1:``port``."""
    parts = urlsplit(url)
    user = parts.netloc.rpartition("@")[0]
    return urlunsplit((parts.scheme, f"{user}@127.0.0.1:{port}", parts.path, parts.query, ""))


def cli(home: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mechanic_kernel", "--home", str(home), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


# -- the URL ------------------------------------------------------------------------------------------------
def test_an_unreachable_server_fails_fast_naming_the_url_without_its_password(tmp_path: Path) -> None:
    url = "postgresql://mechanic:s3cret@127.0.0.1:1/nowhere"
    with pytest.raises(StoreUnavailable) as caught:
        open_store(tmp_path, url)
    message = caught.value.message
    assert "postgresql://mechanic:***@127.0.0.1:1/nowhere" in message and "s3cret" not in message
    assert "Check that the PostgreSQL server is running" in message


def test_a_missing_database_says_to_create_it(tmp_path: Path, database: TestDatabase) -> None:
    missing = urlunsplit(urlsplit(database.url)._replace(path="/mk_no_such_database"))
    with pytest.raises(StoreUnavailable, match="mk_no_such_database.*createdb"):
        open_store(tmp_path, missing)


def test_the_cli_reports_a_bad_store_url_with_exit_status_1(tmp_path: Path) -> None:
    done = cli(tmp_path, "--store", "postgresql://u:pw-123@127.0.0.1:1/x", "webhooks", "list")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("error: cannot reach the store at postgresql://u:***@127.0.0.1:1/x")
    assert "pw-123" not in done.stderr
    other = cli(tmp_path, "--store", "mysql://127.0.0.1/x", "webhooks", "list")
    assert other.returncode == 1 and "unsupported store URL 'mysql://127.0.0.1/x'" in other.stderr


def test_mask_hides_passwords_in_every_place_a_url_carries_one() -> None:
    assert mask("postgresql://u:p@h/db") == "postgresql://u:***@h/db"
    assert (
        mask("postgresql://u@h/db?password=p&sslmode=require")
        == "postgresql://u@h/db?password=***&sslmode=require"
    )
    assert mask("sqlite:///tmp/a.sqlite3") == "sqlite:///tmp/a.sqlite3"


def test_a_store_migrated_by_a_newer_release_is_refused(tmp_path: Path, pg_url: str) -> None:
    open_store(tmp_path, pg_url).close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO schema_migrations (name) VALUES ('9999_from_the_future')")
    with pytest.raises(StoreError, match="newer mechanic-kernel.*9999_from_the_future"):
        open_store(tmp_path, pg_url)


def test_processes_starting_together_migrate_once(tmp_path: Path, pg_url: str) -> None:
    script = "import sys\nfrom mechanic_kernel.store import open_store\nopen_store(*sys.argv[1:3]).close()\n"
    processes = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path), pg_url]) for _ in range(4)]
    assert [process.wait(60) for process in processes] == [0] * 4
    with psycopg.connect(pg_url) as conn:
        names = [row[0] for row in conn.execute("SELECT name FROM schema_migrations ORDER BY name")]
    assert len(names) == len(set(names)) >= 6


# -- LISTEN/NOTIFY ----------------------------------------------------------------------------------------
def test_a_commit_of_another_process_wakes_listeners_through_notify(tmp_path: Path, pg_url: str) -> None:
    listening = open_store(tmp_path, pg_url)
    heard = threading.Event()
    try:
        assert listening.notifies_other_processes
        listening.runs.on_due(heard.set)
        time.sleep(0.5)  # the listener thread connects and issues LISTEN
        heard.clear()
        script = (
            "import sys\nfrom mechanic_kernel.store import open_store\n"
            "from mechanic_kernel.models.events import Event\n"
            "store = open_store(sys.argv[1], sys.argv[2])\n"
            "store.events.add(Event(id=sys.argv[3], topic='user/a/b', data=None, source='user',"
            " created_at='2026-03-01T12:00:00.000Z')).result()\nstore.close()\n"
        )
        subprocess.run(
            [sys.executable, "-c", script, str(tmp_path / "elsewhere"), pg_url, uuid7()],
            check=True,
            timeout=60,
        )
        assert heard.wait(10), "the other process's commit was not heard"
    finally:
        listening.close()


def test_sqlite_says_it_cannot_notify_other_processes(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    try:
        assert not store.notifies_other_processes
    finally:
        store.close()


# -- a database that goes away ------------------------------------------------------------------------------
def start_serve(home: Path, url: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mechanic_kernel",
            "serve",
            "--home",
            str(home),
            "--store",
            url,
            "--port",
            "0",
            "--no-worker",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("mechanic-kernel serving "):
        process.kill()
        raise AssertionError(f"unexpected first line {line!r}; stderr: {process.stderr.read()}")
    return process, line.split()[-1]


def test_serve_answers_503_while_the_database_is_away_and_recovers(tmp_path: Path, pg_url: str) -> None:
    target = urlsplit(pg_url)
    proxy = Proxy((target.hostname or "127.0.0.1", target.port or 5432))
    url = through(pg_url, proxy.port)
    with Workbench(tmp_path, store=url) as bench:
        hook = bench.webhooks.create("Example", "user/webhook/test")
    process, base = start_serve(tmp_path, url)
    answers: list[tuple[int, str | None]] = []
    try:
        with httpx.Client(timeout=30, trust_env=False) as http:

            def post(n: int) -> int:
                response = http.post(f"{base}/mechanic/webhooks/{hook.id}", json={"n": n})
                answers.append((response.status_code, response.headers.get("x-request-id")))
                if response.status_code == 503:
                    assert response.headers["Retry-After"] == "5"
                    assert "not stored" in response.text
                return response.status_code

            assert post(0) == 204
            proxy.cut()
            time.sleep(1.2)  # past the server's one-second caches of the webhook and the settings
            assert [post(n) for n in range(1, 4)] == [503, 503, 503]
            proxy.restore()
            deadline = time.monotonic() + 20
            while post(4) != 204:
                assert time.monotonic() < deadline, f"no recovery: {answers[-3:]}"
                time.sleep(0.2)
            assert [post(n) for n in range(5, 10)] == [204] * 5
    finally:
        process.terminate()
        process.wait(30)
        proxy.stop()
    with Workbench(tmp_path / "reader", store=pg_url) as bench:
        stored = {event.webhook_request_id for event in bench.list_events(limit=None)}
    acknowledged = {request_id for status, request_id in answers if status == 204}
    assert acknowledged == stored  # every 204 was stored, and nothing answered 503 was
    assert all(request_id is None for status, request_id in answers if status == 503)


def test_a_worker_rides_out_an_outage_and_performs_what_came_meanwhile(tmp_path: Path, pg_url: str) -> None:
    target = urlsplit(pg_url)
    proxy = Proxy((target.hostname or "127.0.0.1", target.port or 5432))
    with Workbench(tmp_path, store=pg_url) as bench:
        bench.tasks.create("Echo", script='{% action "echo", event.data %}', subscriptions=["user/a/b"])
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mechanic_kernel",
                "--home",
                str(tmp_path),
                "--store",
                through(pg_url, proxy.port),
                "worker",
                "run",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert worker.stdout is not None and worker.stdout.readline().startswith("worker performing runs")
            bench.emit_event("user/a/b", {"n": 0})
            deadline = time.monotonic() + 30
            while bench.engine.store.runs.count(status="succeeded") < 3:
                assert time.monotonic() < deadline
                time.sleep(0.1)
            proxy.cut()
            for n in range(1, 4):  # committed straight to the database while the worker cannot reach it
                bench.emit_event("user/a/b", {"n": n})
            time.sleep(2)
            assert worker.poll() is None and bench.engine.store.runs.count(status="succeeded") == 3
            proxy.restore()
            deadline = time.monotonic() + 30
            while bench.engine.store.runs.count(status="succeeded") < 12:
                assert time.monotonic() < deadline, "the worker did not recover"
                time.sleep(0.1)
        finally:
            worker.terminate()
            _, err = worker.communicate(timeout=30)
            proxy.stop()
    assert worker.returncode == 0, err
    assert "cannot reach the store" in err and "reachable again" in err
    assert "Traceback" not in err


def test_a_read_while_the_database_is_away_raises_store_unavailable(tmp_path: Path, pg_url: str) -> None:
    target = urlsplit(pg_url)
    proxy = Proxy((target.hostname or "127.0.0.1", target.port or 5432))
    try:
        store = open_store(tmp_path, through(pg_url, proxy.port))
        try:
            assert store.events.count() == 0
            proxy.cut()
            with pytest.raises(StoreUnavailable, match="cannot reach the store"):
                for _ in range(3):  # a pooled connection may need one failed use to learn it broke
                    store.events.count()
            with pytest.raises(StoreUnavailable):
                store.settings.put("x", 1)
            proxy.restore()
            deadline = time.monotonic() + 20
            while True:
                try:
                    store.settings.put("x", 2)
                    break
                except StoreUnavailable:
                    assert time.monotonic() < deadline
                    time.sleep(0.2)
            assert store.settings.all() == {"x": 2}
        finally:
            store.close()
    finally:
        proxy.stop()


def test_the_extension_and_kernels_take_the_store_from_the_environment(tmp_path: Path, pg_url: str) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from mechanic_kernel import Workbench\nwb = Workbench()\nprint(wb.store.url)\n"
            "wb.webhooks.create('E', 'user/a/b')\nwb.close()",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "MECHANIC_HOME": str(tmp_path), "MECHANIC_STORE": pg_url},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == mask(pg_url)
    listed = cli(tmp_path, "--store", pg_url, "webhooks", "list", "--json")
    assert [hook["name"] for hook in json.loads(listed.stdout)] == ["E"]
    assert not (tmp_path / "mechanic.sqlite3").exists()


def test_events_copy_their_data_exactly(tmp_path: Path, pg_url: str) -> None:
    """JSON is stored as json (not jsonb): key order and duplicates-free text survive as written."""
    store = open_store(tmp_path, pg_url)
    try:
        data = {"z": 1, "a": [1, 2.5, None, True], "m": {"é": "ü", "nested": {"b": 2, "a": 1}}, "big": 10**20}
        evt = Event(
            id=uuid7(), topic="user/a/b", data=data, source="user", created_at="2026-03-01T12:00:00.000Z"
        )
        store.events.add(evt).result(30)
        again = store.events.get(evt.id)
        assert again is not None and again.data == data and list(again.data) == ["z", "a", "m", "big"]
        assert list(again.data["m"]["nested"]) == ["b", "a"]
    finally:
        store.close()
