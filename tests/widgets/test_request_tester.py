"""The request tester: JSON, form and multipart requests to a real embedded server; answer, event and curl."""

from __future__ import annotations

import shlex

import pytest

from mechanic_kernel import Webhook
from mechanic_kernel import Workbench
from widgets import RequestTester


@pytest.fixture
def tester(served: Workbench, webhook: Webhook) -> RequestTester:
    """A tester over the served workbench with the Example webhook."""
    return RequestTester(served)


def test_the_url_dropdown_offers_the_webhook_urls(
    served: Workbench, tester: RequestTester, webhook: Webhook
) -> None:
    assert tester.url.value == served.webhooks.url(webhook)
    other = served.webhooks.create("Other", "user/other/thing")
    tester.refresh_urls()
    assert [value for _, value in tester.url.options] == [
        served.webhooks.url(webhook),
        served.webhooks.url(other),
    ]
    assert tester.url.value == served.webhooks.url(webhook)
    served.webhooks.update(webhook.id, enabled=False)
    tester.refresh_urls()
    assert tester.url.value == served.webhooks.url(other)


def test_send_json_shows_204_the_request_id_the_event_and_curl(
    served: Workbench, tester: RequestTester
) -> None:
    tester.use_preset("json")
    tester.body.value = '{"hello": "world", "n": 1}'
    tester.send_button.click()

    response = tester.last
    assert response is not None and response.status == 204
    assert response.request_id and response.request_id in tester.status.value
    assert "204" in tester.status.value and " ms" in tester.status.value
    assert "x-request-id" in tester.details.value
    event = served.event(response.request_id)
    assert response.event_id == event.id and event.data == {"hello": "world", "n": 1}
    assert tester.show_event.disabled is False
    assert shlex.split(tester.curl.value) == [
        "curl",
        "-i",
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        "--data-binary",
        '{"hello": "world", "n": 1}',
        tester.url.value,
    ]
    opened = []
    tester.on_event(opened.append)
    tester.show_event.click()
    assert opened == [event.id]


def test_send_form(served: Workbench, tester: RequestTester) -> None:
    tester.preset.value = "form"
    assert tester.content_type.value == "application/x-www-form-urlencoded"
    tester.body.value = "name=Ada&tags[]=a&tags[]=b"
    response = tester.send()
    assert response is not None and response.status == 204
    assert served.event(response.request_id).data == {"name": "Ada", "tags": ["a", "b"]}
    assert "--data-binary 'name=Ada&tags[]=a&tags[]=b'" in response.curl


def test_send_multipart_with_a_file_and_an_origin(served: Workbench, tester: RequestTester) -> None:
    served.settings.cors_add("https://shop.example.com")
    tester.use_preset("multipart")
    tester.body.value = "name=Ada"
    tester.attach("notes.txt", b"hello file", "text/plain")
    tester.origin.value = "https://shop.example.com"
    response = tester.send()
    assert response is not None and response.status == 204
    data = served.event(response.request_id).data
    assert data["name"] == "Ada"
    assert "notes.txt" in str(data)
    assert (
        dict((k.lower(), v) for k, v in response.headers).get("access-control-allow-origin")
        == "https://shop.example.com"
    )
    parts = shlex.split(response.curl)
    assert ["-F", "name=Ada"] == parts[parts.index("-F") : parts.index("-F") + 2]
    assert "file=@notes.txt;type=text/plain" in parts and "Origin: https://shop.example.com" in parts


def test_an_origin_not_allowed_is_shown_as_an_error(served: Workbench, tester: RequestTester) -> None:
    tester.origin.value = "https://evil.example.com"
    response = tester.send()
    assert response is not None and response.status == 403
    assert "mk-error" in tester.status.value
    assert response.event_id is None and tester.show_event.disabled is True
    assert served.list_events() == []


def test_no_webhook_means_no_url_and_a_message(workbench: Workbench) -> None:
    tester = RequestTester(workbench)
    assert tester.send() is None
    assert "add a webhook first" in tester.status.value


def test_query_string_client_endpoint_and_other_methods(served: Workbench, tester: RequestTester) -> None:
    tester.query.value = "?name=Ada&n=1"
    tester.body.value = ""
    response = tester.send()
    assert response is not None and response.status == 204
    assert served.event(response.request_id).data == {"name": "Ada", "n": "1"}
    assert shlex.split(response.curl)[-1] == tester.url.value + "?name=Ada&n=1"

    tester.method.value = "GET"
    response = tester.send()
    assert response is not None and response.status == 405 and "mk-error" in tester.status.value
    tester.method.value = "POST"
    tester.client.value = "mailchimp"
    response = tester.send()
    assert response is not None and response.status == 200
    assert shlex.split(response.curl)[-1] == tester.url.value + "/mailchimp?name=Ada&n=1"


def test_multipart_keeps_repeated_fields(served: Workbench, tester: RequestTester) -> None:
    tester.use_preset("multipart")
    assert tester.attachment is not None and tester.attachment.filename == "hello.txt"
    tester.body.value = "tags[]=a\ntags[]=b"
    response = tester.send()
    assert response is not None and response.status == 204
    assert served.event(response.request_id).data["tags"] == ["a", "b"]
