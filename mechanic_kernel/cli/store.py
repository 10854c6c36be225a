"""``mechanic-kernel store …``: what a store holds, and copying a whole store into another one.

``store copy SRC DST`` moves a workbench between backends (SQLite to PostgreSQL when several processes or
machines must share it, PostgreSQL back to a SQLite file for a laptop or an archive) or between two stores of
one backend. It speaks only the store contract: :meth:`~mechanic_kernel.store.contract.Store.export` and
:meth:`~mechanic_kernel.store.contract.Store.import_records`, kind by kind, parents before children.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from typing import Any
from typing import TextIO
from urllib.parse import parse_qsl
from urllib.parse import unquote
from urllib.parse import urlsplit

from ..errors import Conflict
from ..errors import InvalidInput
from ..errors import MechanicError
from ..errors import NotFound
from ..errors import StoreError
from ..home import resolve_home
from ..store import Store
from ..store import StoreURL
from ..store import open_store
from ..store.schema import versions
from ..store.sql.store import RECORD_KINDS
from ..store.url import parse
from .common import emit
from .common import table

DEFAULT_BATCH = 1000
# A raw request body, a raw email, an event's data or a run's result may each be as large as the body limit
# (10 MB by default), so records are read a few at a time and written in transactions bounded by count and by
# size: memory stays near READ_BATCH large records plus WRITE_BYTES, whatever the store holds, while ordinary
# small records still go in transactions of --batch-size (a transaction per few records would be slow).
READ_BATCH = 100
WRITE_BYTES = 32 * 1024 * 1024
# Raw requests and raw emails are the records most often that large.
BULKY_KINDS = {"webhook_requests": 20, "outbox": 20}


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``store`` group."""
    group = commands.add_parser("store", help="inspect a store, or copy one into another", parents=[common])
    sub = group.add_subparsers(dest="command", metavar="COMMAND", required=True)

    info = sub.add_parser(
        "info", help="the store's URL, backend, schema and records per kind", parents=[common]
    )
    info.set_defaults(run=_info)

    copy = sub.add_parser(
        "copy",
        help="copy every record of one store into an empty one (any backend to any)",
        description="Copy every record of SRC into DST, kind by kind, then check that both hold as many "
        "records of each kind. DST must be empty (a new SQLite file, or an empty PostgreSQL database or "
        "schema). Stop every server and worker of SRC first: records written during the copy make the check "
        "fail.",
        parents=[common],
    )
    copy.add_argument("source", metavar="SRC", help="the store to copy: sqlite:///PATH or postgresql://…")
    copy.add_argument("destination", metavar="DST", help="an empty store: sqlite:///PATH or postgresql://…")
    copy.add_argument(
        "--batch-size",
        type=_positive,
        default=DEFAULT_BATCH,
        metavar="N",
        help=f"records written per transaction (default {DEFAULT_BATCH}; fewer when they hold more than "
        f"{WRITE_BYTES // 1024 // 1024} MB)",
    )
    copy.set_defaults(run=_copy)


