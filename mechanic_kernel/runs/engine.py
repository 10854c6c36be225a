"""What performing a run needs: the store, the clock, settings, the tasks and the services actions use."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any
from typing import Protocol
from zoneinfo import ZoneInfo

from ..actions.cache import Cache
from ..clock import Clock
from ..errors import InvalidInput
from ..errors import MechanicError
from ..liquid.runtime import Runtime
from ..models.events import Event
from ..models.tasks import Task
from ..settings import Settings
from ..shop import shop_object
from ..store.contract import Store
from ..tasks.execute import event_object
from ..tasks.subscriptions import Subscription
from ..tasks.subscriptions import parse_lines
from .queue import DEFAULT_LEASE_SECONDS
from .queue import RunQueue

if TYPE_CHECKING:
    from .renderer import RenderPool

log = logging.getLogger("mechanic_kernel.runs")


class TaskSource(Protocol):
    """Where the engine finds tasks (the workbench's :class:`~mechanic_kernel.tasks.service.Tasks`)."""

    def get(self, task_id: str) -> Task:
        """A task by id; raises NotFound."""

    def list(self) -> list[Task]:
        """Every task."""

    def subscribed(self, topic: str) -> list[tuple[Task, Subscription]]:
        """``(task, subscription)`` per subscription of an enabled task to exactly ``topic``."""


class Engine:
    """What performing a run needs.

    Args:
        store: the workbench's store.
        clock: decides what is due and stamps every run.
        settings: the workbench settings (shop, time zone, retention).
        tasks: returns the tasks, or None while a workbench has none.
        cache: the cache (reads for task code and filters, writes for the cache action).
        home: the workbench's home folder (generated files live there).
        base_url: returns where the workbench is reachable.
        services: more services handed to actions by name (``outbox``, ``files``…).
        lease_seconds: how long a worker's claim on a run holds without renewal.
        store_url: the store's URL as the workbench opened it (render processes open it too).
    """

    def __init__(
        self,
        store: Store,
        clock: Clock,
        settings: Settings,
        *,
        tasks: Callable[[], TaskSource | None],
        cache: Cache,
        home: Path,
        base_url: Callable[[], str],
        services: dict[str, Any] | None = None,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        store_url: str | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.settings = settings
        self.queue = RunQueue(store, clock, lease_seconds)
        self.cache = cache
        self.home = home
        self.base_url = base_url
        self.services: dict[str, Any] = services if services is not None else {}
        self._tasks = tasks
        self.store_url = store_url
        # Set by a server's worker while it works: renders then run in processes of their own.
        self.renderer: RenderPool | None = None
        # Seconds a live render may take (None: the dialect's default, Runtime.render_timeout).
        self.render_timeout: float | None = None

    # -- tasks ---------------------------------------------------------------------------------------------
    def tasks(self) -> list[Task]:
        """Every task (enabled or not)."""
        source = self._tasks()
        return list(source.list()) if source is not None else []

    def task(self, task_id: str | None) -> Task | None:
        """A task by id, or None when it does not exist (deleted)."""
        source = self._tasks()
        if source is None or task_id is None:
            return None
        try:
            return source.get(task_id)
        except MechanicError:
            return None

    def subscribed(self, topic: str) -> list[tuple[Task, Subscription]]:
        """``(task, subscription)`` for every subscription of an enabled task to exactly ``topic``."""
        source = self._tasks()
        return list(source.subscribed(topic)) if source is not None else []

    def subscriptions(self, task: Task) -> list[Subscription]:
        """A task's subscriptions (``topic``, ``offset``, ``run_at(base)``)."""
        try:
            return parse_lines(list(task.subscriptions))
        except InvalidInput:
            log.warning("task %s has subscriptions that do not parse; it receives no events", task.id)
            return []

    def subscribed_topics(self, task: Task) -> set[str]:
        """The topics a task subscribes to."""
        return {subscription.topic for subscription in self.subscriptions(task)}

    # -- events --------------------------------------------------------------------------------------------
    def event(self, event_id: str) -> Event | None:
        """A stored event, or None."""
        return self.store.events.get(event_id)

    def event_object(self, event: Event) -> dict[str, Any]:
        """The live Liquid ``event`` object: no ``preview`` key, ``parent`` up to five generations."""
        return event_object(event, parent_of=self.store.events.get)

    # -- render environment --------------------------------------------------------------------------------
    def shop(self) -> dict[str, Any]:
        """The ``shop`` object, from the settings as they are now."""
        return shop_object(self.settings.show())

    def runtime(self) -> Runtime:
        """A live (non-preview) runtime at the clock's current moment."""
        settings = self.settings.show()
        limits = {} if self.render_timeout is None else {"render_timeout": self.render_timeout}
        return Runtime(
            **limits,
            now=self.clock.now(),
            timezone=ZoneInfo(settings.get("timezone") or "UTC"),
            preview=False,
            currency=settings.get("currency") or "USD",
            locale=settings.get("locale") or "en",
        )


async def in_executor(executor: Executor | None, function: Callable[..., Any], *args: Any) -> Any:
    """Run CPU-bound work (a Liquid render) off the event loop, so a server stays responsive meanwhile."""
    if executor is None:
        return function(*args)
    return await asyncio.get_running_loop().run_in_executor(executor, function, *args)
