"""Array filters: push, unshift, except, sample, slice, sort_naturally, sum, in_groups, in_groups_of,
index_by and compact (the hash forms are in test_hash.py)."""

from __future__ import annotations

from decimal import Decimal
from operator import attrgetter

import pytest
from filtertools import Case
from filtertools import check
from filtertools import render
from liquid.exceptions import FilterArgumentError
from liquid.exceptions import FilterError

FIVE = '{% assign five = "1,2,3,4,5" | split: "," %}'
ORDERS = ["order #10.b", "Order #10.a", "order #2.d", "Order #2.c"]

CASES = [
    # push / unshift
    Case("push", "{{ a | push: 3, 4 | json }}", {"a": [1, 2]}, "[1,2,3,4]"),
    Case(
        "push leaves input unchanged",
        "{% assign b = a | push: 3 %}{{ a | json }}{{ b | json }}",
        {"a": [1]},
        "[1][1,3]",
    ),
    Case("push onto nil", "{{ nope | push: 1 | json }}", {}, "[1]"),
    Case("push a hash", "{{ a | push: h | json }}", {"a": [], "h": {"x": 1}}, '[{"x":1}]'),
    Case("push onto string", '{{ "a" | push: 1 }}', {}, FilterError),
    Case("push onto hash", "{{ h | push: 1 }}", {"h": {}}, FilterError),
    Case("unshift", "{{ a | unshift: 0, 1 | json }}", {"a": [2]}, "[0,1,2]"),
    Case(
        "unshift leaves input unchanged",
        "{% assign b = a | unshift: 0 %}{{ a | json }}",
        {"a": [1]},
        "[1]",
    ),
    Case("unshift onto number", "{{ 5 | unshift: 1 }}", {}, FilterError),
    # except (array)
    Case("except values", "{{ a | except: 2, 'x' | json }}", {"a": [1, 2, "x", 2, 3]}, "[1,3]"),
    Case("except nothing", "{{ a | except | json }}", {"a": [1]}, "[1]"),
    Case("except on nil", "{{ nope | except: 1 }}", {}, FilterError),
    Case("except on string", '{{ "abc" | except: "a" }}', {}, FilterError),
    # slice (array)
    Case("slice element", FIVE + "{{ five | slice: 3 }}", {}, "4"),
    Case("slice element json", FIVE + "{{ five | slice: 0 | json }}", {}, '"1"'),
    Case("slice negative with length", FIVE + '{{ five | slice: -3, 2 | join: "," }}', {}, "3,4"),
    Case("slice length past end", FIVE + "{{ five | slice: 3, 10 | json }}", {}, '["4","5"]'),
    Case("slice explicit length 1", FIVE + "{{ five | slice: 1, 1 }}", {}, "2"),
    Case("slice length 0", FIVE + "{{ five | slice: 1, 0 | json }}", {}, "[]"),
    Case("slice out of range", FIVE + "{{ five | slice: 9 | json }}", {}, "null"),
    Case("slice negative out of range", FIVE + "{{ five | slice: -9, 2 | json }}", {}, "null"),
    Case("slice string still works", '{{ "hello" | slice: 1, 3 }}', {}, "ell"),
    Case("slice bad offset", FIVE + '{{ five | slice: "x" }}', {}, FilterArgumentError),
    Case("slice no offset", FIVE + "{{ five | slice }}", {}, FilterArgumentError),
    # sample
    Case("sample empty", "{{ a | sample | json }}", {"a": []}, "null"),
    Case("sample single", "{{ a | sample }}", {"a": ["only"]}, "only"),
    Case("sample all", "{{ a | sample: 5 | sort | json }}", {"a": [3, 1, 2]}, "[1,2,3]"),
    Case("sample zero", "{{ a | sample: 0 | json }}", {"a": [1]}, "[]"),
    Case("sample negative", "{{ a | sample: -1 }}", {"a": [1]}, FilterArgumentError),
    Case("sample hash", "{{ h | sample }}", {"h": {"a": 1}}, FilterError),
    # sort_naturally
    Case(
        "sort_naturally documented",
        "{{ a | sort_naturally | join: ', ' }}",
        {"a": ORDERS},
        "Order #2.c, Order #10.a, order #2.d, order #10.b",
    ),
    Case(
        "sort_naturally by property",
        "{{ a | sort_naturally: 'n' | json }}",
        {"a": [{"n": "x10"}, {"m": 1}, {"n": "x9"}]},
        '[{"n":"x9"},{"n":"x10"},{"m":1}]',
    ),
    Case("sort_naturally numbers", "{{ a | sort_naturally | json }}", {"a": [10, 9, 100]}, "[9,10,100]"),
    Case("sort_naturally string input", '{{ "b" | sort_naturally }}', {}, FilterError),
    # sum
    Case("sum statement 123", "{{ array | push: 2, 3, 5, 7, 11 | sum }}", {"array": []}, "28"),
    Case("sum floats", "{{ a | sum }}", {"a": [1, 2.5]}, "3.5"),
    Case("sum decimals", "{{ a | sum }}", {"a": [Decimal("0.1"), Decimal("0.2"), 1]}, "1.3"),
    Case("sum mixed decimal and float", "{{ a | sum }}", {"a": [0.5, Decimal("0.25")]}, "0.75"),
    Case("sum empty", "{{ a | sum }}", {"a": []}, "0"),
    Case("sum strings rejected", '{{ "1,2" | split: "," | sum }}', {}, FilterError),
    Case("sum objects rejected", "{{ a | sum }}", {"a": [{"p": 1}]}, FilterError),
    Case("sum nil element rejected", "{{ a | sum }}", {"a": [1, None]}, FilterError),
    Case("sum booleans rejected", "{{ a | sum }}", {"a": [True]}, FilterError),
    Case("sum not an array", "{{ 5 | sum }}", {}, FilterError),
    Case("sum after map", "{{ a | map: 'p' | sum }}", {"a": [{"p": 1}, {"p": 2}]}, "3"),
    # in_groups_of
    Case(
        "in_groups_of statement 121",
        FIVE + "{{ five | in_groups_of: 2 | json }}",
        {},
        '[["1","2"],["3","4"],["5",null]]',
    ),
    Case(
        "in_groups_of no fill",
        FIVE + "{{ five | in_groups_of: 2, fill_with: false | json }}",
        {},
        '[["1","2"],["3","4"],["5"]]',
    ),
    Case(
        "in_groups_of fill value",
        FIVE + "{{ five | in_groups_of: 3, fill_with: 'x' | json }}",
        {},
        '[["1","2","3"],["4","5","x"]]',
    ),
    Case("in_groups_of exact", "{{ a | in_groups_of: 2 | json }}", {"a": [1, 2, 3, 4]}, "[[1,2],[3,4]]"),
    Case("in_groups_of empty", "{{ a | in_groups_of: 2 | json }}", {"a": []}, "[]"),
    Case("in_groups_of string size", "{{ a | in_groups_of: '2' | size }}", {"a": [1, 2, 3]}, "2"),
    Case("in_groups_of zero", "{{ a | in_groups_of: 0 }}", {"a": [1]}, FilterArgumentError),
    Case("in_groups_of not a number", "{{ a | in_groups_of: 'x' }}", {"a": [1]}, FilterArgumentError),
    Case("in_groups_of hash input", "{{ h | in_groups_of: 2 }}", {"h": {"a": 1}}, FilterError),
    # in_groups
    Case(
        "in_groups documented",
        '{{ "1,2,3" | split: "," | in_groups: 2 | json }}',
        {},
        '[["1","2"],["3",null]]',
    ),
    Case(
        "in_groups no fill",
        '{{ "1,2,3" | split: "," | in_groups: 2, fill_with: false | json }}',
        {},
        '[["1","2"],["3"]]',
    ),
    Case(
        "in_groups rails distribution",
        "{{ a | in_groups: 3 | json }}",
        {"a": list(range(1, 11))},
        "[[1,2,3,4],[5,6,7,null],[8,9,10,null]]",
    ),
    Case(
        "in_groups more groups than items",
        "{{ a | in_groups: 3, fill_with: false | json }}",
        {"a": [1]},
        "[[1],[],[]]",
    ),
    Case("in_groups zero", "{{ a | in_groups: 0 }}", {"a": [1]}, FilterArgumentError),
    # index_by
    Case(
        "index_by",
        "{% assign by = a | index_by: 'sku' %}{{ by.B.qty }}|{{ by | keys | json }}",
        {"a": [{"sku": "A", "qty": 1}, {"sku": "B", "qty": 2}]},
        '2|["A","B"]',
    ),
    Case(
        "index_by later wins",
        "{{ a | index_by: 'k' | json }}",
        {"a": [{"k": "x", "v": 1}, {"k": "x", "v": 2}]},
        '{"x":{"k":"x","v":2}}',
    ),
    Case("index_by integer keys", "{{ a | index_by: 'id' | json }}", {"a": [{"id": 7}]}, '{"7":{"id":7}}'),
    Case("index_by non-hash element", "{{ a | index_by: 'id' }}", {"a": [1]}, FilterError),
    # concat
    Case("concat", "{{ a | concat: b | json }}", {"a": [1], "b": [2, 3]}, "[1,2,3]"),
    Case("concat flattens input", "{{ a | concat: b | json }}", {"a": [[1], [2]], "b": [3]}, "[1,2,3]"),
    Case("concat onto nil", "{{ nope | concat: b | json }}", {"b": [1]}, "[1]"),
    Case("concat nil", "{{ a | concat: nope }}", {"a": [1]}, FilterArgumentError),
    Case("concat string", "{{ a | concat: 'x' }}", {"a": [1]}, FilterArgumentError),
    # compact (array)
    Case("compact array", "{{ a | compact | json }}", {"a": [1, None, 2]}, "[1,2]"),
    Case(
        "compact array by property",
        "{{ a | compact: 'p' | json }}",
        {"a": [{"p": 1}, {"p": None}]},
        '[{"p":1}]',
    ),
]


@pytest.mark.parametrize("case", CASES, ids=attrgetter("description"))
def test_array_filters(case: Case) -> None:
    check(case)


def test_sample_one_comes_from_the_array() -> None:
    for _ in range(20):
        assert render("{{ a | sample }}", {"a": ["x", "y", "z"]}) in {"x", "y", "z"}


def test_sample_many_are_distinct() -> None:
    picked = render("{{ a | sample: 3 | join: ',' }}", {"a": list(range(10))}).split(",")
    assert len(set(picked)) == 3


def test_sum_error_names_the_element() -> None:
    with pytest.raises(FilterError, match=r"sum: element 0 is string '1'"):
        render('{{ "1,2" | split: "," | sum }}')
