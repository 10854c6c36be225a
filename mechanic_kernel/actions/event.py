"""The ``event`` action: creates a child event of the event whose task run rendered it (spec §4.2)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Mapping
from typing import Any

from ..errors import InvalidInput
from ..topics import validate_user_topic
from .base import ActionContext
from .base import ActionError

KNOWN_OPTIONS = frozenset({"topic", "data", "run_at", "task_id", "task_ids"})


def parse_run_at(value: Any) -> dt.datetime | None:
    """``run_at`` as a moment: a Unix timestamp (integer) or any parseable time string; None when absent.

    Raises:
        ActionError: neither.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ActionError(f"run_at must be a Unix timestamp or a time string, got {value!r}")
    if isinstance(value, int | float):
        return dt.datetime.fromtimestamp(value, dt.UTC)
    if isinstance(value, str) and value.strip():
        text = value.strip()
        if text.lstrip("-").isdigit():
            return dt.datetime.fromtimestamp(int(text), dt.UTC)
        try:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            from dateutil import parser

            try:
                moment = parser.parse(text)
            except (ValueError, OverflowError):
                raise ActionError(f"run_at {value!r} is not a time: give a Unix timestamp or an ISO-8601 "
                                  "time such as 2026-01-02T03:04:05Z") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    raise ActionError(f"run_at must be a Unix timestamp or a time string, got {value!r}")


def _task_ids(options: Mapping[str, Any]) -> list[str] | None:
    if "task_id" in options and "task_ids" in options:
        raise ActionError("event action: give task_id or task_ids, not both")
    if options.get("task_id") is not None:
        if not isinstance(options["task_id"], str) or not options["task_id"]:
            raise ActionError("event action: task_id must be a task's id (a string), "
                              f"got {options['task_id']!r}")
        return [options["task_id"]]
    if options.get("task_ids") is not None:
        ids = options["task_ids"]
        if not isinstance(ids, list) or not all(isinstance(item, str) and item for item in ids):
            raise ActionError(f"event action: task_ids must be an array of task ids, got {ids!r}")
        return list(ids)
    return None


class EventAction:
    """Options ``topic`` (``user/*/*``), ``data`` (any JSON; missing is null), ``run_at``, ``task_id(s)``.

    The result is ``{"event_id": "<uuid>"}`` (the spec leaves the shape open; docs/decisions.md, "Runs").
    """

    name = "event"

    def validate(self, options: Any) -> None:
        """Check the options.

        Raises:
            ActionError: a missing or non-``user/`` topic, unknown options, both ``task_id`` and ``task_ids``,
                a bad ``run_at``.
        """
        if not isinstance(options, Mapping):
            raise ActionError('event action options must be an object such as {"topic": "user/foo/bar", '
                              '"data": {}}')
        unknown = sorted(set(options) - KNOWN_OPTIONS)
        if unknown:
            raise ActionError(f"event action: unknown option(s) {', '.join(unknown)}; "
                              f"known: {', '.join(sorted(KNOWN_OPTIONS))}")
        if "topic" not in options:
            raise ActionError("event action: topic is required (user/<subject>/<verb>)")
        try:
            validate_user_topic(options["topic"])
        except InvalidInput as exc:
            raise ActionError(f"event action: {exc.message}") from None
        _task_ids(options)
        parse_run_at(options.get("run_at"))

    async def perform(self, options: Any, context: ActionContext) -> dict[str, str]:
        """Create the child event (its event run is scheduled for ``run_at``; a past ``run_at`` means now)."""
        self.validate(options)
        run_at = parse_run_at(options.get("run_at"))
        # Creating the event waits for a commit; wait on a thread so the worker's loop keeps serving.
        event_id = await asyncio.get_running_loop().run_in_executor(
            None, context.emit_event, options["topic"], options.get("data"), run_at, _task_ids(options))
        return {"event_id": event_id}


ACTION = EventAction()
