"""The log tag: single, mapped and block forms."""

from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import pytest

from mechanic_kernel.liquid.render import render

VARIABLES = {"order": {"line_items": [{"id": 7}]}, "d": {"x": 1}}


@dataclass
class Case:
    """A log script and the log values it must produce."""

    description: str
    source: str
    expect: list[Any]


TEST_CASES = [
    Case("single string", '{% log "foobar" %}', ["foobar"]),
    Case("single variable", "{% log order.line_items[0] %}", [{"id": 7}]),
    Case("single missing variable is null", "{% log nope %}", [None]),
    Case("mapped", '{% log message: "m", n: 1 %}', [{"message": "m", "n": 1}]),
    Case(
        "mapped with variables", '{% log message: "x", details: d %}', [{"message": "x", "details": {"x": 1}}]
    ),
    Case("mapped over lines", '{% log\n  message: "x",\n  n: 2\n%}', [{"message": "x", "n": 2}]),
    Case("mapped with filters", "{% log n: 3 | times: 100.0 | divided_by: 4, m: 1 %}", [{"n": 75.0, "m": 1}]),
    Case("mapped reserved name", "{% log limit: 5 %}", [{"limit": 5}]),
    Case("block", '{% log %}{"foo":"bar"}{% endlog %}', [{"foo": "bar"}]),
    Case("block with liquid", "{% log %}{{ d | json }}{% endlog %}", [{"x": 1}]),
    Case("inside liquid tag", '{% liquid log "oh my!" %}', ["oh my!"]),
    Case("block inside liquid tag", "{% liquid\n  log\n    echo '{\"a\": 1}'\n  endlog\n%}", [{"a": 1}]),
    Case("two", "{% log 1 %}\n{% log 2 %}", [1, 2]),
]


@pytest.mark.parametrize("case", TEST_CASES, ids=attrgetter("description"))
def test_log(case: Case) -> None:
    """Log."""
    result = render(case.source, VARIABLES)
    assert result.failure is None, result.failure
    assert result.logs == case.expect
    assert result.ok


@dataclass
class ErrorCase:
    """A broken log script and its failure."""

    description: str
    source: str
    kind: str
    message: str


ERROR_CASES = [
    ErrorCase("unclosed block", "{% log %}{}", "syntax", "unclosed log block"),
    ErrorCase("bad json block", "{% log %}{nope}{% endlog %}", "render", "not valid JSON"),
    ErrorCase("positional and named", '{% log "a", b: 1 %}', "syntax", "not both"),
]


@pytest.mark.parametrize("case", ERROR_CASES, ids=attrgetter("description"))
def test_log_errors(case: ErrorCase) -> None:
    """Log errors."""
    result = render(case.source, {})
    assert result.failure is not None
    assert (result.failure.kind, result.failure.line) == (case.kind, 1)
    assert case.message in result.failure.message
