"""The ``shopify`` filter: run a GraphQL query against the shop from inside task code."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING
from typing import Any

from liquid.filter import with_context

from mechanic_kernel.liquid.filters.arguments import argument_error
from mechanic_kernel.liquid.filters.arguments import input_error
from mechanic_kernel.liquid.filters.arguments import is_nil
from mechanic_kernel.liquid.filters.arguments import type_name
from mechanic_kernel.liquid.runtime import runtime_of

if TYPE_CHECKING:
    from liquid import RenderContext

_UNSET = object()


@with_context
def shopify(
    value: object, options: object = _UNSET, *, context: RenderContext, variables: object = _UNSET
) -> Any:
    """Run a GraphQL query and return Shopify's full response (``data``, ``errors``, ``extensions``).

    Every query is recorded in ``Runtime.shopify_queries`` (also in preview) because Mechanic reads
    them to work out the task's permissions. No request is made in preview or when no Shopify client
    is configured; the result is then nil, and tasks substitute stub data as they do in Mechanic.

    Args:
        value: the GraphQL document.
        options: a hash with a ``variables`` key (``shopify: options``).
        context: the render context.
        variables: the query's variables (``shopify: variables: vars``).

    Returns:
        The response from ``Runtime.shopify``, or nil.

    Raises:
        FilterError: the query is not a string.
        FilterArgumentError: variables are given twice or are not a hash.
    """
    if not isinstance(value, str) or not value.strip():
        raise input_error("shopify", f"expected a GraphQL query string, got {type_name(value)}")
    if options is not _UNSET and variables is not _UNSET:
        raise argument_error(
            "shopify", "give variables either as `variables:` or in an options hash, not both"
        )
    if options is not _UNSET and not is_nil(options):
        if not isinstance(options, Mapping):
            raise argument_error(
                "shopify", f"expected an options hash with \"variables\", got {type_name(options)}"
            )
        variables = options.get("variables")
    if variables is _UNSET or is_nil(variables):
        variables = None
    elif not isinstance(variables, Mapping):
        raise argument_error("shopify", f"variables must be a hash, got {type_name(variables)}")
    runtime = runtime_of(context)
    runtime.shopify_queries.append({"query": value, "variables": variables})
    if runtime.preview or runtime.shopify is None:
        return None
    return runtime.shopify(value, variables)
