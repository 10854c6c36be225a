"""Turn an HTTP request into event data, following spec §2.4–2.6 to the letter. Pure: no I/O, no framework.

Choices the spec leaves open are recorded in docs/decisions.md ("Webhook ingest").
"""

from __future__ import annotations

import base64
import codecs
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from python_multipart.multipart import parse_options_header

from ..errors import BadRequest
from ..models.webhooks import WebhookMode
from .multipart import parse_multipart
from .params import ParameterError
from .params import parse_nested_query

DEFAULT_CHARSET = "utf-8"


@dataclass(frozen=True)
class ContentType:
    """The parts of a ``Content-Type`` header that interpretation needs."""

    mime_type: str | None
    charset: str | None
    boundary: str | None

    @classmethod
    def parse(cls, header: str | None) -> ContentType:
        """Parse a header value; None for a missing header."""
        if header is None or not header.strip():
            return cls(None, None, None)
        mime_type, params = parse_options_header(header)
        charset = params.get(b"charset", b"").decode("latin-1").strip().lower()
        boundary = params.get(b"boundary", b"").decode("latin-1")
        return cls(mime_type.decode("latin-1").strip().lower() or None, charset or None, boundary or None)

    @property
    def is_json(self) -> bool:
        """``application/json`` or a ``+json`` type (``application/vnd.api+json``)."""
        return self.mime_type is not None and (self.mime_type == "application/json" or
                                               self.mime_type.endswith("+json"))


def header_value(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    """All values of one header joined with ``,`` (how Mechanic folds repeats), or None when absent."""
    values = [value for key, value in headers if key.lower() == name]
    return ",".join(values) if values else None


def _check_charset(charset: str) -> str:
    try:
        codecs.lookup(charset)
    except LookupError:
        raise BadRequest(f"unsupported charset {charset!r} in the Content-Type header") from None
    return charset


def _form(body: bytes, charset: str) -> dict[str, Any]:
    try:
        return parse_nested_query(body, charset)
    except UnicodeDecodeError as exc:
        raise BadRequest(f"form body is not valid {charset} text (byte {exc.start} cannot be decoded)") from None


def _looks_like_form(body: bytes) -> bool:
    return b"=" in body


class _NoParams(Exception):
    """The body yields no structured parameters (text, XML, invalid JSON, conflicting names…)."""


def body_params(body: bytes, content_type: ContentType) -> dict[str, Any]:
    """The body's structured parameters (a hash), as Rack would produce them.

    JSON whose top level is not an object is wrapped as ``{"_json": value}`` like Rails does.

    Raises:
        _NoParams: when the body carries no structured parameters.
        BadRequest: malformed multipart, unknown charset, or text that is not valid in its charset.
    """
    charset = _check_charset(content_type.charset) if content_type.charset else DEFAULT_CHARSET
    if not body.strip():
        raise _NoParams
    try:
        if content_type.is_json:
            try:
                value = json.loads(body.decode(content_type.charset) if content_type.charset else body)
            except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
                raise _NoParams from exc
            return value if isinstance(value, dict) else {"_json": value}
        if content_type.mime_type == "application/x-www-form-urlencoded" or (
            content_type.mime_type is None and _looks_like_form(body)
        ):
            return _form(body, charset)
        if content_type.mime_type == "multipart/form-data":
            return parse_multipart(body, content_type.boundary, charset)
    except ParameterError as exc:
        raise _NoParams from exc
    raise _NoParams


def query_params(query_string: str | None) -> dict[str, Any]:
    """The query string's structured parameters (empty when there is none or it is unusable)."""
    if not query_string:
        return {}
    try:
        return parse_nested_query(query_string.encode("latin-1", "replace"))
    except (ParameterError, UnicodeDecodeError):
        return {}


def body_text(body: bytes, content_type: ContentType) -> str:
    """The body as text in its declared charset (UTF-8 when none is declared).

    Raises:
        BadRequest: when the bytes are not valid text in that charset.
    """
    charset = _check_charset(content_type.charset) if content_type.charset else DEFAULT_CHARSET
    try:
        return body.decode(charset)
    except UnicodeDecodeError as exc:
        raise BadRequest(
            f"body is not valid {charset} text (byte {exc.start} cannot be decoded); declare its charset in "
            "Content-Type, or switch the webhook to Full request mode to receive binary bodies as body_base64"
        ) from None


def interpret_auto(body: bytes, content_type_header: str | None, query_string: str | None) -> Any:
    """Auto mode (§2.5): body params merged with query params (query wins), else the body text, else null."""
    content_type = ContentType.parse(content_type_header)
    try:
        params: dict[str, Any] | None = body_params(body, content_type)
    except _NoParams:
        params = None
    query = query_params(query_string)
    if params is not None and set(params) == {"_json"} and not query:
        # A JSON array or scalar with no query: the value itself is the most useful event data.
        return params["_json"]
    if params is not None and (params or content_type.is_json):
        return {**params, **query}
    if query:
        return query
    text = body_text(body, content_type)
    return None if not text.strip() else text


def interpret_full(
    *,
    body: bytes,
    headers: list[tuple[str, str]],
    query_string: str | None,
    client_ip: str,
    request_id: str,
    webhook_id: str,
) -> dict[str, Any]:
    """Full request mode (§2.6): the whole request as a hash with exactly the nine documented keys."""
    content_type_header = header_value(headers, "content-type")
    content_type = ContentType.parse(content_type_header)
    try:
        structured: dict[str, Any] | None = body_params(body, content_type)
    except _NoParams:
        structured = None
    folded: dict[str, list[str]] = {}
    for name, value in headers:
        key = name.lower()
        folded[key] = [f"{folded[key][0]},{value}"] if key in folded else [value]
    return {
        "body_base64": base64.b64encode(body).decode("ascii"),
        "body": structured,
        "client_ip": client_ip,
        "headers": folded,
        "mime_type": content_type.mime_type,
        "query_string": query_string or None,
        "query": query_params(query_string) or None,
        "request_id": request_id,
        "webhook_id": webhook_id,
    }


def interpret(
    mode: WebhookMode,
    *,
    body: bytes,
    headers: list[tuple[str, str]],
    query_string: str | None,
    client_ip: str,
    request_id: str,
    webhook_id: str,
) -> Any:
    """Event data for a request under ``mode``.

    Raises:
        BadRequest: the request cannot be interpreted (malformed multipart, undecodable charset).
    """
    if mode is WebhookMode.FULL:
        return interpret_full(body=body, headers=headers, query_string=query_string, client_ip=client_ip,
                              request_id=request_id, webhook_id=webhook_id)
    return interpret_auto(body, header_value(headers, "content-type"), query_string)
