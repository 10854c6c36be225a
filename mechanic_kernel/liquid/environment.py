"""The Mechanic Liquid environment: python-liquid configured and extended into Mechanic's dialect.

Lax about data (a missing variable is nil, silently), strict about code (an unknown tag or filter is an
error). Templates parsed here use :class:`MechanicTemplate`, rendered with :class:`MechanicContext`.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from collections.abc import Mapping
from typing import TYPE_CHECKING
from typing import Any
from typing import TextIO

from liquid import BoundTemplate
from liquid import Environment
from liquid import Mode
from liquid import RenderContext
from liquid.exceptions import LiquidError
from liquid.exceptions import LiquidInterrupt
from liquid.exceptions import LiquidSyntaxError
from liquid.exceptions import LocalNamespaceLimitError
from liquid.exceptions import StopRender
from liquid.parser import get_parser
from liquid.token import TOKEN_TAG
from liquid.token import Token
from liquid.undefined import Undefined
from liquid.utils import ReadOnlyChainMap

from mechanic_kernel.liquid import filters
from mechanic_kernel.liquid import tags
from mechanic_kernel.liquid.expressions import MechanicTokenStream
from mechanic_kernel.liquid.expressions import apply_blank_semantics
from mechanic_kernel.liquid.expressions import walk_nodes
from mechanic_kernel.liquid.limits import LimitedBuffer
from mechanic_kernel.liquid.limits import bound_ranges
from mechanic_kernel.liquid.limits import counted
from mechanic_kernel.liquid.runtime import runtime_of
from mechanic_kernel.liquid.tags.permissions_tag import check_single_permissions_block

if TYPE_CHECKING:
    from contextlib import AbstractContextManager
    from io import StringIO

    from liquid.ast import Node
    from liquid.builtin.tags.for_tag import ForLoop
    from liquid.builtin.tags.tablerow_tag import TableRow


class Keywords(Mapping[str, object]):
    """Mechanic's keyword literals (spec §5.2), looked up after locals and render arguments.

    ``hash`` and ``array`` are a *new* empty object on every lookup: a shared one would let
    ``{% assign a = hash %}{% assign b = hash %}`` alias. python-liquid's ``now``/``today`` are not Mechanic
    keywords and are left out.
    """

    _names = ("hash", "array", "newline")

    def __contains__(self, key: object) -> bool:
        return key in self._names

    def __getitem__(self, key: str) -> object:
        if key == "hash":
            return {}
        if key == "array":
            return []
        if key == "newline":
            return "\n"
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


KEYWORDS = Keywords()


class MechanicContext(RenderContext):
    """A render context with Mechanic's keywords, cumulative loop counting and limited capture buffers.

    The local namespace limit is python-liquid's (the sum of ``sys.getsizeof`` of every local), kept as a
    running total instead of re-summing all locals on every ``assign``: the same figure, checked at the
    same moments, in constant time.
    """

    __slots__ = ("_local_sizes", "_locals_size")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.scope = ReadOnlyChainMap(self.locals, self.globals, KEYWORDS, self.counters)
        self._local_sizes: dict[str, int] = {}
        self._locals_size = 0

    def assign(self, key: str, val: Any) -> None:
        """Bind a local, raising ``LocalNamespaceLimitError`` when the locals grow past the limit."""
        self.locals[key] = val
        limit = self.env.local_namespace_limit
        if limit:
            # resize_local, inlined: assign is the hottest tag.
            size = sys.getsizeof(val, 1)
            sizes = self._local_sizes
            self._locals_size += size - sizes.get(key, 0)
            sizes[key] = size
            if self._locals_size + self.local_namespace_size_carry > limit:
                raise LocalNamespaceLimitError("local namespace limit reached", token=None)

    def resize_local(self, key: str) -> None:
        """Measure local ``key`` again (after it was bound, or changed in place by a subscript assign)."""
        size = sys.getsizeof(self.locals[key], 1)
        self._locals_size += size - self._local_sizes.get(key, 0)
        self._local_sizes[key] = size

    def get_size_of_locals(self) -> int:
        """The namespace "size" python-liquid's limit compares: ``sys.getsizeof`` summed over the locals."""
        if not self.env.local_namespace_limit:
            return 0
        return self._locals_size + self.local_namespace_size_carry

    def loop(
        self, namespace: Mapping[str, object], forloop: ForLoop | TableRow
    ) -> AbstractContextManager[Any]:
        """Enter a loop whose every iteration counts against the render's limits."""
        forloop.it = counted(forloop.it, runtime_of(self))
        return super().loop(namespace, forloop)

    def get_buffer(self, buf: TextIO | None = None) -> StringIO:
        """A capture buffer within the render's output size limit."""
        return LimitedBuffer(runtime_of(self))


