"""A kernel started by the Jupyter server shares its store; a real browser calls webhooks across origins."""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from jupyter_process import JupyterServer
from jupyter_process import start_jupyter
from tornado import web
from tornado.httpserver import HTTPServer
from tornado.websocket import websocket_connect

pytestmark = pytest.mark.timeout(240)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def jupyter(tmp_path_factory) -> Iterator[JupyterServer]:
    server = start_jupyter(tmp_path_factory.mktemp("jupyter-kernel"))
    yield server
    server.stop()


async def execute_in_new_kernel(jupyter: JupyterServer, code: str) -> str:
    """Start a kernel through the server's REST API, run ``code`` over its websocket, return its stdout."""
    async with httpx.AsyncClient(trust_env=False, timeout=60) as http:
        kernel = (await http.post(f"{jupyter.url}/api/kernels", json={"name": "python3"},
                                  headers=jupyter.auth)).json()
        try:
            ws_url = f"{jupyter.url.replace('http', 'ws', 1)}/api/kernels/{kernel['id']}/channels?token={jupyter.token}"
            connection = await websocket_connect(ws_url)
            msg_id = uuid.uuid4().hex
            connection.write_message(json.dumps({
                "header": {"msg_id": msg_id, "username": "test", "session": uuid.uuid4().hex,
                           "msg_type": "execute_request", "version": "5.3"},
                "parent_header": {}, "metadata": {}, "channel": "shell",
                "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                            "allow_stdin": False, "stop_on_error": True},
            }))
            output, errors = [], []
            while True:
                raw = await asyncio.wait_for(connection.read_message(), 90)
                if raw is None:
                    raise AssertionError("the kernel's websocket closed")
                message = json.loads(raw)
                if message.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind = message["msg_type"]
                if kind == "stream":
                    output.append(message["content"]["text"])
                elif kind == "error":
                    errors.append("\n".join(message["content"]["traceback"]))
                elif kind == "execute_reply":
                    break
            connection.close()
            assert not errors, errors
            return "".join(output)
        finally:
            await http.delete(f"{jupyter.url}/api/kernels/{kernel['id']}", headers=jupyter.auth)


def test_a_kernel_started_by_the_server_sees_its_webhooks_and_events(jupyter) -> None:
    with httpx.Client(trust_env=False, timeout=30) as http:
        webhook = http.post(jupyter.api("/webhooks"), json={"name": "K", "topic": "user/kernel/test"},
                            headers=jupyter.auth).json()
        request_id = http.post(webhook["url"], json={"from": "outside"}).headers["x-request-id"]
    code = (
        "import json\n"
        "from mechanic_kernel import Workbench\n"
        "wb = Workbench()\n"
        "print(json.dumps({'home': str(wb.home), 'webhooks': [w.id for w in wb.webhooks.list()],\n"
        f"    'event': wb.event('{request_id}').data, 'serve': wb.serve(), 'url': wb.webhooks.url('{webhook['id']}')}}))\n"
    )
    seen = json.loads(asyncio.run(execute_in_new_kernel(jupyter, code)))
    assert Path(seen["home"]) == jupyter.home.resolve()
    assert webhook["id"] in seen["webhooks"]
    assert seen["event"] == {"from": "outside"}
    # serve() in the kernel reuses the Jupyter server instead of starting a second one.
    assert seen["serve"] == jupyter.url
    assert seen["url"] == webhook["url"]


class _Page(web.RequestHandler):
    def initialize(self, html: str) -> None:
        self.html = html

    def get(self) -> None:
        self.finish(self.html)


def serve_page(html: str) -> tuple[str, callable]:
    """A page on another origin (another port on 127.0.0.1), served from a background thread."""
    ready = threading.Event()
    state: dict = {}

    def run() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        server = HTTPServer(web.Application([(r"/", _Page, {"html": html})]))
        server.listen(0, "127.0.0.1")
        state["port"] = next(iter(server._sockets.values())).getsockname()[1]
        state["loop"] = loop
        ready.set()
        loop.run_forever()
        server.stop()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(10)

    def stop() -> None:
        state["loop"].call_soon_threadsafe(state["loop"].stop)
        thread.join(10)

    return f"http://127.0.0.1:{state['port']}", stop


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)")
def test_cross_origin_browser_post(jupyter) -> None:
    from playwright.sync_api import sync_playwright

    with httpx.Client(trust_env=False, timeout=30) as http:
        webhook = http.post(jupyter.api("/webhooks"), json={"name": "Browser", "topic": "user/browser/test"},
                            headers=jupyter.auth).json()
    page_html = "<!doctype html><title>storefront</title><p>storefront</p>"
    allowed_url, stop_allowed = serve_page(page_html)
    other_url, stop_other = serve_page(page_html)
    script = """async (url) => {
        try {
            const r = await fetch(url, {method: "POST", headers: {"Content-Type": "application/json"},
                                        body: JSON.stringify({from: location.origin})});
            return [r.status, r.headers.get("x-request-id")];
        } catch (e) { return ["blocked", String(e)]; }
    }"""
    try:
        with httpx.Client(trust_env=False, timeout=30) as http:
            http.post(jupyter.api("/settings/cors"), json={"origin": allowed_url}, headers=jupyter.auth)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--no-first-run", "--disable-sync"])
            try:
                page = browser.new_page()
                page.goto(allowed_url)
                status, request_id = page.evaluate(script, webhook["url"])
                assert status == 204
                assert request_id  # readable thanks to Access-Control-Expose-Headers
                page.goto(other_url)
                blocked, _ = page.evaluate(script, webhook["url"])
                assert blocked == "blocked"
            finally:
                browser.close()
        with httpx.Client(trust_env=False, timeout=30) as http:
            events = http.get(jupyter.api("/events?topic=user/browser/test"), headers=jupyter.auth).json()
        assert [event["data"] for event in events] == [{"from": allowed_url}]
        assert events[0]["webhook_request_id"] == request_id
    finally:
        stop_allowed()
        stop_other()
