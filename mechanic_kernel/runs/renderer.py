"""Renders in processes of their own, so no task or payload can hold the server.

A render runs in the caller's process under limits the dialect checks itself (loop iterations, output size,
memory, a deadline checked between tags, time-limited regexes, capped integers). What no check can stop is a
single call that never returns to Python: an unforeseen C routine, a pathological allocation. The worker of a
server (``work()``) therefore sends its renders (task runs and event filters) to a pool of
``python -m mechanic_kernel.runs.render_process`` processes. The caller waits at most the render deadline and
a grace period; past it the process is killed, the render fails with the time limit, and the next render
starts a fresh process. The server's own event loop and threads never run task code.

``run_until_idle()`` and ``step()`` (tests, notebooks) render in-process: they are driven by the person
waiting for them.
"""

from __future__ import annotations

import logging
import os
import pickle
import selectors
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from ..liquid.render import RenderError
from ..liquid.render import RenderResult
from ..liquid.runtime import Runtime
from ..models.events import Event
from ..models.tasks import Task
from .filters import FilterError
from .pipe import HEADER_SIZE
from .pipe import frame
from .pipe import frame_size

log = logging.getLogger("mechanic_kernel.runs")

# Seconds a render may overrun its deadline before its process is killed: the dialect's own checks stop a
# render at the deadline, so only a render stuck where no check runs ever reaches this.
GRACE_SECONDS = 3.0
# How long a new render process may take to start (import the engine, open the store).
START_SECONDS = 60.0
DEFAULT_TIMEOUT = 20.0


class RenderProcessError(Exception):
    """A render process could not be started or stopped answering."""


