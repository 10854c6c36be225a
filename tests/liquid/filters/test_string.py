"""String filters: unindent, newline-aware split/replace/newline_to_br, e164, browser, currency,
handleize, pluralize, replace_last/remove_last, the deprecated tag helpers and img_url."""

from __future__ import annotations

from operator import attrgetter

import pytest
from filtertools import Case
from filtertools import check
from filtertools import make_runtime
from filtertools import render
from liquid.exceptions import FilterArgumentError
from liquid.exceptions import FilterError

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/79.0.3945.88 Safari/537.36"
)
GSA = (
    "Mozilla/5.0 (Linux; Android 9; SM-G960F Build/PPR1.180610.011; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/74.0.3729.157 Mobile Safari/537.36 GSA/79.0.259819395"
)
IMAGE = "https://cdn.shopify.com/s/files/1/0001/products/shirt.jpg?v=1"

CASES = [
    # unindent
    Case("unindent", "{{ s | unindent }}", {"s": "    a\n      b\n    c"}, "a\n  b\nc"),
    Case("unindent ignores blank lines", "{{ s | unindent }}", {"s": "\n    a\n\n    b\n"}, "\na\n\nb\n"),
    Case("unindent tabs", "{{ s | unindent }}", {"s": "\ta\n\t\tb"}, "a\n\tb"),
    Case("unindent nothing to do", "{{ s | unindent }}", {"s": "a\n  b"}, "a\n  b"),
    Case("unindent nil", "{{ nope | unindent }}", {}, ""),
    # newline-aware split / replace / newline_to_br (the `newline` keyword is "\n")
    Case(
        "split newline LF and CRLF",
        "{{ s | split: newline | json }}",
        {"s": "a\nb\r\nc", "newline": "\n"},
        '["a","b","c"]',
    ),
    Case(
        "split newline drops trailing empties",
        "{{ s | split: nl | json }}",
        {"s": "a\n\nb\n\n", "nl": "\n"},
        '["a","","b"]',
    ),
    Case("split other separators unchanged", '{{ "a,b" | split: "," | json }}', {}, '["a","b"]'),
    Case("split space", '{{ " a  b " | split: " " | json }}', {}, '["a","b"]'),
    Case("replace newline", "{{ s | replace: nl, '<br>' }}", {"s": "a\r\nb\nc", "nl": "\n"}, "a<br>b<br>c"),
    Case(
        "replace newline with backslash",
        "{{ s | replace: nl, r }}",
        {"s": "a\nb", "nl": "\n", "r": "\\1"},
        "a\\1b",
    ),
    Case("replace other unchanged", '{{ "aXbX" | replace: "X", "-" }}', {}, "a-b-"),
    Case("newline_to_br", "{{ s | newline_to_br }}", {"s": "a\r\nb\nc"}, "a<br />\nb<br />\nc"),
    Case("replace_last", '{{ "a-b-c" | replace_last: "-", "+" }}', {}, "a-b+c"),
    Case("remove_last", '{{ "a-b-c" | remove_last: "-" }}', {}, "a-bc"),
    # e164
    Case("e164 statement 126", '{{ "1 (312) 456-7890" | e164 }}', {}, "13124567890"),
    Case("e164 invalid is nil", '{{ "000" | e164 | json }}', {}, "null"),
    Case("e164 with plus", '{{ "+44 20 7946 0958" | e164 }}', {}, "442079460958"),
    Case("e164 nil", "{{ nope | e164 | json }}", {}, "null"),
    Case("e164 letters only", '{{ "call me" | e164 | json }}', {}, "null"),
    # browser
    Case("browser prints name and version", "{{ ua | browser }}", {"ua": GSA}, "Google 79.0.259819395"),
    Case(
        "browser parts",
        "{% assign b = ua | browser %}{{ b.name }}|{{ b.version.major }}|{{ b.version.minor }}|"
        "{{ b.os.name }}|{{ b.os.version.major }}",
        {"ua": CHROME},
        "Chrome|79|0|Windows|10",
    ),
    Case(
        "browser device",
        "{% assign b = ua | browser %}{{ b.device.name }}|{{ b.device.brand }}|{{ b.device.model }}",
        {"ua": GSA},
        "Samsung SM-G960F|Samsung|SM-G960F",
    ),
    Case(
        "browser unknown",
        '{% assign b = "zzz" | browser %}{{ b.name }}|{{ b.os.name }}|{{ b.device.name }}',
        {},
        "Other|Other|Other",
    ),
    # currency
    Case("currency documented", '{{ "100000.0" | currency }}', {}, "$100,000.00"),
    Case("currency documented EUR fr", '{{ 100000 | currency: "EUR", locale: "fr" }}', {}, "€100 000,00"),
    Case("currency negative", "{{ -5 | currency }}", {}, "-$5.00"),
    Case("currency rounds half up", "{{ 0.125 | currency }}", {}, "$0.13"),
    Case("currency zero-decimal currency", '{{ 1234.5 | currency: "JPY" }}', {}, "¥1,235"),
    Case("currency lower-case code", '{{ 5 | currency: "gbp" }}', {}, "£5.00"),
    Case("currency locale with region", '{{ 1234 | currency: "EUR", locale: "de-DE" }}', {}, "€1.234,00"),
    Case("currency not a number", '{{ "lots" | currency }}', {}, FilterError),
    Case("currency nil", "{{ nope | currency }}", {}, FilterError),
    Case("currency unknown code", '{{ 1 | currency: "XXY" }}', {}, FilterArgumentError),
    Case("currency unknown locale", '{{ 1 | currency: "USD", locale: "zz" }}', {}, FilterArgumentError),
    # handleize
    Case("handleize documented", '{{ "100% M & Ms!!!" | handleize }}', {}, "100-m-ms"),
    Case("handleize apostrophe", '{{ "Women\'s Shoes" | handleize }}', {}, "womens-shoes"),
    Case("handleize underscores and dashes", '{{ "  a__b--c " | handleize }}', {}, "a-b-c"),
    Case("handleize unicode letters", '{{ "Crème Brûlée" | handleize }}', {}, "crème-brûlée"),
    Case("handle alias", '{{ "Hello World" | handle }}', {}, "hello-world"),
    # pluralize
    Case("pluralize one", '{{ 1 | pluralize: "item", "items" }}', {}, "item"),
    Case("pluralize many", '{{ 3 | pluralize: "item", "items" }}', {}, "items"),
    Case("pluralize zero", '{{ 0 | pluralize: "item", "items" }}', {}, "items"),
    Case("pluralize string one is not one", '{{ "1" | pluralize: "item", "items" }}', {}, "items"),
    Case("pluralize float one", "{{ 1.0 | pluralize: 'item', 'items' }}", {}, "item"),
    Case("pluralize nil", "{{ nope | pluralize: 'item', 'items' }}", {}, "items"),
    Case("pluralize missing plural", '{{ 1 | pluralize: "item" }}', {}, FilterArgumentError),
    Case("pluralize not a number", '{{ "x" | pluralize: "item", "items" }}', {}, "items"),
    # deprecated tag helpers
    Case("add_tag", '{{ "a, b" | add_tag: "c" }}', {}, "a, b, c"),
    Case("add_tag existing any case", '{{ "a, B" | add_tag: "b" }}', {}, "a, B"),
    Case("add_tag to empty", '{{ "" | add_tag: "c" }}', {}, "c"),
    Case("add_tags several", '{{ "a" | add_tags: "b, c", "d" }}', {}, "a, b, c, d"),
    Case("add_tags array input", "{{ tags | add_tags: 'c' }}", {"tags": ["a", "b"]}, "a, b, c"),
    Case("remove_tag", '{{ "a, b, c" | remove_tag: "B" }}', {}, "a, c"),
    Case("remove_tags", '{{ "a, b, c" | remove_tags: "a", "c" }}', {}, "b"),
    Case("remove_tags comma string", '{{ "a,b,c" | remove_tags: "a, c" }}', {}, "b"),
    # img_url
    Case(
        "img_url default small",
        "{{ u | img_url }}",
        {"u": IMAGE},
        IMAGE.replace("shirt.jpg", "shirt_100x100.jpg"),
    ),
    Case(
        "img_url size",
        "{{ u | img_url: '300x' }}",
        {"u": IMAGE},
        IMAGE.replace("shirt.jpg", "shirt_300x.jpg"),
    ),
    Case(
        "img_url crop and scale",
        "{{ u | img_url: 'large', crop: 'center', scale: 2 }}",
        {"u": IMAGE},
        IMAGE.replace("shirt.jpg", "shirt_480x480_crop_center@2x.jpg"),
    ),
    Case("img_url original", "{{ u | img_url: 'original' }}", {"u": IMAGE}, IMAGE),
    Case("img_url image hash", "{{ img | img_url: 'thumb' }}", {"img": {"src": "x/a.png"}}, "x/a_50x50.png"),
    Case("img_url nil", "{{ nope | img_url }}", {}, "//cdn.shopify.com/s/images/admin/no-image-small.gif"),
    Case("img_url bad size", "{{ u | img_url: 'huge' }}", {"u": IMAGE}, FilterArgumentError),
]


@pytest.mark.parametrize("case", CASES, ids=attrgetter("description"))
def test_string_filters(case: Case) -> None:
    check(case)


def test_currency_defaults_to_the_shop_currency_and_locale() -> None:
    runtime = make_runtime(currency="EUR", locale="fr")
    assert render("{{ 1234.5 | currency }}", runtime=runtime) == "€1 234,50"
