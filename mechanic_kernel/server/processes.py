"""``mechanic-kernel serve --processes N``: N ingest processes sharing one port.

The parent checks that the store opens (so a wrong URL fails once, before any fork) and reserves the port,
then forks the servers. Each listens on the port with a socket of its own (``SO_REUSEPORT``), so the kernel
spreads new connections over the processes; with one shared listening socket, whichever process woke first
would accept a whole burst of connections and leave the others idle. Each child opens its own workbench (its
own connections and writer) and serves until told to stop; only the first also runs the worker, unless
``--no-worker`` (more workers: ``mechanic-kernel worker run``, in any number of processes). The parent only
supervises: it forwards SIGINT and SIGTERM, waits for every child to finish its in-flight writes, and
restarts a child that died (at most :data:`RESTARTS_PER_MINUTE` times a minute). A child dies with its parent.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..runtime_file import clear_server_note
from ..runtime_file import write_server_note
from .app import bind
from .app import reserve_port
from .app import server_url
from .standalone import serve

if TYPE_CHECKING:
    from ..workbench import Workbench

RESTARTS_PER_MINUTE = 10
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass  # not Linux: the parent's signal handlers still stop its children


def serve_processes(
    open_workbench: Callable[[], Workbench],
    host: str,
    port: int,
    processes: int,
    *,
    public_url: str | None = None,
    run_worker: bool = True,
) -> int:
    """Serve with ``processes`` server processes until SIGINT or SIGTERM; return the exit status.

    ``open_workbench`` opens the workbench (and its store) for one process.

    Raises:
        OSError: the address cannot be bound.
        StoreError: the store cannot be opened (checked before any process starts).
    """
    check = open_workbench()
    home, store_url, configured = check.home, check.store.url, check.settings.get("public_url")
    check.close()
    if threading.active_count() > 1:
        raise RuntimeError("threads are still running; refusing to fork server processes")
    holder = reserve_port(host, port)
    bound_port = holder.getsockname()[1]
    url = server_url(host, [holder])
    base_url = public_url or configured or url
    stopping = False
    children: dict[int, int] = {}  # pid -> index
    restarts: list[float] = []

    def spawn(index: int) -> None:
        pid = os.fork()
        if pid == 0:
            status = 1
            try:
                _die_with_parent()
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                workbench = open_workbench()
                asyncio.run(
                    serve(
                        workbench,
                        host,
                        port,
                        public_url,
                        run_worker=run_worker and index == 0,
                        sockets=bind(host, bound_port, reuse_port=True),
                        announce=False,
                    )
                )
                status = 0
            except BaseException as exc:  # noqa: BLE001 - reported, then the child exits
                print(
                    f"server process {index} failed: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True
                )
            finally:
                os._exit(status)
        children[pid] = index

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    for index in range(processes):
        spawn(index)
    write_server_note(home, url, "serve", public_url=public_url)
    print(f"mechanic-kernel serving {url}", flush=True)  # the CLI contract's first line, whatever N is
    print(f"{processes} server processes share the port", flush=True)
    print(f"webhook URLs start with {base_url}/mechanic/webhooks/", flush=True)
    print(f"home: {home}", flush=True)
    print(f"store: {store_url}", flush=True)
    status = 0
    try:
        while children:
            try:
                pid, code = os.wait()
            except ChildProcessError:
                break
            except InterruptedError:
                continue
            index = children.pop(pid, None)
            if index is None or stopping:
                continue
            now = time.monotonic()
            restarts[:] = [moment for moment in restarts if now - moment < 60] + [now]
            if len(restarts) > RESTARTS_PER_MINUTE:
                print(f"server process {index} keeps failing; stopping", file=sys.stderr, flush=True)
                status = 1
                stop(signal.SIGTERM, None)
                continue
            print(
                f"server process {index} exited ({os.waitstatus_to_exitcode(code)}); starting it again",
                file=sys.stderr,
                flush=True,
            )
            spawn(index)
    finally:
        holder.close()
        clear_server_note(home)
        print("mechanic-kernel stopped", file=sys.stderr, flush=True)
    return status


__all__ = ["serve_processes"]
