"""Runs: event runs fan out to task runs, task runs render actions, action runs perform them."""

from __future__ import annotations

from .models import Run
from .models import RunKind
from .models import RunStatus

__all__ = ["Run", "RunKind", "RunStatus"]
