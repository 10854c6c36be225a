"""Render limits: cumulative loop iterations, output size, memory and a wall-clock deadline."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from dataclasses import field
from io import StringIO
from operator import attrgetter
from typing import Any
from unittest.mock import patch

import pytest
from liquidtools import run

from mechanic_kernel.liquid.environment import MechanicContext
from mechanic_kernel.liquid.environment import MechanicEnvironment
from mechanic_kernel.liquid.render import parse_template


@dataclass
class Case:
    """A script that breaks a limit, with the runtime limits to use."""

    description: str
    source: str
    limit: str
    line: int
    runtime: dict[str, Any] = field(default_factory=dict)


TEST_CASES = [
    Case(
        "loop iterations are cumulative across loops",
        "{% for x in (1..60) %}{% endfor %}\n{% for x in (1..60) %}{% endfor %}",
        "loop_iterations",
        2,
        {"max_loop_iterations": 100},
    ),
    Case(
        "nested loops count every iteration",
        "{% for x in (1..20) %}\n{% for y in (1..20) %}{% endfor %}{% endfor %}",
        "loop_iterations",
        2,
        {"max_loop_iterations": 100},
    ),
    Case(
        "tablerow counts too",
        "{% tablerow x in (1..200) %}{% endtablerow %}",
        "loop_iterations",
        1,
        {"max_loop_iterations": 100},
    ),
    Case(
        "output size",
        '{% for x in (1..100) %}{% log "0123456789" %}{% endfor %}',
        "output_size",
        1,
        {"max_output_size": 500},
    ),
    Case(
        "output size inside an if",
        '{% if true %}\n{{ "0123456789" }}\n{{ "0123456789" }}{% endif %}',
        "output_size",
        3,
        {"max_output_size": 15},
    ),
    Case(
        "capture size",
        "\n{% capture c %}{% for x in (1..100) %}0123456789{% endfor %}{% endcapture %}",
        "output_size",
        2,
        {"max_output_size": 500},
    ),
    Case(
        "action body size",
        '{% action "echo" %}"{% for x in (1..100) %}0123456789{% endfor %}"{% endaction %}',
        "output_size",
        1,
        {"max_output_size": 500},
    ),
    Case(
        "render time",
        "{% log 1 %}\n{% for x in (1..100) %}\n"
        "{% for y in (1..100000) %}{% assign z = y %}{% endfor %}{% endfor %}",
        "render_time",
        3,
        {"render_timeout": 0.2},
    ),
    Case(
        "a range given to a filter",
        '{% log 1 %}\n{{ (1..100000000) | join: "," }}',
        "loop_iterations",
        2,
        {"render_timeout": 3},
    ),
    Case(
        "an assigned range with a variable bound",
        "{% assign n = 101 %}\n{% liquid\nassign r = (1..n)\n%}",
        "loop_iterations",
        3,
        {"max_loop_iterations": 100},
    ),
    Case(
        "a range in tag arguments",
        '{% action "echo", (0..100) %}',
        "loop_iterations",
        1,
        {"max_loop_iterations": 100},
    ),
    Case(
        "memory",
        '{% assign s = "0123456789" %}{% for x in (1..40) %}{% assign s = s | append: s %}{% endfor %}',
        "memory",
        1,
    ),
]


@pytest.mark.timeout(30)  # a breach must end the render, never hang it
@pytest.mark.parametrize("case", TEST_CASES, ids=attrgetter("description"))
def test_limits(case: Case) -> None:
    """Each limit fails the render with its name and the line where it was reached."""
    result = run(case.source, {}, **case.runtime)
    assert result.failure is not None
    assert result.failure.kind == "limit"
    assert result.failure.limit == case.limit
    assert result.failure.line == case.line
    assert case.limit.split("_")[0] in result.failure.message.replace("render time", "render_time")


def test_objects_before_a_limit_are_kept() -> None:
    """Objects before a limit are kept."""
    result = run(
        '{% log "before" %}{% for x in (1..200) %}{% endfor %}{% log "after" %}', {}, max_loop_iterations=100
    )
    assert result.logs == ["before"]
    assert not result.ok


def test_limits_can_be_switched_off() -> None:
    """Limits can be switched off."""
    result = run(
        "{% for x in (1..300) %}{% endfor %}",
        {},
        max_loop_iterations=None,
        max_output_size=None,
        render_timeout=None,
    )
    assert result.failure is None


def test_under_the_limit_passes() -> None:
    """Under the limit passes."""
    result = run(
        "{% for x in (1..50) %}{% endfor %}{% for x in (1..50) %}{% endfor %}", {}, max_loop_iterations=100
    )
    assert result.failure is None


@pytest.mark.timeout(30)  # building a billion-item list would take minutes and gigabytes
def test_huge_reversed_range_fails_fast() -> None:
    """A reversed loop is checked before python-liquid builds its list of items."""
    result = run("\n{% for x in (1..1000000000) reversed %}{% endfor %}", {}, max_loop_iterations=1000)
    assert result.failure is not None and result.failure.limit == "loop_iterations"
    assert result.failure.line == 2


def test_reversed_loops_within_the_limit() -> None:
    """Reversed loops that fit the budget run normally."""
    result = run("{% for x in (1..3) reversed %}{% log x %}{% endfor %}", {}, max_loop_iterations=10)
    assert result.logs == [3, 2, 1]


def test_namespace_size_is_python_liquids_sum() -> None:
    """The running total of the locals' sizes is python-liquid's figure at every assign."""
    template = parse_template(
        '{% assign a = "x" %}{% assign b = array %}{% for i in (1..50) %}{% assign b[b.size] = i %}'
        '{% assign a = a | append: "yz" %}{% endfor %}{% assign c = hash %}{% assign c["k"] = b %}'
        '{% capture a %}{{ b | join: "," }}{% endcapture %}{% assign b = 1 %}'
    )
    assign = MechanicContext.assign
    sizes = []

    def check(context: MechanicContext, key: str, value: Any) -> None:
        assign(context, key, value)
        expected = sum(sys.getsizeof(value, 1) for value in context.locals.values())
        sizes.append((context.get_size_of_locals(), expected))

    with patch.object(MechanicContext, "assign", check):
        template.render_with_context(template.context_class(template, globals={}), StringIO())
    assert len(sizes) > 50
    assert all(ours == expected for ours, expected in sizes)


def test_an_array_grown_in_place_counts_at_the_next_assign() -> None:
    """Appending into an array grows the namespace as python-liquid measures it."""
    source = (
        "{% assign a = array %}{% for i in (1..3000) %}{% assign a[a.size] = i %}{% endfor %}"
        "{% assign x = 1 %}"
    )
    assert run(source, {}).ok
    with patch.object(MechanicEnvironment, "local_namespace_limit", 20_000):
        result = run(source, {})
    assert result.failure is not None and result.failure.limit == "memory"


def test_a_loop_over_a_huge_range_counts_its_iterations() -> None:
    """A range a loop iterates is not capped: the loop counts what it runs, and may stop early."""
    result = run(
        "{% for i in (1..100000000) %}{% if i > 2 %}{% break %}{% endif %}{% log i %}{% endfor %}"
        "{% for i in (1..5) reversed %}{% endfor %}",
        {},
        max_loop_iterations=1000,
    )
    assert result.ok
    assert result.logs == [1, 2]


def test_ranges_up_to_the_limit_work() -> None:
    """A range as long as the loop iteration limit is fine in filters, tags and output."""
    result = run(
        "{% log (1..100) | size %}{% assign r = (1..100) %}{% log r | last %}", {}, max_loop_iterations=100
    )
    assert result.logs == [100, 100]
    assert run("{% log (1..1000000000) | size %}", {}, max_loop_iterations=None).logs == [1000000000]
