"""A PostgreSQL database for the test run: made on first use, one schema per test, dropped at the end.

The server is ``MECHANIC_TEST_POSTGRES`` (default: this machine kind's ``postgresql://postgres@127.0.0.1:5432/test``,
trust auth). The run creates its own database on it and drops it when the session ends; each test gets a
fresh schema of that database (``?options=-csearch_path%3D…`` in its store URL), so tests never see each
other's rows. Without a reachable server the PostgreSQL tests are left out and the run says so in one line
(tests/conftest.py), unless ``MECHANIC_TEST_REQUIRE_POSTGRES=1`` (CI sets it): then each of them fails.
"""

from __future__ import annotations

import itertools
import os
import secrets
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

import psycopg
from psycopg import sql

SERVER = os.environ.get("MECHANIC_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRED = os.environ.get("MECHANIC_TEST_REQUIRE_POSTGRES") == "1"


def with_database(url: str, database: str, query: str = "") -> str:
    """``url`` pointing at another database (and with ``query`` as its query string)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", query, ""))


class TestDatabase:
    """The run's own database on the test server."""

    __test__ = False  # not a test class, despite its name

    def __init__(self, server: str = SERVER) -> None:
        self.server = server
        self.name = f"mk_test_{os.getpid()}_{secrets.token_hex(3)}"
        self._schemas = itertools.count(1)
        with psycopg.connect(server, autocommit=True, connect_timeout=3) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))
        self.url = with_database(server, self.name)

    def fresh_schema(self) -> tuple[str, str]:
        """A new empty schema: ``(name, store URL that works in it)``."""
        name = f"t{next(self._schemas)}_{secrets.token_hex(2)}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
        return name, with_database(self.server, self.name, f"options=-csearch_path%3D{name}")

    def drop_schema(self, name: str) -> None:
        """Remove a test's schema with everything in it."""
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))

    def drop(self) -> None:
        """Remove the run's database (connections still open to it are closed by the server)."""
        with psycopg.connect(self.server, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name)))


def unreachable_reason(server: str = SERVER) -> str | None:
    """Why the test server cannot be used, or None when it answers."""
    try:
        with psycopg.connect(server, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return f"PostgreSQL is not reachable at {server} ({first})"


def connect_or_reason(server: str = SERVER) -> TestDatabase | str:
    """The run's database, or why there is none."""
    try:
        return TestDatabase(server)
    except psycopg.Error as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return (
            f"PostgreSQL is not reachable at {server} ({first}); the postgresql backend's tests are skipped "
            "(set MECHANIC_TEST_POSTGRES to a server URL)"
        )
