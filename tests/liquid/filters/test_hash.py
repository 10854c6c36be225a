"""Hash filters: keys, values, and the hash forms of compact, except and slice."""

from __future__ import annotations

from operator import attrgetter

import pytest
from filtertools import Case
from filtertools import check
from liquid.exceptions import FilterError

H = {"foo": 1, "bar": 2, "baz": None, "nested": {"x": None}}

CASES = [
    Case(
        "except keys (statement 124)",
        '{{ h | except: "bar", "baz" | json }}',
        {"h": H},
        '{"foo":1,"nested":{"x":null}}',
    ),
    Case("except missing key", '{{ h | except: "nope" | json }}', {"h": {"a": 1}}, '{"a":1}'),
    Case(
        "except array of keys",
        "{{ h | except: ks | json }}",
        {"h": {"a": 1, "b": 2}, "ks": ["a"]},
        '{"b":2}',
    ),
    Case(
        "except leaves input unchanged",
        '{% assign g = h | except: "a" %}{{ h | json }}',
        {"h": {"a": 1}},
        '{"a":1}',
    ),
    Case("slice keys (statement 124)", '{{ h | slice: "bar" | json }}', {"h": H}, '{"bar":2}'),
    Case(
        "slice keeps named order",
        '{{ h | slice: "bar", "foo", "nope" | json }}',
        {"h": H},
        '{"bar":2,"foo":1}',
    ),
    Case("slice nil value kept", '{{ h | slice: "baz" | json }}', {"h": H}, '{"baz":null}'),
    Case(
        "compact top level only (statement 124)",
        "{{ h | compact | json }}",
        {"h": H},
        '{"foo":1,"bar":2,"nested":{"x":null}}',
    ),
    Case("compact keeps false", "{{ h | compact | json }}", {"h": {"a": False, "b": None}}, '{"a":false}'),
    Case("keys", "{{ h | keys | json }}", {"h": {"b": 1, "a": 2}}, '["b","a"]'),
    Case("values", "{{ h | values | json }}", {"h": {"b": 1, "a": [2]}}, "[1,[2]]"),
    Case("keys empty", "{{ h | keys | json }}", {"h": {}}, "[]"),
    Case("keys of array", "{{ a | keys }}", {"a": [1]}, FilterError),
    Case("values of string", '{{ "x" | values }}', {}, FilterError),
    Case("keys of nil", "{{ nope | keys | json }}", {}, "null"),
    Case("values of nil with default", "{{ nope | values | default: 'none' }}", {}, "none"),
    Case("keys of parsed json", "{{ s | parse_json | keys | join: ',' }}", {"s": '{"a":1,"b":2}'}, "a,b"),
]


@pytest.mark.parametrize("case", CASES, ids=attrgetter("description"))
def test_hash_filters(case: Case) -> None:
    check(case)
