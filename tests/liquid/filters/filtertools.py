"""Rendering helpers shared by the filter tests, in the Mechanic Liquid environment.

A module with a unique name rather than ``conftest`` so that test modules can import it without
clashing with other packages' conftest modules.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from zoneinfo import ZoneInfo

import liquid
import pytest

from mechanic_kernel.liquid.environment import MechanicEnvironment
from mechanic_kernel.liquid.filters import register
from mechanic_kernel.liquid.runtime import Runtime
from mechanic_kernel.liquid.runtime import attach

NOW = dt.datetime(2024, 3, 15, 17, 30, 45, tzinfo=dt.UTC)
"""The frozen "now" of every filter test: 2024-03-15 12:30:45 in America/Chicago (CDT, -05:00)."""

CHICAGO = ZoneInfo("America/Chicago")


@dataclass
class Case:
    """One table-driven filter test.

    Attributes:
        description: the test id.
        template: Liquid source.
        data: render variables.
        expect: the rendered text, or an exception class the render must raise.
    """

    description: str
    template: str
    data: dict[str, Any] = field(default_factory=dict)
    expect: Any = ""


def make_plain_env() -> liquid.Environment:
    """A plain python-liquid environment with only Mechanic's filters added (no Mechanic tags)."""
    env = liquid.Environment()
    register(env)
    return env


ENV = MechanicEnvironment()
"""The environment the tests render in: Mechanic's dialect, which calls ``register(env)`` itself."""


def make_runtime(**overrides: Any) -> Runtime:
    """A runtime with the frozen clock and the Chicago shop zone, plus ``overrides``."""
    settings: dict[str, Any] = {"now": NOW, "timezone": CHICAGO}
    settings.update(overrides)
    return Runtime(**settings)


def render(
    source: str,
    data: dict[str, Any] | None = None,
    runtime: Runtime | None = None,
    env: liquid.Environment | None = None,
) -> str:
    """Render ``source`` with ``data`` and ``runtime`` attached to the root context (in ``ENV`` by default)."""
    template = (env or ENV).from_string(source)
    context = template.context_class(template, globals=template.make_globals(data or {}))
    attach(context, runtime or make_runtime())
    buffer = io.StringIO()
    template.render_with_context(context, buffer)
    return buffer.getvalue()


def check(case: Case, runtime: Runtime | None = None, env: liquid.Environment | None = None) -> None:
    """Render ``case`` and compare with its expectation (text or exception class)."""
    if isinstance(case.expect, type) and issubclass(case.expect, BaseException):
        with pytest.raises(case.expect):
            render(case.template, case.data, runtime, env)
    else:
        assert render(case.template, case.data, runtime, env) == case.expect
