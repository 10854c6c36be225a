"""The process a render pool starts: renders task runs and event filters sent by its parent, one at a time.

It opens the workbench's store itself (the parent sends the home and the store URL in its first frame,
never on the command line, where a password would show in ``ps``), so a render reads event parents and the
cache as it would in the server. Whatever a render does (a stuck C call, a memory bomb), only this process
suffers: the parent kills it after the render deadline and starts another. Frames are length-prefixed pickles
on stdin and on a private copy of stdout (``sys.stdout`` points at stderr: a stray print cannot corrupt them).

    python -m mechanic_kernel.runs.render_process
"""

from __future__ import annotations

import os
import resource
import signal
import sys
import traceback
from pathlib import Path
from typing import Any
from typing import BinaryIO

from ..actions.cache import Cache
from ..clock import FrozenClock
from ..liquid.render import RenderError
from ..liquid.render import RenderResult
from ..store import open_store
from ..store.contract import Store
from ..tasks.execute import event_object
from ..tasks.execute import render_task
from .filters import FilterError
from .filters import apply_filters
from .pipe import frame
from .pipe import read_frame

# A render past this much address space fails with MemoryError here instead of taking the machine's memory.
ADDRESS_SPACE_LIMIT = 4 * 1024**3
_PR_SET_PDEATHSIG = 1


def _limit_memory() -> None:
    try:
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_LIMIT, ADDRESS_SPACE_LIMIT))
    except (ValueError, OSError):
        pass  # a lower hard limit already applies


def _die_with_parent() -> None:
    try:
        import ctypes  # noqa: PLC0415 - Linux only, and only here

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass  # elsewhere the closed stdin ends this process instead


def _render(store: Store, request: dict[str, Any]) -> Any:
    runtime = request["runtime"]
    event = event_object(request["event"], parent_of=store.events.get)
    cache = Cache(store.cache, FrozenClock(runtime.now)).view()
    if request["kind"] == "task":
        return render_task(request["task"], event, shop=request["shop"], cache=cache, runtime=runtime)
    try:
        return ("passed", apply_filters(request["filters"], event, request["shop"], cache, runtime))
    except FilterError as exc:
        return ("failed", exc.name, exc.message)


def serve(requests: BinaryIO, replies: BinaryIO) -> None:
    """Answer render requests until the parent closes the pipe."""
    config = read_frame(requests)
    if config is None:
        return
    store = open_store(Path(config["home"]), config["store"])
    try:
        replies.write(frame({"ready": os.getpid()}))
        replies.flush()
        while (request := read_frame(requests)) is not None:
            try:
                reply: Any = _render(store, request)
            except MemoryError:
                reply = RenderResult(
                    failure=RenderError(
                        "memory limit reached (the render needed more memory than its process may use)",
                        None,
                        "limit",
                        "memory",
                    )
                )
            except Exception as exc:  # noqa: BLE001 - reported to the parent as the render's failure
                traceback.print_exc()
                reply = RenderResult(failure=RenderError(f"{type(exc).__name__}: {exc}", None, "render"))
            try:
                payload = frame(reply)
            except Exception as exc:  # noqa: BLE001 - a value that cannot cross to the parent
                payload = frame(
                    RenderResult(
                        failure=RenderError(
                            f"the render's result could not be returned: {type(exc).__name__}: {exc}",
                            None,
                            "render",
                        )
                    )
                )
            replies.write(payload)
            replies.flush()
    finally:
        store.close()


def main() -> None:
    """Entry point: frames on stdin and on a private duplicate of stdout."""
    _die_with_parent()
    _limit_memory()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when this process stops
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout = sys.stderr
    serve(sys.stdin.buffer, replies)


if __name__ == "__main__":
    main()
