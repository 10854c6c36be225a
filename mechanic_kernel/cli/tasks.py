"""``mechanic-kernel tasks …``: import, export, create, list, show, enable/disable, delete, preview."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..clock import parse_iso
from ..errors import InvalidInput
from .common import emit
from .common import open_workbench
from .common import table


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``tasks`` group."""
    group = commands.add_parser("tasks", help="import, create, preview and manage tasks", parents=[common])
    sub = group.add_subparsers(dest="command", metavar="COMMAND", required=True)

    imp = sub.add_parser(
        "import", help="import Mechanic task JSON (or a Mechanic CLI task folder)", parents=[common]
    )
    imp.add_argument("file", help='a task JSON file (one task, a list, or {"tasks": [...]}) or a folder')
    imp.add_argument(
        "--replace",
        action="store_true",
        help="update the task with the same name (keeping a version) instead of adding one",
    )
    imp.set_defaults(run=_import)

    sub.add_parser("list", help="list tasks", parents=[common]).set_defaults(run=_list)

    show = sub.add_parser("show", help="show one task", parents=[common])
    show.add_argument("id")
    show.set_defaults(run=_show)

    export = sub.add_parser("export", help="print a task as Mechanic task JSON", parents=[common])
    export.add_argument("id")
    export.add_argument("--library", action="store_true", help="only the keys of the task library's schema")
    export.add_argument("--folder", help="write the Mechanic CLI folder layout here instead of printing")
    export.set_defaults(run=_export)

    create = sub.add_parser("create", help="create a task", parents=[common])
    create.add_argument("--name", required=True)
    create.add_argument(
        "--subscription",
        action="append",
        default=[],
        metavar="TOPIC",
        help="topic or topic+N.unit (repeatable)",
    )
    create.add_argument("--script-file", required=True, help="the Liquid script")
    create.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an option value (repeatable; JSON values are parsed)",
    )
    create.add_argument("--disabled", action="store_true", help="create it disabled")
    create.set_defaults(run=_create)

    for name, help_text in (
        ("enable", "enable a task"),
        ("disable", "disable a task"),
        ("delete", "delete a task and its versions"),
    ):
        command = sub.add_parser(name, help=help_text, parents=[common])
        command.add_argument("id")
        command.set_defaults(run=_state, action=name)

    prev = sub.add_parser(
        "preview", help="preview a task file or stored task; exit 1 if a preview fails", parents=[common]
    )
    prev.add_argument("task", help="a task JSON file or a stored task's id")
    prev.add_argument("--topic", help="preview only this topic")
    prev.add_argument("--event-file", help='JSON file: {"topic", "data"} of the event to preview with')
    prev.add_argument("--now", help='freeze "now" at this ISO-8601 moment')
    prev.set_defaults(run=_preview)


def _human(record: dict[str, Any]) -> str:
    state = "enabled" if record["enabled"] else "disabled"
    lines = [
        f"{record['name']} ({state})",
        f"  id:            {record['id']}",
        f"  subscriptions: {', '.join(record['subscriptions']) or '(none)'}",
    ]
    for problem in record.get("problems") or []:
        lines.append(f"  problem:       {problem}")
    return "\n".join(lines)


