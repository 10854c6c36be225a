"""Interpretation of requests into event data (pure; the HTTP tests drive the same code over sockets)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from dataclasses import field
from operator import attrgetter
from typing import Any

import pytest

from mechanic_kernel.errors import BadRequest
from mechanic_kernel.webhooks.ingest import ContentType
from mechanic_kernel.webhooks.ingest import interpret_auto
from mechanic_kernel.webhooks.ingest import interpret_full

BOUNDARY = "XyZ"


def multipart(*parts: tuple[str, bytes, str | None, str | None], boundary: str = BOUNDARY) -> bytes:
    """Build a multipart body from (name, content, filename, content_type) parts."""
    chunks = []
    for name, content, filename, content_type in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
        if content_type:
            head += f"Content-Type: {content_type}\r\n"
        chunks.append(head.encode() + b"\r\n" + content + b"\r\n")
    return b"".join(chunks) + f"--{boundary}--\r\n".encode()


@dataclass
class Case:
    description: str
    body: bytes
    content_type: str | None
    query: str | None
    expect: Any = None
    raises: type[Exception] | None = None
    notes: list[str] = field(default_factory=list)


AUTO_CASES = [
    Case("1: JSON object", b'{"a":1}', "application/json", None, {"a": 1}),
    Case("3: urlencoded", b"foo=bar", "application/x-www-form-urlencoded", None, {"foo": "bar"}),
    Case("6: JSON merged with query", b'{"a":1}', "application/json", "b=2", {"a": 1, "b": "2"}),
    Case("query wins over body on collision", b'{"a":1}', "application/json", "a=2", {"a": "2"}),
    Case("7: empty body, query", b"", None, "key=value", {"key": "value"}),
    Case("8: text/plain", b"hello", "text/plain", None, "hello"),
    Case("9: text/plain with query drops the text", b"hello", "text/plain", "a=1", {"a": "1"}),
    Case("10: invalid JSON is kept as text", b"{oops", "application/json", None, "{oops"),
    Case("invalid JSON with a query gives the query", b"{oops", "application/json", "q=1", {"q": "1"}),
    Case("11: empty body", b"", None, None, None),
    Case("12: whitespace body", b"  \n ", "text/plain", None, None),
    Case("13: form values are strings", b"n=5", "application/x-www-form-urlencoded", None, {"n": "5"}),
    Case("JSON array body", b"[1,2]", "application/json", None, [1, 2]),
    Case("JSON array with query is wrapped", b"[1,2]", "application/json", "q=1", {"_json": [1, 2], "q": "1"}),
    Case("JSON scalar", b'"hi"', "application/json", None, "hi"),
    Case("empty JSON object", b"{}", "application/json", None, {}),
    Case("vendor +json type", b'{"a":1}', "application/vnd.api+json", None, {"a": 1}),
    Case("JSON in UTF-16 declared", '{"a":"\u00e9"}'.encode("utf-16"), "application/json; charset=utf-16", None,
         {"a": "\u00e9"}),
    Case("no content type, form-like body", b"a=1&b[]=2", None, None, {"a": "1", "b": ["2"]}),
    Case("no content type, plain text", b"just text", None, None, "just text"),
    Case("latin-1 form", b"name=J%FCrgen", "application/x-www-form-urlencoded; charset=ISO-8859-1", None,
         {"name": "J\u00fcrgen"}),
    Case("XML stays text", b"<a>1</a>", "application/xml", None, "<a>1</a>"),
    Case("conflicting form names fall back to text", b"a=1&a[b]=2", "application/x-www-form-urlencoded", None,
         "a=1&a[b]=2"),
    Case("deeply nested JSON falls back to text", b"[" * 100000 + b"]" * 100000, "application/json", None,
         "[" * 100000 + "]" * 100000),
    Case("unknown charset is refused", b"a=1", "application/x-www-form-urlencoded; charset=klingon", None,
         raises=BadRequest),
    Case("invalid UTF-8 form is refused", b"a=%FF", "application/x-www-form-urlencoded", None, raises=BadRequest),
    Case("binary text body is refused in auto mode", b"\xff\xfe\x00", "application/octet-stream", None,
         raises=BadRequest),
    Case("binary body with a query keeps the query", b"\xff\xfe\x00", "application/octet-stream", "a=1",
         {"a": "1"}),
    Case("14: multipart file and field",
         multipart(("key", b"value", None, None), ("file_upload", b"\x89PNG", "tiny.png", "image/png")),
         f"multipart/form-data; boundary={BOUNDARY}", None,
         {"key": "value", "file_upload": {"content_base64": base64.b64encode(b"\x89PNG").decode(),
                                          "mime_type": "image/png", "name": "tiny.png", "size": 4}}),
    Case("multipart files[] make an array",
         multipart(("files[]", b"a", "a.txt", "text/plain"), ("files[]", b"bb", "b.txt", "text/plain")),
         f"multipart/form-data; boundary={BOUNDARY}", None,
         {"files": [{"content_base64": "YQ==", "mime_type": "text/plain", "name": "a.txt", "size": 1},
                    {"content_base64": "YmI=", "mime_type": "text/plain", "name": "b.txt", "size": 2}]}),
    Case("multipart empty file input is dropped",
         multipart(("upload", b"", "", "application/octet-stream"), ("a", b"1", None, None)),
         f"multipart/form-data; boundary={BOUNDARY}", None, {"upload": None, "a": "1"}),
    Case("multipart nested field names", multipart(("contact[name]", "\u00c5sa".encode(), None, None)),
         f"multipart/form-data; boundary={BOUNDARY}", None, {"contact": {"name": "\u00c5sa"}}),
    Case("multipart without boundary", b"--x\r\n", "multipart/form-data", None, raises=BadRequest),
    Case("multipart truncated", multipart(("a", b"1", None, None))[:-12], f"multipart/form-data; boundary={BOUNDARY}",
         None, raises=BadRequest),
    Case("multipart garbage", b"this is not multipart at all", f"multipart/form-data; boundary={BOUNDARY}", None,
         raises=BadRequest),
    Case("multipart part without a name", b"--XyZ\r\nContent-Disposition: form-data\r\n\r\nx\r\n--XyZ--\r\n",
         f"multipart/form-data; boundary={BOUNDARY}", None, raises=BadRequest),
    Case("multipart field in invalid UTF-8", multipart(("a", b"\xff", None, None)),
         f"multipart/form-data; boundary={BOUNDARY}", None, raises=BadRequest),
]


@pytest.mark.parametrize("case", AUTO_CASES, ids=attrgetter("description"))
def test_auto_mode(case: Case) -> None:
    if case.raises:
        with pytest.raises(case.raises) as info:
            interpret_auto(case.body, case.content_type, case.query)
        assert str(info.value)
    else:
        assert interpret_auto(case.body, case.content_type, case.query) == case.expect


def full(body: bytes, headers: list[tuple[str, str]], query: str | None = None) -> dict[str, Any]:
    return interpret_full(body=body, headers=headers, query_string=query, client_ip="127.0.0.1",
                          request_id="r-1", webhook_id="w-1")


def test_16_full_mode_has_exactly_the_documented_keys() -> None:
    data = full(b'{"a":1}', [("Content-Type", "application/json")])
    assert set(data) == {"body_base64", "body", "client_ip", "headers", "mime_type", "query_string", "query",
                         "request_id", "webhook_id"}
    assert data["body"] == {"a": 1}
    assert data["request_id"] == "r-1" and data["webhook_id"] == "w-1"


def test_17_body_base64_is_the_exact_bytes() -> None:
    raw = bytes(range(256))
    assert base64.b64decode(full(raw, [("Content-Type", "application/octet-stream")])["body_base64"]) == raw


def test_18_19_headers_lowercased_and_repeats_folded() -> None:
    data = full(b"", [("X-Foo", "Bar"), ("X-Foo", "Baz"), ("User-Agent", "t")])
    assert data["headers"] == {"x-foo": ["Bar,Baz"], "user-agent": ["t"]}


@pytest.mark.parametrize(("header", "expect"), [
    ("multipart/form-data; boundary=XYZ", "multipart/form-data"),
    ("application/json; charset=utf-8", "application/json"),
    ("Text/Plain", "text/plain"),
])
def test_20_mime_type_without_parameters(header: str, expect: str) -> None:
    assert ContentType.parse(header).mime_type == expect


def test_21_22_no_content_type_and_no_query() -> None:
    data = full(b"", [])
    assert data["mime_type"] is None
    assert data["query_string"] is None and data["query"] is None
    assert data["body"] is None


def test_23_query_string_and_query() -> None:
    qs = "key=value&hash[key]=hv&array[]=av"
    data = full(b"", [], qs)
    assert data["query_string"] == qs
    assert data["query"] == {"key": "value", "hash": {"key": "hv"}, "array": ["av"]}


def test_bare_question_mark_gives_null_query_string() -> None:
    assert full(b"", [], "")["query_string"] is None


def test_24_invalid_json_body_is_null() -> None:
    data = full(b"{oops", [("Content-Type", "application/json")])
    assert data["body"] is None and base64.b64decode(data["body_base64"]) == b"{oops"


def test_full_mode_text_body_is_null_and_binary_is_kept() -> None:
    assert full(b"hello", [("Content-Type", "text/plain")])["body"] is None
    data = full(b"\xff\x00", [])
    assert data["body"] is None and base64.b64decode(data["body_base64"]) == b"\xff\x00"


def test_15_full_mode_multipart_file_under_body() -> None:
    body = multipart(("file_upload", b"abc", "a.bin", "application/octet-stream"))
    data = full(body, [("Content-Type", f"multipart/form-data; boundary={BOUNDARY}")])
    assert data["body"]["file_upload"] == {"content_base64": "YWJj", "mime_type": "application/octet-stream",
                                           "name": "a.bin", "size": 3}


def test_full_mode_json_array_body_is_wrapped() -> None:
    assert full(b"[1]", [("Content-Type", "application/json")])["body"] == {"_json": [1]}


def test_full_mode_refuses_undecodable_declared_charset() -> None:
    with pytest.raises(BadRequest, match="charset"):
        full(b"a=1", [("Content-Type", "application/x-www-form-urlencoded; charset=nope")])
