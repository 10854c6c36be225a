"""The ``email`` action: always kept in the outbox, delivered by SMTP when ``smtp_url`` is set (spec §4.5).

Every email lands in the outbox (``workbench.outbox``, ``mechanic-kernel outbox``) with status ``captured``
(no SMTP configured), ``sent`` or ``failed``. The body is wrapped in an account email template (the one named
by ``template``, else the one named ``default`` when it exists), rendered with plain Liquid.
"""

from __future__ import annotations

import asyncio
import re
import smtplib
import ssl
import uuid
from collections.abc import Mapping
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from email.utils import formataddr
from email.utils import getaddresses
from email.utils import make_msgid
from html.parser import HTMLParser
from typing import Any
from urllib.parse import unquote
from urllib.parse import urlsplit

from liquid import Environment
from liquid.exceptions import LiquidError

from ..clock import isoformat
from ..store.contract import OutboxStore
from .base import ActionContext
from .base import ActionError
from .base import TransientActionError
from .generators import GeneratedFile
from .generators import generate_all
from .generators import validate_generators

OPTIONS = (
    "to",
    "subject",
    "body",
    "cc",
    "bcc",
    "reply_to",
    "from_display_name",
    "headers",
    "template",
    "attachments",
)
MAX_RECIPIENTS = 50
"""Postmark's limit (Mechanic sends through Postmark) for to, cc and bcc together."""
SENDER_DOMAIN = "mail.usemechanic.com"
SMTP_TIMEOUT = 30.0
DEFAULT_TEMPLATE = "default"
_ADDRESS = re.compile(r"^[^@\s<>,;\"()\[\]]+@[^@\s<>,;\"()\[\]]+\.[^@\s<>,;\"()\[\]]+$")
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
# Headers that describe the message's own structure or envelope: a task's value would break or spoof it.
_RESERVED_HEADERS = {
    "from",
    "to",
    "cc",
    "bcc",
    "reply-to",
    "subject",
    "date",
    "message-id",
    "sender",
    "content-type",
    "content-transfer-encoding",
    "mime-version",
    "return-path",
}


class _TemplateEnvironment(Environment):
    """Plain Liquid for account email templates, with limits so a template cannot run away."""

    loop_iteration_limit = 100_000
    output_stream_limit = 5 * 1024 * 1024
    local_namespace_limit = 1024 * 1024
    context_depth_limit = 30


_TEMPLATES = _TemplateEnvironment()


def parse_addresses(value: Any, option: str, *, required: bool = False) -> list[str]:
    """Addresses of a ``to``/``cc``/``bcc`` option: an array, or one comma-separated string.

    Args:
        value: the option's value (``"a@x.io, b@x.io"`` and ``["a@x.io", "b@x.io"]`` are the same).
        option: its name, for messages.
        required: whether at least one address is needed.

    Returns:
        The addresses, each ``addr`` or ``Name <addr>``.

    Raises:
        ActionError: a malformed address, a non-string, or none when required.
    """
    if value is None or value == "" or value == []:
        if required:
            raise ActionError(
                f"email: {option} is required (an address, a comma-separated string or an array)"
            )
        return []
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(item, str) for item in items):
        raise ActionError(f"email: {option} must be a string or an array of strings")
    addresses: list[str] = []
    for item in items:
        if any(char in item for char in "\r\n\0"):
            raise ActionError(f"email: {option} contains a line break")
        for name, address in getaddresses([item]):
            if not name and not address:
                if item.strip(" ,"):
                    raise ActionError(f"email: {option} has an invalid address in {item!r}")
                continue
            if not _ADDRESS.match(address):
                raise ActionError(f"email: {option} has an invalid address {address or item!r}")
            addresses.append(formataddr((name, address)) if name else address)
    if required and not addresses:
        raise ActionError(f"email: {option} has no address")
    return addresses


