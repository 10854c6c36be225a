"""Spec §2 over real HTTP: a real Tornado server on 127.0.0.1, a real client, a real SQLite file."""

from __future__ import annotations

import base64
import uuid

import httpx
import pytest

from mechanic_kernel import Workbench
from mechanic_kernel.models.webhooks import Webhook

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def url_of(server: str, webhook: Webhook | str, suffix: str = "") -> str:
    webhook_id = webhook if isinstance(webhook, str) else webhook.id
    return f"{server}/mechanic/webhooks/{webhook_id}{suffix}"


def only_event(workbench: Workbench):
    events = workbench.list_events()
    assert len(events) == 1, events
    return events[0]


def test_1_2_json_post_answers_204_and_stores_one_event(server, http, workbench, webhook) -> None:
    response = http.post(url_of(server, webhook), json={"a": 1})
    assert response.status_code == 204
    assert response.content == b""
    request_id = response.headers["x-request-id"]
    assert uuid.UUID(request_id).version == 7  # time-ordered, see docs/decisions.md
    event = only_event(workbench)
    assert event.topic == "user/webhook/test"
    assert event.data == {"a": 1}
    assert event.webhook_request_id == request_id
    assert event.webhook_id == webhook.id
    assert event.source == "webhook"


@pytest.mark.parametrize(("body", "content_type", "query", "expect"), [
    (b"foo=bar", "application/x-www-form-urlencoded", "", {"foo": "bar"}),
    (b"hash[key]=v&array[]=x&array[]=y", "application/x-www-form-urlencoded", "",
     {"hash": {"key": "v"}, "array": ["x", "y"]}),
    (b'{"a":1}', "application/json", "?b=2", {"a": 1, "b": "2"}),
    (b"", None, "?key=value", {"key": "value"}),
    (b"hello", "text/plain", "", "hello"),
    (b"hello", "text/plain", "?a=1", {"a": "1"}),
    (b"{oops", "application/json", "", "{oops"),
    (b"", None, "", None),
    (b"  \n ", "text/plain", "", None),
    (b"n=5", "application/x-www-form-urlencoded", "", {"n": "5"}),
], ids=["3", "4", "6", "7", "8", "9", "10", "11", "12", "13"])
def test_auto_mode_statements(server, http, workbench, webhook, body, content_type, query, expect) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = http.post(url_of(server, webhook) + query, content=body, headers=headers)
    assert response.status_code == 204
    assert only_event(workbench).data == expect


def test_5_contact_form_fields_nest(server, http, workbench, webhook) -> None:
    http.post(url_of(server, webhook), data={"contact[name]": "Ann", "contact[email]": "a@x.io"})
    assert only_event(workbench).data["contact"]["email"] == "a@x.io"


def test_14_multipart_with_file_in_auto_mode(server, http, workbench, webhook) -> None:
    image = PNG * 19  # any bytes; a real browser would send the file as is
    response = http.post(url_of(server, webhook), data={"key": "value"},
                         files={"file_upload": ("tiny.png", image, "image/png")})
    assert response.status_code == 204
    data = only_event(workbench).data
    assert data["key"] == "value"
    assert data["file_upload"] == {"content_base64": base64.b64encode(image).decode(), "mime_type": "image/png",
                                   "name": "tiny.png", "size": len(image)}


def test_15_to_26_full_request_mode(server, http, workbench, full_webhook) -> None:
    response = http.post(
        url_of(server, full_webhook) + "?key=value&hash[key]=hv&array[]=av",
        files={"file_upload": ("tiny.png", PNG, "image/png")},
        headers=[("X-Foo", "Bar"), ("X-Foo", "Baz")],
    )
    assert response.status_code == 204
    event = only_event(workbench)
    data = event.data
    assert set(data) == {"body_base64", "body", "client_ip", "headers", "mime_type", "query_string", "query",
                         "request_id", "webhook_id"}
    raw = workbench.request_of(event)
    assert base64.b64decode(data["body_base64"]) == raw.body
    assert data["body"]["file_upload"]["name"] == "tiny.png"
    assert all(key == key.lower() and isinstance(value, list) and all(isinstance(v, str) for v in value)
               for key, value in data["headers"].items())
    assert data["headers"]["x-foo"] == ["Bar,Baz"]
    assert data["mime_type"] == "multipart/form-data"
    assert data["query_string"] == "key=value&hash[key]=hv&array[]=av"
    assert data["query"] == {"key": "value", "hash": {"key": "hv"}, "array": ["av"]}
    assert data["request_id"] == response.headers["x-request-id"]
    assert data["webhook_id"] == full_webhook.id
    assert data["client_ip"] == "127.0.0.1"


