"""The schema: one list of versions, each a SQL file per backend in ``migrations/``, applied in order.

A version is named ``NNNN_what`` and has one file per backend: ``NNNN_what.sqlite.sql`` and
``NNNN_what.postgresql.sql``. Both backends therefore always hold the same tables, with the same columns and
meanings, at the same version. A released migration is never edited; a change is a new version. Each
version is applied in the same transaction as the row that records it in ``schema_migrations``, and a store
that records a version this release does not know (a newer mechanic-kernel migrated it) is refused.
"""

from __future__ import annotations

from importlib import resources
from typing import Protocol

from ..errors import StoreError

_MIGRATIONS = "mechanic_kernel.store.migrations"
BACKENDS = ("sqlite", "postgresql")


class Migrator(Protocol):
    """A backend's way of applying migrations on one connection."""

    def applied(self) -> set[str]:
        """The versions the store records (creating the record table if needed)."""

    def begin(self) -> None:
        """Start a transaction that no other migrator can run beside."""

    def run(self, name: str, sql: str) -> None:
        """Run one version's SQL and record it."""

    def commit(self) -> None:
        """Commit the transaction."""

    def rollback(self) -> None:
        """Roll the transaction back."""


def versions() -> list[str]:
    """Every version, in order."""
    names = {
        entry.name.split(".", 1)[0]
        for entry in resources.files(_MIGRATIONS).iterdir()
        if entry.name.endswith(".sql")
    }
    return sorted(names)


def migrations(backend: str) -> list[tuple[str, str]]:
    """Every version as ``(name, sql)`` for one backend, in order.

    Raises:
        StoreError: a version lacks this backend's file (a packaging mistake).
    """
    folder = resources.files(_MIGRATIONS)
    found = []
    for name in versions():
        entry = folder / f"{name}.{backend}.sql"
        if not entry.is_file():
            raise StoreError(f"migration {name} has no {backend} version ({name}.{backend}.sql)")
        found.append((name, entry.read_text(encoding="utf-8")))
    return found


def migrate(migrator: Migrator, backend: str, url: str) -> list[str]:
    """Apply the versions the store lacks; return the names applied.

    Raises:
        StoreError: the store records a version this release does not know.
    """
    known = migrations(backend)
    applied: list[str] = []
    migrator.begin()
    try:
        done = migrator.applied()
        unknown = done - {name for name, _ in known}
        if unknown:
            raise StoreError(
                f"the store at {url} was migrated by a newer mechanic-kernel ({', '.join(sorted(unknown))}); "
                "upgrade mechanic-kernel to use it"
            )
        for name, sql in known:
            if name not in done:
                migrator.run(name, sql)
                applied.append(name)
        migrator.commit()
    except BaseException:
        migrator.rollback()
        raise
    return applied
