"""``mechanic-kernel webhooks …``."""

from __future__ import annotations

import argparse
from typing import Any

from .common import emit
from .common import open_workbench
from .common import table


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``webhooks`` group."""
    group = commands.add_parser("webhooks", help="create and manage webhooks", parents=[common])
    sub = group.add_subparsers(dest="command", metavar="COMMAND", required=True)

    create = sub.add_parser("create", help="create a webhook", parents=[common])
    create.add_argument("--name", required=True)
    create.add_argument("--topic", required=True, help="user/<subject>/<verb>")
    create.add_argument("--mode", default="auto", help="auto (default) or full")
    create.add_argument("--disabled", action="store_true", help="create it disabled")
    create.set_defaults(run=_create)

    sub.add_parser("list", help="list webhooks", parents=[common]).set_defaults(run=_list)

    show = sub.add_parser("show", help="show one webhook", parents=[common])
    show.add_argument("id")
    show.set_defaults(run=_show)

    update = sub.add_parser("update", help="change a webhook", parents=[common])
    update.add_argument("id")
    update.add_argument("--name")
    update.add_argument("--topic")
    update.add_argument("--mode")
    state = update.add_mutually_exclusive_group()
    state.add_argument("--enable", dest="enabled", action="store_const", const=True)
    state.add_argument("--disable", dest="enabled", action="store_const", const=False)
    update.set_defaults(run=_update)

    delete = sub.add_parser("delete", help="delete a webhook (its events are kept)", parents=[common])
    delete.add_argument("id")
    delete.set_defaults(run=_delete)


def _record(workbench: Any, webhook: Any) -> dict[str, Any]:
    return webhook.to_dict(workbench.webhooks.url(webhook))


def _human(record: dict[str, Any]) -> str:
    state = "enabled" if record["enabled"] else "disabled"
    return (
        f"{record['name']} ({record['topic']}, {record['mode']} mode, {state})\n"
        f"  id:  {record['id']}\n  url: {record['url']}"
    )


def _create(args: argparse.Namespace) -> int:
    with open_workbench(args) as workbench:
        webhook = workbench.webhooks.create(args.name, args.topic, args.mode, enabled=not args.disabled)
        emit(args, _record(workbench, webhook), _human)
    return 0


def _list(args: argparse.Namespace) -> int:
    with open_workbench(args) as workbench:
        records = [_record(workbench, webhook) for webhook in workbench.webhooks.list()]
        emit(args, records, lambda rows: table(rows, ["id", "name", "topic", "mode", "enabled", "url"]))
    return 0


def _show(args: argparse.Namespace) -> int:
    with open_workbench(args) as workbench:
        emit(args, _record(workbench, workbench.webhooks.get(args.id)), _human)
    return 0


def _update(args: argparse.Namespace) -> int:
    with open_workbench(args) as workbench:
        webhook = workbench.webhooks.update(
            args.id, name=args.name, topic=args.topic, mode=args.mode, enabled=args.enabled
        )
        emit(args, _record(workbench, webhook), _human)
    return 0


def _delete(args: argparse.Namespace) -> int:
    with open_workbench(args) as workbench:
        workbench.webhooks.delete(args.id)
        emit(args, {"id": args.id, "deleted": True}, lambda record: f"deleted webhook {record['id']}")
    return 0
