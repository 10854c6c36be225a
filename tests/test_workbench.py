"""The Workbench's Python API: webhooks, settings, events as a DataFrame."""

from __future__ import annotations

import pandas as pd
import pytest

from mechanic_kernel import InvalidInput
from mechanic_kernel import NotFound
from mechanic_kernel import Workbench


def test_webhook_lifecycle(workbench: Workbench) -> None:
    webhook = workbench.webhooks.create("Example", "user/webhook/test")
    assert workbench.webhooks.get(webhook.id) == webhook
    assert workbench.webhooks.url(webhook).endswith(f"/mechanic/webhooks/{webhook.id}")
    renamed = workbench.webhooks.update(webhook.id, name="Renamed", mode="full")
    assert renamed.name == "Renamed" and renamed.mode.value == "full"
    assert workbench.webhooks.get(webhook.id) == renamed
    workbench.webhooks.delete(webhook.id)
    with pytest.raises(NotFound):
        workbench.webhooks.get(webhook.id)
    with pytest.raises(NotFound):
        workbench.webhooks.delete(webhook.id)


@pytest.mark.parametrize("topic", ["user/webhook", "shop/webhook/test", "user/web hook/test", "user/a/b/c",
                                   "USER/a/b", "user//b", None, 42])
def test_invalid_topics_are_refused_with_the_expected_form(workbench: Workbench, topic) -> None:
    with pytest.raises(InvalidInput, match=r"user/<subject>/<verb>"):
        workbench.webhooks.create("X", topic)


def test_events_frame_flattens_data(workbench: Workbench, webhook, server, http) -> None:
    url = workbench.webhooks.url(webhook)
    http.post(url, json={"customer": {"email": "a@x.io", "tags": ["vip"]}, "total": 12.5})
    http.post(url, content=b"plain text", headers={"content-type": "text/plain"})
    frame = workbench.events(flatten=True)  # data stays JSON text unless flattened or parsed (docs/frames.md)
    assert list(frame["topic"]) == ["user/webhook/test"] * 2
    assert isinstance(frame["created_at"].dtype, pd.DatetimeTZDtype)
    assert frame.loc[1, "data.customer.email"] == "a@x.io"
    assert frame.loc[1, "data.total"] == 12.5
    assert frame.loc[0, "data"] == "plain text"
    parsed = workbench.events(parse=True)
    assert parsed.loc[1, "data"] == {"customer": {"email": "a@x.io", "tags": ["vip"]}, "total": 12.5}
    assert workbench.events().loc[0, "data"] == '"plain text"'


def test_empty_events_frame_has_the_columns(workbench: Workbench) -> None:
    frame = workbench.events()
    assert {"id", "topic", "created_at", "webhook_request_id"} <= set(frame.columns)
    assert len(frame) == 0


def test_serve_twice_returns_the_same_url_and_stop_ends_it(workbench: Workbench, http) -> None:
    url = workbench.serve()
    assert workbench.serve() == url
    assert workbench.base_url() == url
    workbench.stop()
    with pytest.raises(Exception):  # noqa: B017 - any connection error
        http.get(url + "/mechanic/", timeout=2)
