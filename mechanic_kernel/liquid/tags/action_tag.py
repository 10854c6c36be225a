"""The ``action`` tag: renders ``{"action": {"type": …, "options": …}}`` into the output stream.

Forms (spec §5.1): block untyped ``{% action %}{"type": …}{% endaction %}``; block typed
``{% action "http" %}{…}{% endaction %}`` (for ``shopify`` the body may be a GraphQL document); inline
positional ``{% action "cache", "set", "k", "v" %}`` (two or more values → an array), mapped
``{% action "echo", a: 1 %}``, single ``{% action "echo", x %}``, ``options:``/``meta:`` keywords, and
``{% action "http", opts, m %}`` (a hash then a value → options and meta). ``__meta`` and ``__perform_event``
may be added to any form. The comma after the type is optional.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from typing import TYPE_CHECKING
from typing import Any
from typing import TextIO

from liquid.ast import BlockNode
from liquid.ast import Node
from liquid.builtin.expressions.logical import is_truthy
from liquid.exceptions import LiquidSyntaxError
from liquid.exceptions import LiquidTypeError
from liquid.tag import Tag
from liquid.token import TOKEN_TAG
from liquid.undefined import is_undefined

from mechanic_kernel.liquid.limits import check_deadline
from mechanic_kernel.liquid.limits import write_at
from mechanic_kernel.liquid.runtime import runtime_of
from mechanic_kernel.liquid.tags.arguments import TagArguments
from mechanic_kernel.liquid.tags.arguments import TagBodyError
from mechanic_kernel.liquid.tags.arguments import body_json
from mechanic_kernel.liquid.tags.arguments import expression_follows
from mechanic_kernel.liquid.tags.arguments import next_tag_is_end
from mechanic_kernel.liquid.tags.arguments import parse_body
from mechanic_kernel.liquid.tags.arguments import parse_tag_arguments
from mechanic_kernel.liquid.tags.arguments import render_body
from mechanic_kernel.liquid.values import to_json

if TYPE_CHECKING:
    from liquid import RenderContext
    from liquid.expression import Expression
    from liquid.stream import TokenStream
    from liquid.token import Token

META = "__meta"
PERFORM_EVENT = "__perform_event"

# Sentinel for "this control parameter was not given".
_UNSET: Any = object()


# Every character a JSON text can start with (Python's json also reads NaN and Infinity).
_JSON_FIRST_CHARACTERS = frozenset('{["-0123456789tfnNI')


def split_control_params(options: Any) -> tuple[Any, Any, Any]:
    """Take ``__meta`` and ``__perform_event`` out of a hash of options.

    Returns:
        ``(options without them, meta or _UNSET, perform_event or _UNSET)``; non-hash options are
        returned as they are.
    """
    if type(options) is not dict and not isinstance(options, Mapping):  # exact type first: ABCs are slow
        return options, _UNSET, _UNSET
    if META not in options and PERFORM_EVENT not in options:
        return options, _UNSET, _UNSET
    rest = {key: value for key, value in options.items() if key not in (META, PERFORM_EVENT)}
    return rest, options.get(META, _UNSET), options.get(PERFORM_EVENT, _UNSET)


def action_object(type_: Any, options: Any, meta: Any = None, perform_event: bool = True) -> dict[str, Any]:
    """The ``{"action": …}`` object for one action, control parameters moved out of the options.

    ``perform_event`` is written (as ``"perform_event": false``) only when the follow-up event is
    suppressed; see docs/decisions.md, "Liquid dialect".
    """
    options, inner_meta, inner_perform = split_control_params(options)
    if inner_meta is not _UNSET and meta is None:
        meta = inner_meta
    if inner_perform is not _UNSET:
        perform_event = perform_event and is_truthy(inner_perform)
    action: dict[str, Any] = {"type": type_, "options": options}
    if meta is not None:
        action["meta"] = meta
    if not perform_event:
        action["perform_event"] = False
    return {"action": action}


class ActionNode(Node):
    """A parsed ``action`` tag, inline or block."""

    __slots__ = ("arguments", "block", "meta", "perform_event")

    def __init__(
        self,
        token: Token,
        arguments: TagArguments,
        block: BlockNode | None,
        meta: Expression | None,
        perform_event: Expression | None,
    ):
        super().__init__(token)
        self.arguments = arguments
        self.block = block
        self.meta = meta
        self.perform_event = perform_event
        self.blank = False

    def __str__(self) -> str:
        head = f"{{% action {self.arguments} %}}"
        return head if self.block is None else f"{head}{self.block}{{% endaction %}}"

    def render_to_output(self, context: RenderContext, buffer: TextIO) -> int:
        """Write the action object."""
        check_deadline(runtime_of(context), self.token)
        meta = self.meta.evaluate(context) if self.meta is not None else None
        perform = is_truthy(self.perform_event.evaluate(context)) if self.perform_event is not None else True
        if self.block is not None:
            obj = self._block_object(context, meta, perform)
        else:
            type_ = self._type(context)
            options, inline_meta = self._inline_options(context)
            obj = action_object(type_, options, meta if meta is not None else inline_meta, perform)
        return write_at(buffer, to_json(obj), self.token)

    def _type(self, context: RenderContext) -> str:
        type_ = self.arguments.positional[0].evaluate(context)
        if not isinstance(type_, str) or not type_:
            found = "nil" if type_ is None or is_undefined(type_) else repr(type_)
            raise LiquidTypeError(f"action type must be a non-empty string, found {found}", token=self.token)
        return type_

    def _inline_options(self, context: RenderContext) -> tuple[Any, Any]:
        values = [value.evaluate(context) for value in self.arguments.positional[1:]]
        named = {name: value.evaluate(context) for name, value in self.arguments.keywords}
        if named and set(named) <= {"options", "meta"} and ("options" in named or values):
            # {% action "http", options: o, meta: m %} or {% action "http", o, meta: m %}
            options = values[0] if values else named.get("options")
            return options, named.get("meta")
        if named:
            return named, None
        if not values:
            return None, None
        if len(values) == 1:
            return values[0], None
        if len(values) == 2 and isinstance(values[0], Mapping):
            return values[0], values[1]
        return values, None

    def _block_object(self, context: RenderContext, meta: Any, perform: bool) -> dict[str, Any]:
        assert self.block is not None
        text = render_body(self.block, context, self.token)
        if not self.arguments.positional:
            body = body_json(text, self.token, "the untyped action block")
            if not isinstance(body, Mapping) or not isinstance(body.get("type"), str):
                raise TagBodyError(
                    'an untyped action block must be a JSON object with a string "type"', token=self.token
                )
            unknown = set(body) - {"type", "options", "meta", PERFORM_EVENT, "perform_event"}
            if unknown:
                raise TagBodyError(f"unknown keys in the action object: {sorted(unknown)}", token=self.token)
            perform = perform and body.get(PERFORM_EVENT, True) is not False
            perform = perform and body.get("perform_event", True) is not False
            return action_object(body["type"], body.get("options"), meta or body.get("meta"), perform)
        type_ = self._type(context)
        if type_ == "shopify":
            # A shopify block holds either JSON or a raw GraphQL document, which becomes a string option.
            document = text.strip()
            if document and document[0] not in _JSON_FIRST_CHARACTERS:
                # "mutation …"/"query …" cannot be JSON: skip the parse and the exception it would raise.
                options = document
            else:
                try:
                    options = body_json(text, self.token, "the shopify action block")
                except TagBodyError:
                    options = document
        else:
            options = body_json(text, self.token, f'the "{type_}" action block')
        return action_object(type_, options, meta, perform)

    def children(self, static_context: Any = None, *, include_partials: bool = True) -> Iterable[Node]:
        """The block, if any."""
        if self.block is not None:
            yield self.block

    def expressions(self) -> Iterable[Expression]:
        """Argument expressions."""
        yield from self.arguments.expressions()
        if self.meta is not None:
            yield self.meta
        if self.perform_event is not None:
            yield self.perform_event


class ActionTag(Tag):
    """Parse ``{% action … %}`` in every form Mechanic documents.

    A tag is a block when an ``endaction`` comes before the next ``action`` tag in the same token
    stream, whatever its arguments; otherwise it is inline (see docs/decisions.md, "Liquid dialect").
    """

    name = "action"
    end = "endaction"
    block = True
    node_class = ActionNode

    def parse(self, stream: TokenStream) -> ActionNode:
        """Parse one action tag (and its block)."""
        token = stream.expect(TOKEN_TAG, value=self.name)
        arguments = TagArguments()
        if expression_follows(stream):
            next(stream)
            arguments = parse_tag_arguments(self.env, stream.into_inner(tag=token, eat=False))
        meta = arguments.pop_keyword(META)
        perform_event = arguments.pop_keyword(PERFORM_EVENT)

        if next_tag_is_end(stream, self.name, self.end):
            if len(arguments.positional) > 1 or arguments.keywords:
                raise LiquidSyntaxError(
                    f"an action block takes only a type (and __meta or __perform_event); found {arguments}",
                    token=token,
                )
            block = parse_body(self.env, stream, token, self.end)
            return self.node_class(token, arguments, block, meta, perform_event)

        if not arguments.positional:
            raise LiquidSyntaxError(
                "an action needs a type, or must be a block closed by {% endaction %}", token=token
            )
        names = {name for name, _ in arguments.keywords}
        if len(arguments.positional) > 1 and names and not names <= {"meta"}:
            raise LiquidSyntaxError(
                "an action takes either positional options or named options, not both", token=token
            )
        return self.node_class(token, arguments, None, meta, perform_event)
