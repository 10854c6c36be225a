"""The walkthrough notebook in a real JupyterLab, driven in headless Chromium (Debian's, through Playwright).

JupyterLab is started by the test with the extension enabled; `01-create-a-webhook.ipynb` is run from the Run
menu; the widgets must render; a request is fired from the request tester's Send button and the event must show
in the recent-activity widget with its echo task run. Screenshots are taken every run (in the test's temporary
folder); with UPDATE_SCREENSHOTS=1 they replace the ones in docs/screenshots/ that the README shows.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.timeout(300),
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)"),
]
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--no-first-run", "--disable-sync"]


def quiet_lab_settings(settings_dir: Path) -> None:
    """No "news" toast or update check covering the notebook, and every cell in the DOM (Lab 4 otherwise only
    renders the cells in view, so widgets further down could not be found)."""
    settings = {
        ("apputils-extension", "notification"): {"fetchNews": "false", "checkForUpdates": False},
        ("notebook-extension", "tracker"): {"windowingMode": "none"},
    }
    for (plugin, name), values in settings.items():
        folder = settings_dir / "@jupyterlab" / plugin
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.jupyterlab-settings").write_text(json.dumps(values))


def accept_kernel_dialog(page) -> None:
    """Lab may ask which kernel to start for a notebook it opens first; the default (Python 3) is right."""
    try:
        page.locator(".jp-Dialog .jp-mod-accept").first.click(timeout=15_000)
    except Exception:  # noqa: BLE001 - no dialog this time
        pass


def run_all_cells(page, tmp_path: Path) -> None:
    """Run → Run All Cells, as a person would."""
    try:
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click(timeout=30_000)
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click(timeout=30_000)
    except Exception:
        page.screenshot(path=str(tmp_path / "menu.png"), full_page=True)
        raise


def test_walkthrough_notebook_in_jupyterlab(tmp_path: Path) -> None:
    from jupyter_process import start_jupyter
    from playwright.sync_api import sync_playwright

    shutil.copy(ROOT / "notebooks" / "01-create-a-webhook.ipynb", tmp_path / "walkthrough.ipynb")
    quiet_lab_settings(tmp_path / "lab-settings")
    lab = start_jupyter(tmp_path, app="lab")
    screenshots = DOCS_SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else tmp_path / "screenshots"
    screenshots.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=BROWSER_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            try:
                page.goto(f"{lab.url}/lab/tree/walkthrough.ipynb?token={lab.token}")
                page.wait_for_selector(".jp-Notebook", timeout=90_000)
                accept_kernel_dialog(page)
                page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000)
                run_all_cells(page, tmp_path)

                # The widgets render.
                for selector in (".mk-webhooks", ".mk-task-editor", ".mk-request-send", ".mk-activity-table"):
                    page.wait_for_selector(selector, timeout=120_000)
                page.wait_for_function(
                    "() => /204/.test(document.querySelector('.mk-request-status')?.innerText || '')",
                    timeout=60_000)
                first_status = page.locator(".mk-request-status").first.inner_text()

                # A request fired from the browser, through the request tester.
                page.locator(".mk-request-send").first.click()
                page.wait_for_function(
                    "(before) => { const t = document.querySelector('.mk-request-status').innerText;"
                    " return /204/.test(t) && t !== before; }", arg=first_status, timeout=60_000)
                status = page.locator(".mk-request-status").first.inner_text()
                request_id = re.search(r"x-request-id: (\S+)", status).group(1)

                # The event shows in recent activity, with its task run.
                page.locator(".mk-activity-refresh").first.click()
                page.wait_for_function(
                    "(rid) => document.querySelector('.mk-activity-table').innerText.includes(rid)",
                    arg=request_id, timeout=60_000)
                page.wait_for_function(
                    "(rid) => { document.querySelector('.mk-activity-refresh').click();"
                    " return /succeeded/.test(document.querySelector('.mk-activity-table').innerText); }",
                    arg=request_id, timeout=60_000, polling=1000)

                shots = {"webhooks": ".mk-webhooks", "task-editor": ".mk-task-editor",
                         "request-tester": ".mk-request-tester", "recent-activity": ".mk-activity"}
                for name, selector in shots.items():
                    page.locator(selector).first.evaluate("element => element.scrollIntoView({block: 'start'})")
                    page.wait_for_timeout(300)  # let Lab settle its scroll position before the picture
                    page.screenshot(path=str(screenshots / f"{name}.png"))
            except Exception:
                page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
                print(f"screenshot of the failure: {tmp_path / 'failure.png'}")
                raise
            finally:
                browser.close()
    finally:
        lab.stop()
    # The event fired from the browser is in the store JupyterLab served.
    from mechanic_kernel import Workbench

    with Workbench(lab.home) as workbench:
        event = workbench.event(request_id)
        assert event.data == {"contact": {"name": "Ann", "email": "ann@example.com"}}
