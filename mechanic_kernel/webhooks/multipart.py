"""``multipart/form-data`` bodies into Rack-style parameters, files as Mechanic's file hashes."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser
from python_multipart.multipart import parse_options_header

from ..errors import BadRequest
from .params import ParameterError
from .params import UploadedFile
from .params import normalize_params

# Real browsers send a handful of headers per part; many more is a malformed or hostile body.
MAX_PART_HEADERS = 16


@dataclass
class _Part:
    headers: dict[str, str] = field(default_factory=dict)
    data: bytearray = field(default_factory=bytearray)


def parse_multipart(body: bytes, boundary: str | None, charset: str) -> dict[str, Any]:
    """Parse a multipart body into nested parameters.

    Fields are decoded as ``charset`` text (a part's own ``charset`` wins); parts with a ``filename`` become
    ``{content_base64, mime_type, name, size}`` hashes.

    Raises:
        BadRequest: malformed body, missing boundary, or a field that is not valid text in its charset.
        ParameterError: conflicting field names (``a=1`` and ``a[b]=2``).
    """
    if not boundary:
        raise BadRequest(
            "malformed multipart/form-data body: the Content-Type header has no boundary parameter"
        )
    parts: list[_Part] = []
    header_name = bytearray()
    header_value = bytearray()

    def on_part_begin() -> None:
        parts.append(_Part())

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_name.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        parts[-1].headers[header_name.decode("latin-1").lower()] = header_value.decode("utf-8", "replace")
        header_name.clear()
        header_value.clear()

    def on_part_data(data: bytes, start: int, end: int) -> None:
        parts[-1].data.extend(data[start:end])

    ended = []
    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_part_data": on_part_data,
            "on_end": lambda: ended.append(True),
        },
        max_header_count=MAX_PART_HEADERS,
    )
    try:
        parser.write(body)
        parser.finalize()
    except MultipartParseError as exc:
        raise BadRequest(f"malformed multipart/form-data body: {exc}") from None
    if not ended:
        raise BadRequest("malformed multipart/form-data body: it ends before the closing boundary")

    params: dict[str, Any] = {}
    for index, part in enumerate(parts, start=1):
        disposition, options = parse_options_header(part.headers.get("content-disposition", ""))
        if disposition != b"form-data" or b"name" not in options:
            raise BadRequest(f"malformed multipart/form-data body: part {index} has no form-data name")
        name = options[b"name"].decode("utf-8", "replace")
        value: Any
        if b"filename" in options:
            value = _file(part, options[b"filename"].decode("utf-8", "replace"))
        else:
            part_type, part_options = parse_options_header(part.headers.get("content-type", ""))
            part_charset = part_options.get(b"charset", b"").decode("latin-1") or charset
            try:
                value = bytes(part.data).decode(part_charset)
            except LookupError:
                raise BadRequest(f"part {name!r} declares an unknown charset {part_charset!r}") from None
            except UnicodeDecodeError as exc:
                raise BadRequest(
                    f"field {name!r} is not valid {part_charset} text (byte {exc.start} cannot be decoded)"
                ) from None
        normalize_params(params, name, value, 0)
    return params


def _file(part: _Part, filename: str) -> UploadedFile | None:
    mime_type = part.headers.get("content-type", "").strip() or "application/octet-stream"
    if filename == "" and not part.data:
        # What a browser sends for an empty <input type=file>; Rack drops it the same way.
        return None
    return UploadedFile(
        content_base64=base64.b64encode(bytes(part.data)).decode("ascii"),
        mime_type=mime_type,
        name=filename,
        size=len(part.data),
    )


__all__ = ["ParameterError", "parse_multipart"]
