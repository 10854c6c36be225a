"""Helpers of the action tests: a local HTTP server on 127.0.0.1 and a runner for action coroutines."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
import threading
from base64 import b64encode
from typing import Any

from tornado import web
from tornado.httpserver import HTTPServer

from mechanic_kernel.clock import UTC

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class EchoHandler(web.RequestHandler):
    """Answers with what it received, so a test can check exactly what the action sent."""

    SUPPORTED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

    def _echo(self) -> None:
        self.set_header("Content-Type", "application/json")
        self.set_header("X-Multi", "one")
        self.add_header("X-Multi", "two")
        self.finish(json.dumps({
            "method": self.request.method,
            "path": self.request.path,
            "query": self.request.query,
            "headers": {name.lower(): value for name, value in self.request.headers.get_all()},
            "body": self.request.body.decode("utf-8", "replace"),
            "body_base64": b64encode(self.request.body).decode(),
        }))

    get = post = put = patch = delete = options = _echo

    def head(self) -> None:
        self.set_header("X-Head", "yes")
        self.finish()


class StatusHandler(web.RequestHandler):
    def get(self, code: str) -> None:
        self.set_status(int(code))
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(f"status {code}")

    post = get


class RedirectHandler(web.RequestHandler):
    def get(self) -> None:
        self.redirect("/echo?redirected=1", status=302)


class SlowHandler(web.RequestHandler):
    async def get(self) -> None:
        await asyncio.sleep(3)
        self.finish("late")


class BytesHandler(web.RequestHandler):
    """Streams ``n`` bytes (a download bigger than a limit, without holding it in memory)."""

    async def get(self, size: str) -> None:
        remaining = int(size)
        self.set_header("Content-Type", "application/octet-stream")
        chunk = b"x" * 65536
        while remaining > 0:
            self.write(chunk[:remaining])
            remaining -= len(chunk)
            await self.flush()
        self.finish()


class TextHandler(web.RequestHandler):
    def get(self) -> None:
        self.set_header("Content-Type", self.get_argument("type", "text/plain; charset=utf-8"))
        self.finish(self.get_argument("text", "héllo").encode("utf-8"))


class LocalServer:
    """A Tornado server on 127.0.0.1 in its own thread and event loop."""

    def __init__(self) -> None:
        self.url = ""
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._run, name="action-test-server", daemon=True)

    def start(self) -> LocalServer:
        self._thread.start()
        self._ready.wait(10)
        return self

    def _run(self) -> None:
        async def main() -> None:
            app = web.Application([
                (r"/echo", EchoHandler), (r"/status/(\d+)", StatusHandler), (r"/redirect", RedirectHandler),
                (r"/slow", SlowHandler), (r"/bytes/(\d+)", BytesHandler), (r"/text", TextHandler),
            ])
            server = HTTPServer(app, max_body_size=64 * 1024 * 1024)
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sock.listen(128)
            sock.setblocking(False)
            server.add_socket(sock)
            self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            self._ready.set()
            await self._stop.wait()
            server.stop()

        asyncio.run(main())

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


def run(coroutine: Any) -> Any:
    """Run one action call to completion on a fresh event loop."""
    return asyncio.run(coroutine)
