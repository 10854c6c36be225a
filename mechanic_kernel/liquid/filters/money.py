"""Shopify's money filters (amounts in cents, shop currency) and ``url_param_escape``.

Mechanic's filter list omits them, yet tasks in its public library call them (``| times: 100 | money``),
so the library could not preview without them; see docs/decisions.md ("Filters").
"""

from __future__ import annotations

from decimal import Decimal
from decimal import InvalidOperation
from typing import TYPE_CHECKING
from urllib.parse import quote

from liquid.filter import with_context

from mechanic_kernel.liquid.filters.arguments import input_error
from mechanic_kernel.liquid.filters.arguments import is_nil
from mechanic_kernel.liquid.filters.arguments import to_text
from mechanic_kernel.liquid.filters.arguments import type_name
from mechanic_kernel.liquid.filters.string import currency
from mechanic_kernel.liquid.runtime import runtime_of

if TYPE_CHECKING:
    from liquid import RenderContext


def _amount(name: str, cents: object) -> Decimal:
    if is_nil(cents):
        return Decimal(0)
    try:
        amount = Decimal(to_text(cents).strip()) / 100
    except InvalidOperation as err:
        got = f"{type_name(cents)} {to_text(cents)!r}"
        raise input_error(name, f"expected an amount in cents, got {got}") from err
    if not amount.is_finite():
        raise input_error(name, f"expected an amount in cents, got {to_text(cents)!r}")
    return amount


@with_context
def money(cents: object, *, context: RenderContext) -> str:
    """``1999 | money`` → ``$19.99`` in the shop's currency (Shopify takes amounts in cents)."""
    return currency(str(_amount("money", cents)), context=context)


@with_context
def money_with_currency(cents: object, *, context: RenderContext) -> str:
    """``1999 | money_with_currency`` → ``$19.99 USD``."""
    text = currency(str(_amount("money_with_currency", cents)), context=context)
    return f"{text} {runtime_of(context).currency.upper()}"


@with_context
def money_without_currency(cents: object, *, context: RenderContext) -> str:
    """``1999 | money_without_currency`` → ``19.99``."""
    return f"{_amount('money_without_currency', cents):.2f}"


@with_context
def money_without_trailing_zeros(cents: object, *, context: RenderContext) -> str:
    """``2000 | money_without_trailing_zeros`` → ``$20``; ``1999`` → ``$19.99``."""
    text = currency(str(_amount("money_without_trailing_zeros", cents)), context=context)
    for zeros in (".00", ",00"):
        if text.endswith(zeros):
            return text[: -len(zeros)]
    return text


def url_param_escape(value: object) -> str:
    """Escape a value for a URL query parameter (``&`` included): ``"a&b c"`` → ``a%26b%20c``."""
    return "" if is_nil(value) else quote(to_text(value), safe="")
