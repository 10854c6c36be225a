"""Reading the rendered text as a stream of action/log/error objects."""

from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import pytest

from mechanic_kernel.liquid.output import OutputError
from mechanic_kernel.liquid.output import parse_output


@dataclass
class Case:
    """Rendered text and the objects in it."""

    description: str
    text: str
    expect: list[tuple[str, Any]]


TEST_CASES = [
    Case("empty", "", []),
    Case("whitespace only", " \n\t\r\n", []),
    Case(
        "one action", '{"action":{"type":"echo","options":1}}', [("action", {"type": "echo", "options": 1})]
    ),
    Case("objects back to back", '{"log":1}{"error":"x"}', [("log", 1), ("error", "x")]),
    Case("objects between whitespace", '\n  {"log": 1}\n\n  {"log": 2}  \n', [("log", 1), ("log", 2)]),
    Case("braces inside strings", '{"log":"}{ not an object"}', [("log", "}{ not an object")]),
    Case("byte order mark", '\ufeff{"log":1}', [("log", 1)]),
]


@pytest.mark.parametrize("case", TEST_CASES, ids=attrgetter("description"))
def test_parse_output(case: Case) -> None:
    """Parse output."""
    assert parse_output(case.text) == case.expect


@dataclass
class ErrorCase:
    """Rendered text that is not a stream of objects."""

    description: str
    text: str
    message: str
    line: int
    read_before: int = 0


ERROR_CASES = [
    ErrorCase("stray text", "hello", "unexpected text in the task output at line 1: 'hello'", 1),
    ErrorCase("stray text after objects", '{"log":1}\n\noops', "line 3: 'oops'", 3, 1),
    ErrorCase("array", '["a"]', "unexpected text", 1),
    ErrorCase("unknown key", '{"foo":1}', "exactly one key", 1),
    ErrorCase("two keys", '{"log":1,"error":2}', "exactly one key", 1),
    ErrorCase("truncated json", '{"log":1}{"log":', "invalid JSON in the task output at line 1", 1, 1),
    ErrorCase("ruby hash text", '{"a"=>1}', "invalid JSON", 1),
    ErrorCase("long stray text is cut", "x" * 200, "x" * 80 + "…", 1),
]


@pytest.mark.parametrize("case", ERROR_CASES, ids=attrgetter("description"))
def test_parse_output_errors(case: ErrorCase) -> None:
    """Parse output errors."""
    with pytest.raises(OutputError) as info:
        parse_output(case.text)
    assert case.message in info.value.message
    assert info.value.line == case.line
    assert len(info.value.objects) == case.read_before