def test_21_22_24_full_mode_without_content_type_or_query(server, http, workbench, full_webhook) -> None:
    http.post(url_of(server, full_webhook), content=b"{oops")
    data = only_event(workbench).data
    assert data["mime_type"] is None
    assert data["query_string"] is None and data["query"] is None
    assert data["body"] is None
    assert base64.b64decode(data["body_base64"]) == b"{oops"


def test_27_unknown_webhook_answers_204_without_event(server, http, workbench) -> None:
    response = http.post(url_of(server, str(uuid.uuid4())), json={"a": 1})
    assert response.status_code == 204
    assert "x-request-id" in response.headers
    assert workbench.list_events() == []


def test_disabled_webhook_behaves_like_an_unknown_one(server, http, workbench, webhook) -> None:
    workbench.webhooks.update(webhook.id, enabled=False)
    assert http.post(url_of(server, webhook), json={"a": 1}).status_code == 204
    assert workbench.list_events() == []
    workbench.webhooks.update(webhook.id, enabled=True)
    assert http.post(url_of(server, webhook), json={"a": 1}).status_code == 204
    assert len(workbench.list_events()) == 1


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE", "HEAD"])
def test_28_other_methods_are_405_with_allow(server, http, workbench, webhook, method) -> None:
    response = http.request(method, url_of(server, webhook))
    assert response.status_code == 405
    assert response.headers["allow"] == "POST, OPTIONS"
    assert workbench.list_events() == []


