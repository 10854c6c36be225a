"""The ``http`` action: a real request with Mechanic's options, encodings and result shape (spec §4.4)."""

from __future__ import annotations

import json
import re
import uuid
from base64 import b64encode
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode
from urllib.parse import urlsplit

from tornado.httpclient import AsyncHTTPClient
from tornado.httpclient import HTTPClientError
from tornado.httpclient import HTTPRequest
from tornado.httpclient import HTTPResponse
from tornado.httputil import HTTPHeaders

from ..liquid.secrets import SecretReference
from .base import ActionContext
from .base import ActionError
from .base import TransientActionError
from .generators import BodyTooLarge
from .generators import GeneratedFile
from .generators import fetch_limited
from .generators import generate_all
from .generators import validate_generators

METHODS = ("options", "head", "get", "post", "put", "patch", "delete")
OPTIONS = ("method", "url", "body", "files", "headers", "follow_redirects", "proxy", "verify", "error_on_5xx")
CONNECT_TIMEOUT = 10.0
REQUEST_TIMEOUT = 60.0
MAX_REDIRECTS = 10
MAX_URL_LENGTH = 65_536
MAX_REQUEST_BODY = 20 * 1024 * 1024
MAX_RESPONSE_BODY = 20 * 1024 * 1024
"""Local limits, the same as a generated file's: Mechanic documents none for requests or responses."""

FORM_URLENCODED = "application/x-www-form-urlencoded"
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_PROXY_SCHEMES = ("http", "https", "socks5")
# Framing headers are computed from the body we send; a task's value could only desynchronise the request.
_FRAMING_HEADERS = ("content-length", "transfer-encoding")
# The text of an unresolved secret reference (SecretReference.__str__; keys are lower snake case, spec §8.4).
_PLACEHOLDER = re.compile(r"\[secret [a-z][a-z0-9_]*\]")


def resolve_secrets(value: Any, secrets: Mapping[str, str] | None) -> Any:
    """Replace secret references and placeholders in ``value`` with the raw secrets, just before sending.

    Task code sees ``secrets.k`` only as a placeholder (spec §8.4); after rendering, an action's options hold
    that placeholder text. Only the http action (url, headers, body, proxy) swaps it for the value, so the
    stored options and results keep the placeholder. Without a secrets service this is a passthrough.

    Args:
        value: a string, reference, or JSON structure.
        secrets: raw secret values by key (``context.services["secrets"]``), or None.

    Returns:
        ``value`` with every known secret resolved.
    """
    if not secrets:
        return value
    if isinstance(value, SecretReference):
        return secrets.get(value.key, str(value))
    if isinstance(value, str):
        for key, raw in secrets.items():
            placeholder = str(SecretReference(key))
            if placeholder in value:
                value = value.replace(placeholder, raw)
        return value
    if isinstance(value, Mapping):
        return {key: resolve_secrets(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve_secrets(item, secrets) for item in value]
    return value


class HttpAction:
    """Sends one HTTP request; any HTTP answer (4xx, and 5xx unless ``error_on_5xx``) is a success."""

    name = "http"

    def validate(self, options: Any) -> None:
        """Check every option of spec §4.4.

        Raises:
            ActionError: naming the first bad option.
        """
        if not isinstance(options, Mapping):
            raise ActionError("http options must be an object with at least method and url")
        unknown = [key for key in options if key not in OPTIONS]
        if unknown:
            raise ActionError(f"http: unknown option {unknown[0]!r}; the options are {', '.join(OPTIONS)}")
        method = options.get("method")
        if not isinstance(method, str) or method.lower() not in METHODS:
            raise ActionError(f"http: method must be one of {', '.join(METHODS)}, got {method!r}")
        url = options.get("url")
        # A secret placeholder holds a space; it is checked as a plain word, and again once resolved.
        _check_url(_PLACEHOLDER.sub("secret", url) if isinstance(url, str) else url, "url")
        body = options.get("body")
        if method.lower() != "get" and "body" not in options:
            raise ActionError(
                f'http: body is required for a {method.lower()} request (use "" for an empty one)'
            )
        if body is not None and not isinstance(body, (str, Mapping, list)):
            raise ActionError(
                f"http: body must be a string, an object or an array, got {type(body).__name__}"
            )
        if isinstance(body, str) and len(body) > MAX_REQUEST_BODY:
            raise ActionError(f"http: body is larger than {MAX_REQUEST_BODY} bytes (20 MB)")
        headers = options.get("headers")
        if headers is not None:
            _check_headers(headers)
        if options.get("files") is not None:
            if not options["files"]:
                raise ActionError("http: files must name at least one file (or be left out)")
            validate_generators(options["files"], "http files")
            if body not in (None, "") and not isinstance(body, Mapping):
                raise ActionError("http: with files, body must be an object of form fields (or be left out)")
        for flag in ("follow_redirects", "verify", "error_on_5xx"):
            if flag in options and not isinstance(options[flag], bool):
                raise ActionError(f"http: {flag} must be true or false, got {options[flag]!r}")
        proxy = options.get("proxy")
        if proxy is not None:
            _check_proxy(proxy)

    async def perform(self, options: Any, context: ActionContext) -> dict[str, Any]:
        """Send the request.

        Returns:
            ``{"status": int, "headers": {lowercase name: [values]}, "body": JSON or text,
            "body_base64": str}``.

        Raises:
            ActionError: bad options, a proxy (not supported locally without pycurl), an oversized body.
            TransientActionError: a connection error, a timeout, or a 5xx answer with ``error_on_5xx``.
        """
        self.validate(options)
        secrets = context.services.get("secrets")
        url = resolve_secrets(options["url"], secrets)
        _check_url(url, "url")
        method = options["method"].upper()
        headers = HTTPHeaders()
        for name, value in (resolve_secrets(options.get("headers") or {}, secrets)).items():
            if name.lower() not in _FRAMING_HEADERS:
                headers[name] = _header_value(value)
        body: bytes | None
        if options.get("files"):
            files = await generate_all(options["files"], "http files")
            fields = resolve_secrets(options.get("body") or {}, secrets)
            body, content_type = _multipart(fields, files)
            # The boundary is ours, so the multipart content type must be too (spec §4.4).
            headers.pop("Content-Type", None)
            headers["Content-Type"] = content_type
        else:
            try:
                resolved = resolve_secrets(options.get("body"), secrets)
            except RecursionError:
                raise ActionError("http: the body is nested too deeply") from None
            body = _encode_body(resolved, headers)
        if body is not None and len(body) > MAX_REQUEST_BODY:
            raise ActionError(
                f"http: the request body is {len(body)} bytes; the limit is {MAX_REQUEST_BODY} (20 MB)"
            )
        client = _client(resolve_secrets(options.get("proxy"), secrets))
        return await _send(client, method, url, headers, body, options)


def _check_url(url: Any, where: str) -> None:
    if not isinstance(url, str) or not re.match(r"^https?://", url, re.IGNORECASE):
        raise ActionError(f"http: {where} must start with https:// or http://, got {url!r:.200}")
    if len(url) > MAX_URL_LENGTH:
        raise ActionError(f"http: {where} is longer than {MAX_URL_LENGTH} characters")
    if any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in url):
        raise ActionError(f"http: {where} contains whitespace or a control character")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - urlsplit only validates the port when asked
    except ValueError as exc:
        raise ActionError(f"http: {where} {url!r:.200} is not a valid URL: {exc}") from None
    if not parts.hostname:
        raise ActionError(f"http: {where} {url!r:.200} has no host")


