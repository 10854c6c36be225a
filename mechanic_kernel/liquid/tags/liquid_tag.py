"""The ``liquid`` tag, reading its lines with Mechanic's expression tokenizer.

python-liquid builds a plain token stream for the lines of a ``{% liquid %}`` tag, which would bypass
:class:`~mechanic_kernel.liquid.expressions.MechanicTokenStream`; Mechanic tags (``action`` blocks included)
work line by line inside it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from liquid.ast import BlockNode
from liquid.builtin.tags.liquid_tag import LiquidNode
from liquid.builtin.tags.liquid_tag import LiquidTag as _LiquidTag
from liquid.parser import get_parser
from liquid.token import TOKEN_EOF
from liquid.token import TOKEN_EXPRESSION
from liquid.token import TOKEN_TAG

from mechanic_kernel.liquid.expressions import MechanicTokenStream

if TYPE_CHECKING:
    from liquid.ast import Node
    from liquid.stream import TokenStream
    from liquid.token import Token


class LiquidTag(_LiquidTag):
    """``{% liquid … %}`` with one tag per line."""

    node_class = LiquidNode

    def parse(self, stream: TokenStream) -> Node:
        """Parse the lines as a block of tags."""
        token = stream.eat(TOKEN_TAG)
        expression: Token | None = None
        if stream.current.kind == TOKEN_EOF:
            block = BlockNode(token, [])
        elif stream.current.kind == TOKEN_TAG:
            block = get_parser(self.env).parse_block(stream, end=())
        else:
            expression = stream.expect(TOKEN_EXPRESSION)
            lines = MechanicTokenStream(
                self._tokenize(expression.value, token=expression),
                block_depth_carry=stream.block_depth,
            )
            block = get_parser(self.env).parse_block(lines, end=())
        return self.node_class(token, expression, block=block)
