"""The ``log`` tag: renders ``{"log": …}`` (``{% log "x" %}``, ``{% log a: 1 %}``, block ``{% log %}``)."""

from __future__ import annotations

from mechanic_kernel.liquid.tags.arguments import ValueNode
from mechanic_kernel.liquid.tags.arguments import ValueTag


class LogNode(ValueNode):
    """A parsed ``log`` tag."""

    __slots__ = ()


class LogTag(ValueTag):
    """Parse ``{% log … %}``: no side effects, shown in previews and run results."""

    name = "log"
    end = "endlog"
    node_class = LogNode
