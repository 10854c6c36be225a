"""What the action, log and error tags share: argument parsing, block detection and JSON bodies."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING
from typing import Any
from typing import TextIO

from liquid.ast import BlockNode
from liquid.builtin.expressions.primitive import parse_primitive
from liquid.exceptions import LiquidError
from liquid.exceptions import LiquidSyntaxError
from liquid.parser import get_parser
from liquid.token import TOKEN_COLON
from liquid.token import TOKEN_COMMA
from liquid.token import TOKEN_EOF
from liquid.token import TOKEN_EXPRESSION
from liquid.token import TOKEN_TAG
from liquid.token import TOKEN_WORD

from mechanic_kernel.liquid.limits import buffer_for
from mechanic_kernel.liquid.limits import check_deadline
from mechanic_kernel.liquid.runtime import runtime_of

if TYPE_CHECKING:
    from liquid import Environment
    from liquid import RenderContext
    from liquid.expression import Expression
    from liquid.stream import TokenStream
    from liquid.token import Token

# Kinds an argument name may have: a plain word, or a word python-liquid reserves (``limit: 5``).
_NAME_KINDS = frozenset((TOKEN_WORD, "limit", "offset", "cols", "reversed", "with", "for", "as", "in"))


class TagArguments:
    """The parsed arguments of a Mechanic tag.

    Attributes:
        positional: values given without a name, in order.
        keywords: ``(name, value)`` pairs, in order.
    """

    __slots__ = ("positional", "keywords")

    def __init__(self) -> None:
        self.positional: list[Expression] = []
        self.keywords: list[tuple[str, Expression]] = []

    def __str__(self) -> str:
        parts = [str(value) for value in self.positional]
        parts.extend(f"{name}: {value}" for name, value in self.keywords)
        return ", ".join(parts)

    def pop_keyword(self, name: str) -> Expression | None:
        """Remove and return the keyword argument ``name`` (the last one if repeated), or None."""
        found = None
        for item in list(self.keywords):
            if item[0] == name:
                found = item[1]
                self.keywords.remove(item)
        return found

    def expressions(self) -> Iterator[Expression]:
        """Every value expression."""
        yield from self.positional
        for _, value in self.keywords:
            yield value


def parse_tag_arguments(env: Environment, tokens: TokenStream) -> TagArguments:
    """Parse ``a, b, name: c`` where, as in Mechanic's docs, every comma is optional.

    Args:
        env: the environment parsing the template.
        tokens: the tag's expression tokens.

    Returns:
        The positional and named arguments.

    Raises:
        LiquidSyntaxError: an argument is not a literal or variable.
    """
    arguments = TagArguments()
    while True:
        while tokens.current.kind == TOKEN_COMMA:
            next(tokens)
        token = tokens.current
        if token.kind == TOKEN_EOF:
            return arguments
        if token.kind in _NAME_KINDS and tokens.peek.kind == TOKEN_COLON:
            next(tokens)
            next(tokens)
            arguments.keywords.append((token.value, parse_primitive(env, tokens)))
        else:
            arguments.positional.append(parse_primitive(env, tokens))


def expression_follows(stream: TokenStream) -> bool:
    """Whether the tag at ``stream.current`` has an expression."""
    return stream.peek.kind == TOKEN_EXPRESSION


def next_tag_is_end(stream: TokenStream, name: str, end: str) -> bool:
    """Whether, after the current token, an ``end`` tag comes before any other ``name`` tag.

    This is how the action tag tells ``{% action "echo" %}`` (inline, no options) from
    ``{% action "http" %}…{% endaction %}`` (block): see docs/decisions.md, "Liquid dialect".
    """
    for token in stream.tokens[stream.pos + 1 :]:
        if token.kind == TOKEN_TAG:
            if token.value == end:
                return True
            if token.value == name:
                return False
    return False


def parse_body(env: Environment, stream: TokenStream, tag_token: Token, end: str) -> BlockNode:
    """Parse a tag's block up to its ``end`` tag, leaving the stream on the end tag.

    The stream must be on the tag's last token (its name or its expression).
    """
    next(stream)
    block = get_parser(env).parse_block(stream, (end,))
    if not stream.current.is_tag(end):
        raise LiquidSyntaxError(
            f"unclosed {tag_token.value} block: expected {{% {end} %}}", token=tag_token
        )
    return block


class TagBodyError(LiquidError):
    """The rendered body of an action, log or error block is not what the tag needs."""


def render_body(block: BlockNode, context: RenderContext, token: Token) -> str:
    """Render a tag's block into a string (within the output size limit)."""
    check_deadline(runtime_of(context), token)
    buffer = buffer_for(context)
    block.render(context, buffer)
    return buffer.getvalue()


def body_json(text: str, token: Token, what: str) -> Any:
    """Parse a rendered block as JSON; an empty body is null.

    Raises:
        TagBodyError: the body is not JSON; the message quotes the start of the body.
    """
    stripped = text.strip()
    if not stripped:
        return None
    try:
        return json.loads(stripped)
    except ValueError as err:
        snippet = stripped[:80]
        raise TagBodyError(f"{what} is not valid JSON ({err}): {snippet!r}", token=token) from None


def write_object(buffer: TextIO, text: str) -> int:
    """Write one rendered JSON object; Mechanic's output is a stream of them."""
    return buffer.write(text)
