"""Performing runs: the engine every kind of run shares, and the dispatch to the module of each kind.

event run (``event_run.py``) → task runs (``task_run.py``) → action runs (``action_run.py``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any
from zoneinfo import ZoneInfo

from ..errors import Conflict
from ..errors import InvalidInput
from ..errors import MechanicError
from ..liquid.runtime import Runtime
from ..shop import shop_object
from ..models.runs import Run
from ..models.runs import RunKind
from ..models.runs import RunStatus
from .queue import Changes
from .queue import RunQueue

if TYPE_CHECKING:
    from ..actions.cache import Cache
    from ..clock import Clock
    from ..models.events import Event
    from ..settings import Settings
    from ..store import Store

log = logging.getLogger("mechanic_kernel.runs")


class Engine:
    """What performing a run needs: the store, the clock, settings, tasks and services.

    Args:
        store: the workbench's store.
        clock: decides what is due and stamps every run.
        settings: the workbench settings (shop, time zone, retention).
        tasks: returns the tasks service (``get(id)``, ``list()``), or None while a workbench has none.
        cache: the cache service (reads for task code and filters, writes for the cache action).
        home: the workbench's home folder.
        base_url: returns where the workbench is reachable.
        services: more services handed to actions (``outbox``, ``files``…).
    """

    def __init__(self, store: Store, clock: Clock, settings: Settings, *, tasks: Callable[[], Any],
                 cache: Cache, home: Path, base_url: Callable[[], str],
                 services: dict[str, Any] | None = None) -> None:
        self.store = store
        self.clock = clock
        self.settings = settings
        self.queue = RunQueue(store, clock)
        self.cache = cache
        self.home = home
        self.base_url = base_url
        self.services = services if services is not None else {}
        self._tasks = tasks

    # -- tasks ---------------------------------------------------------------------------------------------
    def tasks(self) -> list[Any]:
        """Every task (enabled or not)."""
        service = self._tasks()
        return list(service.list()) if service is not None else []

    def task(self, task_id: str | None) -> Any:
        """A task by id, or None when it does not exist (deleted)."""
        service = self._tasks()
        if service is None or task_id is None:
            return None
        try:
            return service.get(task_id)
        except MechanicError:
            return None

    def subscribed(self, topic: str) -> list[tuple[Any, Any]]:
        """``(task, subscription)`` for every subscription of an enabled task to exactly ``topic``."""
        service = self._tasks()
        return list(service.subscribed(topic)) if service is not None else []

    def subscriptions(self, task: Any) -> list[Any]:
        """A task's subscriptions as ``Subscription`` objects (``topic``, ``offset``, ``run_at(base)``)."""
        from ..tasks.subscriptions import parse_lines

        try:
            return parse_lines(list(task.subscriptions))
        except InvalidInput:
            log.warning("task %s has subscriptions that do not parse; it receives no events", task.id)
            return []

    def subscribed_topics(self, task: Any) -> set[str]:
        """The topics a task subscribes to."""
        return {subscription.topic for subscription in self.subscriptions(task)}

    # -- events --------------------------------------------------------------------------------------------
    def event(self, event_id: str) -> Event | None:
        """A stored event, or None."""
        return self.store.events.get(event_id)

    def event_object(self, event: Event) -> dict[str, Any]:
        """The live Liquid ``event`` object: no ``preview`` key, ``parent`` up to five generations."""
        from ..tasks.execute import event_object

        return event_object(event, parent_of=self.store.events.get)

    # -- render environment --------------------------------------------------------------------------------
    def shop(self) -> dict[str, Any]:
        """The ``shop`` object, from the settings as they are now."""
        return shop_object(self.settings.show())

    def runtime(self) -> Runtime:
        """A live (non-preview) runtime at the clock's current moment."""
        settings = self.settings.show()
        return Runtime(now=self.clock.now(), timezone=ZoneInfo(settings.get("timezone") or "UTC"),
                       preview=False, currency=settings.get("currency") or "USD",
                       locale=settings.get("locale") or "en")


async def perform(engine: Engine, run: Run, executor: Executor | None = None, *,
                  claim_next: int = 0, inline_tasks: bool = False) -> list[Run]:
    """Perform a started run to its end (succeeded, failed, or scheduled for an automatic retry).

    The outcome commits in one transaction with whatever the run created; with ``claim_next`` that same
    transaction also starts up to that many due runs, returned for the caller to perform next (a busy
    queue then costs one commit per run, not two). With ``inline_tasks`` an event run also performs the
    task runs it makes due at once, in the same commit (:func:`.event_run.perform_due_task_runs`).

    A bug in a perform never leaves the run started: it fails with the exception named, and the log has
    the traceback.
    """
    from . import action_run
    from . import event_run
    from . import task_run

    module = {RunKind.EVENT: event_run, RunKind.TASK: task_run, RunKind.ACTION: action_run}[run.kind]
    try:
        if run.kind is RunKind.EVENT:
            changes = await event_run.perform(engine, run, executor, inline_tasks=inline_tasks)
        else:
            changes = await module.perform(engine, run, executor)
    except Exception as exc:  # noqa: BLE001 - recorded on the run, which must not stay started
        log.exception("performing %s run %s failed", run.kind.value, run.id)
        changes = Changes()
        changes.move(run, RunStatus.FAILED, stopped_at=engine.queue.now(),
                     error=f"internal error: {type(exc).__name__}: {exc}")
    try:
        return await engine.queue.acommit(changes, claim=claim_next)
    except Conflict as exc:
        # Someone changed a run this perform meant to change (a cancel, another worker); theirs stands.
        log.warning("the outcome of %s run %s was not recorded: %s", run.kind.value, run.id, exc.message)
        return []


async def in_executor(executor: Executor | None, function: Callable[..., Any], *args: Any) -> Any:
    """Run CPU-bound work (a Liquid render) off the event loop, so a server stays responsive meanwhile."""
    if executor is None:
        return function(*args)
    return await asyncio.get_running_loop().run_in_executor(executor, function, *args)
