"""Task options: keys discovered in the code, their flags parsed into a form schema, values validated.

A key is ``<name>[__<flags>]…`` (spec §1.6). Each ``__`` segment holds ``_``-separated flags; the structured
types (``select``, ``choice``, ``multiselect``, ``range``, ``picker``) take the rest of their segment as
arguments, and modifiers may follow in further segments or at the end of the same one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from ..errors import InvalidInput

# Word boundary on the left so ``my_options.x`` or ``event.data.options.x`` are not options.
_REFERENCE = re.compile(r"(?<![\w.])options\.([a-z0-9_]+)")

# Input types that pick the widget; ``text`` is the default. ``keyval`` and ``array`` are containers that
# may also carry an item type (``keyval_number``, ``array_number``, ``email_array``).
INPUT_TYPES = (
    "multiline",
    "boolean",
    "number",
    "code",
    "keyval",
    "array",
    "date",
    "datetime",
    "time",
    "color",
    "global",
    "secret",
)
MODIFIERS = ("required", "email", "userform", "futureonly")
STRUCTURED = ("select", "choice", "multiselect", "range", "picker")
PICKER_RESOURCES = ("product", "variant", "collection")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$")
_TIME = re.compile(r"^\d{2}:\d{2}(:\d{2})?$")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass
class OptionField:
    """One field of a task's options form.

    Attributes:
        key: the full option key (``days__number_required``).
        name: the part before the first ``__`` (``days``); a user-form value arrives as ``input.<name>``.
        label: the name for people (``Days``).
        type: ``text``, ``multiline``, ``code``, ``boolean``, ``number``, ``keyval``, ``array``, ``date``,
            ``datetime``, ``time``, ``color``, ``range``, ``select``, ``choice``, ``multiselect``, ``picker``,
            ``global`` or ``secret``.
        item_type: for ``keyval``/``array``: the type of each value (``text``, ``number``, ``multiline``,
            ``email``, ``code``).
        required: must be non-empty to save.
        email: text checked against a basic e-mail pattern (each item for arrays).
        multiline: shown as a text area (``multiline``, ``code``, ``keyval_multiline``).
        userform: also asked on the Run-task form.
        futureonly: date pickers refuse past dates.
        choices: the values offered by ``select``/``choice``/``multiselect``.
        min: lower bound of a ``range``.
        max: upper bound of a ``range``.
        step: step of a ``range`` (1 unless given) or of a ``number`` (1).
        resource: ``product``, ``variant`` or ``collection`` for a picker.
        many: a picker that returns an array of ids.
        flags: every flag token of the key, in order.
        problems: what is wrong with the key itself (unknown flag, range without bounds…).
    """

    key: str
    name: str
    label: str
    type: str = "text"
    item_type: str | None = None
    required: bool = False
    email: bool = False
    multiline: bool = False
    userform: bool = False
    futureonly: bool = False
    choices: list[str] | None = None
    min: float | None = None
    max: float | None = None
    step: float | None = None
    resource: str | None = None
    many: bool = False
    flags: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (for the options widget)."""
        return asdict(self)


def discover(*sources: str | None) -> list[str]:
    """Option keys referenced as ``options.<key>`` in ``sources``, in order of first reference.

    Pass the script first, then the subscriptions template and the JavaScript: that order reproduces the
    option order of 207 of the 229 library tasks with two or more options (docs/decisions.md, "Tasks").
    """
    keys: dict[str, None] = {}
    for source in sources:
        for match in _REFERENCE.finditer(source or ""):
            keys.setdefault(match.group(1), None)
    return list(keys)


def _number(text: str) -> float | int:
    value = float(text)
    return int(value) if value.is_integer() else value


def _structured(kind: str, rest: list[str], option: OptionField) -> list[str]:
    """Read the arguments of a structured type; return trailing tokens that are modifiers."""
    trailing: list[str] = []
    if kind == "range":
        for token in rest:
            match = re.fullmatch(r"(min|max|step)(\d+(?:p\d+)?)", token)
            if match:
                setattr(option, match.group(1), _number(match.group(2).replace("p", ".")))
            else:
                trailing.append(token)
        if option.min is None or option.max is None:
            option.problems.append("a range needs both min and max (range_min0_max10)")
        if option.step is None:
            option.step = 1
        return trailing
    if kind == "picker":
        if not rest or rest[0] not in PICKER_RESOURCES:
            option.problems.append("a picker needs product, variant or collection (picker_product)")
            return [token for token in rest if token in MODIFIERS]
        option.resource = rest[0]
        rest = rest[1:]
        if rest[:1] == ["array"]:
            option.many = True
            rest = rest[1:]
        return rest
    # select / choice / multiselect: o1_<value>_o2_<value>…; values keep their underscores.
    while rest and rest[-1] in MODIFIERS:
        trailing.insert(0, rest.pop())
    text = "_".join(rest)
    parts = re.split(r"(?:^|_)o\d+_", text)
    if parts and parts[0] == "":
        parts = parts[1:]
    option.choices = [part for part in parts if part] if text.startswith("o1_") else []
    if text and not text.startswith("o1_"):
        option.problems.append(f"{kind} choices must be written o1_<value>_o2_<value>…")
    return trailing


