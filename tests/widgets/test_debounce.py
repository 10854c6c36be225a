"""The debouncer: a burst of touches gives one call, on one thread, after the quiet period."""

from __future__ import annotations

import gc
import threading
import time

from widgets.debounce import Debouncer


class Counter:
    """Counts calls and the threads they came from."""

    def __init__(self) -> None:
        self.calls = 0
        self.threads: set[str] = set()
        self.done = threading.Event()

    def hit(self) -> None:
        """The debounced callback."""
        self.calls += 1
        self.threads.add(threading.current_thread().name)
        self.done.set()


def test_a_burst_of_touches_gives_one_call() -> None:
    counter = Counter()
    debouncer = Debouncer(counter.hit)
    for _ in range(20):
        debouncer.touch(0.05)
    assert counter.done.wait(5)
    time.sleep(0.1)
    assert counter.calls == 1 and counter.threads == {"mk-task-preview"}
    counter.done.clear()
    debouncer.touch(0.01)
    assert counter.done.wait(5) and counter.calls == 2


def test_the_thread_ends_when_its_object_is_freed() -> None:
    counter = Counter()
    debouncer = Debouncer(counter.hit)
    debouncer.touch(0.2)
    thread = debouncer._thread
    assert thread is not None
    del counter
    gc.collect()
    thread.join(5)
    assert not thread.is_alive()
