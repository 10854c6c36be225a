"""Expression-level differences between Mechanic Liquid and python-liquid.

Two rules live here:

* ``limit``, ``offset`` and ``cols`` are keywords only where a loop argument can stand (followed by ``:``),
  and any keyword after a dot is a property name, so ``{% assign limit = 5 %}``, ``{{ limit }}``,
  ``for x in a limit: limit`` and ``x.limit`` all work as they do in Ruby Liquid. python-liquid's
  tokenizer turns every such word into a keyword token, which makes those templates syntax errors.
* ``nil`` and ``false`` are ``blank`` (Mechanic runs on Rails, where ``nil.blank?`` and ``false.blank?`` are
  true). python-liquid compares ``blank`` without them, so ``==``/``!=`` comparisons against ``blank`` are
  swapped for :class:`BlankComparison`, and ``when blank`` for :class:`BlankAwareWhen`, once a template is
  parsed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from typing import TYPE_CHECKING

from liquid.builtin.expressions import tokenize
from liquid.builtin.expressions.logical import EqExpression
from liquid.builtin.expressions.logical import NeExpression
from liquid.builtin.expressions.logical import _eq  # python-liquid's Liquid equality, pinned <3
from liquid.builtin.expressions.primitive import Blank
from liquid.builtin.tags.case_tag import _AnyExpression  # the when-clause expression, pinned <3
from liquid.expression import Expression
from liquid.stream import TokenStream
from liquid.token import TOKEN_COLON
from liquid.token import TOKEN_COLS
from liquid.token import TOKEN_DOT
from liquid.token import TOKEN_EXPRESSION
from liquid.token import TOKEN_LIMIT
from liquid.token import TOKEN_OFFSET
from liquid.token import TOKEN_WORD
from liquid.token import Token
from liquid.undefined import is_undefined

if TYPE_CHECKING:
    from liquid import RenderContext
    from liquid.ast import Node

# Keywords python-liquid reserves that Ruby Liquid only treats specially as loop arguments.
_LOOP_ARGUMENT_KEYWORDS = frozenset((TOKEN_LIMIT, TOKEN_OFFSET, TOKEN_COLS))

# Token kinds that the expression tokenizer produces from a plain word (its keyword set).
_WORD_KEYWORDS = frozenset(
    (
        "true",
        "false",
        "nil",
        "null",
        "empty",
        "blank",
        "and",
        "or",
        "contains",
        "not",
        "in",
        "offset",
        "limit",
        "reversed",
        "cols",
        "continue",
        "with",
        "for",
        "as",
        "if",
        "else",
        "required",
    )
)


# A quick test for expressions that may need fixing; most do not, and skip the token-by-token pass.
_MAY_NEED_FIX = re.compile(r"\b(?:limit|offset|cols)\b|\.\s*(?:" + "|".join(sorted(_WORD_KEYWORDS)) + r")\b")


def tokenize_expression(source: str, parent_token: Token) -> Iterator[Token]:
    """Tokenize a tag or output expression the way Mechanic (Ruby) Liquid reads it.

    Args:
        source: the expression text.
        parent_token: the tag or output token the expression belongs to (for positions in errors).

    Returns:
        python-liquid expression tokens, with reserved words turned back into names where Ruby Liquid
        reads them as names.
    """
    if not _MAY_NEED_FIX.search(source):
        return tokenize(source, parent_token=parent_token)
    tokens = list(tokenize(source, parent_token=parent_token))
    last = len(tokens) - 1
    for index, token in enumerate(tokens):
        if token.kind not in _WORD_KEYWORDS or token.value != token.kind:
            continue
        after_dot = index > 0 and tokens[index - 1].kind == TOKEN_DOT
        bare_loop_word = token.kind in _LOOP_ARGUMENT_KEYWORDS and (
            index == last or tokens[index + 1].kind != TOKEN_COLON
        )
        if after_dot or bare_loop_word:
            tokens[index] = token._replace(kind=TOKEN_WORD)
    return iter(tokens)


class MechanicTokenStream(TokenStream):
    """A token stream whose inner expression streams use :func:`tokenize_expression`."""

    def into_inner(self, *, tag: Token | None = None, eat: bool = True) -> TokenStream:
        """Return a stream of tokens for the current expression token (see ``TokenStream.into_inner``)."""
        token = self.current
        if token.kind != TOKEN_EXPRESSION:
            # Let python-liquid raise its own "missing expression" error.
            return super().into_inner(tag=tag, eat=eat)
        if eat:
            next(self)
        return MechanicTokenStream(tokenize_expression(token.value, parent_token=token))


def is_blank(value: object) -> bool:
    """Whether ``value`` is ``blank`` in Mechanic: nil, false, empty or whitespace-only string, [] or {}."""
    cls = type(value)
    # Exact-type fast paths: the general checks below include ABC isinstance tests.
    if cls is str:
        return not value.strip()  # type: ignore[attr-defined]
    if value is None or value is False:
        return True
    if cls is int or cls is float or value is True:
        return False
    if cls is list or cls is dict:
        return not value
    if hasattr(value, "__liquid__"):
        value = value.__liquid__()
    if value is None or value is False or is_undefined(value):
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple, dict, Mapping)):
        return len(value) == 0
    return False


class BlankComparison(Expression):
    """``a == blank`` / ``a != blank`` with Mechanic's idea of blank."""

    __slots__ = ("left", "right", "negate", "other")

    def __init__(self, comparison: EqExpression | NeExpression):
        super().__init__(comparison.token)
        self.left = comparison.left
        self.right = comparison.right
        self.negate = isinstance(comparison, NeExpression)
        # The side compared with blank, found once (Blank is an ABC subclass: isinstance is slow); None
        # when both sides are blank.
        self.other: Expression | None = self.left
        if isinstance(self.left, Blank):
            self.other = None if isinstance(self.right, Blank) else self.right

    def __str__(self) -> str:
        return f"{self.left} {'!=' if self.negate else '=='} {self.right}"

    def evaluate(self, context: RenderContext) -> bool:
        """Compare the non-blank side with blank."""
        result = True if self.other is None else is_blank(self.other.evaluate(context))
        return not result if self.negate else result

    async def evaluate_async(self, context: RenderContext) -> bool:
        """Compare the non-blank side with blank."""
        return self.evaluate(context)

    def children(self) -> list[Expression]:
        """Return the two operands."""
        return [self.left, self.right]


