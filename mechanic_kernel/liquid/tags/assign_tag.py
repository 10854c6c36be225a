"""The ``assign`` tag, extended: assignment into subscripts, by value.

``{% assign h["k"] = 1 %}``, ``{% assign h[k] = 1 %}``, ``{% assign a[0] = 1 %}``,
``{% assign a[a.size] = 1 %}`` (append), ``{% assign h["x"]["y"] = 1 %}``, ``{% assign h.x["y"] = 1 %}``.
Every assigned list or hash is copied (spec §5.1: assignment is by value), so later changes to either side
never reach the other. A
subscript assignment into a variable that is not a template local (render arguments such as ``event``)
first copies that variable into the locals: the host's data is never changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING
from typing import Any
from typing import TextIO

from liquid.ast import Node
from liquid.builtin.expressions import FilteredExpression
from liquid.builtin.expressions import Identifier
from liquid.builtin.expressions import Path
from liquid.exceptions import LiquidSyntaxError
from liquid.exceptions import LiquidTypeError
from liquid.tag import Tag
from liquid.token import TOKEN_ASSIGN
from liquid.token import TOKEN_TAG
from liquid.token import TOKEN_WORD
from liquid.undefined import is_undefined

from mechanic_kernel.liquid.values import ATOMIC_TYPES
from mechanic_kernel.liquid.values import copy_value

if TYPE_CHECKING:
    from liquid import RenderContext
    from liquid.expression import Expression
    from liquid.stream import TokenStream
    from liquid.token import Token


# Filters whose result is always a new value that nothing else refers to: assigning it needs no copy.
_FRESH_RESULTS = frozenset(("parse_json", "parse_jsonl", "parse_csv", "parse_xml"))


class AssignNode(Node):
    """A parsed ``assign``: a target path and a filtered expression."""

    __slots__ = ("target", "expression", "fresh", "name", "simple", "subscripts")

    def __init__(self, token: Token, target: Path, expression: Expression):
        super().__init__(token)
        self.target = target
        self.expression = expression
        name = target.path[0]
        assert isinstance(name, str)
        self.name = name
        self.simple = len(target.path) == 1
        # Each subscript with whether it is an expression to evaluate (an ABC isinstance, so decided once).
        self.subscripts = tuple((segment, isinstance(segment, Path)) for segment in target.path[1:])
        # Copying a big parse_json result would only double the work and the memory.
        self.fresh = bool(
            isinstance(expression, FilteredExpression)
            and expression.filters
            and expression.filters[-1].name in _FRESH_RESULTS
        )

    def __str__(self) -> str:
        return f"{{% assign {self.target} = {self.expression} %}}"

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        """Assign a copy of the value."""
        value = self.expression.evaluate(context)
        if not self.fresh and type(value) not in ATOMIC_TYPES:
            value = copy_value(value)
        name = self.name
        if self.simple:
            context.assign(name, value)
            return 0
        segments = self.target.path
        keys = [segment.evaluate(context) if dynamic else segment for segment, dynamic in self.subscripts]
        if name in context.locals:
            container = context.locals[name]
        else:
            # Copy-on-write: the render arguments belong to the host and must stay untouched.
            container = copy_value(context.resolve(name))
            context.assign(name, container)
        for depth, key in enumerate(keys[:-1], start=1):
            container = self._step(container, key, segments[: depth + 1])
        key = keys[-1]
        # Fast paths for the common stores (h["k"] = v, a[i] = v, a[a.size] = v); _set/_store do the rest.
        if type(container) is dict and type(key) is str:
            container[key] = value
        elif type(container) is list and type(key) is int and 0 <= key < len(container):
            container[key] = value
        elif type(container) is list and type(key) is int and key == len(container):
            container.append(value)
        else:
            self._set(container, key)
            self._store(container, key, value)
        resize = getattr(context, "resize_local", None)
        if resize is not None and len(keys) == 1:
            # The root grew in place; its next plain assign sees the new size, as python-liquid's would.
            resize(name)
        return 0

    def _step(self, container: Any, key: Any, where: list[Any]) -> Any:
        self._set(container, key)
        try:
            child = container[self._key(container, key)]
        except (KeyError, IndexError, TypeError):
            child = None
        if not isinstance(child, (dict, list)):
            shown = Path(self.target.token, where)
            raise LiquidTypeError(
                f"cannot assign into {shown}: it is not a hash or an array", token=self.token
            )
        return child

    def _set(self, container: Any, key: Any) -> None:
        if type(container) is dict or (type(container) is list and type(key) is int):
            return
        if not isinstance(container, (dict, list)) or is_undefined(container):
            raise LiquidTypeError(
                f"cannot assign into {self.target.path[0]}: it is not a hash or an array "
                f"(found {_type_name(container)})",
                token=self.token,
            )
        if isinstance(container, list) and not isinstance(key, int):
            raise LiquidTypeError(f"an array index must be an integer, found {key!r}", token=self.token)

    def _key(self, container: Any, key: Any) -> Any:
        if isinstance(container, dict):
            # Mechanic hashes have string keys only (spec §5.2).
            return key if isinstance(key, str) else _to_key(key)
        return key

    def _store(self, container: Any, key: Any, value: Any) -> None:
        if isinstance(container, dict):
            container[self._key(container, key)] = value
            return
        size = len(container)
        if key < 0:
            if -key > size:
                raise LiquidTypeError(f"array index {key} is out of range", token=self.token)
            container[key] = value
        elif key < size:
            container[key] = value
        else:
            # Ruby fills the gap with nil; index == size appends (the a[a.size] idiom).
            container.extend([None] * (key - size))
            container.append(value)

    def expressions(self) -> Iterable[Expression]:
        """The value expression and any expressions inside the target's subscripts."""
        yield self.expression
        yield from self.target.children()

    def template_scope(self) -> Iterable[Identifier]:
        """The variable this assigns."""
        name = self.target.path[0]
        yield Identifier(str(name), token=self.target.token)


def _to_key(key: Any) -> str:
    if key is None or is_undefined(key):
        return ""
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


def _type_name(value: Any) -> str:
    if value is None or is_undefined(value):
        return "nil"
    return type(value).__name__


class AssignTag(Tag):
    """Parse ``{% assign target = expression %}`` where the target may have subscripts."""

    name = "assign"
    block = False
    node_class = AssignNode

    def parse(self, stream: TokenStream) -> AssignNode:
        """Parse the target path, ``=``, then a filtered expression."""
        token = stream.eat(TOKEN_TAG)
        tokens = stream.into_inner(tag=token, eat=False)
        if tokens.current.kind != TOKEN_WORD:
            raise LiquidSyntaxError(
                f"expected a variable name to assign to, found {tokens.current.kind}", token=tokens.current
            )
        target = Path.parse(self.env, tokens)
        tokens.eat(TOKEN_ASSIGN)
        return self.node_class(token, target, FilteredExpression.parse(self.env, tokens))
