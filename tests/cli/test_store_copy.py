"""``mechanic-kernel store copy SRC DST`` and ``store info``: a whole store moved between backends, verified.

The source is a real workbench (webhooks, events received over HTTP, tasks performed by the worker, the
cache, the outbox, files, filters, settings); it is copied SQLite → PostgreSQL → SQLite through the real CLI
and every record of every kind must come back as it was. The PostgreSQL side is a fresh schema of the run's
test database (tests/pgtools.py). SQLite URLs are given as documented (``sqlite:///ABS/PATH``, :func:`sqlite`)
and shown as the store names itself (``sqlite:///`` + the absolute path, :func:`shown`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pgtools import REQUIRED
from pgtools import TestDatabase

from mechanic_kernel import Workbench
from mechanic_kernel.cli import main
from mechanic_kernel.cli import store as store_commands
from mechanic_kernel.errors import StoreError
from mechanic_kernel.models.runs import RunStatus
from mechanic_kernel.store import open_store
from mechanic_kernel.store.schema import versions
from mechanic_kernel.store.sql.store import RECORD_KINDS

ROOT = Path(__file__).resolve().parents[2]
FORM_BODY = b"contact[name]=Ann&contact[email]=ann@example.com"
RAW_BODY = bytes(range(256))  # every byte value: the raw capture must survive both backends untouched
UNREACHABLE = "postgresql://postgres@127.0.0.1:1/x"


# -- fixtures ------------------------------------------------------------------------------------------------
@pytest.fixture
def pg(postgres: TestDatabase | str) -> Iterator[Callable[[], str]]:
    """Make fresh PostgreSQL schemas (each an empty store URL); all are dropped after the test."""
    if isinstance(postgres, str):
        if REQUIRED:
            pytest.fail(postgres)
        pytest.skip(postgres)
    made: list[str] = []

    def fresh() -> str:
        schema, url = postgres.fresh_schema()
        made.append(schema)
        return url

    yield fresh
    for schema in made:
        postgres.drop_schema(schema)


@pytest.fixture(autouse=True)
def no_store_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MECHANIC_STORE", raising=False)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A SQLite workbench holding records of every kind, built the way a user would; read-only for tests."""
    home = tmp_path_factory.mktemp("source")
    bench = Workbench(home)
    try:
        bench.settings.set("timezone", "Europe/Paris")
        bench.settings.set("shop_domain", "example.myshopify.com")
        hook = bench.webhooks.create("Example", "user/webhook/test")
        raw = bench.webhooks.create("Raw", "user/webhook/raw", mode="full")
        bench.outbox.set_template("thanks", "<p>Thanks {{ name }}</p>", updated_at="2026-03-01T12:00:00.000Z")
        echo = bench.tasks.create(
            "Echo",
            script='{% action "echo", event.data %}',
            subscriptions=["user/webhook/test", "user/webhook/raw"],
        )
        bench.tasks.update(echo.id, docs="Echoes the event data.")  # keeps a task version
        bench.tasks.create(
            "Fan out",
            subscriptions=["user/webhook/test"],
            script=(
                '{% action "cache", "incr", "hits" %}'
                '{% action "event", topic: "user/child/created", data: event.data %}'
                '{% action "email", to: "ann@example.com", subject: "Thanks", body: "x", template: "thanks", '
                'name: "Ann" %}'
                '{% action "files" %}{"note.txt": "hello"}{% endaction %}'
                '{% log "fanned out" %}'
            ),
        )
        bench.tasks.create(
            "Fails", script='{% action "echo", __error: "boom" %}', subscriptions=["user/webhook/raw"]
        )
        bench.runs.add_filter("skip tests", "{% if event.data.test %}false{% endif %}")
        bench.cache.execute(["set", "greeting", {"text": "héllo"}])
        bench.cache.add_endpoint("greeting")
        bench.serve(worker=False)
        with httpx.Client(timeout=30, trust_env=False) as http:
            form = http.post(
                bench.webhooks.url(hook),
                content=FORM_BODY,
                headers={"Content-Type": "application/x-www-form-urlencoded", "X-Custom": "yes"},
            )
            binary = http.post(
                bench.webhooks.url(raw) + "?q=1",
                content=RAW_BODY,
                headers={"Content-Type": "application/octet-stream"},
            )
            skipped = http.post(bench.webhooks.url(hook), json={"test": True})
        assert [form.status_code, binary.status_code, skipped.status_code] == [204, 204, 204]
        performed = bench.worker.run_until_idle()
        assert {run.status for run in performed} == {RunStatus.SUCCEEDED, RunStatus.FAILED}
        counts = bench.store.counts()
        assert all(counts.values()), f"the source lacks a kind: {counts}"
        request_ids = [response.headers["x-request-id"] for response in (form, binary, skipped)]
        return {
            "home": home,
            "url": sqlite(home / "mechanic.sqlite3"),
            "shown": shown(home / "mechanic.sqlite3"),
            "hook": hook.id,
            "request_ids": request_ids,
            "counts": counts,
            "described": {rid: bench.describe_event(rid) for rid in request_ids},
            "requests": {rid: bench.request_of(rid) for rid in request_ids},
            "dump": dump(bench.store),
        }
    finally:
        bench.close()


