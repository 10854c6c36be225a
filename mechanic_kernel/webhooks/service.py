"""Create, list, change and delete webhooks; build their URLs."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ..clock import Clock
from ..clock import isoformat
from ..errors import InvalidInput
from ..errors import StoreUnavailable
from ..errors import NotFound
from ..models.webhooks import Webhook
from ..models.webhooks import WebhookMode
from ..store.contract import WebhookStore
from ..topics import validate_user_topic

WEBHOOK_PATH = "mechanic/webhooks"
CLIENTS = ("asana", "mailchimp", "ship24")
LOOKUP_SECONDS = 1.0
LOOKUP_ENTRIES = 10_000


def parse_mode(mode: Any) -> WebhookMode:
    """A WebhookMode from ``auto``/``full`` (case-insensitive).

    Raises:
        InvalidInput: for any other value.
    """
    try:
        return mode if isinstance(mode, WebhookMode) else WebhookMode(str(mode).strip().lower())
    except ValueError:
        raise InvalidInput(f"invalid mode {mode!r}: expected auto or full") from None


def _name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("a webhook needs a non-empty name")
    return name.strip()


class Webhooks:
    """The webhooks of a workbench."""

    def __init__(self, store: WebhookStore, clock: Clock, base_url: Callable[[], str]) -> None:
        self._store = store
        self._clock = clock
        self._base_url = base_url
        self._recent: dict[str, tuple[float, Webhook | None]] = {}

    def lookup(self, webhook_id: str) -> Webhook | None:
        """The webhook for an incoming request, or None; answered from a copy at most LOOKUP_SECONDS old.

        Changes made through this object apply at once; changes from another process (the CLI) within a second.
        """
        now = time.monotonic()
        hit = self._recent.get(webhook_id)
        if hit is not None and now - hit[0] <= LOOKUP_SECONDS:
            return hit[1]
        if len(self._recent) > LOOKUP_ENTRIES:
            self._recent.clear()  # unknown ids sent by a scanner must not grow the cache without bound
        try:
            webhook = self._store.get(webhook_id)
        except StoreUnavailable:
            if hit is None:
                raise
            return hit[1]  # the store is away: the last answer stands in (the event write will tell)
        self._recent[webhook_id] = (now, webhook)
        return webhook

    def url(self, webhook: Webhook | str, client: str | None = None) -> str:
        """The URL to give to senders (``{public or server URL}/mechanic/webhooks/<id>[/<client>]``)."""
        webhook_id = webhook if isinstance(webhook, str) else webhook.id
        suffix = f"/{client}" if client else ""
        return f"{self._base_url().rstrip('/')}/{WEBHOOK_PATH}/{webhook_id}{suffix}"

    def create(
        self, name: str, topic: str, mode: WebhookMode | str = WebhookMode.AUTO, enabled: bool = True
    ) -> Webhook:
        """Create a webhook with a fresh random id.

        Raises:
            InvalidInput: empty name, a topic not of the form ``user/<subject>/<verb>``, or an unknown mode.
        """
        now = isoformat(self._clock.now())
        webhook = Webhook(
            id=str(uuid.uuid4()),
            name=_name(name),
            topic=validate_user_topic(topic),
            mode=parse_mode(mode),
            enabled=bool(enabled),
            created_at=now,
            updated_at=now,
        )
        self._store.insert(webhook)
        self._recent.pop(webhook.id, None)
        return webhook

    def list(self) -> list[Webhook]:
        """Every webhook, oldest first."""
        return self._store.list()

    def get(self, webhook_id: str) -> Webhook:
        """One webhook.

        Raises:
            NotFound: no webhook has this id.
        """
        webhook = self._store.get(webhook_id)
        if webhook is None:
            raise NotFound(f"no webhook with id {webhook_id!r}")
        return webhook

    def update(
        self,
        webhook_id: str,
        *,
        name: str | None = None,
        topic: str | None = None,
        mode: WebhookMode | str | None = None,
        enabled: bool | None = None,
    ) -> Webhook:
        """Change a webhook; takes effect for the next request (never retroactively).

        Raises:
            NotFound: no webhook has this id.
            InvalidInput: a new value breaks the rules of :meth:`create`.
        """
        current = self.get(webhook_id)
        fields: dict[str, Any] = {}
        if name is not None:
            fields["name"] = _name(name)
        if topic is not None:
            fields["topic"] = validate_user_topic(topic)
        if mode is not None:
            fields["mode"] = parse_mode(mode)
        if enabled is not None:
            fields["enabled"] = bool(enabled)
        if not fields:
            return current
        fields["updated_at"] = isoformat(self._clock.now())
        self._store.update(webhook_id, fields)
        self._recent.pop(webhook_id, None)
        return replace(current, **fields)

    def delete(self, webhook_id: str) -> None:
        """Delete a webhook; its events are kept, and its URL then answers like an unknown one.

        Raises:
            NotFound: no webhook has this id.
        """
        self._recent.pop(webhook_id, None)
        if not self._store.delete(webhook_id):
            raise NotFound(f"no webhook with id {webhook_id!r}")