def _check_headers(headers: Any) -> None:
    if not isinstance(headers, Mapping):
        raise ActionError("http: headers must be an object of header name to value")
    for name, value in headers.items():
        if not isinstance(name, str) or not _TOKEN.match(name):
            raise ActionError(f"http: {name!r} is not a valid header name")
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ActionError(
                f"http: header {name} must be a string (or a number), got {type(value).__name__}"
            )
        if any(char in str(value) for char in "\r\n\0"):
            # A line break would let a value inject headers of its own (CWE-113).
            raise ActionError(f"http: header {name} contains a line break or NUL")


def _header_value(value: Any) -> str:
    text = str(value)
    if any(char in text for char in "\r\n\0"):
        raise ActionError("http: a header contains a line break or NUL once its secrets are resolved")
    return text


def _check_proxy(proxy: Any) -> None:
    if not isinstance(proxy, str):
        raise ActionError("http: proxy must be a URI string such as http://user:pass@proxy.example:8080")
    try:
        parts = urlsplit(_PLACEHOLDER.sub("secret", proxy))
        parts.port  # noqa: B018 - urlsplit only validates the port when asked
    except ValueError:
        parts = urlsplit("")
    if parts.scheme.lower() not in _PROXY_SCHEMES or not parts.hostname:
        raise ActionError(f"http: proxy must be an http://, https:// or socks5:// URI, got {proxy!r}")


