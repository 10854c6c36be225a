"""The ``for`` tag, with loop-limit errors pointing at the loop that broke the limit.

Iterations themselves are counted by the render context (see
:meth:`mechanic_kernel.liquid.environment.MechanicContext.loop`), which knows no line numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import TextIO

from liquid.builtin.tags.for_tag import ForNode as _ForNode
from liquid.builtin.tags.for_tag import ForTag as _ForTag

from mechanic_kernel.liquid.limits import RenderLimitError

if TYPE_CHECKING:
    from liquid import RenderContext


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
    """``{% for … %}`` producing :class:`ForNode`."""

    node_class = ForNode
