"""The task record: every key of a Mechanic task, plus the local bookkeeping (id, enabled, timestamps)."""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from dataclasses import field
from dataclasses import fields
from typing import Any

# Mechanic stamps each task with the Admin API version it was written for; the library files carry none,
# so imports without one get this (docs/decisions.md, "Tasks").
DEFAULT_API_VERSION = "2025-01"

# The keys of a Mechanic task export, in the order Mechanic's library writes them (alphabetical).
EXPORT_KEYS = (
    "docs",
    "halt_action_run_sequence_on_error",
    "liquid_profiling",
    "name",
    "online_store_javascript",
    "options",
    "order_status_javascript",
    "perform_action_runs_in_sequence",
    "preview_event_definitions",
    "script",
    "shopify_api_version",
    "subscriptions",
    "subscriptions_template",
    "tags",
)


def new_task_id() -> str:
    """A fresh task id (UUID4, as Mechanic's)."""
    return str(uuid.uuid4())


@dataclass
class Task:
    """One task.

    Attributes:
        id: UUID4 string.
        name: the task's name; import matches existing tasks by it.
        script: the Liquid code.
        subscriptions: the rendered subscriptions, one ``topic[+N.unit]`` per item.
        subscriptions_template: the Liquid source of the subscriptions (None in old exports: then the
            subscriptions themselves are the source).
        options: option key → configured value (None when unset).
        docs: Markdown documentation.
        online_store_javascript: Liquid-rendered JavaScript for the storefront, or None.
        order_status_javascript: Liquid-rendered JavaScript for the order status page, or None.
        shopify_api_version: the Shopify Admin API version the task's queries target.
        liquid_profiling: kept and exported; its meaning is not documented (no effect locally).
        perform_action_runs_in_sequence: perform the task run's actions one after the other.
        halt_action_run_sequence_on_error: with the above, stop at the first failed action run.
        preview_event_definitions: ``{"description", "event_attributes": {"topic", "data"}}`` items.
        tags: library categories.
        enabled: disabled tasks receive no events.
        created_at: ISO-8601 UTC.
        updated_at: ISO-8601 UTC.
    """

    name: str
    script: str = ""
    subscriptions: list[str] = field(default_factory=list)
    subscriptions_template: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    docs: str | None = None
    online_store_javascript: str | None = None
    order_status_javascript: str | None = None
    shopify_api_version: str = DEFAULT_API_VERSION
    liquid_profiling: bool = False
    perform_action_runs_in_sequence: bool = False
    halt_action_run_sequence_on_error: bool = False
    preview_event_definitions: list[dict[str, Any]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    enabled: bool = True
    id: str = field(default_factory=new_task_id)
    created_at: str = ""
    updated_at: str = ""

    @property
    def subscriptions_source(self) -> str:
        """The text the subscriptions are rendered from: the template, else the stored lines."""
        if self.subscriptions_template is not None:
            return self.subscriptions_template
        return "\n".join(self.subscriptions)

    def to_export(self) -> dict[str, Any]:
        """The task as Mechanic task JSON (every key of :data:`EXPORT_KEYS`, deep-copied)."""
        return {key: copy.deepcopy(getattr(self, key)) for key in EXPORT_KEYS}

    def to_dict(self) -> dict[str, Any]:
        """Every field, JSON-ready: the export keys, ``id``, ``enabled``, ``created_at``, ``updated_at``."""
        record = {
            "id": self.id,
            "enabled": self.enabled,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }
        record.update(self.to_export())
        return record

    def liquid_object(self) -> dict[str, str]:
        """The ``task`` variable of task code: ``id`` and ``created_at`` only (spec §1.5)."""
        return {"id": self.id, "created_at": self.created_at}


TASK_FIELDS = tuple(f.name for f in fields(Task))
