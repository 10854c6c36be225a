"""Mechanic's filters, and :func:`register`, which installs them in a Liquid environment.

The environment starts with python-liquid's built-in (Shopify) filters. ``register`` removes those
Mechanic does not offer (spec §5.4: "any Shopify filter not listed is unavailable"), replaces those
Mechanic redefines (``date``, ``sum``, ``slice``, ``compact``, ``split``, ``replace``, base64) or
that need a better error (``concat``) and adds the
Mechanic ones, one line per filter so the full list can be read here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mechanic_kernel.liquid.filters import array
from mechanic_kernel.liquid.filters import crypto
from mechanic_kernel.liquid.filters import data
from mechanic_kernel.liquid.filters import date
from mechanic_kernel.liquid.filters import hash
from mechanic_kernel.liquid.filters import money
from mechanic_kernel.liquid.filters import regex
from mechanic_kernel.liquid.filters import shopify
from mechanic_kernel.liquid.filters import string

if TYPE_CHECKING:
    from liquid import Environment

# python-liquid built-ins that are not in Mechanic's list of supported Shopify filters.
UNSUPPORTED_BUILTINS = (
    "find",
    "find_index",
    "has",
    "reject",
    "squish",
    "safe",
    "escapejs",
)


def register(env: Environment) -> None:
    """Install Mechanic's filter set in ``env`` (built-ins Mechanic keeps stay as they are).

    Args:
        env: a python-liquid environment whose built-in filters are already registered.
    """
    for name in UNSUPPORTED_BUILTINS:
        env.filters.pop(name, None)

    # data
    env.add_filter("json", data.json)
    env.add_filter("parse_json", data.parse_json)
    env.add_filter("jsonl", data.jsonl)
    env.add_filter("parse_jsonl", data.parse_jsonl)
    env.add_filter("csv", data.csv)
    env.add_filter("parse_csv", data.parse_csv)
    env.add_filter("parse_xml", data.parse_xml)
    env.add_filter("graphql_arguments", data.graphql_arguments)
    env.add_filter("gzip", data.gzip)
    env.add_filter("gunzip", data.gunzip)
    env.add_filter("base64_encode", data.base64_encode)
    env.add_filter("base64_decode", data.base64_decode)
    env.add_filter("base64_url_safe_encode", data.base64_url_safe_encode)
    env.add_filter("base64_url_safe_decode", data.base64_url_safe_decode)
    env.add_filter("base64", data.base64_encode)  # deprecated alias
    env.add_filter("decode_base64", data.base64_decode)  # deprecated alias
    env.add_filter("base64url", data.base64_url_safe_encode)  # deprecated alias
    env.add_filter("decode_base64url", data.base64_url_safe_decode)  # deprecated alias

    # string
    env.add_filter("unindent", string.unindent)
    env.add_filter("split", string.split)
    env.add_filter("replace", string.replace)
    env.add_filter("e164", string.e164)
    env.add_filter("browser", string.browser)
    env.add_filter("currency", string.currency)
    env.add_filter("money", money.money)
    env.add_filter("money_with_currency", money.money_with_currency)
    env.add_filter("money_without_currency", money.money_without_currency)
    env.add_filter("money_without_trailing_zeros", money.money_without_trailing_zeros)
    env.add_filter("url_param_escape", money.url_param_escape)
    env.add_filter("handleize", string.handleize)
    env.add_filter("handle", string.handleize)
    env.add_filter("pluralize", string.pluralize)
    env.add_filter("add_tag", string.add_tag)  # deprecated
    env.add_filter("add_tags", string.add_tags)  # deprecated
    env.add_filter("remove_tag", string.remove_tag)  # deprecated
    env.add_filter("remove_tags", string.remove_tags)  # deprecated
    env.add_filter("img_url", string.img_url)  # deprecated

    # regex
    env.add_filter("match", regex.match)
    env.add_filter("scan", regex.scan)

    # crypto
    env.add_filter("md5", crypto.md5)
    env.add_filter("sha1", crypto.sha1)
    env.add_filter("sha256", crypto.sha256)
    env.add_filter("sha512", crypto.sha512)
    env.add_filter("hmac_sha1", crypto.hmac_sha1)
    env.add_filter("hmac_sha256", crypto.hmac_sha256)
    env.add_filter("hmac_sha512", crypto.hmac_sha512)
    env.add_filter("rsa_sha256", crypto.rsa_sha256)
    env.add_filter("rsa_sha512", crypto.rsa_sha512)

    # date
    env.add_filter("date", date.date)
    env.add_filter("parse_date", date.parse_date)

    # array (compact, except and slice also take hashes)
    env.add_filter("push", array.push)
    env.add_filter("unshift", array.unshift)
    env.add_filter("except", array.except_)
    env.add_filter("sample", array.sample)
    env.add_filter("slice", array.slice_)
    env.add_filter("sort_naturally", array.sort_naturally)
    env.add_filter("sum", array.sum_)
    env.add_filter("in_groups", array.in_groups)
    env.add_filter("in_groups_of", array.in_groups_of)
    env.add_filter("index_by", array.index_by)
    env.add_filter("compact", array.compact)
    env.add_filter("concat", array.concat)

    # hash
    env.add_filter("keys", hash.keys)
    env.add_filter("values", hash.values)

    # shopify
    env.add_filter("shopify", shopify.shopify)
