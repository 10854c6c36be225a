"""Each notebook runs under nbval on a throwaway home of its own, so runs never touch the user's store and
notebooks cannot see each other's events."""

from __future__ import annotations

import os
import tempfile

import pytest

_homes: dict[str, str] = {}


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # Runs before nbval starts the notebook's kernel (on its first cell), which inherits this environment.
    notebook = str(item.path)
    if notebook not in _homes:
        _homes[notebook] = tempfile.mkdtemp(prefix="mechanic-home-nbval-")
    os.environ["MECHANIC_HOME"] = _homes[notebook]
