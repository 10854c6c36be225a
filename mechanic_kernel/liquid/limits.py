"""Render limits python-liquid does not have: cumulative loop iterations, output size, a deadline.

python-liquid's ``loop_iteration_limit`` is checked per loop (two loops of 6,000 pass a 10,000 limit) and it
has no time limit at all, so the Mechanic dialect counts iterations itself across the whole render (in the
:class:`~mechanic_kernel.liquid.runtime.Runtime`, which every context of a render shares) and checks the
runtime's deadline on every iteration and in every Mechanic tag. A single filter call cannot be interrupted,
so ranges outside loops are capped at the loop iteration limit (:class:`BoundedRangeLiteral`). Defaults are
in ``Runtime`` and explained in docs/decisions.md, "Liquid dialect".
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from collections.abc import Iterator
from io import StringIO
from typing import TYPE_CHECKING
from typing import Any
from typing import TextIO

from liquid.builtin.expressions import LoopExpression
from liquid.builtin.expressions.primitive import RangeLiteral
from liquid.exceptions import ResourceLimitError

from mechanic_kernel.liquid.runtime import Runtime
from mechanic_kernel.liquid.runtime import runtime_of

if TYPE_CHECKING:
    from liquid import RenderContext
    from liquid.expression import Expression
    from liquid.token import Token


class RenderLimitError(ResourceLimitError):
    """A render went past one of its limits.

    Attributes:
        limit: which limit: ``"loop_iterations"``, ``"output_size"`` or ``"render_time"``.
    """

    def __init__(self, message: str, *, limit: str, token: Token | None = None):
        super().__init__(message, token=token)
        self.limit = limit


def write_at(buffer: TextIO, text: str, token: Token) -> int:
    """Write ``text``; an output limit reached here is reported at ``token``'s line."""
    try:
        return buffer.write(text)
    except RenderLimitError as err:
        if err.token is None:
            err.token = token
        raise


def check_deadline(runtime: Runtime, token: Token | None = None) -> None:
    """Raise :class:`RenderLimitError` when the render's deadline has passed."""
    if runtime.deadline is not None and time.monotonic() > runtime.deadline:
        raise RenderLimitError(
            f"render time limit reached (the render took longer than {runtime.render_timeout} s)",
            limit="render_time",
            token=token,
        )


def check_range(items: range, runtime: Runtime, token: Token | None) -> range:
    """Refuse a range longer than the render's loop iteration limit (see :class:`BoundedRangeLiteral`)."""
    limit = runtime.max_loop_iterations
    if limit is not None and len(items) > limit:
        raise RenderLimitError(
            f"loop iteration limit reached (a range of {len(items)} items; ranges outside a for loop may "
            f"have at most {limit} items, the render's loop iteration limit)",
            limit="loop_iterations",
            token=token,
        )
    return items


def counted(items: Iterator[Any], runtime: Runtime) -> Iterator[Any]:
    """Yield ``items``, counting each as a loop iteration of the render and checking the deadline."""
    limit = sys.maxsize if runtime.max_loop_iterations is None else runtime.max_loop_iterations
    deadline = runtime.deadline
    monotonic = time.monotonic
    for item in items:
        runtime.loop_iterations += 1
        if runtime.loop_iterations > limit:
            raise RenderLimitError(
                f"loop iteration limit reached ({limit} iterations in all loops of the render)",
                limit="loop_iterations",
            )
        # check_deadline, inlined: this runs once per iteration of every loop.
        if deadline is not None and monotonic() > deadline:
            check_deadline(runtime)
        yield item


_init = StringIO.__init__
_write = StringIO.write


class LimitedBuffer(StringIO):
    """An output buffer that stops the render once it holds more than the runtime's output limit."""

    __slots__ = ("limit", "_room")

    def __init__(self, runtime: Runtime):
        _init(self)  # StringIO's own __init__, without the cost of super() (captures make many buffers)
        limit = self.limit = runtime.max_output_size
        # Characters left before the limit: one subtraction and one comparison per write, the cheapest
        # check that still stops at the very write that crosses the limit (and so reports its line).
        self._room = sys.maxsize if limit is None else limit

    def write(self, text: str) -> int:
        """Write ``text``, raising :class:`RenderLimitError` past the limit (counted in characters)."""
        self._room -= len(text)
        if self._room < 0:
            raise RenderLimitError(
                f"output size limit reached (more than {self.limit} characters)", limit="output_size"
            )
        return _write(self, text)


def buffer_for(context: RenderContext) -> LimitedBuffer:
    """A new limited buffer for ``context``'s render (for captures and tag bodies)."""
    return LimitedBuffer(runtime_of(context))


class BoundedRangeLiteral(RangeLiteral):
    """A range literal that is not a loop's iterable, and so is refused past the loop iteration limit.

    A loop counts its own iterations (and can ``break``), but a filter given ``(1..100000000)`` builds the
    whole list in one call that no deadline can interrupt (``join`` took 37 s against a 3 s timeout).
    """

    __slots__ = ()

    def evaluate(self, context: RenderContext) -> range:
        """The range, if it is short enough."""
        return check_range(super().evaluate(context), runtime_of(context), self.token)

    async def evaluate_async(self, context: RenderContext) -> range:
        """The range, if it is short enough."""
        return check_range(await super().evaluate_async(context), runtime_of(context), self.token)


def bound_ranges(expressions: Iterable[Expression]) -> None:
    """Make every range literal in ``expressions`` a :class:`BoundedRangeLiteral`, except loop iterables."""
    stack = list(expressions)
    while stack:
        expression = stack.pop()
        children = expression.children()
        if isinstance(expression, LoopExpression) and isinstance(expression.iterable, RangeLiteral):
            # The loop counts each iteration; a range here is never materialised (reversed is checked).
            children = [child for child in children if child is not expression.iterable]
            stack.extend(expression.iterable.children())
        elif type(expression) is RangeLiteral:
            # Same slots, one overridden method: switching the class keeps python-liquid's parser.
            expression.__class__ = BoundedRangeLiteral
        stack.extend(children)
