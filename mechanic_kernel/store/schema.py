"""The store's schema as plain SQL, applied as numbered migrations tracked in ``PRAGMA user_version``."""

from __future__ import annotations

import sqlite3

# Append only: a released migration is never edited, a change is a new entry.
MIGRATIONS: list[str] = [
    # 1: webhooks, settings, events and the raw request behind each webhook event.
    """
    CREATE TABLE webhooks (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        topic TEXT NOT NULL,
        mode TEXT NOT NULL DEFAULT 'auto' CHECK (mode IN ('auto', 'full')),
        enabled INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        topic TEXT NOT NULL,
        data TEXT,
        source TEXT NOT NULL,
        created_at TEXT NOT NULL,
        webhook_id TEXT,
        webhook_request_id TEXT UNIQUE,
        parent_id TEXT
    );
    CREATE INDEX events_by_topic ON events (topic, seq);
    CREATE INDEX events_by_created_at ON events (created_at);
    CREATE INDEX events_by_webhook ON events (webhook_id, seq);
    CREATE TABLE webhook_requests (
        request_id TEXT PRIMARY KEY,
        event_id TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
        webhook_id TEXT NOT NULL,
        client TEXT,
        mode TEXT NOT NULL,
        method TEXT NOT NULL,
        path TEXT NOT NULL,
        query_string TEXT,
        headers TEXT NOT NULL,
        body BLOB NOT NULL,
        client_ip TEXT,
        received_at TEXT NOT NULL
    );
    CREATE INDEX webhook_requests_by_event ON webhook_requests (event_id);
    """,
]


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the database up to the newest schema; return the version it is at."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise sqlite3.DatabaseError(
                f"schema version {version} is newer than this mechanic-kernel knows ({len(MIGRATIONS)}); upgrade it"
            )
        for number, sql in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in _statements(sql):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return len(MIGRATIONS)


def _statements(sql: str) -> list[str]:
    # executescript() would commit the surrounding transaction, so split into whole statements ourselves.
    statements: list[str] = []
    pending = ""
    for piece in sql.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                statements.append(pending.strip())
            pending = ""
    return statements
