"""match and scan, with Ruby regular-expression syntax translated to Python's."""

from __future__ import annotations

from operator import attrgetter

import pytest
from filtertools import Case
from filtertools import check
from liquid.exceptions import FilterArgumentError

from mechanic_kernel.liquid.filters.regex import ruby_to_python

LOVELY = "It's a lovely day!"

CASES = [
    # statement 125
    Case(
        "scan statement 125",
        "{{ s | scan: \"[\\w']+\" | json }}",
        {"s": LOVELY},
        '["It\'s","a","lovely","day"]',
    ),
    Case(
        "match named capture statement 125",
        '{% assign m = s | match: "a (?<adj>bucolic|lovely) day" %}{{ m.named_captures.adj }}',
        {"s": LOVELY},
        "lovely",
    ),
    # match
    Case("match prints the match", '{{ s | match: "l\\w+" }}', {"s": LOVELY}, "lovely"),
    Case(
        "match captures",
        '{% assign m = s | match: "(\\w+) (\\w+)!" %}{{ m.captures | json }}',
        {"s": LOVELY},
        '["lovely","day"]',
    ),
    Case(
        "match named lookup",
        '{% assign m = s | match: "(?<word>d\\w+)" %}{{ m["word"] }}',
        {"s": LOVELY},
        "day",
    ),
    Case(
        "match pre and post",
        '{% assign m = s | match: "a" %}[{{ m.pre_match }}][{{ m.post_match }}]',
        {"s": "xay"},
        "[x][y]",
    ),
    Case("match none is nil", '{{ s | match: "zzz" | json }}', {"s": LOVELY}, "null"),
    Case("match json is the string", '{{ s | match: "day" | json }}', {"s": LOVELY}, '"day"'),
    Case(
        "match optional group nil",
        '{% assign m = "a" | match: "(a)(b)?" %}{{ m.captures | json }}',
        {},
        '["a",null]',
    ),
    Case(
        "match in condition",
        '{% assign m = s | match: "x" %}{% if m %}y{% else %}n{% endif %}',
        {"s": "x"},
        "y",
    ),
    Case("match inline case-insensitive", '{{ "HeLLo" | match: "(?i)hello" }}', {}, "HeLLo"),
    Case("match ruby line anchors", '{{ s | match: "^b$" }}', {"s": "a\nb\nc"}, "b"),
    Case("match ruby \\A and \\z", '{{ s | match: "\\Ab\\z" | json }}', {"s": "a\nb"}, "null"),
    Case("match ruby \\h", '{{ "id: 0x1F" | match: "0x\\h+" }}', {}, "0x1F"),
    Case("match ruby m flag is dotall", '{{ s | match: "(?m:a.b)" }}', {"s": "a\nb"}, "a\nb"),
    Case("match backreference by name", '{{ "abab" | match: "(?<x>ab)\\k<x>" }}', {}, "abab"),
    Case("match posix class", '{{ "ab12" | match: "[[:digit:]]+" }}', {}, "12"),
    Case("match lookbehind untouched", '{{ "$5" | match: "(?<=\\$)\\d" }}', {}, "5"),
    Case("match nil input", '{{ nope | match: "a" | json }}', {}, "null"),
    Case("match bad regex", '{{ "a" | match: "(" }}', {}, FilterArgumentError),
    Case("match missing regex", '{{ "a" | match }}', {}, FilterArgumentError),
    # scan
    Case(
        "scan captures",
        '{{ "a1 b2" | scan: "(\\w)(\\d)" | map: "captures" | json }}',
        {},
        '[["a","1"],["b","2"]]',
    ),
    Case(
        "scan named captures",
        '{{ "a1 b2" | scan: "(?<l>\\w)(?<d>\\d)" | map: "named_captures" | json }}',
        {},
        '[{"l":"a","d":"1"},{"l":"b","d":"2"}]',
    ),
    Case("scan no matches", '{{ "abc" | scan: "\\d" | json }}', {}, "[]"),
    Case("scan size", '{{ "a,b,c" | scan: "\\w" | size }}', {}, "3"),
    Case("scan bad regex", '{{ "a" | scan: "[a" }}', {}, FilterArgumentError),
]


@pytest.mark.parametrize("case", CASES, ids=attrgetter("description"))
def test_regex_filters(case: Case) -> None:
    check(case)


@pytest.mark.parametrize(
    ("ruby", "python"),
    [
        ("(?<n>a)", "(?P<n>a)"),
        ("(?<=a)(?<!b)", "(?<=a)(?<!b)"),
        ("\\k<n>", "(?P=n)"),
        ("a\\z", "a\\Z"),
        ("a\\Z", "a(?=\\n?\\Z)"),
        ("[\\h]", "[0-9a-fA-F]"),
        ("\\H", "[^0-9a-fA-F]"),
        ("(?mi)x", "(?si)x"),
        ("(?-m:x)", "(?-s:x)"),
        ("[(?<n>)]", "[(?<n>)]"),
        ("\\(?<n>", "\\(?<n>"),
    ],
)
def test_ruby_to_python(ruby: str, python: str) -> None:
    assert ruby_to_python(ruby) == python
