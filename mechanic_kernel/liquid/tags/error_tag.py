"""The ``error`` tag: renders ``{"error": …}``, which fails the task run (single, mapped and block forms)."""

from __future__ import annotations

from mechanic_kernel.liquid.tags.arguments import ValueNode
from mechanic_kernel.liquid.tags.arguments import ValueTag


class ErrorNode(ValueNode):
    """A parsed ``error`` tag."""

    __slots__ = ()


class ErrorTag(ValueTag):
    """Parse ``{% error … %}``; rendering continues after it, the run fails afterwards (spec §1.8)."""

    name = "error"
    end = "enderror"
    node_class = ErrorNode
