"""Acceptance statements 116-131 of the spec (§9), filter side, as written.

Statement 116 uses the ``newline`` keyword, which the tags/environment work provides; here its value
("\\n") is passed as data. Statement 130's ``{% log secrets.k %}`` belongs to the log tag; the filter
side checks that printing and serialising a secret reference shows only the placeholder.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from operator import attrgetter

import pytest
from filtertools import Case
from filtertools import check
from filtertools import make_plain_env
from filtertools import make_runtime
from filtertools import render
from liquid.exceptions import FilterError

from mechanic_kernel.liquid.secrets import Secrets

H = {"foo": 1, "bar": 2, "baz": None, "deep": {"qux": None}}
XML = "<foo><bar>baz</bar><bar><qux>quux</qux></bar></foo>"
SECRET_DATA = {"secrets": Secrets(["k"]), "globals": {}}
RAW = "raw-secret-value"
PLAIN = make_plain_env()

CASES = [
    Case(
        "116 split newline on captured LF and CRLF",
        "{% capture s %}a\nb\r\nc{% endcapture %}{{ s | split: newline | json }}",
        {"newline": "\n"},
        '["a","b","c"]',
    ),
    Case("117 tz UTC", '{{ "2000-01-01" | date: tz: "UTC" }}', {}, "2000-01-01T06:00:00Z"),
    Case("117 shop zone", '{{ "2000-01-01" | date }}', {}, "2000-01-01T00:00:00-06:00"),
    Case("118 advance", '{{ "2023-01-31" | date: "%F", advance: "1 year 1 month" }}', {}, "2024-02-29"),
    Case("119 parse_date", '{{ "01-01-20" | parse_date: "%m-%d-%y" | date: "%Y-%m-%d" }}', {}, "2020-01-01"),
    Case("119 parse_date failure", '{{ "ab-cd-ef" | parse_date: "%m-%d-%y" | json }}', {}, "null"),
    Case("120 parse_json silent", '{{ "{{" | parse_json: silent: true | json }}', {}, "null"),
    Case("120 parse_json fails the run", '{{ "{{" | parse_json | json }}', {}, FilterError),
    Case(
        "121 in_groups_of",
        '{{ "1,2,3,4,5" | split: "," | in_groups_of: 2 | json }}',
        {},
        '[["1","2"],["3","4"],["5",null]]',
    ),
    Case(
        "121 in_groups_of fill_with false",
        '{{ "1,2,3,4,5" | split: "," | in_groups_of: 2, fill_with: false | json }}',
        {},
        '[["1","2"],["3","4"],["5"]]',
    ),
    Case("122 slice element", '{{ "1,2,3,4,5" | split: "," | slice: 3 }}', {}, "4"),
    Case("122 slice negative", '{{ "1,2,3,4,5" | split: "," | slice: -3, 2 | join: "," }}', {}, "3,4"),
    Case("123 push and sum", "{{ array | push: 2, 3, 5, 7, 11 | sum }}", {"array": []}, "28"),
    Case("124 except", '{{ h | except: "bar", "baz" | json }}', {"h": H}, '{"foo":1,"deep":{"qux":null}}'),
    Case("124 slice", '{{ h | slice: "bar" | json }}', {"h": H}, '{"bar":2}'),
    Case(
        "124 compact top level only",
        "{{ h | compact | json }}",
        {"h": H},
        '{"foo":1,"bar":2,"deep":{"qux":null}}',
    ),
    Case(
        "125 scan",
        "{{ \"It's a lovely day!\" | scan: \"[\\w']+\" | json }}",
        {},
        '["It\'s","a","lovely","day"]',
    ),
    Case(
        "125 match named_captures",
        "{% assign m = \"It's a lovely day!\" | match: \"a (?<adj>bucolic|lovely) day\" %}"
        "{% if m.named_captures.adj == \"lovely\" %}yes{% endif %}",
        {},
        "yes",
    ),
    Case("126 e164", '{{ "1 (312) 456-7890" | e164 }}', {}, "13124567890"),
    Case("126 e164 invalid", '{{ "000" | e164 | json }}', {}, "null"),
    Case("127 gzip gunzip", '{{ "testing" | gzip | gunzip }}', {}, "testing"),
    Case(
        "128 parse_xml",
        "{{ xml | parse_xml | json }}",
        {"xml": XML},
        '{"foo":{"bar":["baz",{"qux":"quux"}]}}',
    ),
    Case("129 csv", "{{ rows | csv }}", {"rows": [["a", "b"], ["1", "2"]]}, "a,b\n1,2\n"),
    Case(
        "129 csv delimiter and BOM",
        '{{ rows | csv: ";", include_bom: true }}',
        {"rows": [["a", "b"], ["1", "2"]]},
        "\ufeffa;b\n1;2\n",
    ),
    Case(
        "130 hmac with secret",
        '{{ "x" | hmac_sha256: secrets.k }}',
        SECRET_DATA,
        hmac.new(RAW.encode(), b"x", hashlib.sha256).hexdigest(),
    ),
    Case("130 secret prints placeholder", "{{ secrets.k }}", SECRET_DATA, "[secret k]"),
    Case("130 secret json placeholder", "{{ secrets.k | json }}", SECRET_DATA, '"[secret k]"'),
    Case("131 missing global", "{{ globals.missing | json }}", SECRET_DATA, "null"),
    Case("131 missing secret", "{{ secrets.missing | json }}", SECRET_DATA, "null"),
]


@pytest.mark.parametrize("case", CASES, ids=attrgetter("description"))
def test_statement(case: Case) -> None:
    check(case, make_runtime(secrets={"k": RAW}))


@pytest.mark.parametrize("case", CASES, ids=attrgetter("description"))
def test_statement_in_plain_environment(case: Case) -> None:
    """The filters need nothing from MechanicEnvironment but ``register(env)`` and an attached runtime."""
    check(case, make_runtime(secrets={"k": RAW}), PLAIN)


def test_116_with_the_newline_keyword() -> None:
    """In MechanicEnvironment ``newline`` is a keyword, so statement 116 runs exactly as written."""
    source = "{% capture s %}a\nb\r\nc{% endcapture %}{{ s | split: newline | json }}"
    assert render(source) == '["a","b","c"]'


def test_130_log_shows_only_the_placeholder() -> None:
    rendered = render("{% log secrets.k %}", SECRET_DATA, make_runtime(secrets={"k": RAW}))
    assert json.loads(rendered) == {"log": "[secret k]"}
    assert RAW not in rendered