def _positive(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {text!r}")
    return number


# -- store info ---------------------------------------------------------------------------------------------
def _info(args: argparse.Namespace) -> int:
    home = resolve_home(getattr(args, "home", None))
    store = open_store(home, getattr(args, "store", None))
    try:
        record = {"url": store.url, "backend": store.backend, "counts": store.counts()}
    finally:
        store.close()
    emit(args, record, _human_info)
    return 0


def _human_info(record: dict[str, Any]) -> str:
    known = versions()
    # Opening a store applies every version it lacks and refuses one migrated by a newer release, so an open
    # store always holds exactly the versions this release knows.
    return "\n".join(
        [
            f"url:     {record['url']}",
            f"backend: {record['backend']}",
            f"schema:  {len(known)} of {len(known)} versions applied (latest {known[-1]})",
            "",
            _counts_table(record["counts"]),
        ]
    )


# -- store copy ---------------------------------------------------------------------------------------------
def _copy(args: argparse.Namespace) -> int:
    home = resolve_home(getattr(args, "home", None))
    source_url = parse(args.source, home)
    destination_url = parse(args.destination, home)
    if _same_store(source_url, destination_url):
        raise InvalidInput(
            f"the source and the destination are the same store ({source_url.masked}); "
            "name another store as DST"
        )
    if source_url.path is not None and not source_url.path.is_file():
        # Opening a missing SQLite file would create an empty store and "copy" nothing.
        raise NotFound(f"no store at {source_url.masked}: the file does not exist")
    quiet = bool(getattr(args, "json", False))
    source = open_store(home, args.source)
    try:
        if destination_url.path is not None:
            destination_url.path.parent.mkdir(parents=True, exist_ok=True)
        destination = open_store(home, args.destination)
        try:
            counts = copy_store(
                source, destination, batch_size=args.batch_size, progress=None if quiet else sys.stderr
            )
        finally:
            destination.close()
    finally:
        source.close()
    record = {"source": source.url, "destination": destination.url, "counts": counts, "verified": True}
    emit(args, record, _human_copy)
    return 0


def copy_store(
    source: Store, destination: Store, *, batch_size: int = DEFAULT_BATCH, progress: TextIO | None = None
) -> dict[str, int]:
    """Copy every record of ``source`` into the empty ``destination``, then check the counts per kind.

    Args:
        source: the store to read.
        destination: an empty store, of either backend.
        batch_size: records per write transaction (fewer when they hold more than :data:`WRITE_BYTES`).
        progress: where to report each kind as it is copied (None: silent).

    Returns:
        The records of each kind, in copy order, as both stores now hold them.

    Raises:
        Conflict: the destination already holds records.
        StoreError: a read or a write failed (the destination then holds a partial copy), or the counts of
            the two stores differ after the copy (records were written to the source meanwhile).
    """
    held = {kind: count for kind, count in destination.counts().items() if count}
    if held:
        raise Conflict(
            f"the destination {destination.url} already holds {sum(held.values())} records "
            f"({_listing(held)}); copy into an empty store: a new SQLite file, or an empty PostgreSQL "
            "database or schema"
        )
    expected = source.counts()
    for kind in RECORD_KINDS:
        done = 0
        try:
            reads = source.export(kind, batch=min(batch_size, BULKY_KINDS.get(kind, READ_BATCH)))
            for batch in _batches(reads, batch_size):
                destination.import_records(kind, batch)
                done += len(batch)
                _report(progress, kind, done, expected.get(kind, 0), final=False)
        except MechanicError as exc:
            raise StoreError(f"{exc.message}; {_partial(destination, kind, done)}") from exc
        except BaseException:
            if progress is not None:
                print(f"\n{_partial(destination, kind, done)}", file=progress, flush=True)
            raise
        _report(progress, kind, done, expected.get(kind, 0), final=True)
    copied = source.counts()
    landed = destination.counts()
    differ = {
        kind: (copied.get(kind, 0), landed.get(kind, 0))
        for kind in RECORD_KINDS
        if copied.get(kind, 0) != landed.get(kind, 0)
    }
    if differ:
        details = ", ".join(
            f"{kind} (source {ours}, destination {theirs})" for kind, (ours, theirs) in differ.items()
        )
        raise StoreError(
            f"the copy from {source.url} to {destination.url} is incomplete, the counts differ: {details}. "
            "Was something writing to the source? Stop its servers and workers, empty the destination and "
            "copy again"
        )
    return {kind: landed.get(kind, 0) for kind in RECORD_KINDS}


def _batches(reads: Iterator[list[dict[str, Any]]], most: int) -> Iterator[list[dict[str, Any]]]:
    """The records of ``reads`` in lists of at most ``most`` records or about :data:`WRITE_BYTES`."""
    pending: list[dict[str, Any]] = []
    size = 0
    for records in reads:
        for record in records:
            pending.append(record)
            size += sum(len(value) for value in record.values() if isinstance(value, (str, bytes)))
            if len(pending) >= most or size >= WRITE_BYTES:
                yield pending
                pending, size = [], 0
    if pending:
        yield pending


def _report(progress: TextIO | None, kind: str, done: int, total: int, *, final: bool) -> None:
    if progress is None:
        return
    line = f"  {kind:<20} {done:>10} / {total}"
    if final:
        print(f"\r{line}" if _is_tty(progress) else line, file=progress, flush=True)
    elif _is_tty(progress):
        # A terminal shows a large kind advancing batch by batch; a log gets one line per kind.
        print(f"\r{line}", end="", file=progress, flush=True)


def _is_tty(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _partial(destination: Store, kind: str, done: int) -> str:
    return (
        f"the copy stopped in {kind} after {done} of its records, so {destination.url} holds a partial "
        "copy: empty it (a new SQLite file, or a new PostgreSQL database or schema) and copy again"
    )


def _same_store(first: StoreURL, second: StoreURL) -> bool:
    """Whether two URLs name one store (the destination's emptiness check catches spellings this misses)."""
    if first.backend != second.backend:
        return False
    if first.path is not None and second.path is not None:
        # samefile sees through symlinks, hard links and the spellings of a path (``//tmp`` is ``/tmp``); a
        # destination that does not exist yet cannot be the source, which must exist.
        return first.path.exists() and second.path.exists() and os.path.samefile(first.path, second.path)
    return _postgres_key(first.url) == _postgres_key(second.url)


def _postgres_key(url: str) -> tuple[Any, ...]:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host == "localhost":
        host = "127.0.0.1"
    options = tuple(sorted((key, value) for key, value in parse_qsl(parts.query) if key != "password"))
    try:
        port = parts.port or 5432
    except ValueError:  # not a number: libpq reports it when the store opens
        return (url,)
    return (unquote(parts.username or ""), host, port, unquote(parts.path.lstrip("/")), options)


def _listing(counts: dict[str, int]) -> str:
    return ", ".join(f"{kind} {count}" for kind, count in counts.items())


def _counts_table(counts: dict[str, int]) -> str:
    rows = [{"kind": kind, "records": count} for kind, count in counts.items()]
    rows.append({"kind": "total", "records": sum(counts.values())})
    return table(rows, ["kind", "records"])


def _human_copy(record: dict[str, Any]) -> str:
    total = sum(record["counts"].values())
    return (
        f"{_counts_table(record['counts'])}\n"
        f"copied {total} records from {record['source']} to {record['destination']} (counts verified)"
    )
