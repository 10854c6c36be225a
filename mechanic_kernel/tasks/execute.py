"""Render a task for one event: the single place that builds a task's Liquid variables (spec §5.5).

Preview uses it now; task runs use it the same way, so a preview and a run of the same event can only
differ by what the runtime says (``preview``, Shopify access) and by the cache.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING
from typing import Any

from ..liquid.limits import LimitedBuffer
from ..liquid.render import RenderError
from ..liquid.render import RenderResult
from ..liquid.render import environment
from ..liquid.render import render
from ..liquid.runtime import Runtime
from ..liquid.runtime import attach
from .options import discover
from .options import has_liquid
from .options import schema
from .options import typed_values

if TYPE_CHECKING:
    from ..models.events import Event
    from ..models.tasks import Task

# event.parent is chainable up to five generations and no further (spec §1.2).
MAX_PARENT_GENERATIONS = 5

# Admin action-link topics name their variable after the topic's last part, singular or plural (spec §1.3).
ADMIN_LINK_SUBJECTS = frozenset(
    {
        "customer",
        "customers",
        "order",
        "orders",
        "draft_order",
        "draft_orders",
        "product",
        "products",
        "variant",
        "variants",
        "collection",
    }
)

_IRREGULAR = {"addresses": "address", "statuses": "status", "taxes": "tax", "boxes": "box"}


def singular(word: str) -> str:
    """The singular of a Shopify subject (``inventory_levels`` → ``inventory_level``).

    Only the last ``_`` part changes; the rules cover the subjects of Shopify's webhook topics.
    """
    head, _, last = word.rpartition("_")
    prefix = f"{head}_" if head else ""
    if last in _IRREGULAR:
        return prefix + _IRREGULAR[last]
    if last.endswith("ies") and len(last) > 3:
        return prefix + last[:-3] + "y"
    if last.endswith(("sses", "ches", "shes", "xes")):
        return prefix + last[:-2]
    if last.endswith("s") and not last.endswith("ss"):
        return prefix + last[:-1]
    return word


def subject_variables(topic: str, data: Any) -> dict[str, Any]:
    """The subject variables of an event (spec §5.5): ``order`` for ``shopify/orders/create`` and so on.

    ``user/`` and third-party topics get none (the spec documents none for them; docs/decisions.md, "Tasks").
    """
    parts = topic.split("/")
    if len(parts) != 3:
        return {}
    domain, subject, verb = parts
    if domain == "shopify":
        return {singular(subject): data}
    if domain == "mechanic":
        if subject == "user" and verb in ADMIN_LINK_SUBJECTS:
            return {verb: data}
        if subject == "user" and verb == "form":
            return {"input": data}
        if (subject, verb) == ("emails", "received"):
            return {"email": data}
        if (subject, verb) == ("actions", "perform"):
            return {"action": data}
        if (subject, verb) == ("shopify", "bulk_operation"):
            return {"bulkOperation": data}
    return {}


def event_object(
    event: Event,
    *,
    parent_of: Callable[[str], Event | None] | None = None,
    preview: bool = False,
    generations: int = MAX_PARENT_GENERATIONS,
) -> dict[str, Any]:
    """The Liquid ``event`` object of a stored event, with ``parent`` nested up to five generations.

    Args:
        event: the event.
        parent_of: looks up an event by id (``store.events.get``); without it ``parent`` is nil.
        preview: add ``preview: true`` (only preview events carry the key at all, spec §1.2).
        generations: how many parent generations may still be nested.
    """
    parent = None
    if event.parent_id and parent_of is not None and generations > 0:
        found = parent_of(event.parent_id)
        if found is not None:
            parent = event_object(found, parent_of=parent_of, generations=generations - 1)
    obj: dict[str, Any] = {
        "id": event.id,
        "topic": event.topic,
        "data": event.data,
        "source": event.source,
        "created_at": event.created_at,
        "webhook_request_id": event.webhook_request_id,
        "parent": parent,
    }
    if preview:
        obj["preview"] = True
    return obj


@lru_cache(maxsize=512)
def _option_fields(*sources: str | None) -> list[Any]:
    return schema(discover(*sources))


def option_values(task: Task) -> dict[str, Any]:
    """The task's option values typed as task code sees them (numbers for ``__number``…)."""
    fields = _option_fields(
        task.script, task.subscriptions_template, task.online_store_javascript, task.order_status_javascript
    )
    return typed_values(fields, task.options)


