"""The settings panel: shop domain, CORS origins, public URL and retention."""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from mechanic_kernel import MechanicError
from mechanic_kernel import Workbench

from ._panel import Panel
from ._panel import error_text
from ._panel import escape
from ._panel import message

# The settings this panel edits as text fields, with their placeholders; the rest stay with wb.settings.
FIELDS = {
    "shop_domain": ("Shop domain", "example.myshopify.com (its https origin may POST)"),
    "public_url": ("Public URL", "https://… of a tunnel or proxy; empty = the server's own URL"),
    "retention_days": ("Retention days", "days kept after completion; 0 = keep forever"),
}


class SettingsPanel(Panel):
    """Edit the shop domain, public URL, retention and the CORS origins.

    Buttons call :meth:`save`, :meth:`cors_add` and :meth:`cors_remove`; :meth:`refresh` re-reads them.
    An empty field resets its setting to the default.

    Args:
        wb: the workbench (a new one on the default home when None).
    """

    def __init__(self, wb: Workbench | None = None) -> None:
        super().__init__(wb)
        self.inputs: dict[str, w.Text] = {}
        for key, (label, placeholder) in FIELDS.items():
            control = w.Text(
                description=label,
                placeholder=placeholder,
                style={"description_width": "120px"},
                layout=w.Layout(width="560px"),
            )
            control.add_class(f"mk-setting-{key.replace('_', '-')}")
            self.inputs[key] = control
        self.save_button = w.Button(
            description="Save settings",
            button_style="primary",
            icon="save",
            tooltip="Validate and store the settings above",
        )
        self.save_button.add_class("mk-settings-save")
        self.save_button.on_click(lambda _: self.save())
        self.origins = w.VBox()
        self.origins.add_class("mk-cors-list")
        self.origin = w.Text(
            description="Origin",
            placeholder="https://shop.example.com, or * for any origin",
            style={"description_width": "120px"},
            layout=w.Layout(width="560px"),
        )
        self.origin.add_class("mk-cors-origin")
        self.add_button = w.Button(
            description="Allow origin",
            icon="plus",
            tooltip="Let browser pages from this origin POST to the webhooks",
        )
        self.add_button.add_class("mk-cors-add")
        self.add_button.on_click(lambda _: self.cors_add())
        self.status = w.HTML()
        self.status.add_class("mk-settings-status")
        self.widget = w.VBox(
            [
                w.HTML("<h3 style='margin:4px 0'>Settings</h3>"),
                *self.inputs.values(),
                self.save_button,
                w.HTML("<b>CORS origins</b> <small>(the shop's own origins are always allowed)</small>"),
                self.origins,
                w.HBox([self.origin, self.add_button]),
                self.status,
            ]
        )
        self.widget.add_class("mk-settings")
        self.refresh()

    def refresh(self) -> None:
        """Show the stored settings and CORS origins."""
        for key, control in self.inputs.items():
            value = self.wb.settings.get(key)
            control.value = "" if value is None else str(value)
        rows = []
        for origin in self.wb.settings.cors_list():
            remove = w.Button(
                description="Remove",
                icon="trash",
                tooltip=f"Stop allowing {origin}",
                layout=w.Layout(width="100px"),
            )
            remove.add_class("mk-cors-remove")
            remove.on_click(lambda _, origin=origin: self.cors_remove(origin))
            row = w.HBox([w.HTML(f"<code>{escape(origin)}</code>", layout=w.Layout(width="456px")), remove])
            rows.append(row)
        self.origins.children = rows or [w.HTML("<i>No extra origins.</i>")]

    def save(self, **values: Any) -> dict[str, Any] | None:
        """Store the fields (or the given ``key=value`` settings); nothing is stored if one is invalid.

        Returns:
            Every setting with its value, or None when a value was refused (the reason is shown).
        """
        values = values or {key: control.value.strip() for key, control in self.inputs.items()}
        for key, value in values.items():
            if key in FIELDS:
                self.inputs[key].value = str(value)
        current = self.wb.settings.show()
        changed = {key: value for key, value in values.items() if str(value) != str(current.get(key) or "")}
        stored: dict[str, Any] = {}
        try:
            for key, value in changed.items():
                stored[key] = current.get(key)
                self.wb.settings.set(key, value)
        except MechanicError as exc:
            for key, value in stored.items():  # put back what this save already changed
                self.wb.settings.set(key, value)
            self.status.value = message(f"Not saved: {error_text(exc)}", "error")
            return None
        self.refresh()
        self.status.value = message("Settings saved." if changed else "Nothing changed.", "ok")
        return self.wb.settings.show()

    def cors_add(self, origin: str | None = None) -> list[str] | None:
        """Allow an origin (the Origin field when None); ``*`` allows every origin."""
        origin = self.origin.value if origin is None else origin
        try:
            origins = self.wb.settings.cors_add(origin)
        except MechanicError as exc:
            self.status.value = message(error_text(exc), "error")
            return None
        self.origin.value = ""
        self.refresh()
        self.status.value = message(f"Allowed {origin.strip()}.", "ok")
        return origins

    def cors_remove(self, origin: str) -> list[str] | None:
        """Stop allowing an origin."""
        try:
            origins = self.wb.settings.cors_remove(origin)
        except MechanicError as exc:
            self.status.value = message(error_text(exc), "error")
            return None
        self.refresh()
        self.status.value = message(f"Removed {origin}.", "ok")
        return origins
