"""The ``shop`` object task code sees, built from the workbench settings."""

from __future__ import annotations

from typing import Any


def shop_object(settings: dict[str, Any]) -> dict[str, Any]:
    """A REST-shaped shop hash (name, domain, currency, timezone…) from the settings."""
    domain = settings.get("shop_domain") or "example.myshopify.com"
    return {
        "name": settings.get("shop_name") or "Example Shop",
        "domain": settings.get("primary_domain") or domain,
        "myshopify_domain": domain,
        "currency": settings.get("currency") or "USD",
        "iana_timezone": settings.get("timezone") or "UTC",
        "timezone": settings.get("timezone") or "UTC",
        "primary_locale": settings.get("locale") or "en",
        "customer_email": f"owner@{domain}",
        "email": f"owner@{domain}",
    }