@lru_cache(maxsize=2048)
def parse_text(source: str) -> Any:
    """Parse a short Liquid text (subscriptions template, option value), cached apart from scripts.

    Scripts have the dialect's own cache (``parse_template``); sharing it with the ~400 templates and option
    values of a library-sized workbench would make them evict each other on every pass over the tasks.

    Raises:
        LiquidError: the text is not valid Mechanic Liquid.
    """
    return environment().from_string(source)


def render_text(source: str, variables: dict[str, Any], runtime: Runtime | None = None) -> str:
    """Render Liquid as plain text (no object stream), under ``runtime`` when given.

    Raises:
        LiquidError: any syntax or render error.
    """
    runtime = runtime if runtime is not None else Runtime()
    template = parse_text(source)
    context = template.context_class(template, globals=template.make_globals(variables))
    attach(context, runtime)
    buffer = LimitedBuffer(runtime)
    template.render_with_context(context, buffer)
    return buffer.getvalue()


def _render_value(value: Any, variables: dict[str, Any], runtime: Runtime) -> Any:
    if isinstance(value, str):
        return render_text(value, variables, runtime) if "{{" in value or "{%" in value else value
    if isinstance(value, list):
        return [_render_value(item, variables, runtime) for item in value]
    if isinstance(value, dict):
        return {key: _render_value(item, variables, runtime) for key, item in value.items()}
    return value


def render_options(
    options: Mapping[str, Any],
    variables: dict[str, Any],
    runtime: Runtime,
) -> tuple[dict[str, Any], RenderError | None]:
    """Render the Liquid in text-bearing option values, before the task code (spec §1.6).

    Option values see every variable of the task except ``options`` itself (so ``{{ options.x }}`` inside
    a value renders empty). Strings are rendered wherever they are: plain values, array items, hash values.

    Returns:
        ``(rendered options, None)``, or the options so far and the error of the first value that failed.
    """
    rendered: dict[str, Any] = {}
    scope = {key: value for key, value in variables.items() if key != "options"}
    for key, value in options.items():
        if not has_liquid(value):
            rendered[key] = value
            continue
        try:
            rendered[key] = _render_value(value, scope, runtime)
        except Exception as err:  # noqa: BLE001 - reported like any render failure of the task
            message = getattr(err, "message", None) or str(err)
            return rendered, RenderError(f"option {key}: {message}", None, "render")
    return rendered, None


def task_variables(
    task: Task,
    event: dict[str, Any],
    *,
    shop: Mapping[str, Any],
    cache: Mapping[str, Any] | None,
    globals_: Mapping[str, Any] | None = None,
    secrets: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Every variable of a task render except the rendered options (spec §5.5), in override order.

    Subject variables come after the fixed ones, so ``shopify/shop/update`` makes ``shop`` the payload, as
    a subject variable named like an environment variable would in Mechanic; ``extra`` overrides all.
    """
    variables: dict[str, Any] = {
        "event": event,
        "shop": dict(shop),
        "cache": cache,
        "globals": dict(globals_ or {}),
        "secrets": secrets if secrets is not None else {},
        "task": task.liquid_object(),
        "options": task.options,
    }
    variables.update(subject_variables(str(event.get("topic") or ""), event.get("data")))
    if extra:
        variables.update(extra)
    return variables


def render_task(
    task: Task,
    event: dict[str, Any],
    *,
    shop: Mapping[str, Any],
    cache: Mapping[str, Any] | None,
    runtime: Runtime,
    extra: dict[str, Any] | None = None,
    globals_: Mapping[str, Any] | None = None,
    secrets: Mapping[str, Any] | None = None,
) -> RenderResult:
    """Render ``task`` for one event and return the actions, logs and errors it produced.

    Args:
        task: the task (its script and option values are used as they are now: offset task runs see the
            latest configuration, spec §1.4).
        event: the Liquid ``event`` object (see :func:`event_object`); ``preview: True`` only in preview.
        shop: the ``shop`` object (:func:`mechanic_kernel.shop.shop_object`).
        cache: read-only cache contents; None in preview (the cache is unavailable there).
        runtime: clock, zone, preview flag and Shopify access of this render.
        extra: more variables (``input`` for user forms…), applied last.
        globals_: the shop's globals (empty when None).
        secrets: the ``secrets`` object (:class:`mechanic_kernel.liquid.secrets.Secrets`; empty when None).

    Returns:
        The render result; never raises for a bad script or option value (see ``result.failure``).
    """
    variables = task_variables(
        task, event, shop=shop, cache=cache, globals_=globals_, secrets=secrets, extra=extra
    )
    options, failure = render_options(option_values(task), variables, runtime)
    if failure is not None:
        return RenderResult(failure=failure)
    variables["options"] = options
    return render(task.script, variables, runtime)
