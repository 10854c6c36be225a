"""The permissions tag: scopes recorded, nothing rendered, Liquid inside not evaluated, one block per task."""

from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter

import pytest

from mechanic_kernel.liquid.render import parse_template
from mechanic_kernel.liquid.render import render
from mechanic_kernel.liquid.runtime import Runtime


@dataclass
class Case:
    """A permissions block and the scopes it names."""

    description: str
    source: str
    expect: list[str]


TEST_CASES = [
    Case(
        "comma separated",
        "{% permissions %}read_orders, write_products{% endpermissions %}",
        ["read_orders", "write_products"],
    ),
    Case(
        "one per line",
        "{% permissions %}\n  read_orders\n  write_customers\n{% endpermissions %}",
        ["read_orders", "write_customers"],
    ),
    Case(
        "in a branch never taken",
        "{% if false %}{% permissions %}read_orders{% endpermissions %}{% endif %}",
        ["read_orders"],
    ),
    Case("empty", "{% permissions %}{% endpermissions %}", []),
]


@pytest.mark.parametrize("case", TEST_CASES, ids=attrgetter("description"))
def test_permissions(case: Case) -> None:
    """Permissions."""
    runtime = Runtime()
    result = render(case.source, {}, runtime)
    assert result.failure is None
    assert result.output == ""
    assert result.permissions == case.expect
    assert runtime.permissions == case.expect
    assert list(parse_template(case.source).permissions) == case.expect


def test_liquid_inside_is_not_evaluated() -> None:
    """Liquid inside is not evaluated."""
    source = "{% permissions %}read_orders, {{ x }}{% endpermissions %}"
    result = render(source, {"x": "write_orders"})
    assert result.failure is not None and result.failure.kind == "syntax"
    assert "invalid permission scope" in result.failure.message


@dataclass
class ErrorCase:
    """A broken permissions block."""

    description: str
    source: str
    message: str
    line: int


ERROR_CASES = [
    ErrorCase(
        "second block",
        "{% permissions %}read_orders{% endpermissions %}\n{% permissions %}write_orders{% endpermissions %}",
        "only one permissions block",
        2,
    ),
    ErrorCase("unclosed", "\n{% permissions %}read_orders", "unclosed permissions block", 2),
    ErrorCase("duplicate scope", "{% permissions %}read_orders, read_orders{% endpermissions %}", "twice", 1),
    ErrorCase("arguments", '{% permissions "x" %}{% endpermissions %}', "no arguments", 1),
]


@pytest.mark.parametrize("case", ERROR_CASES, ids=attrgetter("description"))
def test_permissions_errors(case: ErrorCase) -> None:
    """Permissions errors."""
    result = render(case.source, {})
    assert result.failure is not None
    assert result.failure.kind == "syntax"
    assert case.message in result.failure.message
    assert result.failure.line == case.line


def test_inside_liquid_tag() -> None:
    """Scopes on the lines of a liquid tag are read too."""
    source = (
        "{% liquid\n  permissions\n    read_orders, write_products\n    read_customers\n  endpermissions\n%}"
    )
    result = render(source, {})
    assert result.failure is None
    assert result.permissions == ["read_orders", "write_products", "read_customers"]