def _text_option(options: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    value = options.get(key)
    if value is None:
        if required:
            raise ActionError(f"email: {key} is required")
        return None
    if not isinstance(value, str):
        raise ActionError(f"email: {key} must be a string, got {type(value).__name__}")
    if required and not value.strip():
        raise ActionError(f"email: {key} must not be empty")
    return value


class EmailAction:
    """Builds an email, records it in the outbox, and sends it when SMTP is configured."""

    name = "email"

    def validate(self, options: Any) -> None:
        """Check the options of spec §4.5; keys beyond them are template variables.

        Raises:
            ActionError: naming the first bad option.
        """
        if not isinstance(options, Mapping):
            raise ActionError("email options must be an object with to, subject and body")
        recipients = parse_addresses(options.get("to"), "to", required=True)
        recipients += parse_addresses(options.get("cc"), "cc") + parse_addresses(options.get("bcc"), "bcc")
        if len(recipients) > MAX_RECIPIENTS:
            raise ActionError(
                f"email: {len(recipients)} recipients; to, cc and bcc together are limited to "
                f"{MAX_RECIPIENTS}"
            )
        _text_option(options, "subject", required=True)
        _text_option(options, "body", required=True)
        reply_to = _text_option(options, "reply_to")
        if reply_to is not None and len(parse_addresses(reply_to, "reply_to")) != 1:
            raise ActionError("email: reply_to must be a single address")
        display_name = _text_option(options, "from_display_name")
        if display_name is not None and any(char in display_name for char in "\r\n\0"):
            raise ActionError("email: from_display_name contains a line break")
        template = _text_option(options, "template")
        if template is not None and not template.strip():
            raise ActionError("email: template must name a template (or be left out)")
        headers = options.get("headers")
        if headers is not None:
            if not isinstance(headers, Mapping):
                raise ActionError("email: headers must be an object of header name to string")
            for name, value in headers.items():
                if not isinstance(name, str) or not _TOKEN.match(name):
                    raise ActionError(f"email: {name!r} is not a valid header name")
                if name.lower() in _RESERVED_HEADERS:
                    raise ActionError(
                        f"email: header {name} is set from the options and cannot be given in headers"
                    )
                if not isinstance(value, str) or any(char in value for char in "\r\n\0"):
                    raise ActionError(f"email: header {name} must be a string without line breaks")
        if options.get("attachments") is not None:
            validate_generators(options["attachments"], "email attachments")

    async def perform(self, options: Any, context: ActionContext) -> dict[str, Any]:
        """Build, store and (with ``smtp_url``) deliver the email.

        A retried action run reuses its outbox entry: an email already captured or sent is not sent again.

        Returns:
            ``{"outbox_id", "message_id", "status", "from", "to", "cc", "bcc", "reply_to", "subject",
            "template", "attachments": {name: {"mime_type", "size"}}}``; ``status`` is ``captured`` or
            ``sent``.

        Raises:
            ActionError: bad options, an unknown template, a template error, a permanent SMTP refusal.
            TransientActionError: the SMTP server could not be reached or answered with a temporary error.
        """
        self.validate(options)
        outbox = context.services.get("outbox")
        if outbox is None:
            raise ActionError("email actions need the workbench's outbox, which this worker was not given")
        return await self._perform(options, context, outbox)

    async def _perform(
        self, options: Mapping[str, Any], context: ActionContext, outbox: OutboxStore
    ) -> dict[str, Any]:
        previous = outbox.of_action_run(context.action_run_id)
        if previous is not None and previous["status"] in ("captured", "sent"):
            return _result(previous)
        html, template = _render_html(options, outbox)
        attachments = (
            await generate_all(options["attachments"], "email attachments")
            if options.get("attachments")
            else {}
        )
        sender = context.settings.get("email_from") or _default_sender(context.settings.get("shop_domain"))
        message_id = previous["message_id"] if previous else make_msgid(domain=sender.split("@", 1)[1])
        record: dict[str, Any] = {
            "id": previous["id"] if previous else str(uuid.uuid4()),
            "action_run_id": context.action_run_id,
            "status": "captured",
            "message_id": message_id,
            "from_address": sender,
            "from_display_name": options.get("from_display_name"),
            "to_addresses": parse_addresses(options["to"], "to", required=True),
            "cc_addresses": parse_addresses(options.get("cc"), "cc"),
            "bcc_addresses": parse_addresses(options.get("bcc"), "bcc"),
            "reply_to": (parse_addresses(options["reply_to"], "reply_to") or [None])[0]
            if options.get("reply_to")
            else None,
            "subject": " ".join(options["subject"].split()),
            "body": options["body"],
            "html": html,
            "template": template,
            "headers": dict(options.get("headers") or {}),
            "attachments": {
                name: {"mime_type": file.mime_type, "size": file.size} for name, file in attachments.items()
            },
            "error": None,
            "created_at": previous["created_at"] if previous else isoformat(context.now),
            "sent_at": None,
        }
        message = _build_message(record, attachments, context)
        record["raw"] = message.as_bytes(policy=policy.SMTP)
        smtp_url = context.settings.get("smtp_url")
        if not smtp_url:
            outbox.put(record)
            return _result(record)
        recipients = [
            address
            for _, address in getaddresses(
                record["to_addresses"] + record["cc_addresses"] + record["bcc_addresses"]
            )
        ]
        try:
            refused = await asyncio.to_thread(_deliver, smtp_url, message, sender, recipients)
        except ActionError as exc:
            outbox.put(record | {"status": "failed", "error": exc.message})
            raise
        # Some recipients refused, others accepted: the email is sent, and a retry would duplicate it for
        # those who got it, so the refusals are only noted.
        error = (
            ("refused recipients: " + ", ".join(f"{a} ({c})" for a, c in refused.items()))
            if refused
            else None
        )
        outbox.put(record | {"status": "sent", "sent_at": isoformat(context.now), "error": error})
        return _result(record | {"status": "sent"})


def _default_sender(shop_domain: str | None) -> str:
    subdomain = (shop_domain or "example.myshopify.com").split(".", 1)[0]
    return f"{subdomain}@{SENDER_DOMAIN}"


def _render_html(options: Mapping[str, Any], outbox: OutboxStore) -> tuple[str, str | None]:
    """The HTML body: ``body`` wrapped in the named template, else in ``default`` when it exists."""
    name = options.get("template")
    source = outbox.template(name) if name else outbox.template(DEFAULT_TEMPLATE)
    if name and source is None:
        raise ActionError(f"email: there is no email template named {name!r}")
    if source is None:
        return options["body"], None
    variables = {key: value for key, value in options.items() if key not in OPTIONS}
    variables |= {"body": options["body"], "subject": options["subject"]}
    try:
        return _TEMPLATES.from_string(source).render(**variables), name or DEFAULT_TEMPLATE
    except LiquidError as exc:
        raise ActionError(f"email: template {name or DEFAULT_TEMPLATE!r} failed to render: {exc}") from None


class _TextOfHtml(HTMLParser):
    """A plain-text rendering of the HTML body, for the text/plain alternative mail clients may show."""

    _BREAKS = {"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script", "head"):
            self._hidden += 1
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "head"):
            self._hidden = max(0, self._hidden - 1)
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)

    def text(self) -> str:
        lines = (" ".join(line.split()) for line in "".join(self.parts).splitlines())
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def _build_message(
    record: Mapping[str, Any], attachments: dict[str, GeneratedFile], context: ActionContext
) -> EmailMessage:
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = formataddr((record["from_display_name"] or "", record["from_address"]))
    message["To"] = ", ".join(record["to_addresses"])
    if record["cc_addresses"]:
        message["Cc"] = ", ".join(record["cc_addresses"])
    if record["reply_to"]:
        message["Reply-To"] = record["reply_to"]
    message["Subject"] = record["subject"]
    message["Date"] = format_datetime(context.now)
    message["Message-ID"] = record["message_id"]
    for name, value in record["headers"].items():
        message[name] = value
    text = _TextOfHtml()
    text.feed(record["html"])
    text.close()
    message.set_content(text.text())
    message.add_alternative(record["html"], subtype="html")
    for name, file in attachments.items():
        maintype, _, subtype = file.mime_type.partition("/")
        message.add_attachment(file.data, maintype=maintype, subtype=subtype or "octet-stream", filename=name)
    return message


