"""The error tag: single, mapped and block forms; an error object fails the run but not the render."""

from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import pytest

from mechanic_kernel.liquid.render import render

VARIABLES = {"action": {"run": {"error": "boom"}}, "d": {"x": 1}}


@dataclass
class Case:
    """An error script and the error values it must produce."""

    description: str
    source: str
    expect: list[Any]


TEST_CASES = [
    Case("single", '{% error "msg" %}', ["msg"]),
    Case("single variable", "{% error action.run.error %}", ["boom"]),
    Case("mapped", '{% error message: "m", details: d %}', [{"message": "m", "details": {"x": 1}}]),
    Case("block", '{% error %}{{ "text" | json }}{% enderror %}', ["text"]),
    Case("inside liquid tag", '{% liquid error "x" %}', ["x"]),
    Case("block inside liquid tag", "{% liquid\n  error\n    echo '\"bad\"'\n  enderror\n%}", ["bad"]),
]


@pytest.mark.parametrize("case", TEST_CASES, ids=attrgetter("description"))
def test_error(case: Case) -> None:
    """Error."""
    result = render(case.source, VARIABLES)
    assert result.failure is None
    assert result.errors == case.expect
    assert not result.ok


def test_rendering_continues_after_an_error_object() -> None:
    """Rendering continues after an error object."""
    result = render('{% error "first" %}{% action "echo", 1 %}{% log "after" %}', {})
    assert result.errors == ["first"]
    assert result.logs == ["after"]
    assert len(result.actions) == 1
    assert not result.ok


def test_unclosed_error_block() -> None:
    """Unclosed error block."""
    result = render("{% error %}", {})
    assert result.failure is not None and result.failure.kind == "syntax"
    assert "enderror" in result.failure.message
