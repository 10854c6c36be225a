"""Event filters: Liquid that renders ``false`` to stop an event before any task run is made (spec §3.1)."""

from __future__ import annotations

import copy
from typing import Any

from ..liquid.limits import LimitedBuffer
from ..liquid.render import parse_template
from ..liquid.runtime import Runtime
from ..liquid.runtime import attach


class FilterError(Exception):
    """An event filter did not render."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.message = message


def render_filter(source: str, variables: dict[str, Any], runtime: Runtime) -> str:
    """Render an event filter as plain text (filters write ``false``, not Mechanic objects).

    Raises:
        LiquidError: and any other exception of the render.
    """
    template = parse_template(source)
    context = template.context_class(template, globals=template.make_globals(variables))
    attach(context, runtime)
    buffer = LimitedBuffer(runtime)
    template.render_with_context(context, buffer)
    return buffer.getvalue()


def apply_filters(
    filters: list[tuple[str, str]], event: dict[str, Any], shop: dict[str, Any], cache: Any, runtime: Runtime
) -> str | None:
    """Render ``(name, source)`` filters in order for the Liquid ``event``; the first that says ``false``.

    Each filter renders under a fresh copy of ``runtime`` (its own loop count and deadline).

    Raises:
        FilterError: a filter failed to render.
    """
    variables = {"event": event, "shop": shop, "cache": cache}
    for name, source in filters:
        try:
            output = render_filter(source, dict(variables), copy.deepcopy(runtime))
        except Exception as exc:  # noqa: BLE001 - any failure of a filter becomes mechanic/errors/event
            raise FilterError(
                name, f"event filter {name!r} failed: {getattr(exc, 'message', None) or exc}"
            ) from exc
        # The documented filters print false between newlines, so compare the stripped output (spec §3.1).
        if output.strip() == "false":
            return name
    return None
