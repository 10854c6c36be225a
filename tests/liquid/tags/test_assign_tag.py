"""The extended assign tag: subscripts, nesting, by-value copies, and the host's data left alone."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from dataclasses import field
from operator import attrgetter
from typing import Any

import pytest

from mechanic_kernel.liquid.render import parse_template
from mechanic_kernel.liquid.render import render


@dataclass
class Case:
    """A script and the text it renders."""

    description: str
    source: str
    expect: str
    variables: dict[str, Any] = field(default_factory=dict)


TEST_CASES = [
    Case("plain", '{% assign x = "a" %}{{ x }}', "a"),
    Case("array index", '{% assign x = array %}{% assign x[0] = "one" %}{{ x | json }}', '["one"]'),
    Case(
        "append idiom",
        "{% assign x = array %}{% assign x[x.size] = 1 %}{% assign x[x.size] = 2 %}{{ x | json }}",
        "[1,2]",
    ),
    Case(
        "variable index", "{% assign x = array %}{% assign i = 0 %}{% assign x[i] = 5 %}{{ x | json }}", "[5]"
    ),
    Case(
        "negative index",
        "{% assign x = array %}{% assign x[0] = 1 %}{% assign x[-1] = 2 %}{{ x | json }}",
        "[2]",
    ),
    Case("gap filled with nil", "{% assign x = array %}{% assign x[2] = 1 %}{{ x | json }}", "[null,null,1]"),
    Case("string key", '{% assign h = hash %}{% assign h["k"] = 1 %}{{ h | json }}', '{"k":1}'),
    Case(
        "variable key",
        '{% assign h = hash %}{% assign k = "b" %}{% assign h[k] = 2 %}{{ h | json }}',
        '{"b":2}',
    ),
    Case("integer key on a hash", "{% assign h = hash %}{% assign h[1] = 2 %}{{ h | json }}", '{"1":2}'),
    Case(
        "boolean key on a hash",
        "{% assign h = hash %}{% assign t = true %}{% assign h[t] = 2 %}{{ h | json }}",
        '{"true":2}',
    ),
    Case(
        "replace then append in an array",
        "{% assign a = array %}{% assign a[0] = 1 %}{% assign a[0] = 2 %}{% assign a[1] = 3 %}{{ a | json }}",
        "[2,3]",
    ),
    Case(
        "nested",
        '{% assign h = hash %}{% assign h["x"] = hash %}{% assign h["x"]["y"] = 1 %}{{ h | json }}',
        '{"x":{"y":1}}',
    ),
    Case(
        "dotted then subscript",
        '{% assign h = hash %}{% assign h["x"] = hash %}{% assign h.x["y"] = 1 %}{{ h | json }}',
        '{"x":{"y":1}}',
    ),
    Case("dotted target", "{% assign h = hash %}{% assign h.x = 1 %}{{ h | json }}", '{"x":1}'),
    Case(
        "nested array",
        '{% assign h = hash %}{% assign h["a"] = array %}{% assign h["a"][0] = 1 %}{{ h | json }}',
        '{"a":[1]}',
    ),
    Case(
        "by value into a container",
        '{% assign a = hash %}{% assign b = hash %}{% assign b["a"] = a %}'
        '{% assign a["z"] = 1 %}{{ b | json }}',
        '{"a":{}}',
    ),
    Case(
        "by value plain assign",
        '{% assign a = hash %}{% assign b = a %}{% assign b["x"] = 1 %}{{ a | json }}{{ b | json }}',
        '{}{"x":1}',
    ),
    Case(
        "by value from nested data and back",
        '{% assign a = \'{"x":{"y":[1]}}\' | parse_json %}{% assign b = a.x %}{% assign b["y"][0] = 2 %}'
        '{% assign a["x"]["y"][1] = 3 %}{{ a | json }}{{ b | json }}',
        '{"x":{"y":[1,3]}}{"y":[2]}',
    ),
    Case(
        "a parse_json result is the variable's own",
        "{% assign s = '[{\"k\":1}]' %}{% assign a = s | parse_json %}{% assign b = s | parse_json %}"
        '{% assign a[0]["k"] = 2 %}{{ a | json }}{{ b | json }}',
        '[{"k":2}][{"k":1}]',
    ),
    Case(
        "nil inside copied data stays nil",
        "{% assign a = array %}{% assign a[1] = nope %}{% assign b = a %}{{ b | json }}",
        "[null,null]",
    ),
    Case(
        "hash keyword is fresh",
        '{% assign a = hash %}{% assign b = hash %}{% assign a["x"] = 1 %}{{ b | json }}',
        "{}",
    ),
    Case(
        "array keyword is fresh",
        "{% assign a = array %}{% assign b = array %}{% assign a[0] = 1 %}{{ b | json }}",
        "[]",
    ),
    Case(
        "into render data",
        '{% assign event["x"] = 1 %}{{ event | json }}',
        '{"a":{"b":1},"x":1}',
        {"event": {"a": {"b": 1}}},
    ),
    Case(
        "into nested render data",
        '{% assign event.a["b"] = 2 %}{{ event.a.b }}',
        "2",
        {"event": {"a": {"b": 1}}},
    ),
    Case("multi-line with filters", '{% assign x\n  = "a"\n  | upcase\n%}{{ x }}', "A"),
    Case("limit as a name", "{% assign limit = 5 %}{{ limit }}", "5"),
    Case(
        "undefined becomes nil",
        '{% assign h = hash %}{% assign h["a"] = nope %}{% assign x = nope %}{{ h | json }}{{ x | json }}',
        '{"a":null}null',
    ),
    Case("offset as a name", "{% assign offset = 2 %}{{ offset | plus: 1 }}", "3"),
    Case(
        "into a name called limit", '{% assign limit = hash %}{% assign limit["a"] = 1 %}{{ limit.a }}', "1"
    ),
]


@pytest.mark.parametrize("case", TEST_CASES, ids=attrgetter("description"))
def test_assign(case: Case) -> None:
    """Assign."""
    assert parse_template(case.source).render(**case.variables) == case.expect


def test_host_data_is_never_mutated() -> None:
    """Host data is never mutated."""
    event = {"order": {"tags": ["a"], "note": {"x": 1}}}
    before = copy.deepcopy(event)
    source = (
        '{% assign event["order"]["tags"][1] = "b" %}{% assign order = event.order %}'
        '{% assign order["note"]["x"] = 2 %}{% assign event.order.note["y"] = 3 %}'
    )
    result = render(source, {"event": event})
    assert result.failure is None
    assert event == before


@dataclass
class ErrorCase:
    """An assignment that cannot work."""

    description: str
    source: str
    message: str


ERROR_CASES = [
    ErrorCase("into a string", '{% assign s = "x" %}{% assign s["k"] = 1 %}', "not a hash or an array"),
    ErrorCase("into nil", '{% assign nope["k"] = 1 %}', "not a hash or an array"),
    ErrorCase(
        "through a missing key", '{% assign h = hash %}{% assign h["a"]["b"] = 1 %}', "cannot assign into h.a"
    ),
    ErrorCase(
        "string key on an array", '{% assign a = array %}{% assign a["x"] = 1 %}', "must be an integer"
    ),
    ErrorCase("negative index out of range", "{% assign a = array %}{% assign a[-2] = 1 %}", "out of range"),
]


@pytest.mark.parametrize("case", ERROR_CASES, ids=attrgetter("description"))
def test_assign_errors(case: ErrorCase) -> None:
    """Assign errors."""
    result = render(case.source, {})
    assert result.failure is not None
    assert result.failure.kind == "render"
    assert result.failure.line == 1
    assert case.message in result.failure.message


def test_assign_without_target_is_a_syntax_error() -> None:
    """Assign without target is a syntax error."""
    result = render('{% assign "x" = 1 %}', {})
    assert result.failure is not None and result.failure.kind == "syntax"
