"""Fixtures for the filter tests; the rendering helpers themselves are in ``filtertools``."""

from __future__ import annotations

import pytest
from filtertools import make_runtime

from mechanic_kernel.liquid.runtime import Runtime


@pytest.fixture
def runtime() -> Runtime:
    """A fresh runtime with the frozen clock and the Chicago shop zone."""
    return make_runtime()
