"""Rack-style nested parameters."""

from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter
from typing import Any

import pytest

from mechanic_kernel.webhooks.params import DEPTH_LIMIT
from mechanic_kernel.webhooks.params import ParameterError
from mechanic_kernel.webhooks.params import parse_nested_query


@dataclass
class Case:
    description: str
    raw: bytes
    expect: Any
    charset: str = "utf-8"


CASES = [
    Case("plain pair", b"key=value", {"key": "value"}),
    Case("values stay strings", b"n=5", {"n": "5"}),
    Case("hash", b"hash[key]=hash_value", {"hash": {"key": "hash_value"}}),
    Case("array", b"array[]=x&array[]=y", {"array": ["x", "y"]}),
    Case("statement 4", b"hash[key]=v&array[]=x&array[]=y", {"hash": {"key": "v"}, "array": ["x", "y"]}),
    Case("array of hashes groups keys", b"a[][k]=v&a[][j]=w&a[][k]=z", {"a": [{"k": "v", "j": "w"}, {"k": "z"}]}),
    Case("deep hash", b"a[b][c][d]=1", {"a": {"b": {"c": {"d": "1"}}}}),
    Case("key without value is null", b"flag", {"flag": None}),
    Case("empty value", b"a=", {"a": ""}),
    Case("last duplicate wins", b"a=1&a=2", {"a": "2"}),
    Case("plus is a space, percent-decoding", b"q=hello+w%C3%B6rld%21", {"q": "hello w\u00f6rld!"}),
    Case("raw UTF-8 bytes", "name=J\u00fcrgen".encode(), {"name": "J\u00fcrgen"}),
    Case("latin-1 charset", b"name=J%FCrgen", {"name": "J\u00fcrgen"}, "iso-8859-1"),
    Case("empty pairs are skipped", b"&&a=1&", {"a": "1"}),
    Case("encoded brackets nest too", b"contact%5Bname%5D=Ann", {"contact": {"name": "Ann"}}),
    Case("contact form", b"contact[name]=Ann&contact[email]=a@x.io",
         {"contact": {"name": "Ann", "email": "a@x.io"}}),
    Case("hash then array conflict", b"a[b]=1&a[]=2", ParameterError),
    Case("string then hash conflict", b"a=1&a[b]=2", ParameterError),
    Case("too deep", b"a" + b"[x]" * (DEPTH_LIMIT + 1) + b"=1", ParameterError),
    Case("invalid UTF-8", b"a=%FF", UnicodeDecodeError),
]


@pytest.mark.parametrize("case", CASES, ids=attrgetter("description"))
def test_parse_nested_query(case: Case) -> None:
    if isinstance(case.expect, type) and issubclass(case.expect, Exception):
        with pytest.raises(case.expect):
            parse_nested_query(case.raw, case.charset)
    else:
        assert parse_nested_query(case.raw, case.charset) == case.expect


def test_hostile_many_pairs_parse_without_recursion() -> None:
    raw = b"&".join(b"k%d[]=%d" % (i % 50, i) for i in range(20000))
    params = parse_nested_query(raw)
    assert len(params) == 50
    assert sum(len(values) for values in params.values()) == 20000
