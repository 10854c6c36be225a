"""Receive one HTTP request addressed to a webhook URL: methods, client suffixes, CORS, limits, durable store.

Framework-free: the standalone server, the Jupyter extension and the server embedded in a kernel all
translate their request into an :class:`IncomingRequest` and send back the :class:`Reply`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any

from ..clock import Clock
from ..clock import isoformat
from ..errors import BadRequest
from ..errors import StoreUnavailable
from ..ids import uuid7
from ..models.events import WEBHOOK_SOURCE
from ..models.events import Event
from ..models.events import RawRequest
from ..models.webhooks import Webhook
from ..models.webhooks import WebhookMode
from ..settings import origin_of
from .ingest import header_value
from .ingest import interpret
from .service import CLIENTS
from .service import Webhooks

if TYPE_CHECKING:
    from ..settings import Settings
    from ..store.contract import AnyFuture
    from ..store.contract import Store

# /mechanic/webhooks/<id>[/<client>], and /mechanic/webhook/<id> like Mechanic's legacy URL shape.
ROUTE = re.compile(r"/mechanic/webhooks?/([^/?#]+)(?:/([^/?#]+))?/?$")
PREFLIGHT_MAX_AGE = "86400"
# Bodies above this are interpreted on a worker thread so one large upload cannot stall every other request.
THREAD_THRESHOLD = 256 * 1024


@dataclass
class IncomingRequest:
    """An HTTP request as the receiver needs it."""

    method: str
    path: str
    query_string: str | None
    headers: list[tuple[str, str]]
    body: bytes
    client_ip: str
    received_at: dt.datetime | None = None


@dataclass
class Reply:
    """What to answer."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """The first value of a header, case-insensitively."""
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)


def _text(status: int, message: str, headers: list[tuple[str, str]] | None = None) -> Reply:
    return Reply(status, [*(headers or []), ("Content-Type", "text/plain; charset=utf-8")],
                 (message + "\n").encode())


# How long a sender is asked to wait before retrying while the store is unreachable.
RETRY_AFTER_SECONDS = 5


def failure_reply(exc: BaseException) -> Reply:
    """The answer to a request whose event could not be stored: never a 2xx, and nothing half-stored.

    503 with ``Retry-After`` while the store is unreachable (senders such as Shopify and Stripe retry), 500
    for anything else.
    """
    if isinstance(exc, StoreUnavailable):
        return _text(503, "the workbench's store is unavailable; the request was not stored, retry shortly",
                     [("Retry-After", str(RETRY_AFTER_SECONDS))])
    return _text(500, f"internal error while storing the request: {type(exc).__name__}")


def _allowed_methods(client: str | None) -> list[str]:
    methods = ["POST", "OPTIONS"]
    if client == "mailchimp":
        methods.insert(0, "GET")
    if client == "ship24":
        methods.insert(0, "HEAD")
    return methods


@dataclass
class _LargeBody:
    """An accepted POST whose body is interpreted on a worker thread (by :meth:`WebhookReceiver.receive`)."""

    webhook: Webhook
    client: str | None
    method: str
    cors: list[tuple[str, str]]
    request_id: str
    reply: Reply


@dataclass
class Accepted:
    """An accepted POST: ``reply`` may be sent once ``stored`` resolves, after :meth:`settle`."""

    event: Event
    stored: AnyFuture  # an asyncio.Future when received on a running loop
    reply: Reply
    on_event: Callable[[Event], None] | None

    def settle(self) -> Reply:
        """The reply to send, once ``stored`` has resolved; raises the store's error if storing failed."""
        self.stored.result()
        if self.on_event is not None:
            self.on_event(self.event)
        return self.reply