def parse_key(key: str) -> OptionField:
    """The form field described by an option key (unknown flags are reported in ``problems``, not raised)."""
    name, *segments = key.split("__")
    option = OptionField(key=key, name=name, label=name.replace("_", " ").strip().capitalize() or key)
    types: list[str] = []
    pending_choices: OptionField | None = None
    for segment in segments:
        tokens = [token for token in segment.split("_") if token]
        if not tokens:
            continue
        if pending_choices is not None and tokens[0] == "o1":
            # ``__multiselect__o1_a_o2_b``: the choices in the segment after the type.
            trailing = _structured(pending_choices.type, tokens, option)
            option.problems = [p for p in option.problems if "choices" not in p]
            tokens = trailing
            pending_choices = None
            option.flags.extend(option.choices or [])
        if tokens and tokens[0] in STRUCTURED:
            kind = tokens[0]
            types.append(kind)
            option.type = kind
            option.flags.append(kind)
            tokens = _structured(kind, tokens[1:], option)
            if kind in ("select", "choice", "multiselect") and not option.choices:
                pending_choices = option
        for token in tokens:
            option.flags.append(token)
            if token in MODIFIERS:
                setattr(option, token, True)
            elif token in INPUT_TYPES:
                types.append(token)
            else:
                option.problems.append(f"unknown flag {token!r}")
    _settle_type(option, types)
    if option.type in ("select", "choice", "multiselect") and not option.choices:
        option.problems.append(f"{option.type} needs at least one choice (o1_<value>)")
    if option.type == "secret" and option.userform:
        option.problems.append("a secret option cannot be a user-form field")
    return option


def _settle_type(option: OptionField, types: list[str]) -> None:
    """Pick the widget from the type flags: a structured type wins, then keyval/array (with an item type)."""
    if option.type in STRUCTURED:
        return
    kinds = set(types)
    option.multiline = bool(kinds & {"multiline", "code"})
    for container in ("keyval", "array"):
        if container in kinds:
            option.type = container
            rest = kinds - {container}
            option.item_type = (
                "number"
                if "number" in rest
                else "code"
                if "code" in rest
                else "multiline"
                if "multiline" in rest
                else "email"
                if option.email
                else "text"
            )
            return
    for kind in (
        "boolean",
        "number",
        "code",
        "multiline",
        "datetime",
        "date",
        "time",
        "color",
        "global",
        "secret",
    ):
        if kind in kinds:
            option.type = kind
            return
    option.type = "text"


def schema(keys: Iterable[str]) -> list[OptionField]:
    """The options form for ``keys``: one field per key, in the given order."""
    return [parse_key(key) for key in keys]


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, dict)):
        return not value
    return False


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return False
        return True
    return False


def _field_errors(option: OptionField, value: Any) -> list[str]:
    what = f"option {option.label!r} ({option.key})"
    if _is_empty(value):
        return [f"{what} is required"] if option.required else []
    errors: list[str] = []
    kind = option.type
    if kind == "boolean" and not isinstance(value, bool):
        errors.append(f"{what} must be true or false, got {value!r}")
    elif kind in ("number", "range") and not _is_number(value):
        errors.append(f"{what} must be a number, got {value!r}")
    elif kind == "range" and _is_number(value):
        number = float(value)
        if option.min is not None and number < option.min or option.max is not None and number > option.max:
            errors.append(f"{what} must be between {option.min} and {option.max}, got {value!r}")
    elif kind in ("select", "choice") and option.choices is not None and str(value) not in option.choices:
        errors.append(f"{what} must be one of {', '.join(option.choices)}, got {value!r}")
    elif kind == "multiselect":
        if not isinstance(value, list):
            errors.append(f"{what} must be a list of choices, got {value!r}")
        else:
            unknown = [item for item in value if str(item) not in (option.choices or [])]
            if unknown:
                errors.append(
                    f"{what}: {', '.join(map(str, unknown))} not among {', '.join(option.choices or [])}"
                )
    elif kind == "array" and not isinstance(value, list):
        errors.append(f"{what} must be a list, got {value!r}")
    elif kind == "keyval" and not isinstance(value, dict):
        errors.append(f"{what} must be a set of key/value pairs, got {value!r}")
    elif kind == "date" and not (isinstance(value, str) and _DATE.match(value)):
        errors.append(f"{what} must be a date YYYY-MM-DD, got {value!r}")
    elif kind == "datetime" and not (isinstance(value, str) and _DATETIME.match(value)):
        errors.append(f"{what} must be a date and time YYYY-MM-DDTHH:MM, got {value!r}")
    elif kind == "time" and not (isinstance(value, str) and _TIME.match(value)):
        errors.append(f"{what} must be a time HH:MM, got {value!r}")
    elif kind == "color" and not (isinstance(value, str) and _COLOR.match(value)):
        errors.append(f"{what} must be a colour #RRGGBB, got {value!r}")
    if kind in ("keyval", "array") and option.item_type == "number" and not errors:
        items = value.values() if isinstance(value, dict) else value
        bad = [item for item in items if not _is_number(item)]
        if bad:
            errors.append(f"{what}: every value must be a number, got {bad[0]!r}")
    if option.email and not errors:
        items = value if isinstance(value, list) else value.values() if isinstance(value, dict) else [value]
        bad = [item for item in items if not (isinstance(item, str) and EMAIL.match(item.strip()))]
        if bad:
            errors.append(f"{what} must be an e-mail address, got {bad[0]!r}")
    return errors


