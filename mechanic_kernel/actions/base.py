"""What an action type implements and what the worker gives it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any
from typing import Protocol

from ..errors import MechanicError


class ActionError(MechanicError):
    """The action failed for good (bad options, a refused operation); it is not retried automatically."""

    http_status = 422
    transient = False


class TransientActionError(ActionError):
    """The action failed for a reason that may pass (connection refused, timeout, a 5xx with error_on_5xx);
    the worker retries it with the spec's backoff.
    """

    transient = True


@dataclass
class ActionContext:
    """Everything an action may use; actions never import the runs machinery.

    Attributes:
        action_run_id: the run being performed.
        task_id: the task whose run produced the action.
        event_id: the event that task run answered.
        now: the worker's clock reading for this attempt.
        home: the workbench's home folder (files and outbox live below it).
        settings: a snapshot of the workbench settings.
        base_url: where this workbench is reachable (for URLs of generated files).
        emit_event: creates a child event of ``event_id``: ``emit_event(topic, data, run_at, task_ids)``
            returns the new event's id.
        services: named services registered on the workbench (``cache``, ``outbox``, ``files``…).
    """

    action_run_id: str
    task_id: str | None
    event_id: str | None
    now: dt.datetime
    home: Path
    settings: dict[str, Any]
    base_url: str
    emit_event: Callable[[str, Any, dt.datetime | None, list[str] | None], str]
    services: dict[str, Any] = field(default_factory=dict)


class ActionType(Protocol):
    """An action type: validates options and performs them, returning the run's result (any JSON).

    A type may set ``repeatable = True`` when performing the same options twice has no effect beyond the
    first (echo). Only such an action is performed again when its worker stopped mid-perform; any other is
    failed as interrupted, since nobody knows whether its effect happened (see :func:`is_repeatable`).
    """

    name: str

    def validate(self, options: Any) -> None:
        """Raise :class:`ActionError` naming the problem when ``options`` cannot be performed."""

    def perform(self, options: Any, context: ActionContext) -> Awaitable[Any]:
        """Perform the action; raise :class:`ActionError`/:class:`TransientActionError` on failure."""


def is_repeatable(action: ActionType) -> bool:
    """Whether an interrupted perform of ``action`` may simply be performed again (``repeatable``, default no)."""
    return bool(getattr(action, "repeatable", False))