def _form_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (Mapping, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _form_pairs(body: Mapping[str, Any] | list[Any]) -> list[tuple[str, str]]:
    """Form fields of an object (arrays repeat their key) or of an array of ``[name, value]`` pairs."""
    if isinstance(body, Mapping):
        pairs: list[tuple[str, str]] = []
        for key, value in body.items():
            values = value if isinstance(value, list) else [value]
            pairs += [(str(key), _form_value(item)) for item in values]
        return pairs
    if all(isinstance(pair, list) and len(pair) == 2 for pair in body):
        return [(_form_value(name), _form_value(value)) for name, value in body]
    raise ActionError("http: a form-encoded array body must be a list of [name, value] pairs")


def _encode_body(body: Any, headers: HTTPHeaders) -> bytes | None:
    if body is None:
        return None
    if isinstance(body, str):
        return body.encode("utf-8")
    content_type = headers.get("Content-Type", "")
    if content_type.split(";")[0].strip().lower() == FORM_URLENCODED:
        return urlencode(_form_pairs(body)).encode("ascii")
    if not content_type:
        headers["Content-Type"] = "application/json"
    try:
        # allow_nan=False: NaN and Infinity are not JSON, and a receiving parser would reject them.
        return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
    except (ValueError, TypeError, RecursionError) as exc:
        raise ActionError(f"http: the body cannot be written as JSON: {exc}") from None


def _quote_disposition(text: str) -> str:
    # The HTML form encoding of names in a content-disposition (what browsers send).
    return text.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def _multipart(fields: Mapping[str, Any], files: dict[str, GeneratedFile]) -> tuple[bytes, str]:
    """A multipart/form-data body: one part per form field, then one per file (field name = file name)."""
    boundary = f"----mechanic-kernel-{uuid.uuid4().hex}"
    parts: list[bytes] = []
    for name, value in _form_pairs(fields):
        disposition = f'Content-Disposition: form-data; name="{_quote_disposition(name)}"'
        parts.append(f"--{boundary}\r\n{disposition}\r\n\r\n".encode() + value.encode("utf-8") + b"\r\n")
    for name, file in files.items():
        quoted = _quote_disposition(name)
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{quoted}"; filename="{quoted}"\r\n'
            f"Content-Type: {file.mime_type}\r\n\r\n".encode()
            + file.data
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _client(proxy: str | None) -> AsyncHTTPClient | None:
    if proxy is None:
        return None  # fetch_limited makes a client with the response size limit
    try:
        import pycurl  # noqa: F401 - only probing for Tornado's curl client
    except ImportError:
        raise ActionError(
            "http: proxies are not supported locally: they need Tornado's curl client, which needs "
            "pycurl (pip install pycurl); remove the proxy option to send the request directly"
        ) from None
    from tornado.curl_httpclient import CurlAsyncHTTPClient

    return CurlAsyncHTTPClient()


def _proxy_arguments(proxy: str | None) -> dict[str, Any]:
    if proxy is None:
        return {}
    parts = urlsplit(proxy)
    scheme = parts.scheme.lower()
    arguments: dict[str, Any] = {
        # curl reads the scheme from the proxy host for https:// proxies; a bare host means http.
        "proxy_host": f"https://{parts.hostname}" if scheme == "https" else parts.hostname,
        "proxy_port": parts.port or {"http": 80, "https": 443, "socks5": 1080}[scheme],
        "proxy_username": parts.username,
        "proxy_password": parts.password,
    }
    if scheme == "socks5":
        import pycurl

        arguments["prepare_curl_callback"] = lambda curl: curl.setopt(
            pycurl.PROXYTYPE, pycurl.PROXYTYPE_SOCKS5_HOSTNAME
        )
    return arguments


async def _send(
    client: AsyncHTTPClient | None,
    method: str,
    url: str,
    headers: HTTPHeaders,
    body: bytes | None,
    options: Mapping[str, Any],
) -> dict[str, Any]:
    request = HTTPRequest(
        url,
        method=method,
        headers=headers,
        body=body,
        follow_redirects=options.get("follow_redirects", True),
        max_redirects=MAX_REDIRECTS,
        validate_cert=options.get("verify", True),
        connect_timeout=CONNECT_TIMEOUT,
        request_timeout=REQUEST_TIMEOUT,
        decompress_response=True,
        # GET with a body and DELETE/OPTIONS with one are unusual but legal; Mechanic sends what it is given.
        allow_nonstandard_methods=True,
        **_proxy_arguments(options.get("proxy")),
    )
    try:
        response, raw = await fetch_limited(request, MAX_RESPONSE_BODY, client)
    except BodyTooLarge:
        raise ActionError(
            f"http: the response from {url:.200} is larger than {MAX_RESPONSE_BODY} bytes (20 MB)"
        ) from None
    except (HTTPClientError, OSError) as exc:
        # Connection refused, DNS failure, TLS failure, timeout: nothing was answered, so a retry may succeed.
        raise TransientActionError(f"http: {method} {url:.200} failed: {exc}") from None
    except ValueError as exc:
        raise ActionError(f"http: cannot send {method} {url:.200}: {exc}") from None
    result = _result(response, raw)
    if options.get("error_on_5xx") and 500 <= response.code <= 599:
        raise TransientActionError(
            f"http: {method} {url:.200} answered {response.code} (error_on_5xx is true)"
        )
    return result


def _result(response: HTTPResponse, raw: bytes) -> dict[str, Any]:
    headers: dict[str, list[str]] = {}
    for name, value in response.headers.get_all():
        headers.setdefault(name.lower(), []).append(value)
    text = raw.decode("utf-8", errors="replace")
    body: Any = text
    media_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if media_type == "application/json" or media_type.endswith("+json"):
        try:
            body = json.loads(text)
        except ValueError:
            body = text  # a server that labels non-JSON as JSON still gets its text back
    return {
        "status": response.code,
        "headers": headers,
        "body": body,
        "body_base64": b64encode(raw).decode("ascii"),
    }


ACTION = HttpAction()
