"""Rack-style nested parameters (``a[b]=1``, ``a[]=1``, ``a[][k]=v``), as Mechanic's Rails stack parses them.

A port of ``Rack::QueryParser#normalize_params`` (Rack 2.2), because Mechanic's event data is exactly what
that code produces; no maintained Python library implements Rack's rules, so this is the one parser we own.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote_to_bytes

# Rack raises beyond this depth; hostile bodies such as a[[[[…]]]] must not recurse without bound.
DEPTH_LIMIT = 32

_NAME = re.compile(r"\A[\[\]]*([^\[\]]+)\]*")
_ARRAY_OF_HASH = re.compile(r"^\[\]\[([^\[\]]+)\]$")
_ARRAY_OF_ANY = re.compile(r"^\[\](.+)$")


class ParameterError(ValueError):
    """The parameters are structurally inconsistent (``a=1&a[b]=2``) or nested too deeply."""


class UploadedFile(dict):
    """A file part of a multipart body, as Mechanic represents it; a dict that is not a parameter hash."""


def parse_nested_query(raw: bytes, charset: str = "utf-8") -> dict[str, Any]:
    """Parse an urlencoded string (a query string or a form body) into nested parameters.

    Raises:
        ParameterError: for conflicting or too deeply nested names.
        UnicodeDecodeError: when a name or value is not valid text in ``charset``.
        LookupError: when ``charset`` is unknown.
    """
    params: dict[str, Any] = {}
    for pair in raw.split(b"&"):
        if not pair:
            continue
        name, sep, value = pair.partition(b"=")
        key = _decode(name, charset)
        normalize_params(params, key, _decode(value, charset) if sep else None, 0)
    return params


def _decode(part: bytes, charset: str) -> str:
    return unquote_to_bytes(part.replace(b"+", b" ")).decode(charset)


def normalize_params(params: dict[str, Any], name: str, value: Any, depth: int) -> Any:
    """Insert one ``name=value`` pair into ``params`` following Rack's bracket rules."""
    if depth >= DEPTH_LIMIT:
        raise ParameterError(f"parameters nested deeper than {DEPTH_LIMIT} levels")
    match = _NAME.match(name)
    key = match.group(1) if match else ""
    after = name[match.end() :] if match else ""
    if not key:
        if value is not None and name == "[]":
            return [value]
        return None
    if after == "":
        params[key] = value
    elif after == "[":
        params[name] = value
    elif after == "[]":
        target = params.setdefault(key, [])
        if not isinstance(target, list):
            raise ParameterError(f"expected an array for parameter {key!r}, got {type(target).__name__}")
        target.append(value)
    elif child := (_ARRAY_OF_HASH.match(after) or _ARRAY_OF_ANY.match(after)):
        child_key = child.group(1)
        target = params.setdefault(key, [])
        if not isinstance(target, list):
            raise ParameterError(f"expected an array for parameter {key!r}, got {type(target).__name__}")
        last = target[-1] if target else None
        if _is_params_hash(last) and not _has_key(last, child_key):
            normalize_params(last, child_key, value, depth + 1)
        else:
            target.append(normalize_params({}, child_key, value, depth + 1))
    else:
        target = params.setdefault(key, {})
        if not _is_params_hash(target):
            raise ParameterError(f"expected a hash for parameter {key!r}, got {type(target).__name__}")
        params[key] = normalize_params(target, after, value, depth + 1)
    return params


def _is_params_hash(value: Any) -> bool:
    return isinstance(value, dict) and not isinstance(value, UploadedFile)


def _has_key(params: dict[str, Any], key: str) -> bool:
    if "[]" in key:
        return False
    current: Any = params
    for part in re.split(r"[\[\]]+", key):
        if part == "":
            continue
        if not _is_params_hash(current) or part not in current:
            return False
        current = current[part]
    return True