def _deliver(smtp_url: str, message: EmailMessage, sender: str, recipients: list[str]) -> dict[str, int]:
    """Send through the SMTP server of ``smtp_url`` (runs in a worker thread: smtplib blocks).

    Returns:
        The recipients the server refused (address → SMTP code) while accepting the others.

    Raises:
        ActionError: the server refused the sender, a recipient or the message permanently (5xx), or login
            failed: retrying the same message cannot help.
        TransientActionError: the server is unreachable, timed out or answered 4xx.
    """
    parts = urlsplit(smtp_url)
    scheme = parts.scheme.lower()
    host = parts.hostname or "localhost"
    port = parts.port or {"smtps": 465, "smtp+starttls": 587}.get(scheme, 25)
    try:
        if scheme == "smtps":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                host, port, timeout=SMTP_TIMEOUT, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT)
        with client:
            if scheme == "smtp+starttls":
                client.starttls(context=ssl.create_default_context())
            if parts.username:
                client.login(unquote(parts.username), unquote(parts.password or ""))
            refused = client.send_message(message, from_addr=sender, to_addrs=recipients)
    except smtplib.SMTPRecipientsRefused as exc:
        _raise_for_codes(
            {address: code for address, (code, _) in exc.recipients.items()}, "refused every recipient"
        )
        raise  # unreachable: _raise_for_codes always raises
    except smtplib.SMTPAuthenticationError as exc:
        raise ActionError(f"email: the SMTP server refused the login ({exc.smtp_code})") from None
    except smtplib.SMTPNotSupportedError as exc:
        raise ActionError(f"email: the SMTP server does not support what smtp_url asks for: {exc}") from None
    except smtplib.SMTPResponseException as exc:
        error = ActionError if 500 <= exc.smtp_code < 600 else TransientActionError
        text = exc.smtp_error
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        raise error(f"email: the SMTP server answered {exc.smtp_code} {text}") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise TransientActionError(f"email: could not reach the SMTP server {host}:{port}: {exc}") from None
    return {address: code for address, (code, _) in refused.items()}


def _raise_for_codes(codes: Mapping[str, int], what: str) -> None:
    detail = ", ".join(f"{address} ({code})" for address, code in codes.items())
    if all(500 <= code < 600 for code in codes.values()):
        raise ActionError(f"email: the SMTP server {what}: {detail}")
    raise TransientActionError(f"email: the SMTP server {what}: {detail}")


def _result(record: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "outbox_id": record["id"],
        "message_id": record["message_id"],
        "status": record["status"],
        "from": formataddr((record["from_display_name"] or "", record["from_address"])),
        "to": record["to_addresses"],
        "cc": record["cc_addresses"],
        "bcc": record["bcc_addresses"],
        "reply_to": record["reply_to"],
        "subject": record["subject"],
        "template": record["template"],
        "attachments": record["attachments"],
    }


ACTION = EmailAction()
