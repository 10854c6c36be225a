"""``mechanic-kernel``: the command line. Each command group lives in its own module and registers itself."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..errors import MechanicError
from . import events as events_commands
from . import outbox as outbox_commands
from . import runs as runs_commands
from . import serve as serve_commands
from . import settings as settings_commands
from . import store as store_commands
from . import tasks as tasks_commands
from . import webhooks as webhooks_commands
from . import worker as worker_commands
from .common import common_options

GROUPS = [webhooks_commands, settings_commands, events_commands, serve_commands, outbox_commands]
GROUPS.append(tasks_commands)
GROUPS.extend([runs_commands, worker_commands])
GROUPS.append(store_commands)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser."""
    common = common_options()
    parser = argparse.ArgumentParser(
        prog="mechanic-kernel",
        parents=[common],
        description="A local workbench for Mechanic webhooks, tasks and runs.",
    )
    commands = parser.add_subparsers(dest="group", metavar="COMMAND", required=True)
    for group in GROUPS:
        group.register(commands, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit status (errors go to stderr with status 1, usage errors 2)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except MechanicError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
