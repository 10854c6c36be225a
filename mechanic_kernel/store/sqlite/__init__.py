"""The SQLite backend: the embedded default, one file in the home folder, nothing to set up."""

from __future__ import annotations

from pathlib import Path

from ..sql.store import SqlStore
from .database import SQLiteDatabase
from .frames import SQLiteFrameStore


def open_sqlite(path: Path) -> SqlStore:
    """Open (creating and migrating as needed) the SQLite store in the file ``path``."""
    db = SQLiteDatabase(path)
    return SqlStore(db, SQLiteFrameStore(db), notifies_other_processes=False)
