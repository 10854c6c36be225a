"""Length-prefixed pickle frames between the worker and its render processes (both sides are this package)."""

from __future__ import annotations

import pickle
import struct
from typing import Any
from typing import BinaryIO

_HEADER = struct.Struct("!I")
HEADER_SIZE = _HEADER.size


def frame(value: Any) -> bytes:
    """``value`` as one frame."""
    body = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(body)) + body


def frame_size(header: bytes) -> int:
    """The body length a frame's header announces."""
    return int(_HEADER.unpack(header)[0])


def read_frame(stream: BinaryIO) -> Any:
    """The next object on ``stream``, or None at its end."""
    header = stream.read(HEADER_SIZE)
    if len(header) < HEADER_SIZE:
        return None
    return pickle.loads(stream.read(frame_size(header)))
