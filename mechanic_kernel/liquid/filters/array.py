"""Array filters Mechanic adds or redefines: push, unshift, except, sample, slice, sort_naturally, sum,
in_groups, in_groups_of, index_by and compact.

``compact``, ``except`` and ``slice`` also accept a hash (and ``slice`` a string): each is one registered
function that dispatches on its input's type, because a Liquid environment holds one filter per name.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import natsort
from liquid.builtin.filters.array import compact as liquid_compact
from liquid.builtin.filters.array import concat as liquid_concat
from liquid.builtin.filters.string import slice_ as liquid_slice

from mechanic_kernel.liquid.filters.arguments import argument_error
from mechanic_kernel.liquid.filters.arguments import dump_json
from mechanic_kernel.liquid.filters.arguments import input_error
from mechanic_kernel.liquid.filters.arguments import is_nil
from mechanic_kernel.liquid.filters.arguments import to_int
from mechanic_kernel.liquid.filters.arguments import to_text
from mechanic_kernel.liquid.filters.arguments import type_name
from mechanic_kernel.liquid.filters.hash import compact_hash
from mechanic_kernel.liquid.filters.hash import except_hash
from mechanic_kernel.liquid.filters.hash import is_hash
from mechanic_kernel.liquid.filters.hash import slice_hash


def _array(name: str, value: object) -> list[Any]:
    # nil counts as an empty array: `{% assign xs = xs | push: x %}` on a fresh variable is common.
    if is_nil(value):
        return []
    if isinstance(value, list | tuple):
        return list(value)
    raise input_error(name, f"expected an array, got {type_name(value)}")


def push(value: object, *items: object) -> list[Any]:
    """A new array with ``items`` appended; the input array is left unchanged.

    Raises:
        FilterError: the input is not an array.
    """
    return _array("push", value) + list(items)


def unshift(value: object, *items: object) -> list[Any]:
    """A new array with ``items`` prepended (in the order given); the input is left unchanged.

    Raises:
        FilterError: the input is not an array.
    """
    return list(items) + _array("unshift", value)


def concat(value: object, other: object = None) -> list[Any]:
    """A new array: the input's elements followed by ``other``'s (nested arrays are flattened first,
    as in Shopify).

    Raises:
        FilterArgumentError: ``other`` is not an array (python-liquid's own check fails to build its
            error, so the filter is redefined here to report it properly).
    """
    if not isinstance(other, list | tuple):
        raise argument_error("concat", f"expected an array to append, got {type_name(other)}")
    return liquid_concat(value, list(other))


def except_(value: object, *names: object) -> Any:
    """An array without the given values, or a hash without the given keys.

    Raises:
        FilterError: the input is neither an array nor a hash.
    """
    if is_hash(value):
        return except_hash(value, names)
    if isinstance(value, list | tuple):
        return [item for item in value if item not in names]
    raise input_error("except", f"expected an array or a hash, got {type_name(value)}")


def slice_(value: object, *args: object) -> Any:
    """Part of an array, hash or string.

    * array: ``slice: offset[, length]`` (length defaults to 1; a negative offset counts from the end);
      a length of 1 gives the element itself, otherwise a sub-array.
    * hash: ``slice: "k1", "k2"`` keeps only those keys.
    * string: Shopify's substring ``slice``.

    Raises:
        FilterArgumentError: the offset or length of an array slice is not an integer.
    """
    if is_hash(value):
        return slice_hash(value, args)
    if isinstance(value, list | tuple):
        if not 1 <= len(args) <= 2:
            raise argument_error(
                "slice", f"expected an offset and an optional length, got {len(args)} arguments"
            )
        offset = to_int("slice", args[0], "offset")
        length = to_int("slice", args[1], "length") if len(args) == 2 else 1
        start = offset + len(value) if offset < 0 else offset
        if start < 0 or start > len(value) or length < 0:
            return None
        if length == 1:
            return value[start] if start < len(value) else None
        return list(value[start : start + length])
    return liquid_slice(value, *args)


def compact(value: object, *args: object) -> Any:
    """An array without nils (optionally: without items whose ``prop`` is nil), or a hash without
    top-level nil values."""
    if is_hash(value):
        return compact_hash(value)
    return liquid_compact(value, *args)


def sample(value: object, count: object = None) -> Any:
    """One random element, or an array of ``count`` distinct random elements.

    Raises:
        FilterError: the input is not an array.
        FilterArgumentError: ``count`` is not a non-negative integer.
    """
    items = _array("sample", value)
    if is_nil(count):
        return random.choice(items) if items else None
    size = to_int("sample", count, "count")
    if size < 0:
        raise argument_error("sample", f"count must not be negative, got {size}")
    return random.sample(items, min(size, len(items)))


def sort_naturally(value: object, prop: object = None) -> list[Any]:
    """Sort the way a human would: digit runs compare as numbers (``Order #2`` before ``Order #10``).

    Args:
        value: an array of strings, or of hashes when ``prop`` is given.
        prop: the property to sort hashes by; items without it go last.

    Raises:
        FilterError: the input is not an array.
    """
    items = _array("sort_naturally", value)
    if is_nil(prop):
        return natsort.natsorted(items, key=to_text)
    present = [item for item in items if isinstance(item, Mapping) and not is_nil(item.get(prop))]
    missing = [item for item in items if not (isinstance(item, Mapping) and not is_nil(item.get(prop)))]
    return natsort.natsorted(present, key=lambda item: to_text(item[prop])) + missing


def sum_(value: object) -> int | float | Decimal:
    """The sum of an array of numbers.

    Mechanic's ``sum`` is strict: every element must be a number, so a stray string or hash is an
    error rather than silently counted as zero (``map`` to the numbers first).

    Raises:
        FilterError: the input is not an array or an element is not a number.
    """
    items = _array("sum", value)
    total: int | float | Decimal = 0
    for index, item in enumerate(items):
        if isinstance(item, bool) or not isinstance(item, int | float | Decimal):
            raise input_error(
                "sum",
                f"element {index} is {type_name(item)} {to_text(item)!r}; every element must be a number",
            )
        if isinstance(item, Decimal) and isinstance(total, float):
            total = Decimal(str(total))
        elif isinstance(item, float) and isinstance(total, Decimal):
            item = Decimal(str(item))
        total += item
    return total


def in_groups(value: object, count: object, *, fill_with: object = None) -> list[list[Any]]:
    """Split an array into ``count`` groups of (nearly) equal size, like Rails' ``in_groups``.

    The first groups take the extra elements; shorter groups are padded with ``fill_with`` (nil by
    default) unless ``fill_with`` is false.

    Raises:
        FilterError: the input is not an array.
        FilterArgumentError: ``count`` is not a positive integer.
    """
    items = _array("in_groups", value)
    groups = to_int("in_groups", count, "number of groups")
    if groups < 1:
        raise argument_error("in_groups", f"number of groups must be positive, got {groups}")
    size, extra = divmod(len(items), groups)
    result, start = [], 0
    for index in range(groups):
        length = size + (1 if index < extra else 0)
        group = items[start : start + length]
        start += length
        if fill_with is not False and extra and index >= extra:
            group.append(fill_with)
        result.append(group)
    return result


def in_groups_of(value: object, size: object, *, fill_with: object = None) -> list[list[Any]]:
    """Split an array into groups of ``size`` elements, like Rails' ``in_groups_of``.

    The last group is padded with ``fill_with`` (nil by default) unless ``fill_with`` is false.

    Raises:
        FilterError: the input is not an array.
        FilterArgumentError: ``size`` is not a positive integer.
    """
    items = _array("in_groups_of", value)
    length = to_int("in_groups_of", size, "group size")
    if length < 1:
        raise argument_error("in_groups_of", f"group size must be positive, got {length}")
    groups = [items[start : start + length] for start in range(0, len(items), length)]
    if groups and fill_with is not False:
        groups[-1].extend([fill_with] * (length - len(groups[-1])))
    return groups


def index_by(value: object, prop: object) -> dict[Any, Any]:
    """A hash of the array's hashes keyed by each one's ``prop`` (a later duplicate wins).

    Raises:
        FilterError: the input is not an array, or an element is not a hash.
    """
    items = _array("index_by", value)
    indexed: dict[Any, Any] = {}
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise input_error("index_by", f"element {index} is {type_name(item)}, expected a hash")
        key = item.get(prop)
        # JSON output needs scalar keys; anything else is keyed by its JSON text.
        indexed[key if isinstance(key, str | int | float | bool) or key is None else dump_json(key)] = item
    return indexed

