"""String filters Mechanic adds or redefines: unindent, e164, browser, currency, handleize, pluralize,
newline-aware split and replace, the deprecated tag helpers and img_url.

``match`` and ``scan`` live in :mod:`mechanic_kernel.liquid.filters.regex`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP
from decimal import Decimal
from decimal import InvalidOperation
from typing import TYPE_CHECKING
from typing import Any

import phonenumbers
from babel import Locale
from babel import UnknownLocaleError
from babel.numbers import format_currency
from babel.numbers import get_currency_precision
from babel.numbers import is_currency
from liquid.builtin.filters.string import replace as liquid_replace
from liquid.builtin.filters.string import split as liquid_split
from liquid.filter import with_context
from ua_parser import parse as parse_user_agent

from mechanic_kernel.liquid.filters.arguments import argument_error
from mechanic_kernel.liquid.filters.arguments import input_error
from mechanic_kernel.liquid.filters.arguments import is_nil
from mechanic_kernel.liquid.filters.arguments import to_text
from mechanic_kernel.liquid.filters.arguments import type_name
from mechanic_kernel.liquid.runtime import runtime_of

if TYPE_CHECKING:
    from liquid import RenderContext

NEWLINE = "\n"
"""The value of Mechanic's ``newline`` keyword; as a ``split``/``replace`` argument it means ``\\r?\\n``."""

_LINE_BREAK = re.compile(r"\r?\n")
_INDENT = re.compile(r"^[ \t]*(?=\S)", re.MULTILINE)


def unindent(value: object) -> str:
    """Remove the indentation common to every non-blank line (handy after ``capture``).

    Blank lines do not count towards the common indentation, so a capture that starts or ends with a
    newline still unindents.
    """
    text = to_text(value)
    indents = _INDENT.findall(text)
    if not indents:
        return text
    width = min(len(indent) for indent in indents)
    return re.sub(rf"^[ \t]{{0,{width}}}", "", text, flags=re.MULTILINE) if width else text


def split(value: object, separator: object = None) -> list[str]:
    """Shopify's ``split``, except that a newline separator also splits on ``\\r\\n``.

    Splitting on ``newline`` follows Ruby's ``String#split``: trailing empty strings are dropped.
    """
    if separator == NEWLINE:
        parts = _LINE_BREAK.split(to_text(value))
        while parts and parts[-1] == "":
            parts.pop()
        return parts
    return liquid_split(value, separator)


def replace(value: object, old: object = None, new: object = "") -> str:
    """Shopify's ``replace``, except that a newline as ``old`` also replaces ``\\r\\n``."""
    if old == NEWLINE:
        replacement = to_text(new)
        return _LINE_BREAK.sub(lambda _match: replacement, to_text(value))
    return liquid_replace(value, old, new)


def e164(value: object) -> str | None:
    """A phone number in E.164 form without the ``+`` (``"1 (312) 456-7890"`` → ``"13124567890"``).

    The digits must start with the country calling code; the number must be valid for that country.

    Returns:
        The digits, or nil when the input is not a valid phone number.
    """
    digits = re.sub(r"\D", "", to_text(value))
    if not digits:
        return None
    try:
        number = phonenumbers.parse("+" + digits)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)[1:]


class _Described(dict[str, Any]):
    """A hash that prints as a summary (``Chrome 79.0.3945``) rather than as its keys."""

    def __init__(self, text: str, **items: Any) -> None:
        super().__init__(**items)
        self._text = text

    def __str__(self) -> str:
        return self._text

    def __liquid__(self) -> str:
        # Mechanic's output prints other hashes Ruby-inspect style; this one prints its summary.
        return self._text


def _version(part: Any) -> _Described:
    numbers = [getattr(part, name, None) for name in ("major", "minor", "patch", "patch_minor")]
    major, minor, patch, patch_minor = numbers
    text = ".".join(str(number) for number in numbers if number is not None)
    return _Described(text, major=major, minor=minor, patch=patch, patch_minor=patch_minor)


