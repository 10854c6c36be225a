"""The store's schema: numbered SQL files in ``migrations/``, applied in order and recorded in the store.

A released migration is never edited; a change is a new file. Files are named ``NNNN_what.sql`` and applied
by number, each in the same transaction as the row that records it in ``schema_migrations``.
"""

from __future__ import annotations

import sqlite3
from importlib import resources

_MIGRATIONS = "mechanic_kernel.store.migrations"


def migrations() -> list[tuple[str, str]]:
    """Every migration as ``(name, sql)``, in order."""
    files = sorted(entry for entry in resources.files(_MIGRATIONS).iterdir() if entry.name.endswith(".sql"))
    return [(entry.name.removesuffix(".sql"), entry.read_text(encoding="utf-8")) for entry in files]


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Apply the migrations this database lacks; return the names applied."""
    applied: list[str] = []
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL"
                     " DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))")
        done = {row[0] for row in conn.execute("SELECT name FROM schema_migrations")}
        known = migrations()
        unknown = done - {name for name, _ in known}
        if unknown:
            raise sqlite3.DatabaseError(
                f"the store was migrated by a newer mechanic-kernel ({', '.join(sorted(unknown))}); upgrade it")
        for name, sql in known:
            if name in done:
                continue
            for statement in _statements(sql):
                conn.execute(statement)
            conn.execute("INSERT INTO schema_migrations (name) VALUES (?)", (name,))
            applied.append(name)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return applied


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
