"""The request tester: send a request to a webhook URL and see the answer, the event and the curl command."""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import ipywidgets as w

from mechanic_kernel import MechanicError
from mechanic_kernel import Workbench

from ._panel import Panel
from ._panel import align_labels
from ._panel import escape
from ._panel import message
from ._panel import table

METHODS = ("POST", "GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS")
# Client-specific endpoints: the webhook URL plus /<client> (spec §2.7).
CLIENTS = ("asana", "mailchimp", "ship24")

# Content-type presets: (label, content type, example body). Multipart sends the body's name=value lines as
# fields plus the attached file.
PRESETS: dict[str, tuple[str, str | None, str]] = {
    "json": ("JSON", "application/json", '{\n  "hello": "world"\n}'),
    "form": ("Form (urlencoded)", "application/x-www-form-urlencoded", "name=Ada&message=Hello"),
    "text": ("Plain text", "text/plain", "hello"),
    "multipart": ("Multipart with a file", None, "name=Ada\nmessage=Hello"),
}


@dataclass
class Attachment:
    """The file of a multipart request."""

    filename: str
    content: bytes
    content_type: str = "application/octet-stream"
    field: str = "file"


@dataclass
class Response:
    """What a sent request got back.

    Attributes:
        status: the HTTP status code.
        reason: its reason phrase.
        headers: the response headers as ``(name, value)`` pairs.
        request_id: the ``x-request-id`` header, if any.
        elapsed_ms: time from sending to the whole answer, in milliseconds.
        body: the response body as text.
        curl: the same request as a curl command.
        event_id: the event the request created, when the workbench has one for the request id.
    """

    status: int
    reason: str
    headers: list[tuple[str, str]]
    request_id: str | None
    elapsed_ms: float
    body: str
    curl: str
    event_id: str | None = None


def _fields(body: str) -> list[tuple[str, str]]:
    """``name=value`` pairs from form-style text (``&`` or one pair per line)."""
    text = "&".join(line for line in body.splitlines() if line.strip())
    return parse_qsl(text, keep_blank_values=True)


def curl_command(
    method: str,
    url: str,
    *,
    headers: dict[str, str],
    body: str | None = None,
    fields: list[tuple[str, str]] | None = None,
    attachment: Attachment | None = None,
) -> str:
    """The request as a curl command (multipart fields as ``-F``; the file is named, not embedded)."""
    parts = ["curl", "-i", "-X", method]
    for name, value in headers.items():
        parts += ["-H", f"{name}: {value}"]
    for name, value in fields or []:
        parts += ["-F", f"{name}={value}"]
    if attachment is not None:
        parts += ["-F", f"{attachment.field}=@{attachment.filename};type={attachment.content_type}"]
    if body is not None:
        parts += ["--data-binary", body]
    parts.append(url)
    return " ".join(shlex.quote(part) for part in parts)


