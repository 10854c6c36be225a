"""Output statements ``{{ … }}``: Mechanic's expression reading, Ruby-style printing of hashes and arrays."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import TextIO

from liquid.builtin.expressions import FilteredExpression
from liquid.builtin.output import Output
from liquid.builtin.output import OutputNode as _OutputNode
from liquid.token import TOKEN_EXPRESSION
from liquid.token import TOKEN_OUTPUT

from mechanic_kernel.liquid.expressions import MechanicTokenStream
from mechanic_kernel.liquid.expressions import tokenize_expression
from mechanic_kernel.liquid.limits import RenderLimitError
from mechanic_kernel.liquid.values import to_output_string

if TYPE_CHECKING:
    from liquid import RenderContext
    from liquid.stream import TokenStream


class OutputNode(_OutputNode):
    """``{{ value }}``, printed as Mechanic prints it (see ``values.to_output_string``)."""

    __slots__ = ()

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        """Write the value's text; an output limit reached here is reported at this statement's line."""
        text = to_output_string(self.expression.evaluate(context))
        try:
            return buffer.write(text)
        except RenderLimitError as err:
            # write_at, inlined: output statements are the most frequent writers after plain text.
            if err.token is None:
                err.token = self.token
            raise


class OutputTag(Output):
    """The pseudo-tag python-liquid uses for output statements, with Mechanic's tokenizer."""

    name = TOKEN_OUTPUT
    block = False
    node_class = OutputNode

    def parse(self, stream: TokenStream) -> OutputNode:
        """Parse the statement's filtered expression."""
        token = stream.eat(TOKEN_OUTPUT)
        expr_token = stream.expect(TOKEN_EXPRESSION)
        tokens = MechanicTokenStream(tokenize_expression(expr_token.value, expr_token))
        return self.node_class(token, FilteredExpression.parse(self.env, tokens))
