"""The webhooks panel: list webhooks with their URLs, add one, enable or disable it, delete it."""

from __future__ import annotations

import json
from collections.abc import Callable

import ipywidgets as w

from mechanic_kernel import InvalidInput
from mechanic_kernel import MechanicError
from mechanic_kernel import Webhook
from mechanic_kernel import Workbench
from mechanic_kernel import validate_user_topic

from ._panel import Panel
from ._panel import align_labels
from ._panel import error_text
from ._panel import escape
from ._panel import message


def copy_button(text: str, label: str = "Copy") -> w.HTML:
    """A small HTML button that copies ``text`` to the clipboard in the browser (no kernel round trip)."""
    payload = escape(json.dumps(text))
    return w.HTML(
        f'<button class="mk-copy" title="Copy to the clipboard" '
        f"onclick=\"navigator.clipboard.writeText({payload});this.textContent='Copied'\">{escape(label)}</button>"
    )


class WebhooksPanel(Panel):
    """List, add, enable/disable and delete the workbench's webhooks.

    Every button calls a method of the same name, so notebooks and tests can drive the panel without a
    browser: :meth:`add`, :meth:`set_enabled`, :meth:`delete`, :meth:`refresh`.

    Args:
        wb: the workbench (a new one on the default home when None).
    """

    def __init__(self, wb: Workbench | None = None) -> None:
        super().__init__(wb)
        self._listeners: list[Callable[[], None]] = []
        self.rows = w.VBox()
        self.rows.add_class("mk-webhook-list")
        self.name = w.Text(
            description="Name", placeholder="e.g. Contact form", layout=w.Layout(width="480px")
        )
        self.name.add_class("mk-webhook-name")
        self.topic = w.Text(
            description="Topic",
            placeholder="user/<subject>/<verb>, e.g. user/webhook/test",
            layout=w.Layout(width="480px"),
        )
        self.topic.add_class("mk-webhook-topic")
        self.mode = w.Dropdown(
            description="Data mode", options=[("Auto", "auto"), ("Full request", "full")], value="auto"
        )
        self.mode.add_class("mk-webhook-mode")
        self.add_button = w.Button(
            description="Add webhook",
            button_style="primary",
            icon="plus",
            tooltip="Create a webhook with this name, topic and data mode",
        )
        self.add_button.add_class("mk-webhook-add")
        self.topic_message = w.HTML()
        self.topic_message.add_class("mk-webhook-topic-message")
        self.status = w.HTML()
        self.status.add_class("mk-webhooks-status")
        self.topic.observe(self._on_topic, names="value")
        self.add_button.on_click(lambda _: self.add())
        form = w.VBox(
            [
                w.HTML("<b>Add a webhook</b>"),
                self.name,
                self.topic,
                self.topic_message,
                self.mode,
                self.add_button,
            ]
        )
        self.widget = w.VBox([w.HTML("<h3 style='margin:4px 0'>Webhooks</h3>"), self.rows, form, self.status])
        self.widget.add_class("mk-webhooks")
        align_labels(self.widget)
        self.refresh()

    # -- notifications ---------------------------------------------------------------------------------------
    def on_change(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` after a webhook is added, changed or deleted here (the tester listens)."""
        self._listeners.append(callback)

    def _changed(self) -> None:
        self.refresh()
        for callback in self._listeners:
            callback()

    # -- actions ---------------------------------------------------------------------------------------------
    @staticmethod
    def topic_error(topic: str) -> str:
        """Why ``topic`` cannot be a webhook topic, or ``""`` when it can."""
        try:
            validate_user_topic(topic)
        except InvalidInput as exc:
            return exc.message
        return ""

    def _on_topic(self, change: dict) -> None:
        text = change["new"]
        self.topic_message.value = message(self.topic_error(text), "error") if text else ""

    def add(
        self, name: str | None = None, topic: str | None = None, mode: str | None = None
    ) -> Webhook | None:
        """Create a webhook from the arguments, or from the form fields when they are None.

        Returns:
            The new webhook, or None when it was refused (the reason is shown under the form).
        """
        name = self.name.value if name is None else name
        topic = self.topic.value if topic is None else topic
        mode = self.mode.value if mode is None else mode
        problem = self.topic_error(topic)
        if problem:
            self.topic_message.value = message(problem, "error")
            self.status.value = message("Not created: fix the topic first.", "error")
            return None
        try:
            webhook = self.wb.webhooks.create(name, topic, mode)
        except MechanicError as exc:
            self.status.value = message(f"Not created: {error_text(exc)}", "error")
            return None
        self.name.value = ""
        self.topic.value = ""
        self._changed()
        self.status.value = message(f"Created {webhook.name} ({webhook.topic}).", "ok")
        return webhook

    def set_enabled(self, webhook_id: str, enabled: bool) -> Webhook | None:
        """Enable or disable a webhook; a disabled webhook answers like an unknown one."""
        try:
            webhook = self.wb.webhooks.update(webhook_id, enabled=enabled)
        except MechanicError as exc:
            self.status.value = message(error_text(exc), "error")
            return None
        self._changed()
        self.status.value = message(f"{webhook.name} {'enabled' if enabled else 'disabled'}.", "ok")
        return webhook

    def delete(self, webhook_id: str) -> bool:
        """Delete a webhook (its events are kept). Returns whether it was deleted."""
        try:
            self.wb.webhooks.delete(webhook_id)
        except MechanicError as exc:
            self.status.value = message(error_text(exc), "error")
            return False
        self._changed()
        self.status.value = message("Webhook deleted.", "ok")
        return True

    # -- view ------------------------------------------------------------------------------------------------
    def _row(self, webhook: Webhook) -> w.Widget:
        url = self.wb.webhooks.url(webhook)
        label = w.HTML(
            f"<b>{escape(webhook.name)}</b> &middot; <code>{escape(webhook.topic)}</code> &middot; "
            f"{escape(webhook.mode.value)} mode"
        )
        enabled = w.Checkbox(
            value=webhook.enabled, description="Enabled", indent=False, layout=w.Layout(width="90px")
        )
        enabled.add_class("mk-webhook-enabled")
        enabled.observe(lambda change: self.set_enabled(webhook.id, change["new"]), names="value")
        url_text = w.Text(value=url, disabled=True, layout=w.Layout(width="460px"))
        url_text.add_class("mk-webhook-url")
        delete = w.Button(
            description="Delete",
            icon="trash",
            button_style="danger",
            tooltip=f"Delete the webhook {webhook.name}",
            layout=w.Layout(width="90px"),
        )
        delete.add_class("mk-webhook-delete")
        delete.on_click(lambda _: self.delete(webhook.id))
        row = w.VBox([label, w.HBox([url_text, copy_button(url), enabled, delete])])
        row.add_class("mk-webhook-row")
        return row

    def refresh(self) -> None:
        """Re-read the webhooks and rebuild the list."""
        webhooks = self.wb.webhooks.list()
        if not webhooks:
            self.rows.children = [w.HTML("<i>No webhooks yet: add one below.</i>")]
            return
        self.rows.children = [self._row(webhook) for webhook in webhooks]