class WebhookReceiver:
    """Answers webhook requests for one store."""

    def __init__(self, store: Store, settings: Settings, webhooks: Webhooks, clock: Clock,
                 own_origins: Callable[[], list[str]] | None = None,
                 on_event: Callable[[Event], None] | None = None) -> None:
        self._store = store
        self._settings = settings
        self._webhooks = webhooks
        self._clock = clock
        self._own_origins = own_origins or (lambda: [])
        self._on_event = on_event

    # -- policy ------------------------------------------------------------------------------------------
    def body_limit(self) -> int:
        """The largest body accepted, in bytes."""
        return int(self._settings.get("body_limit"))

    def allowed_origins(self) -> set[str]:
        """Origins whose browsers may call webhooks: the shop's, the workbench's own, and the CORS list."""
        settings = self._settings.show()
        origins = set(settings["cors_origins"])
        for key in ("shop_domain", "primary_domain"):
            if settings[key]:
                origins.add(f"https://{settings[key]}")
        if settings["public_url"]:
            origins.add(origin_of(settings["public_url"]))
        origins.update(self._own_origins())
        return origins

    def cors_summary(self) -> dict[str, Any]:
        """The configured CORS origins and every allowed origin, as the CLI and the API show them.

        ``allowed_origins`` adds the shop's origins and the workbench's own to ``cors_origins``.
        """
        return {"cors_origins": self._settings.cors_list(), "allowed_origins": sorted(self.allowed_origins())}

    def origin_allowed(self, origin: str) -> bool:
        """Whether a browser at ``origin`` may call webhooks."""
        allowed = self.allowed_origins()
        return "*" in allowed or origin.rstrip("/").lower() in allowed

    # -- the request ---------------------------------------------------------------------------------------
    async def receive(self, request: IncomingRequest) -> Reply:
        """Answer one request; for an accepted POST the event is committed before this returns."""
        outcome = self.receive_nowait(request)
        if isinstance(outcome, Reply):
            return outcome
        if isinstance(outcome, _LargeBody):
            try:
                data = await asyncio.get_running_loop().run_in_executor(
                    None, lambda: self._interpret(outcome.webhook.mode, request, outcome.request_id,
                                                  outcome.webhook.id))
            except BadRequest as exc:
                return _text(400, exc.message, outcome.cors)
            outcome = self._store_event(request, outcome, data)
        await outcome.stored
        return outcome.settle()

    def receive_nowait(self, request: IncomingRequest) -> Reply | Accepted | _LargeBody:
        """Everything :meth:`receive` does short of waiting for the commit, without suspending.

        Returns the final :class:`Reply`, or an :class:`Accepted` event whose ``stored`` future resolves once it
        is committed (only then may its reply be sent), or, for a body too large to interpret on the event
        loop, a marker that only :meth:`receive` handles.
        """
        match = ROUTE.search(request.path)
        if not match:
            return _text(404, "not a webhook URL: expected /mechanic/webhooks/<webhook-id>[/<client>]")
        webhook_id, client = match.group(1), match.group(2)
        if client is not None and client not in CLIENTS:
            return _text(404, f"unknown webhook client {client!r}: expected one of {', '.join(CLIENTS)}")
        method = request.method.upper()
        origin = header_value(request.headers, "origin")
        cors: list[tuple[str, str]] = []
        if origin is not None:
            if not self.origin_allowed(origin):
                return _text(403, f"origin {origin} is not allowed to call this webhook; allow it with "
                                  f"`mechanic-kernel settings cors add {origin}`", [("Vary", "Origin")])
            cors = [("Access-Control-Allow-Origin", origin), ("Vary", "Origin"),
                    ("Access-Control-Expose-Headers", "x-request-id")]
        allow = _allowed_methods(client)
        if method == "OPTIONS":
            return self._preflight(request, cors, allow)
        if method == "GET" and client == "mailchimp":
            return Reply(200, cors)  # Mailchimp's URL check: accepted, no event.
        if method == "HEAD" and client == "ship24":
            return Reply(200, cors)  # Ship24's verification: accepted, no event.
        if method != "POST":
            return _text(405, f"method {method} not allowed; webhooks accept {', '.join(allow)}",
                         [*cors, ("Allow", ", ".join(allow))])
        if client == "asana" and (secret := header_value(request.headers, "x-hook-secret")) is not None:
            return Reply(200, [*cors, ("X-Hook-Secret", secret)])  # Asana's handshake: echoed, no event.
        limit = self.body_limit()
        if len(request.body) > limit:
            return _text(413, f"request body of {len(request.body)} bytes is over the {limit}-byte limit", cors)
        request_id = uuid7()
        headers = [*cors, ("x-request-id", request_id)]
        success = 200 if client == "mailchimp" else 204
        webhook = self._webhooks.lookup(webhook_id)
        if webhook is None or not webhook.enabled:
            return Reply(success, headers)  # Unknown and disabled ids look alike to the sender (spec §2.3).
        pending = _LargeBody(webhook, client, method, cors, request_id, Reply(success, headers))
        if len(request.body) > THREAD_THRESHOLD:
            return pending
        try:
            data = self._interpret(webhook.mode, request, request_id, webhook.id)
        except BadRequest as exc:
            return _text(400, exc.message, cors)
        return self._store_event(request, pending, data)

    def _store_event(self, request: IncomingRequest, pending: _LargeBody, data: Any) -> Accepted:
        webhook, request_id = pending.webhook, pending.request_id
        received_at = isoformat(request.received_at or self._clock.now())
        event = Event(id=uuid7(), topic=webhook.topic, data=data, source=WEBHOOK_SOURCE,
                      created_at=received_at, webhook_id=webhook.id, webhook_request_id=request_id)
        raw = RawRequest(request_id=request_id, webhook_id=webhook.id, client=pending.client,
                         mode=webhook.mode.value, method=pending.method, path=request.path,
                         query_string=request.query_string, headers=list(request.headers), body=request.body,
                         client_ip=request.client_ip, received_at=received_at)
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        stored = self._store.events.add_from_webhook(event, raw, loop=loop)
        return Accepted(event, stored, pending.reply, self._on_event)

    def _interpret(self, mode: WebhookMode, request: IncomingRequest, request_id: str, webhook_id: str) -> Any:
        return interpret(mode, body=request.body, headers=request.headers, query_string=request.query_string,
                         client_ip=request.client_ip, request_id=request_id, webhook_id=webhook_id)

    def _preflight(self, request: IncomingRequest, cors: list[tuple[str, str]], allow: list[str]) -> Reply:
        if not cors:
            return Reply(204, [("Allow", ", ".join(allow))])
        requested = header_value(request.headers, "access-control-request-headers")
        return Reply(204, [
            *cors,
            ("Access-Control-Allow-Methods", ", ".join(allow)),
            ("Access-Control-Allow-Headers", requested or "content-type"),
            ("Access-Control-Max-Age", PREFLIGHT_MAX_AGE),
            ("Allow", ", ".join(allow)),
        ])


def reinterpret(raw: RawRequest, mode: WebhookMode | str) -> Any:
    """Event data for a stored request under another mode, without the sender resending it."""
    return interpret(WebhookMode(mode), body=raw.body, headers=raw.headers, query_string=raw.query_string,
                     client_ip=raw.client_ip, request_id=raw.request_id, webhook_id=raw.webhook_id)
