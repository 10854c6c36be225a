"""Data-format filters: JSON, JSON Lines, CSV, XML, GraphQL arguments, gzip and base64."""

from __future__ import annotations

import base64
import binascii
import csv as csvlib
import gzip as gziplib
import io
import json as jsonlib
import zlib
from decimal import Decimal
from typing import Any
from xml.parsers.expat import ExpatError

import xmltodict

from mechanic_kernel.liquid.filters.arguments import argument_error
from mechanic_kernel.liquid.filters.arguments import dump_json
from mechanic_kernel.liquid.filters.arguments import input_error
from mechanic_kernel.liquid.filters.arguments import is_nil
from mechanic_kernel.liquid.filters.arguments import to_bool
from mechanic_kernel.liquid.filters.arguments import to_text
from mechanic_kernel.liquid.filters.arguments import type_name
from mechanic_kernel.liquid.secrets import SecretReference


class BinaryString(str):
    """A string of raw bytes (gzip output, an RSA signature, ``decode_base64: force_utf8: false``).

    Ruby strings may hold arbitrary bytes; Python ``str`` may not. The text of a ``BinaryString`` is its
    bytes read as Latin-1 (one character per byte), and ``data`` keeps the bytes themselves so that
    ``gunzip``, ``base64_encode`` and the digests see exactly what the producing filter made.

    Attributes:
        data: the raw bytes.
    """

    data: bytes

    def __new__(cls, data: bytes) -> BinaryString:
        text = super().__new__(cls, data.decode("latin-1"))
        text.data = data
        return text


def to_bytes(value: object) -> bytes:
    """The bytes a filter works on: a binary string's own bytes, anything else as UTF-8 text."""
    if isinstance(value, BinaryString):
        return value.data
    if isinstance(value, bytes):
        return value
    return to_text(value).encode("utf-8")


def _utf8_or_binary(data: bytes, force_utf8: object) -> str:
    # Ruby forces the encoding to UTF-8 by default; bytes that are not UTF-8 stay bytes here, so a
    # later base64_encode or gunzip still sees them unchanged.
    if to_bool(force_utf8):
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return BinaryString(data)


# --- JSON ----------------------------------------------------------------------------------------


def json(value: object) -> str:
    """Serialize ``value`` as compact JSON.

    Args:
        value: any Liquid value; nil becomes ``null`` and secret references their placeholder.

    Returns:
        The JSON text, e.g. ``{"a":1}``.
    """
    return dump_json(value)


def parse_json(value: object, *, silent: object = False) -> Any:
    """Parse a JSON document.

    Args:
        value: the JSON text.
        silent: when true, invalid JSON gives nil instead of failing the run.

    Returns:
        The parsed value.

    Raises:
        FilterError: the input is not a string or not valid JSON (and ``silent`` is not true).
    """
    if not isinstance(value, str):
        if to_bool(silent):
            return None
        raise input_error("parse_json", f"expected a JSON string, got {type_name(value)}")
    try:
        return jsonlib.loads(value)
    except jsonlib.JSONDecodeError as err:
        if to_bool(silent):
            return None
        raise input_error(
            "parse_json", f"invalid JSON at line {err.lineno} column {err.colno}: {err.msg}"
        ) from err


def jsonl(value: object) -> str:
    """Serialize each element of an array as one JSON document per line.

    Args:
        value: an array.

    Returns:
        The documents joined by ``\\n`` (no trailing newline).

    Raises:
        FilterError: the input is not an array.
    """
    if not isinstance(value, list | tuple):
        raise input_error("jsonl", f"expected an array, got {type_name(value)}")
    return "\n".join(dump_json(item) for item in value)


