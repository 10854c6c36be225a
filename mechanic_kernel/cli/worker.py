"""``mechanic-kernel worker run``: perform due runs from the command line."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

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
    with open_workbench(args) as workbench:
        if args.concurrency is not None:
            if args.concurrency < 1:
                raise SystemExit("error: --concurrency must be at least 1")
            workbench.worker.concurrency = args.concurrency
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
        print("worker performing runs until Ctrl-C", flush=True)
        try:
            asyncio.run(workbench.worker.work())
        except KeyboardInterrupt:
            pass
    return 0
