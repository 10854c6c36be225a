"""Workbench settings: the known keys, their defaults and the rules their values must follow."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

from .errors import InvalidInput
from .errors import StoreUnavailable
from .store.contract import SettingsStore

DEFAULT_BODY_LIMIT = 10 * 1024 * 1024
CACHE_SECONDS = 1.0
_HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def normalize_origin(value: str) -> str:
    """Return ``scheme://host[:port]`` for an origin, or ``*``.

    Raises:
        InvalidInput: when ``value`` is not an http(s) origin.
    """
    value = value.strip()
    if value == "*":
        return value
    parts = urlsplit(value)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
    ):
        raise InvalidInput(
            f"invalid CORS origin {value!r}: expected scheme://host[:port] such as https://shop.example.com, or *"
        )
    origin = f"{parts.scheme}://{parts.hostname}"
    return f"{origin}:{parts.port}" if parts.port else origin


def origin_of(url: str) -> str:
    """The origin (``scheme://host[:port]``) of a URL such as a server's base URL.

    Raises:
        InvalidInput: when the URL is not http(s).
    """
    scheme, _, rest = url.partition("://")
    return normalize_origin(f"{scheme}://{rest.split('/', 1)[0]}")


def _hostname(value: Any) -> str:
    text = str(value).strip().lower()
    if text.startswith(("http://", "https://")):
        text = urlsplit(text).hostname or ""
    if not _HOSTNAME.match(text):
        raise InvalidInput(f"invalid domain {value!r}: expected a host name such as example.myshopify.com")
    return text


def parse_public_url(value: Any) -> str:
    """Validate a public base URL; return it without a trailing slash.

    Raises:
        InvalidInput: when it is not an http(s) URL.
    """
    text = str(value).strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"invalid public URL {value!r}: expected http(s)://host[:port][/path]")
    return text


def _non_negative_int(name: str) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        try:
            number = int(str(value).strip())
        except ValueError:
            raise InvalidInput(f"{name} must be a whole number, got {value!r}") from None
        if number < 0:
            raise InvalidInput(f"{name} must not be negative, got {number}")
        return number

    return check


def _positive_int(name: str) -> Callable[[Any], int]:
    check_non_negative = _non_negative_int(name)

    def check(value: Any) -> int:
        number = check_non_negative(value)
        if number == 0:
            raise InvalidInput(f"{name} must be at least 1")
        return number

    return check


def _timezone(value: Any) -> str:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"unknown time zone {value!r}: expected an IANA name such as America/Chicago"
        ) from None
    return str(value)


def _origins(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [part for part in value.split(",") if part.strip()]
    if not isinstance(value, list):
        raise InvalidInput("cors_origins must be a list of origins")
    return list(dict.fromkeys(normalize_origin(origin) for origin in value))


def _text(value: Any) -> str:
    return str(value)


def parse_smtp_url(value: Any) -> str:
    """Validate an SMTP server URL: ``smtp://``, ``smtp+starttls://`` or ``smtps://`` with a host.

    Raises:
        InvalidInput: another scheme, no host, or a port that is not a number.
    """
    text = str(value).strip()
    parts = urlsplit(text)
    try:
        parts.port  # noqa: B018 - urlsplit only checks the port when asked
    except ValueError:
        raise InvalidInput(f"invalid SMTP URL {value!r}: the port must be a number") from None
    if parts.scheme not in ("smtp", "smtp+starttls", "smtps") or not parts.hostname:
        raise InvalidInput(
            f"invalid SMTP URL {value!r}: expected smtp://, smtp+starttls:// or "
            "smtps://[user:password@]host[:port]"
        )
    return text


def _email_address(value: Any) -> str:
    text = str(value).strip()
    if not re.fullmatch(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+", text):
        raise InvalidInput(f"invalid email address {value!r}: expected name@example.com")
    return text


@dataclass(frozen=True)
class Setting:
    """One known setting."""

    key: str
    default: Any
    parse: Callable[[Any], Any]
    help: str


SETTINGS: dict[str, Setting] = {
    setting.key: setting
    for setting in [
        Setting("shop_domain", None, _hostname, "the shop's myshopify.com domain; its https origin may POST"),
        Setting(
            "primary_domain", None, _hostname, "the storefront's primary domain; its https origin may POST"
        ),
        Setting(
            "cors_origins", [], _origins, "extra origins allowed to POST to webhooks; * allows every origin"
        ),
        Setting(
            "public_url",
            None,
            parse_public_url,
            "base URL shown for webhooks (for tunnels and reverse proxies)",
        ),
        Setting(
            "body_limit", DEFAULT_BODY_LIMIT, _positive_int("body_limit"), "largest accepted body, bytes"
        ),
        Setting(
            "retention_days", 15, _non_negative_int("retention_days"), "days kept after completion; 0 = keep"
        ),
        Setting("timezone", "UTC", _timezone, "the shop's time zone (IANA name)"),
        Setting("shop_name", "Example Shop", _text, "the shop's name, as task code sees it in shop.name"),
        Setting("currency", "USD", _text, "the shop's currency code"),
        Setting("locale", "en", _text, "the shop's locale"),
        Setting(
            "smtp_url",
            None,
            parse_smtp_url,
            "deliver email actions through this SMTP server "
            "(smtp://, smtp+starttls:// or smtps://user:pass@host:port); unset = capture to the outbox only",
        ),
        Setting(
            "email_from",
            None,
            _email_address,
            "sender address of email actions (default <shop-subdomain>@mail.usemechanic.com, as Mechanic)",
        ),
        Setting(
            "file_expiry_days",
            7,
            _positive_int("file_expiry_days"),
            "days a files action URL serves its file",
        ),
    ]
}


class Settings:
    """Read and change settings with validation; unknown keys are refused with the list of known ones."""

    def __init__(self, store: SettingsStore) -> None:
        self._store = store
        self._cached: dict[str, Any] | None = None
        self._cached_at = 0.0

    def _stored(self) -> dict[str, Any]:
        # Every webhook request reads settings (body limit, CORS); a short-lived copy keeps that off the disk.
        # Changes made in this process apply at once, changes from another process within CACHE_SECONDS.
        # While the store is unreachable the last copy stands in: what the settings say rarely matters then,
        # as nothing can be stored anyway (requests get a 503 when their event cannot be written).
        now = time.monotonic()
        if self._cached is None or now - self._cached_at > CACHE_SECONDS:
            try:
                self._cached = self._store.all()
            except StoreUnavailable:
                if self._cached is None:
                    raise
                return self._cached
            self._cached_at = now
        return self._cached

    def _setting(self, key: str) -> Setting:
        try:
            return SETTINGS[key]
        except KeyError:
            raise InvalidInput(f"unknown setting {key!r}; known settings: {', '.join(SETTINGS)}") from None

    def get(self, key: str) -> Any:
        """The value of one setting (its default when unset)."""
        setting = self._setting(key)
        return self._stored().get(key, setting.default)

    def show(self) -> dict[str, Any]:
        """Every setting with its current value."""
        stored = self._stored()
        return {key: stored.get(key, setting.default) for key, setting in SETTINGS.items()}

    def set(self, key: str, value: Any) -> Any:
        """Validate and store a setting; ``None`` or ``""`` resets it to its default. Returns the stored value."""
        setting = self._setting(key)
        self._cached = None
        if value is None or value == "":
            self._store.remove(key)
            return setting.default
        parsed = setting.parse(value)
        self._store.put(key, parsed)
        return parsed

    # -- CORS -------------------------------------------------------------------------------------------
    def cors_list(self) -> list[str]:
        """The extra CORS origins (the shop's own origins are allowed without being listed)."""
        return list(self.get("cors_origins"))

    def cors_add(self, origin: str) -> list[str]:
        """Allow one more origin (``*`` allows all); returns the new list."""
        origins = self.cors_list()
        normalized = normalize_origin(origin)
        if normalized not in origins:
            origins.append(normalized)
        return self.set("cors_origins", origins) if origins else []

    def cors_remove(self, origin: str) -> list[str]:
        """Stop allowing an origin; returns the new list.

        Raises:
            InvalidInput: when the origin is not on the list.
        """
        origins = self.cors_list()
        normalized = normalize_origin(origin)
        if normalized not in origins:
            raise InvalidInput(f"{normalized} is not on the CORS list ({', '.join(origins) or 'empty'})")
        origins.remove(normalized)
        self.set("cors_origins", origins or None)
        return origins
