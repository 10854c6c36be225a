"""The action tag: every documented form, control parameters and error cases."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from operator import attrgetter
from typing import Any

import pytest

from mechanic_kernel.liquid.render import RenderResult
from mechanic_kernel.liquid.render import render

VARIABLES = {
    "csv": "a,b",
    "q": "query { shop { name } }",
    "v": {"id": 1},
    "opts": {"url": "https://example.com"},
    "m": {"mode": "x"},
    "some_hash": {"foo": "bar"},
    "a": 1,
    "b": 2,
    "c": 3,
}


def run(source: str, variables: dict[str, Any] | None = None) -> RenderResult:
    """Render ``source`` with the public API."""
    return render(source, variables or {})


@dataclass
class Case:
    """One action script and the action(s) it must produce."""

    description: str
    source: str
    expect: list[dict[str, Any]]
    perform_event: list[bool] = field(default_factory=list)


TEST_CASES = [
    Case(
        "block untyped",
        '{% action %}{"type":"http","options":{"a":1},"meta":{"m":2}}{% endaction %}',
        [{"type": "http", "options": {"a": 1}, "meta": {"m": 2}}],
    ),
    Case(
        "block typed",
        '{% action "http" %}{"method": "get", "url": "{{ opts.url }}"}{% endaction %}',
        [{"type": "http", "options": {"method": "get", "url": "https://example.com"}}],
    ),
    Case(
        "block typed shopify graphql string",
        '{% action "shopify" %}\n  mutation { x }\n{% endaction %}',
        [{"type": "shopify", "options": "mutation { x }"}],
    ),
    Case(
        "block typed shopify anonymous graphql query",
        '{% action "shopify" %} { shop { name } } {% endaction %}',
        [{"type": "shopify", "options": "{ shop { name } }"}],
    ),
    Case(
        "block typed shopify json array",
        '{% action "shopify" %}\n["mutation { x }", {"a": 1}]{% endaction %}',
        [{"type": "shopify", "options": ["mutation { x }", {"a": 1}]}],
    ),
    Case(
        "block typed shopify empty body",
        '{% action "shopify" %}\n{% endaction %}',
        [{"type": "shopify", "options": None}],
    ),
    Case(
        "block typed shopify json",
        '{% action "shopify" %}{"query": "q", "variables": {}}{% endaction %}',
        [{"type": "shopify", "options": {"query": "q", "variables": {}}}],
    ),
    Case(
        "block typed empty body", '{% action "echo" %} {% endaction %}', [{"type": "echo", "options": None}]
    ),
    Case(
        "positional",
        '{% action "cache", "set", "foo", "bar" %}',
        [{"type": "cache", "options": ["set", "foo", "bar"]}],
    ),
    Case(
        "mapped",
        '{% action "echo", foo: "bar", baz: "qux" %}',
        [{"type": "echo", "options": {"foo": "bar", "baz": "qux"}}],
    ),
    Case("single string", '{% action "echo", "foo" %}', [{"type": "echo", "options": "foo"}]),
    Case("single hash", '{% action "echo", some_hash %}', [{"type": "echo", "options": {"foo": "bar"}}]),
    Case("no comma after type", '{% action "echo" csv %}', [{"type": "echo", "options": "a,b"}]),
    Case("no commas at all", '{% action "echo" "x" "y" %}', [{"type": "echo", "options": ["x", "y"]}]),
    Case(
        "no comma mapped",
        '{% action "shopify" query: q, variables: v %}',
        [{"type": "shopify", "options": {"query": "query { shop { name } }", "variables": {"id": 1}}}],
    ),
    Case("no comma positional", '{% action "echo" a, b, c %}', [{"type": "echo", "options": [1, 2, 3]}]),
    Case(
        "options and meta keywords",
        '{% action "http", options: opts, meta: m %}',
        [{"type": "http", "options": {"url": "https://example.com"}, "meta": {"mode": "x"}}],
    ),
    Case(
        "hash then value is options and meta",
        '{% action "http", opts, m %}',
        [{"type": "http", "options": {"url": "https://example.com"}, "meta": {"mode": "x"}}],
    ),
    Case(
        "__meta with positional",
        '{% action "cache", "set", "foo", "bar", __meta: m, __perform_event: false %}',
        [{"type": "cache", "options": ["set", "foo", "bar"], "meta": {"mode": "x"}}],
        [False],
    ),
    Case(
        "__meta with mapped",
        '{% action "echo", foo: 1, __meta: "x" %}',
        [{"type": "echo", "options": {"foo": 1}, "meta": "x"}],
    ),
    Case(
        "__perform_event on a block",
        '{% action "echo", __perform_event: false %}{"x": 1}{% endaction %}',
        [{"type": "echo", "options": {"x": 1}}],
        [False],
    ),
    Case(
        "control params inside block json are stripped",
        '{% action "echo" %}{"x": 1, "__meta": 5, "__perform_event": false}{% endaction %}',
        [{"type": "echo", "options": {"x": 1}, "meta": 5}],
        [False],
    ),
    Case("inline without options", '{% action "echo" %}', [{"type": "echo", "options": None}]),
    Case(
        "inline without options then a block",
        '{% action "echo" %}\n{% action "http" %}{"a": 1}{% endaction %}',
        [{"type": "echo", "options": None}, {"type": "http", "options": {"a": 1}}],
    ),
    Case(
        "type from a variable", '{% assign t = "echo" %}{% action t, 1 %}', [{"type": "echo", "options": 1}]
    ),
    Case(
        "spans lines",
        '{% action "echo",\n  foo: a,\n  bar: b\n%}',
        [{"type": "echo", "options": {"foo": 1, "bar": 2}}],
    ),
    Case(
        "filters in arguments",
        '{% action "echo", n: a | plus: 1 | times: 10, s: csv | upcase %}',
        [{"type": "echo", "options": {"n": 20, "s": "A,B"}}],
    ),
    Case(
        "block inside liquid tag",
        '{% liquid\n  action "email"\n    echo \'{"to": "x@example.com"}\'\n  endaction\n%}',
        [{"type": "email", "options": {"to": "x@example.com"}}],
    ),
    Case(
        "inline inside liquid tag",
        '{% liquid\n  assign p = hash\n  assign p["to"] = "x"\n  action "email", p\n%}',
        [{"type": "email", "options": {"to": "x"}}],
    ),
    Case(
        "inside a loop",
        '{% for i in (1..2) %}{% action "echo", i %}{% endfor %}',
        [{"type": "echo", "options": 1}, {"type": "echo", "options": 2}],
    ),
]


@pytest.mark.parametrize("case", TEST_CASES, ids=attrgetter("description"))
def test_action_forms(case: Case) -> None:
    """Action forms."""
    result = run(case.source, VARIABLES)
    assert result.failure is None, result.failure
    assert [action.to_dict() for action in result.actions] == case.expect
    expected_perform = case.perform_event or [True] * len(case.expect)
    assert [action.perform_event for action in result.actions] == expected_perform


@dataclass
class ErrorCase:
    """A broken action script and the failure it must give."""

    description: str
    source: str
    kind: str
    message: str
    line: int | None = 1


ERROR_CASES = [
    ErrorCase("untyped and unclosed", "{% action %}", "syntax", "needs a type"),
    ErrorCase(
        "bad json in a typed block", '{% action "http" %}{"a": }{% endaction %}', "render", "not valid JSON"
    ),
    ErrorCase("bad json in an untyped block", "{% action %}nope{% endaction %}", "render", "not valid JSON"),
    ErrorCase(
        "untyped block without type",
        '{% action %}{"options": 1}{% endaction %}',
        "render",
        'string "type"',
    ),
    ErrorCase(
        "untyped block with an unknown key",
        '{% action %}{"type": "echo", "x": 1}{% endaction %}',
        "render",
        "unknown keys",
    ),
    ErrorCase(
        "block with extra arguments",
        '{% action "echo", "x" %}{}{% endaction %}',
        "syntax",
        "takes only a type",
    ),
    ErrorCase("positional and named options", '{% action "echo", "x", a: 1 %}', "syntax", "not both"),
    ErrorCase("type not a string", "{% action 5, 1 %}", "render", "non-empty string, found 5"),
    ErrorCase("type missing", "{% action nope, 1 %}", "render", "non-empty string, found nil"),
    ErrorCase("error line", '\n\n{% action "http" %}{{% endaction %}', "render", "not valid JSON", 3),
]


@pytest.mark.parametrize("case", ERROR_CASES, ids=attrgetter("description"))
def test_action_errors(case: ErrorCase) -> None:
    """Action errors."""
    result = run(case.source)
    assert result.failure is not None
    assert result.failure.kind == case.kind
    assert case.message in result.failure.message
    assert result.failure.line == case.line
    assert not result.ok


def test_rendered_text_is_an_action_object() -> None:
    """Rendered text is an action object."""
    result = run('{% action "email", to: "hello@example.com" %}')
    assert result.output == '{"action":{"type":"email","options":{"to":"hello@example.com"}}}'


def test_suppressed_event_is_written_on_the_action() -> None:
    """Suppressed event is written on the action."""
    result = run('{% action "echo", 1, __perform_event: false %}')
    assert result.output == '{"action":{"type":"echo","options":1,"perform_event":false}}'
