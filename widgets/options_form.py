"""The options form of a task: one typed input per option key, from the engine's options schema (§1.6)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import ipywidgets as w

from mechanic_kernel import OptionField
from mechanic_kernel import Task
from mechanic_kernel import Workbench

_NO_OPTIONS = "<i>No options: reference <code>options.&lt;key&gt;</code> in the code to add one.</i>"
_PLACEHOLDERS = {
    "number": "a number",
    "datetime": "YYYY-MM-DDTHH:MM",
    "time": "HH:MM",
    "picker": "gid://shopify/Product/…",
    "global": "the global's value",
    "secret": "the secret's reference",
    "array": "one value per line",
    "keyval": "key: value, one pair per line",
}


def _number(text: str) -> Any:
    try:
        number = float(text)
    except ValueError:
        return text  # kept as typed; the engine reports "must be a number"
    return int(number) if number.is_integer() else number


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _pairs_or_none(text: str) -> dict[str, str] | None:
    pairs = {}
    for line in _lines(text):
        key, _, value = line.partition(":")
        pairs[key.strip()] = value.strip()
    return pairs or None


# Input value -> option value; an empty input means an unset option (None), as in Mechanic's exports.
def _same(value: Any) -> Any:
    return value


def _text_or_none(value: Any) -> Any:
    return None if value in ("", None) else value


def _list_or_none(value: Any) -> list | None:
    return list(value) or None


def _lines_or_none(text: str) -> list[str] | None:
    return _lines(text) or None


def _numbers_or_none(text: str) -> list | None:
    return [_number(item) for item in _lines(text)] or None


def _number_or_none(text: str) -> Any:
    return _number(text.strip()) if text.strip() else None


def _iso_or_none(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


class OptionsForm:
    """Inputs for a task's options; ``values`` holds what they say, typed as task code expects.

    Args:
        wb: the workbench whose ``tasks.options_form`` turns option keys into fields.
        on_change: called with no arguments after any input changes a value.
    """

    def __init__(self, wb: Workbench, on_change: Callable[[], None] | None = None) -> None:
        self.wb = wb
        self.values: dict[str, Any] = {}
        self.fields: list[OptionField] = []
        self.inputs: dict[str, w.Widget] = {}
        self._on_change = on_change
        self.widget = w.VBox([w.HTML(_NO_OPTIONS)])
        self.widget.add_class("mk-task-options")

    def update(self, task: Task, values: dict[str, Any] | None = None) -> None:
        """Show the fields of ``task``'s option keys; rebuild only when the keys changed.

        ``values`` replaces the current values (loading a task); otherwise values of keys that are still
        referenced are kept, so typing code does not lose what was entered.
        """
        fields = self.wb.tasks.options_form(task)
        if values is not None:
            self.values = dict(values)
        elif [f.key for f in fields] == [f.key for f in self.fields]:
            return
        self.fields = fields
        self.inputs = {option.key: self._input(option) for option in fields}
        if not fields:
            self.widget.children = [w.HTML(_NO_OPTIONS)]
            return
        self.widget.children = list(self.inputs.values())

    def current(self) -> dict[str, Any]:
        """The values of the referenced keys (unreferenced keys are dropped, as Mechanic does on save)."""
        return {option.key: self.values.get(option.key) for option in self.fields}

    def set(self, key: str, value: Any) -> None:
        """Set one option through its input, as a user would (the value in the input's own terms)."""
        self.inputs[key].value = value

    def _store(self, key: str, value: Any) -> None:
        self.values[key] = value
        if self._on_change is not None:
            self._on_change()

    def _input(self, option: OptionField) -> w.Widget:
        kind, value = option.type, self.values.get(option.key)
        label = option.label + (" *" if option.required else "")
        common = {"description": label, "tooltip": option.key, "style": {"description_width": "initial"}}
        convert: Callable[[Any], Any] = _text_or_none
        if kind == "boolean":
            control = w.Checkbox(value=bool(value), indent=False, **common)
            convert = bool
        elif kind in ("multiline", "code"):
            control = w.Textarea(
                value="" if value is None else str(value), layout=w.Layout(width="95%"), **common
            )
            if kind == "code":
                control.add_class("mk-code")
        elif kind == "range":
            low, high = option.min or 0, option.max if option.max is not None else 100
            slider = (
                w.IntSlider
                if all(float(x).is_integer() for x in (low, high, option.step or 1))
                else w.FloatSlider
            )
            start = value if isinstance(value, int | float) and not isinstance(value, bool) else low
            control = slider(value=start, min=low, max=high, step=option.step or 1, **common)
            convert = _same
        elif kind in ("select", "choice"):
            choices = list(option.choices or [])
            current = str(value) if value is not None and str(value) in choices else None
            if kind == "select":
                control = w.Dropdown(
                    options=[("", None)] + [(c, c) for c in choices], value=current, **common
                )
            else:
                control = w.RadioButtons(options=choices, value=current, **common)
        elif kind == "multiselect":
            choices = list(option.choices or [])
            chosen = (
                tuple(str(v) for v in value or [] if str(v) in choices) if isinstance(value, list) else ()
            )
            control = w.SelectMultiple(options=choices, value=chosen, **common)
            convert = _list_or_none
        elif kind == "array" or option.many:
            control = w.Textarea(
                value="\n".join(map(str, value)) if isinstance(value, list) else "",
                placeholder=_PLACEHOLDERS["array"],
                **common,
            )
            convert = _numbers_or_none if option.item_type == "number" else _lines_or_none
        elif kind == "keyval":
            text = "\n".join(f"{k}: {v}" for k, v in value.items()) if isinstance(value, dict) else ""
            control = w.Textarea(value=text, placeholder=_PLACEHOLDERS["keyval"], **common)
            convert = _pairs_or_none
        elif kind == "date":
            try:
                day = dt.date.fromisoformat(value) if isinstance(value, str) else None
            except ValueError:
                day = None
            control = w.DatePicker(value=day, **common)
            convert = _iso_or_none
        elif kind == "color":
            control = w.ColorPicker(value=value if isinstance(value, str) and value else "#000000", **common)
        elif kind == "number":
            control = w.Text(
                value="" if value is None else str(value), placeholder=_PLACEHOLDERS["number"], **common
            )
            convert = _number_or_none
        else:  # text, datetime, time, picker, global, secret
            control = w.Text(
                value="" if value is None else str(value),
                placeholder=_PLACEHOLDERS.get(kind, "email address" if option.email else ""),
                **common,
            )
        control.add_class("mk-option")
        control.add_class(f"mk-option-{option.name}")
        if kind == "range" and self.values.get(option.key) is None:
            self.values[option.key] = control.value  # a slider always shows a value: store what it shows
        control.observe(
            lambda change, key=option.key, fn=convert: self._store(key, fn(change["new"])), names="value"
        )
        return control
