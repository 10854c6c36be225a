"""Built-in sample event data for preview: small REST-shaped payloads for the common topics (spec §1.9).

Mechanic previews a topic with its own sample data when neither a preview event nor a real event exists.
Ours are deliberately small: enough for a task to find the fields it usually reads (ids, names, e-mail,
tags, line items, prices), not a copy of Shopify's full webhook payloads.
"""

from __future__ import annotations

import json
from typing import Any

_CUSTOMER: dict[str, Any] = {
    "id": 1234567890,
    "admin_graphql_api_id": "gid://shopify/Customer/1234567890",
    "email": "customer@example.com",
    "first_name": "Jane",
    "last_name": "Doe",
    "phone": "+13125551212",
    "tags": "",
    "note": None,
    "state": "enabled",
    "verified_email": True,
    "accepts_marketing": False,
    "orders_count": 1,
    "total_spent": "19.99",
    "currency": "USD",
    "created_at": "2026-01-01T00:00:00-00:00",
    "updated_at": "2026-01-01T00:00:00-00:00",
    "default_address": {
        "address1": "1 Main St",
        "city": "Chicago",
        "province_code": "IL",
        "zip": "60601",
        "country_code": "US",
    },
}

_VARIANT: dict[str, Any] = {
    "id": 2234567890,
    "admin_graphql_api_id": "gid://shopify/ProductVariant/2234567890",
    "product_id": 3234567890,
    "title": "Default Title",
    "sku": "SKU-1",
    "price": "19.99",
    "compare_at_price": None,
    "inventory_item_id": 4234567890,
    "inventory_quantity": 10,
    "barcode": None,
    "position": 1,
}

_PRODUCT: dict[str, Any] = {
    "id": 3234567890,
    "admin_graphql_api_id": "gid://shopify/Product/3234567890",
    "title": "Sample product",
    "handle": "sample-product",
    "vendor": "Example Vendor",
    "product_type": "Widget",
    "tags": "",
    "status": "active",
    "body_html": "<p>A sample product.</p>",
    "created_at": "2026-01-01T00:00:00-00:00",
    "updated_at": "2026-01-01T00:00:00-00:00",
    "published_at": "2026-01-01T00:00:00-00:00",
    "variants": [_VARIANT],
    "options": [{"name": "Title", "values": ["Default Title"]}],
    "images": [],
}

_LINE_ITEM: dict[str, Any] = {
    "id": 5234567890,
    "admin_graphql_api_id": "gid://shopify/LineItem/5234567890",
    "product_id": 3234567890,
    "variant_id": 2234567890,
    "title": "Sample product",
    "variant_title": None,
    "name": "Sample product",
    "sku": "SKU-1",
    "vendor": "Example Vendor",
    "quantity": 1,
    "price": "19.99",
    "grams": 100,
    "requires_shipping": True,
    "fulfillable_quantity": 1,
    "fulfillment_status": None,
    "properties": [],
}

_ORDER: dict[str, Any] = {
    "id": 6234567890,
    "admin_graphql_api_id": "gid://shopify/Order/6234567890",
    "name": "#1001",
    "order_number": 1001,
    "email": "customer@example.com",
    "phone": None,
    "created_at": "2026-01-01T00:00:00-00:00",
    "updated_at": "2026-01-01T00:00:00-00:00",
    "processed_at": "2026-01-01T00:00:00-00:00",
    "cancelled_at": None,
    "closed_at": None,
    "financial_status": "paid",
    "fulfillment_status": None,
    "currency": "USD",
    "total_price": "19.99",
    "subtotal_price": "19.99",
    "total_tax": "0.00",
    "total_discounts": "0.00",
    "tags": "",
    "note": None,
    "note_attributes": [],
    "discount_codes": [],
    "gateway": "manual",
    "test": False,
    "customer": _CUSTOMER,
    "line_items": [_LINE_ITEM],
    "shipping_lines": [],
    "shipping_address": {
        "first_name": "Jane",
        "last_name": "Doe",
        "address1": "1 Main St",
        "city": "Chicago",
        "province_code": "IL",
        "zip": "60601",
        "country_code": "US",
    },
    "billing_address": None,
    "fulfillments": [],
    "refunds": [],
    "source_name": "web",
}

