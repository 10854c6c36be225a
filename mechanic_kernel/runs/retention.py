"""Retention: events and their runs go ``retention_days`` after the event became complete (spec §1.11)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from ..clock import isoformat

if TYPE_CHECKING:
    from .perform import Engine

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
