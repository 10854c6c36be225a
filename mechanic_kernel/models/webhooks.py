"""The webhook record and its request modes."""

from __future__ import annotations

from dataclasses import asdict
from dataclasses import dataclass
from enum import Enum
from typing import Any


class WebhookMode(str, Enum):
    """How a webhook turns a request into event data (spec §2.5 and §2.6)."""

    AUTO = "auto"
    FULL = "full"


@dataclass(frozen=True)
class Webhook:
    """A configured webhook.

    Attributes:
        id: random UUID4; the last part of the webhook's URL.
        name: a free-text label.
        topic: the ``user/<subject>/<verb>`` topic of the events it creates.
        mode: ``auto`` (interpret the body like a Rails app would) or ``full`` (the whole request).
        enabled: a disabled webhook answers like an unknown one and creates no event.
        created_at: ISO-8601 UTC.
        updated_at: ISO-8601 UTC.
    """

    id: str
    name: str
    topic: str
    mode: WebhookMode
    enabled: bool
    created_at: str
    updated_at: str

    def to_dict(self, url: str | None = None) -> dict[str, Any]:
        """A JSON-ready dict (the CLI contract's fields), with ``url`` when given."""
        record = asdict(self)
        record["mode"] = self.mode.value
        if url is not None:
            record["url"] = url
        return record
