"""The shopify filter: queries are always recorded; a request is made only outside preview."""

from __future__ import annotations

from typing import Any

import pytest
from filtertools import make_runtime
from filtertools import render
from liquid.exceptions import FilterArgumentError
from liquid.exceptions import FilterError

from mechanic_kernel.liquid.runtime import Runtime

QUERY = "query { shop { name } }"


def fake_shopify(calls: list[tuple[str, Any]]) -> Any:
    def call(query: str, variables: Any) -> dict[str, Any]:
        calls.append((query, variables))
        return {"data": {"shop": {"name": "Local"}}, "extensions": {"cost": {"requestedQueryCost": 1}}}

    return call


def test_returns_the_response_and_records_the_query() -> None:
    calls: list[tuple[str, Any]] = []
    runtime = make_runtime(shopify=fake_shopify(calls))
    rendered = render("{% assign r = q | shopify %}{{ r.data.shop.name }}", {"q": QUERY}, runtime)
    assert rendered == "Local"
    assert calls == [(QUERY, None)]
    assert runtime.shopify_queries == [{"query": QUERY, "variables": None}]


def test_variables_keyword() -> None:
    calls: list[tuple[str, Any]] = []
    runtime = make_runtime(shopify=fake_shopify(calls))
    render("{{ q | shopify: variables: v | json }}", {"q": QUERY, "v": {"id": 1}}, runtime)
    assert calls == [(QUERY, {"id": 1})]


def test_variables_in_options_hash() -> None:
    calls: list[tuple[str, Any]] = []
    runtime = make_runtime(shopify=fake_shopify(calls))
    render("{{ q | shopify: opts | json }}", {"q": QUERY, "opts": {"variables": {"id": 2}}}, runtime)
    assert calls == [(QUERY, {"id": 2})]
    assert runtime.shopify_queries[0]["variables"] == {"id": 2}


def test_preview_makes_no_request_but_records() -> None:
    calls: list[tuple[str, Any]] = []
    runtime = make_runtime(shopify=fake_shopify(calls), preview=True)
    assert render("{{ q | shopify | json }}", {"q": QUERY}, runtime) == "null"
    assert calls == []
    assert runtime.shopify_queries == [{"query": QUERY, "variables": None}]


def test_no_client_returns_nil(runtime: Runtime) -> None:
    assert render("{{ q | shopify | json }}", {"q": QUERY}, runtime) == "null"
    assert len(runtime.shopify_queries) == 1


def test_every_query_is_recorded_in_order() -> None:
    runtime = make_runtime(preview=True)
    render('{{ "query { a }" | shopify }}{{ "query { b }" | shopify }}', {}, runtime)
    assert [entry["query"] for entry in runtime.shopify_queries] == ["query { a }", "query { b }"]


@pytest.mark.parametrize(
    ("template", "data", "error"),
    [
        ("{{ nope | shopify }}", {}, FilterError),
        ("{{ h | shopify }}", {"h": {"query": QUERY}}, FilterError),
        ("{{ q | shopify: variables: 5 }}", {"q": QUERY}, FilterArgumentError),
        ("{{ q | shopify: 'x' }}", {"q": QUERY}, FilterArgumentError),
        ("{{ q | shopify: o, variables: v }}", {"q": QUERY, "o": {}, "v": {}}, FilterArgumentError),
    ],
    ids=["nil query", "hash query", "variables not a hash", "options not a hash", "variables twice"],
)
def test_bad_arguments(template: str, data: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        render(template, data, make_runtime())
