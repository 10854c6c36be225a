"""The webhook endpoint as a Tornado ``RequestHandler`` (used under Jupyter and by non-fast-path servers)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from tornado import web

from ...errors import StoreUnavailable
from ...webhooks.receiver import IncomingRequest
from ...webhooks.receiver import Reply
from ...webhooks.receiver import failure_reply

if TYPE_CHECKING:
    from ...workbench import Workbench

log = logging.getLogger("mechanic_kernel")
# Tornado kills a connection whose Content-Length exceeds its limit without answering; we answer 413 ourselves.
UNBOUNDED = 2**62


@web.stream_request_body
class WebhookHandler(web.RequestHandler):
    """Answers ``/mechanic/webhooks/<id>[/<client>]`` for every method.

    Webhooks are public by design (any service may POST to them, with no cookie and no token), so this is the
    one handler that opts out of authentication and XSRF checks; the Jupyter extension marks it so.
    """

    SUPPORTED_METHODS = ("GET", "HEAD", "POST", "DELETE", "PATCH", "PUT", "OPTIONS")

    def initialize(self, workbench: Workbench) -> None:
        self.workbench = workbench
        self._chunks: list[bytes] = []
        self._size = 0
        self._over_limit = False

    def check_xsrf_cookie(self) -> None:
        """Senders are other services and browsers on other origins; they cannot carry an XSRF token."""

    def prepare(self) -> None:
        self.request.connection.set_max_body_size(UNBOUNDED)
        self._limit = self.workbench.receiver.body_limit()
        declared = self.request.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > self._limit:
            self._over_limit = True
            self._send(
                Reply(
                    413,
                    [("Content-Type", "text/plain; charset=utf-8")],
                    f"request body of {declared} bytes is over the {self._limit}-byte limit\n".encode(),
                )
            )

    def data_received(self, chunk: bytes) -> None:
        if self._over_limit:
            return
        self._size += len(chunk)
        if self._size > self._limit:
            self._over_limit = True
            self._chunks.clear()
            self._send(
                Reply(
                    413,
                    [("Content-Type", "text/plain; charset=utf-8")],
                    f"request body is over the {self._limit}-byte limit\n".encode(),
                )
            )
            return
        self._chunks.append(chunk)

    async def _answer(self, *args: str) -> None:
        if self._over_limit or self._finished:
            return
        query = self.request.uri.partition("?")
        incoming = IncomingRequest(
            method=self.request.method or "GET",
            path=self.request.path,
            query_string=query[2] if query[1] else None,
            headers=list(self.request.headers.get_all()),
            body=b"".join(self._chunks),
            client_ip=self.request.remote_ip or "",
        )
        try:
            reply = await self.workbench.receiver.receive(incoming)
        except Exception as exc:  # noqa: BLE001 - the sender gets a 5xx, the operator a log line
            if not isinstance(exc, StoreUnavailable):
                log.error("webhook request failed", exc_info=exc)
            reply = failure_reply(exc)
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        self.set_status(reply.status)
        self.clear_header("Content-Type")
        for name, value in reply.headers:
            self.add_header(name, value)
        self.finish(reply.body if reply.status not in (204, 304) and self.request.method != "HEAD" else None)

    get = head = post = delete = patch = put = options = _answer
