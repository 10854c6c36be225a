"""Helpers shared by the dialect tests (a uniquely named module, so it never clashes with a conftest)."""

from __future__ import annotations

from typing import Any

from mechanic_kernel.liquid.render import RenderResult
from mechanic_kernel.liquid.render import parse_template
from mechanic_kernel.liquid.render import render
from mechanic_kernel.liquid.runtime import Runtime


def render_text(source: str, **variables: Any) -> str:
    """The raw text a script renders to (no output parsing), for tests of plain Liquid behaviour."""
    return parse_template(source).render(**variables)


def run(source: str, variables: dict[str, Any] | None = None, **runtime: Any) -> RenderResult:
    """Render through the public API with a runtime built from ``runtime`` keyword arguments."""
    return render(source, variables or {}, Runtime(**runtime))


def objects(result: RenderResult) -> list[Any]:
    """Every object of a result as plain data, in a form that is easy to compare."""
    return (
        [{"action": action.to_dict()} for action in result.actions]
        + [{"log": log} for log in result.logs]
        + [{"error": error} for error in result.errors]
    )