class RequestTester(Panel):
    """Send HTTP requests to the workbench's webhooks.

    The Send button calls :meth:`send`; :meth:`use_preset` fills the content type and an example body;
    :meth:`attach` sets the file of a multipart request; :meth:`refresh_urls` re-reads the webhooks. After a
    request that created an event, "Show event" calls the listeners given to :meth:`on_event` (the home
    dashboard opens the event in Recent activity).

    Args:
        wb: the workbench (a new one on the default home when None). Requests go to the URLs of
            ``wb.webhooks.url``, so serve it first (``wb.serve()``).
        timeout: seconds to wait for an answer.
    """

    def __init__(self, wb: Workbench | None = None, *, timeout: float = 30.0) -> None:
        super().__init__(wb)
        self.timeout = timeout
        self.attachment: Attachment | None = None
        self.last: Response | None = None
        self._listeners: list[Callable[[str], None]] = []
        self._answered: list[Callable[[Response], None]] = []
        self.method = w.Dropdown(description="Method", options=list(METHODS), value="POST")
        self.method.add_class("mk-request-method")
        self.url = w.Dropdown(description="URL", options=[], layout=w.Layout(width="640px"))
        self.url.add_class("mk-request-url")
        self.reload = w.Button(description="Reload URLs", icon="refresh", tooltip="Re-read the webhooks")
        self.reload.on_click(lambda _: self.refresh_urls())
        self.preset = w.Dropdown(
            description="Body as", options=[(v[0], k) for k, v in PRESETS.items()], value="json"
        )
        self.preset.add_class("mk-request-preset")
        self.content_type = w.Text(
            description="Content-Type",
            value=PRESETS["json"][1] or "",
            placeholder="e.g. application/json (multipart sets its own)",
        )
        self.content_type.add_class("mk-request-content-type")
        self.body = w.Textarea(
            description="Body",
            value=PRESETS["json"][2],
            placeholder="the request body",
            layout=w.Layout(width="640px", height="120px"),
        )
        self.body.add_class("mk-request-body")
        self.file = w.FileUpload(description="File", accept="", multiple=False)
        self.file.add_class("mk-request-file")
        self.file.observe(self._on_file, names="value")
        self.client = w.Dropdown(
            description="Client",
            options=[("(plain endpoint)", "")] + [(name, name) for name in CLIENTS],
            value="",
        )
        self.client.add_class("mk-request-client")
        self.query = w.Text(description="Query", placeholder="optional query string, e.g. name=Ada&n=1")
        self.query.add_class("mk-request-query")
        self.origin = w.Text(description="Origin", placeholder="optional, e.g. https://example.myshopify.com")
        self.origin.add_class("mk-request-origin")
        self.send_button = w.Button(
            description="Send", button_style="primary", icon="paper-plane", tooltip="Send the request"
        )
        self.send_button.add_class("mk-request-send")
        self.send_button.on_click(lambda _: self.send())
        self.status = w.HTML()
        self.status.add_class("mk-request-status")
        self.details = w.HTML()
        self.details.add_class("mk-request-response")
        self.show_event = w.Button(
            description="Show event",
            icon="search",
            disabled=True,
            tooltip="Open the event this request created in Recent activity",
        )
        self.show_event.add_class("mk-request-show-event")
        self.show_event.on_click(lambda _: self._open_event())
        self.curl = w.Textarea(
            description="curl", disabled=True, layout=w.Layout(width="640px", height="70px")
        )
        self.curl.add_class("mk-request-curl")
        self.preset.observe(lambda change: self.use_preset(change["new"]), names="value")
        self.widget = w.VBox(
            [
                w.HTML("<h3 style='margin:4px 0'>Request tester</h3>"),
                self.method,
                w.HBox([self.url, self.reload]),
                self.preset,
                self.content_type,
                self.body,
                self.file,
                self.client,
                self.query,
                self.origin,
                self.send_button,
                self.status,
                self.show_event,
                self.details,
                self.curl,
            ]
        )
        self.widget.add_class("mk-request-tester")
        align_labels(self.widget)
        self.refresh_urls()

    # -- inputs ---------------------------------------------------------------------------------------------
    def refresh_urls(self) -> None:
        """Offer the URL of every enabled webhook (keeping the current choice when it still exists)."""
        current = self.url.value
        options = [
            (f"{hook.name} ({hook.topic}) {self.wb.webhooks.url(hook)}", self.wb.webhooks.url(hook))
            for hook in self.wb.webhooks.list()
            if hook.enabled
        ]
        self.url.options = options
        values = [value for _, value in options]
        if current in values:
            self.url.value = current
        elif values:
            self.url.value = values[0]

    def use_preset(self, preset: str) -> None:
        """Use a content-type preset (``json``, ``form``, ``text``, ``multipart``) and its example body."""
        _, content_type, body = PRESETS[preset]
        if self.preset.value != preset:
            self.preset.value = preset  # observer calls back here
            return
        self.content_type.value = content_type or ""
        self.body.value = body
        if preset == "multipart" and self.attachment is None:
            self.attachment = Attachment("hello.txt", b"hello from the request tester\n", "text/plain")

    def attach(self, filename: str, content: bytes, content_type: str = "application/octet-stream") -> None:
        """Set the file of a multipart request (what the File button does in a browser)."""
        self.attachment = Attachment(filename, content, content_type)

    def _on_file(self, change: dict) -> None:
        for item in change["new"] or ():
            self.attach(item["name"], bytes(item["content"]), item.get("type") or "application/octet-stream")
            if self.preset.value != "multipart":
                self.use_preset("multipart")

    def on_event(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(event_id)`` when "Show event" is clicked."""
        self._listeners.append(callback)

    def on_response(self, callback: Callable[[Response], None]) -> None:
        """Call ``callback(response)`` after every answered request (the dashboard refreshes its activity)."""
        self._answered.append(callback)

    def _open_event(self) -> None:
        if self.last is not None and self.last.event_id:
            for callback in self._listeners:
                callback(self.last.event_id)

    # -- sending --------------------------------------------------------------------------------------------
    def _request(self) -> tuple[str, dict[str, Any], str]:
        """The URL, the httpx keyword arguments and the curl command of the form's request."""
        method, url = self.method.value, self.url.value
        if self.client.value:
            url += "/" + self.client.value
        query = self.query.value.strip().lstrip("?")
        if query:
            url += ("&" if "?" in url else "?") + query
        headers: dict[str, str] = {}
        if self.origin.value.strip():
            headers["Origin"] = self.origin.value.strip()
        if self.preset.value == "multipart":
            fields = _fields(self.body.value)
            if self.attachment is None:  # httpx writes multipart only when there is a file
                self.attachment = Attachment("hello.txt", b"hello from the request tester\n", "text/plain")
            att = self.attachment
            data: dict[str, list[str]] = {}
            for name, value in fields:  # repeated names (tags[]=a, tags[]=b) stay repeated
                data.setdefault(name, []).append(value)
            kwargs = {
                "headers": headers,
                "data": data,
                "files": {att.field: (att.filename, att.content, att.content_type)},
            }
            return url, kwargs, curl_command(method, url, headers=headers, fields=fields, attachment=att)
        if self.content_type.value.strip():
            headers["Content-Type"] = self.content_type.value.strip()
        body = self.body.value
        kwargs = {"headers": headers, "content": body.encode("utf-8") if body else None}
        return url, kwargs, curl_command(method, url, headers=headers, body=body if body else None)

    def send(self) -> Response | None:
        """Send the request described by the form and show the answer.

        Returns:
            The :class:`Response`, or None when no URL is chosen or the request could not be sent.
        """
        import httpx

        if not self.url.value:
            self.status.value = message("No webhook URL: add a webhook first, then Reload URLs.", "error")
            return None
        url, kwargs, curl = self._request()
        self.curl.value = curl
        self.status.value = message("Sending…")
        started = time.perf_counter()
        try:
            with httpx.Client(timeout=self.timeout, trust_env=False) as client:
                answer = client.request(self.method.value, url, **kwargs)
        except httpx.HTTPError as exc:
            self.status.value = message(f"Request failed: {type(exc).__name__}: {exc}", "error")
            self.last = None
            self.show_event.disabled = True
            return None
        elapsed = (time.perf_counter() - started) * 1000
        request_id = answer.headers.get("x-request-id")
        response = Response(
            answer.status_code,
            answer.reason_phrase,
            list(answer.headers.multi_items()),
            request_id,
            round(elapsed, 1),
            answer.text,
            curl,
        )
        if request_id:
            try:
                response.event_id = self.wb.event(request_id).id
            except MechanicError:
                response.event_id = None
        self.last = response
        self._show(response)
        for callback in self._answered:
            callback(response)
        return response

    def _show(self, response: Response) -> None:
        kind = "ok" if response.status < 400 else "error"
        self.status.value = (
            f'<div class="mk-message mk-{kind}" style="color:{"#1b7f3b" if kind == "ok" else "#b00020"}">'
            f"<b class='mk-request-code'>{response.status}</b> {escape(response.reason)} &middot; "
            f"{response.elapsed_ms:.0f} ms &middot; x-request-id: "
            f"<code class='mk-request-id'>{escape(response.request_id or '(none)')}</code></div>"
        )
        rows = [(f"<code>{escape(name)}</code>", escape(value)) for name, value in response.headers]
        event = (
            f"Event <code class='mk-request-event'>{escape(response.event_id)}</code>"
            if response.event_id
            else "No event was created."
            if response.status < 400
            else ""
        )
        body = f"<pre style='white-space:pre-wrap'>{escape(response.body)}</pre>" if response.body else ""
        self.details.value = f"<div>{event}</div>" + table(("Header", "Value"), rows) + body
        self.show_event.disabled = not response.event_id

    def describe(self) -> dict[str, Any]:
        """The last response: ``status``, ``request_id``, ``elapsed_ms``, ``event_id``, ``curl``."""
        if self.last is None:
            return {}
        return {
            "status": self.last.status,
            "request_id": self.last.request_id,
            "elapsed_ms": self.last.elapsed_ms,
            "event_id": self.last.event_id,
            "curl": self.last.curl,
        }