# -- helpers -------------------------------------------------------------------------------------------------
def sqlite(path: Path) -> str:
    """The documented URL of a SQLite file: ``sqlite:///`` followed by the absolute path without its ``/``."""
    return f"sqlite://{path}"


def shown(path: Path) -> str:
    """How a SQLite store names itself in messages and output."""
    return f"sqlite://{path}"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    """Run the CLI in-process: ``(status, stdout as JSON or text, stderr)``."""
    status = main(list(argv))
    captured = capsys.readouterr()
    try:
        output = json.loads(captured.out) if captured.out.strip() else None
    except json.JSONDecodeError:
        output = captured.out
    return status, output, captured.err


def dump(store: Any) -> dict[str, list[dict[str, Any]]]:
    """Every record of every kind, in order; booleans as bool (SQLite keeps 0/1, PostgreSQL true/false)."""
    return {
        kind: [
            {key: bool(value) if key == "enabled" else value for key, value in record.items()}
            for batch in store.export(kind)
            for record in batch
        ]
        for kind in RECORD_KINDS
    }


def dump_of(url: str, home: Path) -> dict[str, list[dict[str, Any]]]:
    store = open_store(home, url)
    try:
        return dump(store)
    finally:
        store.close()


def counts_of(url: str, home: Path) -> dict[str, int]:
    store = open_store(home, url)
    try:
        return store.counts()
    finally:
        store.close()


# -- copying -------------------------------------------------------------------------------------------------
def test_sqlite_to_postgresql_to_sqlite_keeps_every_record(capsys, tmp_path: Path, source, pg) -> None:
    postgres_url = pg()
    status, output, err = run(capsys, "store", "copy", source["url"], postgres_url, "--home", str(tmp_path))
    assert status == 0, err
    total = sum(source["counts"].values())
    assert output.splitlines()[-1] == (
        f"copied {total} records from {source['shown']} to {postgres_url} (counts verified)"
    )
    for kind, count in source["counts"].items():  # the human table: kind → count
        assert any(line.split() == [kind, str(count)] for line in output.splitlines()), kind
    for kind in RECORD_KINDS:  # progress per kind on stderr
        assert any(line.split()[:1] == [kind] for line in err.splitlines()), kind
    assert dump_of(postgres_url, tmp_path) == source["dump"]

    back = tmp_path / "nested" / "back.sqlite3"  # a missing folder is made for a SQLite destination
    status, output, err = run(
        capsys,
        "store",
        "copy",
        postgres_url,
        sqlite(back),
        "--home",
        str(tmp_path),
        "--json",
        "--batch-size",
        "2",
    )
    assert status == 0 and err == ""  # --json: no progress
    assert output == {
        "source": postgres_url,
        "destination": shown(back),
        "counts": source["counts"],
        "verified": True,
    }
    assert dump_of(sqlite(back), tmp_path) == source["dump"]


