"""``mechanic-kernel serve``."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from ..workbench import DEFAULT_PORT
from ..workbench import Workbench
from .common import LEASE_HELP
from .common import configure_worker
from .common import open_workbench


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``serve`` command."""
    serve = commands.add_parser("serve", help="run the webhook server until Ctrl-C", parents=[common])
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 = any)"
    )
    serve.add_argument("--public-url", help="base URL senders use (a tunnel or reverse proxy) for this run")
    serve.add_argument(
        "--no-worker",
        action="store_true",
        help="only receive webhooks; perform runs elsewhere (`worker run`, another server)",
    )
    serve.add_argument(
        "--processes",
        type=int,
        default=1,
        metavar="N",
        help="server processes sharing the port (default 1); the first also runs the worker. Several "
        "processes pay off on PostgreSQL (docs/deployment.md)",
    )
    serve.add_argument("--concurrency", type=int, default=None, help="runs the worker performs at once (default 4)")
    serve.add_argument("--lease-seconds", type=float, default=None, help=LEASE_HELP)
    serve.set_defaults(run=_serve)


def _serve(args: argparse.Namespace) -> int:
    from ..server.processes import serve_processes
    from ..server.standalone import serve

    if args.processes < 1:
        raise SystemExit("error: --processes must be at least 1")

    def opened() -> Workbench:
        return configure_worker(open_workbench(args), args)

    try:
        if args.processes > 1:
            return serve_processes(opened, args.host, args.port, args.processes, public_url=args.public_url,
                                   run_worker=not args.no_worker)
        workbench = opened()
        try:
            asyncio.run(serve(workbench, args.host, args.port, args.public_url, run_worker=not args.no_worker))
        except OSError:
            workbench.close()
            raise
    except OSError as exc:
        raise SystemExit(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    return 0
