"""Acceptance statements 106-116 of the spec (§9, "Liquid"), one case each."""

from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter

import pytest
from liquidtools import render_text

from mechanic_kernel.liquid.render import Action
from mechanic_kernel.liquid.render import render

EMAIL_EXAMPLE = """{% liquid
  assign payload = hash
  assign payload["to"] = "hello@example.com"
  action "email", payload
  log "oh my!"
  action "email"
    echo '{"to": "hello@example.com"}'
  endaction
%}"""


@dataclass
class TextCase:
    """A statement about rendered text."""

    description: str
    source: str
    expect: str


TEXT_CASES = [
    TextCase(
        "106 array index and append",
        '{% assign x = array %}{% assign x[0] = "one" %}{% assign x[x.size] = "two" %}{{ x | json }}',
        '["one","two"]',
    ),
    TextCase(
        "107 hash keys literal and variable",
        '{% assign h = hash %}{% assign h["a"] = 1 %}{% assign k = "b" %}{% assign h[k] = 2 %}{{ h | json }}',
        '{"a":1,"b":2}',
    ),
    TextCase(
        "108 nested hash assignment",
        '{% assign h = hash %}{% assign h["x"] = hash %}{% assign h["x"]["y"] = 1 %}{{ h | json }}',
        '{"x":{"y":1}}',
    ),
    TextCase(
        "109 assignment by value",
        '{% assign a = hash %}{% assign b = hash %}{% assign b["a"] = a %}'
        '{% assign a["z"] = 1 %}{{ b | json }}',
        '{"a":{}}',
    ),
    TextCase("110 liquid tag log", '{% liquid log "oh my!" %}', '{"log":"oh my!"}'),
    TextCase(
        "111 positional action",
        '{% action "cache", "set", "foo", "bar" %}',
        '{"action":{"type":"cache","options":["set","foo","bar"]}}',
    ),
    TextCase("112 mapped log", '{% log message: "m", n: 1 %}', '{"log":{"message":"m","n":1}}'),
    TextCase(
        "116 split on newline handles CRLF",
        "{% capture s %}a\nb\r\nc{% endcapture %}{{ s | split: newline | json }}",
        '["a","b","c"]',
    ),
]


@pytest.mark.parametrize("case", TEXT_CASES, ids=attrgetter("description"))
def test_rendered_text(case: TextCase) -> None:
    """Rendered text."""
    assert render_text(case.source) == case.expect


def test_110_email_example() -> None:
    """110 email example."""
    email = '{"action":{"type":"email","options":{"to":"hello@example.com"}}}'
    assert render_text(EMAIL_EXAMPLE) == email + '{"log":"oh my!"}' + email
    result = render(EMAIL_EXAMPLE, {})
    assert result.actions == [Action("email", {"to": "hello@example.com"})] * 2
    assert result.logs == ["oh my!"]


def test_113_untyped_block_with_meta() -> None:
    """113 untyped block with meta."""
    result = render('{% action %}{"type":"echo","options":{"a":1},"meta":{"mode":"x"}}{% endaction %}', {})
    assert result.actions == [Action("echo", {"a": 1}, {"mode": "x"})]


def test_114_shopify_graphql_block() -> None:
    """114 shopify graphql block."""
    result = render('{% action "shopify" %} mutation { x } {% endaction %}', {})
    assert result.actions == [Action("shopify", "mutation { x }")]


def test_115_permissions() -> None:
    """115 permissions."""
    result = render("{% permissions %}read_orders, write_products{% endpermissions %}", {})
    assert result.permissions == ["read_orders", "write_products"]
    assert result.output == ""
    twice = render(
        "{% permissions %}read_orders{% endpermissions %}{% permissions %}write_products{% endpermissions %}",
        {},
    )
    assert twice.failure is not None and twice.failure.kind == "syntax"
