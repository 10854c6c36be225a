"""The render API: results, failures by kind, caching, runtime wiring, untouched variables."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from operator import attrgetter

import pytest
from liquid.exceptions import LiquidSyntaxError

from mechanic_kernel.liquid.limits import RenderLimitError
from mechanic_kernel.liquid.render import Action
from mechanic_kernel.liquid.render import RenderResult
from mechanic_kernel.liquid.render import parse_template
from mechanic_kernel.liquid.render import render
from mechanic_kernel.liquid.render import render_text
from mechanic_kernel.liquid.runtime import Runtime
from mechanic_kernel.liquid.runtime import runtime_of


def test_result_lists_objects_in_rendered_order() -> None:
    """Result lists objects in rendered order."""
    source = '{% log 1 %}{% action "echo", "a" %}{"log": 2}{% action "echo", "b" %}{% error "e" %}'
    result = render(source, {})
    assert [a.options for a in result.actions] == ["a", "b"]
    assert result.logs == [1, 2]
    assert result.errors == ["e"]
    assert result.failure is None
    assert not result.ok


def test_raw_json_text_counts_as_objects() -> None:
    """Raw json text counts as objects."""
    source = '{"action": {"type": "echo", "options": {"a": 1, "__meta": "m", "__perform_event": false}}}'
    result = render(source, {})
    assert result.actions == [Action("echo", {"a": 1}, "m", False)]
    assert result.ok


def test_action_to_dict() -> None:
    """Action to dict."""
    assert Action("echo", 1).to_dict() == {"type": "echo", "options": 1}
    assert Action("echo", 1, {"m": 1}).to_dict() == {"type": "echo", "options": 1, "meta": {"m": 1}}


def test_ok() -> None:
    """Ok."""
    assert RenderResult().ok
    assert not RenderResult(errors=["x"]).ok


@dataclass
class FailureCase:
    """A script that does not render, and how it fails."""

    description: str
    source: str
    kind: str
    line: int | None
    message: str


FAILURE_CASES = [
    FailureCase("syntax error line", "{% log 1 %}\n\n{% if %}", "syntax", 3, ""),
    FailureCase(
        "unclosed if", "{% if true %}\n{% log 1 %}", "syntax", 1, "unclosed if block (opened on line 1)"
    ),
    FailureCase(
        "unclosed inner for",
        "{% for a in b %}{% endfor %}\n{% for a in b %}\n{% for c in d %}{% endfor %}",
        "syntax",
        2,
        "expected {% endfor %}",
    ),
    FailureCase("unclosed capture", "{% capture x %}\nabc", "syntax", 1, "unclosed capture block"),
    FailureCase("unclosed case", "{% case x %}\n{% when 1 %}", "syntax", 2, "a block is not closed"),
    FailureCase("unknown tag", "\n{% frobnicate %}", "syntax", 2, "frobnicate"),
    FailureCase("bad output expression", "{{ 1 + }}", "syntax", 1, ""),
    FailureCase("stray text", "hello {% log 1 %}", "output", 1, "'hello"),
    FailureCase("action without a type", '{"action": {"options": 1}}', "output", None, 'string "type"'),
    FailureCase("filter error", '{{ "{" | parse_json }}', "render", 1, ""),
]


@pytest.mark.parametrize("case", FAILURE_CASES, ids=attrgetter("description"))
def test_failures(case: FailureCase) -> None:
    """Failures."""
    result = render(case.source, {})
    assert result.failure is not None
    assert result.failure.kind == case.kind
    if case.line is not None:
        assert result.failure.line == case.line
    assert case.message in result.failure.message
    assert not result.ok


def test_parse_is_cached_by_source() -> None:
    """Parse is cached by source."""
    assert parse_template("{% log 'cached' %}") is parse_template("{% log 'cached' %}")


def test_runtime_is_attached_and_records() -> None:
    """Runtime is attached and records."""
    runtime = Runtime()
    template = parse_template("{% permissions %}read_orders{% endpermissions %}{% log 1 %}")
    result = render(
        template_source := "{% permissions %}read_orders{% endpermissions %}{% log 1 %}", {}, runtime
    )
    assert template is parse_template(template_source)
    assert result.permissions == ["read_orders"]
    assert runtime.deadline is None
    assert runtime.loop_iterations == 0


def test_a_runtime_can_be_reused() -> None:
    """Each render gets its own deadline and loop count."""
    runtime = Runtime(max_loop_iterations=150)
    for _ in range(3):
        result = render("{% for x in (1..100) %}{% endfor %}", {}, runtime)
        assert result.failure is None
        assert runtime.loop_iterations == 100


def test_a_callers_deadline_is_kept() -> None:
    """A deadline the caller set (e.g. one for a whole task run) is used as it is."""
    runtime = Runtime(deadline=0.0)
    result = render("{% for x in (1..2) %}{% endfor %}", {}, runtime)
    assert result.failure is not None and result.failure.limit == "render_time"
    assert runtime.deadline == 0.0


def test_shopify_queries_come_from_the_runtime() -> None:
    """Shopify queries come from the runtime."""
    runtime = Runtime(preview=True)
    runtime.shopify_queries.append({"query": "{ shop { name } }", "variables": None})
    result = render("", {}, runtime)
    assert result.shopify_queries == [{"query": "{ shop { name } }", "variables": None}]


def test_runtime_of_a_render_context() -> None:
    """Runtime of a render context."""
    template = parse_template("")
    context = template.context_class(template, globals={})
    assert isinstance(runtime_of(context), Runtime)


def test_variables_are_not_modified() -> None:
    """Variables are not modified."""
    variables = {"event": {"data": {"tags": ["a"]}}, "options": {"x": 1}}
    before = copy.deepcopy(variables)
    render(
        '{% assign event["data"]["tags"][0] = "z" %}{% assign options["y"] = 2 %}{% assign event = 1 %}',
        variables,
    )
    assert variables == before


def test_missing_variables_are_nil() -> None:
    """Missing variables are nil."""
    result = render("{% log nope.deeper %}{% action 'echo', nope %}", {})
    assert result.logs == [None]
    assert result.actions == [Action("echo", None)]


def test_render_text() -> None:
    """Plain-text rendering for option values and the like: no object stream, errors raised."""
    assert render_text("Hi {{ shop.name }}{% break %}!", {"shop": {"name": "S"}}) == "Hi S"
    with pytest.raises(LiquidSyntaxError):
        render_text("{% if %}", {})
    with pytest.raises(RenderLimitError):
        render_text("{% for x in (1..200) %}{% endfor %}", {}, Runtime(max_loop_iterations=100))