class _Process:
    """One render process and its two pipes."""

    def __init__(self, home: Path, store_url: str | None) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.popen = subprocess.Popen(  # noqa: S603 - our own module, run by this interpreter
            [sys.executable, "-m", "mechanic_kernel.runs.render_process"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
        assert self.popen.stdin is not None and self.popen.stdout is not None
        self.requests, self.replies = self.popen.stdin, self.popen.stdout
        self.send({"home": str(home), "store": store_url})
        ready = self.receive(time.monotonic() + START_SECONDS)
        if not isinstance(ready, dict) or "ready" not in ready:
            self.kill()
            raise RenderProcessError(f"a render process did not start: {ready!r}")

    def send(self, value: Any) -> None:
        self.requests.write(frame(value))
        self.requests.flush()

    def receive(self, deadline: float) -> Any:
        """The next reply, or raise :class:`TimeoutError` at ``deadline`` (the process then is of no use)."""
        header = self._read(HEADER_SIZE, deadline)
        return pickle.loads(self._read(frame_size(header), deadline))

    def _read(self, size: int, deadline: float) -> bytes:
        chunks: list[bytes] = []
        fd = self.replies.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while size > 0:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    raise TimeoutError
                chunk = os.read(fd, min(size, 1 << 20))
                if not chunk:
                    raise RenderProcessError("the render process ended")
                chunks.append(chunk)
                size -= len(chunk)
        return b"".join(chunks)

    def kill(self) -> None:
        try:
            self.popen.kill()
        except ProcessLookupError:
            pass
        for pipe in (self.requests, self.replies):
            try:
                pipe.close()
            except OSError:
                pass
        try:
            self.popen.wait(10)
        except subprocess.TimeoutExpired:
            log.warning("render process %s did not exit after SIGKILL", self.popen.pid)

    def close(self) -> None:
        try:
            self.requests.close()  # end of input: the process closes its store and exits
            self.popen.wait(10)
        except (OSError, subprocess.TimeoutExpired):
            self.kill()
        try:
            self.replies.close()
        except OSError:
            pass


class RenderPool:
    """Up to ``size`` render processes for one workbench's store, started as renders need them.

    Args:
        home: the workbench's home folder.
        store_url: the store's URL as the workbench opened it (None: SQLite in the home).
        size: the most processes (the worker's concurrency: one per render at a time).
    """

    def __init__(self, home: Path, store_url: str | None, size: int) -> None:
        self.home = home
        self.store_url = store_url
        self.size = max(1, size)
        self._idle: list[_Process] = []
        self._count = 0
        self._closed = False
        self._free = threading.Condition()
        self.killed = 0  # processes killed for overrunning (tests and the status of a server read it)

    def __repr__(self) -> str:
        return f"RenderPool({self._count} of {self.size} processes)"

    # -- what the engine calls ----------------------------------------------------------------------------
    def render_task(self, task: Task, event: Event, shop: dict[str, Any], runtime: Runtime) -> RenderResult:
        """Render ``task`` for ``event`` in a render process; a render that overruns fails with the limit."""
        request = {"kind": "task", "task": task, "event": event, "shop": shop, "runtime": runtime}
        reply = self._call(request, runtime)
        if isinstance(reply, RenderResult):
            return reply
        return RenderResult(failure=reply)

    def run_filters(
        self, filters: list[tuple[str, str]], event: Event, shop: dict[str, Any], runtime: Runtime
    ) -> str | None:
        """The first of ``filters`` that stops ``event`` (see :func:`.event_run.apply_filters`).

        Raises:
            FilterError: a filter failed to render, or overran its deadline.
        """
        request = {"kind": "filters", "filters": filters, "event": event, "shop": shop, "runtime": runtime}
        # Each filter has its own deadline in the process; the pool waits for all of them at most.
        reply = self._call(request, runtime, renders=len(filters))
        if isinstance(reply, RenderError):
            raise FilterError(filters[0][0] if len(filters) == 1 else "(event filters)", reply.message)
        if isinstance(reply, RenderResult):  # the process could not even start the filters
            assert reply.failure is not None
            raise FilterError("(event filters)", reply.failure.message)
        if reply[0] == "failed":
            raise FilterError(reply[1], reply[2])
        return reply[1]

    # -- the processes ------------------------------------------------------------------------------------
    def _call(self, request: dict[str, Any], runtime: Runtime, renders: int = 1) -> Any:
        timeout = runtime.render_timeout if runtime.render_timeout is not None else DEFAULT_TIMEOUT
        process = self._acquire()
        try:
            process.send(request)
            reply = process.receive(time.monotonic() + timeout * renders + GRACE_SECONDS)
        except TimeoutError:
            self._discard(process, "overran its deadline")
            return RenderError(
                f"render time limit reached (the render took longer than {timeout:g} s and was stopped)",
                None,
                "limit",
                "render_time",
            )
        except (RenderProcessError, OSError, EOFError, ValueError) as exc:
            self._discard(process, f"failed: {exc}")
            return RenderError(
                f"the render process stopped unexpectedly ({exc}); the render did not finish",
                None,
                "limit",
                "resources",
            )
        self._release(process)
        return reply

    def _acquire(self) -> _Process:
        with self._free:
            while not self._idle and self._count >= self.size and not self._closed:
                self._free.wait()
            if self._closed:
                raise RenderProcessError("the render pool is closed")
            if self._idle:
                return self._idle.pop()
            self._count += 1
        try:
            return _Process(self.home, self.store_url)
        except BaseException:
            with self._free:
                self._count -= 1
                self._free.notify()
            raise

    def _release(self, process: _Process) -> None:
        with self._free:
            if self._closed:
                process.close()
            else:
                self._idle.append(process)
            self._free.notify()

    def _discard(self, process: _Process, why: str) -> None:
        log.warning("render process %s %s; it was stopped and will be replaced", process.popen.pid, why)
        process.kill()
        with self._free:
            self.killed += 1
            self._count -= 1
            self._free.notify()

    def close(self) -> None:
        """Stop every idle process (busy ones stop when their render returns)."""
        with self._free:
            self._closed = True
            idle, self._idle = self._idle, []
            self._free.notify_all()
        for process in idle:
            process.close()
        with self._free:
            self._count -= len(idle)
