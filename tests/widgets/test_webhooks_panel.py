"""The webhooks panel: add through the form, inline topic errors, enable/disable, delete."""

from __future__ import annotations

from mechanic_kernel import Workbench
from widgets import WebhooksPanel


def test_add_through_the_form_lists_the_webhook_with_its_url(served: Workbench) -> None:
    panel = WebhooksPanel(served)
    panel.name.value = "Contact form"
    panel.topic.value = "user/contact/submit"
    panel.mode.value = "full"
    panel.add_button.click()

    [webhook] = served.webhooks.list()
    assert (webhook.name, webhook.topic, webhook.mode.value, webhook.enabled) == (
        "Contact form",
        "user/contact/submit",
        "full",
        True,
    )
    urls = [
        child
        for row in panel.rows.children
        for box in row.children[1:]
        for child in box.children
        if "mk-webhook-url" in child._dom_classes
    ]
    assert [url.value for url in urls] == [served.webhooks.url(webhook)]
    assert "navigator.clipboard.writeText" in panel.rows.children[0].children[1].children[1].value
    assert "Created" in panel.status.value
    assert panel.name.value == panel.topic.value == ""


def test_an_invalid_topic_shows_an_error_inline_and_creates_nothing(workbench: Workbench) -> None:
    panel = WebhooksPanel(workbench)
    panel.name.value = "Bad"
    panel.topic.value = "webhook/test"
    assert "must start with user/" in panel.topic_message.value

    assert panel.add() is None
    assert workbench.webhooks.list() == []
    assert "fix the topic" in panel.status.value
    panel.topic.value = "user/webhook/test"
    assert panel.topic_message.value == ""


def test_an_empty_name_is_refused_with_the_engine_message(workbench: Workbench) -> None:
    panel = WebhooksPanel(workbench)
    assert panel.add(name=" ", topic="user/webhook/test") is None
    assert "non-empty name" in panel.status.value
    assert workbench.webhooks.list() == []


def test_disable_enable_and_delete(workbench: Workbench) -> None:
    panel = WebhooksPanel(workbench)
    changes = []
    panel.on_change(lambda: changes.append(1))
    webhook = panel.add("Example", "user/webhook/test", "auto")
    assert webhook is not None

    checkbox = next(
        child
        for child in panel.rows.children[0].children[1].children
        if "mk-webhook-enabled" in child._dom_classes
    )
    checkbox.value = False
    assert workbench.webhooks.get(webhook.id).enabled is False
    panel.set_enabled(webhook.id, True)
    assert workbench.webhooks.get(webhook.id).enabled is True

    assert panel.delete(webhook.id) is True
    assert workbench.webhooks.list() == []
    assert "No webhooks yet" in panel.rows.children[0].value
    assert len(changes) == 4
    assert panel.delete(webhook.id) is False
    assert "no webhook" in panel.status.value


def test_the_panel_shows_its_class_name_as_text(workbench: Workbench) -> None:
    panel = WebhooksPanel(workbench)
    bundle = panel._repr_mimebundle_()
    assert bundle["text/plain"] == "WebhooksPanel()"
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "mk-webhooks" in panel.widget._dom_classes
