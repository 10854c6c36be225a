"""What every command shares: the common options, the workbench, and printing for people or machines."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any


def common_options() -> argparse.ArgumentParser:
    """``--home``, ``--store`` and ``--json``, accepted before or after the command name."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--home",
        default=argparse.SUPPRESS,
        help="home folder (default: $MECHANIC_HOME, else ~/.local/share/mechanic-kernel); generated files and, "
        "by default, the SQLite store live there",
    )
    parent.add_argument(
        "--store",
        default=argparse.SUPPRESS,
        metavar="URL",
        help="the store: sqlite:///PATH or postgresql://USER@HOST[:PORT]/DATABASE (default: $MECHANIC_STORE, "
        "else SQLite in the home)",
    )
    parent.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="print machine-readable JSON"
    )
    return parent


def emit(args: argparse.Namespace, value: Any, human: Callable[[Any], str] | None = None) -> None:
    """Print ``value`` as JSON with ``--json``, else through ``human``."""
    if getattr(args, "json", False) or human is None:
        print(json.dumps(value, indent=2, ensure_ascii=False, default=str))
    else:
        text = human(value)
        if text:
            print(text)


def open_workbench(args: argparse.Namespace) -> Any:
    """The Workbench for ``--home``."""
    from ..workbench import Workbench

    return Workbench(getattr(args, "home", None), store=getattr(args, "store", None))


LEASE_HELP = ("seconds a worker's claim on a run holds without renewal (default 30); a run whose worker "
              "stopped is taken over by another worker this long after its last renewal")


def configure_worker(workbench: Any, args: argparse.Namespace) -> Any:
    """Apply ``--concurrency`` and ``--lease-seconds`` to a workbench's worker.

    Raises:
        SystemExit: a value below its minimum.
    """
    concurrency = getattr(args, "concurrency", None)
    lease = getattr(args, "lease_seconds", None)
    if concurrency is not None and concurrency < 1:
        workbench.close()
        raise SystemExit("error: --concurrency must be at least 1")
    if lease is not None and lease < 1:
        workbench.close()
        raise SystemExit("error: --lease-seconds must be at least 1")
    if concurrency is not None:
        workbench.worker.concurrency = concurrency
    if lease is not None:
        workbench.engine.queue.lease_seconds = lease
    return workbench


def table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """A plain-text table for people (``--json`` for machines)."""
    if not rows:
        return "(none)"
    cells = [
        [str(row.get(column, "")) if row.get(column) is not None else "" for column in columns]
        for row in rows
    ]
    widths = [max(len(column), *(len(line[i]) for line in cells)) for i, column in enumerate(columns)]
    lines = ["  ".join(column.ljust(width) for column, width in zip(columns, widths, strict=True)).rstrip()]
    lines += [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in cells
    ]
    return "\n".join(lines)
