"""How Mechanic filters read their input and arguments, and how they report a bad one.

Every filter error names the filter and the problem (``parse_json: invalid JSON at line 1 column 3: …``)
so a task author can find it without a stack trace.
"""

from __future__ import annotations

from decimal import Decimal

from liquid.exceptions import FilterArgumentError
from liquid.exceptions import FilterError
from liquid.undefined import Undefined

from mechanic_kernel.liquid.values import to_json


def argument_error(name: str, problem: str) -> FilterArgumentError:
    """An error for a bad filter *argument*, to raise.

    Args:
        name: the filter's name.
        problem: what is wrong, in words a task author understands.
    """
    return FilterArgumentError(f"{name}: {problem}", token=None)


def input_error(name: str, problem: str) -> FilterError:
    """An error for a bad filter *input* (the value left of the pipe), to raise.

    Args:
        name: the filter's name.
        problem: what is wrong, in words a task author understands.
    """
    return FilterError(f"{name}: {problem}", token=None)


def type_name(value: object) -> str:
    """The Liquid name of ``value``'s type, for error messages."""
    if value is None or isinstance(value, Undefined):
        return "nil"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float | Decimal):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "hash"
    if isinstance(value, list | tuple):
        return "array"
    return type(value).__name__


def is_nil(value: object) -> bool:
    """True for nil and for an undefined variable (which Mechanic also treats as nil)."""
    return value is None or isinstance(value, Undefined)


def to_text(value: object) -> str:
    """``value`` as Liquid would print it (nil → "", booleans lowercase)."""
    if is_nil(value):
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_bool(value: object) -> bool:
    """Liquid truthiness: only nil and false are false."""
    return not (is_nil(value) or value is False)


def to_int(name: str, value: object, what: str = "argument") -> int:
    """``value`` as an integer, or a filter argument error.

    Args:
        name: the filter's name, for the message.
        value: an int, or a string or float holding one.
        what: what the argument is, for the message ("group size").
    """
    if isinstance(value, bool):
        raise argument_error(name, f"{what} must be an integer, got {value}")
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal) and value == int(value):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise argument_error(name, f"{what} must be an integer, got {type_name(value)} {to_text(value)!r}")


def dump_json(value: object) -> str:
    """Compact JSON the way Mechanic writes it (``{"a":1}``, non-ASCII kept as is).

    The ``json`` filter and the tags share one writer, so ``{{ x | json }}`` and ``{% log x %}`` agree.
    """
    return to_json(value)