def parse_jsonl(value: object) -> list[Any]:
    """Parse newline-separated JSON documents (blank lines are skipped).

    Args:
        value: the JSON Lines text, e.g. a bulk operation's result.

    Returns:
        An array with one element per document.

    Raises:
        FilterError: the input is not a string or a line is not valid JSON.
    """
    if is_nil(value):
        return []
    if not isinstance(value, str):
        raise input_error("parse_jsonl", f"expected a string, got {type_name(value)}")
    documents = []
    for number, line in enumerate(value.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            documents.append(jsonlib.loads(line))
        except jsonlib.JSONDecodeError as err:
            raise input_error(
                "parse_jsonl", f"invalid JSON on line {number} column {err.colno}: {err.msg}"
            ) from err
    return documents


# --- CSV -----------------------------------------------------------------------------------------


def csv(value: object, delimiter: object = ",", *, include_bom: object = False) -> str:
    """Render a two-dimensional array as CSV.

    Args:
        value: an array of rows, each an array of cells.
        delimiter: the one-character field separator.
        include_bom: when true, start with U+FEFF so spreadsheet programs detect UTF-8.

    Returns:
        The CSV text, each row ending in ``\\n``.

    Raises:
        FilterError: the input is not an array of arrays.
        FilterArgumentError: the delimiter is not a single character.
    """
    delimiter = _delimiter("csv", delimiter)
    if not isinstance(value, list | tuple):
        raise input_error("csv", f"expected an array of rows, got {type_name(value)}")
    out = io.StringIO()
    writer = csvlib.writer(out, delimiter=delimiter, lineterminator="\n")
    for index, row in enumerate(value):
        if not isinstance(row, list | tuple):
            raise input_error("csv", f"row {index + 1} is a {type_name(row)}, expected an array of cells")
        writer.writerow([_csv_cell(cell) for cell in row])
    text = out.getvalue()
    return "\ufeff" + text if to_bool(include_bom) else text


def _csv_cell(cell: object) -> str:
    if isinstance(cell, dict | list | tuple):
        return dump_json(cell)
    return to_text(cell)


def _delimiter(name: str, delimiter: object) -> str:
    if is_nil(delimiter):
        return ","
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise argument_error(name, f"delimiter must be a single character, got {to_text(delimiter)!r}")
    return delimiter


def parse_csv(value: object, *, headers: object = False, delimiter: object = ",") -> list[Any]:
    """Parse CSV text.

    Args:
        value: the CSV text (a leading byte order mark is ignored).
        headers: when true, the first row names the columns and each later row becomes a hash.
        delimiter: the one-character field separator.

    Returns:
        An array of arrays, or of hashes keyed by the header row when ``headers`` is true.

    Raises:
        FilterError: the input is not a string or is malformed CSV (e.g. an unclosed quote).
    """
    delimiter = _delimiter("parse_csv", delimiter)
    if is_nil(value):
        return []
    if not isinstance(value, str):
        raise input_error("parse_csv", f"expected a string, got {type_name(value)}")
    text = io.StringIO(value.removeprefix("\ufeff"), newline="")
    reader = csvlib.reader(text, delimiter=delimiter, strict=True)
    try:
        rows = [row for row in reader if row]
    except csvlib.Error as err:
        raise input_error("parse_csv", f"malformed CSV on line {reader.line_num}: {err}") from err
    if not to_bool(headers):
        return rows
    if not rows:
        return []
    names, *records = rows
    # Ruby's CSV gives nil for a cell missing from a short row; extra cells are dropped with no name.
    return [{name: (row[i] if i < len(row) else None) for i, name in enumerate(names)} for row in records]


# --- XML -----------------------------------------------------------------------------------------


def parse_xml(value: object) -> Any:
    """Parse XML the way Rails' ``Hash.from_xml`` does.

    Repeated elements become arrays, attributes become keys next to child elements, text beside
    attributes is under ``__content__``, empty elements are nil, and Rails' ``type``/``nil`` attributes
    are honoured (``type="integer"``, ``"float"``, ``"decimal"``, ``"boolean"``, ``"array"``, ``nil="true"``).

    Args:
        value: the XML document.

    Returns:
        A hash with the root element's name as its only key.

    Raises:
        FilterError: the input is not a string or not well-formed XML.
    """
    if not isinstance(value, str):
        raise input_error("parse_xml", f"expected an XML string, got {type_name(value)}")
    try:
        # Entities stay disabled (the default) so a task cannot make the parser expand a billion laughs.
        tree = xmltodict.parse(value, attr_prefix="", cdata_key="__content__", disable_entities=True)
    except (ExpatError, ValueError) as err:
        raise input_error("parse_xml", f"invalid XML: {err}") from err
    return {key: _from_xml(node) for key, node in tree.items()}


_XML_CASTS = {
    "integer": int,
    "float": float,
    "decimal": Decimal,
    "double": float,
    "boolean": lambda text: text.strip().lower() in ("1", "true"),
}


def _from_xml(node: Any) -> Any:
    if isinstance(node, list):
        return [_from_xml(item) for item in node]
    if not isinstance(node, dict):
        return node
    if node.get("nil") == "true":
        return None
    kind = node.get("type")
    content = node.get("__content__")
    if kind == "array":
        items = [child for key, child in node.items() if key not in ("type", "__content__")]
        if not items:
            return []
        children = items[0]
        return [_from_xml(child) for child in (children if isinstance(children, list) else [children])]
    if kind in _XML_CASTS and set(node) <= {"type", "__content__"}:
        if content is None:
            return None
        try:
            return _XML_CASTS[kind](content)
        except (ValueError, ArithmeticError):
            return content
    if kind == "string" and set(node) <= {"type", "__content__"}:
        return content or ""
    return {key: _from_xml(child) for key, child in node.items()}


# --- GraphQL -------------------------------------------------------------------------------------


def graphql_arguments(value: object) -> str:
    """Render a value as GraphQL argument syntax.

    A hash becomes a bare argument list (``a: "x" b: { id: "1" } c: [1, 2]``) so it fits between a
    field's parentheses; nested hashes are input objects in braces, arrays are lists, strings are
    quoted like JSON, nil is ``null``.

    Args:
        value: a hash (usual), an array, or a scalar.

    Returns:
        The GraphQL text.

    Raises:
        FilterError: a hash key is not a string.
    """
    if isinstance(value, dict):
        return _graphql_fields(value)
    return _graphql_value(value)


def _graphql_fields(mapping: dict[Any, Any]) -> str:
    parts = []
    for key, item in mapping.items():
        if not isinstance(key, str):
            raise input_error("graphql_arguments", f"argument names must be strings, got {type_name(key)}")
        parts.append(f"{key}: {_graphql_value(item)}")
    return " ".join(parts)


def _graphql_value(value: object) -> str:
    if isinstance(value, dict):
        return f"{{ {_graphql_fields(value)} }}" if value else "{}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_graphql_value(item) for item in value) + "]"
    if isinstance(value, SecretReference):
        return dump_json(str(value))
    if is_nil(value):
        return "null"
    return dump_json(value)