def test_29_30_cors_preflight_and_post_from_an_allowed_origin(server, http, workbench, webhook) -> None:
    workbench.settings.cors_add("https://example.com")
    preflight = http.options(url_of(server, webhook), headers={
        "Origin": "https://example.com", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "https://example.com"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert preflight.headers["access-control-allow-headers"] == "content-type"
    assert int(preflight.headers["access-control-max-age"]) > 0
    post = http.post(url_of(server, webhook), json={"a": 1}, headers={"Origin": "https://example.com"})
    assert post.status_code == 204
    assert post.headers["access-control-allow-origin"] == "https://example.com"
    assert post.headers["access-control-expose-headers"] == "x-request-id"
    assert len(workbench.list_events()) == 1


def test_shop_domains_are_allowed_out_of_the_box(server, http, workbench, webhook) -> None:
    workbench.settings.set("shop_domain", "example.myshopify.com")
    workbench.settings.set("primary_domain", "shop.example.com")
    for origin in ("https://example.myshopify.com", "https://shop.example.com"):
        assert http.post(url_of(server, webhook), data={"a": "1"}, headers={"Origin": origin}).status_code == 204
    refused = http.post(url_of(server, webhook), data={"a": "1"}, headers={"Origin": "http://shop.example.com"})
    assert refused.status_code == 403
    assert len(workbench.list_events()) == 2


def test_the_workbench_own_origin_is_allowed(server, http, workbench, webhook) -> None:
    response = http.post(url_of(server, webhook), json={}, headers={"Origin": server})
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == server


def test_other_origins_create_no_event(server, http, workbench, webhook) -> None:
    preflight = http.options(url_of(server, webhook), headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 403
    assert "access-control-allow-origin" not in preflight.headers
    post = http.post(url_of(server, webhook), json={"a": 1}, headers={"Origin": "https://evil.example"})
    assert post.status_code == 403
    assert "settings cors add" in post.text
    assert workbench.list_events() == []


def test_star_allows_every_origin(server, http, workbench, webhook) -> None:
    workbench.settings.cors_add("*")
    post = http.post(url_of(server, webhook), json={"a": 1}, headers={"Origin": "https://anywhere.example"})
    assert post.status_code == 204
    assert post.headers["access-control-allow-origin"] == "https://anywhere.example"
    workbench.settings.cors_remove("*")
    assert http.post(url_of(server, webhook), json={}, headers={"Origin": "https://anywhere.example"}
                     ).status_code == 403


def test_31_32_mailchimp(server, http, workbench, webhook) -> None:
    post = http.post(url_of(server, webhook, "/mailchimp"), data={"type": "subscribe"})
    assert post.status_code == 200
    assert "x-request-id" in post.headers
    assert only_event(workbench).data == {"type": "subscribe"}
    assert http.get(url_of(server, webhook, "/mailchimp")).status_code == 200
    assert len(workbench.list_events()) == 1


def test_33_ship24_head_verification(server, http, workbench, webhook) -> None:
    assert http.head(url_of(server, webhook, "/ship24")).status_code == 200
    assert workbench.list_events() == []
    assert http.post(url_of(server, webhook, "/ship24"), json={"t": 1}).status_code == 204
    assert only_event(workbench).data == {"t": 1}


def test_34_asana_handshake_echoes_the_secret(server, http, workbench, webhook) -> None:
    handshake = http.post(url_of(server, webhook, "/asana"), headers={"X-Hook-Secret": "s1"})
    assert handshake.status_code == 200
    assert handshake.headers["x-hook-secret"] == "s1"
    assert workbench.list_events() == []
    assert http.post(url_of(server, webhook, "/asana"), json={"events": []}).status_code == 204
    assert only_event(workbench).data == {"events": []}


def test_unknown_client_suffix_is_404(server, http, webhook) -> None:
    assert http.post(url_of(server, webhook, "/zapier"), json={}).status_code == 404


def test_35_mode_switch_applies_to_the_next_request_only(server, http, workbench, webhook) -> None:
    http.post(url_of(server, webhook), json={"a": 1})
    workbench.webhooks.update(webhook.id, mode="full")
    http.post(url_of(server, webhook), json={"a": 2})
    newest, oldest = workbench.list_events()
    assert oldest.data == {"a": 1}
    assert newest.data["body"] == {"a": 2}
    # Lossless capture: the old event can be seen under the other mode without resending.
    assert workbench.reinterpret(oldest, "full")["body"] == {"a": 1}
    assert workbench.reinterpret(newest, "auto") == {"a": 2}


def test_37_two_posts_two_request_ids(server, http, webhook) -> None:
    first = http.post(url_of(server, webhook), json={})
    second = http.post(url_of(server, webhook), json={})
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


def test_38_legacy_path(server, http, workbench, webhook) -> None:
    assert http.post(f"{server}/mechanic/webhook/{webhook.id}", json={"a": 1}).status_code == 204
    assert only_event(workbench).data == {"a": 1}


def test_raw_request_is_captured_losslessly(server, http, workbench, webhook) -> None:
    body = '{"name": "J\u00fcrgen \u2603"}'.encode()
    http.post(url_of(server, webhook) + "?x=1&x=2", content=body,
              headers=[("Content-Type", "application/json; charset=utf-8"), ("X-Rep", "one"), ("X-Rep", "two")])
    event = only_event(workbench)
    raw = workbench.request_of(event)
    assert raw.method == "POST"
    assert raw.path == f"/mechanic/webhooks/{webhook.id}"
    assert raw.query_string == "x=1&x=2"
    assert raw.body == body
    assert [value for name, value in raw.headers if name.lower() == "x-rep"] == ["one", "two"]
    assert raw.client_ip == "127.0.0.1"
    assert raw.received_at == event.created_at
    assert event.data == {"name": "J\u00fcrgen \u2603", "x": "2"}


def test_unicode_form_and_json(server, http, workbench, webhook) -> None:
    http.post(url_of(server, webhook), data={"q": "\u65e5\u672c\u8a9e \U0001f600"})
    assert only_event(workbench).data == {"q": "\u65e5\u672c\u8a9e \U0001f600"}


def test_response_never_contains_results(server, http, webhook) -> None:
    response = http.post(url_of(server, webhook), json={"a": 1})
    assert response.content == b""


def test_status_page_names_no_webhook(server, http, webhook, backend) -> None:
    response = http.get(f"{server}/mechanic/")
    status = response.json()
    assert status["base_url"] == server and status["webhooks"] == 1 and status["store"] == backend
    assert webhook.id not in response.text  # a webhook's id is the secret of its URL


def test_non_webhook_paths_are_404(server, http) -> None:
    assert http.post(f"{server}/mechanic/nothing-here", json={}).status_code == 404


def test_connection_reuse_keeps_working(server, workbench, webhook) -> None:
    with httpx.Client(trust_env=False) as client:
        for index in range(20):
            assert client.post(url_of(server, webhook), json={"i": index}).status_code == 204
    assert sorted(event.data["i"] for event in workbench.list_events()) == list(range(20))
