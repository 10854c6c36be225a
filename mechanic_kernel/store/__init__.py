"""The store: everything a workbench keeps, behind a small interface (SQLite now, PostgreSQL later)."""

from __future__ import annotations

from pathlib import Path

from .cache import CacheStore
from .database import Database
from .events import EventStore
from .files import FileStore
from .outbox import OutboxStore
from .runs import RunStore
from .settings import SettingsStore
from .tasks import TaskStore
from .webhooks import WebhookStore

STORE_FILE = "mechanic.sqlite3"


class Store:
    """The SQLite store of one home folder; each attribute groups the SQL of one concept."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.db = Database(self.path)
        self.webhooks = WebhookStore(self.db)
        self.settings = SettingsStore(self.db)
        self.events = EventStore(self.db)
        self.tasks = TaskStore(self.db)
        self.runs = RunStore(self.db)
        self.cache = CacheStore(self.db)
        self.outbox = OutboxStore(self.db)
        self.files = FileStore(self.db)

    def close(self) -> None:
        """Flush pending writes and close the file."""
        self.db.close()


def open_store(home: Path) -> Store:
    """Open (creating and migrating as needed) the store of a home folder."""
    return Store(Path(home) / STORE_FILE)