# --- gzip ----------------------------------------------------------------------------------------


def gzip(value: object) -> BinaryString:
    """Gzip-compress a string.

    Args:
        value: the text (or binary string) to compress.

    Returns:
        The compressed bytes as a binary string (pipe into ``base64_encode`` to print them).
    """
    # mtime=0 makes the output reproducible, like a preview that renders twice.
    return BinaryString(gziplib.compress(to_bytes(value), mtime=0))


def gunzip(value: object, *, force_utf8: object = True) -> str:
    """Decompress gzip data.

    Args:
        value: gzip bytes, e.g. from ``gzip`` or ``decode_base64: force_utf8: false``.
        force_utf8: when false, return the raw bytes instead of UTF-8 text.

    Returns:
        The decompressed text.

    Raises:
        FilterError: the input is not gzip data.
    """
    try:
        data = gziplib.decompress(to_bytes(value))
    except (OSError, EOFError, zlib.error) as err:
        raise input_error("gunzip", f"input is not gzip data: {err}") from err
    return _utf8_or_binary(data, force_utf8)


# --- base64 --------------------------------------------------------------------------------------


def base64_encode(value: object) -> str:
    """Encode a string with standard base64 (with padding).

    Args:
        value: text (encoded as UTF-8) or a binary string (its raw bytes).
    """
    return base64.b64encode(to_bytes(value)).decode("ascii")


def base64_decode(value: object, *, force_utf8: object = True) -> str:
    """Decode standard base64.

    Args:
        value: the base64 text.
        force_utf8: when false, return the raw bytes as a binary string (for ``gunzip`` or files).

    Raises:
        FilterError: the input is not valid base64.
    """
    return _utf8_or_binary(_b64decode("base64_decode", value, url_safe=False), force_utf8)


def base64_url_safe_encode(value: object) -> str:
    """Encode a string with URL-safe base64 (``-`` and ``_``, with padding)."""
    return base64.urlsafe_b64encode(to_bytes(value)).decode("ascii")


def base64_url_safe_decode(value: object, *, force_utf8: object = True) -> str:
    """Decode URL-safe base64; missing padding is accepted.

    Raises:
        FilterError: the input is not valid base64.
    """
    return _utf8_or_binary(_b64decode("base64_url_safe_decode", value, url_safe=True), force_utf8)


_URL_SAFE = str.maketrans("-_", "+/")


def _b64decode(name: str, value: object, *, url_safe: bool) -> bytes:
    # Like Ruby's urlsafe_decode64: map the URL-safe alphabet onto the standard one, restore missing
    # padding, then decode strictly so that garbage is an error rather than silently dropped.
    text = "".join(to_text(value).split())
    if url_safe:
        text = text.translate(_URL_SAFE)
    text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as err:
        raise input_error(name, f"input is not valid base64: {err}") from err
