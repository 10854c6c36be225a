"""The store: everything a workbench keeps, behind one contract (:mod:`.contract`) and two backends.

``open_store(home)`` opens the SQLite file in the home folder (the embedded default, nothing to set up);
``open_store(home, "postgresql://…")`` (or ``MECHANIC_STORE``) a PostgreSQL database that many processes on
many machines share. Both pass the same contract tests.
"""

from __future__ import annotations

from pathlib import Path

from .contract import Store
from .url import STORE_ENV
from .url import STORE_FILE
from .url import StoreURL
from .url import mask
from .url import resolve

__all__ = ["STORE_ENV", "STORE_FILE", "Store", "StoreURL", "mask", "open_store", "resolve"]


def open_store(home: Path, url: str | None = None) -> Store:
    """Open (creating and migrating as needed) the store of a home folder.

    Args:
        home: the home folder (the SQLite file lives there unless ``url`` says otherwise).
        url: a store URL; default ``MECHANIC_STORE``, else SQLite in ``home``.

    Raises:
        StoreError: the URL is invalid, or the store cannot be reached, opened or migrated; the message names
            the URL (password masked) and what to check.
    """
    target = resolve(Path(home), url)
    if target.backend == "postgresql":
        from .postgres import open_postgres

        return open_postgres(target.url)
    from .sqlite import open_sqlite

    assert target.path is not None
    return open_sqlite(target.path)
