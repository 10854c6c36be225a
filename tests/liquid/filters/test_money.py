"""Shopify's money filters and url_param_escape."""

from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import pytest
from filtertools import render
from liquid.exceptions import LiquidError


@dataclass
class Case:
    description: str
    template: str
    expect: Any
    data: dict[str, Any] | None = None


CASES = [
    Case("money from cents", "{{ 1999 | money }}", "$19.99"),
    Case("money from a string of cents", '{{ "250000" | money }}', "$2,500.00"),
    Case("money of nil is zero", "{{ nope | money }}", "$0.00"),
    Case("money with currency", "{{ 1999 | money_with_currency }}", "$19.99 USD"),
    Case("money without currency", "{{ 5 | money_without_currency }}", "0.05"),
    Case("trailing zeros dropped", "{{ 2000 | money_without_trailing_zeros }}", "$20"),
    Case("trailing zeros kept when needed", "{{ 2050 | money_without_trailing_zeros }}", "$20.50"),
    Case("the library's idiom", "{{ price | times: 100 | money }}", "$19.99", {"price": "19.99"}),
    Case("money of text", '{{ "ten" | money }}', LiquidError),
    Case("url_param_escape", '{{ "a&b c/d?" | url_param_escape }}', "a%26b%20c%2Fd%3F"),
    Case("url_param_escape of nil", "{{ nope | url_param_escape }}", ""),
]


@pytest.mark.parametrize("case", CASES, ids=attrgetter("description"))
def test_money(case: Case) -> None:
    if isinstance(case.expect, type):
        with pytest.raises(case.expect, match="money: expected an amount in cents"):
            render(case.template, case.data or {})
    else:
        assert render(case.template, case.data or {}) == case.expect
