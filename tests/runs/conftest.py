"""Fixtures of the run tests: a workbench whose clock only moves when a test moves it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from runtools import FROZEN_NOW

from mechanic_kernel import Workbench
from mechanic_kernel.clock import FrozenClock


@pytest.fixture
def clock() -> FrozenClock:
    """A clock frozen at :data:`runtools.FROZEN_NOW`."""
    return FrozenClock(FROZEN_NOW)


@pytest.fixture
def bench(tmp_path: Path, clock: FrozenClock, store_url: str | None) -> Iterator[Workbench]:
    """A workbench on a temporary home with a frozen clock; nothing performs runs unless the test steps."""
    workbench = Workbench(tmp_path / "home", clock=clock, store=store_url)
    yield workbench
    workbench.close()
