"""Output statements and echo: Ruby-style printing of hashes and arrays, lax undefined values."""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from operator import attrgetter
from typing import Any

import pytest

from mechanic_kernel.liquid.render import parse_template


@dataclass
class Case:
    """A template and its text."""

    description: str
    source: str
    expect: str
    variables: dict[str, Any] = field(default_factory=dict)


TEST_CASES = [
    Case(
        "hash like Ruby inspect",
        "{{ h }}",
        '{"a"=>1, "b"=>nil, "c"=>[1, "x"], "d"=>{"e"=>true}}',
        {"h": {"a": 1, "b": None, "c": [1, "x"], "d": {"e": True}}},
    ),
    Case("array joined", "{{ a }}", "12x", {"a": [1, [2, None], "x"]}),
    Case("array of hashes", "{{ a }}", '{"k"=>"v"}', {"a": [{"k": "v"}]}),
    Case("empty hash", "{{ hash }}", "{}"),
    Case("empty array", "{{ array }}", ""),
    Case("float", "{{ f }}", "1.5", {"f": 1.5}),
    Case("booleans", "{{ t }} {{ f }}", "true false", {"t": True, "f": False}),
    Case("nil", "{{ n }}", "", {"n": None}),
    Case("missing", "{{ nope }}{{ nope.deeper[0].x }}", ""),
    Case("echo hash", "{% echo h %}", '{"a"=>1}', {"h": {"a": 1}}),
    Case("echo in liquid", "{% liquid echo h %}", '{"a"=>1}', {"h": {"a": 1}}),
    Case("newline", "{{ newline }}", "\n"),
    Case("property named limit", "{{ x.limit }}-{{ x.offset }}", "3-4", {"x": {"limit": 3, "offset": 4}}),
    Case("render data shadows keyword", "{{ hash }}", "x", {"hash": "x"}),
]


@pytest.mark.parametrize("case", TEST_CASES, ids=attrgetter("description"))
def test_output(case: Case) -> None:
    """Output."""
    assert parse_template(case.source).render(**case.variables) == case.expect


class _Drop(Mapping[str, Any]):
    """A read-only mapping standing in for a drop such as ``cache``."""

    def __getitem__(self, key: str) -> Any:
        return {"a": 1}[key]

    def __iter__(self) -> Iterator[str]:
        return iter(["a"])

    def __len__(self) -> int:
        return 1


class _Named(_Drop):
    def __str__(self) -> str:
        return "named"


def test_mapping_drops() -> None:
    """A mapping prints like a hash unless it defines its own text."""
    assert parse_template("{{ d }}|{{ n }}").render(d=_Drop(), n=_Named()) == '{"a"=>1}|named'
