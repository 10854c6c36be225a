"""register(env): Mechanic's filter set is complete, and Shopify filters Mechanic lacks are gone."""

from __future__ import annotations

import liquid
import pytest

from mechanic_kernel.liquid.filters import UNSUPPORTED_BUILTINS
from mechanic_kernel.liquid.filters import register

# spec §5.4: the Mechanic filter table, the supported Shopify filters and the deprecated aliases.
MECHANIC = """browser csv parse_csv date parse_date gzip gunzip graphql_arguments json parse_json jsonl
parse_jsonl parse_xml shopify e164 match scan hmac_sha512 sha512 rsa_sha256 rsa_sha512 unindent currency
in_groups in_groups_of index_by push unshift except sample slice sort_naturally sum compact keys values
hmac_sha1 hmac_sha256""".split()
SHOPIFY = """default append base64_decode base64_encode base64_url_safe_decode base64_url_safe_encode
capitalize downcase escape escape_once handleize handle hmac_sha1 hmac_sha256 lstrip md5 newline_to_br
pluralize prepend remove remove_first remove_last replace replace_first replace_last rstrip sha1 sha256
slice split strip strip_html strip_newlines truncate truncatewords upcase url_decode url_encode abs
at_least at_most ceil divided_by floor minus modulo plus round times compact concat first join last map
reverse size sort sort_natural uniq where""".split()
# Not in the spec's list, but called by tasks of the public library (docs/decisions.md, "Filters").
LIBRARY = "money money_with_currency money_without_currency money_without_trailing_zeros url_param_escape".split()
DEPRECATED = """add_tag add_tags remove_tag remove_tags img_url base64 decode_base64 base64url
decode_base64url""".split()


@pytest.fixture(scope="module")
def env() -> liquid.Environment:
    environment = liquid.Environment()
    register(environment)
    return environment


@pytest.mark.parametrize("name", sorted(set(MECHANIC + SHOPIFY + DEPRECATED + LIBRARY)))
def test_filter_is_registered(env: liquid.Environment, name: str) -> None:
    assert name in env.filters


@pytest.mark.parametrize("name", UNSUPPORTED_BUILTINS)
def test_unsupported_builtin_is_removed(env: liquid.Environment, name: str) -> None:
    assert name not in env.filters


def test_nothing_unexpected_is_registered(env: liquid.Environment) -> None:
    assert set(env.filters) == set(MECHANIC + SHOPIFY + DEPRECATED + LIBRARY)


def test_unknown_filter_fails(env: liquid.Environment) -> None:
    with pytest.raises(liquid.exceptions.UnknownFilterError):
        env.from_string("{{ a | reject: 'x' }}").render(a=[])


def test_register_is_idempotent() -> None:
    environment = liquid.Environment()
    register(environment)
    before = dict(environment.filters)
    register(environment)
    assert environment.filters == before