class BlankAwareWhen(_AnyExpression):
    """The values of a ``when`` clause, where ``blank`` matches as in :func:`is_blank`."""

    __slots__ = ()

    def evaluate(self, context: RenderContext) -> list[bool]:
        """One match flag per value of the clause."""
        left = self.left.evaluate(context)
        return [
            is_blank(left) if isinstance(right, Blank) else _eq(left, right.evaluate(context))
            for right in self.expressions
        ]

    async def evaluate_async(self, context: RenderContext) -> list[bool]:
        """One match flag per value of the clause."""
        return self.evaluate(context)


def _rewrite_expression(expression: object) -> None:
    if type(expression) is _AnyExpression and any(isinstance(e, Blank) for e in expression.expressions):
        # Same slots, one overridden method: switching the class keeps python-liquid's case parser.
        expression.__class__ = BlankAwareWhen
        return
    for attribute in ("expression", "left", "right", "condition"):
        child = getattr(expression, attribute, None)
        if isinstance(child, (EqExpression, NeExpression)) and (
            isinstance(child.left, Blank) or isinstance(child.right, Blank)
        ):
            setattr(expression, attribute, BlankComparison(child))
        elif isinstance(child, Expression):
            _rewrite_expression(child)


def walk_nodes(nodes: Iterable[Node]) -> Iterator[Node]:
    """Yield every node of a parse tree, depth first."""
    stack = list(reversed(list(nodes)))
    while stack:
        node = stack.pop()
        yield node
        # ``children`` wants a static context only to load partials, which we never ask for.
        children = list(node.children(None, include_partials=False))  # type: ignore[arg-type]
        stack.extend(reversed(children))


def apply_blank_semantics(nodes: Iterable[Node]) -> None:
    """Swap comparisons with ``blank`` in a parsed template for :class:`BlankComparison`."""
    for node in walk_nodes(nodes):
        for expression in node.expressions():
            _rewrite_expression(expression)
