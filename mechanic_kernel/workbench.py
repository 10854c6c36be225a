"""The Workbench: one object that wires store, settings, webhooks and ingest for notebooks, servers and the CLI."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from .actions.cache import Cache
from .clock import Clock
from .errors import NotFound
from .home import resolve_home
from .models.events import Event
from .models.events import RawRequest
from .models.webhooks import WebhookMode
from .runs.engine import Engine
from .runs.service import Runs
from .runs.worker import Worker
from .runtime_file import read_server_note
from .settings import Settings
from .settings import origin_of
from .store import open_store
from .store import resolve as resolve_store
from .tasks.service import Tasks
from .webhooks.receiver import WebhookReceiver
from .webhooks.receiver import reinterpret
from .webhooks.service import Webhooks

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_PORT = 8765
DEFAULT_BASE_URL = f"http://127.0.0.1:{DEFAULT_PORT}"


class Workbench:
    """A local Mechanic: webhooks, events and settings kept in a home folder.

    Args:
        home: the home folder; else ``MECHANIC_HOME``; else the per-user default (see :mod:`.home`).
        clock: the clock events are stamped with (a :class:`~mechanic_kernel.clock.FrozenClock` in tests).
        store: the store's URL (``sqlite:///…`` or ``postgresql://…``); else ``MECHANIC_STORE``; else the
            SQLite file in the home folder.

    Raises:
        StoreError: the store cannot be reached, opened or migrated (the message names its URL, password masked).
    """

    def __init__(self, home: str | os.PathLike[str] | None = None, *, clock: Clock | None = None,
                 store: str | None = None) -> None:
        self.home: Path = resolve_home(home)
        self.clock = clock or Clock()
        target = resolve_store(self.home, store)
        self.store = open_store(self.home, target.url)
        self.settings = Settings(self.store.settings)
        self.outbox = self.store.outbox  # emails of email actions and the account's email templates
        self.webhooks = Webhooks(self.store.webhooks, self.clock, self.base_url)
        self.tasks = Tasks(self.store.tasks, self.store.events, self.settings, self.clock)
        self.server_url: str | None = None
        self.public_url_override: str | None = None
        self._embedded: Any = None
        self.cache = Cache(self.store.cache, self.clock)  # read it here; the cache action writes it
        self.engine = Engine(
            self.store,
            self.clock,
            self.settings,
            tasks=lambda: self.tasks,
            cache=self.cache,
            home=self.home,
            base_url=self.base_url,
            services={"outbox": self.store.outbox, "files": self.store.files},
            store_url=target.url,
        )
        self.runs = Runs(self.engine)  # list/get/retry runs, cancel queued events, event filters
        self.worker = Worker(self.engine)  # step(), run_until_idle(); serve runs work()
        self.receiver = WebhookReceiver(
            self.store,
            self.settings,
            self.webhooks,
            self.clock,
            own_origins=self._own_origins,
            on_event=lambda event: self.worker.wake(),
        )

    def __repr__(self) -> str:
        return f"Workbench(home={str(self.home)!r}, store={self.store.url!r})"

    def __enter__(self) -> Workbench:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- URLs --------------------------------------------------------------------------------------------
    def base_url(self) -> str:
        """Where senders reach this workbench.

        In order: the ``--public-url`` of a server run, the ``public_url`` setting, a running server's own URL,
        and finally the default address of ``serve``.
        """
        note = read_server_note(self.home) or {}
        return (
            self.public_url_override
            or note.get("public_url")
            or self.settings.get("public_url")
            or self.server_url
            or note.get("url")
            or DEFAULT_BASE_URL
        )

    def _own_origins(self) -> list[str]:
        note = read_server_note(self.home) or {}
        urls = (self.server_url, self.public_url_override, note.get("url"), note.get("public_url"))
        return [origin_of(url) for url in urls if url]

    # -- events ------------------------------------------------------------------------------------------
    def list_events(
        self,
        *,
        topic: str | None = None,
        webhook_id: str | None = None,
        limit: int | None = 50,
        search: str | None = None,
    ) -> list[Event]:
        """Events newest first."""
        return self.store.events.list(topic=topic, webhook_id=webhook_id, limit=limit, search=search)

    def event(self, event_id: str) -> Event:
        """One event, by its id or by the ``x-request-id`` of the request that created it.

        Raises:
            NotFound: no such event.
        """
        event = self.store.events.get(event_id)
        if event is None:
            raise NotFound(f"no event with id or request id {event_id!r}")
        return event

    def request_of(self, event: Event | str) -> RawRequest:
        """The raw HTTP request behind a webhook event.

        Raises:
            NotFound: the event was not created by a webhook request.
        """
        event = self.event(event) if isinstance(event, str) else event
        raw = self.store.events.request(event.webhook_request_id) if event.webhook_request_id else None
        if raw is None:
            raise NotFound(f"event {event.id} was not created by a webhook request")
        return raw

    def describe_event(self, event_id: str) -> dict[str, Any]:
        """Everything about one event, JSON-ready: its fields, the raw ``request`` summary (or None), its event
        ``run``, ``task_runs`` with their ``action_runs``, and ``child_event_ids``.

        Raises:
            NotFound: no such event.
        """
        event = self.event(event_id)
        record: dict[str, Any] = event.to_dict()
        record["request"] = self.request_of(event).summary() if event.webhook_request_id else None
        record.update(self.runs.describe_event(event.id))
        return record

    def reinterpret(self, event: Event | str, mode: WebhookMode | str) -> Any:
        """The data the event would have had under another request mode (from its stored raw request)."""
        return reinterpret(self.request_of(event), mode)

    def events(
        self,
        *,
        topic: str | list[str] | None = None,
        webhook_id: str | list[str] | None = None,
        limit: int | None = None,
        flatten: bool = False,
        since: Any = None,
        until: Any = None,
        parse: bool = False,
    ) -> pd.DataFrame:
        """Events as a pandas DataFrame, newest first, filtered in SQL (docs/frames.md).

        ``data`` is the stored JSON text; ``parse=True`` decodes it, ``flatten=True`` spreads it into ``data.*``
        columns. ``since`` is inclusive, ``until`` exclusive.

        Raises:
            InvalidInput: a bad filter value.
        """
        from .frames import events_frame

        return events_frame(
            self.store.frames,
            topic=topic,
            webhook_id=webhook_id,
            since=since,
            until=until,
            limit=limit,
            flatten=flatten,
            parse=parse,
        )

    def task_runs(self, **filters: Any) -> pd.DataFrame:
        """Task runs as a DataFrame, newest first.

        Filters: ``topic``, ``webhook_id``, ``task_id``, ``status``, ``since``, ``until``, ``limit``
        (:func:`mechanic_kernel.frames.task_runs_frame`, docs/frames.md).

        Raises:
            InvalidInput: a bad filter value.
        """
        from .frames import task_runs_frame

        return task_runs_frame(self.store.frames, **filters)

    def action_runs(self, **filters: Any) -> pd.DataFrame:
        """Action runs as a DataFrame, newest first; the filters of :meth:`task_runs`, and ``parse``."""
        from .frames import action_runs_frame

        return action_runs_frame(self.store.frames, **filters)

    def logs(self, **filters: Any) -> pd.DataFrame:
        """Every log and error object of task runs as a DataFrame; the filters of :meth:`task_runs`."""
        from .frames import logs_frame

        return logs_frame(self.store.frames, **filters)

    def emit_event(
        self,
        topic: str,
        data: Any = None,
        *,
        run_at: Any = None,
        task_id: str | None = None,
        task_ids: list[str] | None = None,
        parent_id: str | None = None,
    ) -> Event:
        """Create a user event (``user/<subject>/<verb>``) with its event run, like the Event action does.

        ``run_at`` (Unix timestamp, time string or datetime) schedules the event run; ``task_id``/``task_ids``
        restrict which tasks answer. Perform it with ``worker.run_until_idle()`` (or a running ``serve``).

        Raises:
            InvalidInput: a bad topic or run_at, or both task_id and task_ids.
        """
        event = self.runs.emit(
            topic, data, run_at=run_at, task_id=task_id, task_ids=task_ids, parent_id=parent_id
        )
        self.worker.wake()
        return event

    # -- serving ------------------------------------------------------------------------------------------
    def serve(
        self, host: str = "127.0.0.1", port: int = 0, *, reuse: bool = True, worker: bool = True
    ) -> str:
        """Make sure this workbench's webhooks are served; return the base URL.

        If another process (the Jupyter server that started this kernel, or ``mechanic-kernel serve``) already
        serves this home, its URL is returned and nothing is started, unless ``reuse`` is False. Otherwise the
        same handlers start on a background thread of this process, with the worker performing runs unless
        ``worker`` is False (tests that step the worker themselves). Calling it again returns the same URL;
        :meth:`stop` or :meth:`close` ends a server this process started.
        """
        from .server.embedded import EmbeddedServer

        if self._embedded is not None and self._embedded.running:
            assert self._embedded.url is not None
            return self._embedded.url
        note = read_server_note(self.home)
        if reuse and note and note.get("pid") != os.getpid():
            return str(note["url"])
        self._embedded = EmbeddedServer(self, host, port, background=[self.worker.work] if worker else [])
        return self._embedded.start()

    def stop(self) -> None:
        """Stop the server started by :meth:`serve`, if any."""
        if self._embedded is not None:
            self._embedded.stop()
            self._embedded = None

    def close(self) -> None:
        """Stop serving, flush pending writes and release the store."""
        self.stop()
        self.worker.close()
        self.store.close()
