"""Fixtures of the widget tests: a workbench served on 127.0.0.1, its worker stepped by hand."""

from __future__ import annotations

import pytest

from mechanic_kernel import Workbench


@pytest.fixture
def served(workbench: Workbench, server: str) -> Workbench:
    """The workbench with its embedded server (no background worker: call ``worker.run_until_idle()``)."""
    return workbench
