"""What a render knows beyond its variables: clock, shop zone, preview flag, and what it recorded.

Tags and filters reach the runtime of the render they run in with :func:`runtime_of`. The runtime
lives in the *root* render context's ``tag_namespace`` so that contexts copied by ``render``/``include``
and capture buffers all share one record.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from liquid import RenderContext

RUNTIME_KEY = "mechanic"


@dataclass
class Runtime:
    """The per-render state of Mechanic Liquid.

    Attributes:
        now: the moment ``"now"`` means for the whole render (frozen, so a render is reproducible).
        timezone: the shop's time zone; ``date`` formats in it by default.
        preview: True while previewing: the cache reads as empty and ``shopify`` makes no request.
        currency: the shop's currency code, the ``currency`` filter's default.
        locale: the shop's locale, the ``currency`` filter's default.
        shopify: called as ``shopify(query, variables)`` by the ``shopify`` filter outside preview; None means
            Shopify is not available locally and the filter returns nil.
        secrets: raw secret values by key, for the signing filters.
        deadline: ``time.monotonic()`` value after which the render must stop; None for no deadline.
        shopify_queries: every query the ``shopify`` filter was given, in order (also in preview).
        permissions: scopes named by the ``permissions`` tag.
        max_loop_iterations: loop iterations allowed in a render, all loops together; None for no limit.
        max_output_size: characters allowed in the rendered output (and in any one capture); None: no limit.
        render_timeout: seconds a render may take; ``render`` sets ``deadline`` from it for the render when
            ``deadline`` is None. None (with no deadline) means no time limit.
        loop_iterations: loop iterations counted so far in this render.
    """

    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    timezone: dt.tzinfo = field(default_factory=lambda: ZoneInfo("UTC"))
    preview: bool = False
    currency: str = "USD"
    locale: str = "en"
    shopify: Callable[[str, Any], Any] | None = None
    secrets: dict[str, str] = field(default_factory=dict)
    deadline: float | None = None
    shopify_queries: list[dict[str, Any]] = field(default_factory=list)
    permissions: list[str] = field(default_factory=list)
    max_loop_iterations: int | None = 1_000_000
    max_output_size: int | None = 16 * 1024 * 1024
    render_timeout: float | None = 20.0
    loop_iterations: int = 0

    def local_now(self) -> dt.datetime:
        """``now`` in the shop's time zone."""
        return self.now.astimezone(self.timezone)

    def time_left(self) -> float | None:
        """Seconds until the deadline, or None when there is none."""
        return None if self.deadline is None else self.deadline - time.monotonic()


def attach(context: RenderContext, runtime: Runtime) -> None:
    """Make ``runtime`` the runtime of the render that uses ``context`` as its root context."""
    context.tag_namespace[RUNTIME_KEY] = runtime


def runtime_of(context: RenderContext) -> Runtime:
    """The runtime of the render ``context`` belongs to (a default one if the render attached none)."""
    root = context
    while root.parent_context is not None:
        root = root.parent_context
    runtime = root.tag_namespace.get(RUNTIME_KEY)
    if runtime is None:
        runtime = Runtime()
        root.tag_namespace[RUNTIME_KEY] = runtime
    return runtime
