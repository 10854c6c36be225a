"""Shared fixtures: a workbench on a temporary home, a real server on 127.0.0.1, an HTTP client.

Tests of the store, runs, actions, webhooks and frames run once per backend (``[sqlite]`` and
``[postgresql]``): their workbench (or store) fixtures take ``store_url``, which is None (the SQLite file in
the home) or a fresh schema of the run's PostgreSQL database (tests/pgtools.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pgtools import REQUIRED
from pgtools import TestDatabase
from pgtools import connect_or_reason
from pgtools import unreachable_reason

from mechanic_kernel import Workbench
from mechanic_kernel.models.webhooks import Webhook

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
BACKENDS = ("sqlite", "postgresql")
# Where every test that uses a store runs on both backends (the contract's reach, issue 9).
BOTH_BACKENDS = ("tests/store/", "tests/runs/", "tests/actions/", "tests/webhooks/", "tests/test_frames.py")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: the test checks what only the SQLite backend does")
    config.stash[_UNREACHABLE] = unreachable_reason()


_UNREACHABLE = pytest.StashKey[str | None]()
_NOT_RUN = pytest.StashKey[int]()


def _needs_postgres(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    uses_backend = callspec is not None and callspec.params.get("backend") == "postgresql"
    return uses_backend or "postgres" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without a PostgreSQL server, its tests are left out and said so once (CI requires them instead)."""
    if config.stash[_UNREACHABLE] is None or REQUIRED:
        return
    left_out = [item for item in items if _needs_postgres(item)]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not _needs_postgres(item)]
    config.stash[_NOT_RUN] = len(left_out)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    reason = config.stash[_UNREACHABLE]
    if reason is not None and not REQUIRED and config.stash.get(_NOT_RUN, 0):
        terminalreporter.write_line(
            f"postgresql: {config.stash[_NOT_RUN]} tests not run: {reason} "
            "(set MECHANIC_TEST_POSTGRES to a server URL)", yellow=True)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" not in metafunc.fixturenames:
        return
    path = str(Path(str(metafunc.definition.fspath)).relative_to(ROOT))
    if path.startswith(BOTH_BACKENDS) and metafunc.definition.get_closest_marker("sqlite_only") is None:
        metafunc.parametrize("backend", BACKENDS, indirect=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[TestDatabase | str]:
    """The run's PostgreSQL database, or the reason there is none."""
    database = connect_or_reason()
    yield database
    if isinstance(database, TestDatabase):
        database.drop()


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """``sqlite`` or ``postgresql`` (SQLite where a test is not run on both)."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def store_url(backend: str, request: pytest.FixtureRequest) -> Iterator[str | None]:
    """The store URL of the test's backend: None for SQLite in the home, else a fresh PostgreSQL schema."""
    if backend == "sqlite":
        yield None
        return
    database = request.getfixturevalue("postgres")
    if isinstance(database, str):
        if REQUIRED:
            pytest.fail(database)
        pytest.skip(database)
    schema, url = database.fresh_schema()
    yield url
    database.drop_schema(schema)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A fresh home folder."""
    return tmp_path / "home"


@pytest.fixture
def workbench(home: Path, store_url: str | None) -> Iterator[Workbench]:
    """A workbench on the temporary home (and the test's backend)."""
    bench = Workbench(home, store=store_url)
    yield bench
    bench.close()


@pytest.fixture
def server(workbench: Workbench) -> Iterator[str]:
    """The workbench served by a real Tornado server on 127.0.0.1; yields its base URL.

    The worker does not run in the background: tests step it (``workbench.worker.run_until_idle()``).
    """
    url = workbench.serve(worker=False)
    yield url
    workbench.stop()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    """A real HTTP client (no proxies from the environment)."""
    with httpx.Client(timeout=30, trust_env=False) as client:
        yield client


@pytest.fixture
def webhook(workbench: Workbench) -> Webhook:
    """The walkthrough's webhook: "Example", topic user/webhook/test, auto mode."""
    return workbench.webhooks.create("Example", "user/webhook/test")


@pytest.fixture
def full_webhook(workbench: Workbench) -> Webhook:
    """A Full request mode webhook."""
    return workbench.webhooks.create("Full", "user/webhook/full", mode="full")
