"""``mechanic-kernel runs …``: list runs and retry them."""

from __future__ import annotations

import argparse
from typing import Any

from ..models.runs import RunKind
from ..models.runs import RunStatus
from .common import emit
from .common import open_workbench
from .common import table

LIST_FIELDS = ["id", "kind", "status", "event_id", "task_id", "run_at", "attempts", "error"]


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``runs`` group."""
    group = commands.add_parser("runs", help="list and retry event, task and action runs", parents=[common])
    sub = group.add_subparsers(dest="command", metavar="COMMAND", required=True)
    listing = sub.add_parser("list", help="runs, newest first", parents=[common])
    listing.add_argument("--status", choices=[status.value for status in RunStatus])
    listing.add_argument("--kind", choices=[kind.value for kind in RunKind])
    listing.add_argument("--event", help="only the runs of this event")
    listing.add_argument("--task", help="only the runs of this task")
    listing.add_argument("--limit", type=int, default=100)
    listing.set_defaults(run=_list)
    show = sub.add_parser("show", help="one run with its result, error and details", parents=[common])
    show.add_argument("id", metavar="RUN_ID")
    show.set_defaults(run=_show)
    retry = sub.add_parser(
        "retry", help="queue a failed run again (or a task run that produced no actions)", parents=[common]
    )
    retry.add_argument("id", metavar="RUN_ID")
    retry.set_defaults(run=_retry)


def _row(run: Any) -> dict[str, Any]:
    record = run.to_dict()
    error = record["error"]
    record["error"] = error if error is None or isinstance(error, str) else str(error)
    return record


def _list(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise SystemExit("error: --limit must be at least 1")
    with open_workbench(args) as workbench:
        runs = workbench.runs.list(
            status=args.status, kind=args.kind, event_id=args.event, task_id=args.task, limit=args.limit
        )
        rows = [_row(run) for run in runs]
        if getattr(args, "json", False):
            emit(args, rows)
        else:
            emit(args, rows, lambda rows: table(rows, LIST_FIELDS))
    return 0


def _show(args: argparse.Namespace) -> int:
    with open_workbench(args) as workbench:
        emit(args, workbench.runs.get(args.id).to_dict())
    return 0


def _retry(args: argparse.Namespace) -> int:
    with open_workbench(args) as workbench:
        run = workbench.runs.retry(args.id)
        emit(
            args,
            run.to_dict(),
            lambda record: f"{record['kind']} run {record['id']} is {record['status']} again",
        )
    return 0
