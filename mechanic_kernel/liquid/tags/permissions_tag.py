"""The ``permissions`` tag: names the Shopify scopes a task needs; renders nothing.

Mechanic reads the block statically when a task is saved, so the Liquid inside it is not evaluated: the
tag takes the raw source text between ``{% permissions %}`` and ``{% endpermissions %}``. Scopes are
separated by commas and/or line breaks. A second block in the same template is rejected when the template is
parsed (see :func:`check_single_permissions_block`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING
from typing import TextIO

from liquid.ast import Node
from liquid.exceptions import LiquidSyntaxError
from liquid.tag import Tag
from liquid.token import TOKEN_EOF
from liquid.token import TOKEN_EXPRESSION
from liquid.token import TOKEN_TAG

from mechanic_kernel.liquid.runtime import runtime_of

if TYPE_CHECKING:
    from liquid import RenderContext
    from liquid.stream import TokenStream
    from liquid.token import Token

_SCOPE = re.compile(r"[a-z][a-z0-9_]*")
_SEPARATORS = re.compile(r"[\s,]+")


class PermissionsNode(Node):
    """A parsed ``permissions`` block.

    Attributes:
        scopes: the scopes named, in order.
    """

    __slots__ = ("scopes",)

    def __init__(self, token: Token, scopes: tuple[str, ...]):
        super().__init__(token)
        self.scopes = scopes

    def __str__(self) -> str:
        return f"{{% permissions %}}{', '.join(self.scopes)}{{% endpermissions %}}"

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        """Record the scopes in the runtime; write nothing."""
        recorded = runtime_of(context).permissions
        recorded.extend(scope for scope in self.scopes if scope not in recorded)
        return 0


class PermissionsTag(Tag):
    """Parse ``{% permissions %}read_orders, write_products{% endpermissions %}``."""

    name = "permissions"
    end = "endpermissions"
    block = True
    node_class = PermissionsNode

    def parse(self, stream: TokenStream) -> PermissionsNode:
        """Take the raw text up to ``endpermissions`` and split it into scopes."""
        token = stream.expect(TOKEN_TAG, value=self.name)
        if stream.peek.kind == TOKEN_EXPRESSION:
            raise LiquidSyntaxError("permissions takes no arguments", token=token)
        next(stream)
        inner: list[Token] = []
        while not stream.current.is_tag(self.end):
            if stream.current.kind == TOKEN_EOF:
                raise LiquidSyntaxError(
                    "unclosed permissions block: expected {% endpermissions %}", token=token
                )
            inner.append(stream.current)
            next(stream)
        end_token = stream.current
        source = token.source
        # Tag tokens point at the tag name; the raw body lies between this tag's "%}" and the end tag's "{%".
        start = source.find("%}", token.start_index) + 2
        stop = source.rfind("{%", start, end_token.start_index)
        if start >= 2 and stop >= start:
            raw = source[start:stop]
        else:
            # Inside {% liquid %} there are no delimiters: each scope line was read as a tag (+ expression).
            raw = " ".join(inner_token.value for inner_token in inner)
        scopes: list[str] = []
        for scope in _SEPARATORS.split(raw):
            if not scope:
                continue
            if not _SCOPE.fullmatch(scope):
                raise LiquidSyntaxError(f"invalid permission scope {scope!r}", token=token)
            if scope in scopes:
                # Spec §5.1 leaves duplicates open and recommends rejecting them.
                raise LiquidSyntaxError(f"permission scope {scope!r} is listed twice", token=token)
            scopes.append(scope)
        return self.node_class(token, tuple(scopes))


def permissions_nodes(nodes: Iterable[Node]) -> list[PermissionsNode]:
    """The permissions nodes among ``nodes`` (a flattened parse tree)."""
    return [node for node in nodes if isinstance(node, PermissionsNode)]


def check_single_permissions_block(nodes: Iterable[Node]) -> tuple[str, ...]:
    """Return the scopes of a template's permissions block.

    Raises:
        LiquidSyntaxError: the template has more than one permissions block (spec §5.1: at most one).
    """
    found = permissions_nodes(nodes)
    if len(found) > 1:
        raise LiquidSyntaxError("a task may have only one permissions block", token=found[1].token)
    return found[0].scopes if found else ()
