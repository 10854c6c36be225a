"""Fixtures of the action tests: a local HTTP server on 127.0.0.1, a store, and an ActionContext factory."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from actiontools import NOW
from actiontools import LocalServer
from actiontools import SmtpSink

from mechanic_kernel.actions.base import ActionContext
from mechanic_kernel.settings import SETTINGS
from mechanic_kernel.store import Store
from mechanic_kernel.store import open_store


@pytest.fixture(scope="session")
def echo_server() -> Iterator[LocalServer]:
    local = LocalServer().start()
    yield local
    local.stop()


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 nobody listens on (bound, then released)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


@pytest.fixture
def store(tmp_path: Path, store_url: str | None) -> Iterator[Store]:
    opened = open_store(tmp_path, store_url)
    yield opened
    opened.close()


@pytest.fixture
def make_context(tmp_path: Path, store: Store) -> Callable[..., ActionContext]:
    """Builds the context the worker would give an action (settings override the defaults)."""

    def make(**settings: Any) -> ActionContext:
        values = {key: setting.default for key, setting in SETTINGS.items()} | settings
        return ActionContext(
            action_run_id=str(uuid.uuid4()),
            task_id=None,
            event_id=None,
            now=NOW,
            home=tmp_path,
            settings=values,
            base_url="http://127.0.0.1:8765",
            emit_event=lambda *args: "event-id",
            services={"files": store.files, "outbox": store.outbox},
        )

    return make


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    """A fresh SMTP sink on 127.0.0.1."""
    sink = SmtpSink().start()
    yield sink
    sink.stop()