_SAMPLES: dict[str, Any] = {
    "order": _ORDER,
    "customer": _CUSTOMER,
    "product": _PRODUCT,
    "variant": _VARIANT,
    "draft_order": {
        "id": 7234567890,
        "admin_graphql_api_id": "gid://shopify/DraftOrder/7234567890",
        "name": "#D1",
        "email": "customer@example.com",
        "status": "open",
        "invoice_url": "https://example.com/invoice",
        "tags": "",
        "note": None,
        "order_id": None,
        "customer": _CUSTOMER,
        "line_items": [_LINE_ITEM],
        "total_price": "19.99",
        "currency": "USD",
        "created_at": "2026-01-01T00:00:00-00:00",
    },
    "fulfillment": {
        "id": 8234567890,
        "admin_graphql_api_id": "gid://shopify/Fulfillment/8234567890",
        "order_id": 6234567890,
        "status": "success",
        "tracking_company": "UPS",
        "tracking_number": "1Z999",
        "tracking_numbers": ["1Z999"],
        "tracking_url": "https://example.com/track/1Z999",
        "tracking_urls": ["https://example.com/track/1Z999"],
        "line_items": [_LINE_ITEM],
        "created_at": "2026-01-01T00:00:00-00:00",
    },
    "inventory_level": {
        "inventory_item_id": 4234567890,
        "location_id": 9234567890,
        "available": 5,
        "admin_graphql_api_id": "gid://shopify/InventoryLevel/9234567890?inventory_item_id=4234567890",
        "updated_at": "2026-01-01T00:00:00-00:00",
    },
    "refund": {
        "id": 1034567890,
        "admin_graphql_api_id": "gid://shopify/Refund/1034567890",
        "order_id": 6234567890,
        "note": None,
        "restock": True,
        "refund_line_items": [{"quantity": 1, "line_item": _LINE_ITEM}],
        "transactions": [],
        "created_at": "2026-01-01T00:00:00-00:00",
    },
    "collection": {
        "id": 1134567890,
        "admin_graphql_api_id": "gid://shopify/Collection/1134567890",
        "title": "Sample collection",
        "handle": "sample-collection",
        "body_html": "",
        "updated_at": "2026-01-01T00:00:00-00:00",
    },
}

_MECHANIC: dict[str, Any] = {
    "mechanic/user/trigger": None,
    "mechanic/user/text": "",
    "mechanic/user/form": {},
    "mechanic/shopify/bulk_operation": {
        "id": "gid://shopify/BulkOperation/1234567890",
        "status": "completed",
        "type": "query",
        "error_code": None,
        "object_count": 0,
        "url": None,
        "objects": [],
    },
    "mechanic/actions/perform": {
        "type": "echo",
        "options": {},
        "run": {"ok": True, "result": None, "error": None},
    },
    "mechanic/emails/received": {
        "from": "customer@example.com",
        "to": "example@mail.usemechanic.com",
        "subject": "Hello",
        "body": "Hello",
        "html_body": "<p>Hello</p>",
        "attachments": {},
    },
}


# Kept as JSON text: loading it is a cheaper private copy per preview than copy.deepcopy.
_SAMPLE_JSON = {key: json.dumps(value) for key, value in _SAMPLES.items()}
_MECHANIC_JSON = {key: json.dumps(value) for key, value in _MECHANIC.items()}


def sample_data(topic: str) -> tuple[bool, Any]:
    """Built-in sample data for a topic.

    Returns:
        ``(True, data)`` when there is a sample (data may be None, as for ``mechanic/user/trigger``),
        ``(False, None)`` otherwise (``user/`` topics and unknown subjects).
    """
    from .execute import singular

    if topic in _MECHANIC:
        return True, json.loads(_MECHANIC_JSON[topic])
    if topic.startswith("mechanic/scheduler/"):
        return True, None
    domain, _, rest = topic.partition("/")
    subject = rest.partition("/")[0]
    if domain == "mechanic" and subject == "user":
        resource = topic.rsplit("/", 1)[-1]
        text = _SAMPLE_JSON.get(singular(resource))
        if text is None:
            return False, None
        one = json.loads(text)
        # Plural admin-link topics carry an array of resources (batch mode, spec §1.3).
        return True, [one] if resource != singular(resource) else one
    if domain == "shopify":
        text = _SAMPLE_JSON.get(singular(subject))
        if text is not None:
            return True, json.loads(text)
    return False, None
