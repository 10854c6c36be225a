"""Hash filters: keys, values, and the hash side of compact, except and slice.

``compact``, ``except`` and ``slice`` share their names with array (and string) filters; the registered
functions live in :mod:`mechanic_kernel.liquid.filters.array` and hand hashes to the helpers here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mechanic_kernel.liquid.filters.arguments import input_error
from mechanic_kernel.liquid.filters.arguments import is_nil
from mechanic_kernel.liquid.filters.arguments import type_name


def keys(value: object) -> list[Any] | None:
    """The keys of a hash, in insertion order; nil for nil.

    Tasks write ``options.some__keyval | values | default: array``, which only works if an unset
    option (nil) gives nil rather than an error.

    Raises:
        FilterError: the input is neither a hash nor nil.
    """
    if is_nil(value):
        return None
    return list(_mapping("keys", value).keys())


def values(value: object) -> list[Any] | None:
    """The values of a hash, in insertion order; nil for nil (see :func:`keys`).

    Raises:
        FilterError: the input is neither a hash nor nil.
    """
    if is_nil(value):
        return None
    return list(_mapping("values", value).values())


def compact_hash(value: Mapping[Any, Any]) -> dict[Any, Any]:
    """A copy of ``value`` without its top-level nil values (nested hashes are left alone)."""
    return {key: item for key, item in value.items() if not is_nil(item)}


def except_hash(value: Mapping[Any, Any], names: tuple[object, ...]) -> dict[Any, Any]:
    """A copy of ``value`` without the keys in ``names``."""
    drop = set(_flatten_names(names))
    return {key: item for key, item in value.items() if key not in drop}


def slice_hash(value: Mapping[Any, Any], names: tuple[object, ...]) -> dict[Any, Any]:
    """A copy of ``value`` with only the keys in ``names``, in the order they are named."""
    return {name: value[name] for name in _flatten_names(names) if name in value}


def _flatten_names(names: tuple[object, ...]) -> list[Any]:
    # `h | except: some_array` is as natural in a task as listing the keys one by one.
    flat: list[Any] = []
    for name in names:
        if isinstance(name, list | tuple):
            flat.extend(name)
        else:
            flat.append(name)
    return flat


def is_hash(value: object) -> bool:
    """Whether ``value`` is a hash (an undefined variable, though Mapping-like, is not)."""
    return isinstance(value, Mapping) and not is_nil(value)


def _mapping(name: str, value: object) -> Mapping[Any, Any]:
    # An undefined variable is Mapping-like in python-liquid; Mechanic treats it as nil.
    if isinstance(value, Mapping) and not is_nil(value):
        return value
    raise input_error(name, f"expected a hash, got {type_name(value)}")
