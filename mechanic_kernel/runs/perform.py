"""Performing runs: the dispatch to the module of each kind, and the commit of the outcome.

event run (``event_run.py``) → task runs (``task_run.py``) → action runs (``action_run.py``).
"""

from __future__ import annotations

import logging
from concurrent.futures import Executor

from ..errors import Conflict
from ..models.runs import MAX_ATTEMPTS
from ..models.runs import Run
from ..models.runs import RunKind
from ..models.runs import RunStatus
from ..store.contract import Changes
from . import action_run
from . import event_run
from . import task_run
from .engine import Engine

log = logging.getLogger("mechanic_kernel.runs")


async def perform(
    engine: Engine,
    run: Run,
    executor: Executor | None = None,
    *,
    claim_next: int = 0,
    inline_tasks: bool = False,
) -> list[Run]:
    """Perform a started run to its end (succeeded, failed, or scheduled for an automatic retry).

    The outcome commits in one transaction with whatever the run created; with ``claim_next`` that same
    transaction also starts up to that many due runs, returned for the caller to perform next (a busy
    queue then costs one commit per run, not two). With ``inline_tasks`` an event run also performs the
    task runs it makes due at once, in the same commit (:func:`.event_run.perform_due_task_runs`).

    A run taken over from a worker that stopped is performed again (event and task runs commit all or
    nothing, so the earlier attempt left no trace) unless it already had every attempt the retry rules allow;
    an action run's own module decides whether its action may be repeated.

    A bug in a perform never leaves the run started: it fails with the exception named, and the log has
    the traceback.
    """
    try:
        if run.taken_over and run.attempts > MAX_ATTEMPTS:
            changes = Changes()
            changes.move(
                run,
                RunStatus.FAILED,
                stopped_at=engine.queue.now(),
                error=f"interrupted {MAX_ATTEMPTS} times: the worker performing this run stopped "
                "during every attempt; retry it to perform it again",
            )
        elif run.kind is RunKind.EVENT:
            changes = await event_run.perform(engine, run, executor, inline_tasks=inline_tasks)
        elif run.kind is RunKind.TASK:
            changes = await task_run.perform(engine, run, executor)
        else:
            changes = await action_run.perform(engine, run, executor)
    except Exception as exc:  # noqa: BLE001 - recorded on the run, which must not stay started
        log.exception("performing %s run %s failed", run.kind.value, run.id)
        changes = Changes()
        changes.move(
            run,
            RunStatus.FAILED,
            stopped_at=engine.queue.now(),
            error=f"internal error: {type(exc).__name__}: {exc}",
        )
    try:
        return await engine.queue.acommit(changes, claim=claim_next)
    except Conflict as exc:
        # Someone changed a run this perform meant to change (a cancel, another worker); theirs stands.
        log.warning("the outcome of %s run %s was not recorded: %s", run.kind.value, run.id, exc.message)
        return []
