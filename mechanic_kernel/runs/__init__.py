"""Runs: event runs fan out to task runs, task runs render actions, action runs perform them."""

from __future__ import annotations

from ..models.runs import Run
from ..models.runs import RunKind
from ..models.runs import RunStatus

__all__ = ["Run", "RunKind", "RunStatus"]