def validate(fields: Iterable[OptionField], values: Mapping[str, Any]) -> list[str]:
    """Every problem with ``values`` for the form ``fields``; an empty list means they can be saved.

    Messages name the option by label and key, e.g. ``option 'Days' (days__number_required) is required``.
    """
    errors: list[str] = []
    for option in fields:
        errors.extend(f"option {option.key}: {problem}" for problem in option.problems)
        errors.extend(_field_errors(option, values.get(option.key)))
    return errors


def check(fields: Iterable[OptionField], values: Mapping[str, Any]) -> None:
    """Raise when :func:`validate` finds problems.

    Raises:
        InvalidInput: with every problem, one per line.
    """
    errors = validate(fields, values)
    if errors:
        raise InvalidInput("; ".join(errors))


def coerce(option: OptionField, value: Any) -> Any:
    """Turn a value typed as text (CLI, form) into the option's type: numbers, booleans, lists."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if option.type == "boolean":
        return text.lower() in ("1", "true", "yes", "on")
    if option.type in ("number", "range") and _is_number(text):
        return _number(text)
    if option.type in ("array", "multiselect") or option.many:
        return [line.strip() for line in text.splitlines() if line.strip()]
    return value


def has_liquid(value: Any) -> bool:
    """Whether a value holds Liquid markup anywhere (strings, list items, hash values)."""
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    if isinstance(value, list):
        return any(has_liquid(item) for item in value)
    if isinstance(value, dict):
        return any(has_liquid(item) for item in value.values())
    return False


def _typed(value: Any, kind: str | None) -> Any:
    if kind in ("number", "range") and isinstance(value, str) and _is_number(value.strip()):
        return _number(value.strip())
    if kind == "boolean" and isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return value


def typed_values(fields: Iterable[OptionField], values: Mapping[str, Any]) -> dict[str, Any]:
    """Option values as task code sees them: numbers and booleans where the flags say so.

    ``number``/``range`` options become numbers (and the items of ``keyval_number``/``array_number``),
    ``boolean`` options booleans.

    Mechanic's exports sometimes store numbers as text (``"10"`` for a ``__number`` option); task code still
    gets a number (statement 133). Keys without a field, and values that do not convert, are left as they are.
    """
    typed = dict(values)
    for option in fields:
        if option.key not in typed:
            continue
        value = typed[option.key]
        if option.type in ("keyval", "array") and option.item_type == "number":
            if isinstance(value, dict):
                value = {key: _typed(item, "number") for key, item in value.items()}
            elif isinstance(value, list):
                value = [_typed(item, "number") for item in value]
        else:
            value = _typed(value, option.type)
        typed[option.key] = value
    return typed


def sample_value(option: OptionField) -> Any:
    """A plausible value for an empty option, from its flags alone (``7`` for a number, ``["sample"]``…).

    Used to preview library tasks whose required options ship empty: Mechanic cannot save such a task until
    they are filled, so a preview "as it would run" needs some value (docs/conformance.md).
    """
    kind = option.type
    item: Any = 7 if option.item_type == "number" else "sample@example.com" if option.email else "sample"
    if kind in ("number",):
        return 7
    if kind == "range":
        return option.min if option.min is not None else 1
    if kind == "boolean":
        return True
    if kind in ("select", "choice"):
        return (option.choices or ["sample"])[0]
    if kind == "multiselect":
        return (option.choices or ["sample"])[:1]
    if kind == "picker":
        resource = {"product": "Product", "variant": "ProductVariant", "collection": "Collection"}.get(
            option.resource or "", "Product"
        )
        gid = f"gid://shopify/{resource}/1234567890"
        return [gid] if option.many else gid
    if kind == "keyval":
        # A numeric key: library tasks key these hashes by tag, SKU or by a numeric id pasted into JSON.
        return {"1234567890": item}
    if kind == "array":
        return [item]
    if kind == "date":
        return "2026-01-01"
    if kind == "datetime":
        return "2026-01-01T00:00"
    if kind == "time":
        return "00:00"
    if kind == "color":
        return "#000000"
    return "sample@example.com" if option.email else "sample"


def fill_required(fields: Iterable[OptionField], values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` with every empty *required* option set to :func:`sample_value`."""
    filled = dict(values)
    for option in fields:
        if option.required and _is_empty(filled.get(option.key)):
            filled[option.key] = sample_value(option)
    return filled
