"""Render limits python-liquid does not have: cumulative loop iterations, output size, a deadline.

python-liquid's ``loop_iteration_limit`` is checked per loop (two loops of 6,000 pass a 10,000 limit) and it
has no time limit at all, so the Mechanic dialect counts iterations itself across the whole render (in the
:class:`~mechanic_kernel.liquid.runtime.Runtime`, which every context of a render shares) and checks the
runtime's deadline on every iteration and in every Mechanic tag. Defaults are in ``Runtime`` and explained
in docs/decisions.md, "Liquid dialect".
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from io import StringIO
from typing import TYPE_CHECKING
from typing import Any
from typing import TextIO

from liquid.exceptions import ResourceLimitError

from mechanic_kernel.liquid.runtime import Runtime
from mechanic_kernel.liquid.runtime import runtime_of

if TYPE_CHECKING:
    from liquid import RenderContext
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


_write = StringIO.write


class LimitedBuffer(StringIO):
    """An output buffer that stops the render once it holds more than the runtime's output limit."""

    __slots__ = ("limit", "_room")

    def __init__(self, runtime: Runtime):
        super().__init__()
        self.limit = runtime.max_output_size
        # Characters left before the limit: one subtraction and one comparison per write, the cheapest
        # check that still stops at the very write that crosses the limit (and so reports its line).
        self._room = sys.maxsize if self.limit is None else self.limit

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
