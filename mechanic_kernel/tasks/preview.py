"""Preview a task: render it for a preview event per subscribed topic, performing and storing nothing (§1.9).

The preview event of a topic comes from, in order: the task's preview event definitions for that topic,
the latest stored event of that topic, the built-in sample data, else data ``null`` (the spec leaves
``user/`` topics without either open; docs/decisions.md, "Tasks").
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from collections.abc import Mapping
from typing import TYPE_CHECKING
from typing import Any
from zoneinfo import ZoneInfo

from ..clock import isoformat
from ..liquid.runtime import Runtime
from . import subscriptions as subs
from .execute import event_object
from .execute import render_task
from .samples import sample_data

if TYPE_CHECKING:
    from ..liquid.render import RenderResult
    from ..models.events import Event
    from ..models.tasks import Task

# Preview event ids are derived from the task, topic and position so a preview with a frozen clock is
# byte-for-byte reproducible.
_PREVIEW_NAMESPACE = uuid.UUID("6f1c8a52-3d0b-4a8e-9a43-6f6d65636861")


def _source_of(topic: str) -> str:
    domain = topic.split("/", 1)[0]
    return domain if domain in ("shopify", "mechanic", "user") else domain


def _synthetic_event(task: Task, topic: str, index: int, data: Any, now: dt.datetime) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid5(_PREVIEW_NAMESPACE, f"{task.id}:{topic}:{index}")),
        "topic": topic,
        "data": data,
        "source": _source_of(topic),
        "created_at": isoformat(now),
        "webhook_request_id": None,
        "parent": None,
        "preview": True,
    }


def preview_events(
    task: Task,
    topic: str,
    now: dt.datetime,
    *,
    latest_event: Callable[[str], Event | None] | None = None,
    parent_of: Callable[[str], Event | None] | None = None,
) -> list[tuple[str, str | None, dict]]:
    """The preview events of one topic as ``(source, description, event object)``.

    ``source`` is ``definition``, ``event``, ``sample`` or ``none``.
    """
    found: list[tuple[str, str | None, dict]] = []
    for definition in task.preview_event_definitions or []:
        attributes = definition.get("event_attributes") or {}
        if attributes.get("topic") == topic:
            event = _synthetic_event(task, topic, len(found), attributes.get("data"), now)
            found.append(("definition", definition.get("description"), event))
    if found:
        return found
    stored = latest_event(topic) if latest_event is not None else None
    if stored is not None:
        return [("event", None, event_object(stored, parent_of=parent_of, preview=True))]
    known, data = sample_data(topic)
    return [("sample" if known else "none", None, _synthetic_event(task, topic, 0, data, now))]


def _entry(
    topic: str, source: str, description: str | None, event: dict[str, Any], result: RenderResult
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "topic": topic,
        "source": source,
        "event": event,
        # meta is always present (null when the action has none): the CLI contract lists type, options, meta.
        "actions": [{"type": a.type, "options": a.options, "meta": a.meta} for a in result.actions],
        "logs": result.logs,
        "errors": result.errors,
    }
    if description is not None:
        entry["description"] = description
    if result.failure is not None:
        failure = result.failure
        entry["failure"] = {"message": failure.message, "line": failure.line, "kind": failure.kind}
    if result.permissions:
        entry["permissions"] = result.permissions
    if result.shopify_queries:
        entry["shopify_queries"] = len(result.shopify_queries)
    return entry


def preview(
    task: Task,
    *,
    shop: Mapping[str, Any],
    now: dt.datetime | None = None,
    timezone: str = "UTC",
    currency: str = "USD",
    locale: str = "en",
    topic: str | None = None,
    event: Mapping[str, Any] | None = None,
    latest_event: Callable[[str], Event | None] | None = None,
    parent_of: Callable[[str], Event | None] | None = None,
) -> dict[str, Any]:
    """Preview ``task`` for each of its subscribed topics (or one topic, or one given event).

    Args:
        task: the task (need not be stored).
        shop: the ``shop`` object.
        now: the moment ``"now"`` means (frozen for reproducible previews); the real time when None.
        timezone: the shop's IANA time zone.
        currency: the shop's currency code.
        locale: the shop's locale.
        topic: preview only this topic (subscribed or not).
        event: preview this event instead: ``{"topic", "data"}`` (its topic defaults to ``topic`` or the
            first subscription).
        latest_event: finds the newest stored event of a topic.
        parent_of: finds a stored event by id (for ``event.parent`` of stored events).

    Returns:
        ``{"subscriptions": [...], "previews": [{"topic", "source", "event", "actions", "logs", "errors",
        "failure"?, "description"?}], "ok": bool}``; ``ok`` is False when any preview failed to render.

    Raises:
        InvalidInput: the subscriptions template does not render to valid subscriptions.
    """
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    if task.subscriptions_template is not None:
        lines = [str(sub) for sub in subs.render(task.subscriptions_template, task.options, shop)]
    else:
        lines = [str(sub) for sub in subs.parse_lines(task.subscriptions)]
    topics = list(dict.fromkeys(subs.parse_line(line).topic for line in lines))
    planned: list[tuple[str, str, str | None, dict[str, Any]]] = []
    if event is not None:
        event_topic = str(event.get("topic") or topic or (topics[0] if topics else "user/preview/event"))
        planned.append(
            (event_topic, "given", None, _synthetic_event(task, event_topic, 0, event.get("data"), now))
        )
    else:
        for each in [topic] if topic else topics:
            for source, description, obj in preview_events(
                task, each, now, latest_event=latest_event, parent_of=parent_of
            ):
                planned.append((each, source, description, obj))
    previews = []
    zone = ZoneInfo(timezone)
    for each, source, description, obj in planned:
        runtime = Runtime(
            now=now, timezone=zone, preview=True, currency=currency, locale=locale, shopify=None
        )
        result = render_task(task, obj, shop=shop, cache=None, runtime=runtime)
        previews.append(_entry(each, source, description, obj, result))
    return {
        "subscriptions": lines,
        "previews": previews,
        "ok": all("failure" not in entry for entry in previews),
    }
