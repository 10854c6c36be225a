"""``mechanic-kernel events …``."""

from __future__ import annotations

import argparse
import json
from typing import Any

from .common import emit
from .common import open_workbench
from .common import table

LIST_FIELDS = ["id", "topic", "created_at", "webhook_id", "webhook_request_id"]


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``events`` group."""
    group = commands.add_parser("events", help="list and inspect events", parents=[common])
    sub = group.add_subparsers(dest="command", metavar="COMMAND", required=True)
    listing = sub.add_parser("list", help="events, newest first", parents=[common])
    listing.add_argument("--topic")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--search", help="an event id, a request id, or text in the topic or data")
    listing.add_argument(
        "--runs",
        action="store_true",
        help="add each event's run status and the status of each of its task runs",
    )
    listing.set_defaults(run=_list)
    show = sub.add_parser("show", help="one event with its data and raw request", parents=[common])
    show.add_argument("id", metavar="ID_OR_REQUEST_ID")
    show.set_defaults(run=_show)
    cancel = sub.add_parser(
        "cancel", help="cancel a queued event (its event run has not started)", parents=[common]
    )
    cancel.add_argument("id", metavar="ID_OR_REQUEST_ID")
    cancel.set_defaults(run=_cancel)


def _list(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise SystemExit("error: --limit must be at least 1")
    with open_workbench(args) as workbench:
        events = workbench.list_events(topic=args.topic, limit=args.limit, search=args.search)
        rows = [{field: getattr(event, field) for field in LIST_FIELDS} for event in events]
        if args.runs:  # per-task status (statement 139); opt-in so the default row keeps its fields
            statuses = workbench.runs.statuses([event.id for event in events])
            rows = [row | statuses.get(row["id"], {}) for row in rows]
            emit(
                args,
                rows,
                lambda rows: table([_with_runs_text(row) for row in rows], [*LIST_FIELDS, "status", "runs"]),
            )
            return 0
        emit(args, rows, lambda rows: table(rows, LIST_FIELDS))
    return 0


def _with_runs_text(row: dict[str, Any]) -> dict[str, Any]:
    runs = ", ".join(f"{run['task_name']}: {run['status']}" for run in row.get("task_runs", []))
    return row | {"runs": runs}


def event_record(workbench: Any, event_id: str) -> dict[str, Any]:
    """The ``events show`` object."""
    return workbench.describe_event(event_id)


def _human(record: dict[str, Any]) -> str:
    lines = [
        f"event {record['id']}",
        f"  topic:      {record['topic']}",
        f"  created_at: {record['created_at']}",
        f"  source:     {record['source']}",
    ]
    if record["request"]:
        request = record["request"]
        lines += [
            f"  request:    {request['method']} {request['path']}"
            + (f"?{request['query_string']}" if request["query_string"] is not None else ""),
            f"  request id: {record['webhook_request_id']}",
            f"  from:       {request['client_ip']} ({request['body_size']} bytes, "
            f"{request['content_type'] or 'no content type'})",
        ]
    lines.append("  data:")
    lines += ["    " + line for line in json.dumps(record["data"], indent=2, ensure_ascii=False).splitlines()]
    lines += _runs_human(record)
    return "\n".join(lines)


def _runs_human(record: dict[str, Any]) -> list[str]:
    run = record.get("run")
    lines = (
        [
            f"  event run:  {run['status']}"
            + (f" ({run['error']})" if run["error"] else "")
            + (f" (stopped by filter {run['filtered_by']})" if run.get("filtered_by") else "")
        ]
        if run
        else []
    )
    for task_run in record.get("task_runs", []):
        lines.append(
            f"  task run {task_run['status']}: {task_run['task_name']} ({task_run['task_id']})"
            + (f" error: {json.dumps(task_run['error'], ensure_ascii=False)}" if task_run["error"] else "")
        )
        lines += [f"    log: {json.dumps(log, ensure_ascii=False)}" for log in task_run["logs"]]
        for action in task_run["action_runs"]:
            outcome = action["error"] if action["error"] else json.dumps(action["result"], ensure_ascii=False)
            lines.append(f"    action {action['type']} {action['status']}: {outcome}")
    return lines


def _cancel(args: argparse.Namespace) -> int:
    with open_workbench(args) as workbench:
        run = workbench.runs.cancel_event(args.id)
        emit(
            args,
            {"event_id": run.event_id, "run_id": run.id, "status": run.status.value},
            lambda record: f"event {record['event_id']} cancelled",
        )
    return 0


def _show(args: argparse.Namespace) -> int:
    with open_workbench(args) as workbench:
        emit(args, event_record(workbench, args.id), _human)
    return 0
