"""A lean path for webhook requests that bypasses ``RequestHandler`` for throughput.

Tornado's ``RequestHandler`` machinery costs more per request than parsing and storing a webhook does
(notes/platform.md §10), so the standalone and embedded servers hand webhook paths to this delegate and
everything else to the ordinary ``Application``. Both paths call the same :class:`WebhookReceiver`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from tornado import httputil
from tornado.web import Application

from ..errors import StoreUnavailable
from ..webhooks.receiver import Accepted
from ..webhooks.receiver import IncomingRequest
from ..webhooks.receiver import Reply
from ..webhooks.receiver import failure_reply

if TYPE_CHECKING:
    from ..webhooks.receiver import WebhookReceiver

log = logging.getLogger("mechanic_kernel")
WEBHOOK_PREFIXES = ("/mechanic/webhooks/", "/mechanic/webhook/")


class MechanicDelegate(httputil.HTTPServerConnectionDelegate):
    """Routes webhook requests to the fast path and the rest to ``app``."""

    def __init__(self, app: Application, receiver: WebhookReceiver) -> None:
        self.app = app
        self.receiver = receiver

    def start_request(self, server_conn: object, request_conn: httputil.HTTPConnection
                      ) -> httputil.HTTPMessageDelegate:
        return _Dispatch(self, server_conn, request_conn)

    def on_close(self, server_conn: object) -> None:
        self.app.on_close(server_conn)


class _Dispatch(httputil.HTTPMessageDelegate):
    def __init__(self, owner: MechanicDelegate, server_conn: object, request_conn: httputil.HTTPConnection) -> None:
        self.owner = owner
        self.server_conn = server_conn
        self.request_conn = request_conn
        self.target: httputil.HTTPMessageDelegate | None = None

    def headers_received(self, start_line: httputil.RequestStartLine | httputil.ResponseStartLine,
                         headers: httputil.HTTPHeaders) -> object:
        assert isinstance(start_line, httputil.RequestStartLine)
        if start_line.path.startswith(WEBHOOK_PREFIXES):
            self.target = _WebhookMessage(self.owner.receiver, self.request_conn)
        else:
            self.target = self.owner.app.start_request(self.server_conn, self.request_conn)
        return self.target.headers_received(start_line, headers)

    def data_received(self, chunk: bytes) -> object:
        assert self.target is not None
        return self.target.data_received(chunk)

    def finish(self) -> None:
        assert self.target is not None
        self.target.finish()

    def on_connection_close(self) -> None:
        if self.target is not None:
            self.target.on_connection_close()


class _WebhookMessage(httputil.HTTPMessageDelegate):
    def __init__(self, receiver: WebhookReceiver, connection: httputil.HTTPConnection) -> None:
        self.receiver = receiver
        self.connection = connection
        self.chunks: list[bytes] = []
        self.size = 0
        self.answered = False
        self.keep_alive_task: asyncio.Task[None] | None = None

    def headers_received(self, start_line: httputil.RequestStartLine | httputil.ResponseStartLine,
                         headers: httputil.HTTPHeaders) -> None:
        assert isinstance(start_line, httputil.RequestStartLine)
        self.start_line = start_line
        self.headers = headers
        try:
            self.limit = self.receiver.body_limit()
        except Exception as exc:  # noqa: BLE001 - the sender gets a 5xx, the operator a log line
            self.limit = 0
            self._failed(exc)
            return
        declared = headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.limit:
            self._over_limit(int(declared))

    def data_received(self, chunk: bytes) -> None:
        if self.answered:
            return
        self.size += len(chunk)
        if self.size > self.limit:
            self.chunks.clear()
            self._over_limit(None)
            return
        self.chunks.append(chunk)

    def _over_limit(self, declared: int | None) -> None:
        size = f"of {declared} bytes " if declared is not None else ""
        self._write(Reply(413, [("Content-Type", "text/plain; charset=utf-8")],
                          f"request body {size}is over the {self.limit}-byte limit\n".encode()))

    def finish(self) -> None:
        if self.answered:
            return
        path, mark, query = self.start_line.path.partition("?")
        context = getattr(self.connection, "context", None)
        incoming = IncomingRequest(
            method=self.start_line.method,
            path=path,
            query_string=query if mark else None,
            headers=list(self.headers.get_all()),
            body=b"".join(self.chunks),
            client_ip=getattr(context, "remote_ip", "") or "",
        )
        # No coroutine per request: answer at once, or when the batch holding the event has committed.
        try:
            outcome = self.receiver.receive_nowait(incoming)
        except Exception as exc:  # noqa: BLE001 - the sender gets a 5xx, the operator a log line
            self._failed(exc)
            return
        if isinstance(outcome, Reply):
            self._write(outcome)
        elif isinstance(outcome, Accepted):
            outcome.stored.add_done_callback(lambda _: self._stored(outcome))
        else:
            self.keep_alive_task = asyncio.ensure_future(self._answer(incoming))

    def _stored(self, accepted: Accepted) -> None:
        try:
            reply = accepted.settle()
        except Exception as exc:  # noqa: BLE001 - the sender gets a 5xx, the operator a log line
            self._failed(exc)
            return
        self._write(reply)

    async def _answer(self, incoming: IncomingRequest) -> None:
        try:
            reply = await self.receiver.receive(incoming)
        except Exception as exc:  # noqa: BLE001 - the sender gets a 5xx, the operator a log line
            self._failed(exc)
            return
        self._write(reply)

    def _failed(self, exc: Exception) -> None:
        if isinstance(exc, StoreUnavailable):
            log.warning("webhook request not stored: %s", exc.message)
        else:
            log.error("webhook request failed", exc_info=exc)
        self._write(failure_reply(exc))

    def _write(self, reply: Reply) -> None:
        if self.answered:
            return
        self.answered = True
        headers = httputil.HTTPHeaders()
        for name, value in reply.headers:
            headers.add(name, value)
        body = reply.body
        if self.start_line.method == "HEAD" or reply.status in (204, 304):
            body = b""
        if reply.status not in (204, 304):
            headers["Content-Length"] = str(len(reply.body) if self.start_line.method == "HEAD" else len(body))
        start = httputil.ResponseStartLine("HTTP/1.1", reply.status, httputil.responses.get(reply.status, ""))
        self.connection.write_headers(start, headers, body or None)
        self.connection.finish()

    def on_connection_close(self) -> None:
        self.answered = True
