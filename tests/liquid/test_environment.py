"""Semantics the environment adds to python-liquid: blank, keywords, loop names, break, strictness."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from operator import attrgetter
from typing import Any

import pytest
from liquid.exceptions import LiquidSyntaxError
from liquidtools import render_text

from mechanic_kernel.liquid.environment import MechanicEnvironment
from mechanic_kernel.liquid.render import environment
from mechanic_kernel.liquid.render import render


@dataclass
class Case:
    """A template and the text it renders."""

    description: str
    source: str
    expect: str
    variables: dict[str, Any] = field(default_factory=dict)


BLANK_CASES = [
    Case("nil is blank", "{% if n == blank %}y{% endif %}", "y", {"n": None}),
    Case("missing is blank", "{% if nope == blank %}y{% endif %}", "y"),
    Case("false is blank", "{% if f == blank %}y{% endif %}", "y", {"f": False}),
    Case("whitespace is blank", "{% if s == blank %}y{% endif %}", "y", {"s": " \n"}),
    Case("empty array is blank", "{% if a == blank %}y{% endif %}", "y", {"a": []}),
    Case("empty hash is blank", "{% if h == blank %}y{% endif %}", "y", {"h": {}}),
    Case("zero is not blank", "{% if z == blank %}y{% else %}n{% endif %}", "n", {"z": 0}),
    Case("text is not blank", "{% if s != blank %}y{% endif %}", "y", {"s": "x"}),
    Case("true is not blank", "{% if t == blank %}y{% else %}n{% endif %}", "n", {"t": True}),
    Case("zero float is not blank", "{% if z == blank %}y{% else %}n{% endif %}", "n", {"z": 0.0}),
    Case("an array with nil is not blank", "{% if a == blank %}y{% else %}n{% endif %}", "n", {"a": [None]}),
    Case("empty tuple is blank", "{% if a == blank %}y{% endif %}", "y", {"a": ()}),
    Case("nil is not != blank", "{% if n != blank %}y{% else %}n{% endif %}", "n", {"n": None}),
    Case("blank on the left", "{% if blank == n %}y{% endif %}", "y", {"n": None}),
    Case("blank is blank", "{% if blank == blank %}y{% endif %}{% if blank != blank %}n{% endif %}", "y"),
    Case("in elsif", "{% if x %}a{% elsif n == blank %}b{% endif %}", "b", {"n": None}),
    Case("in unless", "{% unless n == blank %}a{% else %}b{% endunless %}", "b", {"n": None}),
    Case(
        "when blank matches nil", "{% case n %}{% when 1, blank %}y{% else %}n{% endcase %}", "y", {"n": None}
    ),
    Case("when blank skips text", "{% case s %}{% when blank %}y{% else %}n{% endcase %}", "n", {"s": "x"}),
    Case("in and/or", "{% if n == blank and s != blank %}y{% endif %}", "y", {"n": None, "s": "x"}),
]

KEYWORD_CASES = [
    Case("hash", "{{ hash | json }}", "{}"),
    Case("array", "{{ array | json }}", "[]"),
    Case("newline", "{{ newline | json }}", '"\\n"'),
    Case("null is an undefined variable", "{{ null | json }}", "null"),
    Case("now is not a keyword", "{{ now | json }}", "null"),
]

LOOP_NAME_CASES = [
    Case(
        "limit variable as loop argument",
        "{% assign limit = 2 %}{% for x in a limit: limit %}{{ x }}{% endfor %}",
        "12",
        {"a": [1, 2, 3]},
    ),
    Case(
        "offset variable as loop argument",
        "{% for x in a offset: offset %}{{ x }}{% endfor %}",
        "23",
        {"a": [1, 2, 3], "offset": 1},
    ),
    Case(
        "literal loop arguments",
        "{% for x in a limit: 1 offset: 1 %}{{ x }}{% endfor %}",
        "2",
        {"a": [1, 2, 3]},
    ),
    Case("limit in a condition", "{% if limit > 1 %}y{% endif %}", "y", {"limit": 2}),
    Case("cols as a name", "{{ cols }}", "3", {"cols": 3}),
    Case("reserved word as a property", "{{ x.for }}{{ x.with }}", "ab", {"x": {"for": "a", "with": "b"}}),
]

BREAK_CASES = [
    Case("top-level break keeps what came before", "a{% break %}b", "a"),
    Case("break in an if", "a{% if true %}{% break %}{% endif %}b", "a"),
    Case("break in a liquid tag", "a{% liquid\nif true\nbreak\nendif %}b", "a"),
    Case("top-level continue also stops", "a{% continue %}b", "a"),
    Case(
        "break in a loop still breaks the loop only",
        "{% for x in (1..3) %}{{ x }}{% break %}{% endfor %}b",
        "1b",
    ),
]


@pytest.mark.parametrize(
    "case", BLANK_CASES + KEYWORD_CASES + LOOP_NAME_CASES + BREAK_CASES, ids=attrgetter("description")
)
def test_semantics(case: Case) -> None:
    """Semantics."""
    assert render_text(case.source, **case.variables) == case.expect


def test_top_level_break_keeps_objects() -> None:
    """Top level break keeps objects."""
    result = render("{% log 1 %}{% if stop %}{% break %}{% endif %}{% log 2 %}", {"stop": True})
    assert result.failure is None
    assert result.logs == [1]


def test_unknown_tag_is_a_parse_error() -> None:
    """Unknown tag is a parse error."""
    with pytest.raises(LiquidSyntaxError, match="unexpected tag 'nope'"):
        MechanicEnvironment().from_string("{% nope %}")


def test_unknown_filter_fails_the_render() -> None:
    """Unknown filter fails the render."""
    result = render("{{ 1 | nope }}", {})
    assert result.failure is not None
    assert result.failure.kind == "render"
    assert "unknown filter" in result.failure.message


def test_environment_is_shared() -> None:
    """Environment is shared."""
    assert environment() is environment()
