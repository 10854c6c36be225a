"""Fixtures of the widget tests: a workbench on a temporary home served on 127.0.0.1, the worker stepped by hand."""

from __future__ import annotations

import pytest

from mechanic_kernel import Workbench


@pytest.fixture
def served(workbench: Workbench, server: str) -> Workbench:
    """The workbench with its embedded server running (no background worker: call ``worker.run_until_idle()``)."""
    return workbench
