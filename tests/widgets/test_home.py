"""The home dashboard: tabs over one workbench, panels following each other, the home() shortcut."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from mechanic_kernel import Workbench
from widgets import Home
from widgets import home


def test_tabs_and_wiring(served: Workbench) -> None:
    dashboard = Home(served, debounce=0)
    assert dashboard.tabs.titles == (
        "Webhooks",
        "Request tester",
        "Recent activity",
        "Task editor",
        "Settings",
    )
    assert repr(dashboard) == "Home()"

    dashboard.editor.subscriptions.value = "user/webhook/test"
    assert "No webhook has the topic user/webhook/test" in dashboard.editor.warnings.value
    assert dashboard.tester.url.options == ()
    webhook = dashboard.webhooks.add("Example", "user/webhook/test", "auto")
    assert dashboard.tester.url.value == served.webhooks.url(webhook)
    assert dashboard.editor.warnings.value == ""

    response = dashboard.tester.send()
    assert response is not None and response.status == 204
    assert response.request_id in dashboard.activity.table.value  # refreshed after the answer
    dashboard.tester.show_event.click()
    assert dashboard.tabs.selected_index == 2
    assert dashboard.activity.selected["webhook_request_id"] == response.request_id
    dashboard.close()


def test_home_serves_the_workbench(tmp_path: Path) -> None:
    bench = Workbench(tmp_path / "home")
    try:
        dashboard = home(bench, auto_refresh=False)
        webhook = dashboard.webhooks.add("Example", "user/webhook/test", "auto")
        answer = httpx.post(bench.webhooks.url(webhook), json={}, trust_env=False)
        assert answer.status_code == 204
    finally:
        bench.close()


@pytest.mark.parametrize(
    "name", ["WebhooksPanel", "SettingsPanel", "RecentActivity", "RequestTester", "TaskEditor"]
)
def test_every_panel_opens_on_a_fresh_workbench(workbench: Workbench, name: str) -> None:
    import widgets

    panel = getattr(widgets, name)(workbench)
    assert repr(panel) == f"{name}()"
    if name == "RecentActivity":
        panel.stop()
