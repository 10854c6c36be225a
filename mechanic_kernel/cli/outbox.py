"""``mechanic-kernel outbox …``: the emails email actions captured or sent."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .common import emit
from .common import open_workbench
from .common import table

LIST_FIELDS = ["id", "created_at", "status", "to", "subject"]


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``outbox`` group."""
    group = commands.add_parser(
        "outbox", help="emails of email actions (captured, sent or failed)", parents=[common]
    )
    sub = group.add_subparsers(dest="command", metavar="COMMAND", required=True)
    listing = sub.add_parser("list", help="emails, newest first", parents=[common])
    listing.add_argument("--status", choices=["captured", "sent", "failed"])
    listing.add_argument("--limit", type=int, default=50)
    listing.set_defaults(run=_list)
    show = sub.add_parser("show", help="one email with its body", parents=[common])
    show.add_argument("id", metavar="ID_OR_ACTION_RUN_ID")
    show.add_argument("--raw", action="store_true", help="print the RFC 5322 message (an .eml file)")
    show.set_defaults(run=_show)


def _list(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise SystemExit("error: --limit must be at least 1")
    with open_workbench(args) as workbench:
        messages = workbench.outbox.list(limit=args.limit, status=args.status)
    if getattr(args, "json", False):
        emit(args, messages)
    else:
        rows = [
            {
                "id": m["id"],
                "created_at": m["created_at"],
                "status": m["status"],
                "to": ", ".join(m["to_addresses"]),
                "subject": m["subject"],
            }
            for m in messages
        ]
        emit(args, rows, lambda rows: table(rows, LIST_FIELDS))
    return 0


def _human(message: dict[str, Any]) -> str:
    lines = [f"email {message['id']} ({message['status']})"]
    sender = message["from_address"]
    if message["from_display_name"]:
        sender = f"{message['from_display_name']} <{sender}>"
    for label, value in (
        ("from", sender),
        ("to", ", ".join(message["to_addresses"])),
        ("cc", ", ".join(message["cc_addresses"])),
        ("bcc", ", ".join(message["bcc_addresses"])),
        ("reply-to", message["reply_to"]),
        ("subject", message["subject"]),
        ("template", message["template"]),
        ("message-id", message["message_id"]),
        ("created_at", message["created_at"]),
        ("sent_at", message["sent_at"]),
        ("error", message["error"]),
    ):
        if value:
            lines.append(f"  {label + ':':<12}{value}")
    for name, value in message["headers"].items():
        lines.append(f"  {name}: {value}")
    for name, file in message["attachments"].items():
        lines.append(f"  attachment: {name} ({file['mime_type']}, {file['size']} bytes)")
    lines += ["", message["html"]]
    return "\n".join(lines)


def _show(args: argparse.Namespace) -> int:
    with open_workbench(args) as workbench:
        message = workbench.outbox.get(args.id)
    if args.raw:
        sys.stdout.buffer.write(message["raw"])
        sys.stdout.flush()
        return 0
    if getattr(args, "json", False):
        message = {key: value for key, value in message.items() if key != "raw"}
    emit(args, message, _human)
    return 0
