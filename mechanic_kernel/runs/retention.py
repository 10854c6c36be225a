"""Housekeeping: retention (spec §1.11), and giving up on runs whose worker died."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from ..clock import isoformat
from ..models.runs import RunKind
from ..models.runs import RunStatus
from ..store.contract import Changes
from .action_run import advance_sequence

if TYPE_CHECKING:
    from .engine import Engine

# Completeness looks this many generations of descendant events down (spec §1.11).
GENERATIONS = 5
BATCH = 500


def purge(engine: Engine, retention_days: int | None = None) -> int:
    """Delete every event complete for longer than the retention period, with its runs; return how many.

    Complete means none of its runs is pending and none of five generations of descendants has a pending
    run; the period counts from the latest stop among those runs. ``retention_days`` 0 keeps everything.

    Args:
        engine: the engine of the workbench.
        retention_days: overrides the ``retention_days`` setting.
    """
    days = engine.settings.get("retention_days") if retention_days is None else retention_days
    if not days:
        return 0
    cutoff = isoformat(engine.clock.now() - dt.timedelta(days=int(days)))
    purged = 0
    while True:
        batch = engine.store.runs.purgeable_events(cutoff, GENERATIONS, BATCH)
        if not batch:
            return purged
        purged += engine.store.runs.purge_events(batch)
        if len(batch) < BATCH:
            return purged


def fail_interrupted(engine: Engine) -> int:
    """Fail the runs whose worker stopped (their lease lapsed); return how many.

    A worker's claim takes such runs over by itself; this is for giving up on them instead, e.g. when no
    worker will run for a while. They can then be retried by hand.
    """
    now = engine.queue.now()
    changes = Changes()
    for run in engine.queue.list(status=RunStatus.STARTED):
        if run.lease_expires_at is not None and run.lease_expires_at < now:
            changes.move(run, RunStatus.FAILED, stopped_at=now,
                         error="interrupted: the worker performing this run stopped before it finished; "
                               "retry it to perform it again")
            if run.kind is RunKind.ACTION and run.details.get("sequence"):
                advance_sequence(engine, run, changes, failed=True)
    if changes.updates:
        engine.queue.commit(changes)
    return len(changes.updates)
