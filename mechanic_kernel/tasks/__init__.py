"""Tasks: the task record, subscriptions, options, rendering for an event, preview, import/export."""

from __future__ import annotations

from ..models.tasks import Task
from .execute import event_object
from .execute import render_task
from .service import ImportResult
from .service import Tasks
from .subscriptions import Offset
from .subscriptions import Subscription

__all__ = ["ImportResult", "Offset", "Subscription", "Task", "Tasks", "event_object", "render_task"]
