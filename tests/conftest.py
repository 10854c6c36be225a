"""Shared fixtures: a workbench on a temporary home, a real server on 127.0.0.1, an HTTP client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mechanic_kernel import Workbench
from mechanic_kernel.models.webhooks import Webhook

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A fresh home folder."""
    return tmp_path / "home"


@pytest.fixture
def workbench(home: Path) -> Iterator[Workbench]:
    """A workbench on the temporary home."""
    bench = Workbench(home)
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
