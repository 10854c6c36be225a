"""Render a Mechanic task script and read its result: actions, logs, errors, permissions, Shopify queries.

This is the API the rest of the kernel uses::

    result = render(task.script, {"event": ..., "shop": ...}, Runtime(preview=True))
    if result.failure: ...          # the script did not render (syntax, render, limit or output error)
    for action in result.actions: ...
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from dataclasses import field
from functools import lru_cache
from typing import Any

from liquid import BoundTemplate
from liquid.exceptions import LiquidError
from liquid.exceptions import LocalNamespaceLimitError
from liquid.exceptions import ResourceLimitError

from mechanic_kernel.liquid.environment import MechanicEnvironment
from mechanic_kernel.liquid.limits import LimitedBuffer
from mechanic_kernel.liquid.limits import RenderLimitError
from mechanic_kernel.liquid.output import OutputError
from mechanic_kernel.liquid.output import parse_output
from mechanic_kernel.liquid.runtime import Runtime
from mechanic_kernel.liquid.runtime import attach
from mechanic_kernel.liquid.strip import strip_mechanic_tags
from mechanic_kernel.liquid.tags.action_tag import _UNSET
from mechanic_kernel.liquid.tags.action_tag import split_control_params

__all__ = [
    "Action",
    "RenderError",
    "RenderResult",
    "environment",
    "parse_template",
    "render",
    "render_text",
    "strip_mechanic_tags",
]

# How many parsed scripts to keep; parsing costs 2-15 ms, a cached template is reused by every render.
TEMPLATE_CACHE_SIZE = 512


@dataclass
class Action:
    """One action object a script rendered.

    Attributes:
        type: the action type (``"echo"``, ``"http"``, ``"shopify"``…).
        options: the action's options, any JSON value.
        meta: the action's meta value, or None.
        perform_event: False when the script asked (``__perform_event: false``) for no
            ``mechanic/actions/perform`` event after this action.
    """

    type: str
    options: Any
    meta: Any = None
    perform_event: bool = True

    def to_dict(self) -> dict[str, Any]:
        """``{"type", "options"}``, plus ``"meta"`` when there is one (Mechanic's action object)."""
        action: dict[str, Any] = {"type": self.type, "options": self.options}
        if self.meta is not None:
            action["meta"] = self.meta
        return action


@dataclass
class RenderError:
    """Why a render failed.

    Attributes:
        message: what went wrong, for people.
        line: the 1-based line of the script (of the rendered output when ``kind == "output"``), if known.
        kind: ``"syntax"`` (the script does not parse), ``"render"`` (an error while rendering),
            ``"limit"`` (a render limit was reached) or ``"output"`` (the output is not a stream of objects).
        limit: for ``kind == "limit"``, which limit: ``"loop_iterations"``, ``"output_size"``,
            ``"render_time"`` or ``"memory"``.
    """

    message: str
    line: int | None
    kind: str
    limit: str | None = None


@dataclass
class RenderResult:
    """Everything a render produced.

    Attributes:
        actions: action objects, in rendered order.
        logs: values of ``{"log": …}`` objects, in order.
        errors: values of ``{"error": …}`` objects, in order (any error fails the task run).
        output: the raw rendered text.
        failure: set when rendering itself failed; objects rendered before the failure are still listed.
        permissions: scopes from the ``permissions`` block (and any recorded by tags or filters).
        shopify_queries: queries the ``shopify`` filter was given, as the runtime recorded them.
    """

    actions: list[Action] = field(default_factory=list)
    logs: list[Any] = field(default_factory=list)
    errors: list[Any] = field(default_factory=list)
    output: str = ""
    failure: RenderError | None = None
    permissions: list[str] = field(default_factory=list)
    shopify_queries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the render succeeded and the script rendered no error object."""
        return self.failure is None and not self.errors


@lru_cache(maxsize=1)
def environment() -> MechanicEnvironment:
    """The shared Mechanic Liquid environment (built on first use, so importing this module is cheap)."""
    return MechanicEnvironment()


@lru_cache(maxsize=TEMPLATE_CACHE_SIZE)
def parse_template(source: str) -> BoundTemplate:
    """Parse a script, caching the result by its source text.

    Raises:
        liquid.exceptions.LiquidSyntaxError: the script is not valid Mechanic Liquid.
    """
    return environment().from_string(source)


def _line(err: LiquidError) -> int | None:
    try:
        context = err.context()
    except ValueError:
        return None
    return context[0] if context else None


def _message(err: BaseException) -> str:
    if isinstance(err, LiquidError):
        return str(err.message)
    return f"{type(err).__name__}: {err}"


def _failure(err: BaseException) -> RenderError:
    if isinstance(err, RenderLimitError):
        return RenderError(_message(err), _line(err), "limit", err.limit)
    if isinstance(err, LocalNamespaceLimitError):
        return RenderError(
            "memory limit reached (assigned values are too large)", _line(err), "limit", "memory"
        )
    if isinstance(err, ResourceLimitError):
        return RenderError(_message(err), _line(err), "limit", "resources")
    if isinstance(err, RecursionError):
        return RenderError("the script nests too deeply", None, "limit", "resources")
    if isinstance(err, LiquidError):
        return RenderError(_message(err), _line(err), "render")
    return RenderError(_message(err), None, "render")


def _action(value: Any) -> Action:
    if not isinstance(value, dict) or not isinstance(value.get("type"), str):
        raise ValueError('an action object needs a string "type"')
    options, inner_meta, inner_perform = split_control_params(value.get("options"))
    meta = value.get("meta")
    if meta is None and inner_meta is not _UNSET:
        meta = inner_meta
    perform = (
        value.get("perform_event", True) is not False and value.get("__perform_event", True) is not False
    )
    if inner_perform is not _UNSET and (inner_perform is False or inner_perform is None):
        perform = False
    return Action(value["type"], options, meta, perform)


def _collect(result: RenderResult) -> None:
    try:
        objects = parse_output(result.output)
    except OutputError as err:
        if result.failure is None:
            result.failure = RenderError(err.message, err.line, "output")
        objects = err.objects
    for key, value in objects:
        if key == "action":
            try:
                result.actions.append(_action(value))
            except ValueError as err:
                if result.failure is None:
                    result.failure = RenderError(f"{err}: {value!r:.80}", None, "output")
        elif key == "log":
            result.logs.append(value)
        else:
            result.errors.append(value)


def _render_into(
    template: BoundTemplate, variables: dict[str, Any], runtime: Runtime, buffer: LimitedBuffer
) -> None:
    """Render with ``runtime`` attached: a fresh loop count, and a deadline unless the caller set one.

    Raises:
        Exception: whatever the render raised (LiquidError for syntax, render and limit errors).
    """
    runtime.loop_iterations = 0
    # A deadline we set is cleared afterwards, so a runtime reused for another render gets a new one.
    own_deadline = runtime.deadline is None and runtime.render_timeout is not None
    if own_deadline:
        runtime.deadline = time.monotonic() + runtime.render_timeout
    try:
        context = template.context_class(template, globals=template.make_globals(variables))
        attach(context, runtime)
        template.render_with_context(context, buffer)
    finally:
        if own_deadline:
            runtime.deadline = None


def render_text(source: str, variables: dict[str, Any], runtime: Runtime | None = None) -> str:
    """Render Liquid as plain text (option values, subscriptions, event filters) with the dialect's limits.

    Unlike :func:`render`, the text is not read as an object stream, and errors are raised.

    Args:
        source: the Liquid text.
        variables: the render's variables; never modified.
        runtime: as for :func:`render`.

    Returns:
        The rendered text.

    Raises:
        liquid.exceptions.LiquidError: a syntax, render or limit error (a limit raises a
            ``ResourceLimitError``, usually :class:`~mechanic_kernel.liquid.limits.RenderLimitError`).
    """
    runtime = runtime if runtime is not None else Runtime()
    buffer = LimitedBuffer(runtime)
    _render_into(parse_template(source), variables, runtime, buffer)
    return buffer.getvalue()


def render(source: str, variables: dict[str, Any], runtime: Runtime | None = None) -> RenderResult:
    """Render a task script and read the objects it produced.

    Never raises for a bad script: syntax errors, render errors, limit breaches and malformed output all
    come back as ``result.failure``.

    Args:
        source: the script.
        variables: the render's variables (``event``, ``shop``, ``options``…); never modified.
        runtime: the render's runtime; a default one when None. When its ``deadline`` is None and its
            ``render_timeout`` is set, the render's deadline is now plus the timeout (and ``deadline`` is
            None again afterwards). Its loop iteration count starts from zero.

    Returns:
        The result; check ``result.ok`` or ``result.failure``.
    """
    runtime = runtime if runtime is not None else Runtime()
    result = RenderResult()
    try:
        template = parse_template(source)
    except LiquidError as err:
        result.failure = RenderError(_message(err), _line(err), "syntax")
        return result

    for scope in getattr(template, "permissions", ()):
        if scope not in runtime.permissions:
            runtime.permissions.append(scope)
    buffer = LimitedBuffer(runtime)
    try:
        _render_into(template, variables, runtime, buffer)
    except Exception as err:  # noqa: BLE001 - a task's failure must never escape as an exception
        result.failure = _failure(err)

    result.output = buffer.getvalue()
    _collect(result)
    result.permissions = list(runtime.permissions)
    result.shopify_queries = list(runtime.shopify_queries)
    return result