class MechanicTemplate(BoundTemplate):
    """A parsed Mechanic task script.

    Attributes:
        permissions: the scopes of the template's ``permissions`` block, read at parse time.
    """

    context_class = MechanicContext
    permissions: tuple[str, ...] = ()

    def render_with_context(
        self,
        context: RenderContext,
        buffer: TextIO,
        *args: Any,
        partial: bool = False,
        block_scope: bool = False,
        **kwargs: Any,
    ) -> None:
        """Render like python-liquid, except that ``break``/``continue`` outside a loop end the render.

        Mechanic's docs use a top-level ``{% break %}`` to stop a task early (Ruby Liquid's interrupt
        semantics); what was rendered before it is kept. python-liquid would call it a syntax error.
        """
        namespace = self.make_partial_namespace(partial, dict(*args, **kwargs))
        with context.extend(namespace=namespace):
            for node in self.nodes:
                try:
                    node.render(context, buffer)
                except LiquidInterrupt:
                    if partial and not block_scope:
                        raise
                    break
                except StopRender:
                    break
                except LiquidError as err:
                    self.env.error(err, token=node.token)


_EXPECTED_END = re.compile(r"expected tag (end(\w+))")


def _locate_end_of_template_error(err: LiquidSyntaxError, source: str) -> None:
    """Give an error python-liquid raised at the end of the template a line and a clearer message.

    python-liquid reports an unclosed block as "expected tag endif, found end of expression" with no
    position; this finds the opening tag left unclosed (scanning ``{% name %}``/``{% endname %}`` pairs) or,
    failing that, points at the last line.
    """
    match = _EXPECTED_END.search(str(err.message))
    position = max(len(source.rstrip()) - 1, 0)
    message = str(err.message).replace("end of expression", "end of the template")
    if message == "unexpected tag 'end of the template'":
        message = "unexpected end of the template: a block is not closed"
    if match:
        end, name = match.group(1), match.group(2)
        openers: list[int] = []
        for tag in re.finditer(r"\{%-?\s*(" + re.escape(name) + "|" + re.escape(end) + r")\b", source):
            if tag.group(1) == name:
                openers.append(tag.start(1))
            elif openers:
                openers.pop()
        if openers:
            position = openers[-1]
            line = source.count("\n", 0, position) + 1
            message = f"unclosed {name} block (opened on line {line}): expected {{% {end} %}}"
    err.args = (message,)
    err.token = Token(TOKEN_TAG, match.group(2) if match else "", position, source)


class MechanicEnvironment(Environment):
    """python-liquid's ``Environment`` set up as Mechanic Liquid."""

    template_class = MechanicTemplate

    # A size cap python-liquid can enforce on assign/capture (sys.getsizeof of each local, so shallow):
    # it stops a doubling string from eating the machine before the output limit could see it.
    local_namespace_limit = 64 * 1024 * 1024

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("tolerance", Mode.STRICT)
        kwargs.setdefault("undefined", Undefined)
        kwargs.setdefault("strict_filters", True)
        super().__init__(**kwargs)

    def setup_tags_and_filters(self, *, extra: bool = False) -> None:
        """Register python-liquid's standard tags and filters, then Mechanic's."""
        super().setup_tags_and_filters(extra=extra)
        tags.register(self)
        filters.register(self)

    def _parse(self, source: str) -> list[Node]:
        nodes = get_parser(self).parse(MechanicTokenStream(self.tokenizer()(source)))
        # Walking the tree costs ~10% of a parse; most scripts never mention blank.
        if "blank" in source:
            apply_blank_semantics(nodes)
        if ".." in source:
            bound_ranges(expression for node in walk_nodes(nodes) for expression in node.expressions())
        return nodes

    def from_string(self, source: str, *args: Any, **kwargs: Any) -> BoundTemplate:
        """Parse ``source``; also reject a second ``permissions`` block and note the scopes.

        Raises:
            LiquidSyntaxError: the source is not valid Mechanic Liquid.
        """
        try:
            template = super().from_string(source, *args, **kwargs)
        except LiquidSyntaxError as err:
            if err.token is None or err.token.start_index < 0:
                _locate_end_of_template_error(err, source)
            raise
        if "permissions" not in source:
            return template
        try:
            scopes = check_single_permissions_block(walk_nodes(template.nodes))
        except LiquidSyntaxError as err:
            err.template_name = kwargs.get("path")
            raise
        if isinstance(template, MechanicTemplate):
            template.permissions = scopes
        return template
