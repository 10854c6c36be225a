"""Run a callback once after a burst of changes has gone quiet, on one background thread."""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable


class Debouncer:
    """Call ``fn`` once, on one daemon thread, after ``touch()`` has not been called for ``delay`` seconds.

    One long-lived thread rather than a Timer per keystroke: each thread would open its own SQLite reader.

    Args:
        fn: a bound method, held weakly: when its object is freed, the thread ends.
    """

    def __init__(self, fn: Callable[[], None]) -> None:
        self._fn = weakref.WeakMethod(fn)
        self._due: float | None = None
        self._ready = threading.Condition()
        self._thread: threading.Thread | None = None

    def touch(self, delay: float) -> None:
        """(Re)start the wait: ``fn`` runs ``delay`` seconds from now unless touched again before."""
        with self._ready:
            self._due = time.monotonic() + delay
            self._ready.notify()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="mk-task-preview", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            with self._ready:
                while self._due is None:
                    if not self._ready.wait(30) and self._fn() is None:
                        return
                remaining = self._due - time.monotonic()
                if remaining > 0:
                    self._ready.wait(remaining)
                    continue
                self._due = None
            fn = self._fn()
            if fn is None:
                return
            fn()
            del fn
