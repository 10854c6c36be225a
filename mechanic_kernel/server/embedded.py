"""The workbench's HTTP server on a background thread: for notebooks run without Jupyter, tests and scripts.

A server on the kernel's own event loop would deadlock with a synchronous client in the same cell
(notes/platform.md §6), so it gets a thread and a loop of its own.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable
from collections.abc import Callable
from typing import TYPE_CHECKING
from typing import Any

from ..runtime_file import clear_server_note
from ..runtime_file import write_server_note
from .app import start_server

if TYPE_CHECKING:
    from tornado.httpserver import HTTPServer

    from ..workbench import Workbench

START_TIMEOUT = 10


class EmbeddedServer:
    """Serves a workbench on ``host:port`` from a daemon thread until :meth:`stop`."""

    def __init__(
        self,
        workbench: Workbench,
        host: str = "127.0.0.1",
        port: int = 0,
        background: list[Callable[[], Awaitable[Any]]] | None = None,
        *,
        fast_path: bool = True,
    ) -> None:
        self.workbench = workbench
        self.host = host
        self.port = port
        self.url: str | None = None
        self._background = background or []
        self._fast_path = fast_path
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: HTTPServer | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="mechanic-server", daemon=True)

    def start(self) -> str:
        """Start serving; return the base URL.

        Raises:
            OSError: when the address cannot be bound.
        """
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT):
            raise RuntimeError("the embedded server did not start within 10 s")
        if self._error is not None:
            raise self._error
        assert self.url is not None
        return self.url

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            self._server, self.url = loop.run_until_complete(self._start())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the starting thread
            self._error = exc
            self._ready.set()
            loop.close()
            return
        write_server_note(self.workbench.home, self.url, "embedded")
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(self._shutdown())
        loop.close()

    async def _start(self) -> tuple[HTTPServer, str]:
        server, url = start_server(self.workbench, self.host, self.port, fast_path=self._fast_path)
        self._tasks = [asyncio.ensure_future(job()) for job in self._background]
        return server, url

    async def _shutdown(self) -> None:
        assert self._server is not None
        self._server.stop()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.close_all_connections()

    def run_coroutine(self, coroutine: Awaitable[Any]) -> Any:
        """Run a coroutine on the server's loop and wait for its result (for callers on other threads)."""
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()  # type: ignore[arg-type]

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        if self._loop is None or not self._thread.is_alive():
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        clear_server_note(self.workbench.home)
        if self.workbench.server_url == self.url:
            self.workbench.server_url = None

    @property
    def running(self) -> bool:
        """Whether the thread still serves."""
        return self._thread.is_alive()
