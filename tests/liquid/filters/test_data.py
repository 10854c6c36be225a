"""Data-format filters: json, parse_json, jsonl, parse_jsonl, csv, parse_csv, parse_xml,
graphql_arguments, gzip/gunzip and the base64 family."""

from __future__ import annotations

import base64
import gzip
from decimal import Decimal
from operator import attrgetter

import pytest
from filtertools import Case
from filtertools import check
from filtertools import render
from liquid.exceptions import FilterArgumentError
from liquid.exceptions import FilterError

XML_SAMPLE = "<foo><bar>baz</bar><bar><qux>quux</qux></bar></foo>"

CASES = [
    # json
    Case("json hash", "{{ h | json }}", {"h": {"a": 1, "b": [True, None]}}, '{"a":1,"b":[true,null]}'),
    Case("json string escapes", "{{ s | json }}", {"s": 'say "hi"\n'}, '"say \\"hi\\"\\n"'),
    Case("json keeps non-ascii", "{{ s | json }}", {"s": "crème"}, '"crème"'),
    Case("json undefined is null", "{{ nope | json }}", {}, "null"),
    Case("json decimal", "{{ d | json }}", {"d": Decimal("19.99")}, "19.99"),
    Case("json integral decimal", "{{ d | json }}", {"d": Decimal("20")}, "20"),
    # parse_json
    Case("parse_json object", '{{ s | parse_json | json }}', {"s": '{"a": [1, 2.5]}'}, '{"a":[1,2.5]}'),
    Case("parse_json scalar", "{{ s | parse_json | plus: 1 }}", {"s": "41"}, "42"),
    Case("parse_json lookup", "{% assign x = s | parse_json %}{{ x.a.b }}", {"s": '{"a":{"b":"c"}}'}, "c"),
    Case("parse_json invalid", '{{ "{{" | parse_json }}', {}, FilterError),
    Case("parse_json invalid silent", '{{ "{{" | parse_json: silent: true | json }}', {}, "null"),
    Case("parse_json empty string", "{{ '' | parse_json }}", {}, FilterError),
    Case("parse_json nil", "{{ nope | parse_json }}", {}, FilterError),
    Case("parse_json nil silent", "{{ nope | parse_json: silent: true | json }}", {}, "null"),
    Case("parse_json hash input", "{{ h | parse_json }}", {"h": {"a": 1}}, FilterError),
    # jsonl / parse_jsonl
    Case("jsonl", "{{ a | jsonl }}", {"a": [{"a": 1}, [2], "x"]}, '{"a":1}\n[2]\n"x"'),
    Case("jsonl empty", "{{ a | jsonl }}", {"a": []}, ""),
    Case("jsonl not an array", "{{ h | jsonl }}", {"h": {"a": 1}}, FilterError),
    Case(
        "parse_jsonl",
        "{{ s | parse_jsonl | json }}",
        {"s": '{"id":1}\n\n{"id":2}\r\n'},
        '[{"id":1},{"id":2}]',
    ),
    Case("parse_jsonl nil", "{{ nope | parse_jsonl | json }}", {}, "[]"),
    Case("parse_jsonl invalid line", "{{ s | parse_jsonl }}", {"s": '{"id":1}\n{oops}'}, FilterError),
    Case(
        "parse_jsonl round trip",
        "{{ a | jsonl | parse_jsonl | json }}",
        {"a": [{"a": 1}, {"b": 2}]},
        '[{"a":1},{"b":2}]',
    ),
    # csv
    Case("csv", "{{ rows | csv }}", {"rows": [["a", "b"], ["1", "2"]]}, "a,b\n1,2\n"),
    Case(
        "csv quoting",
        "{{ rows | csv }}",
        {"rows": [['x,y', 'say "hi"', "a\nb"]]},
        '"x,y","say ""hi""","a\nb"\n',
    ),
    Case("csv nil and numbers", "{{ rows | csv }}", {"rows": [[None, 1, 2.5, True]]}, ",1,2.5,true\n"),
    Case(
        "csv delimiter and bom",
        '{{ rows | csv: ";", include_bom: true }}',
        {"rows": [["a", "b"], ["1", "2"]]},
        "\ufeffa;b\n1;2\n",
    ),
    Case("csv bad delimiter", '{{ rows | csv: ";;" }}', {"rows": [["a"]]}, FilterArgumentError),
    Case("csv not rows", "{{ rows | csv }}", {"rows": ["a", "b"]}, FilterError),
    Case("csv not an array", "{{ rows | csv }}", {"rows": "a,b"}, FilterError),
    # parse_csv
    Case("parse_csv", "{{ s | parse_csv | json }}", {"s": "a,b\n1,2\n"}, '[["a","b"],["1","2"]]'),
    Case("parse_csv quoted", "{{ s | parse_csv | json }}", {"s": '"x,y","a\nb"\r\n'}, '[["x,y","a\\nb"]]'),
    Case(
        "parse_csv headers",
        "{{ s | parse_csv: headers: true | json }}",
        {"s": "a,b\n1,2\n3\n"},
        '[{"a":"1","b":"2"},{"a":"3","b":null}]',
    ),
    Case("parse_csv delimiter", '{{ s | parse_csv: delimiter: ";" | json }}', {"s": "a;b\n"}, '[["a","b"]]'),
    Case("parse_csv bom", "{{ s | parse_csv | json }}", {"s": "\ufeffa,b"}, '[["a","b"]]'),
    Case(
        "parse_csv round trip",
        "{{ rows | csv | parse_csv | json }}",
        {"rows": [["a,1", 'q"'], ["", "x"]]},
        '[["a,1","q\\""],["","x"]]',
    ),
    Case("parse_csv malformed", "{{ s | parse_csv }}", {"s": 'a,"b\n'}, FilterError),
    Case("parse_csv not a string", "{{ a | parse_csv }}", {"a": [1]}, FilterError),
    # parse_xml
    Case(
        "parse_xml documented sample",
        "{{ x | parse_xml | json }}",
        {"x": XML_SAMPLE},
        '{"foo":{"bar":["baz",{"qux":"quux"}]}}',
    ),
    Case(
        "parse_xml attributes and content",
        "{{ x | parse_xml | json }}",
        {"x": '<a id="1"><b lang="en">hi</b><c/></a>'},
        '{"a":{"id":"1","b":{"lang":"en","__content__":"hi"},"c":null}}',
    ),
    Case(
        "parse_xml rails types",
        "{{ x | parse_xml | json }}",
        {
            "x": '<r><n type="integer">3</n><f type="float">1.5</f><t type="boolean">true</t>'
            '<z nil="true"/><l type="array"><i>1</i><i>2</i></l><e type="array"/></r>'
        },
        '{"r":{"n":3,"f":1.5,"t":true,"z":null,"l":["1","2"],"e":[]}}',
    ),
    Case("parse_xml invalid", "{{ x | parse_xml }}", {"x": "<a><b></a>"}, FilterError),
    Case("parse_xml not a string", "{{ x | parse_xml }}", {"x": {"a": 1}}, FilterError),
    Case(
        "parse_xml entity is refused",
        "{{ x | parse_xml }}",
        {"x": '<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>'},
        FilterError,
    ),
    # graphql_arguments
    Case(
        "graphql_arguments hash",
        "{{ h | graphql_arguments }}",
        {"h": {"a": "x", "b": {"id": "gid://1"}, "c": [1, 2]}},
        'a: "x" b: { id: "gid://1" } c: [1, 2]',
    ),
    Case(
        "graphql_arguments array of hashes",
        "{{ a | graphql_arguments }}",
        {"a": [{"key": "k", "value": "v\"q"}, {"n": None, "t": True, "f": 1.5}]},
        '[{ key: "k" value: "v\\"q" }, { n: null t: true f: 1.5 }]',
    ),
    Case(
        "graphql_arguments empty nested",
        "{{ h | graphql_arguments }}",
        {"h": {"a": {}, "b": []}},
        "a: {} b: []",
    ),
    Case("graphql_arguments scalar", "{{ s | graphql_arguments }}", {"s": "x"}, '"x"'),
    Case(
        "graphql_arguments push",
        "{{ array | push: h | graphql_arguments }}",
        {"array": [], "h": {"id": 1}},
        "[{ id: 1 }]",
    ),
    # gzip
    Case("gzip round trip", '{{ "testing" | gzip | gunzip }}', {}, "testing"),
    Case("gzip unicode round trip", "{{ s | gzip | gunzip }}", {"s": "héllo ✓"}, "héllo ✓"),
    Case(
        "gzip through base64",
        "{{ s | gzip | base64_encode | decode_base64: force_utf8: false | gunzip }}",
        {"s": "abc"},
        "abc",
    ),
    Case(
        "gunzip python data",
        "{{ b | decode_base64: force_utf8: false | gunzip }}",
        {"b": base64.b64encode(gzip.compress(b"hi")).decode()},
        "hi",
    ),
    Case("gunzip not gzip", '{{ "plain" | gunzip }}', {}, FilterError),
    # base64
    Case("base64_encode", '{{ "hello" | base64_encode }}', {}, "aGVsbG8="),
    Case("base64_encode utf-8", '{{ "é" | base64_encode }}', {}, "w6k="),
    Case("base64_decode", '{{ "aGVsbG8=" | base64_decode }}', {}, "hello"),
    Case("base64_decode unpadded", '{{ "aGVsbG8" | base64_decode }}', {}, "hello"),
    Case("base64_decode invalid", '{{ "!!!" | base64_decode }}', {}, FilterError),
    Case("base64_url_safe_encode", "{{ s | base64_url_safe_encode }}", {"s": "\u00ff\u00fe?"}, "w7_Dvj8="),
    Case("base64_url_safe_decode", '{{ "w7_Dvj8" | base64_url_safe_decode }}', {}, "\u00ff\u00fe?"),
    Case("deprecated base64", '{{ "hello" | base64 }}', {}, "aGVsbG8="),
    Case("deprecated decode_base64", '{{ "aGVsbG8=" | decode_base64 }}', {}, "hello"),
    Case("deprecated base64url", "{{ s | base64url }}", {"s": "\u00ff\u00fe?"}, "w7_Dvj8="),
    Case("deprecated decode_base64url", '{{ "w7_Dvj8=" | decode_base64url }}', {}, "\u00ff\u00fe?"),
    Case("binary survives base64", '{{ "/w==" | decode_base64 | base64_encode }}', {}, "/w=="),
]


@pytest.mark.parametrize("case", CASES, ids=attrgetter("description"))
def test_data_filters(case: Case) -> None:
    check(case)


def test_parse_json_error_names_filter_and_position() -> None:
    with pytest.raises(FilterError, match=r"parse_json: invalid JSON at line 1 column 2"):
        render('{{ "{{" | parse_json }}')


def test_gzip_output_is_real_gzip() -> None:
    encoded = render('{{ "testing" | gzip | base64_encode }}')
    assert gzip.decompress(base64.b64decode(encoded)) == b"testing"
