"""``mechanic-kernel worker run``: perform due runs from the command line."""

from __future__ import annotations

import argparse
import asyncio
import signal
from typing import Any

from .common import LEASE_HELP
from .common import configure_worker
from .common import emit
from .common import open_workbench


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``worker`` group."""
    group = commands.add_parser("worker", help="perform queued runs", parents=[common])
    sub = group.add_subparsers(dest="command", metavar="COMMAND", required=True)
    run = sub.add_parser(
        "run", help="perform runs as they come due, until Ctrl-C (or until idle)", parents=[common]
    )
    run.add_argument(
        "--until-idle",
        action="store_true",
        help="stop once no run is due (runs scheduled for later stay queued)",
    )
    run.add_argument("--concurrency", type=int, default=None, help="runs performed at once (default 4)")
    run.add_argument("--lease-seconds", type=float, default=None, help=LEASE_HELP)
    run.add_argument(
        "--max-runs", type=int, default=None, help="with --until-idle: stop after this many runs"
    )
    run.set_defaults(run=_run)


def _human(rows: list[dict[str, Any]]) -> str:
    lines = [
        f"{row['kind']:6}  {row['status']:9}  {row['id']}" + (f"  {row['error']}" if row["error"] else "")
        for row in rows
    ]
    return "\n".join(lines + [f"{len(rows)} run(s) performed"])


def _run(args: argparse.Namespace) -> int:
    with configure_worker(open_workbench(args), args) as workbench:
        if args.until_idle:
            runs = workbench.worker.run_until_idle(max_runs=args.max_runs)
            rows = [
                {
                    "id": run.id,
                    "kind": run.kind.value,
                    "status": run.status.value,
                    "event_id": run.event_id,
                    "task_id": run.task_id,
                    "error": None
                    if run.error is None
                    else run.error
                    if isinstance(run.error, str)
                    else str(run.error),
                }
                for run in runs
            ]
            emit(args, rows, _human)
            return 0
        print(f"worker performing runs of {workbench.store.url} until Ctrl-C", flush=True)
        asyncio.run(_work_until_signalled(workbench))
    return 0


async def _work_until_signalled(workbench: Any) -> None:
    """Work until SIGINT or SIGTERM, then finish the runs in flight (their outcomes commit) and return."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await workbench.worker.work(stop)
