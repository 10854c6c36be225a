"""``mechanic-kernel serve``: the workbench's HTTP server on its own, until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
from typing import TYPE_CHECKING

from ..runtime_file import clear_server_note
from ..runtime_file import write_server_note
from ..settings import parse_public_url
from .app import start_server

if TYPE_CHECKING:
    from ..workbench import Workbench


async def serve(
    workbench: Workbench,
    host: str,
    port: int,
    public_url: str | None = None,
    *,
    run_worker: bool = True,
    sockets: list[socket.socket] | None = None,
    announce: bool = True,
) -> None:
    """Serve until a stop signal arrives, then finish in-flight writes and exit.

    ``run_worker=False`` only receives webhooks (another process, or ``worker run``, performs the runs).
    ``sockets`` serves sockets bound by a parent process; ``announce=False`` leaves the printed URL and the
    home's server note to that parent.
    """
    server, url = start_server(workbench, host, port, sockets=sockets)
    # This loop mostly receives webhooks: committing them here avoids a thread hand-off per batch.
    workbench.store.attach_loop(asyncio.get_running_loop())
    stop = asyncio.Event()
    worker_stop = asyncio.Event()  # the worker finishes the runs it started, then returns
    worker = asyncio.ensure_future(workbench.worker.work(worker_stop) if run_worker else worker_stop.wait())
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    if public_url:
        workbench.public_url_override = parse_public_url(public_url)
    if announce:
        write_server_note(workbench.home, url, "serve", public_url=workbench.public_url_override)
        print(f"mechanic-kernel serving {url}", flush=True)
        print(f"webhook URLs start with {workbench.base_url()}/mechanic/webhooks/", flush=True)
        print(f"home: {workbench.home}", flush=True)
        print(f"store: {workbench.store.url}", flush=True)
    try:
        await stop.wait()
    finally:
        server.stop()
        worker_stop.set()
        await asyncio.gather(worker, return_exceptions=True)
        await server.close_all_connections()
        if announce:
            clear_server_note(workbench.home)
        workbench.close()
        if announce:
            print("mechanic-kernel stopped", file=sys.stderr, flush=True)
