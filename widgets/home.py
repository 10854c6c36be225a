"""The home dashboard: every panel of one workbench in tabs, wired so they follow each other."""

from __future__ import annotations

import ipywidgets as w

from mechanic_kernel import Workbench

from ._panel import Panel
from .activity import RecentActivity
from .request_tester import RequestTester
from .settings import SettingsPanel
from .task_editor import TaskEditor
from .webhooks import WebhooksPanel

TABS = ("Webhooks", "Request tester", "Recent activity", "Task editor", "Settings")


class Home(Panel):
    """Webhooks, request tester, recent activity, task editor and settings in one ``Tab``.

    Adding, disabling or deleting a webhook refreshes the tester's URLs and the editor's topic warnings;
    a sent request refreshes the activity, and "Show event" opens it there (:meth:`show_event`).

    Args:
        wb: the workbench (a new one on the default home when None).
        auto_refresh: refresh Recent activity on a timer thread.
        debounce: seconds the task editor waits before previewing.
    """

    def __init__(
        self, wb: Workbench | None = None, *, auto_refresh: bool = False, debounce: float = 0.5
    ) -> None:
        super().__init__(wb)
        self.webhooks = WebhooksPanel(self.wb)
        self.tester = RequestTester(self.wb)
        self.activity = RecentActivity(self.wb, auto_refresh=auto_refresh)
        self.editor = TaskEditor(self.wb, debounce=debounce)
        self.settings = SettingsPanel(self.wb)
        self.webhooks.on_change(self.tester.refresh_urls)
        self.webhooks.on_change(self.editor.preview)
        self.tester.on_response(lambda _: self.activity.refresh())
        self.tester.on_event(self.show_event)
        panels = (self.webhooks, self.tester, self.activity, self.editor, self.settings)
        self.tabs = w.Tab(children=[panel.widget for panel in panels], titles=TABS)
        self.tabs.add_class("mk-home-tabs")
        self.widget = w.VBox([self.tabs])
        self.widget.add_class("mk-home")

    def show(self, tab: str) -> None:
        """Switch to a tab by its title (``"Recent activity"``…)."""
        self.tabs.selected_index = TABS.index(tab)

    def show_event(self, event_id: str) -> None:
        """Open an event in Recent activity and switch to that tab."""
        self.activity.refresh()
        self.activity.select(event_id)
        self.show("Recent activity")

    def close(self) -> None:
        """Stop the activity's timer thread."""
        self.activity.stop()


def home(wb: Workbench | None = None, *, serve: bool = True, auto_refresh: bool = True) -> Home:
    """Open every panel of a workbench in one dashboard (the entry point of docs/widgets.md).

    Args:
        wb: the workbench; a new one on the default home (``MECHANIC_HOME`` or the per-user folder) when None.
        serve: make sure the webhooks are served (``wb.serve()``: reuses a running Jupyter or CLI server,
            else starts one in this kernel with the worker), so the request tester has somewhere to send.
        auto_refresh: keep Recent activity up to date on a timer thread.
    """
    wb = wb if wb is not None else Workbench()
    if serve:
        wb.serve()
    return Home(wb, auto_refresh=auto_refresh)