def test_the_content_survives_the_round_trip(capsys, tmp_path: Path, source, pg) -> None:
    postgres_url = pg()
    back = sqlite(tmp_path / "back.sqlite3")
    assert run(capsys, "store", "copy", source["url"], postgres_url, "--home", str(tmp_path))[0] == 0
    assert run(capsys, "store", "copy", postgres_url, back, "--home", str(tmp_path))[0] == 0
    for url in (postgres_url, back):
        with Workbench(tmp_path / "reader", store=url) as bench:
            for rid in source["request_ids"]:
                assert bench.describe_event(rid) == source["described"][rid]
                copied, original = bench.request_of(rid), source["requests"][rid]
                assert copied == original
                assert copied.body == original.body
                assert copied.headers == original.headers
            assert bench.request_of(source["request_ids"][1]).body == RAW_BODY
            copied = bench.request_of(source["request_ids"][0])
            assert copied.body == FORM_BODY
            assert ("X-Custom", "yes") in [tuple(pair) for pair in copied.headers]
            runs = bench.runs.list()
            assert {run.status for run in runs} == {RunStatus.SUCCEEDED, RunStatus.FAILED}
            failed = [run for run in runs if run.status is RunStatus.FAILED]
            assert failed and all(run.error for run in failed)
            [filtered] = [run for run in runs if run.details.get("filtered_by")]
            assert filtered.details["filtered_by"] == "skip tests"
            echo = next(task for task in bench.tasks.list() if task.name == "Echo")
            assert echo.docs == "Echoes the event data."
            [version] = bench.tasks.versions(echo.id)  # the task as created, before the docs were added
            assert version["version"] == 1 and version["task"]["docs"] != echo.docs
            assert sorted(task.name for task in bench.tasks.list()) == ["Echo", "Fails", "Fan out"]
            assert {hook.name: hook.mode.value for hook in bench.webhooks.list()} == {
                "Example": "auto",
                "Raw": "full",
            }
            assert bench.settings.get("timezone") == "Europe/Paris"
            assert bench.settings.get("shop_domain") == "example.myshopify.com"
            assert bench.cache.get("greeting") == {"text": "héllo"} and bench.cache.get("hits") == 1
            assert [endpoint["key"] for endpoint in bench.cache.endpoints()] == ["greeting"]
            assert bench.outbox.template("thanks") == "<p>Thanks {{ name }}</p>"
            [message] = bench.outbox.list()
            assert message["subject"] == "Thanks" and message["to_addresses"] == ["ann@example.com"]
            assert b"Thanks Ann" in bench.outbox.get(message["id"])["raw"]
            assert [item["name"] for item in bench.runs.filters()] == ["skip tests"]


def test_a_copied_postgresql_store_works(capsys, tmp_path: Path, source, pg) -> None:
    postgres_url = pg()
    assert run(capsys, "store", "copy", source["url"], postgres_url, "--home", str(tmp_path))[0] == 0
    with Workbench(source["home"]) as original:
        original_events = original.events()
    bench = Workbench(tmp_path / "pg-home", store=postgres_url)
    try:
        assert bench.store.backend == "postgresql"
        assert bench.events().equals(original_events)
        rid = source["request_ids"][0]
        assert bench.describe_event(rid) == source["described"][rid]
        bench.serve(worker=False)
        with httpx.Client(timeout=30, trust_env=False) as http:
            response = http.post(bench.webhooks.url(source["hook"]), json={"n": 2})
        assert response.status_code == 204
        new = response.headers["x-request-id"]
        performed = bench.worker.run_until_idle()
        assert performed and all(run.status is RunStatus.SUCCEEDED for run in performed)
        described = bench.describe_event(new)
        echo = next(task_run for task_run in described["task_runs"] if task_run["task_name"] == "Echo")
        assert echo["action_runs"][0]["result"] == {"n": 2}
        assert bench.cache.get("hits") == 2  # the copied counter went on counting
        # Insertion order continues after the copied records: the new event and its runs come last.
        assert described["id"] in [event.id for event in bench.list_events(limit=2)]  # with its child event
        for kind, new_id in (("events", described["id"]), ("runs", described["run"]["id"])):
            ids = [record["id"] for batch in bench.store.export(kind) for record in batch]
            copied = len(source["dump"][kind])
            assert ids[:copied] == [record["id"] for record in source["dump"][kind]]
            assert new_id in ids[copied:]
        assert len(bench.events()) == len(original_events) + 2  # the new event and its child event
    finally:
        bench.close()


