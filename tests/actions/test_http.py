"""The http action against a server on 127.0.0.1: encodings, result shape, errors (spec §4.4, 91-98)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from typing import Any

import pytest
from actiontools import LocalServer
from actiontools import run
from actiontools import self_signed_tls

from mechanic_kernel.actions import http
from mechanic_kernel.actions.base import ActionContext
from mechanic_kernel.actions.base import ActionError
from mechanic_kernel.actions.base import TransientActionError
from mechanic_kernel.actions.http import ACTION
from mechanic_kernel.actions.http import resolve_secrets
from mechanic_kernel.actions.registry import action_type
from mechanic_kernel.liquid.secrets import SecretReference


def perform(options: dict[str, Any], context: ActionContext) -> dict[str, Any]:
    return run(ACTION.perform(options, context))


def echoed(result: dict[str, Any]) -> dict[str, Any]:
    assert result["status"] == 200
    return result["body"]


def test_http_is_registered() -> None:
    assert action_type("http") is ACTION


def test_91_object_body_is_json(echo_server: LocalServer, make_context: Callable[..., ActionContext]) -> None:
    sent = echoed(
        perform(
            {"method": "post", "url": f"{echo_server.url}/echo", "body": {"a": 1, "b": [1, "é"]}},
            make_context(),
        )
    )
    assert sent["method"] == "POST"
    assert sent["headers"]["content-type"] == "application/json"
    assert json.loads(sent["body"]) == {"a": 1, "b": [1, "é"]}


def test_91_array_body_is_json(echo_server: LocalServer, make_context: Callable[..., ActionContext]) -> None:
    sent = echoed(
        perform({"method": "put", "url": f"{echo_server.url}/echo", "body": [1, 2]}, make_context())
    )
    assert sent["headers"]["content-type"] == "application/json" and json.loads(sent["body"]) == [1, 2]


def test_92_form_urlencoded_body(
    echo_server: LocalServer, make_context: Callable[..., ActionContext]
) -> None:
    sent = echoed(
        perform(
            {
                "method": "post",
                "url": f"{echo_server.url}/echo",
                "body": {"a": 1, "b": 2},
                "headers": {"Content-Type": "application/x-www-form-urlencoded"},
            },
            make_context(),
        )
    )
    assert sent["body"] == "a=1&b=2"
    assert sent["headers"]["content-type"] == "application/x-www-form-urlencoded"


def test_form_encoding_of_lists_booleans_nulls_and_specials(
    echo_server: LocalServer, make_context: Callable[..., ActionContext]
) -> None:
    sent = echoed(
        perform(
            {
                "method": "post",
                "url": f"{echo_server.url}/echo",
                "headers": {"content-type": "application/x-www-form-urlencoded; charset=utf-8"},
                "body": {"tag": ["x", "y"], "ok": True, "none": None, "q": "a&b=c é"},
            },
            make_context(),
        )
    )
    assert sent["body"] == "tag=x&tag=y&ok=true&none=&q=a%26b%3Dc+%C3%A9"


def test_string_body_is_sent_as_is(
    echo_server: LocalServer, make_context: Callable[..., ActionContext]
) -> None:
    sent = echoed(
        perform(
            {
                "method": "post",
                "url": f"{echo_server.url}/echo",
                "body": "<xml>é</xml>",
                "headers": {"Content-Type": "text/xml"},
            },
            make_context(),
        )
    )
    assert sent["body"] == "<xml>é</xml>" and sent["headers"]["content-type"] == "text/xml"


def test_object_body_keeps_an_explicit_json_content_type(
    echo_server: LocalServer, make_context: Callable[..., ActionContext]
) -> None:
    sent = echoed(
        perform(
            {
                "method": "post",
                "url": f"{echo_server.url}/echo",
                "body": {"a": 1},
                "headers": {"Content-Type": "application/json; charset=utf-8"},
            },
            make_context(),
        )
    )
    assert sent["headers"]["content-type"] == "application/json; charset=utf-8"
    assert sent["body"] == '{"a":1}'


def _multipart_parts(sent: dict[str, Any]) -> dict[str, tuple[dict[str, str], bytes]]:
    """Split the echoed multipart body with the stdlib email parser (independent of our encoder)."""
    from email.parser import BytesParser
    from email.policy import HTTP

    raw = base64.b64decode(sent["body_base64"])
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {sent['headers']['content-type']}\r\n\r\n".encode() + raw
    )
    parts = {}
    for part in message.iter_parts():
        disposition = part.get("Content-Disposition")
        params = dict(part.get_params(header="content-disposition")[1:])
        parts[params["name"]] = (
            {
                "disposition": disposition,
                "content-type": part.get_content_type(),
                "filename": params.get("filename", ""),
            },
            part.get_payload(decode=True),
        )
    return parts


def test_93_files_send_multipart_with_body_fields(
    echo_server: LocalServer, make_context: Callable[..., ActionContext]
) -> None:
    sent = echoed(
        perform(
            {
                "method": "post",
                "url": f"{echo_server.url}/echo",
                "body": {"note": "é", "n": 3},
                "files": {"a.txt": "hi", "b.bin": {"base64": base64.b64encode(b"\x00\xff").decode()}},
                "headers": {"Content-Type": "application/json"},
            },
            make_context(),
        )
    )
    assert sent["headers"]["content-type"].startswith("multipart/form-data; boundary=")
    parts = _multipart_parts(sent)
    assert parts["note"][1] == "é".encode() and parts["n"][1] == b"3"
    assert parts["a.txt"][0]["filename"] == "a.txt" and parts["a.txt"][0]["content-type"] == "text/plain"
    assert parts["a.txt"][1] == b"hi"
    assert parts["b.bin"][1] == b"\x00\xff"


def test_94_result_shape(echo_server: LocalServer, make_context: Callable[..., ActionContext]) -> None:
    result = perform({"method": "get", "url": f"{echo_server.url}/echo?x=1"}, make_context())
    assert set(result) == {"status", "headers", "body", "body_base64"}
    assert result["status"] == 200
    assert result["headers"]["content-type"] == ["application/json"]
    assert result["headers"]["x-multi"] == ["one", "two"]
    assert all(
        name == name.lower() and isinstance(values, list) for name, values in result["headers"].items()
    )
    assert result["body"]["query"] == "x=1"
    assert json.loads(base64.b64decode(result["body_base64"])) == result["body"]
    text = perform({"method": "get", "url": f"{echo_server.url}/text"}, make_context())
    assert text["body"] == "héllo" and base64.b64decode(text["body_base64"]) == "héllo".encode()


def test_94_mislabelled_json_is_returned_as_text(
    echo_server: LocalServer, make_context: Callable[..., ActionContext]
) -> None:
    result = perform(
        {"method": "get", "url": f"{echo_server.url}/text?type=application/json&text=nope"}, make_context()
    )
    assert result["body"] == "nope"
    vendor = perform(
        {"method": "get", "url": f"{echo_server.url}/text?type=application/vnd.api%2Bjson&text=[1]"},
        make_context(),
    )
    assert vendor["body"] == [1]


def test_95_404_is_a_success(echo_server: LocalServer, make_context: Callable[..., ActionContext]) -> None:
    result = perform({"method": "get", "url": f"{echo_server.url}/status/404"}, make_context())
    assert result["status"] == 404 and result["body"] == "status 404"


def test_96_503_is_a_success_by_default(
    echo_server: LocalServer, make_context: Callable[..., ActionContext]
) -> None:
    assert perform({"method": "get", "url": f"{echo_server.url}/status/503"}, make_context())["status"] == 503


def test_96_503_with_error_on_5xx_fails_and_is_retried(
    echo_server: LocalServer, make_context: Callable[..., ActionContext]
) -> None:
    with pytest.raises(TransientActionError, match="answered 503") as caught:
        perform(
            {"method": "get", "url": f"{echo_server.url}/status/503", "error_on_5xx": True}, make_context()
        )
    assert caught.value.transient
    result = perform(
        {"method": "get", "url": f"{echo_server.url}/status/404", "error_on_5xx": True}, make_context()
    )
    assert result["status"] == 404


def test_98_redirects(echo_server: LocalServer, make_context: Callable[..., ActionContext]) -> None:
    followed = perform({"method": "get", "url": f"{echo_server.url}/redirect"}, make_context())
    assert followed["status"] == 200 and followed["body"]["query"] == "redirected=1"
    kept = perform(
        {"method": "get", "url": f"{echo_server.url}/redirect", "follow_redirects": False}, make_context()
    )
    assert kept["status"] == 302 and kept["headers"]["location"] == ["/echo?redirected=1"]


def test_methods(echo_server: LocalServer, make_context: Callable[..., ActionContext]) -> None:
    for method in ("options", "patch", "delete", "put", "post"):
        assert (
            echoed(perform({"method": method, "url": f"{echo_server.url}/echo", "body": ""}, make_context()))[
                "method"
            ]
            == method.upper()
        )
    head = perform({"method": "head", "url": f"{echo_server.url}/echo", "body": ""}, make_context())
    assert head["status"] == 200 and head["headers"]["x-head"] == ["yes"] and head["body"] == ""
    assert (
        echoed(perform({"method": "GET", "url": f"{echo_server.url}/echo"}, make_context()))["method"]
        == "GET"
    )


def test_headers_are_sent(echo_server: LocalServer, make_context: Callable[..., ActionContext]) -> None:
    sent = echoed(
        perform(
            {
                "method": "get",
                "url": f"{echo_server.url}/echo",
                "headers": {"X-Token": "abc", "X-Count": 3, "Content-Length": "999"},
            },
            make_context(),
        )
    )
    assert sent["headers"]["x-token"] == "abc" and sent["headers"]["x-count"] == "3"
    assert "content-length" not in sent["headers"] or sent["headers"]["content-length"] == "0"


def test_verify(tmp_path: Path, make_context: Callable[..., ActionContext]) -> None:
    tls_server = LocalServer(self_signed_tls(tmp_path)).start()
    try:
        url = f"{tls_server.url}/echo"
        with pytest.raises(TransientActionError, match="CERTIFICATE_VERIFY_FAILED"):
            perform({"method": "get", "url": url}, make_context())
        with pytest.raises(TransientActionError, match="CERTIFICATE_VERIFY_FAILED"):
            perform({"method": "get", "url": url, "verify": True}, make_context())
        assert (
            echoed(perform({"method": "get", "url": url, "verify": False}, make_context()))["method"] == "GET"
        )
    finally:
        tls_server.stop()


def test_connection_refused_is_transient(
    closed_port: int, make_context: Callable[..., ActionContext]
) -> None:
    with pytest.raises(TransientActionError, match="failed"):
        perform({"method": "get", "url": f"http://127.0.0.1:{closed_port}/"}, make_context())


def test_timeout_is_transient(
    echo_server: LocalServer, make_context: Callable[..., ActionContext], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(http, "REQUEST_TIMEOUT", 0.3)
    with pytest.raises(TransientActionError, match="Timeout"):
        perform({"method": "get", "url": f"{echo_server.url}/slow"}, make_context())


def test_huge_response_fails(
    echo_server: LocalServer, make_context: Callable[..., ActionContext], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(http, "MAX_RESPONSE_BODY", 10_000)
    assert (
        perform({"method": "get", "url": f"{echo_server.url}/bytes/10000"}, make_context())["status"] == 200
    )
    with pytest.raises(ActionError, match="larger than 10000 bytes"):
        perform({"method": "get", "url": f"{echo_server.url}/bytes/10001"}, make_context())
    with pytest.raises(ActionError, match="larger than 10000 bytes"):
        perform({"method": "get", "url": f"{echo_server.url}/text?text={'y' * 10_001}"}, make_context())


def test_huge_request_body_fails(
    echo_server: LocalServer, make_context: Callable[..., ActionContext]
) -> None:
    with pytest.raises(ActionError, match="larger than 20971520"):
        perform(
            {"method": "post", "url": f"{echo_server.url}/echo", "body": "x" * (http.MAX_REQUEST_BODY + 1)},
            make_context(),
        )
    with pytest.raises(ActionError, match="the limit is 20971520"):
        perform(
            {"method": "post", "url": f"{echo_server.url}/echo", "body": {"x": "y" * http.MAX_REQUEST_BODY}},
            make_context(),
        )


def test_unencodable_bodies_fail(
    echo_server: LocalServer, make_context: Callable[..., ActionContext]
) -> None:
    deep: list[Any] = []
    for _ in range(100_000):
        deep = [deep]
    for body in (deep, {"x": float("nan")}):
        with pytest.raises(ActionError, match="cannot be written as JSON"):
            perform({"method": "post", "url": f"{echo_server.url}/echo", "body": body}, make_context())


def test_proxy_is_refused_clearly_without_pycurl(
    echo_server: LocalServer, make_context: Callable[..., ActionContext]
) -> None:
    try:
        import pycurl  # noqa: F401
    except ImportError:
        with pytest.raises(ActionError, match="proxies are not supported locally"):
            perform(
                {"method": "get", "url": f"{echo_server.url}/echo", "proxy": "socks5://127.0.0.1:1"},
                make_context(),
            )
    else:
        pytest.skip("pycurl is installed: proxies are supported")


def test_secret_placeholders_are_resolved_just_before_sending(
    echo_server: LocalServer, make_context: Callable[..., ActionContext]
) -> None:
    context = make_context()
    context.services["secrets"] = {"token": "s3cr3t"}
    placeholder = str(SecretReference("token"))
    options = {
        "method": "post",
        "url": f"{echo_server.url}/echo?k={placeholder}",
        "headers": {"Authorization": f"Bearer {placeholder}"},
        "body": {"key": placeholder},
    }
    result = perform(options, context)
    assert result["body"]["query"] == "k=s3cr3t"
    assert result["body"]["headers"]["authorization"] == "Bearer s3cr3t"
    assert json.loads(result["body"]["body"]) == {"key": "s3cr3t"}
    assert options["headers"]["Authorization"] == f"Bearer {placeholder}"  # the stored options keep it


def test_resolve_secrets_without_a_store_is_a_passthrough() -> None:
    value = {"a": ["[secret k]", SecretReference("k")]}
    assert resolve_secrets(value, None) is value
    assert resolve_secrets(value, {"k": "v"}) == {"a": ["v", "v"]}
    assert resolve_secrets("[secret other]", {"k": "v"}) == "[secret other]"


@dataclass
class Bad:
    description: str
    options: Any
    message: str


BAD = [
    Bad("97: method fetch", {"method": "fetch", "url": "https://example.com"}, "method must be one of"),
    Bad("97: ftp url", {"method": "get", "url": "ftp://x"}, "must start with https:// or http://"),
    Bad("not an object", ["get", "https://example.com"], "must be an object"),
    Bad("missing method", {"url": "https://example.com"}, "method must be one of"),
    Bad("method not a string", {"method": 1, "url": "https://example.com"}, "method must be one of"),
    Bad("missing url", {"method": "get"}, "must start with"),
    Bad("url without host", {"method": "get", "url": "http://"}, "has no host"),
    Bad("url with spaces", {"method": "get", "url": "http://a.example/b c"}, "whitespace"),
    Bad("url with bad port", {"method": "get", "url": "http://a.example:99999/"}, "not a valid URL"),
    Bad("url too long", {"method": "get", "url": "http://a.example/" + "a" * 70_000}, "longer than"),
    Bad("post without body", {"method": "post", "url": "https://example.com"}, "body is required"),
    Bad("number body", {"method": "post", "url": "https://example.com", "body": 5}, "body must be"),
    Bad(
        "headers not an object",
        {"method": "get", "url": "https://e.com", "headers": ["a"]},
        "headers must be",
    ),
    Bad(
        "header value an object",
        {"method": "get", "url": "https://e.com", "headers": {"a": {}}},
        "must be a string",
    ),
    Bad(
        "header value a boolean",
        {"method": "get", "url": "https://e.com", "headers": {"a": True}},
        "must be a str",
    ),
    Bad(
        "header value null",
        {"method": "get", "url": "https://e.com", "headers": {"a": None}},
        "must be a string",
    ),
    Bad(
        "header injection",
        {"method": "get", "url": "https://e.com", "headers": {"a": "b\r\nX: y"}},
        "line break",
    ),
    Bad(
        "bad header name",
        {"method": "get", "url": "https://e.com", "headers": {"a b": "c"}},
        "not a valid header",
    ),
    Bad(
        "follow_redirects not a bool",
        {"method": "get", "url": "https://e.com", "follow_redirects": "no"},
        "true or false",
    ),
    Bad("verify not a bool", {"method": "get", "url": "https://e.com", "verify": 0}, "true or false"),
    Bad(
        "error_on_5xx not a bool",
        {"method": "get", "url": "https://e.com", "error_on_5xx": "yes"},
        "true or false",
    ),
    Bad("proxy scheme", {"method": "get", "url": "https://e.com", "proxy": "ftp://p:1"}, "socks5://"),
    Bad("proxy not a string", {"method": "get", "url": "https://e.com", "proxy": 8080}, "URI string"),
    Bad(
        "unknown option", {"method": "get", "url": "https://e.com", "timeout": 5}, "unknown option 'timeout'"
    ),
    Bad(
        "files with a string body",
        {"method": "post", "url": "https://e.com", "body": "x", "files": {"a": "b"}},
        "form fields",
    ),
    Bad(
        "files empty",
        {"method": "post", "url": "https://e.com", "body": {}, "files": {}},
        "at least one file",
    ),
    Bad(
        "bad file generator",
        {"method": "post", "url": "https://e.com", "body": {}, "files": {"a": 1}},
        "file generator",
    ),
    Bad(
        "form array not pairs",
        {
            "method": "post",
            "url": "https://e.com",
            "body": [1, 2],
            "headers": {"content-type": "application/x-www-form-urlencoded"},
        },
        "pairs",
    ),
]


@pytest.mark.parametrize("case", BAD, ids=attrgetter("description"))
def test_malformed_options_fail_validation(case: Bad, make_context: Callable[..., ActionContext]) -> None:
    with pytest.raises(ActionError, match=case.message) as caught:
        perform(case.options, make_context())
    assert not caught.value.transient
