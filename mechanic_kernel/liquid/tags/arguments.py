"""What the action, log and error tags share: argument parsing, block detection and JSON bodies."""

from __future__ import annotations

import json
from collections.abc import Iterable
from collections.abc import Iterator
from typing import TYPE_CHECKING
from typing import Any
from typing import TextIO

from liquid.ast import BlockNode
from liquid.ast import Node
from liquid.builtin.expressions import Filter
from liquid.builtin.expressions import FilteredExpression
from liquid.builtin.expressions import PositionalArgument
from liquid.builtin.expressions.primitive import parse_primitive
from liquid.exceptions import LiquidError
from liquid.exceptions import LiquidSyntaxError
from liquid.parser import get_parser
from liquid.tag import Tag
from liquid.token import TOKEN_COLON
from liquid.token import TOKEN_COMMA
from liquid.token import TOKEN_EOF
from liquid.token import TOKEN_EXPRESSION
from liquid.token import TOKEN_PIPE
from liquid.token import TOKEN_TAG
from liquid.token import TOKEN_WORD

from mechanic_kernel.liquid.limits import buffer_for
from mechanic_kernel.liquid.limits import check_deadline
from mechanic_kernel.liquid.limits import write_at
from mechanic_kernel.liquid.runtime import runtime_of
from mechanic_kernel.liquid.values import to_json

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
            arguments.keywords.append((token.value, _parse_value(env, tokens)))
        else:
            arguments.positional.append(_parse_value(env, tokens))


def _starts_keyword(tokens: TokenStream) -> bool:
    """Whether the stream is on ``, name:`` (the start of the tag's next named argument)."""
    if tokens.current.kind != TOKEN_COMMA or tokens.peek.kind not in _NAME_KINDS:
        return False
    position = tokens.pos + 2
    return position < len(tokens.tokens) and tokens.tokens[position].kind == TOKEN_COLON


def _parse_value(env: Environment, tokens: TokenStream) -> Expression:
    """A literal or variable, optionally piped through filters with positional arguments.

    Library tasks write ``{% log a: x | times: 100 | divided_by: y, b: z %}``; a comma followed by
    ``name:`` starts the tag's next argument, so filters here take positional arguments only.
    """
    value = parse_primitive(env, tokens)
    if tokens.current.kind != TOKEN_PIPE:
        return value
    start = value.token
    filters: list[Filter] = []
    while tokens.current.kind == TOKEN_PIPE:
        next(tokens)
        name = tokens.eat(TOKEN_WORD)
        filter_arguments: list[Any] = []
        if tokens.current.kind == TOKEN_COLON:
            next(tokens)
            filter_arguments.append(PositionalArgument(parse_primitive(env, tokens)))
            while tokens.current.kind == TOKEN_COMMA and not _starts_keyword(tokens):
                next(tokens)
                filter_arguments.append(PositionalArgument(parse_primitive(env, tokens)))
        filters.append(Filter(name, name.value, filter_arguments))
    return FilteredExpression(start, value, filters)


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
        raise LiquidSyntaxError(f"unclosed {tag_token.value} block: expected {{% {end} %}}", token=tag_token)
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


class ValueNode(Node):
    """A tag that writes ``{key: value}``: ``log`` and ``error`` (single, mapped and block forms)."""

    __slots__ = ("key", "arguments", "block")

    def __init__(self, token: Token, key: str, arguments: TagArguments, block: BlockNode | None):
        super().__init__(token)
        self.key = key
        self.arguments = arguments
        self.block = block
        self.blank = False

    def __str__(self) -> str:
        head = f"{{% {self.key} {self.arguments} %}}"
        return head if self.block is None else f"{head}{self.block}{{% end{self.key} %}}"

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        """Write the object."""
        if self.block is not None:
            value = body_json(
                render_body(self.block, context, self.token), self.token, f"the {self.key} block"
            )
        else:
            check_deadline(runtime_of(context), self.token)
            values = [value.evaluate(context) for value in self.arguments.positional]
            if self.arguments.keywords:
                value = {name: value.evaluate(context) for name, value in self.arguments.keywords}
            elif len(values) == 1:
                value = values[0]
            else:
                value = values
        return write_at(buffer, to_json({self.key: value}), self.token)

    def children(self, static_context: Any = None, *, include_partials: bool = True) -> Iterable[Node]:
        """The block, if any."""
        if self.block is not None:
            yield self.block

    def expressions(self) -> Iterable[Expression]:
        """Argument expressions."""
        yield from self.arguments.expressions()


class ValueTag(Tag):
    """Parse a ``log``/``error``-style tag: with no arguments it is a block, otherwise inline."""

    block = True
    node_class = ValueNode

    def parse(self, stream: TokenStream) -> Node:
        """Parse one tag (and its block)."""
        token = stream.expect(TOKEN_TAG, value=self.name)
        if not expression_follows(stream):
            block = parse_body(self.env, stream, token, self.end)
            return self.node_class(token, self.name, TagArguments(), block)
        next(stream)
        arguments = parse_tag_arguments(self.env, stream.into_inner(tag=token, eat=False))
        if arguments.positional and arguments.keywords:
            raise LiquidSyntaxError(
                f"{self.name} takes one value or named values, not both: {arguments}", token=token
            )
        return self.node_class(token, self.name, arguments, None)