def browser(value: object) -> _Described:
    """Parse a user-agent string.

    Returns:
        A hash with ``name`` and ``version`` (``.major``, ``.minor``, ``.patch``), ``os`` (``.name``,
        ``.version``) and ``device`` (``.name``, ``.brand``, ``.model``); unknown parts are named
        ``Other`` as in the ua-parser project. It prints as name and version (``Google 79.0.259819395``).
    """
    result = parse_user_agent(to_text(value))
    agent, system, device = result.user_agent, result.os, result.device
    name = agent.family if agent else "Other"
    version = _version(agent)
    os_name = system.family if system else "Other"
    os_version = _version(system)
    return _Described(
        f"{name} {version}".strip(),
        name=name,
        family=name,
        version=version,
        os=_Described(f"{os_name} {os_version}".strip(), name=os_name, family=os_name, version=os_version),
        device=_Described(
            device.family if device else "Other",
            name=device.family if device else "Other",
            family=device.family if device else "Other",
            brand=device.brand if device else None,
            model=device.model if device else None,
        ),
    )


# Babel groups with narrow or no-break spaces in many locales (fr: U+202F); Mechanic's documented
# output (`€100 000,00`) uses a plain space, so those are normalised (docs/decisions.md, "Filters").
_SPACES = str.maketrans({"\u202f": " ", "\xa0": " "})


@with_context
def currency(value: object, code: object = None, *, context: RenderContext, locale: object = None) -> str:
    """Format an amount of money, symbol first, with no ISO code suffix.

    Args:
        value: the amount (number or numeric string).
        code: the ISO 4217 currency code; the shop's currency by default.
        context: the render context (for the shop's currency and locale).
        locale: the locale whose grouping and decimal marks to use; the shop's by default.

    Returns:
        E.g. ``$100,000.00``, or ``€100 000,00`` for ``currency: "EUR", locale: "fr"``; the number of
        decimals follows the currency (``¥1,235``), rounding halves up.

    Raises:
        FilterError: the amount is not a number.
        FilterArgumentError: an unknown currency code or locale.
    """
    runtime = runtime_of(context)
    currency_code = (runtime.currency if is_nil(code) else to_text(code)).strip().upper()
    if not is_currency(currency_code):
        raise argument_error("currency", f"unknown currency code {currency_code!r}")
    locale_name = runtime.locale if is_nil(locale) else to_text(locale)
    try:
        babel_locale = Locale.parse(locale_name.replace("-", "_"))
    except (UnknownLocaleError, ValueError) as err:
        raise argument_error("currency", f"unknown locale {locale_name!r}") from err
    try:
        amount = Decimal(to_text(value).strip())
    except InvalidOperation as err:
        raise input_error(
            "currency", f"expected an amount, got {type_name(value)} {to_text(value)!r}"
        ) from err
    if not amount.is_finite():
        raise input_error("currency", f"expected an amount, got {to_text(value)!r}")
    places = get_currency_precision(currency_code)
    amount = amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = format_currency(amount, currency_code, format="¤#,##0.00", locale=babel_locale)
    return text.translate(_SPACES)


def handleize(value: object) -> str:
    """A URL handle: lowercase letters and digits separated by single hyphens.

    Apostrophes and quotes are dropped (``Women's`` → ``womens``); every other run of characters that
    are not letters or digits becomes one hyphen, trimmed at both ends (``100% M & Ms!!!`` → ``100-m-ms``).
    """
    text = re.sub(r"['\"’]", "", to_text(value).lower())
    return re.sub(r"[\W_]+", "-", text).strip("-")


handle = handleize


def pluralize(value: object, singular: object = None, plural: object = None) -> str:
    """``singular`` when the input is the number 1, else ``plural`` (Shopify's rule: nil, ``"1"`` and
    other non-numbers take the plural).

    Raises:
        FilterArgumentError: a word is missing.
    """
    if is_nil(singular) or is_nil(plural):
        raise argument_error(
            "pluralize", "expected a singular and a plural word, e.g. pluralize: \"item\", \"items\""
        )
    is_one = isinstance(value, int | float | Decimal) and not isinstance(value, bool) and value == 1
    return to_text(singular) if is_one else to_text(plural)


