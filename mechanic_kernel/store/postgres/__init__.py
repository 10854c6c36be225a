"""The PostgreSQL backend: one database (or one schema of it) shared by many processes on many machines."""

from __future__ import annotations

from ..sql.store import SqlStore
from .database import PostgresDatabase
from .frames import PostgresFrameStore


def open_postgres(url: str) -> SqlStore:
    """Open (migrating as needed) the PostgreSQL store at ``url`` (libpq's URI syntax).

    Raises:
        StoreError: the server cannot be reached (:class:`~mechanic_kernel.errors.StoreUnavailable`), or the
            schema cannot be set up; the message names the URL with its password masked.
    """
    db = PostgresDatabase(url)
    return SqlStore(db, PostgresFrameStore(db), notifies_other_processes=True)
