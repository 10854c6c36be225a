"""``mechanic-kernel serve``."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from ..workbench import DEFAULT_PORT
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
    serve.set_defaults(run=_serve)


def _serve(args: argparse.Namespace) -> int:
    from ..server.standalone import serve

    workbench = open_workbench(args)
    try:
        asyncio.run(serve(workbench, args.host, args.port, args.public_url, run_worker=not args.no_worker))
    except OSError as exc:
        workbench.close()
        raise SystemExit(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    return 0
