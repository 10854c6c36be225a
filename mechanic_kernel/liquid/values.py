"""How Mechanic Liquid values are copied, printed with ``{{ }}`` and written as JSON by the tags."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from liquid.undefined import is_undefined

# Types a template cannot change in place: a copy may share them. ``type(x) in ATOMIC_TYPES`` is an
# exact-type test, far cheaper than ``is_undefined`` (an ABC ``isinstance``) on the strings and numbers
# most values are.
ATOMIC_TYPES = frozenset((str, int, float, bool, type(None), Decimal, range, dt.datetime, dt.date))


def copy_value(value: Any) -> Any:
    """A copy of ``value`` that shares no list or dict with it (Mechanic assigns by value).

    Only plain lists and dicts are copied: everything else a template can hold is immutable from
    Liquid's point of view (strings, numbers, drops), so sharing it is safe and cheap. An undefined value
    becomes nil, so hashes and arrays built by a script hold only plain data (filters see ``None``).
    """
    cls = type(value)
    if cls in ATOMIC_TYPES:
        return value
    if cls is dict:
        if ATOMIC_TYPES.issuperset(map(type, value.values())):
            return value.copy()
        return {key: item if type(item) in ATOMIC_TYPES else copy_value(item) for key, item in value.items()}
    if cls is list:
        if ATOMIC_TYPES.issuperset(map(type, value)):
            return value.copy()
        return [item if type(item) in ATOMIC_TYPES else copy_value(item) for item in value]
    if is_undefined(value):
        return None
    if isinstance(value, dict):
        return {key: copy_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_value(item) for item in value]
    return value


def to_output_string(value: Any) -> str:
    """Text for ``{{ value }}`` the way Mechanic (Ruby Liquid 5.5+) prints it.

    Arrays print their elements joined with nothing, flattening nested arrays like Ruby's ``Array#join``;
    hashes print like Ruby's ``Hash#inspect`` in Liquid 5.5 (``{"a"=>1, "b"=>nil}``); see
    docs/decisions.md, "Liquid dialect".
    """
    cls = type(value)
    # Exact-type fast paths for what templates print most; the checks below use ABC isinstance tests.
    if cls is str:
        return value
    if cls is int:
        return str(value)
    if cls is float:
        return _float_to_s(value)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if hasattr(value, "__liquid__") and not is_undefined(value):
        value = value.__liquid__()
    if value is None or is_undefined(value):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "".join(to_output_string(item) for item in value)
    if isinstance(value, dict) or (isinstance(value, Mapping) and type(value).__str__ is object.__str__):
        # A mapping-like drop without its own text prints like the hash it stands for.
        return inspect(value)
    if isinstance(value, range):
        return f"{value.start}..{value.stop - 1}"
    if isinstance(value, float):
        return _float_to_s(value)
    return str(value)


def inspect(value: Any) -> str:
    """Ruby ``inspect`` of a JSON-like value (Liquid 5.5's ``Utils.inspect``)."""
    if value is None or is_undefined(value):
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float):
        return _float_to_s(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{inspect(k)}=>{inspect(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(inspect(item) for item in value) + "]"
    return str(value)


def _float_to_s(value: float) -> str:
    # Ruby prints 1e20 as "1.0e+20" and keeps ".0" on whole floats; Python's repr differs only in exponents.
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if math.isnan(value):
        return "NaN"
    return repr(value)


def _json_default(value: Any) -> Any:
    if is_undefined(value):
        return None
    if hasattr(value, "__liquid__"):
        return value.__liquid__()
    if hasattr(value, "to_json_value"):
        return value.to_json_value()
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, (Sequence, set, frozenset, range)) and not isinstance(value, str):
        return list(value)
    return str(value)


# One encoder for every write: json.dumps builds a new JSONEncoder on each call given these options.
_ENCODER = json.JSONEncoder(default=_json_default, ensure_ascii=False, separators=(",", ":"))


def to_json(value: Any) -> str:
    """Compact JSON for a Liquid value, as the action, log and error tags write it.

    Undefined values become ``null``; drops and other mappings become objects.
    """
    return _ENCODER.encode(value)