def test_postgresql_to_postgresql_and_sqlite_to_sqlite(capsys, tmp_path: Path, source, pg) -> None:
    first, second = pg(), pg()
    copy = sqlite(tmp_path / "copy.sqlite3")
    for src, dst in ((source["url"], first), (first, second), (source["url"], copy)):
        status, output, err = run(capsys, "store", "copy", src, dst, "--home", str(tmp_path), "--json")
        assert status == 0, err
        assert output["counts"] == source["counts"] and output["verified"] is True
        assert dump_of(dst, tmp_path) == source["dump"]


def test_a_relative_sqlite_url_is_relative_to_the_home(capsys, tmp_path: Path, source) -> None:
    status, output, _ = run(
        capsys, "store", "copy", source["url"], "sqlite:copies/one.sqlite3", "--home", str(tmp_path), "--json"
    )
    assert status == 0
    assert output["destination"] == shown(tmp_path / "copies" / "one.sqlite3")
    assert counts_of(sqlite(tmp_path / "copies" / "one.sqlite3"), tmp_path) == source["counts"]


def test_python_m_mechanic_kernel_store_copy(tmp_path: Path, source, pg) -> None:
    postgres_url = pg()
    environment = {key: value for key, value in os.environ.items() if key != "MECHANIC_STORE"}
    command = [sys.executable, "-m", "mechanic_kernel", "store", "copy", "--home", str(tmp_path)]
    done = subprocess.run(
        [*command, source["url"], postgres_url, "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=environment,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "source": source["shown"],
        "destination": postgres_url,
        "counts": source["counts"],
        "verified": True,
    }
    assert done.stderr == ""
    back = tmp_path / "back.sqlite3"
    done = subprocess.run(
        [*command, postgres_url, sqlite(back)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=environment,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1].endswith(f"from {postgres_url} to {shown(back)} (counts verified)")
    assert [line.split()[0] for line in done.stderr.splitlines()] == list(RECORD_KINDS)
    assert dump_of(sqlite(back), tmp_path) == source["dump"]
    refused = subprocess.run(
        [*command, source["url"], sqlite(back)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=environment,
    )
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.startswith(f"error: the destination {shown(back)} already holds")


# -- refusals ------------------------------------------------------------------------------------------------
def test_a_destination_that_holds_records_is_refused(capsys, tmp_path: Path, source, pg) -> None:
    postgres_url = pg()
    with Workbench(tmp_path / "other", store=postgres_url) as other:
        other.webhooks.create("Kept", "user/kept/thing")
        other.settings.set("timezone", "Asia/Tokyo")
    status, output, err = run(
        capsys, "store", "copy", source["url"], postgres_url, "--home", str(tmp_path), "--json"
    )
    assert status == 1 and output is None
    assert err.startswith(f"error: the destination {postgres_url} already holds 2 records")
    assert "webhooks 1, settings 1" in err
    assert counts_of(postgres_url, tmp_path) == {
        kind: int(kind in ("webhooks", "settings")) for kind in RECORD_KINDS
    }


@pytest.mark.parametrize(
    "spelling",
    [
        "sqlite:mechanic.sqlite3",
        "{url}",
        "sqlite://{home}/./mechanic.sqlite3",
        "sqlite:///{home}/mechanic.sqlite3",
    ],
)
def test_the_same_sqlite_store_twice_is_refused(capsys, source, spelling: str) -> None:
    destination = spelling.format(url=source["url"], home=source["home"])
    home = str(source["home"])
    status, output, err = run(capsys, "store", "copy", source["url"], destination, "--home", home)
    assert status == 1 and output is None
    assert err.startswith("error: the source and the destination are the same store")
    assert counts_of(source["url"], source["home"]) == source["counts"]


def test_the_same_postgresql_store_twice_is_refused(capsys, tmp_path: Path, pg) -> None:
    url = pg()
    with_password = url.replace("postgres@", "postgres:s3cret@", 1).replace("127.0.0.1", "localhost", 1)
    status, _, err = run(capsys, "store", "copy", url, with_password, "--home", str(tmp_path))
    assert status == 1
    assert err.startswith("error: the source and the destination are the same store")
    assert "s3cret" not in err


def test_an_unreachable_postgresql_url_fails_fast_naming_it(capsys, tmp_path: Path, source) -> None:
    destination = tmp_path / "never.sqlite3"
    status, output, err = run(
        capsys, "store", "copy", UNREACHABLE, sqlite(destination), "--home", str(tmp_path)
    )
    assert status == 1 and output is None
    assert err.startswith(f"error: cannot reach the store at {UNREACHABLE}")
    assert not destination.exists()  # the source is opened first: nothing was made
    status, _, err = run(
        capsys, "store", "copy", source["url"], UNREACHABLE, "--home", str(tmp_path), "--json"
    )
    assert status == 1 and UNREACHABLE in err


@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_a_password_is_never_printed(capsys, tmp_path: Path, source, pg, json_flag: list[str]) -> None:
    secret = "postgresql://postgres:s3cret@127.0.0.1:1/x"
    mysql = "mysql://root:s3cret@db/x"
    for argv in ([secret, source["url"]], [source["url"], secret], [mysql, source["url"]]):
        status, output, err = run(capsys, "store", "copy", *argv, "--home", str(tmp_path), *json_flag)
        assert status == 1
        assert "s3cret" not in f"{output}{err}" and "***" in err
    # Trust authentication takes any password, so a copy with one succeeds and shows it masked.
    destination = pg().replace("postgres@", "postgres:s3cret@", 1)
    status, output, err = run(
        capsys, "store", "copy", source["url"], destination, "--home", str(tmp_path), *json_flag
    )
    assert status == 0, err
    assert "s3cret" not in f"{output}{err}"
    shown = destination.replace("s3cret", "***")
    assert (output["destination"] == shown) if json_flag else (f"to {shown} (counts verified)" in output)


def test_an_unsupported_scheme_is_refused(capsys, tmp_path: Path, source) -> None:
    status, output, err = run(
        capsys, "store", "copy", source["url"], "mysql://root@db.example/mechanic", "--home", str(tmp_path)
    )
    assert status == 1 and output is None
    assert err.startswith("error: unsupported store URL 'mysql://root@db.example/mechanic'")


def test_a_missing_sqlite_source_is_refused_without_creating_it(capsys, tmp_path: Path) -> None:
    missing = tmp_path / "missing.sqlite3"
    status, _, err = run(
        capsys, "store", "copy", sqlite(missing), sqlite(tmp_path / "b.sqlite3"), "--home", str(tmp_path)
    )
    assert status == 1 and err.startswith(f"error: no store at {shown(missing)}")
    assert not missing.exists() and not (tmp_path / "b.sqlite3").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["store", "copy", "sqlite:a.sqlite3"],
        ["store", "copy", "sqlite:a.sqlite3", "sqlite:b.sqlite3", "--batch-size", "0"],
        ["store"],
    ],
)
def test_usage_errors_exit_2(capsys, tmp_path: Path, argv: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([*argv, "--home", str(tmp_path)])
    assert info.value.code == 2
    assert "usage:" in capsys.readouterr().err


# -- verification --------------------------------------------------------------------------------------------
class Writing:
    """A store that gains a setting (as if a server were still running) once its settings were exported."""

    def __init__(self, store: Any) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def export(self, kind: str, batch: int = 1000) -> Iterator[list[dict[str, Any]]]:
        yield from self._store.export(kind, batch)
        if kind == "settings":
            self._store.settings.put("written_meanwhile", True)


class Failing:
    """A store whose writes of runs fail after the first batch (a server gone mid-copy)."""

    def __init__(self, store: Any) -> None:
        self._store = store
        self.batches = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def import_records(self, kind: str, records: list[dict[str, Any]]) -> None:
        if kind == "runs":
            self.batches += 1
            if self.batches > 1:
                raise StoreError(f"could not commit to {self._store.url}: server closed the connection")
        self._store.import_records(kind, records)


def _wrap(monkeypatch: pytest.MonkeyPatch, wrapper: type, which: int) -> None:
    opened: list[Any] = []
    real = store_commands.open_store

    def open_wrapped(home: Path, url: str | None = None) -> Any:
        store = real(home, url)
        opened.append(store)
        return wrapper(store) if len(opened) == which else store

    monkeypatch.setattr(store_commands, "open_store", open_wrapped)


def test_counts_that_differ_after_the_copy_exit_1_naming_the_kinds(
    capsys, tmp_path: Path, source, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = tmp_path / "live.sqlite3"
    assert run(capsys, "store", "copy", source["url"], sqlite(live), "--home", str(tmp_path))[0] == 0
    _wrap(monkeypatch, Writing, which=1)
    destination = tmp_path / "copy.sqlite3"
    status, output, err = run(
        capsys, "store", "copy", sqlite(live), sqlite(destination), "--home", str(tmp_path), "--json"
    )
    assert status == 1 and output is None
    assert err.startswith(f"error: the copy from {shown(live)} to {shown(destination)} is incomplete")
    assert "settings (source 3, destination 2)" in err
    assert "webhooks" not in err


def test_a_write_that_fails_mid_copy_says_the_destination_is_partial(
    capsys, tmp_path: Path, source, monkeypatch: pytest.MonkeyPatch
) -> None:
    _wrap(monkeypatch, Failing, which=2)
    destination = tmp_path / "partial.sqlite3"
    status, _, err = run(
        capsys,
        "store",
        "copy",
        source["url"],
        sqlite(destination),
        "--home",
        str(tmp_path),
        "--batch-size",
        "5",
    )
    assert status == 1
    assert "server closed the connection" in err
    assert (
        f"the copy stopped in runs after 5 of its records, so {shown(destination)} holds a partial copy"
    ) in err
    assert counts_of(sqlite(destination), tmp_path)["runs"] == 5


# -- store info ----------------------------------------------------------------------------------------------
def test_store_info(capsys, tmp_path: Path, source, pg) -> None:
    status, output, _ = run(capsys, "store", "info", "--home", str(source["home"]), "--json")
    assert status == 0
    assert output == {"url": source["shown"], "backend": "sqlite", "counts": source["counts"]}
    status, output, _ = run(capsys, "store", "info", "--home", str(source["home"]))
    known = versions()
    assert status == 0
    assert f"url:     {source['shown']}" in output and "backend: sqlite" in output
    assert f"schema:  {len(known)} of {len(known)} versions applied (latest {known[-1]})" in output
    assert any(line.split() == ["total", str(sum(source["counts"].values()))] for line in output.splitlines())
    url = pg().replace("postgres@", "postgres:s3cret@", 1)
    status, output, _ = run(capsys, "--store", url, "store", "info", "--home", str(tmp_path), "--json")
    assert status == 0
    assert output == {
        "url": url.replace("s3cret", "***"),
        "backend": "postgresql",
        "counts": dict.fromkeys(RECORD_KINDS, 0),
    }
    status, _, err = run(capsys, "store", "info", "--store", UNREACHABLE, "--home", str(tmp_path))
    assert status == 1 and err.startswith(f"error: cannot reach the store at {UNREACHABLE}")
