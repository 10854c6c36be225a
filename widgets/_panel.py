"""What every panel shares: the workbench it drives, a stable repr, and small HTML renderers."""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from collections.abc import Sequence
from typing import Any

import ipywidgets as w
from ipywidgets.widgets.widget_description import DescriptionWidget

from mechanic_kernel import MechanicError
from mechanic_kernel import Workbench

# Colours of message kinds; plain inline styles so the panels need no stylesheet.
_COLOURS = {"error": "#b00020", "warning": "#8a6d00", "ok": "#1b7f3b", "info": "#555"}


def escape(value: Any) -> str:
    """HTML-escape ``value`` (``None`` becomes an empty string)."""
    return "" if value is None else html.escape(str(value), quote=True)


def message(text: str, kind: str = "info") -> str:
    """One line of coloured, escaped text (``kind``: error, warning, ok or info); empty text gives ``""``."""
    if not text:
        return ""
    return f'<div class="mk-message mk-{kind}" style="color:{_COLOURS[kind]}">{escape(text)}</div>'


def pre(value: Any) -> str:
    """A value as indented JSON in a ``<pre>`` (strings are shown as they are)."""
    text = value if isinstance(value, str) else json.dumps(value, indent=2, default=str, ensure_ascii=False)
    return f'<pre style="margin:2px 0;white-space:pre-wrap;font-size:12px">{escape(text)}</pre>'


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], *, css_class: str = "") -> str:
    """An HTML table; cells are HTML already (escape text with :func:`escape`)."""
    head = "".join(f'<th style="text-align:left;padding:2px 8px">{escape(h)}</th>' for h in headers)
    body = "".join(
        "<tr>"
        + "".join(f'<td style="padding:2px 8px;vertical-align:top">{cell}</td>' for cell in row)
        + "</tr>"
        for row in rows
    )
    return (
        f'<table class="{css_class}" style="border-collapse:collapse"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )


def error_text(exc: Exception) -> str:
    """What to show for an exception: a MechanicError's own message, else the type and text."""
    if isinstance(exc, MechanicError):
        return str(getattr(exc, "message", None) or exc)
    return f"{type(exc).__name__}: {exc}"


class Panel:
    """A UI over one workbench: ``widget`` is what a notebook displays.

    Displaying the panel object displays its widget; its plain-text repr is only the class name, so
    notebooks checked by nbval do not depend on the widget tree (docs/widgets.md).

    Args:
        wb: the workbench; a new one on the default home when None.
    """

    widget: w.Widget

    def __init__(self, wb: Workbench | None = None) -> None:
        self.wb = wb if wb is not None else Workbench()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = self.widget._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        data["text/plain"] = repr(self)
        return bundle


def align_labels(root: w.Widget, width: str = "110px") -> None:
    """Give every labelled input under ``root`` the same label width, so long labels are not cut short."""
    stack = [root]
    while stack:
        widget = stack.pop()
        stack.extend(getattr(widget, "children", ()))
        style = getattr(widget, "style", None)
        if (
            isinstance(widget, DescriptionWidget)
            and not isinstance(widget, w.Checkbox | w.Button | w.FileUpload)
            and style is not None
            and "description_width" in style.keys
            and not style.description_width
        ):
            style.description_width = width
