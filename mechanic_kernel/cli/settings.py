"""``mechanic-kernel settings …``."""

from __future__ import annotations

import argparse
import json
from typing import Any

from .common import emit
from .common import open_workbench


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``settings`` group."""
    group = commands.add_parser(
        "settings", help="shop domain, CORS origins, public URL, limits", parents=[common]
    )
    sub = group.add_subparsers(dest="command", metavar="COMMAND", required=True)
    sub.add_parser("show", help="every setting and its value", parents=[common]).set_defaults(run=_show)
    put = sub.add_parser("set", help="set one setting (an empty VALUE resets it)", parents=[common])
    put.add_argument("key")
    put.add_argument("value", help="the value; JSON is accepted for lists")
    put.set_defaults(run=_set)

    cors = sub.add_parser("cors", help="origins allowed to call webhooks from a browser", parents=[common])
    cors_sub = cors.add_subparsers(dest="cors_command", metavar="ACTION", required=True)
    add = cors_sub.add_parser("add", help="allow an origin (* allows all)", parents=[common])
    add.add_argument("origin")
    add.set_defaults(run=_cors_add)
    remove = cors_sub.add_parser("remove", help="stop allowing an origin", parents=[common])
    remove.add_argument("origin")
    remove.set_defaults(run=_cors_remove)
    cors_sub.add_parser("list", help="the allowed origins", parents=[common]).set_defaults(run=_cors_list)


def _value(text: str) -> Any:
    try:
        return json.loads(text) if text.strip().startswith("[") else text
    except json.JSONDecodeError:
        return text


def _lines(values: dict[str, Any]) -> str:
    return "\n".join(
        f"{key}: {json.dumps(value) if isinstance(value, list) else value}" for key, value in values.items()
    )


def _show(args: argparse.Namespace) -> int:
    with open_workbench(args) as workbench:
        emit(args, workbench.settings.show(), _lines)
    return 0


def _set(args: argparse.Namespace) -> int:
    with open_workbench(args) as workbench:
        stored = workbench.settings.set(args.key, _value(args.value))
        emit(args, {args.key: stored}, _lines)
    return 0


def _cors_human(value: dict[str, Any]) -> str:
    return "\n".join(value["allowed_origins"]) or "(no browser origin is allowed)"


def _cors_add(args: argparse.Namespace) -> int:
    with open_workbench(args) as workbench:
        workbench.settings.cors_add(args.origin)
        emit(args, workbench.receiver.cors_summary(), _cors_human)
    return 0


def _cors_remove(args: argparse.Namespace) -> int:
    with open_workbench(args) as workbench:
        workbench.settings.cors_remove(args.origin)
        emit(args, workbench.receiver.cors_summary(), _cors_human)
    return 0


def _cors_list(args: argparse.Namespace) -> int:
    with open_workbench(args) as workbench:
        emit(args, workbench.receiver.cors_summary(), _cors_human)
    return 0
