"""Jupyter widgets over a workbench: webhooks, settings, task editor, request tester, recent activity.

Each panel is a class whose ``widget`` a notebook displays (displaying the panel object does the same) and
whose methods do what its buttons do. ``home()`` opens them all in one tabbed dashboard (docs/widgets.md).
"""

from __future__ import annotations

from .activity import RecentActivity
from .home import Home
from .home import home
from .request_tester import RequestTester
from .settings import SettingsPanel
from .task_editor import TaskEditor
from .webhooks import WebhooksPanel

__all__ = ["Home", "RecentActivity", "RequestTester", "SettingsPanel", "TaskEditor", "WebhooksPanel", "home"]
