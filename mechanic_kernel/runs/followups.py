"""Events that runs cause: child events, ``mechanic/actions/perform`` events, error events (§3.3, §3.9)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from ..clock import isoformat
from ..ids import uuid7
from ..models.events import Event
from ..models.runs import Run
from ..models.tasks import Task
from ..store.contract import NewEvent

if TYPE_CHECKING:
    from .engine import Engine

PERFORM_TOPIC = "mechanic/actions/perform"
ERROR_TOPICS = ("mechanic/errors/action", "mechanic/errors/event", "mechanic/errors/task")
ERROR_PREFIX = "mechanic/errors/"
# Events answered only by the task that caused them (spec §1.3, §3.1).
ORIGIN_ONLY_TOPICS = frozenset({"mechanic/user/trigger", "mechanic/user/text", "mechanic/user/form",
                                PERFORM_TOPIC, "mechanic/shopify/bulk_operation"})
# Action types that never emit mechanic/actions/perform (spec §4.1).
SILENT_ACTION_TYPES = frozenset({"echo"})
USER_SOURCE = "user"
MECHANIC_SOURCE = "mechanic"


def origin_only(topic: str) -> bool:
    """Whether only the originating (or explicitly chosen) task may answer events of ``topic``."""
    return topic in ORIGIN_ONLY_TOPICS or topic.startswith("mechanic/user/")


def new_event(engine: Engine, topic: str, data: Any, *, parent_id: str | None, source: str) -> Event:
    """An event stamped by the engine's clock (not stored yet)."""
    return Event(id=uuid7(), topic=topic, data=data, source=source,
                 created_at=isoformat(engine.clock.now()), parent_id=parent_id)


def event_summary(event: Event, run: Run | None) -> dict[str, Any]:
    """The event as error events show it: no ``data``, plus its ``run`` (spec §1.2)."""
    return {
        "id": event.id, "topic": event.topic, "source": event.source, "created_at": event.created_at,
        "webhook_request_id": event.webhook_request_id, "flow_action_run_id": None,
        "run": run.summary() if run else None,
    }


def task_summary(task: Task, run: Run | None) -> dict[str, Any]:
    """The task as error events show it, with its ``run``."""
    return {"id": task.id, "name": task.name, "created_at": task.created_at,
            "run": run.summary() if run else None}


def action_object(run: Run) -> dict[str, Any]:
    """The ``action`` variable of a ``mechanic/actions/perform`` run: the action plus its run (spec §4)."""
    details = run.details
    return {"type": details.get("type"), "options": details.get("options"), "meta": details.get("meta"),
            "run": run.summary()}


def error_event(engine: Engine, topic: str, message: str, *, event: Event, event_run: Run | None = None,
                task: Task | None = None, task_run: Run | None = None,
                action_run: Run | None = None) -> NewEvent | None:
    """A ``mechanic/errors/*`` event about a failure, or None when the failure was itself answering one.

    Not raising errors about error events keeps a failing error handler from feeding itself
    (docs/decisions.md, "Runs").
    """
    if event.topic.startswith(ERROR_PREFIX):
        return None
    data: dict[str, Any] = {"message": message, "event": event_summary(event, event_run)}
    if task is not None:
        data["task"] = task_summary(task, task_run)
    if action_run is not None:
        data["action"] = action_object(action_run)
    child = new_event(engine, topic, data, parent_id=event.id, source=MECHANIC_SOURCE)
    cause = action_run or task_run or event_run
    return NewEvent(child, origin_task_id=task.id if task is not None else None,
                    origin_run_id=cause.id if cause is not None else None)


def perform_event(engine: Engine, action_run: Run, task: Task | None) -> NewEvent | None:
    """The ``mechanic/actions/perform`` child event of a performed action, or None when none is due.

    Only for a task that subscribes to the topic, never for echo, never with ``__perform_event: false``.
    The parent is the event the action's task run answered (spec §1.10); only this task receives it.
    """
    details = action_run.details
    if details.get("type") in SILENT_ACTION_TYPES or details.get("perform_event") is False:
        return None
    if task is None or PERFORM_TOPIC not in engine.subscribed_topics(task):
        return None
    child = new_event(engine, PERFORM_TOPIC, action_object(action_run), parent_id=action_run.event_id,
                      source=MECHANIC_SOURCE)
    return NewEvent(child, task_ids=[task.id], origin_task_id=task.id, origin_run_id=action_run.parent_run_id)
