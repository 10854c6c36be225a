"""The event record: a topic and its data, plus where it came from."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any

# event.source for events created by a Mechanic webhook (spec leaves it undocumented; docs/decisions.md).
WEBHOOK_SOURCE = "webhook"


@dataclass(frozen=True)
class Event:
    """One event.

    Attributes:
        id: UUID4 string.
        topic: ``domain/subject/verb``.
        data: any JSON value, None for null.
        source: ``webhook``, ``user``, ``mechanic``…
        created_at: ISO-8601 UTC with milliseconds (``2023-06-13T17:03:27.244Z``).
        webhook_id: the webhook that created it, if any.
        webhook_request_id: the ``x-request-id`` of the request that created it, if any.
        parent_id: the parent event of a child event.
    """

    id: str
    topic: str
    data: Any
    source: str
    created_at: str
    webhook_id: str | None = None
    webhook_request_id: str | None = None
    parent_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of the event's fields."""
        return {
            "id": self.id,
            "topic": self.topic,
            "data": self.data,
            "source": self.source,
            "created_at": self.created_at,
            "webhook_id": self.webhook_id,
            "webhook_request_id": self.webhook_request_id,
            "parent_id": self.parent_id,
        }


@dataclass(frozen=True)
class RawRequest:
    """The exact HTTP request behind a webhook event, kept so it can be re-interpreted later.

    Attributes:
        request_id: the ``x-request-id`` answered to the sender.
        webhook_id: the webhook the request was addressed to.
        client: the client suffix of the URL (``asana``, ``mailchimp``, ``ship24``) or None.
        mode: the webhook's mode when the request arrived.
        method: HTTP method.
        path: the request path, without the query string.
        query_string: everything after ``?``; None when the URL had no ``?``.
        headers: every header line in arrival order, repeated names kept, as ``[name, value]`` pairs.
        body: the raw body bytes.
        client_ip: the peer address.
        received_at: ISO-8601 UTC.
    """

    request_id: str
    webhook_id: str
    client: str | None
    mode: str
    method: str
    path: str
    query_string: str | None
    headers: list[tuple[str, str]]
    body: bytes
    client_ip: str
    received_at: str

    def summary(self) -> dict[str, Any]:
        """A JSON-ready digest: everything but the body, which is summarised by size."""
        content_type = next((v for k, v in self.headers if k.lower() == "content-type"), None)
        return {
            "request_id": self.request_id,
            "webhook_id": self.webhook_id,
            "client": self.client,
            "mode": self.mode,
            "method": self.method,
            "path": self.path,
            "query_string": self.query_string,
            "headers": [list(pair) for pair in self.headers],
            "content_type": content_type,
            "body_size": len(self.body),
            "client_ip": self.client_ip,
            "received_at": self.received_at,
        }