def _read_json(path: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput(f"no such file: {path}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path} is not valid JSON: {exc}") from None


def _import(args: argparse.Namespace) -> int:
    with open_workbench(args) as workbench:
        if Path(args.file).is_dir():
            results = [workbench.tasks.import_folder(args.file, replace=args.replace)]
        else:
            results = workbench.tasks.import_json(_read_json(args.file), replace=args.replace)
        records = [result.to_dict() for result in results]
        emit(
            args,
            records[0] if len(records) == 1 else records,
            lambda value: "\n".join(_human(r) for r in (value if isinstance(value, list) else [value])),
        )
    return 0


def _list(args: argparse.Namespace) -> int:
    with open_workbench(args) as workbench:
        records = [task.to_dict() for task in workbench.tasks.list()]
        rows = [{**r, "subscriptions": ", ".join(r["subscriptions"])} for r in records]
        emit(args, records, lambda _: table(rows, ["id", "name", "enabled", "subscriptions"]))
    return 0


def _show(args: argparse.Namespace) -> int:
    with open_workbench(args) as workbench:
        emit(args, workbench.tasks.get(args.id).to_dict(), _human)
    return 0


def _export(args: argparse.Namespace) -> int:
    with open_workbench(args) as workbench:
        if args.folder:
            folder = workbench.tasks.export_folder(args.id, args.folder)
            emit(args, {"id": args.id, "folder": str(folder)}, lambda r: f"wrote {r['folder']}")
        else:
            # Export is JSON whatever --json says: it is the file format.
            print(
                json.dumps(
                    workbench.tasks.export(args.id, library=args.library), indent=2, ensure_ascii=False
                )
            )
    return 0


def _option_value(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise InvalidInput(f"--option must be KEY=VALUE, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def _create(args: argparse.Namespace) -> int:
    try:
        script = Path(args.script_file).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"no such file: {args.script_file}") from None
    options = dict(_option_value(item) for item in args.option)
    with open_workbench(args) as workbench:
        task = workbench.tasks.create(
            args.name,
            script=script,
            subscriptions=args.subscription,
            options=options,
            enabled=not args.disabled,
        )
        emit(args, task.to_dict(), _human)
    return 0


def _state(args: argparse.Namespace) -> int:
    with open_workbench(args) as workbench:
        if args.action == "delete":
            workbench.tasks.delete(args.id)
            emit(args, {"id": args.id, "deleted": True}, lambda r: f"deleted task {r['id']}")
            return 0
        task = (
            workbench.tasks.enable(args.id) if args.action == "enable" else workbench.tasks.disable(args.id)
        )
        emit(args, task.to_dict(), _human)
    return 0


def _preview_human(result: dict[str, Any]) -> str:
    lines = [f"subscriptions: {', '.join(result['subscriptions']) or '(none)'}"]
    for entry in result["previews"]:
        lines.append(f"{entry['topic']} ({entry['source']}):")
        for action in entry["actions"]:
            lines.append(
                f"  action {action['type']}: {json.dumps(action['options'], ensure_ascii=False)[:200]}"
            )
        for log in entry["logs"]:
            lines.append(f"  log: {json.dumps(log, ensure_ascii=False)[:200]}")
        for error in entry["errors"]:
            lines.append(f"  error: {json.dumps(error, ensure_ascii=False)[:200]}")
        if "failure" in entry:
            lines.append(f"  FAILED: {entry['failure']['message']}")
    return "\n".join(lines)


def _preview(args: argparse.Namespace) -> int:
    from ..tasks.importexport import load_tasks
    from ..tasks.importexport import task_from_json

    now = parse_iso(args.now) if args.now else None
    event = None
    if args.event_file:
        given = _read_json(args.event_file)
        if isinstance(given, dict) and isinstance(given.get("event_attributes"), dict):
            given = given["event_attributes"]
        if not (isinstance(given, dict) and "topic" in given and "data" in given):
            given = {"topic": args.topic, "data": given}
        event = {"topic": given.get("topic") or args.topic, "data": given.get("data")}
    with open_workbench(args) as workbench:
        if Path(args.task).is_file():
            items = load_tasks(_read_json(args.task))
            if len(items) != 1:
                raise InvalidInput(f"{args.task} holds {len(items)} tasks; preview one at a time")
            task: Any = task_from_json(items[0])
        else:
            task = args.task
        result = workbench.tasks.preview(task, topic=args.topic, event=event, now=now)
    emit(args, result, _preview_human)
    for entry in result["previews"]:
        if "failure" in entry:
            failure = entry["failure"]
            where = f" at line {failure['line']}" if failure.get("line") else ""
            print(f"error: preview of {entry['topic']} failed{where}: {failure['message']}", file=sys.stderr)
    return 0 if result["ok"] else 1