# --- deprecated tag helpers (tags as a comma-separated string, as in Shopify's REST resources) -------


def _tags(value: object) -> list[str]:
    items = value if isinstance(value, list | tuple) else to_text(value).split(",")
    return [text for item in items if (text := to_text(item).strip())]


def _with_tags(value: object, tags: tuple[object, ...]) -> str:
    current = _tags(value)
    # Shopify compares tags case-insensitively, so an existing tag is not added a second time.
    seen = {tag.lower() for tag in current}
    for tag in _tags(list(tags)):
        for part in _tags(tag):
            if part.lower() not in seen:
                current.append(part)
                seen.add(part.lower())
    return ", ".join(current)


def _without_tags(value: object, tags: tuple[object, ...]) -> str:
    drop = {part.lower() for tag in _tags(list(tags)) for part in _tags(tag)}
    return ", ".join(tag for tag in _tags(value) if tag.lower() not in drop)


def add_tag(value: object, tag: object = None) -> str:
    """Deprecated: a comma-separated tag string (or array) with ``tag`` added if absent."""
    return _with_tags(value, (tag,))


def add_tags(value: object, *tags: object) -> str:
    """Deprecated: like ``add_tag`` for several tags (arguments, arrays or comma-separated strings)."""
    return _with_tags(value, tags)


def remove_tag(value: object, tag: object = None) -> str:
    """Deprecated: a comma-separated tag string (or array) without ``tag`` (compared case-insensitively)."""
    return _without_tags(value, (tag,))


def remove_tags(value: object, *tags: object) -> str:
    """Deprecated: like ``remove_tag`` for several tags."""
    return _without_tags(value, tags)


# --- img_url (deprecated Shopify filter) -------------------------------------------------------------

_NAMED_SIZES = {
    "pico": "16x16",
    "icon": "32x32",
    "thumb": "50x50",
    "small": "100x100",
    "compact": "160x160",
    "medium": "240x240",
    "large": "480x480",
    "grande": "600x600",
}
_SIZE = re.compile(r"^(\d+x\d*|x\d+)$")
_NO_IMAGE = "//cdn.shopify.com/s/images/admin/no-image-{size}.gif"


def img_url(value: object, size: object = "small", *, crop: object = None, scale: object = None) -> str:
    """Deprecated: a Shopify CDN image URL resized by inserting ``_<size>`` before the extension.

    Args:
        value: an image URL, or a hash with ``src`` (an image) or ``image``/``featured_image``.
        size: ``"100x100"``, ``"100x"``, ``"x100"``, a named size (``small`` = 100x100, ``large``,
            ``grande`` …), or ``"original"``/``"master"`` for the unchanged URL.
        crop: ``top``, ``center``, ``bottom``, ``left`` or ``right``.
        scale: 2 or 3, for ``@2x``/``@3x``.

    Raises:
        FilterArgumentError: an unknown size.
    """
    if isinstance(value, Mapping):
        value = value.get("src") or value.get("image") or value.get("featured_image")
        if isinstance(value, Mapping):
            value = value.get("src")
    name = "small" if is_nil(size) else to_text(size).strip().lower()
    if is_nil(value) or not to_text(value):
        return _NO_IMAGE.format(size=name)
    url = to_text(value)
    if name in ("original", "master"):
        return url
    dimensions = _NAMED_SIZES.get(name, name)
    if not _SIZE.match(dimensions):
        raise argument_error("img_url", f"unknown size {to_text(size)!r}; use e.g. \"100x100\" or \"small\"")
    suffix = f"_{dimensions}"
    if not is_nil(crop):
        suffix += f"_crop_{to_text(crop)}"
    if not is_nil(scale):
        suffix += f"@{to_text(scale)}x"
    path, mark, query = url.partition("?")
    stem, dot, extension = path.rpartition(".")
    if not dot or "/" in extension:
        return f"{path}{suffix}{mark}{query}"
    return f"{stem}{suffix}.{extension}{mark}{query}"
