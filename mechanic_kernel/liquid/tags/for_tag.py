"""The ``for`` tag, with loop limits that hold for ``reversed`` too and errors that point at the loop.

Iterations themselves are counted by the render context (see
:meth:`mechanic_kernel.liquid.environment.MechanicContext.loop`), which knows no line numbers, so the loop
node attaches its own token to limit errors. python-liquid builds a list to iterate ``reversed``, so
``for x in (1..1000000000) reversed`` would exhaust memory before the first iteration is counted; the loop
expression checks the loop's length against the render's remaining iterations first.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING
from typing import Any
from typing import TextIO

from liquid.builtin.expressions import LoopExpression
from liquid.builtin.tags.for_tag import ForNode as _ForNode
from liquid.builtin.tags.for_tag import ForTag as _ForTag

from mechanic_kernel.liquid.limits import RenderLimitError
from mechanic_kernel.liquid.runtime import runtime_of

if TYPE_CHECKING:
    from liquid import RenderContext
    from liquid.stream import TokenStream


class MechanicLoopExpression(LoopExpression):
    """A loop expression that refuses to reverse more items than the render may still iterate."""

    __slots__ = ()

    def _slice(
        self,
        it: Iterator[object],
        length: int,
        context: RenderContext,
        *,
        limit: int | None,
        offset: int | str | None,
    ) -> tuple[Iterator[object], int]:
        if self.reversed:
            runtime = runtime_of(context)
            budget = runtime.max_loop_iterations
            items = length if limit is None else min(length, max(limit, 0))
            if budget is not None and items > budget - runtime.loop_iterations:
                raise RenderLimitError(
                    f"loop iteration limit reached (a reversed loop of {items} items, "
                    f"{budget} iterations allowed in all loops of the render)",
                    limit="loop_iterations",
                )
        return super()._slice(it, length, context, limit=limit, offset=offset)


class ForNode(_ForNode):
    """python-liquid's for loop, attaching its own token to limit errors raised without one."""

    __slots__ = ()

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        """Render the loop."""
        try:
            return super().render_to_output(context, buffer)
        except RenderLimitError as err:
            if err.token is None:
                err.token = self.token
            raise


class ForTag(_ForTag):
    """``{% for … %}`` producing :class:`ForNode` with a :class:`MechanicLoopExpression`."""

    node_class = ForNode

    def parse(self, stream: TokenStream) -> Any:
        """Parse the loop as python-liquid does, then give its expression Mechanic's limit check."""
        node = super().parse(stream)
        # Same slots, one overridden method: switching the class avoids copying python-liquid's parser.
        node.expression.__class__ = MechanicLoopExpression
        return node
